/* querybench: what related links and search cost on a real repository.
 *
 *   build/articles-querybench [-n SAMPLES] [-r ROUNDS] [--store DIR] REPO
 *
 * Loads REPO with the module's loader (art_repo.c, index included), then
 * measures in this one process:
 *   - articles.related's scoring (art_related_find, lua/related.lua's weights)
 *     for SAMPLES articles spread over the whole list: p50, p99, max;
 *   - search (art_index_search, 10 hits) for SAMPLES queries made of one to
 *     three words of the title of articles spread the same way, alone and
 *     with the snippets of its 10 hits as the search page builds them;
 *   - the text index's build time against the load time, by building the
 *     index a second time from every article's title, tags and body text (the
 *     loader drops its copy of the text once the index is built, so the body
 *     text is recovered from the body HTML; the build sees the same words);
 *   - the index's bytes against the bytes of text it indexes.
 * With --store DIR, related links and search are measured on the LMDB store
 * in DIR instead (brought up to date first), each sample through a fresh
 * store-backed snapshot as a request makes one, so reading the lists,
 * postings and candidate articles from the map is counted.
 * Each sample is timed ROUNDS times (default 3) and its fastest time kept:
 * the machine is shared, and a query that lost the CPU to another process
 * says nothing about this code.  Every figure is printed on its own
 * "name value" line for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "art_index.h"
#include "art_related.h"
#include "art_repo.h"
#include "art_snippet.h"
#include "art_store.h"
#include "art_text.h"

#define QB_SEARCH_HITS 10

typedef struct {
    const art_snapshot_t *snap;
    apr_pool_t *scratch;
    apr_size_t text_bytes;
} qb_docs_t;

static void qb_log(void *baton, int fatal, const char *tag, const char *file,
                   int line, const char *reason)
{
    int *n = baton;

    (void)fatal;
    (void)line;
    if ((*n)++ < 5) {
        fprintf(stderr, "%s: %s: %s\n", tag, file, reason);
    }
}

static void qb_doc(void *baton, int i, art_index_doc_t *doc)
{
    qb_docs_t *d = baton;
    const art_article_t *a = d->snap->all.items[i];
    const char **tags;
    apr_size_t len;
    int j;

    apr_pool_clear(d->scratch);
    tags = apr_palloc(d->scratch, sizeof(char *) * (apr_size_t)(a->ntags + 1));
    for (j = 0; j < a->ntags; j++) {
        tags[j] = a->tags[j].name;
        d->text_bytes += strlen(tags[j]);
    }
    doc->lang = a->lang->code;
    doc->title = a->title;
    doc->body = art_article_plain(d->scratch, a, &len);
    doc->tags = tags;
    doc->ntags = a->ntags;
    d->text_bytes += strlen(a->title) + len;
}

static int qb_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return a < b ? -1 : a > b;
}

/* Sort t[0..n-1] (microseconds) and print p50, p99 and max as name_*. */
static void qb_report(const char *name, double *t, int n)
{
    if (n == 0) {
        printf("%s_samples 0\n", name);
        return;
    }
    qsort(t, (size_t)n, sizeof(*t), qb_cmp);
    printf("%s_samples %d\n%s_p50_us %.1f\n%s_p99_us %.1f\n%s_max_us %.1f\n",
           name, n, name, t[n / 2], name, t[(int)((n - 1) * 0.99)], name,
           t[n - 1]);
}

/* Time art_related_find with o for samples articles spread over the list. */
static int qb_rounds = 3;

/* --store: the read transaction every sample's view is made from. */
static art_store_txn_t *qb_txn;

/* What a sample reads: the loaded snapshot, or a fresh view of the store in
 * p, as a request makes one. */
static const art_snapshot_t *qb_view(const art_snapshot_t *snap, apr_pool_t *p)
{
    return qb_txn ? art_store_snapshot(qb_txn, p) : snap;
}

/* a (of the loaded snapshot) in view v. */
static const art_article_t *qb_in(const art_snapshot_t *v, const art_article_t *a)
{
    return qb_txn ? art_snapshot_article(v, a->lang->code, a->id) : a;
}

static void qb_related(const art_snapshot_t *snap, const art_related_opts_t *o,
                       apr_pool_t *scratch, double *t, int samples,
                       const char *name)
{
    const art_article_t *out[ART_RELATED_MAX];
    apr_time_t t0;
    int i, r;

    for (i = 0; i < samples; i++) {
        const art_article_t *a = snap->all.items[(apr_size_t)i * snap->all.n
                                                 / samples];

        for (r = 0; r < qb_rounds; r++) {
            const art_snapshot_t *v;
            const art_article_t *va;
            double us;

            apr_pool_clear(scratch);
            v = qb_view(snap, scratch);
            va = qb_in(v, a);
            if (va == NULL) {
                fprintf(stderr, "articles-querybench: %s/%s is not in the store\n",
                        a->lang->code, a->id);
                exit(1);
            }
            t0 = apr_time_now();
            art_related_find(v, va, o, scratch, out, NULL);
            us = (double)(apr_time_now() - t0);
            t[i] = r == 0 || us < t[i] ? us : t[i];
        }
    }
    qb_report(name, t, samples);
}

/* Up to three title words of a as a query, in p. */
typedef struct {
    char *q;
    int words, max;
} qb_query_t;

static void qb_query_word(void *baton, const char *term, size_t len,
                          int position)
{
    qb_query_t *q = baton;
    size_t at = strlen(q->q);

    (void)position;
    if (q->words < q->max && at + len + 2 < 256) {
        if (at) {
            q->q[at++] = ' ';
        }
        memcpy(q->q + at, term, len);
        q->q[at + len] = '\0';
        q->words++;
    }
}

int main(int argc, char **argv)
{
    art_repo_opts_t o;
    art_related_opts_t ro;
    art_snapshot_t *snap;
    apr_pool_t *p, *scratch, *ipool;
    const char *root = NULL, *store = NULL;
    char *err = NULL;
    int samples = 2000, nlog = 0, i, n = 0, total_hits = 0;
    double *rel_t, *search_t, *page_t;
    apr_time_t t0, load, build;
    qb_docs_t docs;
    art_index_hit_t hits[QB_SEARCH_HITS];

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            samples = atoi(argv[++i]);
        }
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            qb_rounds = atoi(argv[++i]);
        }
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        }
        else if (argv[i][0] == '-') {
            root = NULL;
            break;
        }
        else {
            root = argv[i];
        }
    }
    if (root == NULL || samples < 1 || qb_rounds < 1) {
        fprintf(stderr, "usage: articles-querybench [-n SAMPLES] [-r ROUNDS] "
                "[--store DIR] REPO\n");
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    apr_pool_create(&scratch, p);
    if (art_repo_init(p, &err) != APR_SUCCESS) {
        fprintf(stderr, "articles-querybench: %s\n", err);
        return 2;
    }
    memset(&o, 0, sizeof(o));
    o.max_file_size = ART_REPO_DEFAULT_MAX_FILE;
    o.log = qb_log;
    o.baton = &nlog;
    t0 = apr_time_now();
    if (art_repo_load(p, root, &o, &snap, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    load = apr_time_now() - t0;
    if (snap->text == NULL || snap->all.n == 0) {
        fprintf(stderr, "articles-querybench: no articles or no index\n");
        return 1;
    }

    apr_pool_create(&ipool, p);
    docs.snap = snap;
    docs.scratch = scratch;
    docs.text_bytes = 0;
    t0 = apr_time_now();
    if (art_index_build(ipool, snap->all.n, qb_doc, &docs) == NULL) {
        fprintf(stderr, "articles-querybench: index build failed\n");
        return 1;
    }
    build = apr_time_now() - t0;
    apr_pool_destroy(ipool);

    printf("articles %d\nrounds %d\n", snap->all.n, qb_rounds);
    printf("load_ms %.1f\n", load / 1000.0);
    printf("index_build_ms %.1f\n", build / 1000.0);
    printf("index_build_share_of_rest_of_load %.3f\n",
           load > build ? (double)build / (double)(load - build) : 0.0);
    printf("index_bytes %lu\n", (unsigned long)art_index_memory(snap->text));
    printf("text_bytes %lu\n", (unsigned long)docs.text_bytes);
    printf("index_bytes_per_text_byte %.3f\n",
           (double)art_index_memory(snap->text) / (double)docs.text_bytes);

    if (store) {
        art_store_opts_t so = { 0, qb_log, &nlog };
        art_store_result_t res;
        art_store_t *st;

        if (art_store_open(p, store, &so, &st, &err) != APR_SUCCESS
            || art_store_update(st, p, root, &o, ART_STORE_WAIT | ART_STORE_QUIET,
                                &res, &err) != APR_SUCCESS
            || art_store_begin(st, &qb_txn, &err) != APR_SUCCESS) {
            fprintf(stderr, "articles-querybench: %s\n", err);
            return 2;
        }
        printf("store %s\nstore_update_ms %.1f\n", store,
               res.elapsed / 1000.0);
    }
    if (samples > snap->all.n) {
        samples = snap->all.n;
    }
    rel_t = calloc((size_t)samples, sizeof(double));
    search_t = calloc((size_t)samples, sizeof(double));
    page_t = calloc((size_t)samples, sizeof(double));
    if (rel_t == NULL || search_t == NULL || page_t == NULL) {
        return 1;
    }
    /* lua/related.lua's weights, then each part alone. */
    art_related_defaults(&ro);
    ro.text = 1.5;
    qb_related(snap, &ro, scratch, rel_t, samples, "related");
    ro.text = 0;
    qb_related(snap, &ro, scratch, rel_t, samples, "related_tags_only");
    ro.text = 1.5;
    ro.tags = 0;
    qb_related(snap, &ro, scratch, rel_t, samples, "related_text_only");

    for (i = 0; i < samples; i++) {
        const art_article_t *a = snap->all.items[((apr_size_t)i * snap->all.n
                                                  / samples + 7) % snap->all.n];
        qb_query_t q;
        int k, r;

        apr_pool_clear(scratch);
        q.q = apr_pcalloc(scratch, 256);
        q.words = 0;
        q.max = 1 + i % 3;
        art_text_tokenize(a->title, strlen(a->title), a->lang->code,
                          qb_query_word, &q);
        for (r = 0; r < qb_rounds; r++) {
            const art_snapshot_t *v = qb_view(snap, scratch);
            double us, page_us;

            t0 = apr_time_now();
            n = art_snapshot_search(v, a->lang->code, q.q, strlen(q.q),
                                    QB_SEARCH_HITS, 0, hits, NULL);
            us = (double)(apr_time_now() - t0);
            for (k = 0; k < n; k++) {
                const art_article_t *h = art_snapshot_doc(v, hits[k].doc);

                if (h) {
                    art_snippet_make(scratch, h->body, h->body_len,
                                     h->lang->code, q.q, strlen(q.q),
                                     ART_SNIPPET_WIDTH);
                }
            }
            page_us = (double)(apr_time_now() - t0);
            search_t[i] = r == 0 || us < search_t[i] ? us : search_t[i];
            page_t[i] = r == 0 || page_us < page_t[i] ? page_us : page_t[i];
        }
        total_hits += n;
    }
    printf("search_hits_per_query %.2f\n", (double)total_hits / samples);
    qb_report("search", search_t, samples);
    qb_report("search_with_snippets", page_t, samples);
    free(rel_t);
    free(search_t);
    free(page_t);
    apr_pool_destroy(snap->pool);
    return 0;
}
