/* mod_articles_config.h: the module's configuration, as the other glue files
 * read it.
 *
 * Directives fill the two records below; unset fields stay unset through
 * create and merge, and the getters are the one place a default is applied,
 * so "what is ArticlesPageSize here" has one answer wherever it is asked.
 */
#ifndef MOD_ARTICLES_CONFIG_H
#define MOD_ARTICLES_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "art_lua.h"

extern module AP_MODULE_DECLARE_DATA articles_module;

/* Per directory (<Location>) settings. */
typedef struct art_dir_conf_t {
    const char *base;                 /* the <Location> path */
    const char *repository;
    const char *store;                /* ArticlesStore; NULL: the default */
    const char *templates;
    apr_array_header_t *filters;      /* art_filter_t; NULL: inherit */
    int page_size;                    /* -1: unset, as all below */
    apr_interval_time_t reload;
    long instructions;
    apr_interval_time_t timeout;
    int cache;                        /* ArticlesCache: 0 or 1 */
    int preview;                      /* ArticlesPreview: 0 or 1 */
    const char *cache_control;        /* ArticlesCacheControl; "": none */
} art_dir_conf_t;

/* Server-wide settings. */
typedef struct art_srv_conf_t {
    apr_size_t max_file_size;         /* 0: unset */
    apr_size_t lua_memory;            /* 0: unset */
    apr_array_header_t *lua_path;     /* const char *; NULL: unset */
    apr_array_header_t *redirect_hosts; /* const char *; NULL: unset */
    apr_size_t cache_size;            /* ArticlesCacheSize; 0: unset */
    apr_size_t store_size;            /* ArticlesStoreSize; 0: unset */
    const char *socache;              /* ArticlesCacheSocache; NULL: unset,
                                         "none": the per-process cache */
} art_srv_conf_t;

/* The module's directives and its create/merge functions (AP_DECLARE_MODULE). */
extern const command_rec art_config_cmds[];
void *art_config_create_dir(apr_pool_t *p, char *dir);
void *art_config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *art_config_create_srv(apr_pool_t *p, server_rec *s);
void *art_config_merge_srv(apr_pool_t *p, void *basev, void *addv);

/* The records of a request's location and of a server. */
const art_dir_conf_t *art_config_dir(const request_rec *r);
const art_srv_conf_t *art_config_srv(const server_rec *s);

/* Every repository and template folder any directive names, in the order
 * first named, no repeats; NULL when none.  Valid until the configuration
 * pool is cleared. */
const apr_array_header_t *art_config_repositories(void);

/* The ArticlesStore folder of a repository (from the first location that
 * names both), NULL for the default. */
const char *art_config_store(const char *repository);
const apr_array_header_t *art_config_template_dirs(void);

/* The settings, defaults applied. */
int art_config_page_size(const art_dir_conf_t *c);
apr_interval_time_t art_config_reload(const art_dir_conf_t *c);
int art_config_cache(const art_dir_conf_t *c);
int art_config_preview(const art_dir_conf_t *c);
/* A request's filter budgets (memory is per state: 0 here). */
void art_config_request_limits(const art_dir_conf_t *c, art_lua_limits_t *lim);
apr_size_t art_config_max_file_size(const art_srv_conf_t *s);
apr_size_t art_config_lua_memory(const art_srv_conf_t *s);
apr_size_t art_config_cache_size(const art_srv_conf_t *s);
apr_size_t art_config_store_size(const art_srv_conf_t *s);   /* 0: default */

/* The Cache-Control header of pages here, NULL for none. */
const char *art_config_cache_control(const art_dir_conf_t *c);
/* "provider[:args]" of the shared response cache, or NULL for the
 * per-process one. */
const char *art_config_socache(const art_srv_conf_t *s);
/* The ArticlesMaxFileSize of the servers whose locations name the repository
 * at path (merged: a virtual host's own or the main server's).  One snapshot
 * serves them all, so when they differ the largest wins and a warning on
 * main_s says so. */
apr_size_t art_config_repo_max_file_size(server_rec *main_s, const char *path);

/* art_repo_log_fn: one error-log line for a repository file, on server baton. */
void art_config_log(void *baton, int fatal, const char *tag, const char *file,
                    int line, const char *reason);

#endif
