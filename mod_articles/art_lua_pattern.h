/* art_lua_pattern.h: Lua pattern matching that a filter's budget can interrupt.
 *
 * Lua counts VM instructions for its hooks, but a call into a C function is one
 * instruction however long it runs.  string.find and friends run a backtracking
 * matcher in C, so a pattern such as ".-.-.-.-.-b" against a long run of "a"
 * keeps a worker busy for minutes while neither the instruction budget nor the
 * deadline can stop it.
 *
 * art_lua_pattern_open() replaces string.find, string.match, string.gmatch and
 * string.gsub with an implementation of the Lua 5.4 patterns of the reference
 * manual (section 6.4.1) that counts its steps: one for every attempt to match
 * a single pattern item at a position, every backtracking iteration and every
 * start position tried, one per byte %b scans, and one per 32 bytes that a
 * back-reference or a plain find may compare.  Every
 * ART_PATTERN_CHECK_EVERY steps it calls the check function given at open time,
 * which may raise a Lua error (luaL_error) to abort the match; nothing the
 * matcher holds needs freeing, so a longjmp out of it is safe.  The count runs
 * on across calls in the same Lua state, so a loop of short matches reaches
 * the check at the same rate as one long match.
 *
 * Results, error messages and the points at which errors are raised are those
 * of Lua 5.4's own string library (t/unit/patterns_diff.c compares the two).
 * Nothing here depends on APR or httpd.
 */
#ifndef ART_LUA_PATTERN_H
#define ART_LUA_PATTERN_H

#include <lua.h>

/* Matching steps between two calls of the check function. */
#define ART_PATTERN_CHECK_EVERY 4096

/* Called every ART_PATTERN_CHECK_EVERY steps of matching, with the lua_State
 * of the running call (a coroutine's, in one); may raise a Lua error to abort. */
typedef void (*art_pattern_check_fn)(lua_State *L);

/* Replace find, match, gmatch and gsub in the string table at
 * string_table_idx (and so in the string metatable's __index, which is that
 * table) with budgeted versions that call check; check may be NULL.  Leaves
 * the stack as it was. */
void art_lua_pattern_open(lua_State *L, int string_table_idx,
                          art_pattern_check_fn check);

#endif
