/* fuzz_pattern.c: libFuzzer target for the budgeted Lua pattern matcher
 * (art_lua_pattern.c).
 *
 * The matcher replaces string.find, match, gmatch and gsub for every filter, and
 * filters match patterns against article text, so it parses patterns and walks
 * subjects by hand in C where an off-by-one reads outside a Lua string.  Input:
 * subject and pattern split at the first NUL byte (the pattern keeps any later
 * NULs, which Lua patterns allow); without a NUL the whole input is both, which
 * makes matching a pattern against its own text the cheapest thing to find.
 *
 * Each function is called through lua_pcall in the ways that reach distinct code:
 * find with a negative or positive start and plain, match, gmatch until the end,
 * gsub with a string, a table with an __index metamethod and a function that
 * itself runs the matcher (the budget is shared with the outer call), and find in
 * a coroutine, whose lua_State is the one the check is given.  Pattern errors
 * are Lua errors and expected; only sanitizer reports and crashes are findings.
 *
 * The check function raises after CHECK_CALLS calls, so a catastrophic pattern
 * costs at most CHECK_CALLS * ART_PATTERN_CHECK_EVERY steps per call.  The budget
 * is refilled before each call, so a call that exhausts it cannot hide the ones
 * after it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "art_lua_pattern.h"

#define CHECK_CALLS 32

static lua_State *L;
static int calls_ref;
static int checks_left;

static void check(lua_State *l)
{
    if (--checks_left <= 0) {
        luaL_error(l, "fuzz: step budget exhausted");
    }
}

/* A list of functions of (subject, pattern), each one way of calling the
 * matcher; run once the budgeted functions are in place. */
static const char calls_lua[] =
    "local find, match, gmatch, gsub = string.find, string.match,\n"
    "    string.gmatch, string.gsub\n"
    "local index = setmetatable({}, { __index = function(_, k)\n"
    "    return tostring(k) .. '!'\n"
    "end })\n"
    "return {\n"
    "    function(s, p) return find(s, p) end,\n"
    "    function(s, p) return find(s, p, #p - #s) end,\n"
    "    function(s, p) return find(s, p, 1, true) end,\n"
    "    function(s, p) return match(s, p) end,\n"
    "    function(s, p) return s:match(p, -3) end,\n"
    "    function(s, p)\n"
    "        local n = 0\n"
    "        for _ in gmatch(s, p) do n = n + 1 end\n"
    "        return n\n"
    "    end,\n"
    "    function(s, p) return gsub(s, p, '<%0|%1>') end,\n"
    "    function(s, p) return gsub(s, p, index, 7) end,\n"
    "    function(s, p)\n"
    "        return gsub(s, p, function(c)\n"
    "            return match(tostring(c), p)\n"
    "        end)\n"
    "    end,\n"
    "    function(s, p)\n"
    "        return coroutine.wrap(function() return find(s, p) end)()\n"
    "    end,\n"
    "}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "string");
    art_lua_pattern_open(L, -1, check);
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, calls_lua, sizeof(calls_lua) - 1, "=calls") != LUA_OK
        || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_pattern: %s\n", lua_tostring(L, -1));
        abort();
    }
    calls_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *p = s;
    size_t ns = size, np = size;
    const uint8_t *nul = memchr(data, '\0', size);
    lua_Integer i, n;

    if (nul) {
        ns = (size_t)(nul - data);
        p = (const char *)nul + 1;
        np = size - ns - 1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, calls_ref);
    n = (lua_Integer)lua_rawlen(L, 1);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        lua_pushlstring(L, s, ns);
        lua_pushlstring(L, p, np);
        checks_left = CHECK_CALLS;
        lua_pcall(L, 2, 0, 0);
        lua_settop(L, 1);
    }
    lua_settop(L, 0);
    return 0;
}
