/* mod_articles_reload.c: live reload of repositories and template folders.
 *
 * Finding out whether a repository changed means reading every directory
 * entry of it (art_repo_fingerprint): tens of milliseconds for ten thousand
 * articles, and a reload takes seconds.  Done inside a request, one reader in
 * every interval waits for it.  So each process has a watcher thread that
 * does both on its own clock, and requests only read the current generation.
 *
 * A request registers what it uses (repository or templates, with its
 * location's ArticlesReloadInterval; the shortest wins) the first time; that
 * first request also checks at once, so a process that starts serving late
 * never answers from a snapshot older than the files.  After that the thread
 * checks each folder once per interval and publishes a new generation when
 * the files changed.  A broken reload keeps the previous generation and is
 * reported once per change, not at every check.  A repository served from
 * its store is not reloaded but brought up to date (art_source_check): one
 * process writes the change, every process reads the new version.  Where no thread can run, the
 * request does the check itself, as often as the interval allows.
 */
#include <stdlib.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "art_gen.h"
#include "art_repo.h"
#include "art_tplset.h"
#include "mod_articles.h"
#include "mod_articles_status.h"

typedef struct watch_t {
    art_gen_t *g;
    art_source_t *src;                /* a repository served from its store */
    int templates;                    /* 0: a repository */
    const char *path;
    server_rec *s;                    /* whose limits and log */
    apr_interval_time_t interval;
    apr_time_t due;
} watch_t;

typedef struct watcher_t {
    apr_pool_t *pool;                 /* watches; its own allocator, used under
                                       * mutex only: pchild is not thread-safe */
    apr_thread_mutex_t *mutex;        /* guards all below */
    apr_thread_cond_t *wake;
    apr_array_header_t *watches;      /* watch_t * */
    apr_thread_t *thread;
    int quit;
} watcher_t;

static watcher_t *watcher;

/* ---------------------------------------------------------------- checks */

static void check_repo(apr_pool_t *p, server_rec *s, art_gen_t *g, const char *path)
{
    art_gen_ref_t *ref;
    art_snapshot_t *cur, *snap;
    apr_uint64_t fp, have;
    char *err = NULL;

    cur = art_gen_acquire(g, &ref);
    have = cur->fingerprint;
    art_gen_release(g, ref);
    fp = art_repo_fingerprint(p, path);
    if (fp == have || fp == art_gen_failed(g)) {
        return;
    }
    if (art_status_load(p, s, path, art_repo_max_file(s, path), &snap, &err)
        == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0004: reloaded %s: %d "
                     "articles, %d files skipped", path, snap->all.n, snap->nerrors);
        art_gen_publish(g, snap, snap->pool);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0005: keeping the previous "
                     "snapshot of %s: %s", path, err);
        art_gen_set_failed(g, fp);
    }
}

static void check_templates(apr_pool_t *p, server_rec *s, art_gen_t *g,
                            const char *path)
{
    art_gen_ref_t *ref;
    art_tplset_t *cur, *set;
    apr_uint64_t fp, have;
    apr_time_t mtime;
    char *err = NULL;

    cur = art_gen_acquire(g, &ref);
    have = cur->fingerprint;
    art_gen_release(g, ref);
    fp = art_tplset_fingerprint(p, path, &mtime);
    if (fp == have || fp == art_gen_failed(g)) {
        return;
    }
    if (art_tplset_load(p, path, &set, &err) == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0006: reloaded templates "
                     "%s", path);
        art_gen_publish(g, set, set->pool);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0007: keeping the previous "
                     "templates: %s", err);
        art_gen_set_failed(g, fp);
    }
}

/* Check one folder now unless another thread is at it (art_gen serialises:
 * the request's first check and the watcher may meet). */
static void check_now(server_rec *s, art_gen_t *g, int templates, const char *path,
                      apr_interval_time_t interval)
{
    apr_pool_t *p;

    if (!art_gen_reload_begin(g, interval)) {
        return;
    }
    apr_pool_create(&p, NULL);
    if (templates) {
        check_templates(p, s, g, path);
    }
    else {
        check_repo(p, s, g, path);
    }
    apr_pool_destroy(p);
    art_gen_reload_done(g);
}

/* ---------------------------------------------------------------- the thread */

static void *APR_THREAD_FUNC watch_loop(apr_thread_t *t, void *data)
{
    watcher_t *w = data;
    watch_t **due = NULL;
    int ndue = 0, cap = 0, i;

    apr_thread_mutex_lock(w->mutex);
    while (!w->quit) {
        apr_time_t now = apr_time_now(), next = now + apr_time_from_sec(1);

        ndue = 0;
        for (i = 0; i < w->watches->nelts; i++) {
            watch_t *x = APR_ARRAY_IDX(w->watches, i, watch_t *);
            if (x->due <= now) {
                if (ndue == cap) {
                    int more = cap ? 2 * cap : 8;
                    watch_t **grown = realloc(due, sizeof(*due) * (apr_size_t)more);

                    if (grown) {
                        due = grown;
                        cap = more;
                    }
                }
                /* Out of memory, the folder waits for its next round. */
                if (ndue < cap) {
                    due[ndue++] = x;
                }
                x->due = now + x->interval;
            }
            if (x->due < next) {
                next = x->due;
            }
        }
        if (ndue == 0) {
            apr_thread_cond_timedwait(w->wake, w->mutex, next - now);
            continue;
        }
        apr_thread_mutex_unlock(w->mutex);
        for (i = 0; i < ndue; i++) {
            /* An interval of 1 µs: the thread keeps the time, art_gen only
             * keeps it from running beside a request's first check. */
            if (due[i]->src) {
                art_source_check(due[i]->src, due[i]->s, 1, due[i]->interval);
            }
            else {
                check_now(due[i]->s, due[i]->g, due[i]->templates,
                          due[i]->path, 1);
            }
        }
        apr_thread_mutex_lock(w->mutex);
    }
    apr_thread_mutex_unlock(w->mutex);
    free(due);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static apr_status_t watcher_stop(void *data)
{
    watcher_t *w = data;
    apr_status_t rv;

    apr_thread_mutex_lock(w->mutex);
    w->quit = 1;
    apr_thread_cond_signal(w->wake);
    apr_thread_mutex_unlock(w->mutex);
    apr_thread_join(&rv, w->thread);
    watcher = NULL;
    return APR_SUCCESS;
}

void art_reload_child_init(apr_pool_t *pchild, server_rec *s)
{
    watcher_t *w = apr_pcalloc(pchild, sizeof(*w));
    apr_allocator_t *alloc = NULL;
    int ok;

    /* Request threads add watches: they allocate from a pool of the
     * watcher's own, under its mutex, never from pchild, which other code of
     * the process uses without a lock. */
    ok = apr_allocator_create(&alloc) == APR_SUCCESS;
    if (ok && apr_pool_create_ex(&w->pool, pchild, NULL, alloc) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        ok = 0;
    }
    if (ok) {
        apr_allocator_owner_set(alloc, w->pool);
        w->watches = apr_array_make(w->pool, 4, sizeof(watch_t *));
        ok = apr_thread_mutex_create(&w->mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
            == APR_SUCCESS
            && apr_thread_cond_create(&w->wake, pchild) == APR_SUCCESS
            && apr_thread_create(&w->thread, NULL, watch_loop, w, pchild)
            == APR_SUCCESS;
    }
    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "ART0016: no watcher "
                     "thread; requests will check for changes themselves");
        return;
    }
    /* A pre-cleanup: it stops the thread before pchild destroys its
     * subpools (the watches, and the thread's own pool: destroyed twice if
     * the thread still ran, and the child would die on exit) and runs its
     * other cleanups (mutex, cond). */
    apr_pool_pre_cleanup_register(pchild, w, watcher_stop);
    watcher = w;
}

/* ---------------------------------------------------------------- requests */

/* Register x (g or src) with the watcher; returns 1 the first time. */
static int watch_register(request_rec *r, art_gen_t *g, art_source_t *src,
                          int templates, const char *path,
                          apr_interval_time_t interval)
{
    watcher_t *w = watcher;
    watch_t *x = NULL;
    int i, first = 0;

    apr_thread_mutex_lock(w->mutex);
    for (i = 0; i < w->watches->nelts && x == NULL; i++) {
        watch_t *y = APR_ARRAY_IDX(w->watches, i, watch_t *);
        if ((g && y->g == g) || (src && y->src == src)) {
            x = y;
        }
    }
    if (x == NULL) {
        x = apr_pcalloc(w->pool, sizeof(*x));
        x->g = g;
        x->src = src;
        x->templates = templates;
        x->path = apr_pstrdup(w->pool, path);
        x->s = r->server;
        x->interval = interval;
        x->due = apr_time_now() + interval;
        APR_ARRAY_PUSH(w->watches, watch_t *) = x;
        first = 1;
    }
    else if (interval < x->interval) {
        x->interval = interval;
        x->due = apr_time_now() + interval;
        apr_thread_cond_signal(w->wake);
    }
    apr_thread_mutex_unlock(w->mutex);
    return first;
}

void art_reload_watch(request_rec *r, art_gen_t *g, int templates,
                      const char *path, apr_interval_time_t interval)
{
    if (interval <= 0) {
        return;
    }
    if (watcher == NULL) {
        check_now(r->server, g, templates, path, interval);
        return;
    }
    if (watch_register(r, g, NULL, templates, path, interval)) {
        check_now(r->server, g, templates, path, 1);
    }
}

void art_reload_watch_source(request_rec *r, art_source_t *src,
                             apr_interval_time_t interval)
{
    if (interval <= 0) {
        return;
    }
    if (watcher == NULL) {
        art_source_check(src, r->server, interval, interval);
        return;
    }
    if (watch_register(r, NULL, src, 0, art_source_repo(src), interval)) {
        art_source_check(src, r->server, 1, 0);
    }
}
