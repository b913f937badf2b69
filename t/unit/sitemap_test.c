/* sitemap_test.c: the sitemap writer at any size, the builder over a real
 * repository, the news sitemap's two-day window, and the memo.
 *
 * 60,000 generated URLs must give a sitemap index and parts each within the
 * protocol's limits (50,000 URLs, 50 MB), every URL exactly once and in
 * order, and every document valid against the sitemaps.org schema (the XSD
 * given on the command line, written from the protocol's description, and
 * checked with libxml2).  A small byte limit must split by bytes as well.
 * The sample repository's sitemap must list every article; its news
 * sitemap must hold exactly the articles of the two days before "now".
 *
 * Usage: sitemap_test XSD REPO.  Prints one line per failure and finally
 * "sitemap: N unit_passed, M failed"; exits non-zero on failure.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "art_repo.h"
#include "art_route.h"
#include "unit_check.h"
#include "art_sitemap.h"

#define PREFIX "https://news.example.org/site"
#define GENERATED 60000

static apr_pool_t *pool;
static xmlSchemaPtr schema;


/* 0 when d is well-formed and valid against the schema. */
static int invalid(const art_sitemap_doc_t *d)
{
    xmlDocPtr doc = xmlReadMemory(d->data, (int)d->len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_HUGE);
    xmlSchemaValidCtxtPtr v;
    int rc;

    if (doc == NULL) {
        return -1;
    }
    v = xmlSchemaNewValidCtxt(schema);
    rc = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    xmlFreeDoc(doc);
    return rc;
}

static int count(const char *hay, apr_size_t len, const char *needle)
{
    const char *p = hay, *end = hay + len;
    apr_size_t n = strlen(needle);
    int c = 0;

    while ((p = memmem(p, (apr_size_t)(end - p), needle, n)) != NULL) {
        c++;
        p += n;
    }
    return c;
}

static const char *gen_loc(int i)
{
    /* "&" in every URL: the writer must escape it. */
    return apr_psprintf(pool, PREFIX "/en/generated/article-%06d?a=1&b=2", i);
}

/* Fill a writer with GENERATED URLs and check the documents it made. */
static void generated(apr_size_t max_bytes, int want_parts)
{
    apr_pool_t *p;
    art_sitemap_t *sm;
    art_sitemap_alt_t alts[2];
    const art_sitemap_doc_t *idx;
    int i, n, next = 0, total = 0;
    apr_size_t limit = max_bytes ? max_bytes : ART_SITEMAP_MAX_BYTES;

    apr_pool_create(&p, pool);
    sm = art_sitemap_create(p, PREFIX, 0, max_bytes);
    for (i = 0; i < GENERATED; i++) {
        alts[0].lang = "en";
        alts[0].href = gen_loc(i);
        alts[1].lang = "fa";
        alts[1].href = apr_psprintf(pool, PREFIX "/fa/generated/article-%06d", i);
        art_sitemap_add(sm, gen_loc(i), apr_time_from_sec(1700000000 + i), alts, 2);
    }
    art_sitemap_finish(sm);
    n = art_sitemap_nparts(sm);
    if (want_parts) {
        CHECK(n == want_parts, "%d parts, want %d", n, want_parts);
    }
    else {
        CHECK(n > 2, "a %zu-byte limit gave only %d parts", (size_t)limit, n);
    }
    for (i = 1; i <= n; i++) {
        const art_sitemap_doc_t *d = art_sitemap_part(sm, i);
        const char *loc, *s;
        int urls = count(d->data, d->len, "<url>");
        CHECK(urls <= ART_SITEMAP_MAX_URLS && urls == d->urls,
              "part %d: %d <url>s (says %d)", i, urls, d->urls);
        CHECK(d->len <= limit, "part %d: %zu bytes > %zu", i, (size_t)d->len,
              (size_t)limit);
        CHECK(invalid(d) == 0, "part %d is not a valid sitemap", i);
        /* Every URL once, in the order added: the first and last of the
         * part follow on from the previous part. */
        loc = apr_psprintf(pool, "<loc>" PREFIX "/en/generated/article-%06d?a=1"
                           "&amp;b=2</loc>", next);
        s = memmem(d->data, d->len, "<loc>", 5);
        CHECK(s && strncmp(s, loc, strlen(loc)) == 0, "part %d starts at %.60s, "
              "want %s", i, s ? s : "(none)", loc);
        next += urls;
        total += urls;
    }
    CHECK(total == GENERATED, "%d URLs in the parts, want %d", total, GENERATED);
    CHECK(art_sitemap_part(sm, 0) == NULL && art_sitemap_part(sm, n + 1) == NULL,
          "parts out of range are NULL");
    idx = art_sitemap_main(sm);
    CHECK(idx && memmem(idx->data, idx->len, "<sitemapindex", 13) != NULL,
          "/sitemap.xml is a sitemap index");
    CHECK(idx && invalid(idx) == 0, "the index is valid");
    CHECK(idx && count(idx->data, idx->len, "<sitemap>") == n,
          "the index names every part");
    for (i = 1; idx && i <= n; i++) {
        const char *loc = apr_psprintf(pool, "<loc>" PREFIX "%s</loc>",
                                       art_route_sitemap_path(pool, i));
        CHECK(memmem(idx->data, idx->len, loc, strlen(loc)) != NULL,
              "the index names %s", loc);
    }
    apr_pool_destroy(p);
}

static void small_site(void)
{
    art_sitemap_t *sm = art_sitemap_create(pool, PREFIX, 0, 0);
    const art_sitemap_doc_t *d;

    art_sitemap_finish(sm);
    d = art_sitemap_main(sm);
    CHECK(art_sitemap_nparts(sm) == 1 && d == art_sitemap_part(sm, 1),
          "an empty site: /sitemap.xml is its only part");
    CHECK(d && invalid(d) == 0, "an empty sitemap is valid");
}

/* The sample repository: every article and every language index. */
static void repository(const art_snapshot_t *s)
{
    art_sitemap_t *sm = art_sitemap_build(pool, s, PREFIX, 0, 0);
    const art_sitemap_doc_t *d = art_sitemap_main(sm);
    int i;

    CHECK(art_sitemap_nparts(sm) == 1, "the sample site fits one part");
    CHECK(invalid(d) == 0, "the sample site's sitemap is valid");
    for (i = 0; i < s->all.n; i++) {
        const char *loc = apr_pstrcat(pool, "<loc>" PREFIX, s->all.items[i]->path,
                                      "</loc>", NULL);
        CHECK(memmem(d->data, d->len, loc, strlen(loc)) != NULL, "lists %s", loc);
    }
    for (i = 0; i < s->site->langs->nelts; i++) {
        const char *loc = apr_pstrcat(pool, "<loc>" PREFIX, art_route_path(
                                          pool, ART_PAGE_INDEX,
                                          APR_ARRAY_IDX(s->site->langs, i,
                                                        art_lang_t).code,
                                          NULL, NULL), "</loc>", NULL);
        CHECK(memmem(d->data, d->len, loc, strlen(loc)) != NULL, "lists %s", loc);
    }
    /* Split by a tiny URL limit, the same site is an index of parts. */
    sm = art_sitemap_build(pool, s, PREFIX, 5, 0);
    CHECK(art_sitemap_nparts(sm) > 1
          && memmem(art_sitemap_main(sm)->data, art_sitemap_main(sm)->len,
                    "<sitemapindex", 13) != NULL,
          "5 URLs a part: an index");
}

/* Whether the news sitemap at now lists article a. */
static int in_news(const art_snapshot_t *s, const art_article_t *a,
                   apr_time_t now, apr_time_t *until)
{
    art_sitemap_doc_t *d = art_sitemap_news(pool, s, PREFIX, now, until);
    const char *loc = apr_pstrcat(pool, "<loc>" PREFIX, a->path, "</loc>", NULL);

    CHECK(invalid(d) == 0, "the news sitemap is valid");
    return memmem(d->data, d->len, loc, strlen(loc)) != NULL;
}

static void news(const art_snapshot_t *s)
{
    const apr_time_t day = apr_time_from_sec(24 * 3600);
    const art_article_t *seed = art_snapshot_article(s, "en",
                                                     "rethinking-pakistans-afghan-policy");
    apr_time_t t, until;
    art_sitemap_doc_t *d;
    int i, n;

    CHECK(seed != NULL, "the seed article is in the sample");
    if (seed == NULL) {
        return;
    }
    t = seed->published_t;
    CHECK(!in_news(s, seed, t - 1, &until), "not before it is published");
    CHECK(until == t, "the sitemap before it changes when it is published");
    CHECK(in_news(s, seed, t, &until), "in at its publication");
    CHECK(in_news(s, seed, t + day, &until), "in a day later");
    CHECK(until > t + day && until <= t + 2 * day + 1,
          "valid until an article leaves or enters");
    CHECK(in_news(s, seed, t + 2 * day, &until), "in two days later");
    CHECK(!in_news(s, seed, t + 2 * day + 1, &until), "out after two days");
    /* Exactly the articles of the window, with name, language, date and
     * title, and nothing older. */
    d = art_sitemap_news(pool, s, PREFIX, t + day, &until);
    for (i = 0, n = 0; i < s->all.n; i++) {
        const art_article_t *a = s->all.items[i];
        const char *loc = apr_pstrcat(pool, "<loc>" PREFIX, a->path, "</loc>", NULL);
        int want = a->published_t <= t + day && a->published_t >= t - day;
        int got = memmem(d->data, d->len, loc, strlen(loc)) != NULL;
        CHECK(want == got, "%s: in the window %d, listed %d", a->path, want, got);
        n += want;
    }
    CHECK(count(d->data, d->len, "<news:news>") == n
          && count(d->data, d->len, "<news:name>") == n
          && count(d->data, d->len, "<news:language>") == n
          && count(d->data, d->len, "<news:publication_date>") == n
          && count(d->data, d->len, "<news:title>") == n,
          "every entry has publication name and language, date and title");
    CHECK(memmem(d->data, d->len, "<news:title>Rethinking Pakistan&#39;s Afghan "
                 "Policy</news:title>", 63) != NULL, "the seed's title, escaped");
}

static void memo(const art_snapshot_t *s)
{
    apr_pool_t *r1, *r2;
    const art_sitemap_doc_t *a, *b;

    CHECK(art_sitemap_init(pool) == APR_SUCCESS, "init");
    apr_pool_create(&r1, pool);
    apr_pool_create(&r2, pool);
    a = art_sitemap_serve(r1, s, "/site", ART_SITEMAP_MAIN, apr_time_now());
    b = art_sitemap_serve(r2, s, "/site", ART_SITEMAP_MAIN, apr_time_now());
    CHECK(a && a == b, "a second request is served the same bytes, not a rebuild");
    CHECK(art_sitemap_serve(r1, s, "/site", 2, apr_time_now()) == NULL,
          "no part 2 on a small site");
    b = art_sitemap_serve(r2, s, "/other", ART_SITEMAP_MAIN, apr_time_now());
    CHECK(b && b != a && memmem(b->data, b->len, "/other/en/", 10),
          "another mount point has its own");
    b = art_sitemap_serve(r2, s, "/site", ART_SITEMAP_NEWS, apr_time_now());
    CHECK(b && invalid(b) == 0, "the news sitemap through the memo");
    apr_pool_destroy(r1);
    apr_pool_destroy(r2);
}

int main(int argc, char **argv)
{
    xmlSchemaParserCtxtPtr pc;
    art_snapshot_t *s;
    art_repo_opts_t o = { ART_REPO_DEFAULT_MAX_FILE, NULL, NULL };
    char *err = NULL;

    if (argc != 3) {
        fprintf(stderr, "usage: sitemap_test XSD REPO\n");
        return 2;
    }
    apr_initialize();
    apr_pool_create(&pool, NULL);
    pc = xmlSchemaNewParserCtxt(argv[1]);
    schema = pc ? xmlSchemaParse(pc) : NULL;
    if (schema == NULL) {
        fprintf(stderr, "sitemap_test: cannot read %s\n", argv[1]);
        return 2;
    }
    if (art_repo_init(pool, &err) != APR_SUCCESS
        || art_repo_load(pool, argv[2], &o, &s, &err) != APR_SUCCESS) {
        fprintf(stderr, "sitemap_test: %s\n", err);
        return 2;
    }

    generated(0, 2);
    generated(1024 * 1024, 0);
    small_site();
    repository(s);
    news(s);
    memo(s);

    printf("sitemap: %d passed, %d failed\n", unit_passed, unit_failed);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    apr_pool_destroy(s->pool);
    apr_pool_destroy(pool);
    apr_terminate();
    return unit_failed != 0;
}
