/* mod_articles.h: what the httpd glue files share. */
#ifndef MOD_ARTICLES_H
#define MOD_ARTICLES_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <lua.h>

#include "art_gen.h"
#include "art_lua.h"
#include "mod_articles_config.h"

/* mod_articles.c declares the module, which sets up logging there itself. */
#ifndef ART_DECLARES_MODULE
APLOG_USE_MODULE(articles);
#endif

/* The ArticlesMaxFileSize the repository at path was loaded with (that of the
 * virtual hosts naming it), for reloads. */
apr_size_t art_repo_max_file(server_rec *s, const char *path);

/* mod_articles_reload.c: start this process's watcher thread (child_init). */
void art_reload_child_init(apr_pool_t *pchild, server_rec *s);

/* Keep the repository (templates = 0) or template folder at path, held by g,
 * current: checked by the watcher every interval (0: never), and at once the
 * first time a process sees it. */
void art_reload_watch(request_rec *r, art_gen_t *g, int templates,
                      const char *path, apr_interval_time_t interval);

/* mod_articles_store.c: a repository as the processes serve it, from its
 * store (or from memory when the store cannot be used). */
typedef struct art_source_t art_source_t;

/* What a request holds of a source until it is done. */
typedef struct art_source_ref_t {
    art_gen_ref_t *gref;              /* in memory */
    struct art_store_txn_t *t;        /* from the store */
    apr_uint64_t serial;              /* changes with every version */
} art_source_ref_t;

/* post_config, in the parent: bring the store of repo in dir (NULL: the
 * default under DefaultRuntimeDir) up to date, or load repo into memory
 * when the store cannot be used; NULL (logged) when the repository cannot
 * be served at all. */
art_source_t *art_source_create(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s, const char *repo,
                                const char *dir, apr_size_t map_size);

/* child_init: open the store in this process. */
void art_source_child_init(apr_pool_t *pchild, art_source_t *src);

/* The version a request reads (NULL, logged, on failure); release it with
 * art_source_release when the answer is made. */
struct art_snapshot_t *art_source_acquire(art_source_t *src, request_rec *r,
                                          art_source_ref_t *ref);
void art_source_release(art_source_t *src, art_source_ref_t *ref);

/* The in-memory snapshots of a source without a store, else NULL. */
art_gen_t *art_source_memory(art_source_t *src);
const char *art_source_repo(const art_source_t *src);

/* Bring the store up to date if the repository changed, interval has
 * passed since this process last looked and every since any process of the
 * server did (0: look anyway); the reload watcher calls it. */
void art_source_check(art_source_t *src, server_rec *s,
                      apr_interval_time_t interval, apr_interval_time_t every);

/* The watcher keeps src current (mod_articles_reload.c), like
 * art_reload_watch does a folder held by an art_gen_t. */
void art_reload_watch_source(request_rec *r, art_source_t *src,
                             apr_interval_time_t interval);

/* art_lua_request_fn: push the articles.Request object `r` for req. */
void art_request_push(lua_State *L, art_req_t *req);
/* status when a filter may return it (lua/README.md), else 500 after
 * logging why. */
int art_request_status(art_req_t *req, int status);

#endif
