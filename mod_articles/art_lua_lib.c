/* art_lua_lib.c: the standard library of a filter, held to its budgets.
 *
 * The VM's count hook is where the instruction and time budgets are checked,
 * and it runs neither inside a C function nor while Lua handles an error the
 * hook raised (hooks are off then), nor in a __gc finalizer.  A filter could
 * otherwise escape its budgets by catching their error, by an error handler
 * or a to-be-closed variable that never ends, or by one long library call.
 * So the library a filter sees is changed here:
 *
 * - pcall, xpcall, coroutine.resume, coroutine.wrap and coroutine.close let
 *   the error through once a budget is spent (art_lua_spent), so catching it
 *   gains nothing.  An xpcall message handler is not run once the budget is
 *   spent, and a coroutine that died of a spent budget is not closed: either
 *   would run Lua with the hook off.
 * - setmetatable refuses a metatable with __gc: finalizers run with hooks
 *   off, at any allocation and when the state is closed.
 * - every function whose work is not bounded by a constant, or by the memory
 *   it allocates (which the allocator charges), is charged before it starts
 *   for the work its arguments ask for (table.concat, string.format, ...), at
 *   one instruction per element or per SCAN_BYTES bytes.  string.rep is
 *   replaced by one whose work is the bytes of its result.  Where that amount
 *   depends on a metamethod that could answer differently when asked again
 *   (__len), the wrapper asks once and hands the answer on, or does the work
 *   itself.
 *
 * lua/README.md ("How the library is bounded") lists every function with
 * how it is bounded; keep the two in step.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "art_lua_int.h"

#define SCAN_BYTES 16            /* bytes scanned or copied per instruction */

/* ---------------------------------------------------------------- helpers */

/* Work as an instruction count, saturating instead of overflowing. */
static lua_Integer work(double units)
{
    return units >= 9.0e18 ? LUA_MAXINTEGER : units <= 0 ? 0
        : (lua_Integer)units;
}

static lua_Integer bytes_work(size_t n)
{
    return (lua_Integer)(n / SCAN_BYTES);
}

/* Lua's rule for string positions: negative counts from the end, clamped. */
static size_t str_pos(lua_Integer pos, size_t len)
{
    if (pos > 0) {
        return (size_t)pos;
    }
    if (pos == 0) {
        return 1;
    }
    if (pos < -(lua_Integer)len) {
        return 1;
    }
    return len + (size_t)pos + 1;
}

/* Elements from i to j inclusive (0 when empty). */
static double span(lua_Integer i, lua_Integer j)
{
    return j < i ? 0 : (double)j - (double)i + 1;
}

/* The string arguments from index first on: their total length. */
static size_t string_args(lua_State *L, int first)
{
    size_t total = 0, l;
    int i;

    for (i = first; i <= lua_gettop(L); i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            lua_tolstring(L, i, &l);
            total += l;
        }
    }
    return total;
}

/* Sizes a string.pack format asks for with "c<n>": padding is written a byte
 * at a time. */
static double pack_sizes(const char *fmt)
{
    double total = 0;

    for (; *fmt; fmt++) {
        if (*fmt == 'c') {
            double n = 0;
            while (fmt[1] >= '0' && fmt[1] <= '9') {
                n = n * 10 + (fmt[1] - '0');
                fmt++;
            }
            total += n;
        }
    }
    return total;
}

/* Tables, or values whose metatable makes them indexable (what the table
 * library accepts). */
static void check_tablelike(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TTABLE) {
        return;
    }
    if (!lua_getmetatable(L, idx)) {
        luaL_checktype(L, idx, LUA_TTABLE);
    }
    lua_pop(L, 1);
}

/* ---------------------------------------------------------------- costs */

/* Each returns the work (in instructions) of the call whose arguments are on
 * the stack, raising on bad arguments first; some fix an argument they had
 * to compute (a length) so that the library function does not ask again. */
typedef lua_Integer (*cost_fn)(lua_State *L);

static lua_Integer cost_byte(lua_State *L)
{
    size_t l;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer i = luaL_optinteger(L, 2, 1);
    size_t pi = str_pos(i, l);
    lua_Integer j = luaL_optinteger(L, 3, (lua_Integer)pi);
    size_t pj = j < -(lua_Integer)l ? 0 : j < 0 ? l + (size_t)j + 1
        : (size_t)j > l ? l : (size_t)j;

    (void)s;
    return work(span((lua_Integer)pi, (lua_Integer)pj));
}

static lua_Integer cost_args(lua_State *L)
{
    return lua_gettop(L);
}

static lua_Integer cost_format(lua_State *L)
{
    size_t l;

    luaL_checklstring(L, 1, &l);
    return lua_gettop(L) + bytes_work(l) + bytes_work(string_args(L, 2));
}

static lua_Integer cost_scan1(lua_State *L)
{
    size_t l;

    luaL_checklstring(L, 1, &l);
    return bytes_work(l);
}

static lua_Integer cost_pack(lua_State *L)
{
    size_t l;
    const char *fmt = luaL_checklstring(L, 1, &l);

    return work((double)l + (double)lua_gettop(L)
                + (double)string_args(L, 2) / SCAN_BYTES
                + pack_sizes(fmt) / SCAN_BYTES);
}

static lua_Integer cost_packsize(lua_State *L)
{
    size_t l;

    luaL_checklstring(L, 1, &l);
    return (lua_Integer)l;
}

static lua_Integer cost_unpack(lua_State *L)
{
    size_t l, ls;
    const char *fmt = luaL_checklstring(L, 1, &l);

    luaL_checklstring(L, 2, &ls);
    /* A "c<n>" copies at most the data there is. */
    return work((double)l + fmin(pack_sizes(fmt), (double)ls) / SCAN_BYTES);
}

static lua_Integer cost_tonumber(lua_State *L)
{
    size_t l = 0;

    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_tolstring(L, 1, &l);
    }
    return bytes_work(l);
}

/* table.concat(t, sep, i, j) and table.unpack(t, i, j): the range, with j
 * computed once and passed on. */
static lua_Integer cost_range(lua_State *L, int i_idx)
{
    lua_Integer i = luaL_optinteger(L, i_idx, 1);
    lua_Integer j = luaL_opt(L, luaL_checkinteger, i_idx + 1, luaL_len(L, 1));

    lua_settop(L, i_idx + 1);
    lua_pushinteger(L, i);
    lua_replace(L, i_idx);
    lua_pushinteger(L, j);
    lua_replace(L, i_idx + 1);
    return work(span(i, j));
}

static lua_Integer cost_concat(lua_State *L)
{
    check_tablelike(L, 1);
    luaL_optstring(L, 2, "");
    return cost_range(L, 3);
}

static lua_Integer cost_unpack_table(lua_State *L)
{
    return cost_range(L, 2);
}

static lua_Integer cost_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);

    luaL_checkinteger(L, 4);
    return work(span(f, e));
}

static lua_Integer cost_utf8_range(lua_State *L)
{
    size_t l;
    lua_Integer i, j;

    luaL_checklstring(L, 1, &l);
    i = (lua_Integer)str_pos(luaL_optinteger(L, 2, 1), l);
    j = luaL_optinteger(L, 3, i);
    j = j < 0 ? (lua_Integer)l + j + 1 : j;
    return work(span(i, j > (lua_Integer)l ? (lua_Integer)l : j));
}

static lua_Integer cost_utf8_len(lua_State *L)
{
    size_t l;
    lua_Integer i, j;

    luaL_checklstring(L, 1, &l);
    i = (lua_Integer)str_pos(luaL_optinteger(L, 2, 1), l);
    j = luaL_optinteger(L, 3, -1);
    j = j < 0 ? (lua_Integer)l + j + 1 : j;
    return work(span(i, j > (lua_Integer)l ? (lua_Integer)l : j) / SCAN_BYTES);
}

/* utf8.offset scans forward or back from i over at most the whole string;
 * charged for the bytes on the side it walks. */
static lua_Integer cost_utf8_offset(lua_State *L)
{
    size_t l;
    lua_Integer n, i;

    luaL_checklstring(L, 1, &l);
    n = luaL_checkinteger(L, 2);
    i = luaL_optinteger(L, 3, n >= 0 ? 1 : (lua_Integer)l + 1);
    i = i < 0 ? (lua_Integer)l + i + 1 : i;
    if (i < 1 || i > (lua_Integer)l + 1) {
        return 0;                /* the library raises "out of bounds" */
    }
    return bytes_work(n > 0 ? l - (size_t)i + 1 : (size_t)i);
}

static lua_Integer cost_date(lua_State *L)
{
    size_t l = 0;

    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_tolstring(L, 1, &l);
    }
    return (lua_Integer)l;
}

/* ---------------------------------------------------------------- charged */

typedef struct {
    const char *lib;             /* global table, NULL: a base function */
    const char *name;
    cost_fn cost;
} charged_t;

static const charged_t charged[] = {
    { "string", "byte", cost_byte },
    { "string", "char", cost_args },
    { "string", "format", cost_format },
    { "string", "lower", cost_scan1 },
    { "string", "upper", cost_scan1 },
    { "string", "reverse", cost_scan1 },
    { "string", "pack", cost_pack },
    { "string", "packsize", cost_packsize },
    { "string", "unpack", cost_unpack },
    { "table", "concat", cost_concat },
    { "table", "unpack", cost_unpack_table },
    { "table", "move", cost_move },
    { "table", "pack", cost_args },
    { "utf8", "char", cost_args },
    { "utf8", "codepoint", cost_utf8_range },
    { "utf8", "len", cost_utf8_len },
    { "utf8", "offset", cost_utf8_offset },
    { "os", "date", cost_date },
    { NULL, "tonumber", cost_tonumber },
    { NULL, NULL, NULL }
};

/* upvalue 1: the library function; 2: its index in charged[].  Charges the
 * call, makes it, and checks the clock again after it. */
static int charged_call(lua_State *L)
{
    const charged_t *c = &charged[lua_tointeger(L, lua_upvalueindex(2))];

    art_lua_charge(L, 1 + c->cost(L));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    art_lua_charge(L, 0);
    return lua_gettop(L);
}

/* ---------------------------------------------------------------- string.rep */

/* Lua's longest string.rep result (lstrlib.c's MAXSIZE on 64-bit systems). */
#define REP_MAX ((size_t)INT_MAX)

/* string.rep(s, n [, sep]).  The library's copies s (and sep) once per
 * repetition, so string.rep("", 1e15) loops for hours without allocating;
 * this one copies the first repetition and then doubles what is written, so
 * its work is the result's bytes, charged before they are written (a result
 * larger than the memory cap fails at its allocation instead). */
static int str_rep(lua_State *L)
{
    size_t l, lsep, unit, body, total, done, k;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    luaL_Buffer b;
    char *p;

    art_lua_charge(L, 1);
    if (n <= 0 || (l == 0 && lsep == 0)) {
        lua_pushliteral(L, "");
        return 1;
    }
    unit = l + lsep;
    if (unit < l || unit > REP_MAX / (size_t)n) {
        return luaL_error(L, "resulting string too large");
    }
    body = (size_t)(n - 1) * unit;   /* n - 1 times s..sep, then s */
    total = body + l;
    if (total <= art_lua_st(L)->mem_limit) {
        art_lua_charge(L, bytes_work(total));
    }
    p = luaL_buffinitsize(L, &b, total);
    if (body > 0) {
        memcpy(p, s, l);
        memcpy(p + l, sep, lsep);
        for (done = unit; done < body; done += k) {
            k = done < body - done ? done : body - done;
            memcpy(p + done, p, k);
        }
    }
    memcpy(p + body, s, l);
    luaL_pushresultsize(&b, total);
    return 1;
}

/* ---------------------------------------------------------------- table */

/* table.insert and table.remove shift elements one by one through the
 * table's metamethods; they ask __len once, charge the shift, and do it. */
static int tab_insert(lua_State *L)
{
    lua_Integer e, pos, i;

    check_tablelike(L, 1);
    e = luaL_len(L, 1) + 1;      /* the first empty slot */
    switch (lua_gettop(L)) {
    case 2:
        pos = e;
        break;
    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2,
                      "position out of bounds");
        art_lua_charge(L, 1 + work(span(pos + 1, e)));
        for (i = e; i > pos; i--) {
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
        }
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int tab_remove(lua_State *L)
{
    lua_Integer size, pos;

    check_tablelike(L, 1);
    size = luaL_len(L, 1);
    pos = luaL_optinteger(L, 2, size);
    if (pos != size) {
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2,
                      "position out of bounds");
    }
    art_lua_charge(L, 1 + work(span(pos, size - 1)));
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) {
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

/* table.sort(t [, comp]), upvalue 1 the library's sort.  A plain table's
 * length cannot change under it, so the sort is charged n log n comparisons
 * and made; a table with a metatable is read once into a plain one (its
 * __len asked once), sorted there and written back. */
static int tab_sort(lua_State *L)
{
    lua_Integer n, i;
    int proxy;

    check_tablelike(L, 1);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
    }
    lua_settop(L, 2);
    proxy = lua_getmetatable(L, 1);
    if (proxy) {
        lua_pop(L, 1);
    }
    n = luaL_len(L, 1);
    if (n < 2) {
        return 0;
    }
    art_lua_charge(L, work((double)n * (2 + 2 * log2((double)n))
                           + (proxy ? 2.0 * (double)n : 0)));
    lua_pushvalue(L, lua_upvalueindex(1));
    if (proxy) {
        lua_createtable(L, n < 1 << 24 ? (int)n : 0, 0);
        for (i = 1; i <= n; i++) {
            lua_geti(L, 1, i);
            lua_seti(L, -2, i);
        }
    }
    else {
        lua_pushvalue(L, 1);
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_replace(L, 2);           /* 2: the table sorted (1 itself, or a copy) */
    lua_call(L, 2, 0);
    for (i = 1; proxy && i <= n; i++) {
        lua_geti(L, 2, i);
        lua_seti(L, 1, i);
    }
    return 0;
}

/* ---------------------------------------------------------------- utf8.codes */

/* upvalue 1: the library's iterator.  A step skips continuation bytes, which
 * may be the rest of the string: it is charged for those first. */
static int codes_step(lua_State *L)
{
    size_t l;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = lua_tointeger(L, 2);
    size_t k = n > 0 ? (size_t)n : 0;

    while (k < l && (s[k] & 0xC0) == 0x80) {
        k++;
    }
    art_lua_charge(L, 1 + bytes_work(k - (n > 0 ? (size_t)n : 0)));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* utf8.codes(s [, lax]), upvalue 1 the library's: the same, stepped by
 * codes_step. */
static int utf8_codes(lua_State *L)
{
    int n;

    art_lua_charge(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    n = lua_gettop(L);
    if (n >= 1) {
        lua_pushvalue(L, 1);
        lua_pushcclosure(L, codes_step, 1);
        lua_replace(L, 1);
    }
    return n;
}

/* ---------------------------------------------------------------- catching */

/* Ends pcall and xpcall (also after a yield inside them): results as the
 * library's, except that a spent budget's error goes on up. */
static int catch_finish(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        if (status == LUA_ERRMEM) {
            art_lua_note_errmem(L);
        }
        if (art_lua_spent(L)) {
            return lua_error(L);
        }
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    if (art_lua_spent(L)) {
        return art_lua_raise_spent(L);
    }
    return lua_gettop(L) - (int)extra;
}

static int guard_pcall(lua_State *L)
{
    int status;

    art_lua_charge(L, 0);
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, catch_finish);
    return catch_finish(L, status, 0);
}

/* The message handler of an xpcall, upvalue 1 the filter's: not run once a
 * budget is spent (the hook raised the error, and hooks are off until the
 * error is caught). */
static int guard_handler(lua_State *L)
{
    if (art_lua_spent(L)) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int guard_xpcall(lua_State *L)
{
    int n = lua_gettop(L), status;

    art_lua_charge(L, 0);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guard_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);         /* f, handler, true, f, args... */
    status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, catch_finish);
    return catch_finish(L, status, 2);
}

/* After a coroutine ran: a memory error in it spends the memory budget, and
 * a spent budget's error goes on up instead of being returned. */
static void after_coroutine(lua_State *L, lua_State *co)
{
    if (co && lua_status(co) == LUA_ERRMEM) {
        art_lua_note_errmem(L);
    }
    if (art_lua_spent(L)) {
        art_lua_raise_spent(L);
    }
}

/* coroutine.resume and coroutine.close, upvalue 1 the library's. */
static int guard_coroutine(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);

    art_lua_charge(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    after_coroutine(L, co);
    return lua_gettop(L);
}

/* The function coroutine.wrap returns; upvalue 1 the coroutine, 2 the
 * library's resume.  As the library's, but a coroutine that died of a spent
 * budget is left unclosed (its __close handlers would run with hooks off). */
static int wrap_call(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int status;

    art_lua_charge(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_rotate(L, 1, 2);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    after_coroutine(L, co);
    if (lua_toboolean(L, 1)) {
        return lua_gettop(L) - 1;
    }
    status = lua_status(co);
    if (status != LUA_OK && status != LUA_YIELD) {
#if LUA_VERSION_RELEASE_NUM >= 50406
        lua_closethread(co, L);
#else
        lua_resetthread(co);
#endif
        after_coroutine(L, NULL);
    }
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* coroutine.wrap(f), upvalue 1 the library's resume. */
static int guard_wrap(lua_State *L)
{
    lua_State *co;

    art_lua_charge(L, 1);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, wrap_call, 2);
    return 1;
}

/* setmetatable(t, mt): no finalizers.  The lazy page is settled first: a
 * metatable of the filter's own replaces the one that would have computed
 * the page's missing fields.  The rest is the library's setmetatable done
 * here rather than called: a filter may call this once per listed article
 * (lua/language.lua's wrappers), and a second C call per wrapper cost more
 * than the checks themselves.  Upvalue 1 is the string "__gc", made once:
 * making it from a C string on every call cost as much as the rest. */
static int guard_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);

    art_lua_page_settle(L, 1);
    if (t == LUA_TTABLE) {
        lua_pushvalue(L, lua_upvalueindex(1));
        if (lua_rawget(L, 2) != LUA_TNIL) {
            return luaL_argerror(L, 2, "__gc finalizers are not available to "
                                 "filters");
        }
        lua_pop(L, 1);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
        return luaL_error(L, "cannot change a protected metatable");
    }
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* next and rawget, upvalue 1 the library's: raw access to the lazy page
 * settles it first, so it sees every field the eager page model held. */
static int settle_first(lua_State *L)
{
    art_lua_page_settle(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ---------------------------------------------------------------- open */

/* Replace t[name] (t at idx, or the globals) with f closed over the old
 * value and, when index >= 0, over index. */
static void wrap_field(lua_State *L, const char *lib, const char *name,
                       lua_CFunction f, lua_Integer index)
{
    if (lib) {
        lua_getglobal(L, lib);
    }
    else {
        lua_pushglobaltable(L);
    }
    lua_getfield(L, -1, name);
    if (index >= 0) {
        lua_pushinteger(L, index);
    }
    lua_pushcclosure(L, f, index >= 0 ? 2 : 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

void art_lua_lib_open(lua_State *L)
{
    int i;

    for (i = 0; charged[i].name; i++) {
        wrap_field(L, charged[i].lib, charged[i].name, charged_call, i);
    }
    wrap_field(L, "table", "sort", tab_sort, -1);
    lua_getglobal(L, "string");
    lua_pushcfunction(L, str_rep);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 1);
    wrap_field(L, "utf8", "codes", utf8_codes, -1);
    lua_pushliteral(L, "__gc");
    lua_pushcclosure(L, guard_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    wrap_field(L, NULL, "next", settle_first, -1);
    wrap_field(L, NULL, "rawget", settle_first, -1);
    wrap_field(L, "coroutine", "resume", guard_coroutine, -1);
    wrap_field(L, "coroutine", "close", guard_coroutine, -1);
    /* wrap is made from resume (the library's, not the guard). */
    lua_getglobal(L, "coroutine");
    lua_getfield(L, -1, "resume");
    lua_getupvalue(L, -1, 1);
    lua_pushcclosure(L, guard_wrap, 1);
    lua_setfield(L, -3, "wrap");
    lua_pop(L, 2);

    lua_getglobal(L, "table");
    lua_pushcfunction(L, tab_insert);
    lua_setfield(L, -2, "insert");
    lua_pushcfunction(L, tab_remove);
    lua_setfield(L, -2, "remove");
    lua_pop(L, 1);
    lua_pushcfunction(L, guard_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, guard_xpcall);
    lua_setglobal(L, "xpcall");
}
