/* art_sitemap.c: the sitemap writer, the builders over a snapshot, and the
 * per-process memo that serves them.
 *
 * The writer turns each URL into its <url> element first and then decides
 * where it goes: a part is closed before the element that would take it
 * past either limit, so no part ever exceeds them and each element is
 * written once.  The memo is a short list of built sitemaps named by the
 * repository's root, content digest and change fingerprint and the mount
 * point; a request takes a reference that its pool's cleanup gives back,
 * so a sitemap replaced by a newer version is freed only when the last
 * request sending it is done.  Building happens under the memo's mutex: a
 * second request for the same sitemap waits for the first build instead of
 * doing it again.
 */
#include <string.h>

#include <apr_strings.h>

#include "art_json.h"
#include "art_ltext.h"
#include "art_mutex.h"
#include "art_route.h"
#include "art_sitemap.h"

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NS_SITEMAP "http://www.sitemaps.org/schemas/sitemap/0.9"
#define URLSET_OPEN XML_HEAD "<urlset xmlns=\"" NS_SITEMAP "\" " \
    "xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n"
#define URLSET_CLOSE "</urlset>\n"
#define NEWS_OPEN XML_HEAD "<urlset xmlns=\"" NS_SITEMAP "\" " \
    "xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n"
#define INDEX_OPEN XML_HEAD "<sitemapindex xmlns=\"" NS_SITEMAP "\">\n"
#define INDEX_CLOSE "</sitemapindex>\n"

/* Articles read from a list at a time. */
#define SITEMAP_RUN 64

struct art_sitemap_t {
    apr_pool_t *pool;
    const char *prefix;
    int max_urls;
    apr_size_t max_bytes;
    apr_array_header_t *parts;   /* art_sitemap_doc_t, closed parts */
    apr_pool_t *scratch;         /* the part being filled grows here */
    art_buf_t cur;               /* the part being filled */
    int cur_urls;
    apr_time_t cur_lastmod;
    art_buf_t entry;             /* scratch: the element being added */
    art_sitemap_doc_t index;     /* data NULL with one part */
};

/* ---------------------------------------------------------------- writer */

static void put_lastmod(art_buf_t *b, apr_time_t t)
{
    char when[ART_RFC3339_SIZE];

    art_rfc3339(when, t);
    art_buf_puts(b, "<lastmod>");
    art_buf_puts(b, when);
    art_buf_puts(b, "</lastmod>\n");
}

static void put_text(art_buf_t *b, const char *open, const char *s,
                     const char *close)
{
    art_buf_puts(b, open);
    art_buf_append_html(b, s, strlen(s));
    art_buf_puts(b, close);
}

art_sitemap_t *art_sitemap_create(apr_pool_t *p, const char *prefix,
                                  int max_urls, apr_size_t max_bytes)
{
    art_sitemap_t *sm = apr_pcalloc(p, sizeof(*sm));

    sm->pool = p;
    sm->prefix = prefix;
    sm->max_urls = max_urls > 0 ? max_urls : ART_SITEMAP_MAX_URLS;
    sm->max_bytes = max_bytes > 0 ? max_bytes : ART_SITEMAP_MAX_BYTES;
    sm->parts = apr_array_make(p, 2, sizeof(art_sitemap_doc_t));
    art_buf_init(&sm->entry, p, 1024);
    apr_pool_create(&sm->scratch, p);
    return sm;
}

static void close_part(art_sitemap_t *sm)
{
    art_sitemap_doc_t *d = apr_array_push(sm->parts);

    art_buf_puts(&sm->cur, URLSET_CLOSE);
    /* A growing buffer leaves its smaller copies behind in its pool: keep
     * the part at its size and let the copies go. */
    d->data = apr_pmemdup(sm->pool, sm->cur.data, sm->cur.len + 1);
    d->len = sm->cur.len;
    apr_pool_clear(sm->scratch);
    d->urls = sm->cur_urls;
    d->lastmod = sm->cur_lastmod;
    sm->cur.data = NULL;
    sm->cur_urls = 0;
    sm->cur_lastmod = 0;
}

static void open_part(art_sitemap_t *sm)
{
    art_buf_init(&sm->cur, sm->scratch, 65536);
    art_buf_puts(&sm->cur, URLSET_OPEN);
}

void art_sitemap_add(art_sitemap_t *sm, const char *loc, apr_time_t lastmod,
                     const art_sitemap_alt_t *alts, int nalts)
{
    art_buf_t *e = &sm->entry;
    int i;

    e->len = 0;
    put_text(e, "<url>\n<loc>", loc, "</loc>\n");
    if (lastmod) {
        put_lastmod(e, lastmod);
    }
    for (i = 0; i < nalts; i++) {
        put_text(e, "<xhtml:link rel=\"alternate\" hreflang=\"", alts[i].lang,
                 "\" ");
        put_text(e, "href=\"", alts[i].href, "\"/>\n");
    }
    art_buf_puts(e, "</url>\n");
    if (sm->cur.data && (sm->cur_urls == sm->max_urls
                         || sm->cur.len + e->len + sizeof(URLSET_CLOSE) - 1
                            > sm->max_bytes)) {
        close_part(sm);
    }
    if (sm->cur.data == NULL) {
        open_part(sm);
    }
    art_buf_append(&sm->cur, e->data, e->len);
    sm->cur_urls++;
    if (lastmod > sm->cur_lastmod) {
        sm->cur_lastmod = lastmod;
    }
}

void art_sitemap_finish(art_sitemap_t *sm)
{
    art_buf_t b;
    int i;

    if (sm->cur.data == NULL && sm->parts->nelts == 0) {
        open_part(sm);           /* an empty site still has a valid sitemap */
    }
    if (sm->cur.data) {
        close_part(sm);
    }
    apr_pool_destroy(sm->scratch);
    sm->scratch = NULL;
    if (sm->parts->nelts < 2) {
        return;
    }
    art_buf_init(&b, sm->pool, 256 * (apr_size_t)sm->parts->nelts);
    art_buf_puts(&b, INDEX_OPEN);
    for (i = 0; i < sm->parts->nelts; i++) {
        const art_sitemap_doc_t *d = &APR_ARRAY_IDX(sm->parts, i,
                                                    art_sitemap_doc_t);
        const char *loc = apr_pstrcat(sm->pool, sm->prefix,
                                      art_route_sitemap_path(sm->pool, i + 1),
                                      NULL);
        put_text(&b, "<sitemap>\n<loc>", loc, "</loc>\n");
        if (d->lastmod) {
            put_lastmod(&b, d->lastmod);
        }
        art_buf_puts(&b, "</sitemap>\n");
        if (d->lastmod > sm->index.lastmod) {
            sm->index.lastmod = d->lastmod;
        }
    }
    art_buf_puts(&b, INDEX_CLOSE);
    sm->index.data = b.data;
    sm->index.len = b.len;
    sm->index.urls = sm->parts->nelts;
}

int art_sitemap_nparts(const art_sitemap_t *sm)
{
    return sm->parts->nelts;
}

const art_sitemap_doc_t *art_sitemap_part(const art_sitemap_t *sm, int n)
{
    if (n < 1 || n > sm->parts->nelts) {
        return NULL;
    }
    return &APR_ARRAY_IDX(sm->parts, n - 1, art_sitemap_doc_t);
}

const art_sitemap_doc_t *art_sitemap_main(const art_sitemap_t *sm)
{
    return sm->index.data ? &sm->index : art_sitemap_part(sm, 1);
}

/* ---------------------------------------------------------------- builders */

/* The alternates of a page: an article's translations (self included, at
 * most max), or for a list page (kind, key) every language in which that
 * list (list_kind; -1: every language) has articles. */
static int page_alts(apr_pool_t *p, const art_snapshot_t *s, const char *prefix,
                     const art_list_t *translations, art_page_kind_t kind,
                     int list_kind, const char *key, art_sitemap_alt_t *alts,
                     int max)
{
    const art_article_t **group = NULL;
    int i, m = 0, n = 0;

    if (translations) {
        group = apr_palloc(p, sizeof(*group) * (apr_size_t)(translations->n + 1));
        m = art_list_slice(translations, 0, translations->n < max
                           ? translations->n : max, group);
    }
    for (i = 0; i < m; i++) {
        alts[n].lang = group[i]->lang->code;
        alts[n++].href = apr_pstrcat(p, prefix, group[i]->path, NULL);
    }
    for (i = 0; kind != ART_PAGE_ARTICLE && i < s->site->langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(s->site->langs, i, art_lang_t);
        const art_list_t *list = list_kind >= 0
            ? art_snapshot_list(s, (art_list_e)list_kind, l->code, key) : NULL;
        if (list_kind >= 0 && (list == NULL || list->n == 0)) {
            continue;
        }
        alts[n].lang = l->code;
        alts[n++].href = apr_pstrcat(p, prefix, art_route_path(p, kind, l->code,
                                                               key, NULL), NULL);
    }
    return n;
}

/* The newest article's time of a list, 0 for none. */
static apr_time_t list_newest(const art_list_t *l)
{
    art_list_entry_t e;

    return l && art_list_entries(l, 0, 1, &e) == 1 ? e.published : 0;
}

/* One list page (kind, key; list_kind its list) of language l, when it has
 * articles. */
static void add_list(art_sitemap_t *sm, apr_pool_t *tmp, const art_snapshot_t *s,
                     const art_lang_t *l, art_page_kind_t kind, art_list_e list_kind,
                     const char *key, art_sitemap_alt_t *alts, int max)
{
    const art_list_t *list = art_snapshot_list(s, list_kind, l->code, key);
    int n;

    if (list == NULL || list->n == 0) {
        return;
    }
    n = page_alts(tmp, s, sm->prefix, NULL, kind, (int)list_kind, key, alts,
                  max);
    art_sitemap_add(sm, apr_pstrcat(tmp, sm->prefix,
                                    art_route_path(tmp, kind, l->code, key, NULL),
                                    NULL),
                    list_newest(list), alts, n);
}

/* The most articles one translation group may list: one per language, as
 * the loader keeps no two of a language in a group. */
#define GROUP_MAX(s) ((s)->site->langs->nelts)

art_sitemap_t *art_sitemap_build(apr_pool_t *p, const art_snapshot_t *s,
                                 const char *prefix, int max_urls,
                                 apr_size_t max_bytes)
{
    art_sitemap_t *sm = art_sitemap_create(p, prefix, max_urls, max_bytes);
    int nlangs = s->site->langs->nelts, i, j, n, most = GROUP_MAX(s);
    const art_list_t *every = art_snapshot_list(s, ART_LIST_ALL, NULL, NULL);
    art_sitemap_alt_t *alts;
    apr_pool_t *tmp;

    alts = apr_palloc(p, sizeof(*alts) * (apr_size_t)(most + 1));
    /* The URLs' own strings are copied into the parts: scratch them. */
    apr_pool_create(&tmp, p);
    for (i = 0; i < nlangs; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(s->site->langs, i, art_lang_t);
        /* A language index is listed even when it is empty. */
        const art_list_t *all = art_snapshot_list(s, ART_LIST_LANG, l->code,
                                                  NULL);
        n = page_alts(tmp, s, prefix, NULL, ART_PAGE_INDEX, -1, NULL, alts,
                      most);
        art_sitemap_add(sm, apr_pstrcat(tmp, prefix,
                                        art_route_path(tmp, ART_PAGE_INDEX,
                                                       l->code, NULL, NULL),
                                        NULL),
                        list_newest(all), alts, n);
        for (j = 0; j < s->collections->nelts; j++) {
            const art_collection_t *c = APR_ARRAY_IDX(s->collections, j,
                                                      art_collection_t *);
            add_list(sm, tmp, s, l, ART_PAGE_COLLECTION, ART_LIST_COLLECTION,
                     c->id, alts, most);
        }
        for (j = 0; j < s->authors->nelts; j++) {
            const art_author_t *au = APR_ARRAY_IDX(s->authors, j,
                                                   art_author_t *);
            add_list(sm, tmp, s, l, ART_PAGE_AUTHOR, ART_LIST_AUTHOR, au->id,
                     alts, most);
        }
        apr_pool_clear(tmp);
    }
    /* Articles in runs; a store-backed snapshot decodes each into its own
     * pool as it is read (the request's), which the run's work outlives. */
    for (i = 0; every && i < every->n; i += SITEMAP_RUN) {
        const art_article_t *run[SITEMAP_RUN];
        int m = art_list_slice(every, i, SITEMAP_RUN, run);

        for (j = 0; j < m; j++) {
            const art_article_t *a = run[j];
            n = page_alts(tmp, s, prefix, art_article_translations(s, a),
                          ART_PAGE_ARTICLE, -1, NULL, alts, most);
            art_sitemap_add(sm, apr_pstrcat(tmp, prefix, a->path, NULL),
                            a->updated ? a->updated_t : a->published_t, alts, n);
        }
        apr_pool_clear(tmp);
    }
    apr_pool_destroy(tmp);
    art_sitemap_finish(sm);
    return sm;
}

art_sitemap_doc_t *art_sitemap_news(apr_pool_t *p, const art_snapshot_t *s,
                                    const char *prefix, apr_time_t now,
                                    apr_time_t *valid_until)
{
    art_sitemap_doc_t *d = apr_pcalloc(p, sizeof(*d));
    apr_time_t from = now - ART_SITEMAP_NEWS_WINDOW, next = 0;
    const art_list_t *every = art_snapshot_list(s, ART_LIST_ALL, NULL, NULL);
    char when[ART_RFC3339_SIZE];
    art_buf_t b;
    int i;

    art_buf_init(&b, p, 4096);
    art_buf_puts(&b, NEWS_OPEN);
    /* Every article, newest first: the window is one run of it. */
    for (i = 0; every && i < every->n; i++) {
        const art_article_t *a;
        const art_ltext_t *name;
        art_list_entry_t e;

        /* The time first: only the articles listed are read. */
        if (art_list_entries(every, i, 1, &e) != 1) {
            break;
        }
        if (e.published > now) {
            next = e.published;         /* the oldest of those still to come */
            continue;
        }
        if (e.published < from) {
            break;
        }
        if (d->urls == ART_SITEMAP_NEWS_MAX
            || art_list_slice(every, i, 1, &a) != 1) {
            continue;
        }
        /* Leaves the window when it is two days old; the oldest shown
         * leaves first. */
        if (next == 0 || a->published_t + ART_SITEMAP_NEWS_WINDOW + 1 < next) {
            next = a->published_t + ART_SITEMAP_NEWS_WINDOW + 1;
        }
        name = art_ltext_pick(s->site->titles, a->lang->code,
                              s->site->default_lang);
        art_rfc3339(when, a->published_t);
        put_text(&b, "<url>\n<loc>", apr_pstrcat(p, prefix, a->path, NULL),
                 "</loc>\n<news:news>\n<news:publication>\n");
        put_text(&b, "<news:name>", name ? name->text : s->site->url,
                 "</news:name>\n");
        put_text(&b, "<news:language>", a->lang->code,
                 "</news:language>\n</news:publication>\n");
        put_text(&b, "<news:publication_date>", when,
                 "</news:publication_date>\n");
        put_text(&b, "<news:title>", a->title,
                 "</news:title>\n</news:news>\n</url>\n");
        d->urls++;
        if (a->published_t > d->lastmod) {
            d->lastmod = a->published_t;
        }
    }
    art_buf_puts(&b, URLSET_CLOSE);
    d->data = b.data;
    d->len = b.len;
    *valid_until = next;
    return d;
}

/* ---------------------------------------------------------------- memo */

typedef struct memo_t {
    struct memo_t *next;
    apr_pool_t *pool;            /* unmanaged: freed when unused and replaced */
    const char *key;             /* root, digest, fingerprint and base */
    int refs;                    /* requests sending it, and 1 while listed */
    art_sitemap_t *all;
    apr_pool_t *news_pool;       /* the news sitemap, rebuilt in a new pool */
    art_sitemap_doc_t *news;
    apr_time_t news_until;       /* 0: valid until the version changes */
    apr_time_t news_at;          /* the time it was built for */
} memo_t;

static art_mutex_t *memo_lock;
static memo_t *memos;

apr_status_t art_sitemap_init(apr_pool_t *p)
{
    memos = NULL;
    return art_mutex_create(&memo_lock, p);
}

static void memo_unref(memo_t *m)
{
    if (--m->refs == 0) {
        apr_pool_destroy(m->pool);
    }
}

static apr_status_t memo_release(void *data)
{
    art_mutex_lock(memo_lock);
    memo_unref(data);
    art_mutex_unlock(memo_lock);
    return APR_SUCCESS;
}

/* The memo of key, made (and the one it replaces retired) when missing.
 * Called with the lock held. */
static memo_t *memo_find(const art_snapshot_t *s, const char *base,
                         const char *key)
{
    memo_t **pm, *m;
    apr_size_t rlen = strlen(s->root);

    for (pm = &memos; (m = *pm) != NULL; pm = &m->next) {
        if (strcmp(m->key, key) == 0) {
            return m;
        }
        /* Same repository and mount point, another version: retire it. */
        if (strncmp(m->key, key, rlen + 1) == 0
            && strcmp(strrchr(m->key, '\n'), strrchr(key, '\n')) == 0) {
            *pm = m->next;
            memo_unref(m);
            break;
        }
    }
    m = NULL;
    {
        apr_pool_t *p;
        if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
            return NULL;
        }
        m = apr_pcalloc(p, sizeof(*m));
        m->pool = p;
        m->key = apr_pstrdup(p, key);
        m->refs = 1;
        m->all = art_sitemap_build(p, s, apr_pstrcat(p, s->site->url, base, NULL),
                                   0, 0);
        m->next = memos;
        memos = m;
    }
    return m;
}

const art_sitemap_doc_t *art_sitemap_serve(apr_pool_t *rpool,
                                           const art_snapshot_t *s,
                                           const char *base, int which,
                                           apr_time_t now)
{
    /* The view's visibility is part of the version (issue #18): a
     * scheduled article going live (since) or a preview makes other
     * sitemaps of the same files. */
    const char *key = apr_psprintf(rpool, "%s\n%" APR_UINT64_T_HEX_FMT " %"
                                   APR_UINT64_T_HEX_FMT " %" APR_TIME_T_FMT
                                   " %d\n%s", s->root, s->digest,
                                   s->fingerprint, s->since, s->preview, base);
    const art_sitemap_doc_t *d = NULL;
    memo_t *m;

    art_mutex_lock(memo_lock);
    m = memo_find(s, base, key);
    if (m && which == ART_SITEMAP_NEWS) {
        if (m->news == NULL || (m->news_until && now >= m->news_until)
            || now < m->news_at) {
            apr_pool_t *np;
            if (apr_pool_create_unmanaged_ex(&np, NULL, NULL) == APR_SUCCESS) {
                if (m->news_pool) {
                    apr_pool_destroy(m->news_pool);
                }
                m->news_pool = np;
                m->news_at = now;
                m->news = art_sitemap_news(np, s, apr_pstrcat(np, s->site->url,
                                                              base, NULL),
                                           now, &m->news_until);
            }
        }
        if (m->news) {
            /* Small (1,000 URLs at most), and rebuilt in place: a copy. */
            art_sitemap_doc_t *c = apr_pmemdup(rpool, m->news, sizeof(*c));
            c->data = apr_pmemdup(rpool, m->news->data, m->news->len);
            d = c;
        }
    }
    else if (m) {
        d = which == ART_SITEMAP_MAIN ? art_sitemap_main(m->all)
            : art_sitemap_part(m->all, which);
        if (d) {
            m->refs++;
            apr_pool_cleanup_register(rpool, m, memo_release,
                                      apr_pool_cleanup_null);
        }
    }
    art_mutex_unlock(memo_lock);
    return d;
}
