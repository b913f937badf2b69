/* art_route.h: URLs and pages, both ways.
 *
 * Every page the module serves has a kind (the enum below) and a URL below the
 * mount point made of the page's language and ids.  art_route reads a path
 * and query into a routed page (art_req_t) or a redirect; art_route_path
 * writes the URL of any page.  The two live together so that the words of
 * the URL space ("authors", "tags", "search", "feed.atom", "sitemap.xml") are
 * spelled once, in art_route.c, and collections cannot take them as ids.
 * Nothing here includes httpd headers: the glue passes the path, the raw
 * query and a way to read a decoded query argument.
 */
#ifndef ART_ROUTE_H
#define ART_ROUTE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "art_snapshot.h"

/* The kinds of page; page.kind in Lua and the template's name are
 * art_page_kind_name(kind). */
typedef enum art_page_kind_t {
    ART_PAGE_INDEX,               /* /<lang>/ (and the root before its redirect) */
    ART_PAGE_COLLECTION,          /* /<lang>/<collection>/ */
    ART_PAGE_ARTICLE,             /* /<lang>/<collection>/<id> */
    ART_PAGE_AUTHORS,             /* /<lang>/authors/ */
    ART_PAGE_AUTHOR,              /* /<lang>/authors/<id> */
    ART_PAGE_TAG,                 /* /<lang>/tags/<key> */
    ART_PAGE_SEARCH,              /* /<lang>/search?q= */
    ART_PAGE_FEED,                /* <list page>/feed.atom */
    ART_PAGE_SITEMAP,             /* /sitemap.xml */
    ART_PAGE_ERROR,               /* the 404 page */
    ART_PAGE_KINDS                /* how many; not a kind */
} art_page_kind_t;

/* Articles in a feed. */
#define ART_FEED_SIZE 20

/* A routed page: what the handler routed to; the core turns it into the page
 * table. */
typedef struct art_req_t {
    apr_pool_t *pool;
    const art_snapshot_t *snap;
    const char *base;             /* mount prefix, no trailing slash */
    const char *path;             /* below the mount point */
    art_page_kind_t kind;
    int status;                   /* 200 or 404; 301 for a redirect */
    const char *location;         /* a redirect's Location */
    const art_lang_t *lang;
    const art_article_t *article;
    const art_collection_t *collection;
    const art_author_t *author;
    const char *tag;              /* tag key */
    art_page_kind_t feed_of;      /* kind ART_PAGE_FEED: the list page's kind */
    const char *feed_page;        /* kind ART_PAGE_FEED: the list page's path */
    const char *query;            /* kind ART_PAGE_SEARCH: the q parameter */
    int total;                    /* kind ART_PAGE_SEARCH: matching articles */
    int root;                     /* the site root: filters choose page.lang,
                                     then the handler redirects there */
    const art_list_t *list;       /* list pages */
    int offset, count;            /* slice of list shown */
    int page_no, page_count;      /* 1-based */
    void *r;                      /* request_rec, opaque here */
    apr_array_header_t *inputs;   /* art_cache_input_t: what the filters read
                                     of the request (art_cache_note) */
    int uncacheable;              /* a filter did what no cache key captures */
    int preview;                  /* ArticlesPreview: drafts and scheduled
                                     articles shown, marked, never cached */
    int sitemap;                  /* kind ART_PAGE_SITEMAP: 0 /sitemap.xml, N
                                     /sitemap-N.xml, -1 the news sitemap
                                     (ART_SITEMAP_MAIN/NEWS of art_sitemap.h) */
    int redirect;                 /* the status r:redirect returned; 0: none */
} art_req_t;

/* page.kind of a kind ("index", "article", ...), and back: -1 for a name
 * that is no kind. */
const char *art_page_kind_name(art_page_kind_t kind);
int art_page_kind_of(const char *name);

/* Reads the decoded value of query argument name (NULL: absent). */
typedef const char *art_route_arg_fn(void *baton, const char *name);

typedef enum art_route_result_t {
    ART_ROUTE_PAGE,               /* req is a page (maybe the 404 page) */
    ART_ROUTE_ROOT,               /* the site root: see art_route_root */
    ART_ROUTE_REDIRECT            /* req->status and req->location are set */
} art_route_result_t;

/* Route req->path (below the mount point, starting with "/", percent-decoded
 * as httpd's r->uri is; art_route_path writes it encoded) and the raw
 * query (NULL: none) against req->snap; req->pool, snap, base and path must
 * be set, the rest zero.  page_size is the list page size; arg reads the
 * search words (q). */
art_route_result_t art_route(art_req_t *req, const char *query, int page_size,
                             art_route_arg_fn *arg, void *baton);

/* The root's page: the first page of lang's index, marked root. */
void art_route_root(art_req_t *req, const art_lang_t *lang, int page_size);

/* Make req the 404 page of its language. */
void art_route_not_found(art_req_t *req);

/* The path below the mount point of a page: lang and, by kind, id (the
 * collection of a collection page or article, the author, the tag key) and
 * sub (the article id).  NULL for a kind that has no URL of its own (feed:
 * see art_route_feed_path; error). */
const char *art_route_path(apr_pool_t *p, art_page_kind_t kind, const char *lang,
                           const char *id, const char *sub);

/* The path of the feed of the list page at list_path. */
const char *art_route_feed_path(apr_pool_t *p, const char *list_path);

/* The path of sitemap `part`: 0 "/sitemap.xml" (the index, or the only
 * part), N > 0 "/sitemap-N.xml", -1 "/sitemap-news.xml". */
const char *art_route_sitemap_path(apr_pool_t *p, int part);

/* Whether segment is a word of the URL space that a collection id would
 * shadow. */
int art_route_reserved(const char *segment);

#endif
