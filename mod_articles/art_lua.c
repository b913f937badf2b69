/* art_lua.c: Lua state pool, sandbox, budgets, filter loading and the pipeline.
 *
 * See art_lua.h for the concept.  The page table and the `articles` API are in
 * art_lua_page.c; this file owns the states themselves.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "art_lalloc.h"
#include "art_lua.h"
#include "art_lua_int.h"
#include "art_lua_pattern.h"
#include "art_lua_seo.h"
#include "art_mutex.h"

#define HOOK_EVERY 1000          /* instructions between budget checks */
#define HOOK_SLOW_EVERY 10       /* ... once instructions turn out expensive */
#define HOOK_SLOW (10 * 1000)    /* µs a check period may take before that */
#define ALLOC_BYTES_PER_INSTR 64 /* allocation charged to the instructions */
#define STATE_FREE_CAP (256 * 1024) /* bytes of freed small blocks a state's
                                       allocator keeps for reuse (README) */
#define ERR_TAG_FILTER "ART0201"
#define ERR_TAG_BUDGET "ART0202"
#define ERR_TAG_RESULT "ART0203"
#define ERR_TAG_LOAD   "ART0204"
#define ERR_TAG_STATE  "ART0205"

/* The states of one filter list (location): a filter never shares a state,
 * and so its globals, modules and metatables, with another list's filters. */
typedef struct art_lua_world_t {
    const char *key;
    art_lstate_t *free;          /* idle states */
} art_lua_world_t;

struct art_lua_host_t {
    apr_pool_t *pool;
    art_lua_host_opts_t opts;
    art_mutex_t *mutex;          /* guards worlds, watched, code_gen */
    apr_hash_t *worlds;          /* key -> art_lua_world_t */
    apr_hash_t *watched;         /* path -> apr_time_t * (mtime when loaded) */
    unsigned code_gen;           /* moves on when a watched file changes */
    int nstates;                 /* made and not yet freed */
    apr_size_t mem;              /* sum of the states' mem_counted */
    apr_time_t last_check;
    int checking;
};

/* ---------------------------------------------------------------- allocator */

/* A state and its allocator's free lists, made and freed together; the box is
 * the allocator's user data, and st comes first so that the one points to the
 * other. */
typedef struct state_box_t {
    art_lstate_t st;
    art_lalloc_t heap;
} state_box_t;

/* Counts every byte a state holds and refuses to pass its cap, so a memory bomb
 * ends in a Lua "not enough memory" error instead of the OOM killer.
 *
 * A refusal alone does not spend the memory budget: Lua then collects garbage
 * and asks again with the same arguments, and only when that second request
 * fails too is there no room.  Growth is also charged to the instruction
 * budget, since copying is work the hook does not see (one concatenation of
 * two large strings is a single instruction), and once a budget is spent
 * nothing grows any more, except for the error report.  The blocks come from
 * the state's free lists (art_lalloc.c); mem counts what Lua asked for, not
 * what the lists keep. */
static void *state_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    state_box_t *box = ud;
    art_lstate_t *st = &box->st;
    size_t tag = osize;

    if (nsize == 0) {
        if (ptr) {
            st->mem -= osize;
            art_lalloc_realloc(&box->heap, ptr, osize, 0);
        }
        return NULL;
    }
    if (ptr == NULL) {
        osize = 0;
    }
    if (nsize > osize && st->mem_limit) {
        size_t grow = nsize - osize;

        if (st->budget_hit && !st->reporting) {
            return NULL;
        }
        if (st->mem + st->mem_extra + grow > st->mem_limit) {
            if (st->refused && st->refused_ptr == ptr
                && st->refused_osize == tag && st->refused_nsize == nsize) {
                st->budget_hit = st->budget_hit ? st->budget_hit
                                                : "memory budget";
            }
            st->refused = 1;
            st->refused_ptr = ptr;
            st->refused_osize = tag;
            st->refused_nsize = nsize;
            return NULL;
        }
        if (st->req && !st->budget_hit) {
            st->instr_left -= (long)(grow / ALLOC_BYTES_PER_INSTR);
            if (st->instr_left < 0) {
                st->budget_hit = "instruction budget";
                return NULL;
            }
        }
    }
    ptr = art_lalloc_realloc(&box->heap, ptr, osize, nsize);
    if (ptr) {
        st->mem = st->mem - osize + nsize;
        st->refused = 0;
    }
    return ptr;
}

/* ---------------------------------------------------------------- budgets */

/* The budgets' names (st->budget_hit) are registry keys whose values are the
 * error messages, made when the state is: raising one then allocates nothing,
 * which matters because nothing may grow once a budget is spent. */
static const char *const budget_names[] = {
    "instruction budget", "time budget", "memory budget", NULL
};

static void budget_hook(lua_State *L, lua_Debug *ar);

/* From now on the hook runs at every instruction of L and of the main thread
 * (other coroutines get there at their next check), and raises. */
static void spend(lua_State *L, const char *which)
{
    art_lstate_t *st = art_lua_st(L);

    if (st->budget_hit == NULL) {
        st->budget_hit = which;
    }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    if (L != st->L) {
        lua_sethook(st->L, budget_hook, LUA_MASKCOUNT, 1);
    }
}

int art_lua_raise_spent(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    spend(L, st->budget_hit ? st->budget_hit : "instruction budget");
    if (lua_getfield(L, LUA_REGISTRYINDEX, st->budget_hit) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushliteral(L, "budget exceeded");
    }
    return lua_error(L);
}

int art_lua_spent(lua_State *L)
{
    return art_lua_st(L)->budget_hit != NULL;
}

void art_lua_note_errmem(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    if (st->budget_hit == NULL && st->mem_limit) {
        st->budget_hit = "memory budget";
    }
}

void art_lua_charge(lua_State *L, lua_Integer n)
{
    art_lstate_t *st = art_lua_st(L);

    if (st->budget_hit == NULL) {
        if (n > (lua_Integer)st->instr_left) {
            st->instr_left = -1;
            st->budget_hit = "instruction budget";
        }
        else {
            st->instr_left -= (long)n;
            if (st->deadline && apr_time_now() > st->deadline) {
                st->budget_hit = "time budget";
            }
        }
    }
    if (st->budget_hit) {
        art_lua_raise_spent(L);
    }
}

void art_lua_charge_memory(lua_State *L, apr_size_t bytes)
{
    art_lstate_t *st = art_lua_st(L);

    st->mem_extra += bytes;
    if (st->mem_limit && st->mem + st->mem_extra > st->mem_limit) {
        st->budget_hit = st->budget_hit ? st->budget_hit : "memory budget";
    }
    if (st->budget_hit) {
        art_lua_raise_spent(L);
    }
}

/* Every HOOK_EVERY instructions: charge them, check the deadline.  A period
 * that took long means single instructions are expensive (long strings
 * compared or converted, large varargs copied), so this thread is then
 * checked more often.  Once a budget is spent, it raises at every
 * instruction. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    art_lstate_t *st = art_lua_st(L);
    apr_time_t now;

    (void)ar;
    if (st->budget_hit == NULL) {
        st->instr_left -= lua_gethookcount(L);
        if (st->instr_left < 0) {
            st->budget_hit = "instruction budget";
        }
        else if (st->deadline) {
            now = apr_time_now();
            if (now > st->deadline) {
                st->budget_hit = "time budget";
            }
            else if (now - st->last_hook > HOOK_SLOW
                     && lua_gethookcount(L) > HOOK_SLOW_EVERY) {
                lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_SLOW_EVERY);
            }
            st->last_hook = now;
        }
    }
    if (st->budget_hit) {
        art_lua_raise_spent(L);
    }
}

/* Called by the step-counted string matcher every ART_PATTERN_CHECK_EVERY
 * steps: the VM's count hook never runs inside a C function, so a hostile
 * pattern would otherwise escape both budgets.  A step is charged as one
 * instruction. */
static void pattern_check(lua_State *L)
{
    art_lua_charge(L, ART_PATTERN_CHECK_EVERY);
}

/* ---------------------------------------------------------------- sandbox */

/* load(chunk [, name [, mode [, env]]]) with the mode forced to text: binary
 * chunks can break the VM's invariants. */
static int sandbox_load(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnone(L, 4);
    int status;

    /* Compiling is C work the hook does not see: about one instruction's
     * worth per byte. */
    art_lua_charge(L, (lua_Integer)len);
    status = luaL_loadbufferx(L, s, len, name, "t");
    if (status != LUA_OK) {
        if (status == LUA_ERRMEM) {
            art_lua_note_errmem(L);
        }
        if (art_lua_spent(L)) {
            return art_lua_raise_spent(L);
        }
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1)) {
            lua_pop(L, 1);
        }
    }
    return 1;
}

/* Read a whole file into a Lua-owned buffer on the stack, as a string. */
static int push_file(lua_State *L, const char *path)
{
    FILE *f = fopen(path, "rb");
    luaL_Buffer b;
    char *p;
    size_t n;

    if (f == NULL) {
        return 0;
    }
    luaL_buffinit(L, &b);
    do {
        p = luaL_prepbuffer(&b);
        n = fread(p, 1, LUAL_BUFFERSIZE, f);
        luaL_addsize(&b, n);
    } while (n == LUAL_BUFFERSIZE);
    fclose(f);
    luaL_pushresult(&b);
    return 1;
}

static void watch_file(art_lstate_t *st, const char *path)
{
    art_lua_host_t *h = st->host;
    apr_finfo_t fi;
    apr_pool_t *tmp;

    art_mutex_lock(h->mutex);
    if (apr_hash_get(h->watched, path, APR_HASH_KEY_STRING) == NULL) {
        apr_time_t *mt = apr_palloc(h->pool, sizeof(*mt));
        apr_pool_create(&tmp, NULL);
        *mt = apr_stat(&fi, path, APR_FINFO_MTIME | APR_FINFO_SIZE, tmp)
            == APR_SUCCESS ? fi.mtime + fi.size : 0;
        apr_pool_destroy(tmp);
        apr_hash_set(h->watched, apr_pstrdup(h->pool, path), APR_HASH_KEY_STRING,
                     mt);
    }
    art_mutex_unlock(h->mutex);
}

/* Compile a text chunk from path with the state's globals; pushes the function.
 * Raises a Lua error when it cannot. */
static void load_script(lua_State *L, const char *path)
{
    art_lstate_t *st = art_lua_st(L);
    const char *src;
    size_t len;

    watch_file(st, path);
    if (!push_file(L, path)) {
        luaL_error(L, "cannot open %s", path);
    }
    src = lua_tolstring(L, -1, &len);
    if (luaL_loadbufferx(L, src, len, lua_pushfstring(L, "@%s", path), "t")
        != LUA_OK) {
        lua_error(L);
    }
    lua_replace(L, -3);
    lua_pop(L, 1);
}

static int valid_module_name(const char *s)
{
    if (!*s || *s == '.') {
        return 0;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.')) {
            return 0;
        }
        if (s[0] == '.' && s[1] == '.') {
            return 0;
        }
    }
    return 1;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");

    if (f) {
        fclose(f);
        return 1;
    }
    return 0;
}

/* require(name): "articles", then the running filter's folder, then each
 * ArticlesLuaPath folder.  Nothing outside those can be reached: names are
 * restricted to letters, digits, "_" and "." (folder separator). */
static int sandbox_require(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    const char *name = luaL_checkstring(L, 1);
    char rel[256];
    const char *found = NULL;
    int i;

    lua_getfield(L, LUA_REGISTRYINDEX, "articles.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        return 1;
    }
    lua_pop(L, 1);
    if (!valid_module_name(name) || strlen(name) > 200) {
        return luaL_error(L, "module name '%s' is not allowed", name);
    }
    for (i = 0; name[i]; i++) {
        rel[i] = name[i] == '.' ? '/' : name[i];
    }
    rel[i] = '\0';
    if (st->script_dir) {
        const char *p = lua_pushfstring(L, "%s/%s.lua", st->script_dir, rel);
        if (file_exists(p)) {
            found = p;
        }
    }
    if (!found && st->host->opts.lua_path) {
        const apr_array_header_t *lp = st->host->opts.lua_path;
        for (i = 0; i < lp->nelts && !found; i++) {
            const char *p = lua_pushfstring(L, "%s/%s.lua",
                                            APR_ARRAY_IDX(lp, i, const char *), rel);
            if (file_exists(p)) {
                found = p;
            }
        }
    }
    if (!found) {
        return luaL_error(L, "module '%s' not found in the filter's folder or "
                          "ArticlesLuaPath", name);
    }
    load_script(L, found);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);    /* 2: articles.loaded, fetched above */
    return 1;
}

/* A page that shows the time or a random number is different at every
 * request, so no response cache may keep it.  These wrap the library function
 * (upvalue 1); upvalue 2 is the index of the argument that makes a call
 * repeatable when given (os.time(t), os.date(fmt, t)), 0 for none. */
static int volatile_call(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    lua_Integer fixed = lua_tointeger(L, lua_upvalueindex(2));

    if (st->req && (fixed == 0 || lua_isnoneornil(L, (int)fixed))) {
        st->req->uncacheable = 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Replace t[name] (t at the top of the stack) with its volatile wrapper. */
static void wrap_volatile(lua_State *L, const char *name, lua_Integer fixed)
{
    lua_getfield(L, -1, name);
    lua_pushinteger(L, fixed);
    lua_pushcclosure(L, volatile_call, 2);
    lua_setfield(L, -2, name);
}

/* os with only what cannot touch the system. */
static void open_os_subset(lua_State *L)
{
    static const char *const keep[] = { "time", "date", "clock", "difftime", NULL };
    int i;

    luaL_requiref(L, "os", luaopen_os, 0);
    lua_newtable(L);
    for (i = 0; keep[i]; i++) {
        lua_getfield(L, -2, keep[i]);
        lua_setfield(L, -2, keep[i]);
    }
    wrap_volatile(L, "time", 1);
    wrap_volatile(L, "date", 2);
    wrap_volatile(L, "clock", 0);
    lua_setglobal(L, "os");
    lua_pop(L, 1);
}

static void open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },
        { LUA_COLIBNAME, luaopen_coroutine },
        { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },
        { NULL, NULL }
    };
    static const char *const drop[] = {
        "dofile", "loadfile", "collectgarbage", "print", "warn", NULL
    };
    static const char *const messages[] = {
        "instruction budget exceeded", "time budget exceeded",
        "memory budget exceeded", NULL
    };
    const luaL_Reg *l;
    int i;

    for (l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    lua_getglobal(L, LUA_MATHLIBNAME);
    wrap_volatile(L, "random", 0);
    lua_pop(L, 1);
    open_os_subset(L);
    for (i = 0; drop[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    /* string.dump makes binary chunks; nothing in a filter needs one. */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    art_lua_pattern_open(L, lua_gettop(L), pattern_check);
    lua_pop(L, 1);
    lua_pushcfunction(L, sandbox_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, sandbox_require);
    lua_setglobal(L, "require");
    art_lua_lib_open(L);
    for (i = 0; budget_names[i]; i++) {
        lua_pushstring(L, messages[i]);
        lua_setfield(L, LUA_REGISTRYINDEX, budget_names[i]);
    }

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "articles.filters");
    lua_newtable(L);
    art_lua_open_api(L);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "articles");
    lua_setfield(L, -2, "articles");
    lua_setfield(L, LUA_REGISTRYINDEX, "articles.loaded");
}

/* ---------------------------------------------------------------- states */

static int state_open(lua_State *L)
{
    open_sandbox(L);
    return 0;
}

/* Close the box's state, if it has one, then free what its allocator kept
 * (lua_close gives the lists their last blocks) and the box. */
static void state_close(state_box_t *box)
{
    if (box->st.L) {
        lua_close(box->st.L);
    }
    art_lua_seo_state_free(&box->st);
    art_lalloc_release(&box->heap);
    free(box);
}

static art_lstate_t *state_new(art_lua_host_t *h, const char *world,
                               unsigned gen)
{
    state_box_t *box = calloc(1, sizeof(*box));
    art_lstate_t *st;

    if (box == NULL) {
        return NULL;
    }
    art_lalloc_init(&box->heap, STATE_FREE_CAP);
    st = &box->st;
    st->host = h;
    st->world = world;
    st->code_gen = gen;
    st->mem_limit = 0;           /* the libraries load without a cap */
    st->L = lua_newstate(state_alloc, box);
    if (st->L == NULL) {
        state_close(box);
        return NULL;
    }
    *(art_lstate_t **)lua_getextraspace(st->L) = st;
    lua_pushcfunction(st->L, state_open);
    if (lua_pcall(st->L, 0, 0, 0) != LUA_OK) {
        state_close(box);
        return NULL;
    }
    /* Generational: a young collection at the end of each page
     * (art_lua_finish) frees that page's garbage, which fits the
     * allocator's lists (STATE_FREE_CAP), where an incremental cycle frees
     * that of a hundred pages and more (issue #14). */
    lua_gc(st->L, LUA_GCGEN, 0, 0);
    lua_sethook(st->L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
    st->gc_base = st->mem;
    st->mem_limit = h->opts.limits.memory;
    art_mutex_lock(h->mutex);
    h->nstates++;
    art_mutex_unlock(h->mutex);
    return st;
}

static void state_free(art_lstate_t *st)
{
    if (st) {
        art_lua_host_t *h = st->host;

        art_mutex_lock(h->mutex);
        h->nstates--;
        h->mem -= st->mem_counted;
        art_mutex_unlock(h->mutex);
        state_close((state_box_t *)st);
    }
}

static apr_status_t host_cleanup(void *data)
{
    art_lua_host_t *h = data;
    apr_hash_index_t *hi;
    art_lstate_t *st, *next;

    for (hi = apr_hash_first(NULL, h->worlds); hi; hi = apr_hash_next(hi)) {
        art_lua_world_t *w = apr_hash_this_val(hi);
        for (st = w->free; st; st = next) {
            next = st->next;
            state_free(st);
        }
        w->free = NULL;
    }
    return APR_SUCCESS;
}

art_lua_host_t *art_lua_host_create(apr_pool_t *p, const art_lua_host_opts_t *o)
{
    art_lua_host_t *h = apr_pcalloc(p, sizeof(*h));

    h->pool = p;
    h->opts = *o;
    art_mutex_create(&h->mutex, p);
    h->watched = apr_hash_make(p);
    h->worlds = apr_hash_make(p);
    h->last_check = apr_time_now();
    apr_pool_cleanup_register(p, h, host_cleanup, apr_pool_cleanup_null);
    return h;
}

/* Stat every watched file at most once per interval; a change moves the code
 * generation on, so states made from the old files are replaced. */
static void check_files(art_lua_host_t *h, apr_interval_time_t interval)
{
    apr_time_t now = apr_time_now();
    apr_hash_index_t *hi;
    apr_pool_t *tmp;
    int changed = 0;

    if (interval <= 0 || now - h->last_check < interval) {
        return;
    }
    art_mutex_lock(h->mutex);
    if (h->checking) {
        art_mutex_unlock(h->mutex);
        return;
    }
    h->checking = 1;
    h->last_check = now;
    art_mutex_unlock(h->mutex);

    apr_pool_create(&tmp, NULL);
    art_mutex_lock(h->mutex);
    for (hi = apr_hash_first(tmp, h->watched); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_finfo_t fi;
        apr_time_t cur;

        apr_hash_this(hi, &k, NULL, &v);
        cur = apr_stat(&fi, k, APR_FINFO_MTIME | APR_FINFO_SIZE, tmp) == APR_SUCCESS
            ? fi.mtime + fi.size : 0;
        if (cur != *(apr_time_t *)v) {
            changed = 1;
        }
    }
    if (changed) {
        /* Forget the old list: the new states register what they load. */
        h->watched = apr_hash_make(h->pool);
        h->code_gen++;
    }
    h->checking = 0;
    art_mutex_unlock(h->mutex);
    apr_pool_destroy(tmp);
}

apr_uint64_t art_lua_code_gen(art_lua_host_t *h, apr_interval_time_t interval)
{
    unsigned gen;

    check_files(h, interval);
    art_mutex_lock(h->mutex);
    gen = h->code_gen;
    art_mutex_unlock(h->mutex);
    return gen;
}

apr_uint64_t art_lua_state_gen(const art_lstate_t *st)
{
    return st->code_gen;
}

art_lstate_t *art_lua_acquire(art_lua_host_t *h, const char *world,
                              apr_interval_time_t interval)
{
    art_lstate_t *st, *stale = NULL;
    art_lua_world_t *w;
    unsigned gen;

    check_files(h, interval);
    art_mutex_lock(h->mutex);
    gen = h->code_gen;
    w = apr_hash_get(h->worlds, world, APR_HASH_KEY_STRING);
    if (w == NULL) {
        /* Kept for the life of the host: one per filter list. */
        w = apr_pcalloc(h->pool, sizeof(*w));
        w->key = apr_pstrdup(h->pool, world);
        apr_hash_set(h->worlds, w->key, APR_HASH_KEY_STRING, w);
    }
    st = w->free;
    if (st) {
        w->free = st->next;
    }
    art_mutex_unlock(h->mutex);
    if (st && (st->code_gen != gen || st->dead)) {
        stale = st;
        st = NULL;
    }
    state_free(stale);
    if (st == NULL) {
        st = state_new(h, w->key, gen);
    }
    if (st) {
        st->next = NULL;
    }
    return st;
}

void art_lua_release(art_lua_host_t *h, art_lstate_t *st)
{
    art_lua_world_t *w;

    if (st == NULL) {
        return;
    }
    if (st->dead) {
        state_free(st);
        return;
    }
    art_mutex_lock(h->mutex);
    w = apr_hash_get(h->worlds, st->world, APR_HASH_KEY_STRING);
    st->next = w->free;
    w->free = st;
    /* Counted here, where the state is idle: its allocator is not running. */
    h->mem = h->mem - st->mem_counted + st->mem;
    st->mem_counted = st->mem;
    art_mutex_unlock(h->mutex);
}

void art_lua_host_stats(art_lua_host_t *h, int *states, apr_size_t *bytes)
{
    art_mutex_lock(h->mutex);
    *states = h->nstates;
    *bytes = h->mem;
    art_mutex_unlock(h->mutex);
}

apr_size_t art_lua_memory(art_lstate_t *st)
{
    return st->mem;
}

lua_State *art_lua_state(art_lstate_t *st)
{
    return st->L;
}

int art_lua_page_index(art_lstate_t *st)
{
    return st->page_idx;
}

/* ---------------------------------------------------------------- pipeline */

static void log_error(art_lstate_t *st, art_req_t *req, const char *tag,
                      const char *what, const char *msg);

/* The message handler of the pipeline.  It may allocate when a budget is
 * spent (the report is small and bounded), and it calls no metamethod of the
 * error object. */
static int traceback(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    const char *msg = lua_tostring(L, 1);

    st->reporting = 1;
    if (msg == NULL) {
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    st->reporting = 0;
    return 1;
}

/* call_filter(fn, page): fn(page, r).  Runs protected, so that making the
 * request object can fail (memory cap) without escaping the pcall. */
static int call_filter(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    st->host->opts.push_request(L, st->req);
    lua_call(L, 2, 1);
    return 1;
}

/* page_string(page, key): page[key] if it is a string, else nil; no
 * metamethods run, whatever a filter did to the table (a deferred field
 * still waiting is evaluated: articles.defer). */
static int page_string(lua_State *L)
{
    lua_settop(L, 2);
    art_lua_page_resolve(L, 1, lua_tostring(L, 2));
    lua_rawget(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pushnil(L);
    }
    return 1;
}

/* Get (compiling on first use) the function of filter f; pushes it.  The
 * functions are kept by f's address: the filter lists and the states that
 * run them are both made in the configuration's pool, so an address names
 * one filter for as long as any state can ask. */
static int push_filter(lua_State *L)
{
    const art_filter_t *f = lua_touserdata(L, 1);

    lua_getfield(L, LUA_REGISTRYINDEX, "articles.filters");
    if (lua_rawgetp(L, -1, f) == LUA_TFUNCTION) {
        return 1;
    }
    lua_pop(L, 1);
    load_script(L, f->file);
    lua_call(L, 0, 1);
    if (f->function) {
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, f->function);
        }
        else {
            lua_getglobal(L, f->function);
        }
    }
    if (!lua_isfunction(L, -1)) {
        return luaL_error(L, "%s does not provide a filter function%s%s (got %s)",
                          f->file, f->function ? " named " : "",
                          f->function ? f->function : "", luaL_typename(L, -1));
    }
    lua_pushvalue(L, -1);
    lua_rawsetp(L, 2, f);        /* 2: articles.filters, fetched above */
    return 1;
}

void art_lua_call_deferred(lua_State *L, const char *name, const char *file)
{
    art_lstate_t *st = art_lua_st(L);
    int base = lua_gettop(L) - 1, rc;

    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    rc = lua_pcall(L, 1, 1, base);
    lua_remove(L, base);
    if (rc == LUA_OK) {
        return;
    }
    if (rc == LUA_ERRMEM) {
        art_lua_note_errmem(L);
    }
    /* Read by a filter, the failure is that filter's and fail() logs it;
     * read by the template, it is logged here, once, as the filter's that
     * deferred the field, so the log names the script as for any filter. */
    if (st->filter_file == NULL && !st->deferred_logged && st->req) {
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                         : NULL;
        st->deferred_logged = 1;
        log_error(st, st->req, st->budget_hit ? ERR_TAG_BUDGET : ERR_TAG_FILTER,
                  apr_psprintf(st->req->pool, "%s (deferred page.%s)", file,
                               name), msg ? msg : "(no message)");
    }
    lua_error(L);
}

/* One log line: the traceback's lines joined with " <- " (httpd would escape
 * the newlines anyway, which is harder to read). */
static void log_error(art_lstate_t *st, art_req_t *req, const char *tag,
                      const char *what, const char *msg)
{
    char *m, *o;
    const char *p;

    if (st->host->opts.log == NULL) {
        return;
    }
    m = o = apr_palloc(req->pool, strlen(msg) * 4 + 1);
    for (p = msg; *p; p++) {
        if (*p == '\n') {
            while (p[1] == '\t' || p[1] == ' ') {
                p++;
            }
            memcpy(o, " <- ", 4);
            o += 4;
        }
        else {
            *o++ = *p;
        }
    }
    *o = '\0';
    st->host->opts.log(req, 3, apr_psprintf(req->pool, "%s: %s%s%s for %s: %s",
                                            tag, what,
                                            st->budget_hit ? " exceeded its "
                                            : "",
                                            st->budget_hit ? st->budget_hit : "",
                                            req->path, m));
}

/* Errors that can leave a state damaged (budgets, memory) retire it.  status
 * is what the protected call returned. */
static int fail(art_lstate_t *st, art_req_t *req, int status, const char *tag,
                const char *what)
{
    /* Only a string: converting a number would allocate, outside any
     * protected call, when allocations may be refused. */
    const char *msg = status == LUA_OK ? "returned after spending it"
        : lua_type(st->L, -1) == LUA_TSTRING ? lua_tostring(st->L, -1) : NULL;

    st->reporting = 0;
    if (status == LUA_ERRMEM) {
        art_lua_note_errmem(st->L);
    }
    if (st->budget_hit) {
        tag = ERR_TAG_BUDGET;
        st->dead = 1;
    }
    log_error(st, req, tag, what, msg ? msg : "(no message)");
    lua_settop(st->L, 0);
    return 500;
}

/* Tell the host's observer how a filter call begun at t0 ended. */
static void filter_done(art_lstate_t *st, const art_filter_t *f, apr_time_t t0,
                        int outcome)
{
    if (st->host->opts.filter_done) {
        st->host->opts.filter_done(f, apr_time_now() - t0, outcome);
    }
}

int art_lua_run(art_lstate_t *st, art_req_t *req, const apr_array_header_t *filters,
                const art_lua_limits_t *limits)
{
    lua_State *L = st->L;
    int i, tb, rc;

    st->req = req;
    st->serial++;
    st->budget_hit = NULL;
    st->reporting = 0;
    st->refused = 0;
    st->mem_extra = 0;
    st->scratch = NULL;
    st->instr_left = limits->instructions > 0 ? limits->instructions : LONG_MAX;
    st->last_hook = apr_time_now();
    st->deadline = limits->timeout > 0 ? st->last_hook + limits->timeout : 0;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_settop(L, 0);
    lua_pushcfunction(L, traceback);
    tb = lua_gettop(L);

    lua_pushcfunction(L, art_lua_build_page);
    if ((rc = lua_pcall(L, 0, 1, tb)) != LUA_OK) {
        return fail(st, req, rc, ERR_TAG_STATE, "building the page");
    }
    st->page_idx = lua_gettop(L);

    for (i = 0; filters && i < filters->nelts; i++) {
        const art_filter_t *f = &APR_ARRAY_IDX(filters, i, art_filter_t);
        char *dir = apr_pstrdup(req->pool, f->file), *slash = strrchr(dir, '/');
        apr_time_t t0 = apr_time_now();
        int type, is_status;

        if (slash) {
            *slash = '\0';
        }
        st->script_dir = dir;
        st->filter_file = f->file;
        lua_pushcfunction(L, push_filter);
        lua_pushlightuserdata(L, (void *)f);
        if ((rc = lua_pcall(L, 1, 1, tb)) != LUA_OK) {
            filter_done(st, f, t0, st->budget_hit ? ART_FILTER_BUDGET
                        : ART_FILTER_ERROR);
            return fail(st, req, rc, ERR_TAG_LOAD, f->file);
        }
        lua_pushcfunction(L, call_filter);
        lua_insert(L, -2);
        lua_pushvalue(L, st->page_idx);
        rc = lua_pcall(L, 2, 1, tb);
        /* A filter that caught its budget's error and returned anyway has
         * still spent it. */
        if (rc != LUA_OK || st->budget_hit) {
            filter_done(st, f, t0, st->budget_hit ? ART_FILTER_BUDGET
                        : ART_FILTER_ERROR);
            return fail(st, req, rc, ERR_TAG_FILTER, f->file);
        }
        type = lua_type(L, -1);
        is_status = type == LUA_TNUMBER && lua_isinteger(L, -1)
            && lua_tointeger(L, -1) >= 100 && lua_tointeger(L, -1) <= 599;
        filter_done(st, f, t0, is_status || type == LUA_TNIL ? ART_FILTER_OK
                    : ART_FILTER_ERROR);
        if (is_status) {
            int status = (int)lua_tointeger(L, -1);
            lua_settop(L, 0);
            return status;
        }
        if (type != LUA_TNIL) {
            log_error(st, req, ERR_TAG_RESULT, f->file,
                      apr_psprintf(req->pool, "returned a %s; a filter returns "
                                   "nothing or an HTTP status (100-599)",
                                   lua_typename(L, type)));
            lua_settop(L, 0);
            return 500;
        }
        lua_pop(L, 1);
    }
    st->script_dir = NULL;
    st->filter_file = NULL;
    return 0;
}

const char *art_lua_page_string(art_lstate_t *st, art_req_t *req,
                                const char *key)
{
    lua_State *L = st->L;
    const char *v = NULL;

    lua_pushcfunction(L, page_string);
    lua_pushvalue(L, st->page_idx);
    lua_pushstring(L, key);
    if (lua_pcall(L, 2, 1, 0) == LUA_OK) {
        v = lua_tostring(L, -1);
        v = v ? apr_pstrdup(req->pool, v) : NULL;
    }
    lua_pop(L, 1);
    return v;
}

void art_lua_finish(art_lstate_t *st)
{
    lua_settop(st->L, 0);
    st->req = NULL;
    st->page = NULL;
    st->filter_file = NULL;
    st->serial++;
    st->script_dir = NULL;
    /* A budget error in the template (an __index of a filter's table) can leave
     * the state holding garbage; a full collection is cheap compared with
     * keeping it. */
    if (st->budget_hit) {
        st->dead = 1;
        return;
    }
    /* A young collection (the state is generational) per page: the page's
     * garbage goes back to the allocator's lists while its blocks are still
     * in the CPU's caches, so the next page on this state reuses warm
     * memory.  Collected every few dozen pages instead, the blocks had long
     * gone cold: under callgrind's cache model an article page missed the
     * last-level cache 264 times, 85 with this (issue #14).
     *
     * A step asked for this way is always a young one, and it resets the
     * debt that would have made Lua choose a major collection, so old
     * garbage (cached page pieces replaced, a filter's memo rotated) is
     * ours to collect: a full collection once the state holds twice what
     * it held after the last one, Lua's own rule (genmajormul 100). */
    lua_gc(st->L, LUA_GCSTEP, 0);
    if (st->mem > 2 * st->gc_base) {
        lua_gc(st->L, LUA_GCCOLLECT);
        st->gc_base = st->mem;
    }
}
