/* art_sitemap.h: sitemaps of any size and the Google News sitemap, in C.
 *
 * The sitemap protocol (sitemaps.org) allows 50,000 URLs and 50 MB
 * (52,428,800 bytes, uncompressed) per file.  The writer here fills numbered
 * parts up to both limits; with more than one part, /sitemap.xml is a
 * sitemap index naming them (/sitemap-1.xml, /sitemap-2.xml, ...), with one
 * part it is that part.  The news sitemap lists the articles published in
 * the last two days (at most 1,000, the newest, as Google News reads them).
 *
 * Every sitemap of a repository version is built once per process and mount
 * point, on first request, and kept (art_sitemap_serve): requests are served
 * the bytes, never a page model, so no filter budget pays for them.  The
 * news sitemap depends on the clock as well: it is kept until the next
 * moment an article enters or leaves its window.  No httpd header: the
 * writer is unit-tested on its own (t/unit/sitemap_test.c).
 */
#ifndef ART_SITEMAP_H
#define ART_SITEMAP_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "art_buf.h"
#include "art_snapshot.h"

#define ART_SITEMAP_MAX_URLS 50000
#define ART_SITEMAP_MAX_BYTES ((apr_size_t)52428800)
#define ART_SITEMAP_NEWS_MAX 1000
#define ART_SITEMAP_NEWS_WINDOW apr_time_from_sec(2 * 24 * 3600)

/* Which sitemap a request names: /sitemap.xml, /sitemap-N.xml (N >= 1) or
 * the news sitemap. */
#define ART_SITEMAP_MAIN 0
#define ART_SITEMAP_NEWS (-1)

/* One hreflang alternate of a URL. */
typedef struct art_sitemap_alt_t {
    const char *lang;
    const char *href;            /* absolute */
} art_sitemap_alt_t;

/* One XML document. */
typedef struct art_sitemap_doc_t {
    const char *data;
    apr_size_t len;
    int urls;                    /* <url> or <sitemap> elements */
    apr_time_t lastmod;          /* newest lastmod in it; 0: none */
} art_sitemap_doc_t;

typedef struct art_sitemap_t art_sitemap_t;

/* A writer in p.  prefix is the absolute URL of the mount point (site URL
 * and base), for the index's <loc>s; max_urls and max_bytes bound each part
 * (0: the protocol's limits). */
art_sitemap_t *art_sitemap_create(apr_pool_t *p, const char *prefix,
                                  int max_urls, apr_size_t max_bytes);

/* Add one URL (absolute loc, lastmod 0 for none, nalts alternates). */
void art_sitemap_add(art_sitemap_t *sm, const char *loc, apr_time_t lastmod,
                     const art_sitemap_alt_t *alts, int nalts);

/* Close the last part and write the index when there is more than one;
 * nothing may be added after. */
void art_sitemap_finish(art_sitemap_t *sm);

/* After finish: the number of parts (at least 1), part n (1-based; NULL
 * out of range), and /sitemap.xml: the index, or the only part. */
int art_sitemap_nparts(const art_sitemap_t *sm);
const art_sitemap_doc_t *art_sitemap_part(const art_sitemap_t *sm, int n);
const art_sitemap_doc_t *art_sitemap_main(const art_sitemap_t *sm);

/* Every page of snapshot s below the mount point at prefix, with its other
 * languages as alternates: language indexes, collections and authors that
 * have articles, and every article. */
art_sitemap_t *art_sitemap_build(apr_pool_t *p, const art_snapshot_t *s,
                                 const char *prefix, int max_urls,
                                 apr_size_t max_bytes);

/* The news sitemap of s at time now: articles with now - 2 days <=
 * published <= now, newest first.  *valid_until is the next time that set
 * changes (an article leaves or enters the window). */
art_sitemap_doc_t *art_sitemap_news(apr_pool_t *p, const art_snapshot_t *s,
                                    const char *prefix, apr_time_t now,
                                    apr_time_t *valid_until);

/* The memo: call once per process (httpd: post_config, before the fork). */
apr_status_t art_sitemap_init(apr_pool_t *p);

/* Sitemap `which` (ART_SITEMAP_MAIN, a part number, ART_SITEMAP_NEWS) of s
 * below the mount point base, built on first use and kept for this
 * repository version and base.  The bytes stay valid until rpool is
 * destroyed (a request's pool).  NULL when there is no such part. */
const art_sitemap_doc_t *art_sitemap_serve(apr_pool_t *rpool,
                                           const art_snapshot_t *s,
                                           const char *base, int which,
                                           apr_time_t now);

#endif
