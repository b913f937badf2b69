/* art_lua_seo.c: page.jsonld, page.og and page.twitter, and their JSON.
 *
 * The tables are made from the request as the page model makes its own
 * fields (canonical, alternates, site title, collection, author, tag), never
 * from what filters left in the page, and, for an article, from the article
 * itself: its dates, authors with their pages, collection, tags,
 * first image and translations.  The translation a group started from is
 * its earliest published member (the site's first-listed language on a
 * tie): that one names the others as workTranslation, each of the others
 * names it as translationOfWork.
 *
 * page.jsonld is written to JSON by a walk that uses raw access only, so a
 * filter's metatables run no code here; lists are tables whose keys are
 * exactly 1..n, objects tables with string keys, written in byte order so
 * the same page always gives the same bytes (and ETag).
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include <lauxlib.h>

#include "art_hash.h"
#include "art_json.h"
#include "art_lua_int.h"
#include "art_lua_seo.h"

#define SCHEMA_ORG "https://schema.org"

/* ---------------------------------------------------------------- helpers */

/* t[k] = v on the table on top, when v is not NULL. */
static void put(lua_State *L, const char *k, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
}

/* Append {property|name = key, content = v} to the list on top. */
static void add_meta(lua_State *L, const char *attr, const char *key,
                     const char *v)
{
    if (v == NULL || *v == '\0') {
        return;
    }
    lua_createtable(L, 0, 2);
    put(L, attr, key);
    put(L, "content", v);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static const char *abs_url(art_req_t *req, const char *path)
{
    return apr_pstrcat(req->pool, req->snap->site->url, req->base, path, NULL);
}

/* A URL of the repository (an img src, the site logo) made absolute: as it
 * is with a scheme, against the site's URL when it starts with "/", else
 * against the folder of the page at path (NULL: the site's URL itself). */
static const char *resolve(art_req_t *req, const char *url, const char *path)
{
    const char *slash;

    /* The schema lets a relative reference have no ":" before its first
     * "/", "?" or "#"; anything else has a scheme. */
    if (url[strcspn(url, ":/?#")] == ':') {
        return url;
    }
    if (url[0] == '/') {
        return apr_pstrcat(req->pool, req->snap->site->url, url, NULL);
    }
    if (path == NULL) {
        return apr_pstrcat(req->pool, req->snap->site->url, "/", url, NULL);
    }
    slash = strrchr(path, '/');
    return apr_pstrcat(req->pool, req->snap->site->url, req->base,
                       apr_pstrmemdup(req->pool, path,
                                      (apr_size_t)(slash - path) + 1),
                       url, NULL);
}

/* The src of the first <img> of a sanitised body, entities decoded, or
 * NULL.  The sanitiser writes every attribute as name="value" with "<",
 * ">" and quotes as entities, so the tag ends at the first ">". */
static const char *first_image(apr_pool_t *p, const char *body)
{
    const char *img = strstr(body, "<img "), *end, *src;
    char *out, *o;

    if (img == NULL || (end = strchr(img, '>')) == NULL) {
        return NULL;
    }
    src = strstr(img, " src=\"");
    if (src == NULL || src > end) {
        return NULL;
    }
    src += 6;
    end = strchr(src, '"');
    out = o = apr_pstrmemdup(p, src, (apr_size_t)(end - src));
    while (*src && src < end) {
        static const struct { const char *ent; char c; } ents[] = {
            { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
            { "&quot;", '"' }, { "&#39;", '\'' }, { NULL, 0 }
        };
        int i;
        for (i = 0; ents[i].ent; i++) {
            apr_size_t n = strlen(ents[i].ent);
            if (strncmp(src, ents[i].ent, n) == 0) {
                *o++ = ents[i].c;
                src += n;
                break;
            }
        }
        if (ents[i].ent == NULL) {
            *o++ = *src++;
        }
    }
    *o = '\0';
    return out;
}

/* "pt-br" -> "pt_BR": OpenGraph's locale form; a bare language stays so. */
static const char *og_locale(apr_pool_t *p, const char *lang)
{
    char *l = apr_pstrdup(p, lang), *c;

    if ((c = strchr(l, '-')) != NULL) {
        *c++ = '_';
        for (; *c; c++) {
            if (*c >= 'a' && *c <= 'z') {
                *c = (char)(*c - 'a' + 'A');
            }
        }
    }
    return l;
}

static const char *rfc3339(apr_pool_t *p, apr_time_t t)
{
    char *s = apr_palloc(p, ART_RFC3339_SIZE);

    art_rfc3339(s, t);
    return s;
}

static const char *ltext(art_req_t *req, const apr_array_header_t *texts,
                         const char *lang, const char *fallback)
{
    const art_ltext_t *t = art_ltext_pick(texts, lang,
                                          req->snap->site->default_lang);

    return t ? t->text : fallback;
}

/* ---------------------------------------------------------------- JSON-LD */

/* a's translation group (self included) into *group, in p; how many. */
static int group_of(art_req_t *req, const art_article_t *a,
                    const art_article_t ***group)
{
    const art_list_t *tr = art_article_translations(req->snap, a);

    *group = NULL;
    if (tr == NULL) {
        return 0;
    }
    *group = apr_palloc(req->pool, sizeof(**group) * (apr_size_t)(tr->n + 1));
    return art_list_slice(tr, 0, tr->n, *group);
}

/* The translation the group of a started from (see the top of the file). */
static const art_article_t *original_of(art_req_t *req, const art_article_t *a)
{
    const art_article_t *o = a, **group;
    int i, n = group_of(req, a, &group);

    for (i = 0; i < n; i++) {
        const art_article_t *t = group[i];
        if (t->published_t < o->published_t
            || (t->published_t == o->published_t
                && t->lang->index < o->lang->index)) {
            o = t;
        }
    }
    return o;
}

/* {"@type": "NewsArticle", "@id": url, "inLanguage", "headline"} of t. */
static void push_work_ref(lua_State *L, art_req_t *req, const art_article_t *t)
{
    lua_createtable(L, 0, 4);
    put(L, "@type", "NewsArticle");
    put(L, "@id", abs_url(req, t->path));
    put(L, "inLanguage", t->lang->code);
    put(L, "headline", t->title);
}

static void push_typed(lua_State *L, const char *type, const char *key,
                       const char *val)
{
    lua_createtable(L, 0, 3);
    put(L, "@type", type);
    put(L, key, val);
}

static void push_jsonld(lua_State *L, art_req_t *req, const char *canonical,
                        const char *image)
{
    const art_article_t *a = req->article, *orig = original_of(req, a);
    const art_site_t *site = req->snap->site;
    const char *lang = a->lang->code;
    const art_article_t **group;
    int i, n, m;

    lua_createtable(L, 0, 20);
    put(L, "@context", SCHEMA_ORG);
    put(L, "@type", "NewsArticle");
    put(L, "headline", a->title);
    put(L, "description", a->summary);
    put(L, "datePublished", rfc3339(req->pool, a->published_t));
    put(L, "dateModified", rfc3339(req->pool, a->updated ? a->updated_t
                                   : a->published_t));
    put(L, "inLanguage", lang);
    put(L, "url", canonical);
    push_typed(L, "WebPage", "@id", canonical);
    lua_setfield(L, -2, "mainEntityOfPage");

    lua_createtable(L, a->nauthors, 0);
    for (i = 0; i < a->nauthors; i++) {
        const art_author_t *au = a->authors[i];
        push_typed(L, "Person", "name", ltext(req, au->names, lang, au->id));
        put(L, "url", abs_url(req, art_route_path(req->pool, ART_PAGE_AUTHOR,
                                                  lang, au->id, NULL)));
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "author");

    push_typed(L, "Organization", "name", ltext(req, site->titles, lang,
                                                site->url));
    put(L, "url", abs_url(req, "/"));
    if (site->logo) {
        /* Relative to the site's URL, not to the mount point. */
        push_typed(L, "ImageObject", "url", resolve(req, site->logo, NULL));
        lua_setfield(L, -2, "logo");
    }
    lua_setfield(L, -2, "publisher");

    if (image) {
        lua_createtable(L, 1, 0);
        lua_pushstring(L, image);
        lua_rawseti(L, -2, 1);
        lua_setfield(L, -2, "image");
    }

    put(L, "articleSection", ltext(req, a->collection->titles, lang,
                                   a->collection->id));
    push_typed(L, "CollectionPage", "@id",
               abs_url(req, art_route_path(req->pool, ART_PAGE_COLLECTION, lang,
                                           a->collection->id, NULL)));
    put(L, "name", ltext(req, a->collection->titles, lang, a->collection->id));
    lua_setfield(L, -2, "isPartOf");

    if (a->ntags) {
        lua_createtable(L, a->ntags, 0);
        for (i = 0; i < a->ntags; i++) {
            lua_pushstring(L, a->tags[i].name);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "keywords");
    }

    if (orig != a) {
        push_work_ref(L, req, orig);
        lua_setfield(L, -2, "translationOfWork");
    }
    else if ((m = group_of(req, a, &group)) > 1) {
        lua_createtable(L, m - 1, 0);
        for (i = 0, n = 0; i < m; i++) {
            if (group[i] != a) {
                push_work_ref(L, req, group[i]);
                lua_rawseti(L, -2, ++n);
            }
        }
        lua_setfield(L, -2, "workTranslation");
    }
}

/* ---------------------------------------------------------------- cards */

/* What og, twitter and jsonld share, made once per request from the request
 * itself: the values the eager page model read from the page table before
 * any filter ran (canonical, site title, the collection's title, the
 * author's name, the tag). */
typedef struct seo_basics_t {
    const char *canonical, *site_title, *title, *desc, *image;
} seo_basics_t;

static const seo_basics_t *basics(lua_State *L, art_req_t *req)
{
    art_lstate_t *st = art_lua_st(L);
    const art_article_t *a = req->article;
    const char *lang = req->lang->code;
    seo_basics_t *b = st->seo;

    if (b) {
        return b;
    }
    b = apr_pcalloc(req->pool, sizeof(*b));
    b->canonical = art_lua_canonical(req);
    b->site_title = art_lua_site_title(req);
    if (a) {
        b->title = a->title;
        b->desc = a->summary;
        b->image = first_image(req->pool, a->body);
        if (b->image) {
            b->image = resolve(req, b->image, a->path);
        }
    }
    else {
        if (req->collection) {
            b->title = ltext(req, req->collection->titles, lang, NULL);
        }
        if (b->title == NULL && req->author) {
            b->title = ltext(req, req->author->names, lang, req->author->id);
        }
        if (b->title == NULL) {
            b->title = req->tag;
        }
        if (b->title == NULL) {
            b->title = b->site_title;
        }
        b->desc = req->snap->site->tagline;
    }
    st->seo = b;
    return b;
}

/* Feeds and sitemaps are not HTML; the 404 page is not to be shared. */
static int has_cards(const art_req_t *req)
{
    return req->kind != ART_PAGE_FEED && req->kind != ART_PAGE_SITEMAP
        && req->kind != ART_PAGE_ERROR;
}

int art_lua_seo_push_og(lua_State *L, art_req_t *req)
{
    const art_site_t *site = req->snap->site;
    const art_article_t *a = req->article;
    apr_pool_t *p = req->pool;
    const seo_basics_t *b;
    int i;

    if (!has_cards(req)) {
        return 0;
    }
    b = basics(L, req);
    lua_createtable(L, 16, 0);
    add_meta(L, "property", "og:type", a ? "article" : "website");
    add_meta(L, "property", "og:title", b->title);
    add_meta(L, "property", "og:description", b->desc);
    add_meta(L, "property", "og:url", b->canonical);
    add_meta(L, "property", "og:image", b->image);
    add_meta(L, "property", "og:site_name", b->site_title);
    add_meta(L, "property", "og:locale", og_locale(p, req->lang->code));
    /* The page's other languages, as its hreflang alternates name them. */
    for (i = 0; i < site->langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(site->langs, i, art_lang_t);
        if (strcmp(l->code, req->lang->code) != 0
            && art_lua_page_in_lang(req, l) != NULL) {
            add_meta(L, "property", "og:locale:alternate", og_locale(p, l->code));
        }
    }
    if (a) {
        add_meta(L, "property", "article:published_time",
                 rfc3339(p, a->published_t));
        add_meta(L, "property", "article:modified_time",
                 rfc3339(p, a->updated ? a->updated_t : a->published_t));
        for (i = 0; i < a->nauthors; i++) {
            add_meta(L, "property", "article:author",
                     abs_url(req, art_route_path(p, ART_PAGE_AUTHOR,
                                                 a->lang->code,
                                                 a->authors[i]->id, NULL)));
        }
        add_meta(L, "property", "article:section",
                 ltext(req, a->collection->titles, a->lang->code,
                       a->collection->id));
        for (i = 0; i < a->ntags; i++) {
            add_meta(L, "property", "article:tag", a->tags[i].name);
        }
    }
    return 1;
}

int art_lua_seo_push_twitter(lua_State *L, art_req_t *req)
{
    const seo_basics_t *b;

    if (!has_cards(req)) {
        return 0;
    }
    b = basics(L, req);
    lua_createtable(L, 4, 0);
    add_meta(L, "name", "twitter:card", b->image ? "summary_large_image"
             : "summary");
    add_meta(L, "name", "twitter:title", b->title);
    add_meta(L, "name", "twitter:description", b->desc);
    add_meta(L, "name", "twitter:image", b->image);
    return 1;
}

int art_lua_seo_push_jsonld(lua_State *L, art_req_t *req)
{
    const seo_basics_t *b;

    if (!has_cards(req) || req->article == NULL) {
        return 0;
    }
    b = basics(L, req);
    push_jsonld(L, req, b->canonical, b->image);
    return 1;
}

/* ---------------------------------------------------------------- JSON */

typedef struct json_key_t {
    const char *s;
    size_t len;
} json_key_t;

static int key_cmp(const void *x, const void *y)
{
    const json_key_t *a = x, *b = y;
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Write the value at idx; raises a Lua error for what JSON cannot hold. */
static void write_value(lua_State *L, art_buf_t *b, int idx, int depth);

static void write_table(lua_State *L, art_buf_t *b, int idx, int depth)
{
    apr_pool_t *p = art_lua_st(L)->req->pool;
    lua_Integer n = 0, ints = 0;
    json_key_t *keys;
    int i, nkeys = 0;

    if (depth >= ART_JSONLD_DEPTH) {
        luaL_error(L, "nested deeper than %d (a table that holds itself?)",
                   ART_JSONLD_DEPTH);
    }
    /* Count the keys and see what kind they are. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1)) {
            ints++;
        }
        else if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_error(L, "a %s key: JSON keys are strings",
                       luaL_typename(L, -1));
        }
        if (++n > ART_JSONLD_MAX_BYTES / 4) {
            luaL_error(L, "a table of more than %d keys",
                       ART_JSONLD_MAX_BYTES / 4);
        }
    }
    if (n > 0 && ints == n) {
        if ((lua_Integer)lua_rawlen(L, idx) != n) {
            luaL_error(L, "a list with holes (keys are not 1..n)");
        }
        art_buf_putc(b, '[');
        for (i = 1; i <= n; i++) {
            if (i > 1) {
                art_buf_putc(b, ',');
            }
            lua_rawgeti(L, idx, i);
            write_value(L, b, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        art_buf_putc(b, ']');
        return;
    }
    if (ints) {
        luaL_error(L, "a table with both list and string keys");
    }
    if (n == 0) {
        art_buf_puts(b, "{}");
        return;
    }
    keys = apr_palloc(p, sizeof(*keys) * (apr_size_t)n);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        /* The table keeps its keys alive while it is walked. */
        keys[nkeys].s = lua_tolstring(L, -1, &keys[nkeys].len);
        nkeys++;
    }
    qsort(keys, (size_t)nkeys, sizeof(*keys), key_cmp);
    art_buf_putc(b, '{');
    for (i = 0; i < nkeys; i++) {
        if (i > 0) {
            art_buf_putc(b, ',');
        }
        art_json_string(b, keys[i].s, keys[i].len);
        art_buf_putc(b, ':');
        lua_pushlstring(L, keys[i].s, keys[i].len);
        lua_rawget(L, idx);
        write_value(L, b, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
    art_buf_putc(b, '}');
}

static void write_value(lua_State *L, art_buf_t *b, int idx, int depth)
{
    const char *s;
    size_t len;

    if (b->overflow) {
        luaL_error(L, "more than %d bytes of JSON", ART_JSONLD_MAX_BYTES);
    }
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        art_json_string(b, s, len);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            art_json_integer(b, (long long)lua_tointeger(L, idx));
        }
        else {
            art_json_number(b, (double)lua_tonumber(L, idx));
        }
        break;
    case LUA_TBOOLEAN:
        art_buf_puts(b, lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TTABLE:
        luaL_checkstack(L, 4, "page.jsonld");
        write_table(L, b, idx, depth);
        break;
    default:
        luaL_error(L, "a %s value: JSON has strings, numbers, booleans, "
                   "lists and objects", luaL_typename(L, idx));
    }
}

/* finish_json(page): page.jsonld_json = JSON of page.jsonld. */
static int finish_json(lua_State *L)
{
    art_req_t *req = art_lua_st(L)->req;
    art_buf_t b;

    art_lua_page_resolve(L, 1, "jsonld");
    lua_pushstring(L, "jsonld");
    lua_rawget(L, 1);
    lua_pushstring(L, "jsonld_json");
    if (lua_isnil(L, 2) || (lua_isboolean(L, 2) && !lua_toboolean(L, 2))) {
        lua_pushnil(L);
    }
    else {
        art_buf_init(&b, req->pool, 4096);
        b.limit = ART_JSONLD_MAX_BYTES;
        write_value(L, &b, 2, 0);
        if (b.overflow) {
            return luaL_error(L, "more than %d bytes of JSON",
                              ART_JSONLD_MAX_BYTES);
        }
        lua_pushlstring(L, b.data, b.len);
    }
    lua_rawset(L, 1);
    return 0;
}

/* ---------------------------------------------------------------- JSON-LD cache
 *
 * When no filter read or wrote page.jsonld, its JSON is a function of the
 * repository version (content digest, what is public: since and preview),
 * the mount prefix, the page's path and its article, all of which the key
 * below holds; the vhost and filter list are the state's own (a state
 * serves one world).  So each state keeps the JSON of the article pages it
 * served, made by the same code as a filter-touched page's, and hands out a
 * copy.  Owned by the state, which serves one request at a time: no lock.
 * Bounded in entries (sets of JL_WAYS slots, the oldest of a full set
 * replaced), per entry and in bytes; dropped whole when the version
 * changes. */

#define JL_SLOTS 1024
#define JL_WAYS 4
#define JL_ENTRY_MAX (16 * 1024)
#define JL_BYTES_MAX (1024 * 1024)

typedef struct jl_slot_t {
    apr_uint64_t h;
    unsigned long used;          /* when last stored (c->clock) */
    char *key;                   /* NULL: empty */
    char *json;
    size_t len;
} jl_slot_t;

typedef struct jl_cache_t {
    apr_uint64_t digest, fingerprint;
    apr_time_t since;
    int preview;
    size_t bytes;
    unsigned long clock;
    jl_slot_t slot[JL_SLOTS];
} jl_cache_t;

static void jl_clear(jl_cache_t *c)
{
    int i;

    for (i = 0; i < JL_SLOTS; i++) {
        free(c->slot[i].key);
        free(c->slot[i].json);
        c->slot[i].key = c->slot[i].json = NULL;
    }
    c->bytes = 0;
}

void art_lua_seo_state_free(art_lstate_t *st)
{
    if (st->seo_cache) {
        jl_clear(st->seo_cache);
        free(st->seo_cache);
        st->seo_cache = NULL;
    }
}

/* The state's cache for req's version, emptied when that changed; NULL when
 * there is no memory for one. */
static jl_cache_t *jl_cache(art_lstate_t *st, const art_req_t *req)
{
    jl_cache_t *c = st->seo_cache;
    const art_snapshot_t *s = req->snap;

    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            return NULL;
        }
        st->seo_cache = c;
    }
    else if (c->digest == s->digest && c->fingerprint == s->fingerprint
             && c->since == s->since && c->preview == s->preview) {
        return c;
    }
    jl_clear(c);
    c->digest = s->digest;
    c->fingerprint = s->fingerprint;
    c->since = s->since;
    c->preview = s->preview;
    return c;
}

static void jl_store(jl_cache_t *c, jl_slot_t *sl, apr_uint64_t h,
                     const char *key, const char *json, size_t len)
{
    size_t klen = strlen(key);

    if (len > JL_ENTRY_MAX) {
        return;
    }
    if (c->bytes + len + klen > JL_BYTES_MAX) {
        jl_clear(c);
    }
    c->bytes -= sl->key ? strlen(sl->key) + sl->len : 0;
    free(sl->key);
    free(sl->json);
    sl->key = malloc(klen + 1);
    sl->json = malloc(len ? len : 1);
    if (sl->key == NULL || sl->json == NULL) {
        free(sl->key);
        free(sl->json);
        sl->key = sl->json = NULL;
        return;
    }
    sl->used = ++c->clock;
    memcpy(sl->key, key, klen + 1);
    memcpy(sl->json, json, len);
    sl->len = len;
    sl->h = h;
    c->bytes += klen + len;
}

/* build_json(): the JSON of the module's page.jsonld, as a string. */
static int build_json(lua_State *L)
{
    art_req_t *req = art_lua_st(L)->req;
    art_buf_t b;

    art_lua_seo_push_jsonld(L, req);
    art_buf_init(&b, req->pool, 4096);
    b.limit = ART_JSONLD_MAX_BYTES;
    write_value(L, &b, lua_gettop(L), 0);
    if (b.overflow) {
        return luaL_error(L, "more than %d bytes of JSON", ART_JSONLD_MAX_BYTES);
    }
    lua_pushlstring(L, b.data, b.len);
    return 1;
}

/* kept_json(): page.jsonld_json of a page whose jsonld no filter touched,
 * as a string.  The Lua string itself is kept in the page's entry of the
 * page model's version cache, so that a request served from there makes
 * no copy of it; under that, the C cache below keeps the bytes past a
 * drop of the Lua cache (it is bounded by the state's memory). */
static int kept_json(lua_State *L)
{
    art_lstate_t *st = art_lua_st(L);
    art_req_t *req = st->req;
    const art_article_t *a = req->article;
    const char *key;
    apr_uint64_t h;
    jl_cache_t *c;
    jl_slot_t *set, *sl = NULL;
    int i;

    if (art_lua_page_kept(L, req, ART_LUA_KEPT_JSONLD)) {
        return 1;
    }
    key = apr_pstrcat(req->pool, req->snap->root ? req->snap->root : "", "\n",
                      req->base, "\n", req->path, "\n", a->lang->code, "/",
                      a->id, NULL);
    h = art_hash64(key, strlen(key), 0);
    c = jl_cache(st, req);
    set = c ? &c->slot[(h % (JL_SLOTS / JL_WAYS)) * JL_WAYS] : NULL;
    /* The key's slot in its set, else the set's empty or oldest one. */
    for (i = 0; set && i < JL_WAYS; i++) {
        if (set[i].key && set[i].h == h && strcmp(set[i].key, key) == 0) {
            sl = &set[i];
            break;
        }
        if (sl == NULL || (sl->key && (!set[i].key || set[i].used < sl->used))) {
            sl = &set[i];
        }
    }
    if (set && i < JL_WAYS) {
        lua_pushlstring(L, sl->json, sl->len);
    }
    else {
        build_json(L);
        if (sl) {
            size_t len;
            const char *json = lua_tolstring(L, -1, &len);
            jl_store(c, sl, h, key, json, len);
        }
    }
    art_lua_page_keep(L, req, ART_LUA_KEPT_JSONLD);
    return 1;
}

/* page.jsonld_json for a page whose jsonld no filter touched; 0, or -1 with
 * the error message on the stack. */
static int untouched_json(art_lstate_t *st)
{
    lua_State *L = art_lua_state(st);

    lua_pushliteral(L, "jsonld_json");
    lua_pushcfunction(L, kept_json);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        lua_remove(L, -2);
        return -1;
    }
    lua_rawset(L, art_lua_page_index(st));
    return 0;
}

int art_lua_seo_finish(art_lstate_t *st, art_req_t *req, const char **err)
{
    lua_State *L = art_lua_state(st);
    int rc;

    if (req->article && has_cards(req) && art_lua_page_jsonld_untouched(L)) {
        rc = untouched_json(st);
    }
    else {
        lua_pushcfunction(L, finish_json);
        lua_pushvalue(L, art_lua_page_index(st));
        rc = lua_pcall(L, 1, 0, 0) == LUA_OK ? 0 : -1;
    }
    if (rc != 0) {
        const char *m = lua_tostring(L, -1);
        *err = apr_pstrcat(req->pool, "page.jsonld: ", m ? m : "(no message)",
                           NULL);
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}
