/* art_lua_pattern.c: string.find, match, gmatch and gsub with a step budget.
 *
 * See art_lua_pattern.h for why this exists.  The matcher is a backtracking
 * interpreter that walks the pattern text directly, as the manual's description
 * of patterns suggests: a pattern is a sequence of items, each a single-
 * character class with an optional quantifier, a capture parenthesis, a
 * back-reference, %b, %f, or a final '$'.  Pattern errors are raised only when
 * the matcher reaches the faulty item, so "x[" finds nothing in "abc" without
 * complaint; that is Lua's behaviour and a compiled form would change it.
 *
 * Every recursive call of pat_do() costs C stack, so their nesting is limited
 * (PAT_MAX_DEPTH, "pattern too complex").  Recursion happens where backtracking
 * needs a way back: after an optional item, at every length tried for '*',
 * '+' and '-', and at capture boundaries, which must be undone when the rest of
 * the pattern fails.  Everything else is a loop.
 *
 * Steps are counted in pat_state_t.left, a copy of the per-Lua-state count
 * (pat_budget_t) kept in a local struct so the hot loops do not chase a
 * pointer; the copy goes back to the shared count whenever Lua code may run
 * (check function, gsub's replacement function or __index) and when a call
 * ends.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "art_lua_pattern.h"

#define PAT_ESC          '%'
#define PAT_MAX_DEPTH    200  /* nested pat_do() calls; Lua's limit too */
#define PAT_MAX_CAPTURES 32   /* Lua's LUA_MAXCAPTURES */
#define PAT_OPEN         (-1) /* capture length while it is open */
#define PAT_POSITION     (-2) /* capture length of a position capture "()" */
#define PAT_CMP_STEP     32   /* bytes compared by memcmp per step */

typedef const unsigned char *pat_ptr;

/* Shared by the four functions of one Lua state: their upvalue. */
typedef struct {
    art_pattern_check_fn check;  /* NULL: count only */
    ptrdiff_t left;              /* steps until the next check */
} pat_budget_t;

typedef struct {
    pat_ptr init;                /* where the capture starts in the subject */
    ptrdiff_t len;               /* its length, PAT_OPEN or PAT_POSITION */
} pat_capture_t;

typedef struct {
    lua_State *L;                /* the running call's state, for errors */
    pat_budget_t *budget;
    ptrdiff_t left;              /* working copy of budget->left */
    int depth;                   /* pat_do() calls that may still nest */
    int level;                   /* captures started, open or closed */
    pat_ptr src, src_end;        /* the subject */
    pat_ptr pat_end;             /* end of the pattern */
    pat_capture_t cap[PAT_MAX_CAPTURES];
} pat_state_t;

/* ---------------------------------------------------------------- budget */

/* Called when the step count runs out: one check per ART_PATTERN_CHECK_EVERY
 * steps charged, the shared count brought up to date first because check may
 * not return. */
static void pat_tick(pat_state_t *ms)
{
    while (ms->left <= 0) {
        ms->left += ART_PATTERN_CHECK_EVERY;
        ms->budget->left = ms->left;
        if (ms->budget->check) {
            ms->budget->check(ms->L);
        }
    }
}

#define PAT_STEPS(ms, n) do {                                                \
        if (((ms)->left -= (ptrdiff_t)(n)) <= 0) {                           \
            pat_tick(ms);                                                    \
        }                                                                    \
    } while (0)

/* Bring the shared count up to date (before Lua code can run) and back. */
static void pat_save(pat_state_t *ms)
{
    ms->budget->left = ms->left;
}

static void pat_load(pat_state_t *ms)
{
    ms->left = ms->budget->left;
}

/* ---------------------------------------------------------------- classes */

/* Whether byte c is in class %cl; an upper-case letter is the complement, any
 * other byte stands for itself ("%." is a dot). */
static int pat_class(int c, int cl)
{
    int in;

    switch (tolower(cl)) {
    case 'a': in = isalpha(c); break;
    case 'c': in = iscntrl(c); break;
    case 'd': in = isdigit(c); break;
    case 'g': in = isgraph(c); break;
    case 'l': in = islower(c); break;
    case 'p': in = ispunct(c); break;
    case 's': in = isspace(c); break;
    case 'u': in = isupper(c); break;
    case 'w': in = isalnum(c); break;
    case 'x': in = isxdigit(c); break;
    case 'z': in = (c == 0); break;   /* Lua 5.1's name for "\0", still accepted */
    default: return cl == c;
    }
    return isupper(cl) ? !in : in;
}

/* Whether byte c is in the set that opens at p ('[') and closes at close
 * (its ']'). */
static int pat_in_set(int c, pat_ptr p, pat_ptr close)
{
    int hit = 1;                 /* answer when c is listed */

    p++;
    if (*p == '^') {
        hit = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == PAT_ESC) {
            p++;
            if (pat_class(c, *p)) {
                return hit;
            }
        }
        else if (p[1] == '-' && p + 2 < close) {
            if (p[0] <= c && c <= p[2]) {
                return hit;
            }
            p += 2;
        }
        else if (*p == c) {
            return hit;
        }
    }
    return !hit;
}

/* End of the single-character class that starts at p: a byte, ".", %x or a
 * set.  The first byte of a set is a member whatever it is, so "[]]" and
 * "[^]]" contain "]".  Reading *p at pat_end is safe: a Lua string always
 * has a "\0" after its last byte. */
static pat_ptr pat_class_end(pat_state_t *ms, pat_ptr p)
{
    switch (*p++) {
    case PAT_ESC:
        if (p == ms->pat_end) {
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        }
        return p + 1;
    case '[':
        if (*p == '^') {
            p++;
        }
        do {
            if (p == ms->pat_end) {
                luaL_error(ms->L, "malformed pattern (missing ']')");
            }
            if (*p++ == PAT_ESC && p < ms->pat_end) {
                p++;
            }
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

/* Whether the byte at s is in the class from p to ep; one step. */
static int pat_single(pat_state_t *ms, pat_ptr s, pat_ptr p, pat_ptr ep)
{
    PAT_STEPS(ms, 1);
    if (s >= ms->src_end) {
        return 0;
    }
    switch (*p) {
    case '.':
        return 1;
    case PAT_ESC:
        return pat_class(*s, p[1]);
    case '[':
        return pat_in_set(*s, p, ep - 1);
    default:
        return *p == *s;
    }
}

/* ---------------------------------------------------------------- matcher */

static pat_ptr pat_do(pat_state_t *ms, pat_ptr s, pat_ptr p);

/* Start capture number ms->level at s, then match p; the capture is dropped
 * again when that fails. */
static pat_ptr pat_open(pat_state_t *ms, pat_ptr s, pat_ptr p, ptrdiff_t kind)
{
    pat_ptr e;

    if (ms->level >= PAT_MAX_CAPTURES) {
        luaL_error(ms->L, "too many captures");
    }
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = kind;
    ms->level++;
    e = pat_do(ms, s, p);
    if (e == NULL) {
        ms->level--;
    }
    return e;
}

/* Close the innermost open capture at s, then match p; reopen it when that
 * fails, since an earlier alternative may close it elsewhere. */
static pat_ptr pat_close(pat_state_t *ms, pat_ptr s, pat_ptr p)
{
    int i = ms->level - 1;
    pat_ptr e;

    while (i >= 0 && ms->cap[i].len != PAT_OPEN) {
        i--;
    }
    if (i < 0) {
        luaL_error(ms->L, "invalid pattern capture");
    }
    ms->cap[i].len = s - ms->cap[i].init;
    e = pat_do(ms, s, p);
    if (e == NULL) {
        ms->cap[i].len = PAT_OPEN;
    }
    return e;
}

/* %bxy at s (p points at x): the end of the balanced run, or NULL. */
static pat_ptr pat_balance(pat_state_t *ms, pat_ptr s, pat_ptr p)
{
    int open, close;
    long depth = 1;
    pat_ptr q;

    if (p + 1 >= ms->pat_end) {
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    }
    if (s >= ms->src_end || *s != *p) {
        return NULL;
    }
    open = p[0];
    close = p[1];
    for (q = s + 1; q < ms->src_end; q++) {
        if (*q == close) {
            if (--depth == 0) {
                PAT_STEPS(ms, q - s);
                return q + 1;
            }
        }
        else if (*q == open) {
            depth++;
        }
    }
    PAT_STEPS(ms, q - s);
    return NULL;
}

/* %f[set] at s (p points at the "f"): s if the byte before s is not in the
 * set and the byte at s is; the subject's ends count as "\0". */
static pat_ptr pat_frontier(pat_state_t *ms, pat_ptr s, pat_ptr p, pat_ptr *next)
{
    pat_ptr ep;
    int before, at;

    p++;
    if (*p != '[') {
        luaL_error(ms->L, "missing '[' after '%%f' in pattern");
    }
    ep = pat_class_end(ms, p);
    *next = ep;
    PAT_STEPS(ms, 1);
    before = s > ms->src ? s[-1] : 0;
    at = s < ms->src_end ? *s : 0;
    if (!pat_in_set(before, p, ep - 1) && pat_in_set(at, p, ep - 1)) {
        return s;
    }
    return NULL;
}

/* %1-%9 at s: the end of a copy of that capture, or NULL.  A position
 * capture has no text, and Lua lets a reference to one fail to match. */
static pat_ptr pat_backref(pat_state_t *ms, pat_ptr s, int digit)
{
    int i = digit - '1';
    size_t len;

    if (i < 0 || i >= ms->level || ms->cap[i].len == PAT_OPEN) {
        luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    }
    if (ms->cap[i].len == PAT_POSITION) {
        return NULL;
    }
    len = (size_t)ms->cap[i].len;
    PAT_STEPS(ms, 1 + len / PAT_CMP_STEP);
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[i].init, s, len) == 0) {
        return s + len;
    }
    return NULL;
}

/* Item p..ep repeated as often as it matches from s, then fewer times until
 * the rest of the pattern (after the quantifier at ep) matches. */
static pat_ptr pat_greedy(pat_state_t *ms, pat_ptr s, pat_ptr p, pat_ptr ep)
{
    ptrdiff_t n = 0;
    pat_ptr e;

    while (pat_single(ms, s + n, p, ep)) {
        n++;
    }
    for (; n >= 0; n--) {
        PAT_STEPS(ms, 1);
        e = pat_do(ms, s + n, ep + 1);
        if (e) {
            return e;
        }
    }
    return NULL;
}

/* Item p..ep repeated as few times as the rest of the pattern allows. */
static pat_ptr pat_lazy(pat_state_t *ms, pat_ptr s, pat_ptr p, pat_ptr ep)
{
    pat_ptr e;

    for (;;) {
        e = pat_do(ms, s, ep + 1);
        if (e) {
            return e;
        }
        if (!pat_single(ms, s, p, ep)) {
            return NULL;
        }
        s++;
    }
}

/* Match pattern p (up to ms->pat_end) at subject position s: the end of the
 * match, or NULL.  Captures are left in ms. */
static pat_ptr pat_do(pat_state_t *ms, pat_ptr s, pat_ptr p)
{
    pat_ptr ep, e;

    if (ms->depth-- == 0) {
        luaL_error(ms->L, "pattern too complex");
    }
    while (p < ms->pat_end) {
        switch (*p) {
        case '(':
            if (p + 1 < ms->pat_end && p[1] == ')') {
                s = pat_open(ms, s, p + 2, PAT_POSITION);
            }
            else {
                s = pat_open(ms, s, p + 1, PAT_OPEN);
            }
            goto done;
        case ')':
            s = pat_close(ms, s, p + 1);
            goto done;
        case '$':
            if (p + 1 == ms->pat_end) {
                if (s != ms->src_end) {
                    s = NULL;
                }
                goto done;
            }
            break;               /* elsewhere a '$' is itself */
        case PAT_ESC:
            if (p + 1 < ms->pat_end) {
                if (p[1] == 'b') {
                    s = pat_balance(ms, s, p + 2);
                    if (s == NULL) {
                        goto done;
                    }
                    p += 4;
                    continue;
                }
                if (p[1] == 'f') {
                    s = pat_frontier(ms, s, p + 1, &p);
                    if (s == NULL) {
                        goto done;
                    }
                    continue;
                }
                if (isdigit(p[1])) {
                    s = pat_backref(ms, s, p[1]);
                    if (s == NULL) {
                        goto done;
                    }
                    p += 2;
                    continue;
                }
            }
            break;               /* a class such as %a */
        default:
            break;
        }

        ep = pat_class_end(ms, p);
        if (!pat_single(ms, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') {
                p = ep + 1;      /* zero repetitions are allowed */
                continue;
            }
            s = NULL;
            goto done;
        }
        switch (*ep) {
        case '?':
            e = pat_do(ms, s + 1, ep + 1);
            if (e) {
                s = e;
                goto done;
            }
            p = ep + 1;
            continue;
        case '+':
            s = pat_greedy(ms, s + 1, p, ep);
            goto done;
        case '*':
            s = pat_greedy(ms, s, p, ep);
            goto done;
        case '-':
            s = pat_lazy(ms, s, p, ep);
            goto done;
        default:
            s++;
            p = ep;
            continue;
        }
    }
done:
    ms->depth++;
    return s;
}

/* ---------------------------------------------------------------- calls */

static void pat_begin(pat_state_t *ms, lua_State *L, pat_budget_t *b,
                      const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->budget = b;
    ms->left = b->left;
    ms->src = (pat_ptr)s;
    ms->src_end = ms->src + ls;
    ms->pat_end = (pat_ptr)p + lp;
}

/* Match the pattern starting at p at subject position s, from scratch. */
static pat_ptr pat_try(pat_state_t *ms, pat_ptr s, pat_ptr p)
{
    ms->level = 0;
    ms->depth = PAT_MAX_DEPTH;
    PAT_STEPS(ms, 1);
    return pat_do(ms, s, p);
}

/* Capture i of the match s..e (the whole match if there are no captures and i
 * is 0): sets *text and returns the length, or pushes the position and
 * returns PAT_POSITION. */
static ptrdiff_t pat_capture(pat_state_t *ms, int i, pat_ptr s, pat_ptr e,
                             pat_ptr *text)
{
    if (i >= ms->level) {
        if (i != 0) {
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        }
        *text = s;
        return e - s;
    }
    if (ms->cap[i].len == PAT_OPEN) {
        luaL_error(ms->L, "unfinished capture");
    }
    if (ms->cap[i].len == PAT_POSITION) {
        lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    }
    *text = ms->cap[i].init;
    return ms->cap[i].len;
}

static void pat_push_capture(pat_state_t *ms, int i, pat_ptr s, pat_ptr e)
{
    pat_ptr text;
    ptrdiff_t len = pat_capture(ms, i, s, e, &text);

    if (len != PAT_POSITION) {
        lua_pushlstring(ms->L, (const char *)text, (size_t)len);
    }
}

/* Push every capture, or the whole match s..e when there are none (unless s
 * is NULL, as for find, which returns the position instead).  Returns how
 * many values were pushed. */
static int pat_push_captures(pat_state_t *ms, pat_ptr s, pat_ptr e)
{
    int i, n = (ms->level == 0 && s) ? 1 : ms->level;

    luaL_checkstack(ms->L, n, "too many captures");
    for (i = 0; i < n; i++) {
        pat_push_capture(ms, i, s, e);
    }
    return n;
}

/* A 1-based start argument, negative from the end, as a 1-based index that
 * may be past the end but not before the start. */
static size_t pat_start(lua_Integer pos, size_t len)
{
    if (pos > 0) {
        return (size_t)pos;
    }
    if (pos == 0 || pos < -(lua_Integer)len) {
        return 1;
    }
    return len + (size_t)pos + 1;
}

static int pat_has_specials(const char *p, size_t lp)
{
    size_t i;

    for (i = 0; i < lp; i++) {
        switch (p[i]) {
        case '^': case '$': case '*': case '+': case '?':
        case '.': case '(': case '[': case '%': case '-':
            return 1;
        default:
            break;
        }
    }
    return 0;
}

/* Byte string p in s..s+ls; a step per candidate found by memchr, plus one
 * per PAT_CMP_STEP bytes the comparison may read, so that a long needle with
 * many near misses is paid for. */
static const char *pat_plain(pat_state_t *ms, const char *s, size_t ls,
                             const char *p, size_t lp)
{
    const char *c, *last;

    if (lp == 0) {
        return s;
    }
    if (lp > ls) {
        return NULL;
    }
    last = s + (ls - lp);
    for (c = s; c <= last; c++) {
        c = memchr(c, *p, (size_t)(last - c) + 1);
        if (c == NULL) {
            return NULL;
        }
        PAT_STEPS(ms, 1 + lp / PAT_CMP_STEP);
        if (memcmp(c + 1, p + 1, lp - 1) == 0) {
            return c;
        }
    }
    return NULL;
}

static pat_budget_t *pat_budget(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* find and match: the same search, different results. */
static int pat_search(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = pat_start(luaL_optinteger(L, 3, 1), ls) - 1;
    pat_state_t ms;
    pat_ptr s1, e;
    int anchor;

    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    pat_begin(&ms, L, pat_budget(L), s, ls, p, lp);
    if (find && (lua_toboolean(L, 4) || !pat_has_specials(p, lp))) {
        const char *at = pat_plain(&ms, s + init, ls - init, p, lp);

        pat_save(&ms);
        if (at == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (at - s) + 1);
        lua_pushinteger(L, (lua_Integer)((at - s) + lp));
        return 2;
    }
    anchor = (lp > 0 && *p == '^');
    if (anchor) {
        p++;
    }
    s1 = ms.src + init;
    for (;;) {
        e = pat_try(&ms, s1, (pat_ptr)p);
        if (e) {
            pat_save(&ms);
            if (find) {
                lua_pushinteger(L, (s1 - ms.src) + 1);
                lua_pushinteger(L, e - ms.src);
                return 2 + pat_push_captures(&ms, NULL, NULL);
            }
            return pat_push_captures(&ms, s1, e);
        }
        if (anchor || s1 >= ms.src_end) {
            break;
        }
        s1++;
    }
    pat_save(&ms);
    luaL_pushfail(L);
    return 1;
}

static int pat_find(lua_State *L)
{
    return pat_search(L, 1);
}

static int pat_match(lua_State *L)
{
    return pat_search(L, 0);
}

/* ---------------------------------------------------------------- gmatch */

typedef struct {
    pat_state_t ms;
    pat_ptr pat;                 /* the pattern; "^" is no anchor here */
    pat_ptr next;                /* where the next search starts */
    pat_ptr last;                /* end of the last match: no empty match there */
} pat_gmatch_t;

/* Upvalues: subject, pattern (kept alive for the pointers in the state),
 * the pat_gmatch_t, the budget. */
static int pat_gmatch_next(lua_State *L)
{
    pat_gmatch_t *gm = lua_touserdata(L, lua_upvalueindex(3));
    pat_state_t *ms = &gm->ms;
    pat_ptr s, e;

    ms->L = L;
    pat_load(ms);
    for (s = gm->next; s <= ms->src_end; s++) {
        e = pat_try(ms, s, gm->pat);
        if (e && e != gm->last) {
            gm->next = gm->last = e;
            pat_save(ms);
            return pat_push_captures(ms, s, e);
        }
    }
    pat_save(ms);
    return 0;
}

static int pat_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = pat_start(luaL_optinteger(L, 3, 1), ls) - 1;
    pat_gmatch_t *gm;

    lua_settop(L, 2);
    gm = lua_newuserdatauv(L, sizeof(*gm), 0);
    pat_begin(&gm->ms, L, pat_budget(L), s, ls, p, lp);
    /* Past the end: no match, and no pointer beyond the terminating "\0". */
    gm->next = gm->ms.src + (init > ls ? ls + 1 : init);
    gm->last = NULL;
    gm->pat = (pat_ptr)p;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, pat_gmatch_next, 4);
    return 1;
}

/* ---------------------------------------------------------------- gsub */

/* Append replacement string (argument 3) for the match s..e: "%0" is the
 * match, "%1"-"%9" its captures, "%%" a percent sign. */
static void pat_add_template(pat_state_t *ms, luaL_Buffer *b, pat_ptr s, pat_ptr e)
{
    size_t l;
    const char *t = lua_tolstring(ms->L, 3, &l);
    const char *end = t + l, *q;
    pat_ptr text;
    ptrdiff_t len;

    /* Scanning the template is work even where it adds nothing ("%1" of an
     * empty capture), and it is repeated for every match. */
    PAT_STEPS(ms, 1 + (ptrdiff_t)(l / PAT_CMP_STEP));
    while ((q = memchr(t, PAT_ESC, (size_t)(end - t))) != NULL) {
        luaL_addlstring(b, t, (size_t)(q - t));
        q++;                     /* the string's "\0" if the "%" ends it */
        if (*q == PAT_ESC) {
            luaL_addchar(b, PAT_ESC);
        }
        else if (*q == '0') {
            luaL_addlstring(b, (const char *)s, (size_t)(e - s));
        }
        else if (isdigit((unsigned char)*q)) {
            len = pat_capture(ms, *q - '1', s, e, &text);
            if (len == PAT_POSITION) {
                luaL_addvalue(b);
            }
            else {
                luaL_addlstring(b, (const char *)text, (size_t)len);
            }
        }
        else {
            luaL_error(ms->L, "invalid use of '%c' in replacement string", PAT_ESC);
        }
        t = q + 1;
    }
    luaL_addlstring(b, t, (size_t)(end - t));
}

/* Append the replacement for the match s..e, by the type of argument 3.
 * Returns 0 when the match was kept because a table or function gave false
 * or nil. */
static int pat_add_value(pat_state_t *ms, luaL_Buffer *b, pat_ptr s, pat_ptr e,
                         int type)
{
    lua_State *L = ms->L;

    if (type == LUA_TFUNCTION) {
        int n;

        lua_pushvalue(L, 3);
        n = pat_push_captures(ms, s, e);
        pat_save(ms);
        lua_call(L, n, 1);
        pat_load(ms);
    }
    else if (type == LUA_TTABLE) {
        pat_push_capture(ms, 0, s, e);
        pat_save(ms);
        lua_gettable(L, 3);
        pat_load(ms);
    }
    else {
        pat_add_template(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, (const char *)s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) {
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b);
    return 1;
}

static int pat_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int type = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    lua_Integer n = 0;
    int anchor, changed = 0;
    pat_state_t ms;
    pat_ptr s, e, last = NULL;
    luaL_Buffer b;

    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING
                     || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_buffinit(L, &b);
    anchor = (lp > 0 && *p == '^');
    if (anchor) {
        p++;
        lp--;
    }
    pat_begin(&ms, L, pat_budget(L), src, ls, p, lp);
    s = ms.src;
    while (n < max_n) {
        e = pat_try(&ms, s, (pat_ptr)p);
        if (e && e != last) {
            n++;
            changed |= pat_add_value(&ms, &b, s, e, type);
            s = last = e;
        }
        else if (s < ms.src_end) {
            luaL_addchar(&b, (char)*s++);
        }
        else {
            break;
        }
        if (anchor) {
            break;
        }
    }
    pat_save(&ms);
    if (changed) {
        luaL_addlstring(&b, (const char *)s, (size_t)(ms.src_end - s));
        luaL_pushresult(&b);
    }
    else {
        lua_pushvalue(L, 1);     /* unchanged: the argument itself, even a number */
    }
    lua_pushinteger(L, n);
    return 2;
}

/* ---------------------------------------------------------------- open */

void art_lua_pattern_open(lua_State *L, int string_table_idx,
                          art_pattern_check_fn check)
{
    static const luaL_Reg fns[] = {
        { "find", pat_find },
        { "match", pat_match },
        { "gmatch", pat_gmatch },
        { "gsub", pat_gsub },
        { NULL, NULL }
    };
    pat_budget_t *b;

    lua_pushvalue(L, string_table_idx);
    b = lua_newuserdatauv(L, sizeof(*b), 0);
    b->check = check;
    b->left = ART_PATTERN_CHECK_EVERY;
    luaL_setfuncs(L, fns, 1);
    lua_pop(L, 1);
}
