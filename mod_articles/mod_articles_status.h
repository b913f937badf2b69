/* mod_articles_status.h: server-wide counters and the articles-status page.
 *
 * Every process of the server adds to one segment of shared memory made in
 * post_config, before children are forked: what the repositories' loads did,
 * how each filter behaved, how the response cache answered, and what each
 * live process holds (Lua states, per-process cache).  The page
 * ("SetHandler articles-status") reads it, so it shows the whole server
 * whichever child answers.
 */
#ifndef MOD_ARTICLES_STATUS_H
#define MOD_ARTICLES_STATUS_H

#include "httpd.h"

#include "art_cache.h"
#include "art_lua.h"
#include "art_snapshot.h"

/* Hooks of the status page and the segment (register_hooks). */
void art_status_register_hooks(apr_pool_t *p);

/* Load the repository at path as art_repo_load does (files over
 * max_file_size skipped), logging each skipped file on s, and record the load: when, how long, the result, the version,
 * the articles per language and the files skipped and why. */
apr_status_t art_status_load(apr_pool_t *p, server_rec *s, const char *path,
                             apr_size_t max_file_size, art_snapshot_t **out,
                             char **err);

/* The same record for a load made elsewhere (a repository's store): begin
 * it, pass art_status_log with the returned baton as the loader's log
 * callback (it logs on s as art_config_log does and keeps what was skipped),
 * and end it with the version now served (NULL: the load failed, err says
 * why). */
typedef struct art_status_load_t art_status_load_t;
art_status_load_t *art_status_begin(apr_pool_t *p, server_rec *s,
                                    const char *path);
void art_status_log(void *baton, int fatal, const char *tag, const char *file,
                    int line, const char *reason);
void art_status_end(art_status_load_t *l, const art_snapshot_t *snap,
                    const char *err);
/* Forget what l collected and collect again without logging: for a
 * version's whole list of problems, replayed after the update logged its
 * own. */
void art_status_recollect(art_status_load_t *l);

/* art_lua_filter_fn: count a filter call. */
void art_status_filter(const art_filter_t *f, apr_interval_time_t took,
                       int outcome);

/* A response-cache lookup: hit or miss; a page stored. */
void art_status_cache_lookup(int hit);
void art_status_cache_store(void);

/* What this process holds now: its per-process cache (NULL: none) and the
 * Lua states of its hosts (art_lua_host_t *, each once). */
void art_status_process(art_cache_t *cache, const apr_array_header_t *luas);

/* Whether this process should walk the files of the repository at path for
 * changes now: 1 unless some process of the server did within interval
 * (then 0), and the walk is counted (RepositoryNChecks).  An interval of 0
 * always claims: a process's first look.  1 when there are no counters. */
int art_status_check_claim(const char *path, apr_interval_time_t interval);

/* The fingerprint of the files some process last brought the store of path
 * up to date with, or failed to and logged why (0: not known), and setting
 * it. */
apr_uint64_t art_status_files_current(const char *path);
void art_status_set_files_current(const char *path, apr_uint64_t fp);

/* A filter-code generation every process agrees on: it moves on whenever
 * any process sees its own generation (local) move. */
apr_uint64_t art_status_code_epoch(apr_uint64_t local);

#endif
