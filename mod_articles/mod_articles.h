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

/* art_lua_request_fn: push the articles.Request object `r` for req. */
void art_request_push(lua_State *L, art_req_t *req);
/* status when a filter may return it (lua/README.md), else 500 after
 * logging why. */
int art_request_status(art_req_t *req, int status);

#endif
