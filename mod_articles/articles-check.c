/* articles-check: check an article repository before deploying it.
 *
 * Runs the module's own loader (art_repo.c) over REPO and prints every problem
 * as the server would log it, "TAG: file:line: reason".  Exit status: 0 when
 * every file loads, 1 when files would be skipped, 2 when the site itself is
 * broken (the server would refuse to start).
 *
 * --stats also prints where the load spent its time and what the snapshot
 * costs in memory against the XML it came from: the heap the process holds
 * after the load less what it held before (mallinfo2), and the growth of its
 * resident set, which is what an httpd parent carries into its children.
 * --threads N sets how many threads read and parse (default: one per
 * processor, at most 4), so one run can compare one thread with several.
 *
 * It also lists what is not public yet: drafts (status="draft"), and
 * scheduled articles (published after now) with the instant each goes live
 * in UTC, soonest first, as "draft: LANG/ID FILE" and "scheduled: LANG/ID
 * at TIME (published="AS WRITTEN") FILE".
 *
 * --store DIR builds or brings up to date the LMDB store in DIR with the
 * module's own builder (art_store.c), as the server does at start: a
 * publishing pipeline can build it once and copy it to every node.  Only
 * files changed since the store was written are parsed; the problems of
 * every file are printed all the same, as the store keeps them.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "art_index.h"
#include "art_repo.h"
#include "art_store.h"

/* baton: an int counting the problems that skip a file (warnings aside). */
static void print(void *baton, int fatal, const char *tag, const char *file,
                  int line, const char *reason)
{
    if (baton && !fatal && strcmp(tag, ART_W_RELATED) != 0) {
        ++*(int *)baton;
    }
    if (line > 0) {
        fprintf(stderr, "%s: %s:%d: %s\n", tag, file, line, reason);
    }
    else {
        fprintf(stderr, "%s: %s: %s\n", tag, file, reason);
    }
}

/* The drafts and scheduled articles of snap: the head of its list of every
 * article, which sorts them first. */
static void print_unpublished(const art_snapshot_t *snap, apr_time_t now)
{
    int i, n = 0;

    while (n < snap->all.n && art_article_when(snap->all.items[n]) > now) {
        n++;
    }
    for (i = 0; i < n; i++) {
        const art_article_t *a = snap->all.items[i];
        if (a->draft) {
            printf("draft: %s/%s %s\n", a->lang->code, a->id, a->file);
        }
    }
    for (i = n - 1; i >= 0; i--) {
        const art_article_t *a = snap->all.items[i];
        char when[APR_RFC822_DATE_LEN + 8];
        apr_time_exp_t x;
        apr_size_t len;

        if (a->draft) {
            continue;
        }
        apr_time_exp_gmt(&x, a->published_t);
        apr_strftime(when, &len, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &x);
        printf("scheduled: %s/%s at %s (published=\"%s\") %s\n",
               a->lang->code, a->id, when, a->published, a->file);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: articles-check [--stats] [--threads N] "
            "[--max-file-size BYTES] [--store DIR] REPO\n");
}

/* Resident set of this process in bytes, 0 when /proc cannot tell. */
static apr_size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long kb = 0;

    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %lu kB", &kb) == 1) {
            break;
        }
    }
    fclose(f);
    return (apr_size_t)kb * 1024;
}

/* User and system CPU time of this process so far, in microseconds. */
static apr_interval_time_t cpu_usec(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0;
    }
    return (apr_interval_time_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
        * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static apr_size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static double ms(apr_interval_time_t t)
{
    return (double)t / 1000.0;
}

static double mb(apr_size_t n)
{
    return (double)n / (1024.0 * 1024.0);
}

static void print_stats(const art_snapshot_t *snap, const art_repo_stats_t *st,
                        apr_interval_time_t cpu, apr_size_t heap, apr_size_t rss)
{
    double xml = snap->xml_bytes ? (double)snap->xml_bytes : 1.0;
    apr_size_t ix = snap->text ? art_index_memory(snap->text) : 0;

    printf("load: %.0f ms wall, %.0f ms CPU, %d threads, %d files, %.1f MB "
           "of XML (%.1f MB/s of CPU)\n", ms(st->total), ms(cpu), st->threads,
           st->files, mb(snap->xml_bytes), mb(snap->xml_bytes) / (cpu > 0 ? cpu / 1e6 : 1));
    printf("  read %.0f ms, parse %.0f ms, validate %.0f ms, build %.0f ms, "
           "index %.0f ms\n", ms(st->read), ms(st->parse), ms(st->validate),
           ms(st->build), ms(st->index));
    printf("memory: heap %.1f MB (%.2f x the XML), resident +%.1f MB "
           "(%.2f x); text index %.1f MB for %.1f MB of body text (%.2f x)\n",
           mb(heap), heap / xml, mb(rss), rss / xml, mb(ix),
           mb(st->text_bytes),
           st->text_bytes ? (double)ix / (double)st->text_bytes : 0.0);
}

/* --store: exit 2 when the store could not be brought up to date, 1 when
 * files were skipped, else 0. */
static int update_store(apr_pool_t *p, const char *dir, const char *root,
                        const art_repo_opts_t *ro)
{
    art_store_opts_t so = { 0, print, NULL };
    art_store_result_t res;
    art_store_t *st;
    char *err = NULL;
    int skipped;

    if (art_store_open(p, dir, &so, &st, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (art_store_update(st, p, root, ro, ART_STORE_WAIT | ART_STORE_QUIET,
                         &res, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s\n", err);
        art_store_close(st);
        return 2;
    }
    /* Every problem of the version, also those of files not parsed now. */
    skipped = art_store_problems(st, p, print, NULL);
    printf("%s: store %s %s: %d articles, %d files skipped; %d files parsed, "
           "%d articles removed, %d kept at their last good version; %.0f "
           "ms\n", root, dir, !res.committed ? "was current" : res.full
           ? "built" : "updated", res.articles, skipped, res.parsed,
           res.removed, res.kept, (double)res.elapsed / 1000.0);
    art_store_close(st);
    return skipped ? 1 : 0;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    art_repo_opts_t o = { ART_REPO_DEFAULT_MAX_FILE, print, NULL };
    art_snapshot_t *snap;
    art_repo_stats_t st;
    const char *root = NULL, *store = NULL;
    char *err = NULL;
    apr_size_t heap0, rss0;
    apr_interval_time_t cpu0;
    int i, stats = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-file-size") == 0 && i + 1 < argc) {
            o.max_file_size = (apr_size_t)strtoull(argv[++i], NULL, 10);
        }
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        }
        else if (strcmp(argv[i], "--stats") == 0) {
            stats = 1;
        }
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            art_repo_set_threads(atoi(argv[++i]));
        }
        else if (argv[i][0] == '-') {
            usage();
            return 2;
        }
        else {
            root = argv[i];
        }
    }
    if (root == NULL) {
        usage();
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (art_repo_init(p, &err) != APR_SUCCESS) {
        fprintf(stderr, "articles-check: %s\n", err);
        return 2;
    }
    if (store) {
        return update_store(p, store, root, &o);
    }
    heap0 = heap_bytes();
    rss0 = rss_bytes();
    cpu0 = cpu_usec();
    if (art_repo_load_ex(p, root, &o, &st, &snap, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    printf("%s: %d articles in %d languages, %d authors, %d collections; "
           "%d files skipped\n", root, snap->all.n,
           (int)apr_hash_count(snap->by_lang), snap->authors->nelts,
           snap->collections->nelts, snap->nerrors);
    print_unpublished(snap, apr_time_now());
    if (stats) {
        apr_size_t heap = heap_bytes(), rss = rss_bytes();
        print_stats(snap, &st, cpu_usec() - cpu0, heap > heap0 ? heap - heap0 : 0,
                    rss > rss0 ? rss - rss0 : 0);
    }
    i = snap->nerrors ? 1 : 0;
    apr_pool_destroy(snap->pool);
    return i;
}
