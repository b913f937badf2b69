/* mod_articles_status.c: server-wide counters and the articles-status page.
 *
 * A child's own numbers say little under prefork, where a request may reach
 * any of dozens of processes.  So the counters live in one anonymous shared
 * memory segment made in post_config (children inherit it when forked):
 * fixed-size records for the repositories, the filters (named on first use),
 * the response cache, and one slot per live process for what only a process
 * can measure (its Lua states, its per-process cache).  Counters are bumped
 * with apr_atomic_*; a repository record is rewritten whole by whichever
 * process loaded it, under a spin lock in the record, since every child
 * reloads on its own and all of them find the same files.  The segment
 * starts afresh with each configuration generation, like mod_status's
 * counters on a restart.
 *
 * The page answers "SetHandler articles-status" with HTML, or with one
 * "Key: value" line per number for "?auto" (mod_status's convention), for
 * monitoring scripts.  Who may see it is left to the admin's Require.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mod_status.h"

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "art_repo.h"
#include "mod_articles.h"
#include "mod_articles_socache.h"
#include "mod_articles_status.h"

#define ST_REPOS    16          /* repositories with a record */
#define ST_FILTERS  64          /* filter files with counters */
#define ST_LANGS    32          /* languages counted per repository */
#define ST_SKIPPED  32          /* skipped files listed per repository */
#define ST_NAME     256
/* Filter times fall in buckets of a quarter power of two of microseconds,
 * 1 µs to 2^24 µs (16 s): a p99 within 19% whatever the scale. */
#define ST_BUCKETS  97

typedef struct st_skip_t {
    char file[ST_NAME];               /* below the repository */
    char tag[12];
    int line;
    char reason[ST_NAME];
} st_skip_t;

typedef struct st_lang_t {
    char code[16];
    int articles;
} st_lang_t;

typedef struct st_repo_t {
    volatile apr_uint32_t lock;       /* 1 while written or copied */
    char path[ST_NAME];
    apr_uint64_t version;             /* the content digest served */
    apr_time_t since;                 /* when that version was first loaded */
    int articles;
    int nlangs;
    st_lang_t langs[ST_LANGS];
    apr_time_t last_time;             /* the last load: start */
    apr_interval_time_t last_took;
    int last_ok;
    char last_error[ST_NAME];
    apr_uint32_t loads, failures;
    /* The walks of the files for changes, by all processes: one per interval
     * server-wide, claimed through checked_at (art_status_check_claim);
     * files_fp is the fingerprint of the files some process last brought
     * the store up to date with, or failed to and said why, so that the
     * others neither update it again nor repeat the error. */
    volatile apr_uint64_t checked_at, files_fp;
    volatile apr_uint32_t checks;
    int skipped;                      /* files skipped by the served version */
    int nlisted;                      /* of them in list[] */
    st_skip_t list[ST_SKIPPED];
} st_repo_t;

typedef struct st_filter_t {
    volatile apr_uint32_t named;      /* name is written */
    char name[ST_NAME];
    volatile apr_uint64_t calls, errors, budget, usec;
    volatile apr_uint32_t buckets[ST_BUCKETS];
} st_filter_t;

typedef struct st_proc_t {
    volatile apr_uint32_t pid;        /* 0: free */
    volatile apr_uint32_t lua_states;
    volatile apr_uint64_t lua_bytes;
    volatile apr_uint64_t cache_entries, cache_bytes;
} st_proc_t;

typedef struct st_shared_t {
    apr_time_t started;
    volatile apr_uint32_t naming;     /* lock for naming a filter record */
    int nrepos, nprocs;
    volatile apr_uint64_t hits, misses, stores, evictions;
    volatile apr_uint64_t code_epoch;
    st_repo_t repos[ST_REPOS];
    st_filter_t filters[ST_FILTERS];
    st_proc_t procs[1];               /* nprocs of them */
} st_shared_t;

static st_shared_t *shared;
static st_proc_t *my_slot;            /* this child's process slot */
static apr_uint64_t my_evictions;     /* of the per-process cache, counted */
static volatile apr_uint64_t my_code_gen;

/* ---------------------------------------------------------------- locks */

static void spin_lock(volatile apr_uint32_t *l)
{
    while (apr_atomic_cas32(l, 1, 0) != 0) {
        sched_yield();
    }
}

static void spin_unlock(volatile apr_uint32_t *l)
{
    apr_atomic_set32(l, 0);
}

/* ---------------------------------------------------------------- segment */

static apr_status_t forget_segment(void *data)
{
    (void)data;
    shared = NULL;
    my_slot = NULL;
    return APR_SUCCESS;
}

static int status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    const apr_array_header_t *repos = art_config_repositories();
    apr_shm_t *shm;
    apr_status_t rv;
    int procs = 0, i;

    (void)plog;
    (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &procs);
    if (procs < 1) {
        procs = 1;
    }
    rv = apr_shm_create(&shm, sizeof(st_shared_t)
                        + sizeof(st_proc_t) * (apr_size_t)(procs - 1), NULL, pconf);
    if (rv != APR_SUCCESS) {
        /* The server still serves; the page says the counters are missing. */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "ART0024: no shared memory "
                     "for the status counters");
        return OK;
    }
    shared = apr_shm_baseaddr_get(shm);
    memset(shared, 0, apr_shm_size_get(shm));
    shared->started = apr_time_now();
    shared->nprocs = procs;
    for (i = 0; repos && i < repos->nelts && i < ST_REPOS; i++) {
        apr_cpystrn(shared->repos[i].path, APR_ARRAY_IDX(repos, i, const char *),
                    ST_NAME);
    }
    shared->nrepos = i;
    apr_pool_cleanup_register(pconf, NULL, forget_segment, apr_pool_cleanup_null);
    return OK;
}

static apr_status_t release_slot(void *data)
{
    st_proc_t *slot = data;

    slot->lua_states = 0;
    slot->lua_bytes = slot->cache_entries = slot->cache_bytes = 0;
    apr_atomic_set32(&slot->pid, 0);
    my_slot = NULL;
    return APR_SUCCESS;
}

/* A free slot, or one whose process died without its cleanup running. */
static void status_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_uint32_t me = (apr_uint32_t)getpid();
    int i;

    (void)s;
    for (i = 0; shared && i < shared->nprocs; i++) {
        st_proc_t *slot = &shared->procs[i];
        apr_uint32_t pid = apr_atomic_read32(&slot->pid);

        if (pid != 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
            continue;
        }
        if (apr_atomic_cas32(&slot->pid, me, pid) == pid) {
            slot->lua_states = 0;
            slot->lua_bytes = slot->cache_entries = slot->cache_bytes = 0;
            my_slot = slot;
            apr_pool_cleanup_register(pchild, slot, release_slot,
                                      apr_pool_cleanup_null);
            return;
        }
    }
}

/* ---------------------------------------------------------------- repositories */

struct art_status_load_t {
    server_rec *s;
    apr_pool_t *p;
    const char *root;
    apr_array_header_t *skips;        /* st_skip_t, the first ST_SKIPPED */
    int nskipped;                     /* every file skipped */
    int quiet;                        /* collect only: already logged */
    apr_time_t t0;
};
typedef struct art_status_load_t load_log_t;

/* art_repo_log_fn: log as always, and keep what was skipped.  The loader
 * reports from its loading thread only (it counts nerrors unguarded). */
void art_status_log(void *baton, int fatal, const char *tag, const char *file,
                    int line, const char *reason)
{
    load_log_t *l = baton;
    apr_size_t n = strlen(l->root);
    st_skip_t *k;

    if (!l->quiet) {
        art_config_log(l->s, fatal, tag, file, line, reason);
    }
    if (fatal) {
        return;
    }
    l->nskipped++;
    if (l->skips->nelts >= ST_SKIPPED) {
        return;
    }
    if (strncmp(file, l->root, n) == 0 && file[n] == '/') {
        file += n + 1;
    }
    k = apr_array_push(l->skips);
    apr_cpystrn(k->file, file, sizeof(k->file));
    apr_cpystrn(k->tag, tag, sizeof(k->tag));
    k->line = line;
    apr_cpystrn(k->reason, reason, sizeof(k->reason));
}

static st_repo_t *repo_record(const char *path)
{
    int i;

    for (i = 0; shared && i < shared->nrepos; i++) {
        if (strcmp(shared->repos[i].path, path) == 0) {
            return &shared->repos[i];
        }
    }
    return NULL;
}

int art_status_check_claim(const char *path, apr_interval_time_t interval)
{
    st_repo_t *rec = repo_record(path);
    apr_uint64_t last, now = (apr_uint64_t)apr_time_now();

    if (rec == NULL) {
        return 1;
    }
    last = apr_atomic_read64(&rec->checked_at);
    /* A clock set back by more than an interval must not stop the walks. */
    if (interval > 0 && last <= now + (apr_uint64_t)interval
        && now < last + (apr_uint64_t)interval) {
        return 0;
    }
    if (apr_atomic_cas64(&rec->checked_at, now, last) != last) {
        return 0;                       /* another process claimed it */
    }
    apr_atomic_inc32(&rec->checks);
    return 1;
}

apr_uint64_t art_status_files_current(const char *path)
{
    st_repo_t *rec = repo_record(path);

    return rec ? apr_atomic_read64(&rec->files_fp) : 0;
}

void art_status_set_files_current(const char *path, apr_uint64_t fp)
{
    st_repo_t *rec = repo_record(path);

    if (rec) {
        apr_atomic_set64(&rec->files_fp, fp);
    }
}

static void record_load(st_repo_t *rec, const art_snapshot_t *snap,
                        const load_log_t *l, apr_time_t t0, const char *err)
{
    apr_time_t now = apr_time_now();
    int i;

    spin_lock(&rec->lock);
    rec->last_time = t0;
    rec->last_took = now - t0;
    rec->last_ok = snap != NULL;
    rec->loads++;
    if (snap == NULL) {
        rec->failures++;
        apr_cpystrn(rec->last_error, err ? err : "", sizeof(rec->last_error));
        spin_unlock(&rec->lock);
        return;
    }
    rec->last_error[0] = '\0';
    if (rec->version != snap->digest || rec->since == 0) {
        rec->version = snap->digest;
        rec->since = now;
    }
    rec->articles = art_snapshot_count(snap);
    rec->nlangs = 0;
    for (i = 0; i < snap->site->langs->nelts && i < ST_LANGS; i++) {
        const art_lang_t *lang = &APR_ARRAY_IDX(snap->site->langs, i, art_lang_t);
        const art_list_t *list = art_snapshot_list(snap, ART_LIST_LANG,
                                                   lang->code, NULL);

        apr_cpystrn(rec->langs[i].code, lang->code, sizeof(rec->langs[i].code));
        rec->langs[i].articles = list ? list->n : 0;
        rec->nlangs++;
    }
    /* A store-backed version has no count of its own: its problems were
     * collected through art_status_log. */
    rec->skipped = snap->nerrors > l->nskipped ? snap->nerrors : l->nskipped;
    rec->nlisted = l->skips->nelts;
    memcpy(rec->list, l->skips->elts, sizeof(st_skip_t) * (apr_size_t)rec->nlisted);
    spin_unlock(&rec->lock);
}

art_status_load_t *art_status_begin(apr_pool_t *p, server_rec *s,
                                    const char *path)
{
    load_log_t *l = apr_palloc(p, sizeof(*l));

    l->s = s;
    l->p = p;
    l->root = path;
    l->skips = apr_array_make(p, 4, sizeof(st_skip_t));
    l->nskipped = 0;
    l->quiet = 0;
    l->t0 = apr_time_now();
    return l;
}

void art_status_recollect(art_status_load_t *l)
{
    apr_array_clear(l->skips);
    l->nskipped = 0;
    l->quiet = 1;
}

void art_status_end(art_status_load_t *l, const art_snapshot_t *snap,
                    const char *err)
{
    st_repo_t *rec = repo_record(l->root);

    if (rec) {
        record_load(rec, snap, l, l->t0, err);
    }
}

apr_status_t art_status_load(apr_pool_t *p, server_rec *s, const char *path,
                             apr_size_t max_file_size, art_snapshot_t **out,
                             char **err)
{
    load_log_t *l = art_status_begin(p, s, path);
    art_repo_opts_t o = { max_file_size, art_status_log, l };
    apr_status_t rv = art_repo_load(p, path, &o, out, err);

    art_status_end(l, rv == APR_SUCCESS ? *out : NULL, *err);
    return rv;
}

/* ---------------------------------------------------------------- counters */

/* Whether a record's name is f's, "FILE" or "FILE FUNCTION" cut to the
 * record's size, compared in place: formatting the name first was most of
 * the cost of counting a filter call. */
static int names_filter(const char *name, const art_filter_t *f)
{
    apr_size_t room = ST_NAME - 1, n = strlen(f->file);

    if (strncmp(name, f->file, n < room ? n : room) != 0) {
        return 0;
    }
    if (n >= room) {
        return name[room] == '\0';
    }
    name += n;
    room -= n;
    if (f->function == NULL) {
        return *name == '\0';
    }
    if (*name++ != ' ') {
        return 0;
    }
    if (--room == 0) {
        return *name == '\0';
    }
    n = strlen(f->function);
    return strncmp(name, f->function, n < room ? n : room) == 0
           && name[n < room ? n : room] == '\0';
}

static st_filter_t *filter_record(const art_filter_t *f)
{
    char name[ST_NAME];
    int i;

    for (i = 0; i < ST_FILTERS; i++) {
        st_filter_t *x = &shared->filters[i];
        if (!apr_atomic_read32(&x->named)) {
            break;
        }
        if (names_filter(x->name, f)) {
            return x;
        }
    }
    if (i == ST_FILTERS) {
        return NULL;
    }
    apr_snprintf(name, sizeof(name), "%s%s%s", f->file, f->function ? " " : "",
                 f->function ? f->function : "");
    /* Name a record under the lock, looking again: another process may have
     * named this filter meanwhile. */
    spin_lock(&shared->naming);
    for (i = 0; i < ST_FILTERS && apr_atomic_read32(&shared->filters[i].named);
         i++) {
        if (strcmp(shared->filters[i].name, name) == 0) {
            break;
        }
    }
    if (i < ST_FILTERS && !apr_atomic_read32(&shared->filters[i].named)) {
        apr_cpystrn(shared->filters[i].name, name, ST_NAME);
        apr_atomic_set32(&shared->filters[i].named, 1);
    }
    spin_unlock(&shared->naming);
    return i < ST_FILTERS ? &shared->filters[i] : NULL;
}

static int bucket_of(apr_interval_time_t usec)
{
    int b = usec < 1 ? 0 : (int)(4.0 * log2((double)usec));

    return b >= ST_BUCKETS ? ST_BUCKETS - 1 : b;
}

void art_status_filter(const art_filter_t *f, apr_interval_time_t took,
                       int outcome)
{
    st_filter_t *x;

    if (shared == NULL || (x = filter_record(f)) == NULL) {
        return;
    }
    apr_atomic_inc64(&x->calls);
    apr_atomic_add64(&x->usec, took > 0 ? (apr_uint64_t)took : 0);
    apr_atomic_inc32(&x->buckets[bucket_of(took)]);
    if (outcome == ART_FILTER_ERROR) {
        apr_atomic_inc64(&x->errors);
    }
    else if (outcome == ART_FILTER_BUDGET) {
        apr_atomic_inc64(&x->budget);
    }
}

void art_status_cache_lookup(int hit)
{
    if (shared) {
        apr_atomic_inc64(hit ? &shared->hits : &shared->misses);
    }
}

void art_status_cache_store(void)
{
    if (shared) {
        apr_atomic_inc64(&shared->stores);
    }
}

void art_status_process(art_cache_t *cache, const apr_array_header_t *luas)
{
    int states = 0, n, i;
    apr_size_t bytes = 0, b;

    if (shared == NULL || my_slot == NULL) {
        return;
    }
    if (cache) {
        art_cache_stats_t st;

        art_cache_stats(cache, &st);
        apr_atomic_set64(&my_slot->cache_entries, st.entries);
        apr_atomic_set64(&my_slot->cache_bytes, st.bytes);
        /* Threads of this process may race here: only one adds each step. */
        for (;;) {
            apr_uint64_t seen = apr_atomic_read64(&my_evictions);
            if (st.evictions <= seen) {
                break;
            }
            if (apr_atomic_cas64(&my_evictions, st.evictions, seen) == seen) {
                apr_atomic_add64(&shared->evictions, st.evictions - seen);
                break;
            }
        }
    }
    for (i = 0; luas && i < luas->nelts; i++) {
        art_lua_host_stats(APR_ARRAY_IDX(luas, i, art_lua_host_t *), &n, &b);
        states += n;
        bytes += b;
    }
    apr_atomic_set32(&my_slot->lua_states, (apr_uint32_t)states);
    apr_atomic_set64(&my_slot->lua_bytes, bytes);
}

apr_uint64_t art_status_code_epoch(apr_uint64_t local)
{
    apr_uint64_t seen;

    if (shared == NULL) {
        return local;
    }
    seen = apr_atomic_read64(&my_code_gen);
    if (seen != local && apr_atomic_cas64(&my_code_gen, local, seen) == seen) {
        apr_atomic_inc64(&shared->code_epoch);
    }
    return apr_atomic_read64(&shared->code_epoch);
}

/* ---------------------------------------------------------------- the page */

/* The page is written as a list of (key, value) rows: one writer for both
 * forms, so the HTML and ?auto always show the same numbers. */
typedef struct page_t {
    request_rec *r;
    int plain;
} page_t;

static void heading(page_t *pg, const char *title)
{
    if (!pg->plain) {
        ap_rprintf(pg->r, "</table>\n<h2>%s</h2>\n<table>\n",
                   ap_escape_html(pg->r->pool, title));
    }
}

static void row(page_t *pg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row(page_t *pg, const char *key, const char *fmt, ...)
{
    va_list ap;
    char *v;

    va_start(ap, fmt);
    v = apr_pvsprintf(pg->r->pool, fmt, ap);
    va_end(ap);
    if (pg->plain) {
        /* One line per key, whatever a file name or reason holds. */
        char *c;
        for (c = v; *c; c++) {
            if (*c == '\n' || *c == '\r') {
                *c = ' ';
            }
        }
        ap_rprintf(pg->r, "%s: %s\n", key, v);
    }
    else {
        ap_rprintf(pg->r, "<tr><th>%s</th><td>%s</td></tr>\n",
                   ap_escape_html(pg->r->pool, key),
                   ap_escape_html(pg->r->pool, v));
    }
}

static const char *iso_time(apr_pool_t *p, apr_time_t t)
{
    char *buf = apr_palloc(p, APR_RFC822_DATE_LEN);

    if (t == 0) {
        return "-";
    }
    apr_rfc822_date(buf, t);
    return buf;
}

static void show_repos(page_t *pg)
{
    apr_time_t now = apr_time_now();
    int i, j;

    for (i = 0; i < shared->nrepos; i++) {
        st_repo_t *rec = apr_palloc(pg->r->pool, sizeof(*rec));
        const char *k = apr_psprintf(pg->r->pool, "Repository%d", i);

        spin_lock(&shared->repos[i].lock);
        memcpy(rec, &shared->repos[i], sizeof(*rec));
        spin_unlock(&shared->repos[i].lock);

        heading(pg, apr_pstrcat(pg->r->pool, "Repository ", rec->path, NULL));
        row(pg, k, "%s", rec->path);
        row(pg, apr_pstrcat(pg->r->pool, k, "Version", NULL),
            "%016" APR_UINT64_T_HEX_FMT, rec->version);
        row(pg, apr_pstrcat(pg->r->pool, k, "VersionAge", NULL), "%" APR_TIME_T_FMT,
            rec->since ? apr_time_sec(now - rec->since) : 0);
        row(pg, apr_pstrcat(pg->r->pool, k, "Articles", NULL), "%d", rec->articles);
        for (j = 0; j < rec->nlangs; j++) {
            row(pg, apr_psprintf(pg->r->pool, "%sArticles_%s", k,
                                 rec->langs[j].code), "%d", rec->langs[j].articles);
        }
        row(pg, apr_pstrcat(pg->r->pool, k, "LastUpdate", NULL), "%s",
            iso_time(pg->r->pool, rec->last_time));
        row(pg, apr_pstrcat(pg->r->pool, k, "LastUpdateMs", NULL), "%" APR_TIME_T_FMT,
            apr_time_as_msec(rec->last_took));
        row(pg, apr_pstrcat(pg->r->pool, k, "LastUpdateResult", NULL), "%s",
            rec->loads == 0 ? "-" : rec->last_ok ? "ok"
            : apr_pstrcat(pg->r->pool, "failed: ", rec->last_error, NULL));
        row(pg, apr_pstrcat(pg->r->pool, k, "Loads", NULL), "%u", rec->loads);
        row(pg, apr_pstrcat(pg->r->pool, k, "LoadFailures", NULL), "%u",
            rec->failures);
        row(pg, apr_pstrcat(pg->r->pool, k, "Checks", NULL), "%u", rec->checks);
        row(pg, apr_pstrcat(pg->r->pool, k, "Skipped", NULL), "%d", rec->skipped);
        for (j = 0; j < rec->nlisted; j++) {
            const st_skip_t *x = &rec->list[j];
            row(pg, apr_psprintf(pg->r->pool, "%sSkipped%d", k, j),
                "%s:%d: %s: %s", x->file, x->line, x->tag, x->reason);
        }
    }
}

/* The upper bound of the bucket that holds the 99th percentile, µs. */
static apr_uint64_t p99(const st_filter_t *x)
{
    apr_uint64_t n = 0, seen = 0, want;
    int b;

    for (b = 0; b < ST_BUCKETS; b++) {
        n += apr_atomic_read32((volatile apr_uint32_t *)&x->buckets[b]);
    }
    if (n == 0) {
        return 0;
    }
    want = n - n / 100;
    for (b = 0; b < ST_BUCKETS; b++) {
        seen += apr_atomic_read32((volatile apr_uint32_t *)&x->buckets[b]);
        if (seen >= want) {
            break;
        }
    }
    return (apr_uint64_t)ceil(exp2((b + 1) / 4.0));
}

static void show_filters(page_t *pg)
{
    int i;

    heading(pg, "Filters");
    for (i = 0; i < ST_FILTERS && apr_atomic_read32(&shared->filters[i].named);
         i++) {
        st_filter_t *x = &shared->filters[i];
        const char *k = apr_psprintf(pg->r->pool, "Filter%d", i);

        row(pg, k, "%s", x->name);
        row(pg, apr_pstrcat(pg->r->pool, k, "Calls", NULL), "%" APR_UINT64_T_FMT,
            apr_atomic_read64(&x->calls));
        row(pg, apr_pstrcat(pg->r->pool, k, "Errors", NULL), "%" APR_UINT64_T_FMT,
            apr_atomic_read64(&x->errors));
        row(pg, apr_pstrcat(pg->r->pool, k, "BudgetHits", NULL), "%" APR_UINT64_T_FMT,
            apr_atomic_read64(&x->budget));
        row(pg, apr_pstrcat(pg->r->pool, k, "TotalMs", NULL), "%" APR_UINT64_T_FMT,
            apr_atomic_read64(&x->usec) / 1000);
        row(pg, apr_pstrcat(pg->r->pool, k, "P99Us", NULL), "%" APR_UINT64_T_FMT,
            p99(x));
    }
}

static void show_processes(page_t *pg)
{
    apr_uint64_t entries = 0, bytes = 0, lua_bytes = 0;
    unsigned long sh_entries = 0;
    apr_uint64_t sh_bytes = 0;
    int i, procs = 0, states = 0, shared_cache = art_socache_on();

    for (i = 0; i < shared->nprocs; i++) {
        st_proc_t *slot = &shared->procs[i];
        if (apr_atomic_read32(&slot->pid) == 0) {
            continue;
        }
        procs++;
        states += (int)apr_atomic_read32(&slot->lua_states);
        lua_bytes += apr_atomic_read64(&slot->lua_bytes);
        entries += apr_atomic_read64(&slot->cache_entries);
        bytes += apr_atomic_read64(&slot->cache_bytes);
    }
    if (shared_cache && art_socache_usage(pg->r, &sh_entries, &sh_bytes)) {
        entries = sh_entries;
        bytes = sh_bytes;
    }
    heading(pg, "Response cache");
    row(pg, "CacheKind", "%s", shared_cache ? "shared" : "per-process");
    row(pg, "CacheEntries", "%" APR_UINT64_T_FMT, entries);
    row(pg, "CacheBytes", "%" APR_UINT64_T_FMT, bytes);
    row(pg, "CacheHits", "%" APR_UINT64_T_FMT, apr_atomic_read64(&shared->hits));
    row(pg, "CacheMisses", "%" APR_UINT64_T_FMT, apr_atomic_read64(&shared->misses));
    row(pg, "CacheStores", "%" APR_UINT64_T_FMT, apr_atomic_read64(&shared->stores));
    row(pg, "CacheEvictions", "%" APR_UINT64_T_FMT,
        apr_atomic_read64(&shared->evictions));
    heading(pg, "Lua states");
    row(pg, "Processes", "%d", procs);
    row(pg, "LuaStates", "%d", states);
    row(pg, "LuaBytes", "%" APR_UINT64_T_FMT, lua_bytes);
}

static int status_handler(request_rec *r)
{
    page_t pg;

    if (strcmp(r->handler, "articles-status") != 0) {
        return DECLINED;
    }
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    pg.r = r;
    pg.plain = r->args && strcmp(r->args, "auto") == 0;
    ap_set_content_type(r, pg.plain ? "text/plain; charset=utf-8"
                        : "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    if (!pg.plain) {
        ap_rputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<title>mod_articles status</title></head><body>\n"
                 "<h1>mod_articles status</h1>\n<table>\n", r);
    }
    if (shared == NULL) {
        row(&pg, "Counters", "unavailable (see ART0024 in the error log)");
    }
    else {
        row(&pg, "Started", "%s", iso_time(r->pool, shared->started));
        row(&pg, "Uptime", "%" APR_TIME_T_FMT,
            apr_time_sec(apr_time_now() - shared->started));
        show_repos(&pg);
        show_filters(&pg);
        show_processes(&pg);
    }
    if (art_socache_on()) {
        heading(&pg, "Shared cache provider");
        if (!pg.plain) {
            ap_rputs("</table>\n", r);
        }
        art_socache_report(r, pg.plain ? AP_STATUS_SHORT : 0);
        if (!pg.plain) {
            ap_rputs("<table>\n", r);
        }
    }
    if (!pg.plain) {
        ap_rputs("</table>\n</body></html>\n", r);
    }
    return OK;
}

/* ---------------------------------------------------------------- hooks */

void art_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* Before the loads of mod_articles.c's post_config, which it records. */
    ap_hook_post_config(status_post_config, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_child_init(status_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
