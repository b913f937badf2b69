/* mod_articles.c: the httpd glue: directives, start-up, routing and the handler.
 *
 * At configuration time each ArticlesRepository is checked (site.xml and
 * authors.xml), so "apachectl configtest" fails on a broken site.  In post_config,
 * in the parent before children are forked, every repository is loaded into a
 * snapshot and every template folder compiled; children share both through
 * copy-on-write.  A request routes its path to a page, takes a Lua state, builds
 * and filters the page table, renders the template, and answers with a strong
 * ETag made from the bytes it sends.  Repositories and templates that change on
 * disk are reloaded by the process that notices, at most once per
 * ArticlesReloadInterval; a broken reload keeps the previous generation.
 */
#include <limits.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "util_cookies.h"
#include "util_script.h"
#include "ap_expr.h"

#define ART_DECLARES_MODULE

#include <apr_strings.h>
#include <apr_hash.h>

#include <lauxlib.h>

#include "art_cache.h"
#include "art_gen.h"
#include "art_index.h"
#include "art_lua.h"
#include "art_negotiate.h"
#include "art_repo.h"
#include "art_tplset.h"
#include "mod_articles.h"

#define UNSET -1
#define DEFAULT_PAGE_SIZE 10
#define DEFAULT_RELOAD apr_time_from_sec(5)
#define DEFAULT_LUA_MEMORY (32 * 1024 * 1024)
#define DEFAULT_LUA_INSTRUCTIONS 10000000L
#define DEFAULT_LUA_TIMEOUT apr_time_from_msec(500)
#define DEFAULT_CACHE_SIZE (64 * 1024 * 1024)
#define RENDER_LIMIT (16 * 1024 * 1024)
#define FEED_SIZE 20

/* ---------------------------------------------------------------- configuration */

typedef struct art_dir_conf_t {
    const char *base;                 /* the <Location> path */
    const char *repository;
    const char *templates;
    apr_array_header_t *filters;      /* art_filter_t; NULL: inherit */
    int page_size;
    apr_interval_time_t reload;
    long instructions;
    apr_interval_time_t timeout;
    int cache;                        /* ArticlesCache: UNSET, 0 or 1 */
} art_dir_conf_t;


/* What one configuration generation loaded; rebuilt by post_config. */
typedef struct art_runtime_t {
    apr_hash_t *repos;               /* path -> art_gen_t (snapshots) */
    apr_hash_t *tplsets;             /* path -> art_gen_t (template sets) */
    apr_hash_t *luas;                /* server_rec * -> art_lua_host_t */
    apr_hash_t *max_file;            /* path -> apr_size_t *, repositories */
} art_runtime_t;

static art_runtime_t *runtime;

/* This process's response cache (ArticlesCache), made at child start. */
static art_cache_t *cache;

/* The paths of every <Location> that says "SetHandler articles", longest first:
 * a child location that only sets the handler has no configuration of this
 * module (httpd creates one only where a module's directive appears), so the
 * mount point of a request is found here instead. */
static apr_array_header_t *mounts;

/* Repository and template folders named by any directive, in order; reset with
 * the configuration pool. */
static apr_array_header_t *conf_repos;
static apr_array_header_t *conf_tpls;

/* Each (repository, server) that an ArticlesRepository names: the loader uses
 * the ArticlesMaxFileSize of the virtual host that names the repository. */
typedef struct repo_user_t {
    const char *path;
    server_rec *s;
} repo_user_t;
static apr_array_header_t *conf_repo_users;

static apr_status_t reset_lists(void *data)
{
    (void)data;
    conf_repos = NULL;
    conf_repo_users = NULL;
    conf_tpls = NULL;
    runtime = NULL;
    mounts = NULL;
    return APR_SUCCESS;
}

static void remember(apr_pool_t *p, apr_array_header_t **list, const char *path)
{
    int i;

    if (*list == NULL) {
        *list = apr_array_make(p, 2, sizeof(const char *));
        apr_pool_cleanup_register(p, NULL, reset_lists, apr_pool_cleanup_null);
    }
    for (i = 0; i < (*list)->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(*list, i, const char *), path) == 0) {
            return;
        }
    }
    APR_ARRAY_PUSH(*list, const char *) = path;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    art_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));
    apr_size_t n;

    if (dir && dir[0] == '/') {
        char *b = apr_pstrdup(p, dir);
        n = strlen(b);
        while (n > 0 && b[n - 1] == '/') {
            b[--n] = '\0';
        }
        c->base = b;
    }
    c->page_size = UNSET;
    c->reload = UNSET;
    c->instructions = UNSET;
    c->timeout = UNSET;
    c->cache = UNSET;
    return c;
}

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    art_dir_conf_t *b = basev, *a = addv;
    art_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->base = a->base ? a->base : b->base;
    c->repository = a->repository ? a->repository : b->repository;
    c->templates = a->templates ? a->templates : b->templates;
    /* A location that names filters replaces the inherited list as a whole:
     * filters depend on each other's order, so splicing lists would surprise. */
    c->filters = a->filters ? a->filters : b->filters;
    c->page_size = a->page_size != UNSET ? a->page_size : b->page_size;
    c->reload = a->reload != UNSET ? a->reload : b->reload;
    c->instructions = a->instructions != UNSET ? a->instructions : b->instructions;
    c->timeout = a->timeout != UNSET ? a->timeout : b->timeout;
    c->cache = a->cache != UNSET ? a->cache : b->cache;
    return c;
}

static void *create_srv_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(art_srv_conf_t));
}

static void *merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    art_srv_conf_t *b = basev, *a = addv;
    art_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->max_file_size = a->max_file_size ? a->max_file_size : b->max_file_size;
    c->lua_memory = a->lua_memory ? a->lua_memory : b->lua_memory;
    c->lua_path = a->lua_path ? a->lua_path : b->lua_path;
    c->redirect_hosts = a->redirect_hosts ? a->redirect_hosts : b->redirect_hosts;
    c->cache_size = a->cache_size ? a->cache_size : b->cache_size;
    return c;
}

static int page_size(const art_dir_conf_t *c)
{
    return c->page_size == UNSET ? DEFAULT_PAGE_SIZE : c->page_size;
}

static apr_interval_time_t reload_interval(const art_dir_conf_t *c)
{
    return c->reload == UNSET ? DEFAULT_RELOAD : c->reload;
}

apr_size_t art_max_file_size(const art_srv_conf_t *s)
{
    return s->max_file_size ? s->max_file_size : ART_REPO_DEFAULT_MAX_FILE;
}

/* ---------------------------------------------------------------- directives */

void art_config_log(void *baton, int fatal, const char *tag, const char *file,
                    int line, const char *reason)
{
    server_rec *s = baton;

    if (line > 0) {
        ap_log_error(APLOG_MARK, fatal ? APLOG_CRIT : APLOG_ERR, 0, s,
                     "%s: %s:%d: %s", tag, file, line, reason);
    }
    else {
        ap_log_error(APLOG_MARK, fatal ? APLOG_CRIT : APLOG_ERR, 0, s,
                     "%s: %s: %s", tag, file, reason);
    }
}

static const char *set_repository(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    art_repo_opts_t o = { art_max_file_size(sc), NULL, NULL };
    char *err = NULL;

    if (path == NULL) {
        return apr_pstrcat(cmd->pool, "ArticlesRepository: invalid path ", arg, NULL);
    }
    if (art_repo_init(cmd->pool, &err) != APR_SUCCESS
        || art_repo_check_site(cmd->temp_pool, path, &o, &err) != APR_SUCCESS) {
        return apr_pstrcat(cmd->pool, "ArticlesRepository ", path, ": ", err, NULL);
    }
    c->repository = path;
    remember(cmd->pool, &conf_repos, path);
    if (conf_repo_users == NULL) {
        conf_repo_users = apr_array_make(cmd->pool, 2, sizeof(repo_user_t));
    }
    APR_ARRAY_PUSH(conf_repo_users, repo_user_t).path = path;
    APR_ARRAY_IDX(conf_repo_users, conf_repo_users->nelts - 1, repo_user_t).s =
        cmd->server;
    return NULL;
}

static const char *set_templates(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    if (path == NULL || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool)
        != APR_SUCCESS || fi.filetype != APR_DIR) {
        return apr_pstrcat(cmd->pool, "ArticlesTemplates: ", arg,
                           " is not a readable folder", NULL);
    }
    c->templates = path;
    remember(cmd->pool, &conf_tpls, path);
    return NULL;
}

static const char *add_filter(cmd_parms *cmd, void *dc, const char *file,
                              const char *function)
{
    art_dir_conf_t *c = dc;
    art_filter_t *f;
    apr_finfo_t fi;

    if (strcasecmp(file, "none") == 0 && function == NULL) {
        c->filters = apr_array_make(cmd->pool, 1, sizeof(art_filter_t));
        return NULL;
    }
    file = ap_server_root_relative(cmd->pool, file);
    if (file == NULL || apr_stat(&fi, file, APR_FINFO_TYPE, cmd->temp_pool)
        != APR_SUCCESS || fi.filetype != APR_REG) {
        return apr_pstrcat(cmd->pool, "ArticlesFilter: cannot read ",
                           file ? file : "(invalid path)", NULL);
    }
    if (c->filters == NULL) {
        c->filters = apr_array_make(cmd->pool, 4, sizeof(art_filter_t));
    }
    f = apr_array_push(c->filters);
    f->file = file;
    f->function = function;
    return NULL;
}

/* arg as a whole decimal number within [min, max]; 0 when it is not one. */
static int parse_number(const char *arg, long min, long max, long *out)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (end == arg || *end || v < min || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

static const char *set_page_size(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    long v;

    (void)cmd;
    if (!parse_number(arg, 1, 1000, &v)) {
        return "ArticlesPageSize must be a number from 1 to 1000";
    }
    c->page_size = (int)v;
    return NULL;
}

static const char *set_reload(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    long v;

    (void)cmd;
    if (strcasecmp(arg, "off") == 0) {
        c->reload = 0;
        return NULL;
    }
    if (!parse_number(arg, 0, 86400, &v)) {
        return "ArticlesReloadInterval must be Off or seconds from 0 to 86400";
    }
    c->reload = apr_time_from_sec(v);
    return NULL;
}

static const char *set_instructions(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    long v;

    (void)cmd;
    if (!parse_number(arg, 1000, LONG_MAX, &v)) {
        return "ArticlesLuaInstructions must be a number of at least 1000";
    }
    c->instructions = v;
    return NULL;
}

static const char *set_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    long v;

    (void)cmd;
    if (!parse_number(arg, 1, 60000, &v)) {
        return "ArticlesLuaTimeout must be milliseconds from 1 to 60000";
    }
    c->timeout = apr_time_from_msec(v);
    return NULL;
}

static const char *set_size(const char *arg, apr_size_t min, apr_size_t *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (v <= 0 || end == arg) {
        return "must be a size such as 1048576, 512K or 32M";
    }
    if (*end == 'k' || *end == 'K') {
        v *= 1024;
        end++;
    }
    else if (*end == 'm' || *end == 'M') {
        v *= 1024 * 1024;
        end++;
    }
    if (*end || (apr_size_t)v < min) {
        return "must be a size such as 1048576, 512K or 32M (and not tiny)";
    }
    *out = (apr_size_t)v;
    return NULL;
}

static const char *set_max_file(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *err = set_size(arg, 1024, &sc->max_file_size);

    (void)dc;
    return err ? apr_pstrcat(cmd->pool, "ArticlesMaxFileSize ", err, NULL) : NULL;
}

static const char *set_lua_memory(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *err = set_size(arg, 1024 * 1024, &sc->lua_memory);

    (void)dc;
    return err ? apr_pstrcat(cmd->pool, "ArticlesLuaMemory ", err, NULL) : NULL;
}

static const char *set_cache(cmd_parms *cmd, void *dc, int on)
{
    art_dir_conf_t *c = dc;

    (void)cmd;
    c->cache = on ? 1 : 0;
    return NULL;
}

static const char *set_cache_size(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *err = set_size(arg, 64 * 1024, &sc->cache_size);

    (void)dc;
    if (err == NULL && cmd->server->is_virtual) {
        err = "is per process: set it in the main server only";
    }
    return err ? apr_pstrcat(cmd->pool, "ArticlesCacheSize ", err, NULL) : NULL;
}

static const char *add_lua_path(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *path = ap_server_root_relative(cmd->pool, arg);

    (void)dc;
    if (path == NULL) {
        return "ArticlesLuaPath: invalid path";
    }
    if (sc->lua_path == NULL) {
        sc->lua_path = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(sc->lua_path, const char *) = path;
    return NULL;
}

static const char *add_redirect_host(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);

    (void)dc;
    if (sc->redirect_hosts == NULL) {
        sc->redirect_hosts = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(sc->redirect_hosts, const char *) = arg;
    return NULL;
}

static const command_rec articles_cmds[] = {
    AP_INIT_TAKE1("ArticlesRepository", set_repository, NULL, OR_NONE | ACCESS_CONF,
                  "folder of the XML article repository (site.xml, authors.xml, "
                  "collections)"),
    AP_INIT_TAKE1("ArticlesTemplates", set_templates, NULL, OR_NONE | ACCESS_CONF,
                  "folder of the Mustache templates (NAME.mustache)"),
    AP_INIT_TAKE12("ArticlesFilter", add_filter, NULL, OR_NONE | ACCESS_CONF,
                   "a Lua filter file, optionally with the name of its function; "
                   "repeat for more, in order; 'none' clears inherited filters"),
    AP_INIT_TAKE1("ArticlesPageSize", set_page_size, NULL, OR_NONE | ACCESS_CONF,
                  "articles per list page (default 10)"),
    AP_INIT_TAKE1("ArticlesReloadInterval", set_reload, NULL, OR_NONE | ACCESS_CONF,
                  "seconds between checks of the repository and templates for "
                  "changes, or Off (default 5)"),
    AP_INIT_TAKE1("ArticlesLuaInstructions", set_instructions, NULL,
                  OR_NONE | ACCESS_CONF,
                  "Lua VM instructions a request's filters may run (default "
                  "10000000)"),
    AP_INIT_TAKE1("ArticlesLuaTimeout", set_timeout, NULL, OR_NONE | ACCESS_CONF,
                  "milliseconds a request's filters may take (default 500)"),
    AP_INIT_TAKE1("ArticlesMaxFileSize", set_max_file, NULL, RSRC_CONF,
                  "largest repository file read, bytes or with K/M (default 1M)"),
    AP_INIT_TAKE1("ArticlesLuaMemory", set_lua_memory, NULL, RSRC_CONF,
                  "memory cap of one Lua state, bytes or with K/M (default 32M)"),
    AP_INIT_FLAG("ArticlesCache", set_cache, NULL, OR_NONE | ACCESS_CONF,
                 "keep rendered pages per process, keyed by URL and by what the "
                 "filters read of the request (default Off)"),
    AP_INIT_TAKE1("ArticlesCacheSize", set_cache_size, NULL, RSRC_CONF,
                  "bytes of rendered pages each process may keep, or with K/M "
                  "(default 64M)"),
    AP_INIT_ITERATE("ArticlesLuaPath", add_lua_path, NULL, RSRC_CONF,
                    "folders searched by require() after the filter's own"),
    AP_INIT_ITERATE("ArticlesRedirectHosts", add_redirect_host, NULL, RSRC_CONF,
                    "hosts besides the request's own that r:redirect may send "
                    "readers to"),
    { NULL }
};

/* ---------------------------------------------------------------- start-up */

/* The first word of a directive's arguments, without quotes. */
static char *first_arg(apr_pool_t *p, const char *args)
{
    return ap_getword_conf(p, &args);
}

static void find_mounts(apr_pool_t *p, ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (strcasecmp(d->directive, "<Location") == 0 && d->args) {
            ap_directive_t *c;
            char *path = first_arg(p, d->args);
            apr_size_t n = strlen(path);

            if (n && path[n - 1] == '>') {
                path[--n] = '\0';
            }
            while (n > 0 && path[n - 1] == '/') {
                path[--n] = '\0';
            }
            for (c = d->first_child; c; c = c->next) {
                if (strcasecmp(c->directive, "SetHandler") == 0 && c->args
                    && strcasecmp(first_arg(p, c->args), "articles") == 0) {
                    APR_ARRAY_PUSH(mounts, const char *) = path;
                }
            }
        }
        else if (d->first_child) {
            find_mounts(p, d->first_child);
        }
    }
}

static int longest_first(const void *a, const void *b)
{
    apr_size_t la = strlen(*(const char *const *)a);
    apr_size_t lb = strlen(*(const char *const *)b);

    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The mount point of r: the longest "SetHandler articles" location that is a
 * path prefix of the URI, else the location of the ArticlesRepository. */
static const char *mount_point(request_rec *r, const art_dir_conf_t *c)
{
    int i;

    for (i = 0; mounts && i < mounts->nelts; i++) {
        const char *m = APR_ARRAY_IDX(mounts, i, const char *);
        apr_size_t n = strlen(m);
        if (strncmp(r->uri, m, n) == 0 && (r->uri[n] == '/' || r->uri[n] == '\0')) {
            return m;
        }
    }
    return c->base ? c->base : "";
}

static void lua_log(art_req_t *req, int level, const char *msg)
{
    request_rec *r = req->r;

    ap_log_rerror(APLOG_MARK, level, 0, r, "%s", msg);
}

/* The ArticlesMaxFileSize of the servers whose locations name the repository
 * at path (merged: a virtual host's own or the main server's).  One snapshot
 * serves them all, so when they differ the largest wins and the others are
 * told. */
static apr_size_t repo_max_file_size(server_rec *main_s, const char *path)
{
    apr_size_t max = 0, v;
    int i, differ = 0;

    for (i = 0; conf_repo_users && i < conf_repo_users->nelts; i++) {
        const repo_user_t *u = &APR_ARRAY_IDX(conf_repo_users, i, repo_user_t);

        if (strcmp(u->path, path) != 0) {
            continue;
        }
        v = art_max_file_size(ap_get_module_config(u->s->module_config,
                                                   &articles_module));
        differ |= max && v != max;
        max = v > max ? v : max;
    }
    if (differ) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_s, "ART0017: virtual "
                     "hosts sharing %s set different ArticlesMaxFileSize; the "
                     "largest, %" APR_SIZE_T_FMT ", applies to all", path, max);
    }
    return max ? max : art_max_file_size(ap_get_module_config(
        main_s->module_config, &articles_module));
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    art_lua_host_opts_t lo;
    server_rec *v;
    char *err = NULL;
    int i;

    (void)plog;
    /* httpd reads its configuration twice at start; the first pass only checks
     * it, and loading a large repository twice would double start-up time. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    mounts = apr_array_make(pconf, 4, sizeof(const char *));
    find_mounts(pconf, ap_conftree);
    qsort(mounts->elts, (size_t)mounts->nelts, sizeof(const char *), longest_first);
    runtime = apr_pcalloc(pconf, sizeof(*runtime));
    runtime->repos = apr_hash_make(pconf);
    runtime->tplsets = apr_hash_make(pconf);
    runtime->max_file = apr_hash_make(pconf);
    if (conf_repos == NULL) {
        apr_pool_cleanup_register(pconf, NULL, reset_lists, apr_pool_cleanup_null);
    }

    for (i = 0; conf_repos && i < conf_repos->nelts; i++) {
        const char *path = APR_ARRAY_IDX(conf_repos, i, const char *);
        apr_size_t *max = apr_palloc(pconf, sizeof(*max));
        art_repo_opts_t o = { 0, art_config_log, s };
        art_snapshot_t *snap;
        apr_time_t t0 = apr_time_now();

        *max = o.max_file_size = repo_max_file_size(s, path);
        apr_hash_set(runtime->max_file, path, APR_HASH_KEY_STRING, max);

        if (art_repo_load(ptemp, path, &o, &snap, &err) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0001: cannot load "
                         "repository %s: %s", path, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "ART0002: loaded %s: %d "
                     "articles, %d files skipped, %" APR_SIZE_T_FMT " bytes of "
                     "XML in %" APR_TIME_T_FMT " ms", path, snap->all.n,
                     snap->nerrors, snap->xml_bytes,
                     apr_time_as_msec(apr_time_now() - t0));
        apr_hash_set(runtime->repos, path, APR_HASH_KEY_STRING,
                     art_gen_create(pconf, snap, snap->pool));
    }
    for (i = 0; conf_tpls && i < conf_tpls->nelts; i++) {
        const char *path = APR_ARRAY_IDX(conf_tpls, i, const char *);
        art_tplset_t *set;

        if (art_tplset_load(ptemp, path, &set, &err) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0003: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_hash_set(runtime->tplsets, path, APR_HASH_KEY_STRING,
                     art_gen_create(pconf, set, set->pool));
    }

    /* Lua states with each virtual host's ArticlesLuaMemory and
     * ArticlesLuaPath; hosts that set neither share the main server's. */
    runtime->luas = apr_hash_make(pconf);
    for (v = s; v; v = v->next) {
        art_srv_conf_t *vc = ap_get_module_config(v->module_config,
                                                  &articles_module);
        art_lua_host_t *host = NULL;
        server_rec *u;

        for (u = s; u != v && host == NULL; u = u->next) {
            art_srv_conf_t *uc = ap_get_module_config(u->module_config,
                                                      &articles_module);
            if (uc->lua_memory == vc->lua_memory && uc->lua_path == vc->lua_path) {
                host = apr_hash_get(runtime->luas, &u, sizeof(u));
            }
        }
        if (host == NULL) {
            memset(&lo, 0, sizeof(lo));
            lo.limits.memory = vc->lua_memory ? vc->lua_memory
                : DEFAULT_LUA_MEMORY;
            lo.lua_path = vc->lua_path;
            lo.push_request = art_request_push;
            lo.log = lua_log;
            host = art_lua_host_create(pconf, &lo);
        }
        apr_hash_set(runtime->luas, apr_pmemdup(pconf, &v, sizeof(v)),
                     sizeof(v), host);
    }
    return OK;
}

apr_size_t art_repo_max_file(server_rec *s, const char *path)
{
    apr_size_t *max = runtime ? apr_hash_get(runtime->max_file, path,
                                             APR_HASH_KEY_STRING) : NULL;

    return max ? *max : art_max_file_size(ap_get_module_config(s->module_config,
                                                               &articles_module));
}

/* The Lua states of r's virtual host. */
static art_lua_host_t *lua_host(request_rec *r)
{
    server_rec *s = r->server;

    return apr_hash_get(runtime->luas, &s, sizeof(s));
}

/* ---------------------------------------------------------------- routing */

#define MAX_SEGMENTS 4

/* Split a path ("/en/news/") into segments; *trailing is set when it ends in
 * "/".  Returns the number of segments, or -1 for an empty segment ("//") or a
 * path deeper than any page. */
static int split_path(apr_pool_t *pool, const char *path, char **seg,
                      int *trailing)
{
    const char *s = path + 1, *e;
    int n = 0;

    *trailing = 0;
    while (*s) {
        e = strchr(s, '/');
        if (e == s || n == MAX_SEGMENTS) {
            return -1;
        }
        if (e == NULL) {
            seg[n++] = apr_pstrdup(pool, s);
            return n;
        }
        seg[n++] = apr_pstrmemdup(pool, s, (apr_size_t)(e - s));
        s = e + 1;
        if (*s == '\0') {
            *trailing = 1;
        }
    }
    return n;
}

/* ?page=N: 1 when absent, 0 when malformed. */
static int page_param(request_rec *r)
{
    const char *a = r->args, *v;
    long n = 0;

    if (a == NULL || *a == '\0') {
        return 1;
    }
    v = strstr(a, "page=");
    if (v == NULL || (v != a && v[-1] != '&')) {
        return 1;
    }
    for (v += 5; *v && *v != '&'; v++) {
        if (*v < '0' || *v > '9' || n > 100000000L) {
            return 0;
        }
        n = n * 10 + (*v - '0');
    }
    return (int)n;
}

static void set_list(art_req_t *req, const art_list_t *list, int psize, int page)
{
    int n = list ? list->n : 0;

    req->list = list;
    req->page_count = n ? (n + psize - 1) / psize : 1;
    req->page_no = page;
    req->offset = (page - 1) * psize;
    req->count = psize;
    if (page < 1 || page > req->page_count) {
        req->kind = "error";
        req->status = HTTP_NOT_FOUND;
        req->list = NULL;
    }
}

static void not_found(art_req_t *req)
{
    req->kind = "error";
    req->status = HTTP_NOT_FOUND;
    req->article = NULL;
    req->collection = NULL;
    req->author = NULL;
    req->tag = NULL;
    req->list = NULL;
}

static int redirect_slash(request_rec *r, art_req_t *req)
{
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, req->base, req->path, "/", NULL));
    return HTTP_MOVED_PERMANENTLY;
}

/* /<lang>/search?q=…: one page of BM25 results from the snapshot's text index.
 * An empty query is the search form alone; pages past the results are 404. */
static void search_page(request_rec *r, art_req_t *req, int psize, int page)
{
    apr_table_t *args = NULL;
    const char *q;
    art_index_hit_t *hits = apr_palloc(r->pool, sizeof(*hits) * (apr_size_t)psize);
    art_list_t *list = apr_pcalloc(r->pool, sizeof(*list));
    int i, n = 0, total = 0;

    ap_args_to_table(r, &args);
    q = args ? apr_table_get(args, "q") : NULL;
    req->query = q ? q : "";
    if (page >= 1 && *req->query && req->snap->text) {
        n = art_index_search(req->snap->text, req->lang->code, req->query,
                             strlen(req->query), psize, (page - 1) * psize, hits,
                             &total);
    }
    if (total > ART_INDEX_WINDOW_MAX) {
        total = ART_INDEX_WINDOW_MAX;
    }
    list->items = apr_palloc(r->pool, sizeof(art_article_t *) * (apr_size_t)psize);
    for (i = 0; i < n; i++) {
        list->items[list->n++] = req->snap->all.items[hits[i].doc];
    }
    req->kind = "search";
    req->total = total;
    req->list = list;
    req->offset = 0;
    req->count = list->n;
    req->page_no = page;
    req->page_count = total ? (total + psize - 1) / psize : 1;
    if (page < 1 || page > req->page_count) {
        not_found(req);
    }
}

/* Route the segments of a path below the mount point (see route()). */
static int route_segments(request_rec *r, art_req_t *req, const art_dir_conf_t *c,
                          char **seg, int n, int trailing, int page)
{
    const art_snapshot_t *snap = req->snap;
    const char *lang;
    int psize = page_size(c);

    if (n > 0 && art_snapshot_lang(snap, seg[0]) != NULL) {
        req->lang = art_snapshot_lang(snap, seg[0]);
    }
    if (n < 0 || art_snapshot_lang(snap, seg[0]) == NULL) {
        not_found(req);
        return 0;
    }
    lang = req->lang->code;
    if (n == 1) {
        if (!trailing) {
            return redirect_slash(r, req);
        }
        req->kind = "index";
        set_list(req, art_snapshot_list(snap->by_lang, lang, NULL), psize, page);
        return 0;
    }
    if (strcmp(seg[1], "authors") == 0) {
        if (n == 2 && trailing) {
            req->kind = "authors";
            return 0;
        }
        if (n == 2) {
            return redirect_slash(r, req);
        }
        req->author = apr_hash_get(snap->author_by_id, seg[2], APR_HASH_KEY_STRING);
        if (n != 3 || trailing || req->author == NULL) {
            not_found(req);
            return 0;
        }
        req->kind = "author";
        set_list(req, art_snapshot_list(snap->by_author, lang, seg[2]), psize, page);
        return 0;
    }
    if (strcmp(seg[1], "tags") == 0) {
        const art_list_t *l = NULL;
        if (n == 3 && !trailing) {
            req->tag = art_tag_fold(r->pool, seg[2]);
            l = art_snapshot_list(snap->by_tag, lang, req->tag);
        }
        if (l == NULL) {
            not_found(req);
            return 0;
        }
        req->kind = "tag";
        set_list(req, l, psize, page);
        return 0;
    }
    if (strcmp(seg[1], "search") == 0 && n == 2 && !trailing) {
        search_page(r, req, psize, page);
        return 0;
    }
    req->collection = apr_hash_get(snap->collection_by_id, seg[1],
                                   APR_HASH_KEY_STRING);
    if (req->collection == NULL || n > 3) {
        not_found(req);
        return 0;
    }
    if (n == 2) {
        if (!trailing) {
            return redirect_slash(r, req);
        }
        req->kind = "collection";
        set_list(req, art_snapshot_list(snap->by_collection, lang, seg[1]), psize,
                 page);
        return 0;
    }
    req->article = art_snapshot_article(snap, lang, seg[2]);
    if (req->article == NULL || req->article->collection != req->collection
        || trailing) {
        not_found(req);
        return 0;
    }
    req->kind = "article";
    return 0;
}

/* Fill req from the path; returns 0 (page chosen, maybe the 404 page), -1 for
 * the root, or an HTTP status to send as is (redirects set Location).  A path
 * ending in "/feed.atom" is the feed of the list page it is appended to. */
static int route(request_rec *r, art_req_t *req, const art_dir_conf_t *c)
{
    char *seg[MAX_SEGMENTS];
    int trailing, n, rc, feed = 0, page = page_param(r);

    req->status = HTTP_OK;
    req->lang = art_snapshot_lang(req->snap, req->snap->site->default_lang);
    n = split_path(r->pool, req->path, seg, &trailing);
    if (n == 0) {
        return -1;
    }
    if (n == 1 && !trailing && strcmp(seg[0], "sitemap.xml") == 0) {
        req->kind = "sitemap";
        return 0;
    }
    if (n >= 2 && !trailing && strcmp(seg[n - 1], "feed.atom") == 0) {
        feed = 1;
        n--;
        /* As the list page's own URL is written: the index and collections
         * end in "/", author and tag pages do not. */
        trailing = n < 3;
        page = 1;
    }
    rc = route_segments(r, req, c, seg, n, trailing, page);
    if (rc == 0 && req->tag) {
        /* A tag has one URL, made from its folded key: other spellings
         * ("Kabul", "زبان دری") are sent there, and every link the page makes
         * (canonical, alternates, pager) starts from it. */
        const char *canon = apr_pstrcat(r->pool, "/", req->lang->code, "/tags/",
                                        art_url_segment(r->pool, req->tag),
                                        NULL);
        if (strcmp(seg[2], req->tag) != 0) {
            apr_table_setn(r->headers_out, "Location",
                           apr_pstrcat(r->pool, req->base, canon,
                                       feed ? "/feed.atom" : "",
                                       r->args ? "?" : "",
                                       r->args ? r->args : "", NULL));
            return HTTP_MOVED_PERMANENTLY;
        }
        req->path = feed ? apr_pstrcat(r->pool, canon, "/feed.atom", NULL) : canon;
    }
    if (feed && rc == 0) {
        if (req->list && (strcmp(req->kind, "index") == 0
                          || strcmp(req->kind, "collection") == 0
                          || strcmp(req->kind, "author") == 0
                          || strcmp(req->kind, "tag") == 0)) {
            /* The list page's own URL: the feed's path without "feed.atom",
             * and without the "/" before it where that page has none. */
            apr_size_t len = strlen(req->path) - (sizeof("feed.atom") - 1);
            req->feed_page = apr_pstrmemdup(r->pool, req->path,
                                            trailing ? len : len - 1);
            req->feed_of = req->kind;
            req->kind = "feed";
            req->offset = 0;
            req->count = FEED_SIZE;
        }
        else {
            not_found(req);
        }
    }
    else if (feed) {
        not_found(req);
        rc = 0;
    }
    return rc;
}

/* The root: the index of the best language (cookie "lang", then
 * Accept-Language, then the default), which the filters may change
 * (lua/language.lua decides it as shipped) before the handler redirects. */
static void root_page(request_rec *r, art_req_t *req, const art_dir_conf_t *c)
{
    const art_site_t *site = req->snap->site;
    const char **codes = apr_palloc(r->pool, sizeof(char *) * site->langs->nelts);
    const char *cookie = NULL;
    int i, deflt = 0, best;

    for (i = 0; i < site->langs->nelts; i++) {
        codes[i] = APR_ARRAY_IDX(site->langs, i, art_lang_t).code;
        if (strcmp(codes[i], site->default_lang) == 0) {
            deflt = i;
        }
    }
    ap_cookie_read(r, "lang", &cookie, 0);
    if (cookie && art_snapshot_lang(req->snap, cookie)) {
        req->lang = art_snapshot_lang(req->snap, cookie);
    }
    else if ((best = art_negotiate(apr_table_get(r->headers_in, "Accept-Language"),
                                   codes, site->langs->nelts, deflt)) >= 0) {
        req->lang = art_snapshot_lang(req->snap, codes[best]);
    }
    req->root = 1;
    req->kind = "index";
    set_list(req, art_snapshot_list(req->snap->by_lang, req->lang->code, NULL),
             page_size(c), 1);
    /* Whatever the outcome, the answer depends on these headers. */
    apr_table_mergen(r->err_headers_out, "Vary", "Accept-Language, Cookie");
    apr_table_setn(r->err_headers_out, "Cache-Control", "private, max-age=0");
}

static int redirect_root(request_rec *r, art_req_t *req, const char *lang)
{
    if (lang == NULL || art_snapshot_lang(req->snap, lang) == NULL) {
        lang = req->lang->code;
    }
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, req->base, "/", lang, "/", NULL));
    return HTTP_MOVED_TEMPORARILY;
}

/* ---------------------------------------------------------------- the handler */

/* The media type of a page kind: feeds and the sitemap are XML. */
static const char *content_type(const char *kind)
{
    if (strcmp(kind, "feed") == 0) {
        return "application/atom+xml; charset=utf-8";
    }
    if (strcmp(kind, "sitemap") == 0) {
        return "application/xml; charset=utf-8";
    }
    return "text/html; charset=utf-8";
}

/* The status line, and the body unless the request's conditions make it a
 * 304 or the request is HEAD; headers are already on r. */
static int send_body(request_rec *r, int status, const char *data, apr_size_t len)
{
    int rc;

    r->status = status;
    if (status == HTTP_OK && (rc = ap_meets_conditions(r)) != OK) {
        r->status = HTTP_OK;
        return rc;
    }
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(data, (int)len, r);
    }
    /* The status is already on r; OK tells httpd the response is complete. */
    return OK;
}

/* Vary names every request header the filters read, so that shared caches
 * downstream keep the variants apart as ours does.  Pages carry it in
 * headers_out (and the cache keeps it with them); redirects and error
 * statuses in err_headers_out, the only table httpd sends with those. */
static void set_vary(request_rec *r, const art_req_t *req, apr_table_t *t)
{
    int i;

    for (i = 0; req->inputs && i < req->inputs->nelts; i++) {
        const art_cache_input_t *in = &APR_ARRAY_IDX(req->inputs, i,
                                                     art_cache_input_t);
        const char *name = in->kind == ART_INPUT_HEADER ? in->name
            : in->kind == ART_INPUT_COOKIE ? "Cookie" : NULL;
        const char *have = apr_table_get(t, "Vary");

        if (name && (have == NULL || !ap_find_token(r->pool, have, name))) {
            apr_table_merge(t, "Vary", name);
        }
    }
}

static void set_page_headers(request_rec *r, art_req_t *req, const char *kind,
                             art_buf_t *out, apr_time_t mtime)
{
    char etag[24];

    ap_set_content_type(r, content_type(kind));
    /* Copied: the snapshot may be gone before the headers are sent.  The
     * sitemap covers every language, so it has none. */
    if (strcmp(kind, "sitemap") != 0) {
        apr_table_set(r->headers_out, "Content-Language", req->lang->code);
    }
    apr_snprintf(etag, sizeof(etag), "\"%016" APR_UINT64_T_HEX_FMT "\"",
                 art_hash64(out->data, out->len, 0x61727469636c6573ULL));
    apr_table_setn(r->headers_out, "ETag", apr_pstrdup(r->pool, etag));
    set_vary(r, req, r->headers_out);
    ap_update_mtime(r, mtime);
    ap_set_last_modified(r);
}

/* ---------------------------------------------------------------- the cache */

static int cache_on(const art_dir_conf_t *c)
{
    return cache != NULL && c->cache == 1;
}

/* A cache key: what the configuration makes of a URL, then the URL.  The
 * merged configuration is made anew for each request, so it is named by what
 * it holds: the virtual host, repository, templates, the filter list (the
 * array of the <Location> that named it) and the page size.  The decoded path
 * may hold "?" (from %3F) and "\n", so each part of the URL is preceded by
 * its length: "/a?b" with "c" and "/a" with "b?c" are two keys. */
static const char *cache_key(request_rec *r, const art_dir_conf_t *c,
                             apr_size_t *klen)
{
    const char *host = r->hostname ? r->hostname : "";
    const char *args = r->args ? r->args : "";
    const char *k = apr_psprintf(r->pool, "%pp %pp %d %s\n%s\n"
                                 "%" APR_SIZE_T_FMT ":%s %" APR_SIZE_T_FMT ":%s"
                                 " %" APR_SIZE_T_FMT ":%s%s",
                                 (void *)r->server, (void *)c->filters,
                                 page_size(c), c->repository, c->templates,
                                 strlen(host), host, strlen(r->uri), r->uri,
                                 strlen(args), args, r->args ? "?" : "");

    *klen = strlen(k);
    return k;
}

static const char *cache_input(void *baton, char kind, const char *name)
{
    request_rec *r = baton;
    const char *val = NULL;

    switch (kind) {
    case ART_INPUT_HEADER:
        return apr_table_get(r->headers_in, name);
    case ART_INPUT_COOKIE:
        ap_cookie_read(r, name, &val, 0);
        return val;
    case ART_INPUT_METHOD:
        return r->method;
    }
    return NULL;
}

/* The entry is released (and may be freed by another thread's store or
 * eviction) as soon as this returns, while httpd reads the headers later:
 * what it keeps must be in the request pool.  apr_table_set copies names and
 * values; ap_set_content_type keeps the pointer, so it gets a copy; the body
 * is copied or sent by ap_rwrite before the entry is released. */
static int send_cached(request_rec *r, const art_cache_resp_t *resp)
{
    int i;

    for (i = 0; i < resp->nheaders; i++) {
        apr_table_set(r->headers_out, resp->headers[2 * i],
                      resp->headers[2 * i + 1]);
    }
    ap_set_content_type(r, apr_pstrdup(r->pool, resp->content_type));
    ap_update_mtime(r, resp->mtime);
    ap_set_last_modified(r);
    return send_body(r, resp->status, resp->body, resp->len);
}

/* Keep the page just built, with the headers it carries, unless a filter did
 * something its key cannot capture. */
static void cache_page(request_rec *r, const art_req_t *req, const char *key,
                       apr_size_t klen, const art_cache_gen_t *gen,
                       const art_buf_t *out, apr_time_t mtime)
{
    const apr_array_header_t *h = apr_table_elts(r->headers_out);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    const char **pairs = apr_palloc(r->pool, sizeof(char *) * 2 * (h->nelts + 1));
    art_cache_resp_t resp;
    int i, n = 0;

    if (req->uncacheable || req->status != HTTP_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r, "ART0015: not cached: %s",
                      req->uncacheable ? "a filter read what no key captures"
                      : "not a 200 page");
        return;
    }
    for (i = 0; i < h->nelts; i++) {
        /* Last-Modified is made again from mtime, Content-Length from the body. */
        if (e[i].key && e[i].val && strcasecmp(e[i].key, "Last-Modified") != 0
            && strcasecmp(e[i].key, "Content-Length") != 0) {
            pairs[2 * n] = e[i].key;
            pairs[2 * n + 1] = e[i].val;
            n++;
        }
    }
    resp.status = req->status;
    resp.content_type = r->content_type;
    resp.mtime = mtime;
    resp.headers = pairs;
    resp.nheaders = n;
    resp.body = out->data;
    resp.len = out->len;
    if (art_cache_store(cache, key, klen, gen, req->inputs, &resp)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r, "ART0014: cached %"
                      APR_SIZE_T_FMT " bytes", out->len);
    }
}

/* Run the filters on req's page (none for error pages: they must render even
 * when a filter is what failed) and render its template into out.  Returns 0,
 * a status a filter asked for, or 500 after logging why. */
static int build_page(request_rec *r, art_req_t *req, const art_dir_conf_t *c,
                      art_lstate_t *st, art_tplset_t *tpls, art_buf_t *out,
                      const char **kind)
{
    art_lua_limits_t lim;
    const art_tpl_t *tpl;
    char *err = NULL;
    int rc;

    lim.memory = 0;
    lim.instructions = c->instructions == UNSET ? DEFAULT_LUA_INSTRUCTIONS
        : c->instructions;
    lim.timeout = c->timeout == UNSET ? DEFAULT_LUA_TIMEOUT : c->timeout;
    rc = art_lua_run(st, req, req->status == HTTP_OK ? c->filters : NULL, &lim);
    if (rc > 0) {
        rc = art_request_status(req, rc);
    }
    if (rc == 0 && req->root) {
        rc = redirect_root(r, req, art_lua_page_string(st, req, "lang"));
    }
    else if (rc == 0) {
        *kind = art_lua_page_string(st, req, "kind");
        tpl = *kind ? art_tplset_resolve(tpls, *kind) : NULL;
        art_buf_init(out, r->pool, 16384);
        out->limit = RENDER_LIMIT;
        if (tpl == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0010: no template "
                          "%s.mustache in %s", *kind ? *kind : "(none)", tpls->dir);
            rc = HTTP_INTERNAL_SERVER_ERROR;
        }
        else if (art_tpl_render(tpl, art_lua_state(st), art_lua_page_index(st),
                                art_tplset_resolve, tpls, out, &err)
                 != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0011: rendering "
                          "%s.mustache failed: %s", *kind, err);
            rc = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    art_lua_finish(st);
    return rc;
}

static int articles_handler(request_rec *r)
{
    art_dir_conf_t *c;
    art_gen_t *sg, *tg;
    art_gen_ref_t *sref, *tref;
    art_snapshot_t *snap;
    art_tplset_t *tpls;
    art_req_t req;
    art_lstate_t *st;
    const char *kind = NULL;
    art_buf_t out;
    apr_size_t blen, klen = 0;
    const char *key = NULL;
    art_cache_gen_t gen;
    art_cache_entry_t *hit;
    int rc;

    if (strcmp(r->handler, "articles") != 0) {
        return DECLINED;
    }
    c = ap_get_module_config(r->per_dir_config, &articles_module);
    /* The Allow header of the 405 answer is made from this. */
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (runtime == NULL || c->repository == NULL || c->templates == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0008: SetHandler articles "
                      "needs ArticlesRepository and ArticlesTemplates here");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sg = apr_hash_get(runtime->repos, c->repository, APR_HASH_KEY_STRING);
    tg = apr_hash_get(runtime->tplsets, c->templates, APR_HASH_KEY_STRING);
    if (sg == NULL || tg == NULL) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    memset(&req, 0, sizeof(req));
    req.pool = r->pool;
    req.r = r;
    req.base = mount_point(r, c);
    blen = strlen(req.base);
    if (strncmp(r->uri, req.base, blen) != 0
        || (r->uri[blen] != '/' && r->uri[blen] != '\0')) {
        return HTTP_NOT_FOUND;
    }
    req.path = r->uri[blen] ? r->uri + blen : "/";

    art_reload_watch(r, sg, 0, c->repository, reload_interval(c));
    art_reload_watch(r, tg, 1, c->templates, reload_interval(c));
    snap = art_gen_acquire(sg, &sref);
    tpls = art_gen_acquire(tg, &tref);
    req.snap = snap;

    if (cache_on(c)) {
        gen.snapshot = art_gen_serial(sref);
        gen.templates = art_gen_serial(tref);
        gen.code = art_lua_code_gen(lua_host(r), reload_interval(c));
        key = cache_key(r, c, &klen);
        hit = art_cache_lookup(cache, key, klen, &gen, cache_input, r);
        if (hit) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "ART0013: served "
                          "from the cache");
            rc = send_cached(r, art_cache_response(hit));
            art_cache_release(cache, hit);
            art_gen_release(tg, tref);
            art_gen_release(sg, sref);
            return rc;
        }
    }

    rc = route(r, &req, c);
    if (rc < 0) {
        root_page(r, &req, c);
        rc = 0;
    }
    if (rc != 0) {
        art_gen_release(tg, tref);
        art_gen_release(sg, sref);
        return rc;
    }

    st = art_lua_acquire(lua_host(r), reload_interval(c));
    if (st == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0009: cannot create a Lua "
                      "state");
        rc = HTTP_INTERNAL_SERVER_ERROR;
    }
    else {
        rc = build_page(r, &req, c, st, tpls, &out, &kind);
        /* The code the page was made with, which may be newer than what the
         * lookup saw. */
        gen.code = art_lua_state_gen(st);
        if (rc == HTTP_NOT_FOUND && req.status == HTTP_OK) {
            /* A filter said 404: the 404 page of the page's language. */
            not_found(&req);
            rc = build_page(r, &req, c, st, tpls, &out, &kind);
        }
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "ART0012: Lua state holds "
                      "%" APR_SIZE_T_FMT " bytes", art_lua_memory(st));
        art_lua_release(lua_host(r), st);
    }
    if (rc == 0) {
        apr_time_t mtime = snap->mtime > tpls->mtime ? snap->mtime : tpls->mtime;
        set_page_headers(r, &req, kind, &out, mtime);
        if (key) {
            cache_page(r, &req, key, klen, &gen, &out, mtime);
        }
        rc = send_body(r, req.status, out.data, out.len);
    }
    else {
        /* httpd sends only err_headers_out with a redirect or an error
         * status: what the filters set goes there (a cookie with a redirect,
         * Retry-After with a 503), and Vary for what they read.  A 500 is
         * the module's report of a failure, not the filters' answer. */
        if (rc != HTTP_INTERNAL_SERVER_ERROR) {
            r->err_headers_out = apr_table_overlay(r->pool, r->err_headers_out,
                                                   r->headers_out);
        }
        set_vary(r, &req, r->err_headers_out);
    }
    art_gen_release(tg, tref);
    art_gen_release(sg, sref);
    return rc;
}

/* Pages of this module are not files: a URI under "SetHandler articles" is
 * not mapped to the file system.  Besides a stat per request, this keeps
 * mod_dir from answering "/" with a DirectoryIndex of the DocumentRoot that
 * the <Location> happens to cover (DirectoryCheckHandler is Off by default).
 * translate_name is the last phase that sees the <Location> configuration
 * before map_to_storage runs (with the server's defaults), so it marks the
 * request the way mod_proxy does, with a filename no file can have. */
#define FILENAME_MARK "articles:"

static int articles_translate(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *h;

    if (d == NULL || d->expr_handler == NULL || r->uri[0] != '/') {
        return DECLINED;
    }
    h = ap_expr_str_exec(r, d->expr_handler, &err);
    if (err || h == NULL || strcasecmp(h, "articles") != 0) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, FILENAME_MARK, r->uri, NULL);
    return OK;
}

static int articles_map_to_storage(request_rec *r)
{
    if (r->filename && strncmp(r->filename, FILENAME_MARK,
                               sizeof(FILENAME_MARK) - 1) == 0) {
        return OK;
    }
    return DECLINED;
}

/* ---------------------------------------------------------------- module */

/* The cache and the reload watcher are per process: threads share them,
 * processes do not. */
static void child_init(apr_pool_t *pchild, server_rec *s)
{
    art_srv_conf_t *sc = ap_get_module_config(s->module_config, &articles_module);

    cache = art_cache_create(pchild, sc->cache_size ? sc->cache_size
                             : DEFAULT_CACHE_SIZE);
    art_reload_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(articles_translate, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(articles_map_to_storage, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(articles_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(articles) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    create_srv_conf,
    merge_srv_conf,
    articles_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
