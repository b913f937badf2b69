/* art_route.c: paths to pages and pages to paths.
 *
 * A path below the mount point is at most four segments: a language, then a
 * collection or one of the words below, then an id; "feed.atom" after a list
 * page's path is that list's feed.  Paths that name a folder (the index, a
 * collection, the authors page) end in "/" and are redirected there when the
 * slash is missing; a tag spelled otherwise than its folded key is redirected
 * to the key's URL.  Anything else that names no page is the 404 page of the
 * URL's language (the default language when it has none).  The words and the
 * shape of every URL are written here once: routing reads them and
 * art_route_path writes them, so the two cannot drift apart.
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "art_index.h"
#include "art_route.h"
#include "art_tag.h"
#include "art_url.h"

/* The words of the URL space, beside languages and collection ids. */
#define SEG_AUTHORS "authors"
#define SEG_TAGS "tags"
#define SEG_SEARCH "search"
#define SEG_FEED "feed.atom"
#define SEG_SITEMAP "sitemap.xml"
/* The parts of a sitemap index and the news sitemap: "sitemap-" then the
 * part number or "news", then ".xml". */
#define SEG_SITEMAP_PART "sitemap-"
#define SEG_SITEMAP_NEWS "news"
#define SEG_SITEMAP_EXT ".xml"
/* The most parts a sitemap index may name (the protocol's limit). */
#define SITEMAP_PARTS_MAX 50000

#define MAX_SEGMENTS 4

#define HTTP_OK 200
#define HTTP_MOVED_PERMANENTLY 301
#define HTTP_NOT_FOUND 404

/* page.kind by kind: the one place the names are spelled. */
static const char *const kind_names[ART_PAGE_KINDS] = {
    [ART_PAGE_INDEX] = "index",
    [ART_PAGE_COLLECTION] = "collection",
    [ART_PAGE_ARTICLE] = "article",
    [ART_PAGE_AUTHORS] = "authors",
    [ART_PAGE_AUTHOR] = "author",
    [ART_PAGE_TAG] = "tag",
    [ART_PAGE_SEARCH] = "search",
    [ART_PAGE_FEED] = "feed",
    [ART_PAGE_SITEMAP] = "sitemap",
    [ART_PAGE_ERROR] = "error",
};

static const char *const reserved[] = {
    SEG_AUTHORS, SEG_TAGS, SEG_SEARCH, SEG_FEED, SEG_SITEMAP, NULL
};

const char *art_page_kind_name(art_page_kind_t kind)
{
    return (unsigned)kind < ART_PAGE_KINDS ? kind_names[kind] : NULL;
}

int art_page_kind_of(const char *name)
{
    int k;

    for (k = 0; name && k < ART_PAGE_KINDS; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            return k;
        }
    }
    return -1;
}

int art_route_reserved(const char *segment)
{
    int i;

    for (i = 0; reserved[i]; i++) {
        if (strcmp(segment, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- building */

const char *art_route_path(apr_pool_t *p, art_page_kind_t kind, const char *lang,
                           const char *id, const char *sub)
{
    switch (kind) {
    case ART_PAGE_INDEX:
        return apr_pstrcat(p, "/", lang, "/", NULL);
    case ART_PAGE_COLLECTION:
        return apr_pstrcat(p, "/", lang, "/", id, "/", NULL);
    case ART_PAGE_ARTICLE:
        return apr_pstrcat(p, "/", lang, "/", id, "/", sub, NULL);
    case ART_PAGE_AUTHORS:
        return apr_pstrcat(p, "/", lang, "/" SEG_AUTHORS "/", NULL);
    case ART_PAGE_AUTHOR:
        return apr_pstrcat(p, "/", lang, "/" SEG_AUTHORS "/", id, NULL);
    case ART_PAGE_TAG:
        return apr_pstrcat(p, "/", lang, "/" SEG_TAGS "/",
                           art_url_segment(p, id), NULL);
    case ART_PAGE_SEARCH:
        return apr_pstrcat(p, "/", lang, "/" SEG_SEARCH, NULL);
    case ART_PAGE_SITEMAP:
        return art_route_sitemap_path(p, 0);
    default:
        return NULL;
    }
}

const char *art_route_sitemap_path(apr_pool_t *p, int part)
{
    if (part == 0) {
        return "/" SEG_SITEMAP;
    }
    if (part < 0) {
        return "/" SEG_SITEMAP_PART SEG_SITEMAP_NEWS SEG_SITEMAP_EXT;
    }
    return apr_psprintf(p, "/" SEG_SITEMAP_PART "%d" SEG_SITEMAP_EXT, part);
}

/* As the list page's own URL is written: after its "/", or after a "/"
 * added where it has none (author and tag pages). */
const char *art_route_feed_path(apr_pool_t *p, const char *list_path)
{
    apr_size_t n = strlen(list_path);

    return apr_pstrcat(p, list_path, n && list_path[n - 1] == '/' ? "" : "/",
                       SEG_FEED, NULL);
}

/* ---------------------------------------------------------------- routing */

/* Which sitemap a top-level segment names (see art_route_sitemap_path), in
 * *part; 0 when it names none.  Part numbers are written without leading
 * zeros, so each part has one URL. */
static int sitemap_segment(const char *seg, int *part)
{
    const char *d;
    apr_size_t n = strlen(seg), plen = sizeof(SEG_SITEMAP_PART) - 1,
        elen = sizeof(SEG_SITEMAP_EXT) - 1;
    long v = 0;

    if (strcmp(seg, SEG_SITEMAP) == 0) {
        *part = 0;
        return 1;
    }
    if (n <= plen + elen || strncmp(seg, SEG_SITEMAP_PART, plen) != 0
        || strcmp(seg + n - elen, SEG_SITEMAP_EXT) != 0) {
        return 0;
    }
    if (n == plen + elen + sizeof(SEG_SITEMAP_NEWS) - 1
        && strncmp(seg + plen, SEG_SITEMAP_NEWS, sizeof(SEG_SITEMAP_NEWS) - 1)
           == 0) {
        *part = -1;
        return 1;
    }
    if (seg[plen] == '0') {
        return 0;
    }
    for (d = seg + plen; d < seg + n - elen; d++) {
        if (*d < '0' || *d > '9' || (v = v * 10 + (*d - '0')) > SITEMAP_PARTS_MAX) {
            return 0;
        }
    }
    *part = (int)v;
    return 1;
}

/* Split a path ("/en/news/") into segments; *trailing is set when it ends in
 * "/".  Returns the number of segments, or -1 for an empty segment ("//") or a
 * path deeper than any page. */
static int split_path(apr_pool_t *pool, const char *path, char **seg,
                      int *trailing)
{
    const char *s = path + 1, *e;
    int n = 0;

    *trailing = 0;
    while (*s) {
        e = strchr(s, '/');
        if (e == s || n == MAX_SEGMENTS) {
            return -1;
        }
        if (e == NULL) {
            seg[n++] = apr_pstrdup(pool, s);
            return n;
        }
        seg[n++] = apr_pstrmemdup(pool, s, (apr_size_t)(e - s));
        s = e + 1;
        if (*s == '\0') {
            *trailing = 1;
        }
    }
    return n;
}

/* ?page=N: 1 when absent, 0 when malformed. */
static int page_param(const char *a)
{
    const char *v;
    long n = 0;

    if (a == NULL || *a == '\0') {
        return 1;
    }
    v = strstr(a, "page=");
    if (v == NULL || (v != a && v[-1] != '&')) {
        return 1;
    }
    for (v += 5; *v && *v != '&'; v++) {
        if (*v < '0' || *v > '9' || n > 100000000L) {
            return 0;
        }
        n = n * 10 + (*v - '0');
    }
    return (int)n;
}

void art_route_not_found(art_req_t *req)
{
    req->kind = ART_PAGE_ERROR;
    req->status = HTTP_NOT_FOUND;
    req->article = NULL;
    req->collection = NULL;
    req->author = NULL;
    req->tag = NULL;
    req->list = NULL;
}

static void set_list(art_req_t *req, const art_list_t *list, int psize, int page)
{
    int n = list ? list->n : 0;

    req->list = list;
    req->page_count = n ? (n + psize - 1) / psize : 1;
    req->page_no = page;
    req->count = psize;
    if (page < 1 || page > req->page_count) {
        req->kind = ART_PAGE_ERROR;
        req->status = HTTP_NOT_FOUND;
        req->list = NULL;
        return;
    }
    /* Only for a page that exists: ?page= may be near a billion. */
    req->offset = (page - 1) * psize;
}

static art_route_result_t redirect_slash(art_req_t *req)
{
    req->status = HTTP_MOVED_PERMANENTLY;
    req->location = apr_pstrcat(req->pool, req->base, req->path, "/", NULL);
    return ART_ROUTE_REDIRECT;
}

/* /<lang>/search?q=…: one page of BM25 results from the snapshot's text index.
 * An empty query is the search form alone; pages past the results are 404. */
static void search_page(art_req_t *req, const char *q, int psize, int page)
{
    art_index_hit_t *hits = apr_palloc(req->pool, sizeof(*hits) * (apr_size_t)psize);
    art_list_t *list = apr_pcalloc(req->pool, sizeof(*list));
    int i, n = 0, total = 0;

    req->query = q ? q : "";
    /* Pages past the window are 404 whatever the total; not searching them
     * also keeps the offset of a page near a billion from overflowing. */
    if (page >= 1 && page - 1 <= ART_INDEX_WINDOW_MAX / psize && *req->query) {
        n = art_snapshot_search(req->snap, req->lang->code, req->query,
                                strlen(req->query), psize, (page - 1) * psize,
                                hits, &total);
    }
    if (total > ART_INDEX_WINDOW_MAX) {
        total = ART_INDEX_WINDOW_MAX;
    }
    list->items = apr_palloc(req->pool, sizeof(art_article_t *) * (apr_size_t)psize);
    for (i = 0; i < n; i++) {
        const art_article_t *a = art_snapshot_doc(req->snap, hits[i].doc);
        if (a) {
            list->items[list->n++] = (art_article_t *)a;
        }
    }
    req->kind = ART_PAGE_SEARCH;
    req->total = total;
    req->list = list;
    req->offset = 0;
    req->count = list->n;
    req->page_no = page;
    req->page_count = total ? (total + psize - 1) / psize : 1;
    if (page < 1 || page > req->page_count) {
        art_route_not_found(req);
    }
}

typedef struct route_in_t {
    char *seg[MAX_SEGMENTS];
    int n, trailing, page, psize;
    art_route_arg_fn *arg;
    void *baton;
} route_in_t;

/* Route the segments of a path below the mount point (see art_route). */
static art_route_result_t route_segments(art_req_t *req, route_in_t *in)
{
    const art_snapshot_t *snap = req->snap;
    char **seg = in->seg;
    int n = in->n, trailing = in->trailing, psize = in->psize, page = in->page;
    const char *lang;

    if (n > 0 && art_snapshot_lang(snap, seg[0]) != NULL) {
        req->lang = art_snapshot_lang(snap, seg[0]);
    }
    if (n < 0 || art_snapshot_lang(snap, seg[0]) == NULL) {
        art_route_not_found(req);
        return ART_ROUTE_PAGE;
    }
    lang = req->lang->code;
    if (n == 1) {
        if (!trailing) {
            return redirect_slash(req);
        }
        req->kind = ART_PAGE_INDEX;
        set_list(req, art_snapshot_list(snap, ART_LIST_LANG, lang, NULL), psize, page);
        return ART_ROUTE_PAGE;
    }
    if (strcmp(seg[1], SEG_AUTHORS) == 0) {
        if (n == 2 && trailing) {
            req->kind = ART_PAGE_AUTHORS;
            return ART_ROUTE_PAGE;
        }
        if (n == 2) {
            return redirect_slash(req);
        }
        req->author = apr_hash_get(snap->author_by_id, seg[2], APR_HASH_KEY_STRING);
        if (n != 3 || trailing || req->author == NULL) {
            art_route_not_found(req);
            return ART_ROUTE_PAGE;
        }
        req->kind = ART_PAGE_AUTHOR;
        set_list(req, art_snapshot_list(snap, ART_LIST_AUTHOR, lang, seg[2]), psize, page);
        return ART_ROUTE_PAGE;
    }
    if (strcmp(seg[1], SEG_TAGS) == 0) {
        const art_list_t *l = NULL;
        if (n == 3 && !trailing) {
            req->tag = art_tag_fold(req->pool, seg[2]);
            l = art_snapshot_list(snap, ART_LIST_TAG, lang, req->tag);
        }
        if (l == NULL) {
            art_route_not_found(req);
            return ART_ROUTE_PAGE;
        }
        req->kind = ART_PAGE_TAG;
        set_list(req, l, psize, page);
        return ART_ROUTE_PAGE;
    }
    if (strcmp(seg[1], SEG_SEARCH) == 0 && n == 2 && !trailing) {
        search_page(req, in->arg ? in->arg(in->baton, "q") : NULL, psize, page);
        return ART_ROUTE_PAGE;
    }
    req->collection = apr_hash_get(snap->collection_by_id, seg[1],
                                   APR_HASH_KEY_STRING);
    if (req->collection == NULL || n > 3) {
        art_route_not_found(req);
        return ART_ROUTE_PAGE;
    }
    if (n == 2) {
        if (!trailing) {
            return redirect_slash(req);
        }
        req->kind = ART_PAGE_COLLECTION;
        set_list(req, art_snapshot_list(snap, ART_LIST_COLLECTION, lang, seg[1]), psize,
                 page);
        return ART_ROUTE_PAGE;
    }
    req->article = art_snapshot_article(snap, lang, seg[2]);
    if (req->article == NULL || req->article->collection != req->collection
        || trailing) {
        art_route_not_found(req);
        return ART_ROUTE_PAGE;
    }
    req->kind = ART_PAGE_ARTICLE;
    return ART_ROUTE_PAGE;
}

/* The pages that have a feed. */
static int has_feed(art_page_kind_t kind)
{
    return kind == ART_PAGE_INDEX || kind == ART_PAGE_COLLECTION
        || kind == ART_PAGE_AUTHOR || kind == ART_PAGE_TAG;
}

/* A path ending in "/feed.atom" is the feed of the list page it is appended
 * to. */
art_route_result_t art_route(art_req_t *req, const char *query, int page_size,
                             art_route_arg_fn *arg, void *baton)
{
    route_in_t in;
    art_route_result_t rc;
    int feed = 0;

    in.page = page_param(query);
    in.psize = page_size;
    in.arg = arg;
    in.baton = baton;
    req->status = HTTP_OK;
    req->lang = art_snapshot_lang(req->snap, req->snap->site->default_lang);
    in.n = split_path(req->pool, req->path, in.seg, &in.trailing);
    if (in.n == 0) {
        return ART_ROUTE_ROOT;
    }
    if (in.n == 1 && !in.trailing && sitemap_segment(in.seg[0], &req->sitemap)) {
        req->kind = ART_PAGE_SITEMAP;
        return ART_ROUTE_PAGE;
    }
    if (in.n >= 2 && !in.trailing && strcmp(in.seg[in.n - 1], SEG_FEED) == 0) {
        feed = 1;
        in.n--;
        /* As the list page's own URL is written: the index and collections
         * end in "/", author and tag pages do not. */
        in.trailing = in.n < 3;
        in.page = 1;
    }
    rc = route_segments(req, &in);
    if (rc == ART_ROUTE_PAGE && req->tag) {
        /* A tag has one URL, made from its folded key: other spellings
         * ("Kabul", "زبان دری") are sent there, and every link the page makes
         * (canonical, alternates, pager) starts from it. */
        const char *canon = art_route_path(req->pool, ART_PAGE_TAG,
                                           req->lang->code, req->tag, NULL);
        if (strcmp(in.seg[2], req->tag) != 0) {
            req->status = HTTP_MOVED_PERMANENTLY;
            req->location = apr_pstrcat(req->pool, req->base,
                                        feed ? art_route_feed_path(req->pool,
                                                                   canon)
                                        : canon,
                                        query ? "?" : "", query ? query : "",
                                        NULL);
            return ART_ROUTE_REDIRECT;
        }
        req->path = feed ? art_route_feed_path(req->pool, canon) : canon;
    }
    if (feed && rc == ART_ROUTE_PAGE) {
        if (req->list && has_feed(req->kind)) {
            /* The list page's own URL: the feed's path without "feed.atom",
             * and without the "/" before it where that page has none. */
            apr_size_t len = strlen(req->path) - (sizeof(SEG_FEED) - 1);
            req->feed_page = apr_pstrmemdup(req->pool, req->path,
                                            in.trailing ? len : len - 1);
            req->feed_of = req->kind;
            req->kind = ART_PAGE_FEED;
            req->offset = 0;
            req->count = ART_FEED_SIZE;
        }
        else {
            art_route_not_found(req);
        }
    }
    else if (feed) {
        art_route_not_found(req);
        rc = ART_ROUTE_PAGE;
    }
    return rc;
}

void art_route_root(art_req_t *req, const art_lang_t *lang, int page_size)
{
    req->lang = lang;
    req->root = 1;
    req->kind = ART_PAGE_INDEX;
    set_list(req, art_snapshot_list(req->snap, ART_LIST_LANG, lang->code, NULL),
             page_size, 1);
}
