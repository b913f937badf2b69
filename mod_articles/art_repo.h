/* art_repo.h: loading an XML repository into a snapshot.
 *
 * The loader reads site.xml, authors.xml, every collection.xml and every article
 * file, parses each with libxml2 in its safest mode (no network, no DTD, no entity
 * expansion; a document that declares a DTD is refused before anything in it is
 * read), validates it against the project's RELAX NG schema (compiled into the
 * module from articles.rng), checks what a schema cannot (unique ids, known
 * authors and languages, URL schemes), and builds an art_snapshot_t.
 *
 * A bad article or collection file is skipped and reported once through the log
 * callback as "file:line: reason"; a bad site.xml or authors.xml fails the load.
 * The loader uses no httpd header so the command-line checker and the unit tests
 * can use it as it is.
 */
#ifndef ART_REPO_H
#define ART_REPO_H

#include <apr_pools.h>
#include <apr_time.h>
#include "art_snapshot.h"

/* Stable message tags: admins grep logs for them, so never renumber. */
#define ART_E_IO          "ART0101"
#define ART_E_WELLFORMED  "ART0102"
#define ART_E_DTD         "ART0103"
#define ART_E_SCHEMA      "ART0104"
#define ART_E_DUPLICATE   "ART0105"
#define ART_E_AUTHOR      "ART0106"
#define ART_E_LANGUAGE    "ART0107"
#define ART_E_TOOLARGE    "ART0108"
#define ART_E_URL         "ART0109"
#define ART_E_COLLECTION  "ART0110"
#define ART_E_SITE        "ART0111"
#define ART_E_ID          "ART0112"
#define ART_E_DATE        "ART0113"
#define ART_W_RELATED     "ART0114"   /* a warning: the article is kept */

/* Receives one message per problem: tag, file (full path), line (0 if unknown) and
 * the reason.  fatal is set for problems that fail the whole load. */
typedef void art_repo_log_fn(void *baton, int fatal, const char *tag,
                             const char *file, int line, const char *reason);

/* Where a load spent its time, for articles-check --stats.  Stage times are
 * microseconds of CPU time (of the loading thread, where the system can tell)
 * summed over files; read covers the change scan and open, fstat and read;
 * total is wall-clock
 * time. */
typedef struct art_repo_stats_t {
    apr_interval_time_t read;
    apr_interval_time_t parse;      /* libxml2, DTD refusal included */
    apr_interval_time_t validate;   /* RELAX NG */
    apr_interval_time_t build;      /* records, HTML bodies, lists */
    apr_interval_time_t index;      /* the text index */
    apr_interval_time_t total;      /* wall clock of the whole load */
    int files;                      /* XML files read */
    int threads;                    /* that read, parsed and validated */
    apr_size_t text_bytes;          /* plain text of the bodies indexed */
} art_repo_stats_t;

typedef struct art_repo_opts_t {
    apr_size_t max_file_size;    /* bytes; larger files are skipped */
    art_repo_log_fn *log;
    void *baton;
} art_repo_opts_t;

/* For incremental loads (the store, art_store.c): asked once per article file
 * (rel to the repository) before it is read; non-zero reads it, zero leaves
 * it out of the snapshot as if it were absent. */
typedef int art_repo_want_fn(void *baton, const char *rel, apr_off_t size,
                             apr_time_t mtime);

/* Told once per article file read, in file order, after it was taken up:
 * its size, time and content hash as read (all 0 when it could not be read),
 * and whether it gave an article of the snapshot. */
typedef void art_repo_seen_fn(void *baton, const char *rel, apr_off_t size,
                              apr_time_t mtime, apr_uint64_t hash, int ok);

typedef struct art_repo_hooks_t {
    art_repo_want_fn *want;      /* NULL: every file */
    art_repo_seen_fn *seen;      /* may be NULL */
    void *baton;                 /* for want and seen */
    int no_text_index;           /* leave the snapshot's text NULL (the
                                    store keeps postings of its own) */
} art_repo_hooks_t;

#define ART_REPO_DEFAULT_MAX_FILE (1024 * 1024)

/* Prepare libxml2 and the schema; call once per process before any load, from one
 * thread (httpd: post_config, before children are forked). */
apr_status_t art_repo_init(apr_pool_t *p, char **err);

/* How many threads read, parse and validate files during a load (the loading
 * thread included): 0, the default, is one per processor up to 4; 1 loads
 * on the calling thread alone.  Process-wide; set it before loading. */
void art_repo_set_threads(int n);

/* Load the repository at root.  On success *out is a new snapshot in its own
 * pool (destroy (*out)->pool to free it).  On a fatal problem returns
 * APR_EGENERAL, *err describing it (allocated in p), and nothing is kept.
 * The snapshot's pool is unmanaged (no parent): the owner destroys it. */
apr_status_t art_repo_load(apr_pool_t *p, const char *root,
                           const art_repo_opts_t *opts,
                           art_snapshot_t **out, char **err);

/* As art_repo_load, also filling *stats (zeroed first) when it is not NULL. */
apr_status_t art_repo_load_ex(apr_pool_t *p, const char *root,
                              const art_repo_opts_t *opts,
                              art_repo_stats_t *stats,
                              art_snapshot_t **out, char **err);

/* As art_repo_load_ex (stats may be NULL) with hooks (may be NULL). */
apr_status_t art_repo_load_hooked(apr_pool_t *p, const char *root,
                                  const art_repo_opts_t *opts,
                                  const art_repo_hooks_t *hooks,
                                  art_repo_stats_t *stats,
                                  art_snapshot_t **out, char **err);

/* Parse and check only site.xml and authors.xml: for configuration time, so that
 * "apachectl configtest" reports a broken site before anything starts. */
apr_status_t art_repo_check_site(apr_pool_t *p, const char *root,
                                 const art_repo_opts_t *opts, char **err);

/* A number that changes when any file or folder below root that the loader
 * reads is added, removed or modified (names, sizes and times): cheap change
 * detection for live reload, without parsing anything. */
apr_uint64_t art_repo_fingerprint(apr_pool_t *p, const char *root);

#endif
