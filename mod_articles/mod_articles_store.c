/* mod_articles_store.c: each repository's store, as the httpd processes use it.
 *
 * A source is one ArticlesRepository.  In post_config (the second pass: the
 * first only checks the configuration) the parent, still root, creates the
 * store folder, brings the store up to date (the expensive part, done once
 * before any child exists), closes the environment (LMDB forbids using one
 * across fork) and gives the folder and its files to the User children run
 * as, who need to write the lock file even to read.  Each child opens the
 * store in child_init; a request takes a read transaction, reads one version
 * through art_store_snapshot and ends it when the page is sent.
 *
 * Changes: the reload watcher of every process checks the repository's
 * fingerprint each ArticlesReloadInterval; the process that sees a change
 * runs art_store_update, which elects one writer (the others are told busy
 * and look again at their next check), parses only what changed and commits;
 * every process sees the new version at its next request.
 *
 * A store that cannot be used at all (a folder that cannot be made or
 * written) is logged once and the repository is served from an in-memory
 * load instead, as before the store existed; a store that cannot be updated
 * (full, say) keeps serving its last good version.
 */
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "unixd.h"

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "art_hash.h"
#include "art_related.h"
#include "art_repo.h"
#include "art_snippet.h"
#include "art_store.h"
#include "mod_articles.h"
#include "mod_articles_status.h"

struct art_source_t {
    const char *repo;            /* repository folder */
    const char *dir;             /* store folder; NULL: served from memory */
    apr_size_t map_size;
    art_gen_t *mem;              /* the in-memory snapshots, when no store */
    art_store_t *st;             /* this process's environment */
    server_rec *s;
    apr_thread_mutex_t *mu;      /* one check at a time in a process */
    apr_uint64_t fingerprint;    /* of the repository when last current */
    apr_time_t checked;
    art_memo_t *related;         /* this process's memo of related lists */
    art_memo_t *snippet;         /* ... and of documents' words */
    art_memo_t *search;          /* ... and of search hits */
};

/* Answers of articles.related a process keeps per repository (a few
 * hundred bytes each at most), and the documents whose words it keeps for
 * snippets, in about SNIPPET_MEMO_BYTES: slots for many more documents than
 * a busy run of searches shows (about a thousand for a hundred queries), so
 * that few of them share a set of the memo and push each other out (24
 * bytes a slot). */
#define RELATED_MEMO_SLOTS 8192
#define SNIPPET_MEMO_SLOTS 16384
#define SNIPPET_MEMO_BYTES ((apr_size_t)32 << 20)
/* Search answers (a page of hits, a few hundred bytes each). */
#define SEARCH_MEMO_SLOTS 4096
#define SEARCH_MEMO_BYTES ((apr_size_t)4 << 20)

static void store_log(void *baton, int fatal, const char *tag,
                      const char *file, int line, const char *reason)
{
    (void)file;
    (void)line;
    ap_log_error(APLOG_MARK, fatal ? APLOG_CRIT : APLOG_ERR, 0, baton, "%s: %s",
                 tag, reason);
}

/* The default store folder: DefaultRuntimeDir/articles-HASH, HASH from the
 * repository's path, so each repository has its own. */
static const char *default_dir(apr_pool_t *p, const char *repo)
{
    return ap_runtime_dir_relative(p, apr_psprintf(p, "articles-%016"
                                                   APR_UINT64_T_HEX_FMT,
                                                   art_hash64(repo,
                                                              strlen(repo),
                                                              0)));
}

/* Children run as User and must write the lock file (and, to update, the
 * data file): when the parent runs as root, the folder and what it holds
 * are theirs.  Returns 0 and logs when that fails. */
static int give_to_user(server_rec *s, apr_pool_t *p, const char *dir)
{
    static const char *const files[] = { "", "/data.mdb", "/lock.mdb",
                                         "/update.lock", NULL };
    int i;

    if (geteuid() != 0) {
        return 1;
    }
    for (i = 0; files[i]; i++) {
        const char *f = apr_pstrcat(p, dir, files[i], NULL);

        if (chown(f, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0
            && i == 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "ART0031: cannot give "
                         "the store folder %s to the server's User", dir);
            return 0;
        }
    }
    return 1;
}

/* In-memory load of the repository, as a source with no store serves. */
static int load_memory(art_source_t *src, apr_pool_t *pconf, apr_pool_t *ptemp,
                       server_rec *s)
{
    art_snapshot_t *snap;
    char *err = NULL;

    if (art_status_load(ptemp, s, src->repo, art_repo_max_file(s, src->repo),
                        &snap, &err) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0001: cannot load "
                     "repository %s: %s", src->repo, err);
        return 0;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0002: loaded %s into "
                 "memory: %d articles, %d files skipped", src->repo,
                 snap->all.n, snap->nerrors);
    src->mem = art_gen_create(pconf, snap, snap->pool);
    return 1;
}

/* The status page's record of a store update: the version the store now
 * serves, read as a request would read it, and every file it holds a
 * problem for. */
static void record_store(art_store_t *st, apr_pool_t *p, art_status_load_t *sl)
{
    art_store_txn_t *t;
    char *err = NULL;

    art_status_recollect(sl);
    art_store_problems(st, p, art_status_log, sl);
    if (art_store_begin(st, &t, &err) != APR_SUCCESS) {
        art_status_end(sl, NULL, err);
        return;
    }
    art_status_end(sl, art_store_snapshot(t, p), NULL);
    art_store_end(t);
}

art_source_t *art_source_create(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s, const char *repo,
                                const char *dir, apr_size_t map_size)
{
    art_repo_opts_t ro = { art_repo_max_file(s, repo), art_config_log, s };
    art_store_opts_t so = { map_size, store_log, s };
    art_source_t *src = apr_pcalloc(pconf, sizeof(*src));
    art_store_result_t res;
    art_store_t *st;
    apr_status_t rv;
    char *err = NULL;

    src->repo = repo;
    src->s = s;
    src->map_size = map_size;
    apr_thread_mutex_create(&src->mu, APR_THREAD_MUTEX_DEFAULT, pconf);
    dir = dir ? dir : default_dir(pconf, repo);
    /* Taken first: a change made during the update is seen by the next
     * check.  Children inherit it, so none of them scans again at once. */
    src->fingerprint = art_repo_fingerprint(ptemp, repo);
    if (art_store_open(ptemp, dir, &so, &st, &err) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0030: %s; serving %s "
                     "from memory instead (each process loads it; set "
                     "ArticlesStore to a folder the server can write)", err,
                     repo);
        return load_memory(src, pconf, ptemp, s) ? src : NULL;
    }
    rv = art_store_update(st, ptemp, repo, &ro,
                          ART_STORE_WAIT | ART_STORE_QUIET, &res, &err);
    if (rv == APR_SUCCESS) {
        /* Every file the store holds a problem for, as a full load would
         * report them, though a current store parsed nothing. */
        art_status_load_t *sl = art_status_begin(ptemp, s, repo);
        int skipped = art_store_problems(st, ptemp, art_status_log, sl);

        record_store(st, ptemp, sl);

        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0002: loaded %s: %d "
                     "articles, %d files skipped (store %s %s, %d files "
                     "parsed, in %" APR_TIME_T_FMT " ms)", repo, res.articles,
                     skipped, dir, !res.committed ? "was current"
                     : res.full ? "built" : "updated", res.parsed,
                     apr_time_as_msec(res.elapsed));
    }
    else {
        /* The store keeps its last good version; one with none is no use. */
        art_store_txn_t *t;
        char *e2 = NULL;

        if (art_store_begin(st, &t, &e2) != APR_SUCCESS) {
            art_store_close(st);
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0001: cannot load "
                         "repository %s: %s", repo, err);
            return NULL;
        }
        art_store_end(t);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0032: %s; serving the "
                     "store's last good version of %s", err, repo);
    }
    art_store_close(st);
    if (!give_to_user(s, ptemp, dir)) {
        return load_memory(src, pconf, ptemp, s) ? src : NULL;
    }
    src->dir = apr_pstrdup(pconf, dir);
    return src;
}

void art_source_child_init(apr_pool_t *pchild, art_source_t *src)
{
    art_store_opts_t so = { src->map_size, store_log, src->s };
    char *err = NULL;

    src->related = art_related_memo_create(pchild, RELATED_MEMO_SLOTS);
    src->snippet = art_snippet_memo_create(pchild, SNIPPET_MEMO_SLOTS,
                                           SNIPPET_MEMO_BYTES);
    src->search = art_memo_create(pchild, SEARCH_MEMO_SLOTS, SEARCH_MEMO_BYTES,
                                  free);
    if (src->dir == NULL) {
        return;
    }
    if (art_store_open(pchild, src->dir, &so, &src->st, &err) != APR_SUCCESS) {
        /* The parent could, this process cannot (a folder User may not
         * enter, say): serve from memory rather than not at all. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, src->s, "ART0033: this process "
                     "cannot open the store of %s: %s; loading it into memory",
                     src->repo, err);
        src->st = NULL;
        load_memory(src, pchild, pchild, src->s);
    }
}

art_snapshot_t *art_source_acquire(art_source_t *src, request_rec *r,
                                   art_source_ref_t *ref)
{
    art_snapshot_t *snap;
    char *err = NULL;

    memset(ref, 0, sizeof(*ref));
    if (src->mem) {
        art_snapshot_t *s = art_gen_acquire(src->mem, &ref->gref);

        ref->serial = art_gen_serial(ref->gref);
        /* The loaded snapshot is shared by every thread: the request's
         * memo and serial go on its own copy of the header. */
        s = apr_pmemdup(r->pool, s, sizeof(*s));
        s->related_memo = src->related;
        s->snippet_memo = src->snippet;
        s->search_memo = src->search;
        s->serial = ref->serial;
        return s;
    }
    if (src->st == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0033: the store of %s is "
                      "not open in this process", src->repo);
        return NULL;
    }
    if (art_store_begin(src->st, &ref->t, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0034: %s", err);
        return NULL;
    }
    ref->serial = art_store_version(ref->t);
    snap = art_store_snapshot(ref->t, r->pool);
    snap->related_memo = src->related;
    snap->snippet_memo = src->snippet;
    snap->search_memo = src->search;
    snap->serial = ref->serial;
    return snap;
}

void art_source_release(art_source_t *src, art_source_ref_t *ref)
{
    if (ref->gref) {
        art_gen_release(src->mem, ref->gref);
    }
    if (ref->t) {
        art_store_end(ref->t);
    }
    memset(ref, 0, sizeof(*ref));
}

art_gen_t *art_source_memory(art_source_t *src)
{
    return src->mem;
}

const char *art_source_repo(const art_source_t *src)
{
    return src->repo;
}

void art_source_check(art_source_t *src, server_rec *s,
                      apr_interval_time_t interval, apr_interval_time_t every)
{
    art_repo_opts_t ro = { art_repo_max_file(s, src->repo), art_status_log,
                           NULL };
    art_store_result_t res;
    art_status_load_t *sl;
    apr_pool_t *p;
    apr_uint64_t fp;
    apr_time_t now = apr_time_now();
    char *err = NULL;

    if (src->st == NULL
        || apr_thread_mutex_trylock(src->mu) != APR_SUCCESS) {
        return;
    }
    if (now - src->checked < interval) {
        apr_thread_mutex_unlock(src->mu);
        return;
    }
    src->checked = now;
    /* The store is every process's: one walk of the files per interval
     * serves them all, and with many processes (prefork) or many files a
     * walk by each was most of an idle server's CPU. */
    if (!art_status_check_claim(src->repo, every)) {
        apr_thread_mutex_unlock(src->mu);
        return;
    }
    apr_pool_create(&p, NULL);
    fp = art_repo_fingerprint(p, src->repo);
    if (fp != src->fingerprint && fp == art_status_files_current(src->repo)) {
        src->fingerprint = fp;          /* another process brought it up */
    }
    if (fp != src->fingerprint) {
        sl = art_status_begin(p, s, src->repo);
        ro.baton = sl;
        if (art_store_update(src->st, p, src->repo, &ro, 0, &res, &err)
            != APR_SUCCESS) {
            art_status_end(sl, NULL, err);
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0005: keeping the "
                         "previous version of %s: %s", src->repo, err);
            /* Reported once per change of the files, not at every check,
             * nor by every process. */
            src->fingerprint = fp;
            art_status_set_files_current(src->repo, fp);
        }
        else if (!res.busy) {
            if (res.committed) {
                record_store(src->st, p, sl);
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0004: store of "
                             "%s updated: %d files parsed, %d articles "
                             "removed, %d kept at their last good version; %d "
                             "articles", src->repo, res.parsed, res.removed,
                             res.kept, res.articles);
            }
            src->fingerprint = fp;
            art_status_set_files_current(src->repo, fp);
        }
    }
    apr_pool_destroy(p);
    apr_thread_mutex_unlock(src->mu);
}
