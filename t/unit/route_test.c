/* route_test.c: every route and redirect of art_route, on the sample site.
 *
 * The URL space is the README's table ("What it serves"): each row is routed
 * here from its path and query, with the redirects (a missing slash, a tag
 * spelled otherwise than its key) and the 404s around it, against the real
 * sample repository loaded by the real loader.  Then every page of the
 * snapshot is written with art_route_path and read back with art_route, so
 * the builder and the router cannot disagree.
 *
 * Usage: route_test [REPO]  (default conf/sample/repo).  Prints one line per
 * failure and finally "route: N unit_passed, M failed"; exits non-zero on failure.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "art_repo.h"
#include "art_route.h"
#include "unit_check.h"

#define BASE "/site"
#define PSIZE 2

static apr_pool_t *pool;
static const art_snapshot_t *snap;


/* The search words of a query "q=WORD" (no decoding needed in these tests). */
static const char *q_arg(void *baton, const char *name)
{
    const char *query = baton, *v;

    if (query == NULL || strcmp(name, "q") != 0) {
        return NULL;
    }
    v = strstr(query, "q=");
    return v ? apr_pstrndup(pool, v + 2, strcspn(v + 2, "&")) : NULL;
}

static art_route_result_t route(art_req_t *req, const char *path,
                                const char *query)
{
    memset(req, 0, sizeof(*req));
    req->pool = pool;
    req->snap = snap;
    req->base = BASE;
    req->path = path;
    return art_route(req, query, PSIZE, q_arg, (void *)query);
}

static const char *name(int kind)
{
    const char *n = art_page_kind_name((art_page_kind_t)kind);
    return n ? n : "?";
}

/* path?query routes to a page of kind with status and language lang. */
static art_req_t *page(const char *path, const char *query, int kind, int status,
                       const char *lang)
{
    art_req_t *req = apr_pcalloc(pool, sizeof(*req));
    art_route_result_t rc = route(req, path, query);

    CHECK(rc == ART_ROUTE_PAGE, "%s?%s: routed as %d, not a page", path,
          query ? query : "", (int)rc);
    CHECK((int)req->kind == kind, "%s?%s: kind %s, want %s", path,
          query ? query : "", name(req->kind), name(kind));
    CHECK(req->status == status, "%s?%s: status %d, want %d", path,
          query ? query : "", req->status, status);
    CHECK(req->lang && strcmp(req->lang->code, lang) == 0, "%s: lang %s, want %s",
          path, req->lang ? req->lang->code : "(none)", lang);
    return req;
}

static void not_found(const char *path, const char *query, const char *lang)
{
    art_req_t *req = page(path, query, ART_PAGE_ERROR, 404, lang);

    CHECK(req->list == NULL && req->article == NULL && req->tag == NULL,
          "%s: the 404 page carries no list, article or tag", path);
}

static void redirect(const char *path, const char *query, const char *location)
{
    art_req_t req;
    art_route_result_t rc = route(&req, path, query);

    CHECK(rc == ART_ROUTE_REDIRECT, "%s?%s: not redirected (%d)", path,
          query ? query : "", (int)rc);
    CHECK(req.status == 301, "%s: redirect status %d, want 301", path, req.status);
    CHECK(req.location && strcmp(req.location, location) == 0,
          "%s: Location %s, want %s", path, req.location ? req.location : "(none)",
          location);
}

static void feed(const char *path, int of, const char *list_page)
{
    art_req_t *req = page(path, NULL, ART_PAGE_FEED, 200, "en");

    CHECK((int)req->feed_of == of, "%s: feed of %s, want %s", path,
          name(req->feed_of), name(of));
    CHECK(req->feed_page && strcmp(req->feed_page, list_page) == 0,
          "%s: feed page %s, want %s", path, req->feed_page, list_page);
    CHECK(req->offset == 0 && req->count == ART_FEED_SIZE && req->list,
          "%s: the feed shows the %d newest", path, ART_FEED_SIZE);
}

static int list_len(art_list_e kind, const char *lang, const char *key)
{
    const art_list_t *l = art_snapshot_list(snap, kind, lang, key);
    return l ? l->n : 0;
}

/* The rows of the README's table, and what is around them. */
static void table(void)
{
    art_req_t req, *r;
    int pages = (list_len(ART_LIST_LANG, "en", NULL) + PSIZE - 1) / PSIZE;
    char last[32], past[32];

    CHECK(route(&req, "/", NULL) == ART_ROUTE_ROOT, "/: the root");
    CHECK(strcmp(req.lang->code, "en") == 0, "/: the default language first");

    redirect("/en", NULL, BASE "/en/");
    r = page("/en/", NULL, ART_PAGE_INDEX, 200, "en");
    CHECK(r->list && r->page_no == 1 && r->page_count == pages && r->count == PSIZE,
          "/en/: page 1 of %d", pages);
    r = page("/fa/", NULL, ART_PAGE_INDEX, 200, "fa");
    CHECK(r->root == 0, "/fa/: not the root");

    snprintf(last, sizeof(last), "page=%d", pages);
    snprintf(past, sizeof(past), "page=%d", pages + 1);
    r = page("/en/", last, ART_PAGE_INDEX, 200, "en");
    CHECK(r->page_no == pages && r->offset == (pages - 1) * PSIZE,
          "/en/?%s: the last page", last);
    not_found("/en/", past, "en");
    not_found("/en/", "page=0", "en");
    not_found("/en/", "page=1000000000", "en");
    not_found("/en/search", "q=kabul&page=1000000000", "en");
    not_found("/en/", "page=x1", "en");
    not_found("/en/", "a=1&page=", "en");
    r = page("/en/", "xpage=3", ART_PAGE_INDEX, 200, "en");
    CHECK(r->page_no == 1, "xpage= is not page=");
    r = page("/en/", "a=1&page=2", ART_PAGE_INDEX, 200, "en");
    CHECK(r->page_no == 2, "page= after another argument");

    redirect("/en/european-languages", NULL, BASE "/en/european-languages/");
    r = page("/en/european-languages/", NULL, ART_PAGE_COLLECTION, 200, "en");
    CHECK(r->collection && strcmp(r->collection->id, "european-languages") == 0,
          "collection page: its collection");
    r = page("/en/european-languages/languages-of-europe-in-kabul", NULL,
             ART_PAGE_ARTICLE, 200, "en");
    CHECK(r->article && strcmp(r->article->id, "languages-of-europe-in-kabul") == 0,
          "article page: its article");
    r = page("/ps/dari-pashto/landay", NULL, ART_PAGE_ARTICLE, 200, "ps");
    not_found("/en/european-languages/languages-of-europe-in-kabul/", NULL, "en");
    not_found("/en/dari-pashto/languages-of-europe-in-kabul", NULL, "en");
    not_found("/fa/european-languages/languages-of-europe-in-kabul", NULL, "fa");
    not_found("/en/european-languages/nothing", NULL, "en");
    not_found("/en/no-such-collection/", NULL, "en");
    not_found("/en/european-languages/a/b", NULL, "en");

    redirect("/en/authors", NULL, BASE "/en/authors/");
    page("/en/authors/", NULL, ART_PAGE_AUTHORS, 200, "en");
    r = page("/en/authors/taut-bataut", NULL, ART_PAGE_AUTHOR, 200, "en");
    CHECK(r->author && strcmp(r->author->id, "taut-bataut") == 0 && r->list,
          "author page: the author and their articles");
    not_found("/en/authors/taut-bataut/", NULL, "en");
    not_found("/en/authors/nobody", NULL, "en");
    not_found("/en/authors/taut-bataut/x", NULL, "en");

    r = page("/en/tags/kabul", NULL, ART_PAGE_TAG, 200, "en");
    CHECK(r->tag && strcmp(r->tag, "kabul") == 0 && r->list, "tag page: the key");
    CHECK(strcmp(r->path, "/en/tags/kabul") == 0, "tag page: its path");
    redirect("/en/tags/Kabul", NULL, BASE "/en/tags/kabul");
    redirect("/en/tags/KABUL", "page=1", BASE "/en/tags/kabul?page=1");
    redirect("/en/tags/Kabul/feed.atom", NULL, BASE "/en/tags/kabul/feed.atom");
    r = page("/ps/tags/لنډۍ", NULL, ART_PAGE_TAG, 200, "ps");
    CHECK(strcmp(r->path, "/ps/tags/%D9%84%D9%86%DA%89%DB%8D") == 0,
          "a tag in Pashto letters: percent-encoded path, got %s", r->path);
    not_found("/en/tags/no-such-tag", NULL, "en");
    not_found("/en/tags/", NULL, "en");
    not_found("/en/tags", NULL, "en");
    not_found("/en/tags/kabul/", NULL, "en");

    feed("/en/feed.atom", ART_PAGE_INDEX, "/en/");
    feed("/en/european-languages/feed.atom", ART_PAGE_COLLECTION,
         "/en/european-languages/");
    feed("/en/authors/taut-bataut/feed.atom", ART_PAGE_AUTHOR,
         "/en/authors/taut-bataut");
    feed("/en/tags/kabul/feed.atom", ART_PAGE_TAG, "/en/tags/kabul");
    r = page("/en/feed.atom", "page=99", ART_PAGE_FEED, 200, "en");
    not_found("/en/authors/feed.atom", NULL, "en");
    not_found("/en/search/feed.atom", NULL, "en");
    not_found("/en/european-languages/languages-of-europe-in-kabul/feed.atom", NULL,
              "en");
    not_found("/xx/feed.atom", NULL, "en");
    not_found("/feed.atom", NULL, "en");

    r = page("/sitemap.xml", NULL, ART_PAGE_SITEMAP, 200, "en");
    CHECK(r->sitemap == 0, "/sitemap.xml: the main sitemap");
    not_found("/sitemap.xml/", NULL, "en");
    not_found("/en/sitemap.xml", NULL, "en");
    /* Parts of a sitemap index and the news sitemap (whether a part
     * exists is the sitemap's to say: art_sitemap_serve). */
    r = page("/sitemap-1.xml", NULL, ART_PAGE_SITEMAP, 200, "en");
    CHECK(r->sitemap == 1, "/sitemap-1.xml: part 1");
    r = page("/sitemap-50000.xml", NULL, ART_PAGE_SITEMAP, 200, "en");
    CHECK(r->sitemap == 50000, "/sitemap-50000.xml: part 50000");
    r = page("/sitemap-news.xml", NULL, ART_PAGE_SITEMAP, 200, "en");
    CHECK(r->sitemap == -1, "/sitemap-news.xml: the news sitemap");
    not_found("/sitemap-0.xml", NULL, "en");
    not_found("/sitemap-01.xml", NULL, "en");
    not_found("/sitemap-50001.xml", NULL, "en");
    not_found("/sitemap-99999999999999999999.xml", NULL, "en");
    not_found("/sitemap-1x.xml", NULL, "en");
    not_found("/sitemap-.xml", NULL, "en");
    not_found("/sitemap-1.xml/", NULL, "en");
    not_found("/sitemap-news.xml.gz", NULL, "en");
    not_found("/en/sitemap-1.xml", NULL, "en");
    CHECK(strcmp(art_route_sitemap_path(pool, 0), "/sitemap.xml") == 0
          && strcmp(art_route_sitemap_path(pool, 7), "/sitemap-7.xml") == 0
          && strcmp(art_route_sitemap_path(pool, -1), "/sitemap-news.xml") == 0,
          "sitemap paths");

    r = page("/en/search", "q=kabul", ART_PAGE_SEARCH, 200, "en");
    CHECK(r->query && strcmp(r->query, "kabul") == 0 && r->total > 0
          && r->list && r->list->n > 0, "search: kabul is found");
    r = page("/en/search", NULL, ART_PAGE_SEARCH, 200, "en");
    CHECK(r->query && *r->query == '\0' && r->total == 0, "search: the form alone");
    not_found("/en/search", "q=kabul&page=99", "en");
    not_found("/en/search/", NULL, "en");

    not_found("/xx/", NULL, "en");
    not_found("/xx", NULL, "en");
    not_found("//", NULL, "en");
    not_found("/en//", NULL, "en");
    not_found("/en/a/b/c/d", NULL, "en");
    not_found("/fa/nothing/", NULL, "fa");
}

static void root_and_404(void)
{
    art_req_t req;

    CHECK(route(&req, "/", NULL) == ART_ROUTE_ROOT, "/: the root");
    art_route_root(&req, art_snapshot_lang(snap, "fa"), PSIZE);
    CHECK(req.kind == ART_PAGE_INDEX && req.root && req.list && req.page_no == 1
          && strcmp(req.lang->code, "fa") == 0, "root: fa's index, marked root");
    route(&req, "/fa/dari-pashto/", NULL);
    art_route_not_found(&req);
    CHECK(req.kind == ART_PAGE_ERROR && req.status == 404 && req.collection == NULL
          && req.list == NULL && strcmp(req.lang->code, "fa") == 0,
          "a page made the 404 page keeps its language only");
}

static void kinds(void)
{
    static const char *const contract[] = {
        "index", "collection", "article", "authors", "author", "tag", "search",
        "feed", "sitemap", "error", NULL
    };
    static const char *const words[] = {
        "authors", "tags", "search", "feed.atom", "sitemap.xml", NULL
    };
    int i, seen = 0;

    for (i = 0; contract[i]; i++) {
        int k = art_page_kind_of(contract[i]);
        CHECK(k >= 0 && strcmp(art_page_kind_name((art_page_kind_t)k),
                               contract[i]) == 0, "page.kind %s", contract[i]);
        seen |= 1 << k;
    }
    CHECK(seen == (1 << ART_PAGE_KINDS) - 1, "every kind has a page.kind");
    CHECK(art_page_kind_of("articles") == -1 && art_page_kind_of("") == -1,
          "no kind for other names");
    CHECK(art_page_kind_name(ART_PAGE_KINDS) == NULL, "no name past the kinds");
    for (i = 0; words[i]; i++) {
        CHECK(art_route_reserved(words[i]), "%s is reserved", words[i]);
    }
    CHECK(!art_route_reserved("news") && !art_route_reserved("Authors")
          && !art_route_reserved("feed"), "collection ids are not reserved");
}

/* A URL path as httpd hands it to the handler (r->uri): percent-decoded. */
static const char *decoded(const char *url)
{
    char *out = apr_palloc(pool, strlen(url) + 1), *o = out;
    unsigned int c;

    while (*url) {
        if (url[0] == '%' && sscanf(url + 1, "%2x", &c) == 1) {
            *o++ = (char)c;
            url += 3;
        }
        else {
            *o++ = *url++;
        }
    }
    *o = '\0';
    return out;
}

/* Written by art_route_path, read back by art_route (as httpd decodes it):
 * the same page. */
static void round_trip(void)
{
    const apr_array_header_t *langs = snap->site->langs;
    art_req_t req, *r;
    int i, j, k;

    for (i = 0; i < snap->all.n; i++) {
        const art_article_t *a = snap->all.items[i];
        const char *p = art_route_path(pool, ART_PAGE_ARTICLE, a->lang->code,
                                       a->collection->id, a->id);
        CHECK(strcmp(p, a->path) == 0, "article path %s is the loader's %s", p,
              a->path);
        r = page(p, NULL, ART_PAGE_ARTICLE, 200, a->lang->code);
        CHECK(r->article == a, "%s: the same article", p);
        for (j = 0; j < a->ntags; j++) {
            p = art_route_path(pool, ART_PAGE_TAG, a->lang->code, a->tags[j].key,
                               NULL);
            r = page(decoded(p), NULL, ART_PAGE_TAG, 200, a->lang->code);
            CHECK(r->tag && strcmp(r->tag, a->tags[j].key) == 0, "%s: tag %s", p,
                  a->tags[j].key);
            CHECK(strcmp(r->path, p) == 0, "%s: the tag page's path", p);
            r = page(decoded(art_route_feed_path(pool, p)), NULL, ART_PAGE_FEED, 200,
                     a->lang->code);
            CHECK(r->feed_of == ART_PAGE_TAG && strcmp(r->feed_page, p) == 0,
                  "%s: its feed", p);
        }
    }
    for (i = 0; i < langs->nelts; i++) {
        const char *l = APR_ARRAY_IDX(langs, i, art_lang_t).code;
        static const art_page_kind_t plain[] = {
            ART_PAGE_INDEX, ART_PAGE_AUTHORS, ART_PAGE_SEARCH
        };
        for (k = 0; k < 3; k++) {
            page(art_route_path(pool, plain[k], l, NULL, NULL), NULL, plain[k], 200,
                 l);
        }
        for (j = 0; j < snap->collections->nelts; j++) {
            const art_collection_t *c = APR_ARRAY_IDX(snap->collections, j,
                                                      art_collection_t *);
            const char *p = art_route_path(pool, ART_PAGE_COLLECTION, l, c->id,
                                           NULL);
            r = page(p, NULL, ART_PAGE_COLLECTION, 200, l);
            CHECK(r->collection == c, "%s: the same collection", p);
            if (list_len(ART_LIST_COLLECTION, l, c->id)) {
                r = page(art_route_feed_path(pool, p), NULL, ART_PAGE_FEED, 200, l);
                CHECK(r->feed_of == ART_PAGE_COLLECTION, "%s: its feed", p);
            }
        }
        for (j = 0; j < snap->authors->nelts; j++) {
            const art_author_t *au = APR_ARRAY_IDX(snap->authors, j,
                                                   art_author_t *);
            const char *p = art_route_path(pool, ART_PAGE_AUTHOR, l, au->id, NULL);
            r = page(p, NULL, ART_PAGE_AUTHOR, 200, l);
            CHECK(r->author == au, "%s: the same author", p);
        }
    }
    page(art_route_path(pool, ART_PAGE_SITEMAP, "en", NULL, NULL), NULL,
         ART_PAGE_SITEMAP, 200, "en");
    CHECK(art_route_path(pool, ART_PAGE_FEED, "en", NULL, NULL) == NULL
          && art_route_path(pool, ART_PAGE_ERROR, "en", NULL, NULL) == NULL,
          "feeds and the 404 page have no path of their own");
    CHECK(route(&req, art_route_path(pool, ART_PAGE_INDEX, "de", NULL, NULL), NULL)
          == ART_ROUTE_PAGE, "de's index");
}

int main(int argc, char **argv)
{
    const char *repo = argc > 1 ? argv[1] : "conf/sample/repo";
    art_repo_opts_t o = { ART_REPO_DEFAULT_MAX_FILE, NULL, NULL };
    art_snapshot_t *s;
    char *err = NULL;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (art_repo_init(pool, &err) != APR_SUCCESS
        || art_repo_load(pool, repo, &o, &s, &err) != APR_SUCCESS) {
        printf("route_test: cannot load %s: %s\n", repo, err);
        return 2;
    }
    snap = s;
    table();
    root_and_404();
    kinds();
    round_trip();
    printf("route: %d passed, %d failed\n", unit_passed, unit_failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return unit_failed ? 1 : 0;
}
