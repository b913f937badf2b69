/* fuzz_mustache.c: libFuzzer target for the Mustache engine (art_mustache.c).
 *
 * The input is compiled as a template; when it compiles it is rendered against a
 * fixed Lua data table.  The parser walks delimiters, tags and standalone lines by
 * hand over a byte range that need not be NUL-terminated, and the renderer keeps
 * its own context and indentation stacks and longjmps out of Lua on every error,
 * so both are worth running under ASan and UBSan with hostile input even though
 * production templates are written by the site's admin.
 *
 * Every partial and parent name resolves to the template itself, so a
 * self-including template reaches ART_TPL_MAX_PARTIAL_DEPTH and the indentation
 * limit instead of stopping at a missing partial.
 *
 * Work is bounded by the harness, not only by the engine: the engine bounds depth
 * and output size but not the number of expansions, so "{{>a}}{{>a}}" (two
 * self-inclusions per level, 64 levels) or sixty nested sections over one list
 * would run for ever while writing nothing.  Production templates are trusted,
 * so that is no bug, but it would make every such input a libFuzzer timeout and
 * stop the run.  Hence the resolver answers at most RESOLVE_BUDGET times per
 * input and then reports the partial as missing, and every list element has an
 * __index metamethod that counts: a section nested in a list section must look
 * its name up past the element on top of the context stack, and after
 * LOOKUP_BUDGET such misses the metamethod raises an error, which ends the
 * render through the engine's own error path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "art_buf.h"
#include "art_mustache.h"

#define OUTPUT_LIMIT   (1024 * 1024)
#define RESOLVE_BUDGET 4096
#define LOOKUP_BUDGET  100000

static lua_State *L;
static int data_ref;
static long lookups;

typedef struct {
    const art_tpl_t *self;
    int left;
} resolver_t;

static const art_tpl_t *resolve(void *baton, const char *name)
{
    resolver_t *r = baton;

    (void)name;
    if (r->left <= 0) {
        return NULL;
    }
    r->left--;
    return r->self;
}

/* __index of the list elements: a miss costs one unit of the lookup budget. */
static int counted_miss(lua_State *l)
{
    if (++lookups > LOOKUP_BUDGET) {
        return luaL_error(l, "fuzz: lookup budget exhausted");
    }
    lua_pushnil(l);
    return 1;
}

/* The data every template is rendered against: one value of each kind the
 * engine treats differently (see art_mustache.h), strings that need escaping,
 * lambdas for both call forms and one that raises, and a name for the dynamic
 * partials {{>*partial}}. */
static const char data_lua[] =
    "local counted = ...\n"
    "local miss = { __index = counted }\n"
    "local function item(i, title)\n"
    "    return setmetatable({ i = i, title = title, even = i % 2 == 0,\n"
    "                          author = { name = 'A & B <x>' } }, miss)\n"
    "end\n"
    "return {\n"
    "    title = '<script>alert(\"x\")</script> & \\'q\\'',\n"
    "    name = 'Ren\\195\\169e', empty_string = '', zero = 0, one = 1,\n"
    "    neg = -42, big = math.maxinteger, pi = 3.14159265358979, two = 2.0,\n"
    "    inf = 1 / 0, nan = 0 / 0, yes = true, no = false, empty = {},\n"
    "    partial = 'self',\n"
    "    list = { item(1, 'one <1>'), item(2, 'two & 2'), item(3, '\"three\"') },\n"
    "    site = { title = 'Site', lang = { code = 'fa', dir = 'rtl' },\n"
    "             url = 'https://example.org/?a=1&b=2' },\n"
    "    obj = setmetatable({}, { __tostring = function() return '<obj>' end }),\n"
    "    lambda = function(text)\n"
    "        if text then return '[' .. text .. ']' end\n"
    "        return '{{title}}'\n"
    "    end,\n"
    "    upper = function(text) return text and text:upper() end,\n"
    "    boom = function() error('boom') end,\n"
    "}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_loadbuffer(L, data_lua, sizeof(data_lua) - 1, "=data") != LUA_OK) {
        fprintf(stderr, "fuzz_mustache: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_pushcfunction(L, counted_miss);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_mustache: %s\n", lua_tostring(L, -1));
        abort();
    }
    data_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    art_tpl_t *t;
    char *err = NULL;

    apr_pool_create(&p, NULL);
    if (art_tpl_compile(p, "fuzz", (const char *)data, size, &t, &err)
        == APR_SUCCESS) {
        resolver_t r = { t, RESOLVE_BUDGET };
        art_buf_t out;
        int top;

        art_buf_init(&out, p, 1024);
        out.limit = OUTPUT_LIMIT;
        lookups = 0;
        lua_rawgeti(L, LUA_REGISTRYINDEX, data_ref);
        top = lua_gettop(L);
        art_tpl_render(t, L, -1, resolve, &r, &out, &err);
        /* The header promises both; a broken promise is a bug even without a
         * sanitizer report. */
        if (lua_gettop(L) != top) {
            fprintf(stderr, "fuzz_mustache: render left the Lua stack at %d, "
                    "not %d\n", lua_gettop(L), top);
            abort();
        }
        if (out.len > OUTPUT_LIMIT || out.data[out.len] != '\0') {
            fprintf(stderr, "fuzz_mustache: output of %lu bytes passed the "
                    "limit or lost its NUL\n", (unsigned long)out.len);
            abort();
        }
    }
    else if (err == NULL) {
        fprintf(stderr, "fuzz_mustache: compile failed without a message\n");
        abort();
    }
    lua_settop(L, 0);
    apr_pool_destroy(p);
    return 0;
}
