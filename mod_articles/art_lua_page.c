/* art_lua_page.c: the page table, article views and the `articles` API.
 *
 * Articles reach Lua as userdata of type articles.Article: a pointer into the
 * snapshot plus the number of the request that made it.  Fields are produced on
 * access, so a list of a hundred articles costs a hundred small userdata, not a
 * hundred copies of their bodies.  A view kept past its request (in a filter's
 * global, say) refuses every access, because the snapshot it points into may be
 * gone: every metamethod and API function reaches a view through check_view.
 *
 * What an API call allocates outside Lua (option strings, snippets, related
 * scoring slots) comes from a scratch pool that the next API call clears, so
 * a loop of calls holds one call's worth, not the sum.  Options tables are
 * read raw: no metamethod (no Lua code, so no other API call) can run while
 * a call holds scratch memory.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include <lauxlib.h>

#include "art_lua_int.h"
#include "art_lua_seo.h"
#include "art_mustache.h"
#include "art_negotiate.h"
#include "art_index.h"
#include "art_related.h"
#include "art_snippet.h"
#include "art_tag.h"
#include "art_url.h"

#define ARTICLE_MT "articles.Article"
#define FIND_LIMIT_MAX 1000
#define FIND_RUN 64                 /* articles read from a list at a time */

/* Registry keys of this file's per-state tables: light userdata (the
 * addresses below), so that reaching them is a pointer lookup, not the
 * interning of a name on every page and every article view. */
static const char view_mt_key = 'v';
static const char pcache_key = 'c';
static const char page_index_key = 'i';

typedef struct art_view_t {
    const art_article_t *a;
    unsigned long serial;
} art_view_t;

/* The request a C function called from Lua serves; raises when there is
 * none, or when its budget is spent. */
static art_req_t *cur_req(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    if (st->req == NULL) {
        luaL_error(L, "the articles API is only available while a request runs");
    }
    if (st->budget_hit) {
        art_lua_raise_spent(L);
    }
    return st->req;
}

/* The pool for this API call's temporaries, emptied of the previous call's. */
static apr_pool_t *call_pool(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    art_req_t *req = cur_req(L);

    if (st->scratch == NULL) {
        apr_pool_create(&st->scratch, req->pool);
    }
    else {
        apr_pool_clear(st->scratch);
    }
    return st->scratch;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

/* base .. path, as a Lua string. */
static void push_url(lua_State *L, art_req_t *req, const char *path)
{
    lua_pushstring(L, req->base);
    lua_pushstring(L, path);
    lua_concat(L, 2);
}

static void set_url(lua_State *L, art_req_t *req, const char *k, const char *path)
{
    push_url(L, req, path);
    lua_setfield(L, -2, k);
}

/* RFC 3339 in UTC ("2025-03-31T00:00:00Z"), the form Atom and sitemaps want
 * whatever the repository wrote. */
static void push_rfc3339(lua_State *L, apr_time_t t)
{
    apr_time_exp_t e;

    apr_time_exp_gmt(&e, t);
    lua_pushfstring(L, "%d-%s%d-%s%dT%s%d:%s%d:%s%dZ", e.tm_year + 1900,
                    e.tm_mon < 9 ? "0" : "", e.tm_mon + 1,
                    e.tm_mday < 10 ? "0" : "", e.tm_mday,
                    e.tm_hour < 10 ? "0" : "", e.tm_hour,
                    e.tm_min < 10 ? "0" : "", e.tm_min,
                    e.tm_sec < 10 ? "0" : "", e.tm_sec);
}

/* ---------------------------------------------------------------- articles.Article */

void art_lua_push_article(lua_State *L, const art_article_t *a)
{
    art_view_t *v = lua_newuserdatauv(L, sizeof(*v), 0);

    v->a = a;
    v->serial = art_lua_st(L)->serial;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &view_mt_key);
    lua_setmetatable(L, -2);
}

/* Raise unless view v belongs to the running request. */
static void view_check_current(lua_State *L, const art_view_t *v)
{
    art_lstate_t *st = art_lua_st(L);

    if (st->req == NULL || v->serial != st->serial) {
        luaL_error(L, "article view used after the request that made it");
    }
}

/* The view at idx, if it belongs to the running request; raises otherwise.
 * The only way to a view's article.  A view is a full userdata whose
 * metatable is the one this state made (st->view_mt): one pointer
 * comparison, where luaL_checkudata would look the type's name up in the
 * registry on every field access; the error for any other value is the one
 * luaL_checkudata gives. */
static art_view_t *check_view(lua_State *L, int idx)
{
    art_lstate_t *st = art_lua_st(L);
    art_view_t *v = NULL;

    if (lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
        if (lua_topointer(L, -1) == st->view_mt) {
            v = lua_touserdata(L, idx);
        }
        lua_pop(L, 1);
    }
    if (v == NULL) {
        luaL_typeerror(L, idx, ARTICLE_MT);
    }
    view_check_current(L, v);
    return v;
}

static const art_article_t *check_article(lua_State *L, int idx)
{
    return check_view(L, idx)->a;
}

static void push_author_ref(lua_State *L, art_req_t *req, const art_author_t *au,
                            const char *lang)
{
    const art_ltext_t *n = art_ltext_pick(au->names, lang,
                                          req->snap->site->default_lang);

    const art_ltext_t *bio = art_ltext_pick(au->bios, lang,
                                            req->snap->site->default_lang);

    int i;

    lua_createtable(L, 0, 6);
    set_str(L, "id", au->id);
    set_str(L, "name", n ? n->text : au->id);
    if (n && n->lang) {
        set_str(L, "name_lang", n->lang);
    }
    set_str(L, "bio", bio ? bio->text : NULL);
    if (bio && bio->lang) {
        set_str(L, "bio_lang", bio->lang);
    }
    set_url(L, req, "url", art_route_path(req->pool, ART_PAGE_AUTHOR, lang, au->id,
                                          NULL));
    if (au->photo_src) {
        lua_createtable(L, 0, 2);
        set_str(L, "src", au->photo_src);
        set_str(L, "alt", au->photo_alt);
        lua_setfield(L, -2, "photo");
    }
    if (au->links->nelts) {
        lua_createtable(L, au->links->nelts, 0);
        for (i = 0; i < au->links->nelts; i++) {
            const art_link_t *l = &APR_ARRAY_IDX(au->links, i, art_link_t);
            lua_createtable(L, 0, 3);
            set_str(L, "href", l->href);
            set_str(L, "text", l->text);
            set_str(L, "lang", l->lang);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "links");
    }
}

static void push_collection_ref(lua_State *L, art_req_t *req,
                                const art_collection_t *c, const char *lang)
{
    const art_ltext_t *t = art_ltext_pick(c->titles, lang,
                                          req->snap->site->default_lang);

    lua_createtable(L, 0, 3);
    set_str(L, "id", c->id);
    set_str(L, "title", t ? t->text : c->id);
    set_url(L, req, "url", art_route_path(req->pool, ART_PAGE_COLLECTION, lang,
                                          c->id, NULL));
}

/* ---------------------------------------------------------------- version cache
 *
 * Much of the page depends only on the repository version, the mount prefix
 * and the page (its path): UI strings, the site table, the languages and
 * alternates lists, og and twitter pairs, the collection and author tables
 * of list and article pages, an article's author refs.  Each
 * state keeps those tables, as the module built them, in a registry table
 * that is replaced whenever the version (content digest, what is public:
 * since and preview) changes.  Requests read the cached tables themselves;
 * each is checked against the fingerprint it had when made before it is
 * handed out, so a filter may change its page's tables as it always could,
 * and the next request still gets the module's (made anew).  The check is a
 * walk of the table, far cheaper than making it.
 *
 * Most of these tables are read by the template engine alone, and it writes
 * nothing.  So an entry is pristine while no Lua code was ever handed it:
 * the engine's own reads (engine_asked) of a pristine entry skip the walk,
 * since nobody else can have changed it; every other hand-out checks it as
 * above and marks it exposed for good, checked on every later hand-out.
 * What the engine is handed stays out of Lua's reach: page_index does not
 * store it in the page (settle_field), so a lambda or a page kept past its
 * request that reads the field goes through page_index, whose answer to
 * Lua code is the checked one.
 *
 * The registry table is the state's, which serves one request at a time and
 * one world (vhost, repository, filter list): no lock, no other site's data.
 * It is bounded: at most PCACHE_MAX entries, and dropped whole (its memory
 * collected when the cap needs it) before what it holds would pass an
 * eighth of the state's memory cap, so filters keep the room they had.
 * What it holds is an estimate of each entry's size, taken by the walk
 * that fingerprints the entry when it is made (st->pc_bytes), not the
 * state's memory: that counts garbage too, which the collector lets grow
 * to about as much as what is live, so a state serving several page kinds
 * went past the eighth with a cache far below it and dropped it again and
 * again, making every page's tables anew. */

#define PCACHE_MAX 4096
#define FP_DEPTH 8
#define FP_ENTRIES 65536        /* more than any table the module makes */
/* Sizes for the estimate, a little above what Lua 5.4 allocates on 64-bit
 * machines: a table, one key and value slot of it, a string's header. */
#define PC_TABLE_BYTES 64
#define PC_SLOT_BYTES 32
#define PC_STRING_BYTES 32

/* Push the state's cache table for req's version, a new one when the
 * version changed. */
static void pcache_push(lua_State *L, art_req_t *req)
{
    art_lstate_t *st = art_lua_st(L);
    const art_snapshot_t *s = req->snap;

    if (st->pc_valid && st->pc_digest == s->digest
        && st->pc_fingerprint == s->fingerprint && st->pc_since == s->since
        && st->pc_preview == s->preview) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &pcache_key);
        return;
    }
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &pcache_key);
    st->page_entry = 0;
    st->pc_valid = 1;
    st->pc_digest = s->digest;
    st->pc_fingerprint = s->fingerprint;
    st->pc_since = s->since;
    st->pc_preview = s->preview;
    st->pc_entries = 0;
    st->pc_bytes = 0;
}

/* Whether one more entry of about bytes fits in the cache. */
static int pcache_fits(const art_lstate_t *st, apr_size_t bytes)
{
    return st->pc_entries < PCACHE_MAX
        && (!st->mem_limit || st->pc_bytes + bytes <= st->mem_limit / 8);
}

/* Whether one more entry of about bytes would overfill the cache; if so,
 * the counts start again for the empty one that replaces it. */
static int pcache_full(art_lstate_t *st, apr_size_t bytes)
{
    if (pcache_fits(st, bytes)) {
        return 0;
    }
    st->page_entry = 0;
    st->pc_entries = 0;
    st->pc_bytes = 0;
    return 1;
}

/* Make room for one more entry, of about bytes, in the cache table at
 * cache: replaced with an empty one (there and in the registry) when it
 * would be full. */
static void pcache_room(lua_State *L, int cache, apr_size_t bytes)
{
    art_lstate_t *st = art_lua_st(L);

    if (pcache_full(st, bytes)) {
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &pcache_key);
        lua_replace(L, cache);
    }
    st->pc_entries++;
    st->pc_bytes += bytes;
}

/* pcache_room for an entry put in one of the cache's entry tables (see
 * entry_push), which need not be on the stack: when the cache is full it is
 * dropped from the registry, and the entry table, that request's only,
 * goes with it once the request ends. */
static void pcache_count(lua_State *L, apr_size_t bytes)
{
    art_lstate_t *st = art_lua_st(L);

    if (pcache_full(st, bytes)) {
        lua_newtable(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &pcache_key);
    }
    st->pc_entries++;
    st->pc_bytes += bytes;
}

/* A fingerprint of a table: of its metatable's presence and of every key
 * and value (strings, tables and functions by identity, numbers and
 * booleans by value), the tables in it included, whatever the order of the
 * walk.  Any change a filter can make to a table the module built shows
 * (an equal long string put back counts as a change, which only costs a
 * rebuild). */
typedef struct fp_walk_t {
    long left;                   /* entries the walk may still visit */
    apr_size_t bytes;            /* about what the tables walked hold */
} fp_walk_t;

static apr_uint64_t fp_value(lua_State *L, int idx, int depth, fp_walk_t *w);

static apr_uint64_t fp_mix(apr_uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static apr_uint64_t fp_table(lua_State *L, int idx, int depth, fp_walk_t *w)
{
    apr_uint64_t h = 0x9E3779B97F4A7C15ULL;

    if (depth > FP_DEPTH || w->left <= 0) {
        return h;
    }
    luaL_checkstack(L, 4, "page model");
    idx = lua_absindex(L, idx);
    w->bytes += PC_TABLE_BYTES;
    if (lua_getmetatable(L, idx)) {
        lua_pop(L, 1);
        h ^= 1;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (--w->left <= 0) {
            lua_pop(L, 2);
            break;
        }
        w->bytes += PC_SLOT_BYTES;
        h += fp_mix(fp_value(L, -2, depth, w) * 31 + fp_value(L, -1, depth, w));
        lua_pop(L, 1);
    }
    return h;
}

static apr_uint64_t fp_value(lua_State *L, int idx, int depth, fp_walk_t *w)
{
    int t = lua_type(L, idx);
    lua_Number n;
    apr_uint64_t bits = 0;

    switch (t) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            return (apr_uint64_t)lua_tointeger(L, idx) * 8 + 1;
        }
        n = lua_tonumber(L, idx);
        memcpy(&bits, &n, sizeof(n) < sizeof(bits) ? sizeof(n) : sizeof(bits));
        return bits * 8 + 2;
    case LUA_TBOOLEAN:
        return (apr_uint64_t)lua_toboolean(L, idx) * 8 + 3;
    case LUA_TTABLE:
        return ((apr_uint64_t)(apr_uintptr_t)lua_topointer(L, idx) * 8 + 4)
            ^ fp_table(L, idx, depth + 1, w);
    case LUA_TSTRING:
        /* counted, then fingerprinted by identity as the rest */
        w->bytes += PC_STRING_BYTES + lua_rawlen(L, idx);
        /* fall through */
    default:
        return (apr_uint64_t)(apr_uintptr_t)lua_topointer(L, idx) * 8
            + (apr_uint64_t)t;
    }
}

/* The fingerprint of the table at idx, 0 when it is larger than any the
 * module makes (then it counts as changed: a filter grew it, or made it
 * hold itself); *bytes, when not NULL, gets about what it holds.  The walk
 * is the module's own work, bounded by FP_ENTRIES whatever a filter did,
 * so it is not charged: it may run while the template renders, where the
 * filters' deadline is no measure of it. */
static apr_uint64_t fingerprint(lua_State *L, int idx, apr_size_t *bytes)
{
    fp_walk_t w;
    apr_uint64_t h;

    w.left = FP_ENTRIES;
    w.bytes = 0;
    h = fp_table(L, idx, 0, &w);
    if (bytes) {
        *bytes = w.bytes;
    }
    return w.left <= 0 ? 0 : h | 1;
}

typedef int pcache_build_fn(lua_State *L, art_req_t *req, const void *arg);

static int page_index(lua_State *L);
static int article_index(lua_State *L);

/* The C function running at the given level of the call stack, or NULL. */
static lua_CFunction frame_cfunction(lua_State *L, int level)
{
    lua_Debug ar;
    lua_CFunction f;

    if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "f", &ar)) {
        return NULL;
    }
    f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    return f;
}

/* Whether the template engine itself asked for the value being made: the
 * running function is its render function, or the page's or an article's
 * __index called straight from it (lua_gettable).  Then the value reaches
 * no Lua code: the engine passes lambdas nothing but section text, and a
 * metamethod's result goes back to its caller only.  A Lua __index, a
 * lambda, a coroutine or any other C function in between makes it no.
 * st->engine_native spares the walk of the stack, or half of it: 1, the
 * engine is reading a view natively (view_native_get), or page_index
 * found that the engine called it; 2, the running C function is
 * article_index (which sets it for what it calls), so only its caller is
 * to be looked at; 3, page_index found that something else called it.
 * Every C function through which this can be
 * reached sets it on entry, so no value outlives its call, even one an
 * error left behind. */
static int engine_asked(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    lua_CFunction render, f;

    if (st->engine_native == 1 || st->engine_native == 3) {
        return st->engine_native == 1;
    }
    render = art_tpl_render_entry();
    if (st->engine_native == 2) {
        return frame_cfunction(L, 1) == render;
    }
    f = frame_cfunction(L, 0);
    if (f == render) {
        return 1;
    }
    return (f == page_index || f == article_index)
        && frame_cfunction(L, 1) == render;
}

/* Push the cached table under key (made with build(L, req, arg) on a miss,
 * or when its fingerprint says a filter changed it since); returns 0,
 * pushing nothing, when build says the page has no such field.  The key is
 * on top of the stack and is replaced.
 *
 * The table handed out is the cache's own: a request reads it where it is.
 * cache[key] is { tbl, mark }: the table and the fingerprint taken when it
 * was made, odd (as fingerprint makes them) once the table was exposed to
 * Lua, with its low bit clear while pristine (two array slots, so that a
 * hit is one hashed lookup).  An exposed table's fingerprint is checked each
 * time it is handed out, so what a filter changed in it (in this request, or
 * through a reference kept from an earlier one) is never seen by another
 * request: the table is made anew.  st->pc_pristine tells the caller when
 * it handed a pristine table to the engine unchecked. */
static int pcache_get_in(lua_State *L, art_req_t *req, int sub,
                         pcache_build_fn *build, const void *arg,
                         const art_article_t *who);

static int pcache_get(lua_State *L, art_req_t *req, pcache_build_fn *build,
                      const void *arg)
{
    pcache_push(L, req);
    lua_insert(L, -2);
    return pcache_get_in(L, req, 0, build, arg, NULL);
}

/* Whether slot i of the entry table at entry holds the string s. */
static int entry_is(lua_State *L, int entry, int i, const char *s)
{
    const char *v;
    size_t n;

    lua_rawgeti(L, entry, i);
    v = lua_tolstring(L, -1, &n);
    lua_pop(L, 1);
    return v && strlen(s) == n && memcmp(v, s, n) == 0;
}

/* Whether the article entry at entry (see pcache_get_in) is who's.  Slot 3
 * holds the number of the snapshot (art_snapshot_t.serial, one per loaded
 * version of the repository, rising) in which the entry was last found to
 * be who's: within one snapshot a document id names one article, so while
 * the serial is the same one integer comparison says so, where comparing
 * the id and the language (slots 4 and 5) read two cold store strings on
 * every hand-out.  In another snapshot (or one without a serial: 0) the
 * strings decide, and a match stamps the entry with the new serial. */
static int entry_is_article(lua_State *L, int entry, art_req_t *req,
                            const art_article_t *who)
{
    lua_Integer serial = (lua_Integer)req->snap->serial;
    int same;

    lua_rawgeti(L, entry, 3);
    same = serial != 0 && lua_tointeger(L, -1) == serial;
    lua_pop(L, 1);
    if (same) {
        return 1;
    }
    if (!entry_is(L, entry, 4, who->id)
        || !entry_is(L, entry, 5, who->lang->code)) {
        return 0;
    }
    lua_pushinteger(L, serial);
    lua_rawseti(L, entry, 3);
    return 1;
}

/* pcache_get with the table that holds the entry (the cache itself, or an
 * entry table in it when sub) below the key.  Both are replaced by the
 * value.  When who is not NULL the key is its document id, which says
 * which article it is only within one snapshot: the entry also holds the
 * article's id and language (entry_is_article), and one that holds
 * another's is made anew. */
static int pcache_get_in(lua_State *L, art_req_t *req, int sub,
                         pcache_build_fn *build, const void *arg,
                         const art_article_t *who)
{
    art_lstate_t *st = art_lua_st(L);
    int key = lua_gettop(L), cache = key - 1, engine;
    apr_uint64_t mark, fp;
    apr_size_t bytes;

    st->pc_pristine = 0;
    lua_pushvalue(L, key);
    if (lua_rawget(L, cache) == LUA_TTABLE
        && (who == NULL || entry_is_article(L, lua_gettop(L), req, who))) {
        int entry = lua_gettop(L);

        lua_rawgeti(L, entry, 2);
        mark = (apr_uint64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_rawgeti(L, entry, 1);
        if (mark && !(mark & 1) && engine_asked(L)) {
            st->pc_pristine = 1;
            lua_replace(L, cache);
            lua_settop(L, cache);
            return 1;
        }
        fp = fingerprint(L, -1, NULL);
        if (fp && (mark | 1) == fp) {
            if (!(mark & 1)) {                  /* exposed from now on */
                lua_pushinteger(L, (lua_Integer)fp);
                lua_rawseti(L, entry, 2);
            }
            lua_replace(L, cache);
            lua_settop(L, cache);
            return 1;
        }
        lua_pop(L, 2);                          /* forget the changed one */
        lua_pushvalue(L, key);
        lua_pushnil(L);
        lua_rawset(L, cache);
    }
    else {
        lua_pop(L, 1);
    }
    if (!build(L, req, arg)) {
        lua_settop(L, cache - 1);
        return 0;
    }
    engine = engine_asked(L);
    fp = fingerprint(L, -1, &bytes) & (engine ? ~(apr_uint64_t)1 : ~0ULL);
    /* the entry, its slot and, for an article's, its serial, id and
     * language */
    bytes += PC_TABLE_BYTES + 6 * PC_SLOT_BYTES
        + (who ? 2 * PC_STRING_BYTES + strlen(who->id) + 8 : 0);
    if (sub) {
        pcache_count(L, bytes);
    }
    else {
        pcache_room(L, cache, bytes);
    }
    lua_pushvalue(L, key);
    lua_createtable(L, who ? 5 : 2, 0);
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, (lua_Integer)fp);
    lua_rawseti(L, -2, 2);
    if (who) {
        lua_pushinteger(L, (lua_Integer)req->snap->serial);
        lua_rawseti(L, -2, 3);
        lua_pushstring(L, who->id);
        lua_rawseti(L, -2, 4);
        lua_pushstring(L, who->lang->code);
        lua_rawseti(L, -2, 5);
    }
    lua_rawset(L, cache);
    st->pc_pristine = engine;
    lua_replace(L, cache);
    lua_settop(L, cache);
    return 1;
}

/* Tables in the cache that group entries: this page's fields (key "P\n"
 * base "\n" path) and the article author lists of this mount prefix (key
 * "A\n" base).  Their keys may be long strings, which Lua neither interns
 * nor keeps the hash of from one string to the next, so each is made and
 * looked up once per request, then kept in the registry while bit `which`
 * of st->page_entry says it is this request's (cleared by each page and
 * whenever the cache is replaced). */
#define ENTRY_PAGE 1
#define ENTRY_AUTHORS 2

/* The page entry's array.  The fields of one page the cache keeps, by
 * their number in it; then what art_lua_seo.c keeps (art_lua_page_kept);
 * the table of the page's own strings (page_urls_push); the cache keys of
 * the tables the page shares with other pages (shared_key_push). */
enum { PAGE_og = 1, PAGE_twitter, PAGE_alternates, PAGE_languages };
#define PAGE_URLS (PAGE_languages + ART_LUA_KEPT_JSONLD + 1)
enum { KEY_site = PAGE_URLS + 1, KEY_strings, KEY_collection, KEY_author };
#define PAGE_SLOTS KEY_author

static const char page_entry_key = 'p';
static const char authors_entry_key = 'a';

static void entry_push(lua_State *L, art_req_t *req, int which)
{
    art_lstate_t *st = art_lua_st(L);
    const void *slot = which == ENTRY_PAGE ? &page_entry_key : &authors_entry_key;
    int cache;

    if (st->page_entry & which) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, slot);
        return;
    }
    pcache_push(L, req);
    cache = lua_gettop(L);
    if (which == ENTRY_PAGE) {
        lua_pushfstring(L, "P\n%s\n%s", req->base, req->path);
    }
    else {
        lua_pushfstring(L, "A\n%s", req->base);
    }
    lua_pushvalue(L, -1);
    if (lua_rawget(L, cache) != LUA_TTABLE) {
        lua_pop(L, 1);
        pcache_room(L, cache, 2 * PC_TABLE_BYTES
                    + (PAGE_SLOTS + 1) * PC_SLOT_BYTES
                    + PC_STRING_BYTES + lua_rawlen(L, -1));
        lua_createtable(L, which == ENTRY_PAGE ? PAGE_SLOTS : 0, 0);
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_rawset(L, cache);
    }
    lua_replace(L, cache);
    lua_settop(L, cache);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, slot);
    st->page_entry |= which;
}

static void page_entry_push(lua_State *L, art_req_t *req)
{
    entry_push(L, req, ENTRY_PAGE);
}

/* The fields of an article view that are not one of its strings as stored. */
typedef int article_field_fn(lua_State *L, art_req_t *req, const art_article_t *a);

static int build_authors(lua_State *L, art_req_t *req, const void *arg)
{
    const art_article_t *a = arg;
    int i;

    lua_createtable(L, a->nauthors, 0);
    for (i = 0; i < a->nauthors; i++) {
        push_author_ref(L, req, a->authors[i], a->lang->code);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* Kept in the mount prefix's author lists entry under the article's
 * document id: no key string to make (one made of the language and id is
 * often long, and a long string's hash is computed anew for each one). */
static int field_authors(lua_State *L, art_req_t *req, const art_article_t *a)
{
    entry_push(L, req, ENTRY_AUTHORS);
    lua_pushinteger(L, a->doc);
    return pcache_get_in(L, req, 1, build_authors, a, a);
}

static int field_collection(lua_State *L, art_req_t *req, const art_article_t *a)
{
    push_collection_ref(L, req, a->collection, a->lang->code);
    return 1;
}

static int field_corrections(lua_State *L, art_req_t *req, const art_article_t *a)
{
    int i;

    (void)req;
    lua_createtable(L, a->ncorrections, 0);
    for (i = 0; i < a->ncorrections; i++) {
        lua_createtable(L, 0, 3);
        set_str(L, "date", a->corrections[i].date);
        set_str(L, "text", a->corrections[i].text);
        push_rfc3339(L, a->corrections[i].date_t);
        lua_setfield(L, -2, "date_iso");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int field_corrected(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    lua_pushboolean(L, a->ncorrections > 0);
    return 1;
}

static int field_draft(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    lua_pushboolean(L, a->draft);
    return 1;
}

/* Not public yet but for its time (seen only under ArticlesPreview). */
static int field_scheduled(lua_State *L, art_req_t *req, const art_article_t *a)
{
    lua_pushboolean(L, !a->draft && req->snap->now
                    && a->published_t > req->snap->now);
    return 1;
}

static int field_notes(lua_State *L, art_req_t *req, const art_article_t *a)
{
    int i;

    (void)req;
    lua_createtable(L, a->nnotes, 0);
    for (i = 0; i < a->nnotes; i++) {
        lua_createtable(L, 0, 1);
        set_str(L, "text", a->notes[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int field_published_iso(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    push_rfc3339(L, a->published_t);
    return 1;
}

static int field_published_ts(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    lua_pushinteger(L, (lua_Integer)apr_time_sec(a->published_t));
    return 1;
}

static int field_signature(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    if (a->signature == NULL) {
        return 0;
    }
    lua_createtable(L, 0, 2);
    set_str(L, "text", a->signature);
    set_str(L, "date", a->signature_date);
    return 1;
}

static int field_tags(lua_State *L, art_req_t *req, const art_article_t *a)
{
    int i;

    lua_createtable(L, a->ntags, 0);
    for (i = 0; i < a->ntags; i++) {
        lua_createtable(L, 0, 3);
        set_str(L, "name", a->tags[i].name);
        set_str(L, "key", a->tags[i].key);
        set_url(L, req, "url", art_route_path(call_pool(L), ART_PAGE_TAG,
                                              a->lang->code, a->tags[i].key,
                                              NULL));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int field_translations(lua_State *L, art_req_t *req, const art_article_t *a)
{
    const art_list_t *tr = art_article_translations(req->snap, a);
    const art_article_t **group = NULL;
    int i, n = 0, m = 0;

    if (tr) {
        group = apr_palloc(req->pool, sizeof(*group) * (apr_size_t)tr->n);
        m = art_list_slice(tr, 0, tr->n, group);
    }
    lua_newtable(L);
    for (i = 0; i < m; i++) {
        const art_article_t *t = group[i];
        if (t == a || t->doc == a->doc) {
            continue;
        }
        lua_createtable(L, 0, 4);
        set_str(L, "lang", t->lang->code);
        set_str(L, "dir", t->lang->dir);
        set_str(L, "name", t->lang->name);
        set_str(L, "title", t->title);
        set_url(L, req, "url", t->path);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

static int field_updated_iso(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    push_rfc3339(L, a->updated ? a->updated_t : a->published_t);
    return 1;
}

static int field_updated_ts(lua_State *L, art_req_t *req, const art_article_t *a)
{
    (void)req;
    if (a->updated == NULL) {
        return 0;
    }
    lua_pushinteger(L, (lua_Integer)apr_time_sec(a->updated_t));
    return 1;
}

/* The fields that are text the snapshot and the request hold, NUL-terminated:
 * what a template may write out without a Lua string being made
 * (view_native_get).  Each fills t (s2 NULL unless the text is two pieces)
 * and returns 1, or returns 0 for nil. */
typedef int article_text_fn(art_req_t *req, const art_article_t *a,
                            art_tpl_text_t *t);

static int text_is(art_tpl_text_t *t, const char *s, size_t n)
{
    t->s = s;
    t->n = n;
    t->s2 = NULL;
    t->n2 = 0;
    return 1;
}

static int text_body(art_req_t *req, const art_article_t *a, art_tpl_text_t *t)
{
    (void)req;
    /* lua_pushlstring made "" of a missing body, never nil */
    return a->body ? text_is(t, a->body, a->body_len) : text_is(t, "", 0);
}

static int text_dir(art_req_t *req, const art_article_t *a, art_tpl_text_t *t)
{
    (void)req;
    return text_is(t, a->lang->dir, strlen(a->lang->dir));
}

static int text_lang(art_req_t *req, const art_article_t *a, art_tpl_text_t *t)
{
    (void)req;
    return text_is(t, a->lang->code, strlen(a->lang->code));
}

/* base .. path, as push_url makes it */
static int text_url(art_req_t *req, const art_article_t *a, art_tpl_text_t *t)
{
    text_is(t, req->base, strlen(req->base));
    t->s2 = a->path;
    t->n2 = strlen(a->path);
    return 1;
}

/* A string member of art_article_t (nil when NULL), text made by a function,
 * or a value pushed by a function. */
#define STRING_FIELD(name) { #name, offsetof(art_article_t, name), NULL, NULL }
#define TEXT_FIELD(name) { #name, 0, text_##name, NULL }
#define FN_FIELD(name) { #name, 0, NULL, field_##name }

typedef struct article_field_t {
    const char *name;
    size_t offset;
    article_text_fn *text;
    article_field_fn *push;
} article_field_t;

/* Sorted by name (bsearch in view_field).  A field's number is its place
 * here. */
static const article_field_t article_fields[] = {
    FN_FIELD(authors),
    TEXT_FIELD(body),
    FN_FIELD(collection),
    FN_FIELD(corrected),
    FN_FIELD(corrections),
    TEXT_FIELD(dir),
    FN_FIELD(draft),
    STRING_FIELD(file),
    STRING_FIELD(id),
    TEXT_FIELD(lang),
    FN_FIELD(notes),
    STRING_FIELD(published),
    FN_FIELD(published_iso),
    FN_FIELD(published_ts),
    FN_FIELD(scheduled),
    FN_FIELD(signature),
    STRING_FIELD(summary),
    FN_FIELD(tags),
    STRING_FIELD(title),
    STRING_FIELD(translation),
    FN_FIELD(translations),
    STRING_FIELD(updated),
    FN_FIELD(updated_iso),
    FN_FIELD(updated_ts),
    TEXT_FIELD(url),
};

#define NFIELDS ((int)(sizeof(article_fields) / sizeof(article_fields[0])))

static int field_cmp(const void *key, const void *field)
{
    return strcmp(key, ((const article_field_t *)field)->name);
}

/* The number of the field called name, or -1. */
static int view_field(const char *name)
{
    const article_field_t *f = bsearch(name, article_fields, NFIELDS,
                                       sizeof(article_fields[0]), field_cmp);

    return f ? (int)(f - article_fields) : -1;
}

/* Field number f (-1: none) of a's view: as text when text is not NULL and
 * the field is text, else pushed.  Returns the type of the value, or
 * ART_TPL_NATIVE_TEXT. */
static int view_value(lua_State *L, art_req_t *req, const art_article_t *a,
                      int f, art_tpl_text_t *text)
{
    const article_field_t *fd;
    art_tpl_text_t t;
    const char *s;

    if (f < 0) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    fd = &article_fields[f];
    if (fd->push) {
        /* the engine calls this in its own frame, not as a C function with
         * LUA_MINSTACK slots of its own */
        luaL_checkstack(L, LUA_MINSTACK, "article field");
        if (fd->push(L, req, a) == 0) {
            lua_pushnil(L);
        }
        return lua_type(L, -1);
    }
    if (fd->text) {
        if (!fd->text(req, a, &t)) {
            lua_pushnil(L);
            return LUA_TNIL;
        }
    }
    else {
        s = *(const char *const *)((const char *)a + fd->offset);
        if (s == NULL) {
            lua_pushnil(L);
            return LUA_TNIL;
        }
        text_is(&t, s, strlen(s));
    }
    if (text) {
        *text = t;
        return ART_TPL_NATIVE_TEXT;
    }
    lua_pushlstring(L, t.s, t.n);
    if (t.s2) {
        lua_pushlstring(L, t.s2, t.n2);
        lua_concat(L, 2);
    }
    return LUA_TSTRING;
}

/* __index, with upvalue 1 the state's table from field name to field
 * number: one raw lookup of the interned key, no string comparison.  The
 * checks come in the order they always did: the view, the key (a string
 * or a number, which names no field), then the request's budgets. */
static int article_index(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    const art_article_t *a = check_article(L, 1);
    art_req_t *req;
    int f = -1;

    st->engine_native = 0;
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER) {
        f = (int)lua_tointeger(L, -1);
    }
    else if (lua_type(L, 2) != LUA_TSTRING) {
        luaL_checkstring(L, 2);
    }
    lua_pop(L, 1);
    req = cur_req(L);
    st->engine_native = 2;
    view_value(L, req, a, f, NULL);
    st->engine_native = 0;
    return 1;
}

/* The template engine's way to a view's fields (art_mustache.h): the same
 * checks and values as article_index, without a metamethod call, and text
 * that is only written out is not made a Lua string.  The engine has
 * compared the metatable already; the rest of check_view is done here.
 * The engine calls this in its own frame and no field runs Lua code, so
 * what is made here is the engine's alone (engine_asked, without walking
 * the call stack). */
static int view_native_get(lua_State *L, int idx, int f, art_tpl_text_t *text)
{
    const art_view_t *v = lua_touserdata(L, idx);
    art_lstate_t *st = art_lua_st(L);
    art_req_t *req;
    int t;

    view_check_current(L, v);
    req = cur_req(L);
    st->engine_native = 1;
    t = view_value(L, req, v->a, f, text);
    st->engine_native = 0;
    return t;
}

/* Whether the page_index call that returned last ran no Lua code, so that
 * the engine may keep its answer (art_mustache.h). */
static int page_index_kept(lua_State *L)
{
    return art_lua_st(L)->index_kept;
}

/* Whether that answer was a pristine cache entry the engine holds. */
static int page_index_pristine(lua_State *L)
{
    return art_lua_st(L)->index_pristine;
}

/* The table where the template engine keeps sections rendered over
 * pristine entries and article views (art_tpl_native_t.index_memo): in the
 * version cache, so that it goes when the cache goes, one per mount prefix
 * (a view's URLs carry it), and counted against the cache's bounds.  When
 * the cache is full, nothing more is kept until it is replaced. */
static int page_index_memo(lua_State *L, size_t bytes)
{
    art_lstate_t *st = art_lua_st(L);
    art_req_t *req = st->req;

    if (req == NULL) {
        return 0;
    }
    if (bytes && !pcache_fits(st, bytes)) {
        return 0;
    }
    pcache_push(L, req);
    lua_pushfstring(L, "F\n%s", req->base);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushfstring(L, "F\n%s", req->base);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    lua_remove(L, -2);
    if (bytes) {
        st->pc_entries++;
        st->pc_bytes += bytes;
    }
    return 1;
}

/* A view's fields depend on its article, the snapshot it is in and the
 * mount prefix alone (art_tpl_native_t.anchor; the engine's table is per
 * prefix): the article's address, known by the snapshot's serial.  A view
 * kept past its request has none; the engine's get raises for it. */
static const void *view_anchor(lua_State *L, int idx, lua_Integer *serial)
{
    art_lstate_t *st = art_lua_st(L);
    const art_view_t *v = lua_touserdata(L, idx);

    if (st->req == NULL || v == NULL || v->serial != st->serial) {
        return NULL;
    }
    *serial = (lua_Integer)st->req->snap->serial;
    return v->a;
}

static const art_tpl_native_t view_native = {
    view_field, view_native_get, page_index, page_index_kept,
    page_index_pristine, page_index_memo, view_anchor
};

static int article_newindex(lua_State *L)
{
    check_view(L, 1);
    return luaL_error(L, "article fields are read-only (tried to set '%s')",
                      luaL_tolstring(L, 2, NULL));
}

static int article_tostring(lua_State *L)
{
    const art_article_t *a = check_article(L, 1);

    lua_pushfstring(L, "article %s/%s", a->lang->code, a->id);
    return 1;
}

/* __eq runs only when both operands are views. */
static int article_eq(lua_State *L)
{
    const art_article_t *a = check_article(L, 1);

    lua_pushboolean(L, a == check_article(L, 2));
    return 1;
}

/* ---------------------------------------------------------------- articles API */

static int api_get(lua_State *L)
{
    art_req_t *req = cur_req(L);
    const char *lang = luaL_checkstring(L, 1);
    const char *id = luaL_checkstring(L, 2);
    const art_article_t *a = art_snapshot_article(req->snap, lang, id);

    if (a == NULL) {
        lua_pushnil(L);
    }
    else {
        art_lua_push_article(L, a);
    }
    return 1;
}

/* t[k] without metamethods; pushes it and returns its type. */
static int raw_field(lua_State *L, int t, const char *k)
{
    lua_pushstring(L, k);
    return lua_rawget(L, t < 0 ? t - 1 : t);
}

static const char *opt_field(lua_State *L, apr_pool_t *p, int t, const char *k)
{
    const char *v;

    raw_field(L, t, k);
    v = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
    /* Copied: a number converted to a string lives only on the stack. */
    v = v ? apr_pstrdup(p, v) : NULL;
    lua_pop(L, 1);
    return v;
}

static lua_Integer int_field(lua_State *L, int t, const char *k, lua_Integer def)
{
    lua_Integer v;
    int isnum;

    raw_field(L, t, k);
    v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    return isnum ? v : def;
}

/* The limit (default 10, at most FIND_LIMIT_MAX) and offset (default 0) of
 * the options table at t, for the calls that return lists. */
static void list_window(lua_State *L, int t, lua_Integer *limit,
                        lua_Integer *offset)
{
    *limit = int_field(L, t, "limit", 10);
    *offset = int_field(L, t, "offset", 0);
    if (*limit < 0 || *limit > FIND_LIMIT_MAX) {
        *limit = FIND_LIMIT_MAX;
    }
    if (*offset < 0) {
        *offset = 0;
    }
    /* Lists and result windows count in int; an offset past INT_MAX is past
     * every one of them, and must not wrap when narrowed. */
    if (*offset > INT_MAX) {
        *offset = INT_MAX;
    }
}

static int has_author(const art_article_t *a, const char *id)
{
    int i;

    for (i = 0; i < a->nauthors; i++) {
        if (strcmp(a->authors[i]->id, id) == 0) {
            return 1;
        }
    }
    return 0;
}

static int has_tag(const art_article_t *a, const char *key)
{
    int i;

    for (i = 0; i < a->ntags; i++) {
        if (strcmp(a->tags[i].key, key) == 0) {
            return 1;
        }
    }
    return 0;
}

/* articles.find{lang=, author=, tag=, collection=, limit=, offset=}: newest
 * first.  The narrowest index is walked and the other criteria filter it. */
static int api_find(lua_State *L)
{
    art_req_t *req = cur_req(L);
    apr_pool_t *p = call_pool(L);
    const art_snapshot_t *s = req->snap;
    const char *lang, *author, *tag, *coll, *tagkey = NULL;
    const art_list_t *list;
    lua_Integer limit, offset;
    int i, pos, want, n = 0, skipped = 0, unfiltered = 0;

    luaL_checktype(L, 1, LUA_TTABLE);
    lang = opt_field(L, p, 1, "lang");
    author = opt_field(L, p, 1, "author");
    tag = opt_field(L, p, 1, "tag");
    coll = opt_field(L, p, 1, "collection");
    list_window(L, 1, &limit, &offset);
    if (tag) {
        tagkey = art_tag_fold(p, tag);
    }
    /* Walk the narrowest index; a criterion that chose it needs no check. */
    if (lang && author) {
        list = art_snapshot_list(s, ART_LIST_AUTHOR, lang, author);
        author = NULL;
    }
    else if (lang && tagkey) {
        list = art_snapshot_list(s, ART_LIST_TAG, lang, tagkey);
        tagkey = NULL;
    }
    else if (lang && coll) {
        list = art_snapshot_list(s, ART_LIST_COLLECTION, lang, coll);
        coll = NULL;
    }
    else if (lang) {
        list = art_snapshot_list(s, ART_LIST_LANG, lang, NULL);
    }
    else {
        list = art_snapshot_list(s, ART_LIST_ALL, NULL, NULL);
    }
    lua_newtable(L);
    if (!author && !tagkey && !coll) {
        /* Nothing to filter: read only the window, no article past it. */
        skipped = (int)offset;
        unfiltered = 1;
    }
    for (pos = skipped; list && pos < list->n && n < limit; pos += want) {
        const art_article_t *run[FIND_RUN];
        int m;

        want = unfiltered && limit - n < FIND_RUN ? (int)(limit - n) : FIND_RUN;
        m = art_list_slice(list, pos, want, run);

        /* Walking a long list to fill a short page is work too. */
        if ((pos & ~1023) != ((pos + m) & ~1023)) {
            art_lua_charge(L, 1024);
        }
        for (i = 0; i < m && n < limit; i++) {
            const art_article_t *a = run[i];
            if ((author && !has_author(a, author))
                || (tagkey && !has_tag(a, tagkey))
                || (coll && strcmp(a->collection->id, coll) != 0)) {
                continue;
            }
            if (skipped < offset) {
                skipped++;
                continue;
            }
            art_lua_push_article(L, a);
            lua_rawseti(L, -2, ++n);
        }
    }
    return 1;
}

static int api_authors(lua_State *L)
{
    art_req_t *req = cur_req(L);
    const char *lang = luaL_optstring(L, 1, req->lang ? req->lang->code
                                      : req->snap->site->default_lang);
    int i;

    lua_createtable(L, req->snap->authors->nelts, 0);
    for (i = 0; i < req->snap->authors->nelts; i++) {
        push_author_ref(L, req, APR_ARRAY_IDX(req->snap->authors, i,
                                              art_author_t *), lang);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static void push_language(lua_State *L, const art_lang_t *l)
{
    lua_createtable(L, 0, 3);
    set_str(L, "code", l->code);
    set_str(L, "dir", l->dir);
    set_str(L, "name", l->name);
}

static int api_languages(lua_State *L)
{
    art_req_t *req = cur_req(L);
    const apr_array_header_t *langs = req->snap->site->langs;
    int i;

    lua_createtable(L, langs->nelts, 0);
    for (i = 0; i < langs->nelts; i++) {
        push_language(L, &APR_ARRAY_IDX(langs, i, art_lang_t));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* articles.negotiate(accept_language [, available]): the best of available
 * (a list of codes; default: the site's languages) for the header, or nil.
 * "*" stands for the site's default language. */
static int api_negotiate(lua_State *L)
{
    art_req_t *req = cur_req(L);
    apr_pool_t *p = call_pool(L);
    const apr_array_header_t *langs = req->snap->site->langs;
    size_t hlen;
    const char *header = luaL_optlstring(L, 1, "", &hlen);
    const char **codes;
    lua_Unsigned len;
    int i, n, deflt = -1, best;

    if (lua_isnoneornil(L, 2)) {
        n = langs->nelts;
        codes = apr_palloc(p, sizeof(char *) * (n ? n : 1));
        for (i = 0; i < n; i++) {
            codes[i] = APR_ARRAY_IDX(langs, i, art_lang_t).code;
        }
    }
    else {
        luaL_checktype(L, 2, LUA_TTABLE);
        len = lua_rawlen(L, 2);
        if (len > 1000) {
            return luaL_error(L, "too many languages to negotiate");
        }
        n = (int)len;
        codes = apr_palloc(p, sizeof(char *) * (n ? n : 1));
        for (i = 0; i < n; i++) {
            lua_rawgeti(L, 2, i + 1);
            codes[i] = apr_pstrdup(p, luaL_checkstring(L, -1));
            lua_pop(L, 1);
        }
    }
    /* The header is parsed against every code. */
    art_lua_charge(L, (lua_Integer)(hlen / 16) * (n + 1));
    for (i = 0; i < n; i++) {
        if (strcmp(codes[i], req->snap->site->default_lang) == 0) {
            deflt = i;
        }
    }
    best = art_negotiate(header, codes, n, deflt);
    if (best < 0) {
        lua_pushnil(L);
    }
    else {
        lua_pushstring(L, codes[best]);
    }
    return 1;
}

/* ---------------------------------------------------------------- related */

/* The options table of articles.related (at 2), read in one walk: a key
 * made from a C string for each of nine names cost more than the walk of
 * what lua/related.lua passes on every article page.  A walk sees the raw
 * fields, as rawget would; it is charged by the entry, since the table may
 * be of any size. */
#define OPT_IS(k, n, name) ((n) == sizeof(name) - 1 && memcmp(k, name, n) == 0)

static void related_opts(lua_State *L, art_related_opts_t *o, lua_Integer *limit,
                         lua_Integer *per)
{
    const char *k;
    size_t n;
    lua_Number d;
    lua_Integer steps = 0;
    int isnum;

    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (++steps == 256) {
            art_lua_charge(L, steps);
            steps = 0;
        }
        if (lua_type(L, -2) == LUA_TSTRING) {
            k = lua_tolstring(L, -2, &n);
            if (OPT_IS(k, n, "include_newer")) {
                if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
                    o->include_newer = 0;
                }
            }
            else if (OPT_IS(k, n, "limit") || OPT_IS(k, n, "per_list")) {
                lua_Integer v = lua_tointegerx(L, -1, &isnum);

                if (isnum) {
                    *(k[0] == 'l' ? limit : per) = v;
                }
            }
            else if ((d = lua_tonumberx(L, -1, &isnum)), isnum) {
                if (OPT_IS(k, n, "tags")) {
                    o->tags = d;
                }
                else if (OPT_IS(k, n, "authors")) {
                    o->authors = d;
                }
                else if (OPT_IS(k, n, "collection")) {
                    o->collection = d;
                }
                else if (OPT_IS(k, n, "text")) {
                    o->text = d;
                }
                else if (OPT_IS(k, n, "text_min")) {
                    o->text_min = d;
                }
                else if (OPT_IS(k, n, "min_score")) {
                    o->min_score = d;
                }
            }
        }
        lua_pop(L, 1);
    }
}

/* articles.related(article [, opts]): art_related_find with the weights
 * (tags, authors, collection, text), text_min, min_score, limit, per_list and
 * include_newer of opts; art_related.h says how they combine. */
static int api_related(lua_State *L)
{
    const art_article_t *a = check_article(L, 1);
    art_req_t *req = cur_req(L);
    apr_pool_t *p = call_pool(L);
    art_related_opts_t o;
    const art_article_t *out[ART_RELATED_MAX];
    lua_Integer limit, per;
    int i, n;

    art_related_defaults(&o);
    limit = o.limit;
    per = o.per_list;
    if (lua_istable(L, 2)) {
        related_opts(L, &o, &limit, &per);
    }
    o.limit = limit < 0 || limit > ART_RELATED_MAX ? ART_RELATED_MAX : (int)limit;
    o.per_list = per < 1 ? 1 : per > 100000 ? 100000 : (int)per;
    /* Each list looked at is walked up to per_list articles. */
    art_lua_charge(L, (lua_Integer)o.per_list * (a->ntags + a->nauthors + 2));
    n = art_related_find(req->snap, a, &o, p, out, NULL);
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) {
        art_lua_push_article(L, out[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* The snippet of a for query q, pushed as a string: from the repository's
 * memo of a's words when it has one. */
static void push_snippet(lua_State *L, apr_pool_t *p, const art_article_t *a,
                         const char *q, size_t qlen, lua_Integer width)
{
    const art_snapshot_t *s = art_lua_st(L)->req->snap;

    lua_pushstring(L, art_snippet_make_doc(p, s->snippet_memo, s->serial,
                                           a->doc, a->body, a->body_len,
                                           a->lang->code, q, qlen,
                                           (apr_size_t)width));
}

/* A snippet reads the article's body once for each query word. */
static void charge_snippet(lua_State *L, const art_article_t *a, size_t qlen)
{
    art_lua_charge(L, (lua_Integer)(a->body_len / 16) * (lua_Integer)(1 + qlen / 4));
}

/* The snippet width of the options table at t. */
static lua_Integer snippet_width(lua_State *L, int t)
{
    lua_Integer w = lua_istable(L, t) ? int_field(L, t, "length",
                                                  ART_SNIPPET_WIDTH)
                                      : ART_SNIPPET_WIDTH;

    return w < 0 ? 0 : w;
}

/* articles.search(lang, q [, {limit=, offset=, snippets=}]): BM25-ranked
 * articles of lang for q, the number of matches and, when opts.snippets is
 * true, a table of their snippets (snippets[i] belongs to results[i]). */
static int api_search(lua_State *L)
{
    art_req_t *req = cur_req(L);
    apr_pool_t *p = call_pool(L);
    const char *lang = luaL_checkstring(L, 1);
    size_t qlen;
    const char *q = luaL_checklstring(L, 2, &qlen);
    lua_Integer limit = 10, offset = 0;
    art_index_hit_t *hits;
    const art_article_t **found;
    int i, n = 0, m = 0, total = 0, snippets = 0;

    if (lua_istable(L, 3)) {
        list_window(L, 3, &limit, &offset);
        raw_field(L, 3, "snippets");
        snippets = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    /* Nothing lies past the window, and an offset near the largest integer
     * would overflow the charge below. */
    if (offset > ART_INDEX_WINDOW_MAX) {
        offset = ART_INDEX_WINDOW_MAX;
    }
    /* The index walks each query word's postings: charged by the query and
     * the window. */
    art_lua_charge(L, (lua_Integer)qlen * 16 + limit + offset);
    hits = apr_palloc(p, sizeof(*hits) * (apr_size_t)(limit ? limit : 1));
    if (offset < ART_INDEX_WINDOW_MAX) {
        n = art_snapshot_search(req->snap, lang, q, qlen, (int)limit,
                                (int)offset, hits, &total);
    }
    found = apr_palloc(p, sizeof(*found) * (apr_size_t)(n + 1));
    for (i = 0; i < n; i++) {
        const art_article_t *a = art_snapshot_doc(req->snap, hits[i].doc);
        if (a) {
            found[m++] = a;
        }
    }
    lua_createtable(L, m, 0);
    for (i = 0; i < m; i++) {
        art_lua_push_article(L, found[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, total);
    if (!snippets) {
        return 2;
    }
    lua_createtable(L, m, 0);
    for (i = 0; i < m; i++) {
        charge_snippet(L, found[i], qlen);
        push_snippet(L, p, found[i], q, qlen, snippet_width(L, 3));
        lua_rawseti(L, -2, i + 1);
    }
    return 3;
}

/* articles.snippet(article, q [, {length=}]): the passage of article that
 * best matches q, as HTML (escaped, matches in <mark>). */
static int api_snippet(lua_State *L)
{
    const art_article_t *a = check_article(L, 1);
    size_t qlen;
    const char *q = luaL_checklstring(L, 2, &qlen);
    apr_pool_t *p = call_pool(L);

    charge_snippet(L, a, qlen);
    push_snippet(L, p, a, q, qlen, snippet_width(L, 3));
    return 1;
}

static int api_defer(lua_State *L);

void art_lua_open_api(lua_State *L)
{
    static const luaL_Reg api[] = {
        { "search", api_search },
        { "related", api_related },
        { "snippet", api_snippet },
        { "negotiate", api_negotiate },
        { "get", api_get },
        { "find", api_find },
        { "authors", api_authors },
        { "languages", api_languages },
        { "defer", api_defer },
        { NULL, NULL }
    };
    static const luaL_Reg article_meta[] = {
        { "__newindex", article_newindex },
        { "__tostring", article_tostring },
        { "__eq", article_eq },
        { NULL, NULL }
    };
    int i;

    luaL_newmetatable(L, ARTICLE_MT);
    luaL_setfuncs(L, article_meta, 0);
    art_lua_st(L)->view_mt = lua_topointer(L, -1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &view_mt_key);
    lua_createtable(L, 0, NFIELDS);
    for (i = 0; i < NFIELDS; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, article_fields[i].name);
    }
    lua_pushcclosure(L, article_index, 1);
    lua_setfield(L, -2, "__index");
    art_tpl_native(L, -1, &view_native);
    lua_pushliteral(L, "articles.Article");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newlib(L, api);
}

/* ---------------------------------------------------------------- the page */

/* The URL of this page in another language, or NULL when there is none. */
const char *art_lua_page_in_lang(art_req_t *req, const art_lang_t *l)
{
    if (req->article) {
        const art_list_t *tr = art_article_translations(req->snap,
                                                        req->article);
        const art_article_t *t;
        int i;
        if (req->article->lang == l) {
            return req->article->path;
        }
        for (i = 0; tr && i < tr->n; i++) {
            if (art_list_slice(tr, i, 1, &t) == 1 && t->lang == l) {
                return t->path;
            }
        }
        return NULL;
    }
    if (req->kind == ART_PAGE_ERROR) {
        return NULL;
    }
    /* A list page has a version in every language it has articles in (the
     * index and the authors page in all); a feed is that of its list page.
     * The sitemap, in no language, offers each language's home. */
    {
        art_page_kind_t kind = req->kind == ART_PAGE_FEED ? req->feed_of
            : req->kind == ART_PAGE_SITEMAP ? ART_PAGE_INDEX : req->kind;
        const art_list_t *list = NULL;
        const char *id = NULL, *p;
        int listed = 1;
        if (req->collection && !req->article) {
            id = req->collection->id;
            list = art_snapshot_list(req->snap, ART_LIST_COLLECTION, l->code,
                                     id);
            listed = list && list->n;
        }
        else if (req->author) {
            id = req->author->id;
            list = art_snapshot_list(req->snap, ART_LIST_AUTHOR, l->code, id);
            listed = list && list->n;
        }
        else if (req->tag) {
            id = req->tag;
            list = art_snapshot_list(req->snap, ART_LIST_TAG, l->code, id);
            listed = list && list->n;
        }
        if (!listed && l != req->lang) {
            return NULL;
        }
        p = art_route_path(req->pool, kind, l->code, id, NULL);
        return req->kind == ART_PAGE_FEED ? art_route_feed_path(req->pool, p) : p;
    }
}

static void push_site(lua_State *L, art_req_t *req)
{
    const art_site_t *site = req->snap->site;
    const char *lang = req->lang->code;
    const art_ltext_t *t = art_ltext_pick(site->titles, lang, site->default_lang);
    const char *host = strstr(site->url, "://");
    int i, j;

    lua_createtable(L, 0, 10);
    set_str(L, "title", t ? t->text : "");
    lua_createtable(L, site->titles->nelts, 0);
    for (i = 0; i < site->titles->nelts; i++) {
        const art_ltext_t *x = &APR_ARRAY_IDX(site->titles, i, art_ltext_t);
        const art_lang_t *xl = x->lang ? art_snapshot_lang(req->snap, x->lang) : NULL;
        lua_createtable(L, 0, 3);
        set_str(L, "lang", x->lang);
        set_str(L, "dir", xl ? xl->dir : NULL);
        set_str(L, "text", x->text);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "titles");
    set_str(L, "tagline", site->tagline);
    if (site->mottos->nelts) {
        const art_motto_t *m = &APR_ARRAY_IDX(site->mottos, 0, art_motto_t);
        const art_lang_t *ml;
        for (i = 0; i < site->mottos->nelts; i++) {
            const art_motto_t *x = &APR_ARRAY_IDX(site->mottos, i, art_motto_t);
            if (x->lang && strcmp(x->lang, lang) == 0) {
                m = x;
            }
        }
        ml = m->lang ? art_snapshot_lang(req->snap, m->lang) : NULL;
        lua_createtable(L, 0, 3);
        set_str(L, "lang", m->lang);
        set_str(L, "dir", ml ? ml->dir : NULL);
        lua_createtable(L, m->lines->nelts, 0);
        for (j = 0; j < m->lines->nelts; j++) {
            lua_createtable(L, 0, 1);
            set_str(L, "text", APR_ARRAY_IDX(m->lines, j, const char *));
            lua_rawseti(L, -2, j + 1);
        }
        lua_setfield(L, -2, "lines");
        lua_setfield(L, -2, "motto");
    }
    set_str(L, "url", site->url);
    set_str(L, "host", host ? host + 3 : site->url);
    set_str(L, "email", site->email);
    set_str(L, "default_lang", site->default_lang);
    set_url(L, req, "home", art_route_path(req->pool, ART_PAGE_INDEX, lang, NULL,
                                           NULL));
}

static void push_strings(lua_State *L, art_req_t *req)
{
    const art_site_t *site = req->snap->site;
    const char *langs[2];
    int i;

    langs[0] = site->default_lang;
    langs[1] = req->lang->code;
    lua_newtable(L);
    for (i = 0; i < 2; i++) {
        apr_hash_t *h = apr_hash_get(site->strings, langs[i], APR_HASH_KEY_STRING);
        apr_hash_index_t *hi;
        for (hi = h ? apr_hash_first(req->pool, h) : NULL; hi;
             hi = apr_hash_next(hi)) {
            const void *k;
            void *v;
            apr_hash_this(hi, &k, NULL, &v);
            lua_pushstring(L, v);
            lua_setfield(L, -2, k);
        }
    }
}

static void push_alternates(lua_State *L, art_req_t *req)
{
    const art_site_t *site = req->snap->site;
    const char *xdefault = NULL;
    int i, n = 0;

    lua_newtable(L);
    for (i = 0; i < site->langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(site->langs, i, art_lang_t);
        const char *p = art_lua_page_in_lang(req, l);
        if (p == NULL) {
            continue;
        }
        if (strcmp(l->code, site->default_lang) == 0) {
            xdefault = p;
        }
        lua_createtable(L, 0, 3);
        set_str(L, "lang", l->code);
        set_url(L, req, "url", p);
        lua_pushfstring(L, "%s%s%s", site->url, req->base, p);
        lua_setfield(L, -2, "href");
        lua_rawseti(L, -2, ++n);
    }
    if (req->kind == ART_PAGE_INDEX) {
        /* The root negotiates the language: the right target for x-default. */
        xdefault = "/";
    }
    if (xdefault == NULL) {
        xdefault = req->kind == ART_PAGE_ERROR ? "/" : req->path;
    }
    lua_createtable(L, 0, 3);
    set_str(L, "lang", "x-default");
    set_url(L, req, "url", xdefault);
    lua_pushfstring(L, "%s%s%s", site->url, req->base, xdefault);
    lua_setfield(L, -2, "href");
    lua_rawseti(L, -2, ++n);
}

static void push_languages(lua_State *L, art_req_t *req)
{
    const apr_array_header_t *langs = req->snap->site->langs;
    int i;

    lua_createtable(L, langs->nelts, 0);
    for (i = 0; i < langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(langs, i, art_lang_t);
        const char *p = art_lua_page_in_lang(req, l);
        push_language(L, l);
        set_url(L, req, "url", p ? p : art_route_path(req->pool, ART_PAGE_INDEX,
                                                      l->code, NULL, NULL));
        set_bool(L, "current", l == req->lang);
        lua_rawseti(L, -2, i + 1);
    }
}

/* page.collection: title in the page language, and in the site's first title
 * language when that differs (the seed shows both). */
static void push_collection(lua_State *L, art_req_t *req)
{
    const art_collection_t *c = req->collection;
    const art_site_t *site = req->snap->site;
    const char *lang = req->lang->code;
    const art_ltext_t *t = art_ltext_pick(c->titles, lang, site->default_lang);
    const char *first = site->titles->nelts
        ? APR_ARRAY_IDX(site->titles, 0, art_ltext_t).lang : NULL;
    int i;

    lua_createtable(L, 0, 8);
    set_str(L, "id", c->id);
    set_url(L, req, "url", art_route_path(req->pool, ART_PAGE_COLLECTION, lang,
                                          c->id, NULL));
    if (t) {
        const char *tl = t->lang ? t->lang : lang;
        const art_lang_t *l = art_snapshot_lang(req->snap, tl);
        set_str(L, "title", t->text);
        set_str(L, "title_lang", tl);
        set_str(L, "title_dir", l ? l->dir : req->lang->dir);
    }
    if (first && strcmp(first, lang) != 0 && !(t && t->lang
                                               && strcmp(t->lang, first) == 0)) {
        for (i = 0; i < c->titles->nelts; i++) {
            const art_ltext_t *x = &APR_ARRAY_IDX(c->titles, i, art_ltext_t);
            if (x->lang && strcmp(x->lang, first) == 0) {
                const art_lang_t *l = art_snapshot_lang(req->snap, first);
                set_str(L, "alt_title", x->text);
                set_str(L, "alt_title_lang", first);
                set_str(L, "alt_title_dir", l ? l->dir : NULL);
            }
        }
    }
}

static void push_author(lua_State *L, art_req_t *req)
{
    push_author_ref(L, req, req->author, req->lang->code);
}

static void push_pager(lua_State *L, art_req_t *req)
{
    const char *self;

    const char *sep = "?";

    lua_createtable(L, 0, 4);
    set_int(L, "number", req->page_no);
    set_int(L, "count", req->page_count);
    self = apr_pstrcat(req->pool, req->base, req->path, NULL);
    if (req->query) {
        self = apr_pstrcat(req->pool, self, "?q=",
                           art_url_segment(req->pool, req->query), NULL);
        sep = "&";
    }
    if (req->page_no > 1) {
        lua_pushstring(L, req->page_no == 2 ? self
                       : apr_psprintf(req->pool, "%s%spage=%d", self, sep,
                                      req->page_no - 1));
        lua_setfield(L, -2, "prev");
    }
    if (req->page_no < req->page_count) {
        lua_pushstring(L, apr_psprintf(req->pool, "%s%spage=%d", self, sep,
                                       req->page_no + 1));
        lua_setfield(L, -2, "next");
    }
}

/* Authors with at least one article in the page language, in authors.xml
 * order, with their article counts. */
static void push_author_list(lua_State *L, art_req_t *req)
{
    const apr_array_header_t *all = req->snap->authors;
    int i, n = 0;

    lua_newtable(L);
    for (i = 0; i < all->nelts; i++) {
        const art_author_t *au = APR_ARRAY_IDX(all, i, art_author_t *);
        const art_list_t *l = art_snapshot_list(req->snap, ART_LIST_AUTHOR,
                                                req->lang->code, au->id);
        if (l == NULL || l->n == 0) {
            continue;
        }
        push_author_ref(L, req, au, req->lang->code);
        set_int(L, "count", l->n);
        lua_rawseti(L, -2, ++n);
    }
}

/* page.feed: what the feed is of, and its URLs. */
static void push_feed(lua_State *L, art_req_t *req)
{
    const char *site = req->snap->site->url;
    apr_time_t newest = 0;
    const art_article_t **shown = NULL;
    int i, n = 0;

    lua_createtable(L, 0, 5);
    set_str(L, "of", art_page_kind_name(req->feed_of));
    set_str(L, "url", apr_pstrcat(req->pool, site, req->base, req->feed_page,
                                  NULL));
    set_str(L, "self", apr_pstrcat(req->pool, site, req->base, req->path, NULL));
    if (req->list && req->count > 0) {
        shown = apr_palloc(req->pool, sizeof(*shown) * (apr_size_t)req->count);
        n = art_list_slice(req->list, 0, req->count, shown);
    }
    for (i = 0; i < n; i++) {
        const art_article_t *a = shown[i];
        apr_time_t t = a->updated ? a->updated_t : a->published_t;
        if (t > newest) {
            newest = t;
        }
    }
    push_rfc3339(L, newest);
    lua_setfield(L, -2, "updated");
}

/* page.results of a search page: {article =, snippet =} per article shown. */
static void push_results(lua_State *L, art_req_t *req)
{
    size_t qlen = strlen(req->query);
    int i;

    const art_article_t **shown = NULL;
    int n = 0;

    if (req->list && req->count > 0) {
        shown = apr_palloc(req->pool, sizeof(*shown) * (apr_size_t)req->count);
        n = art_list_slice(req->list, req->offset, req->count, shown);
    }
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) {
        const art_article_t *a = shown[i];

        lua_createtable(L, 0, 2);
        art_lua_push_article(L, a);
        lua_setfield(L, -2, "article");
        push_snippet(L, req->pool, a, req->query, qlen, ART_SNIPPET_WIDTH);
        lua_setfield(L, -2, "snippet");
        lua_rawseti(L, -2, i + 1);
    }
}

/* ---------------------------------------------------------------- the lazy page
 *
 * The page table holds its cheap scalar fields (kind, lang, url, …) from the
 * start; the others (the core lazy fields below) are computed from the
 * request when first read, by a filter or by the template, through the
 * page's metatable: __index computes a missing one once and stores it with
 * rawset, so from then on it is an ordinary field.  A field a filter assigns
 * (nil included) before it was read is settled too and never computed:
 * `page.og = nil` stays nil.  pairs(page), next, rawget and setmetatable
 * settle every field first, so a filter that walks or replaces the page sees
 * what the eager page model held.  Everything is computed from the request
 * (req), never from what filters left in the table, exactly as the eager
 * model made it before any filter ran.
 *
 * articles.defer(page, name, fn) gives filters the same: page[name] is
 * fn(page), called on first read (the template's included) or when the page
 * is walked.  Its work is the request's: budgets, deadline and memory cap
 * still hold, and a failure is logged as the filter's (art_lua_call_deferred)
 * before the request gets its 500.
 *
 * The metatable is made per request, and the functions compare the table
 * they are called for with the request's page (st->page), so a page kept in
 * a global past its request computes nothing for the next one. */

typedef int lazy_fn(lua_State *L, art_req_t *req);

/* Whether the path says which page this is, and so its fields may be kept
 * in the page's cache entry: not on the 404 page, whose paths are whatever
 * clients send, nor at the root, whose language the client's
 * Accept-Language chose. */
static int page_keyed(const art_req_t *req)
{
    return req->kind != ART_PAGE_ERROR && !req->root;
}

/* A field of this page only, cached when page_keyed. */
static int page_cached(lua_State *L, art_req_t *req, int slot,
                       pcache_build_fn *build)
{
    if (!page_keyed(req)) {
        return build(L, req, NULL);
    }
    page_entry_push(L, req);
    lua_pushinteger(L, slot);
    return pcache_get_in(L, req, 1, build, NULL, NULL);
}

#define PAGE_CACHED(name) return page_cached(L, req, PAGE_##name, build_##name)

/* What art_lua_seo.c keeps for the page, after the fields' slots. */
int art_lua_page_kept(lua_State *L, art_req_t *req, int what)
{
    if (!page_keyed(req)) {
        return 0;
    }
    page_entry_push(L, req);
    if (lua_rawgeti(L, -1, PAGE_languages + what) == LUA_TNIL) {
        lua_pop(L, 2);
        return 0;
    }
    lua_remove(L, -2);
    return 1;
}

void art_lua_page_keep(lua_State *L, art_req_t *req, int what)
{
    if (!page_keyed(req)) {
        return;
    }
    page_entry_push(L, req);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, PAGE_languages + what);
    lua_pop(L, 1);
    pcache_count(L, PC_SLOT_BYTES + (lua_type(L, -1) == LUA_TSTRING
                                     ? PC_STRING_BYTES + lua_rawlen(L, -1)
                                     : PC_TABLE_BYTES));
}

static int build_og(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    return art_lua_seo_push_og(L, req);
}

static int build_twitter(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    return art_lua_seo_push_twitter(L, req);
}

static int lazy_og(lua_State *L, art_req_t *req)
{
    PAGE_CACHED(og);
}

static int lazy_twitter(lua_State *L, art_req_t *req)
{
    PAGE_CACHED(twitter);
}

static int build_alternates(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_alternates(L, req);
    return 1;
}

static int lazy_alternates(lua_State *L, art_req_t *req)
{
    PAGE_CACHED(alternates);
}

static int lazy_articles(lua_State *L, art_req_t *req)
{
    const art_article_t **shown;
    int i, n;

    if (req->list == NULL) {
        return 0;
    }
    shown = apr_palloc(req->pool, sizeof(*shown) * (apr_size_t)(req->count + 1));
    n = req->count > 0 ? art_list_slice(req->list, req->offset, req->count,
                                        shown) : 0;
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) {
        art_lua_push_article(L, shown[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* Push the cache key (a short string, kept by the cache) of a table this
 * page shares with others (the site, the UI strings, a collection, an
 * author), formatted from up to three strings; when page_keyed, the key
 * is kept in the page's entry at slot, where one lookup finds it again:
 * formatting it anew on every request cost more than the cache lookup it
 * is for. */
static void shared_key_push(lua_State *L, art_req_t *req, int slot,
                            const char *fmt, const char *a, const char *b,
                            const char *c)
{
    if (page_keyed(req)) {
        page_entry_push(L, req);
        if (lua_rawgeti(L, -1, slot) == LUA_TSTRING) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
        lua_pushfstring(L, fmt, a, b, c);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, slot);
        lua_remove(L, -2);
        pcache_count(L, PC_SLOT_BYTES + PC_STRING_BYTES + lua_rawlen(L, -1));
        return;
    }
    lua_pushfstring(L, fmt, a, b, c);
}

static int build_author(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_author(L, req);
    return 1;
}

/* Kept per author, language and mount prefix, as the site table is: the
 * same on every page of one author (and made of a dozen strings). */
static int lazy_author(lua_State *L, art_req_t *req)
{
    if (req->author == NULL) {
        return 0;
    }
    shared_key_push(L, req, KEY_author, "a\n%s\n%s\n%s", req->base,
                    req->lang->code, req->author->id);
    return pcache_get(L, req, build_author, NULL);
}

static int lazy_authors(lua_State *L, art_req_t *req)
{
    if (req->kind != ART_PAGE_AUTHORS) {
        return 0;
    }
    push_author_list(L, req);
    return 1;
}

static int build_collection(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_collection(L, req);
    return 1;
}

/* Kept per collection, language and mount prefix: every article page of a
 * collection shows the same table. */
static int lazy_collection(lua_State *L, art_req_t *req)
{
    if (req->collection == NULL) {
        return 0;
    }
    shared_key_push(L, req, KEY_collection, "c\n%s\n%s\n%s", req->base,
                    req->lang->code, req->collection->id);
    return pcache_get(L, req, build_collection, NULL);
}

static int lazy_feed(lua_State *L, art_req_t *req)
{
    if (req->kind != ART_PAGE_FEED) {
        return 0;
    }
    push_feed(L, req);
    return 1;
}

static int build_languages(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_languages(L, req);
    return 1;
}

static int lazy_languages(lua_State *L, art_req_t *req)
{
    PAGE_CACHED(languages);
}

static int lazy_pager(lua_State *L, art_req_t *req)
{
    if (req->list == NULL) {
        return 0;
    }
    push_pager(L, req);
    return 1;
}

static int lazy_related(lua_State *L, art_req_t *req)
{
    (void)req;
    lua_newtable(L);
    return 1;
}

static int lazy_results(lua_State *L, art_req_t *req)
{
    if (req->query == NULL) {
        return 0;
    }
    push_results(L, req);
    return 1;
}

static int build_site(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_site(L, req);
    return 1;
}

static int lazy_site(lua_State *L, art_req_t *req)
{
    shared_key_push(L, req, KEY_site, "S\n%s\n%s", req->base,
                    req->lang->code, NULL);
    return pcache_get(L, req, build_site, NULL);
}

static int build_strings(lua_State *L, art_req_t *req, const void *arg)
{
    (void)arg;
    push_strings(L, req);
    return 1;
}

static int lazy_strings(lua_State *L, art_req_t *req)
{
    shared_key_push(L, req, KEY_strings, "s\n%s", req->lang->code, NULL,
                    NULL);
    return pcache_get(L, req, build_strings, NULL);
}

static int lazy_tag(lua_State *L, art_req_t *req)
{
    if (req->tag == NULL) {
        return 0;
    }
    lua_createtable(L, 0, 2);
    set_str(L, "name", req->tag);
    set_str(L, "key", req->tag);
    return 1;
}

typedef struct lazy_field_t {
    const char *name;
    size_t len;
    lazy_fn *push;
} lazy_field_t;

#define LAZY(name, fn) { name, sizeof(name) - 1, fn }

/* Sorted by name; at most 32 (a bit each in st->page_done). */
static const lazy_field_t lazy_fields[] = {
    LAZY("alternates", lazy_alternates),
    LAZY("articles", lazy_articles),
    LAZY("author", lazy_author),
    LAZY("authors", lazy_authors),
    LAZY("collection", lazy_collection),
    LAZY("feed", lazy_feed),
    LAZY("jsonld", art_lua_seo_push_jsonld),
    LAZY("languages", lazy_languages),
    LAZY("og", lazy_og),
    LAZY("pager", lazy_pager),
    LAZY("related", lazy_related),
    LAZY("results", lazy_results),
    LAZY("site", lazy_site),
    LAZY("strings", lazy_strings),
    LAZY("tag", lazy_tag),
    LAZY("twitter", lazy_twitter),
};

#define NLAZY ((int)(sizeof(lazy_fields) / sizeof(lazy_fields[0])))
#define LAZY_ALL ((unsigned)((1u << NLAZY) - 1))

/* The core lazy field named k (n bytes), or -1 (page_index has a table). */
static int lazy_find(const char *k, size_t n)
{
    int i;

    for (i = 0; i < NLAZY; i++) {
        if (lazy_fields[i].len == n && lazy_fields[i].name[0] == k[0]
            && memcmp(lazy_fields[i].name, k, n) == 0) {
            return i;
        }
    }
    return -1;
}

static int lazy_bit(const char *name)
{
    int i = lazy_find(name, strlen(name));

    return i < 0 ? 0 : (int)(1u << i);
}

/* Whether the value at idx is the page of the request being served. */
static int is_page(lua_State *L, int idx)
{
    art_lstate_t *st = art_lua_st(L);

    return st->req && st->page && lua_topointer(L, idx) == st->page;
}

/* The registry table of the pristine cache entries the template was handed
 * for this page's unsettled fields (st->page_engine says which slots hold
 * one): the engine's next reads of the field take it from there. */
static const char engine_memo_key = 'e';

/* Compute core field i of the page at (absolute) index page, store it and
 * push it (nil when the page has no such field).  Settled first, so that
 * an error half way never computes it again.  A pristine cache entry the
 * engine asked for (pcache_get) is not stored in the page, where Lua code
 * could reach it, but in the engine's memo, and the field stays unsettled. */
static void settle_field(lua_State *L, int page, int i)
{
    art_lstate_t *st = art_lua_st(L);

    st->page_done |= 1u << i;
    st->page_engine &= ~(1u << i);
    st->pc_pristine = 0;
    if (!lazy_fields[i].push(L, cur_req(L))) {
        lua_pushnil(L);
        return;
    }
    if (st->pc_pristine) {
        st->page_done &= ~(1u << i);
        st->page_engine |= 1u << i;
        if (lua_rawgetp(L, LUA_REGISTRYINDEX, &engine_memo_key) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_createtable(L, NLAZY, 0);
            lua_pushvalue(L, -1);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &engine_memo_key);
        }
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, i + 1);
        lua_pop(L, 1);
        return;
    }
    lua_pushlstring(L, lazy_fields[i].name, lazy_fields[i].len);
    lua_pushvalue(L, -2);
    lua_rawset(L, page);
}

/* The table of this page's deferred fields (name -> fn) is upvalue 2 of
 * the state's page.__index, where page_index reaches it without a lookup
 * (it is asked for every name the template misses); nil until a field is
 * first deferred.  Upvalue 3 holds the file of the filter that deferred
 * each (name -> light userdata: the filter's file name, which outlives the
 * request).  Both are the state's, emptied for each page that used them:
 * an article page defers a field on every request (lua/author.lua), and
 * two tables and a copy of a long file name per request were most of
 * articles.defer's cost. */
static void deferred_push(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &page_index_key);
    lua_getupvalue(L, -1, 2);
    lua_remove(L, -2);
}

static void deferred_files_push(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &page_index_key);
    lua_getupvalue(L, -1, 3);
    lua_remove(L, -2);
}

/* Empty the table on top (the last page's deferred functions are not kept
 * alive) and pop it. */
static void table_clear(lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
}

/* A bit for the field name k (n bytes) in st->deferred_names, the names
 * deferred on this page (names may share one): page_index looks in the
 * deferred table only for those, since the template asks the page for
 * every name its inner contexts lack, and an article page always has a
 * deferred field (lua/author.lua). */
static unsigned name_bit(const char *k, size_t n)
{
    return 1u << (((unsigned char)k[0] + n) & 31);
}

/* If the deferred field at key (index) waits in the deferred table at dt
 * (an absolute or upvalue index), evaluate it, store it and push it;
 * returns whether it did. */
static int deferred_take(lua_State *L, int page, int key, int dt)
{
    art_lstate_t *st = art_lua_st(L);
    const char *file;

    if (!st->page_deferred) {
        return 0;
    }
    lua_pushvalue(L, key);
    if (lua_rawget(L, dt) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return 0;
    }
    /* Taken before it runs: reading page[key] inside fn gives nil, not an
     * endless recursion. */
    lua_pushvalue(L, key);
    lua_pushnil(L);
    lua_rawset(L, dt);                          /* fn on top */
    deferred_files_push(L);
    lua_pushvalue(L, key);
    lua_rawget(L, -2);
    file = lua_touserdata(L, -1);
    lua_pop(L, 1);
    lua_pushvalue(L, key);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_pushvalue(L, page);
    art_lua_call_deferred(L, lua_tostring(L, key), file ? file : "?");
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, page);
    return 1;
}

/* __index(page, k): a core field or a deferred one, computed once.
 * Upvalue 1 is the state's table from core field name to number (upvalue
 * 2 the deferred fields, deferred_push): the
 * template asks the page for every name its innermost contexts lack, so
 * most calls are for names that are no field, answered by one raw lookup
 * of the interned key. */
static int page_index(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    const char *k;
    size_t n;
    int i, engine;

    /* Kept (see page_index_kept) unless a deferred field runs its Lua
     * function.  A core field is made in C alone (no metamethod, no Lua
     * call), and asked again gives what it gave: the page's own field or
     * the engine's memo. */
    st->index_kept = 1;
    st->index_pristine = 0;
    if (lua_type(L, 2) != LUA_TSTRING || !is_page(L, 1)) {
        return 0;
    }
    k = lua_tolstring(L, 2, &n);
    if ((st->deferred_names & name_bit(k, n))
        && deferred_take(L, 1, 2, lua_upvalueindex(2))) {
        st->index_kept = 0;
        return 1;
    }
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) {
        return 0;
    }
    i = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (st->page_done & (1u << i)) {
        return 0;
    }
    /* Who asks (running here, the caller is the level above): the engine
     * asking again gets the table it was handed. */
    engine = frame_cfunction(L, 1) == art_tpl_render_entry();
    if ((st->page_engine & (1u << i)) && engine) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &engine_memo_key);
        lua_rawgeti(L, -1, i + 1);
        st->index_pristine = 1;
        return 1;
    }
    st->engine_native = engine ? 1 : 3;
    settle_field(L, 1, i);
    st->engine_native = 0;
    st->index_pristine = (st->page_engine >> i) & 1;
    return 1;
}

/* __newindex(page, k, v): a field assigned before it was read is settled
 * (a waiting deferred one dropped); then a plain rawset. */
static int page_newindex(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    const char *k;
    size_t n;
    int i;

    lua_settop(L, 3);
    if (lua_type(L, 2) == LUA_TSTRING && is_page(L, 1)) {
        k = lua_tolstring(L, 2, &n);
        if ((i = lazy_find(k, n)) >= 0) {
            st->page_done |= 1u << i;
        }
        /* Only a name deferred on this page (its name_bit set) can wait in
         * the deferred tables: the filters assign a handful of fields of
         * their own on every page, while lua/author.lua defers one. */
        if (st->page_deferred && (st->deferred_names & name_bit(k, n))) {
            deferred_push(L);
            lua_pushvalue(L, 2);
            lua_pushnil(L);
            lua_rawset(L, -3);
            deferred_files_push(L);
            lua_pushvalue(L, 2);
            lua_pushnil(L);
            lua_rawset(L, -3);
            lua_pop(L, 2);
        }
    }
    lua_rawset(L, 1);
    return 0;
}

void art_lua_page_settle(lua_State *L, int idx)
{
    art_lstate_t *st = art_lua_st(L);
    int i;

    st->engine_native = 0;
    if (!is_page(L, idx) || (st->page_done == LAZY_ALL && !st->page_deferred)) {
        return;
    }
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "page");
    for (i = 0; i < NLAZY; i++) {
        if (!(st->page_done & (1u << i))) {
            settle_field(L, idx, i);
            lua_pop(L, 1);
        }
    }
    /* Each deferred field in turn; one may defer another. */
    while (st->page_deferred) {
        deferred_push(L);
        lua_pushnil(L);
        if (!lua_next(L, -2)) {
            lua_pop(L, 1);
            st->page_deferred = 0;
            break;
        }
        lua_pop(L, 1);                          /* deferred, key */
        deferred_take(L, idx, lua_gettop(L), lua_gettop(L) - 1);
        lua_pop(L, 3);
    }
}

void art_lua_page_resolve(lua_State *L, int page, const char *key)
{
    if (!is_page(L, page) || !art_lua_st(L)->page_deferred) {
        return;
    }
    page = lua_absindex(L, page);
    deferred_push(L);
    lua_pushstring(L, key);
    if (deferred_take(L, page, lua_gettop(L), lua_gettop(L) - 1)) {
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

int art_lua_page_jsonld_untouched(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);

    return st->page && !(st->page_done & (unsigned)lazy_bit("jsonld"));
}

/* next without metamethods, for __pairs. */
static int page_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, 1)) {
        return 2;
    }
    lua_pushnil(L);
    return 1;
}

/* __pairs(page): every field settled, then a raw walk. */
static int page_pairs(lua_State *L)
{
    art_lua_page_settle(L, 1);
    lua_pushcfunction(L, page_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* articles.defer(page, name, fn): page[name] becomes fn(page), evaluated
 * when first read. */
static int api_defer(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    const char *name;
    size_t n;

    cur_req(L);
    luaL_checktype(L, 2, LUA_TSTRING);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (!is_page(L, 1)) {
        return luaL_argerror(L, 1, "not the page of this request");
    }
    st->page_done |= (unsigned)lazy_bit(lua_tostring(L, 2));
    lua_pushvalue(L, 2);
    lua_pushnil(L);
    lua_rawset(L, 1);
    deferred_push(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &page_index_key);
        lua_newtable(L);
        lua_setupvalue(L, -2, 3);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setupvalue(L, -3, 2);
        lua_remove(L, -2);
    }
    st->page_deferred = 1;
    name = lua_tolstring(L, 2, &n);
    st->deferred_names |= name_bit(name, n);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    deferred_files_push(L);
    lua_pushvalue(L, 2);
    lua_pushlightuserdata(L, (void *)(st->filter_file ? st->filter_file : "?"));
    lua_rawset(L, -3);
    return 0;
}

const char *art_lua_canonical(art_req_t *req)
{
    /* An error page is not a page of the site: its canonical is the home of
     * its language, and the path the client sent (any bytes) is not
     * repeated. */
    return apr_pstrcat(req->pool, req->snap->site->url, req->base,
                       req->kind == ART_PAGE_ERROR
                       ? art_route_path(req->pool, ART_PAGE_INDEX,
                                        req->lang->code, NULL, NULL)
                       : req->path, NULL);
}

const char *art_lua_site_title(art_req_t *req)
{
    const art_site_t *site = req->snap->site;
    const art_ltext_t *t = art_ltext_pick(site->titles, req->lang->code,
                                          site->default_lang);

    return t ? t->text : "";
}

/* The page's strings that its path decides (with the version and the
 * mount prefix), by their number in the table page_urls_push gives. */
enum { URL_path = 1, URL_url, URL_canonical, URL_search, URL_feed };

static void page_urls_make(lua_State *L, art_req_t *req)
{
    lua_createtable(L, URL_feed, 0);
    lua_pushstring(L, req->path);
    lua_rawseti(L, -2, URL_path);
    push_url(L, req, req->path);
    lua_rawseti(L, -2, URL_url);
    lua_pushstring(L, art_lua_canonical(req));
    lua_rawseti(L, -2, URL_canonical);
    push_url(L, req, art_route_path(req->pool, ART_PAGE_SEARCH,
                                    req->lang->code, NULL, NULL));
    lua_rawseti(L, -2, URL_search);
}

/* Push a table of the page's strings (URL_*), kept in the page's cache
 * entry when page_keyed: the same Lua strings on every request of the
 * page, where making them (a concatenation each, the path interned) was
 * a third of building the page.  URL_feed is filled the first time a
 * page that has a feed asks for it (whether it has one is the request's
 * to say: a search page lists only when it has a query).  The table
 * reaches no Lua code, only its strings do, and strings cannot change. */
static int page_urls_push(lua_State *L, art_req_t *req)
{
    apr_size_t bytes;

    if (!page_keyed(req)) {
        page_urls_make(L, req);
        return lua_gettop(L);
    }
    page_entry_push(L, req);
    if (lua_rawgeti(L, -1, PAGE_URLS) != LUA_TTABLE) {
        lua_pop(L, 1);
        page_urls_make(L, req);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, PAGE_URLS);
        fingerprint(L, -1, &bytes);
        pcache_count(L, bytes + PC_SLOT_BYTES);
    }
    lua_remove(L, -2);
    return lua_gettop(L);
}

/* page.feed_url, from the table at urls (page_urls_push). */
static void page_feed_url_push(lua_State *L, art_req_t *req, int urls)
{
    if (lua_rawgeti(L, urls, URL_feed) == LUA_TSTRING) {
        return;
    }
    lua_pop(L, 1);
    push_url(L, req, art_route_feed_path(req->pool, req->path));
    lua_pushvalue(L, -1);
    lua_rawseti(L, urls, URL_feed);
}

int art_lua_build_page(lua_State *L)
{
    art_req_t *req = cur_req(L);
    art_lstate_t *st = art_lua_st(L);
    int i, deferred, urls;

    /* a new request: the registry's entries are the last one's */
    st->page_entry = 0;
    urls = page_urls_push(L, req);
    lua_createtable(L, 0, 32);
    set_str(L, "kind", art_page_kind_name(req->kind));
    if (req->root) {
        set_bool(L, "root", 1);
    }
    if (req->preview) {
        set_bool(L, "preview", 1);
    }
    set_int(L, "status", req->status);
    set_str(L, "lang", req->lang->code);
    set_str(L, "dir", req->lang->dir);
    set_str(L, "base", req->base);
    lua_rawgeti(L, urls, URL_path);
    lua_setfield(L, -2, "path");
    lua_rawgeti(L, urls, URL_url);
    lua_setfield(L, -2, "url");
    lua_rawgeti(L, urls, URL_canonical);
    lua_setfield(L, -2, "canonical");
    lua_rawgeti(L, urls, URL_search);
    lua_setfield(L, -2, "search_url");
    if (req->query) {
        set_str(L, "query", req->query);
        set_int(L, "total", req->total);
    }
    if (req->article) {
        art_lua_push_article(L, req->article);
        lua_setfield(L, -2, "article");
    }
    if (req->kind == ART_PAGE_SITEMAP) {
        /* The sitemap itself is made in C (art_sitemap.c): which one. */
        set_str(L, "sitemap", req->sitemap == 0 ? "main"
                : req->sitemap < 0 ? "news" : "part");
        if (req->sitemap > 0) {
            set_int(L, "sitemap_part", req->sitemap);
        }
    }
    if (req->list && req->kind != ART_PAGE_FEED) {
        page_feed_url_push(L, req, urls);
        lua_setfield(L, -2, "feed_url");
    }
    st->page = lua_topointer(L, -1);
    st->page_done = 0;
    st->engine_native = 0;
    /* The engine's memo table is the state's: what the last page left in
     * it is never read again (page_engine says which slots are this
     * page's), and each slot is overwritten by the next page that fills
     * it, so at most one page's tables outlive it there. */
    st->page_engine = 0;
    deferred = st->page_deferred;
    st->page_deferred = 0;
    st->deferred_names = 0;
    st->deferred_logged = 0;
    st->seo = NULL;
    /* A metatable of its own for each page, not one per state: a filter may
     * change getmetatable(page), and that must end with its request. */
    lua_createtable(L, 0, 3);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &page_index_key) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        lua_createtable(L, 0, NLAZY);
        for (i = 0; i < NLAZY; i++) {
            lua_pushinteger(L, i);
            lua_setfield(L, -2, lazy_fields[i].name);
        }
        lua_pushnil(L);
        lua_pushnil(L);
        lua_pushcclosure(L, page_index, 3);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &page_index_key);
    }
    else if (deferred) {
        deferred_push(L);
        table_clear(L);
        deferred_files_push(L);
        table_clear(L);
    }
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, page_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, page_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_setmetatable(L, -2);
    lua_remove(L, urls);
    return 1;
}
