/* mod_articles_config.c: the directives, their records and their defaults.
 *
 * The httpd side of configuration, kept apart from the handler the way mod_md
 * keeps mod_md_config.c: the directive table, create and merge of the
 * per-location and per-server records, and getters.  A directive only records
 * what was written (or checks it: ArticlesRepository reads site.xml and
 * authors.xml so that configtest fails on a broken site); merge keeps "unset"
 * unset, and the getters below are the one place defaults are applied.
 * Repository and template folders named anywhere are remembered so that
 * post_config loads each once.
 */
#include <limits.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "art_repo.h"
#include "mod_articles.h"
#include "mod_articles_config.h"

#define UNSET -1
#define DEFAULT_PAGE_SIZE 10
#define DEFAULT_RELOAD apr_time_from_sec(5)
#define DEFAULT_LUA_MEMORY (32 * 1024 * 1024)
#define DEFAULT_LUA_INSTRUCTIONS 10000000L
#define DEFAULT_LUA_TIMEOUT apr_time_from_msec(500)
#define DEFAULT_CACHE_SIZE (64 * 1024 * 1024)
/* A hit from the shared cache (shmcb) took about 1.6 times the CPU of one
 * from the per-process cache in `make bench` (README, "The response
 * cache"): more than the 10% that would make it the default. */
#define DEFAULT_SOCACHE "none"

/* Repository and template folders named by any directive, in order; reset with
 * the configuration pool. */
static apr_array_header_t *conf_repos;
static apr_array_header_t *conf_tpls;

/* Repository path -> ArticlesStore folder, from the first location that
 * names both. */
static apr_hash_t *conf_stores;

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
    conf_stores = NULL;
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

void *art_config_create_dir(apr_pool_t *p, char *dir)
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
    c->preview = UNSET;
    return c;
}

void *art_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    art_dir_conf_t *b = basev, *a = addv;
    art_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->base = a->base ? a->base : b->base;
    c->repository = a->repository ? a->repository : b->repository;
    c->store = a->store ? a->store : b->store;
    c->templates = a->templates ? a->templates : b->templates;
    /* A location that names filters replaces the inherited list as a whole:
     * filters depend on each other's order, so splicing lists would surprise. */
    c->filters = a->filters ? a->filters : b->filters;
    c->page_size = a->page_size != UNSET ? a->page_size : b->page_size;
    c->reload = a->reload != UNSET ? a->reload : b->reload;
    c->instructions = a->instructions != UNSET ? a->instructions : b->instructions;
    c->timeout = a->timeout != UNSET ? a->timeout : b->timeout;
    c->cache = a->cache != UNSET ? a->cache : b->cache;
    c->preview = a->preview != UNSET ? a->preview : b->preview;
    c->cache_control = a->cache_control ? a->cache_control : b->cache_control;
    return c;
}

void *art_config_create_srv(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(art_srv_conf_t));
}

void *art_config_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    art_srv_conf_t *b = basev, *a = addv;
    art_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->max_file_size = a->max_file_size ? a->max_file_size : b->max_file_size;
    c->lua_memory = a->lua_memory ? a->lua_memory : b->lua_memory;
    c->lua_path = a->lua_path ? a->lua_path : b->lua_path;
    c->redirect_hosts = a->redirect_hosts ? a->redirect_hosts : b->redirect_hosts;
    c->cache_size = a->cache_size ? a->cache_size : b->cache_size;
    c->store_size = a->store_size ? a->store_size : b->store_size;
    c->socache = a->socache ? a->socache : b->socache;
    return c;
}

/* ---------------------------------------------------------------- getters */

const art_dir_conf_t *art_config_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &articles_module);
}

const art_srv_conf_t *art_config_srv(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &articles_module);
}

const apr_array_header_t *art_config_repositories(void)
{
    return conf_repos;
}

const char *art_config_store(const char *repository)
{
    return conf_stores ? apr_hash_get(conf_stores, repository,
                                      APR_HASH_KEY_STRING) : NULL;
}

const apr_array_header_t *art_config_template_dirs(void)
{
    return conf_tpls;
}

int art_config_page_size(const art_dir_conf_t *c)
{
    return c->page_size == UNSET ? DEFAULT_PAGE_SIZE : c->page_size;
}

apr_interval_time_t art_config_reload(const art_dir_conf_t *c)
{
    return c->reload == UNSET ? DEFAULT_RELOAD : c->reload;
}

int art_config_cache(const art_dir_conf_t *c)
{
    return c->cache == 1;
}

int art_config_preview(const art_dir_conf_t *c)
{
    return c->preview == 1;
}

void art_config_request_limits(const art_dir_conf_t *c, art_lua_limits_t *lim)
{
    lim->memory = 0;
    lim->instructions = c->instructions == UNSET ? DEFAULT_LUA_INSTRUCTIONS
        : c->instructions;
    lim->timeout = c->timeout == UNSET ? DEFAULT_LUA_TIMEOUT : c->timeout;
}

apr_size_t art_config_max_file_size(const art_srv_conf_t *s)
{
    return s->max_file_size ? s->max_file_size : ART_REPO_DEFAULT_MAX_FILE;
}

apr_size_t art_config_lua_memory(const art_srv_conf_t *s)
{
    return s->lua_memory ? s->lua_memory : DEFAULT_LUA_MEMORY;
}

apr_size_t art_config_cache_size(const art_srv_conf_t *s)
{
    return s->cache_size ? s->cache_size : DEFAULT_CACHE_SIZE;
}

apr_size_t art_config_store_size(const art_srv_conf_t *s)
{
    return s->store_size;
}

const char *art_config_cache_control(const art_dir_conf_t *c)
{
    return c->cache_control && *c->cache_control ? c->cache_control : NULL;
}

const char *art_config_socache(const art_srv_conf_t *s)
{
    const char *v = s->socache ? s->socache : DEFAULT_SOCACHE;

    return strcasecmp(v, "none") == 0 ? NULL : v;
}

apr_size_t art_config_repo_max_file_size(server_rec *main_s, const char *path)
{
    apr_size_t max = 0, v;
    int i, differ = 0;

    for (i = 0; conf_repo_users && i < conf_repo_users->nelts; i++) {
        const repo_user_t *u = &APR_ARRAY_IDX(conf_repo_users, i, repo_user_t);

        if (strcmp(u->path, path) != 0) {
            continue;
        }
        v = art_config_max_file_size(art_config_srv(u->s));
        differ |= max && v != max;
        max = v > max ? v : max;
    }
    if (differ) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_s, "ART0017: virtual "
                     "hosts sharing %s set different ArticlesMaxFileSize; the "
                     "largest, %" APR_SIZE_T_FMT ", applies to all", path, max);
    }
    return max ? max : art_config_max_file_size(art_config_srv(main_s));
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

/* Note c's store folder for its repository once both are known, whichever
 * directive came first; the first location naming both decides. */
static void remember_store(apr_pool_t *p, const art_dir_conf_t *c)
{
    if (c->repository == NULL || c->store == NULL) {
        return;
    }
    if (conf_stores == NULL) {
        conf_stores = apr_hash_make(p);
        apr_pool_cleanup_register(p, NULL, reset_lists, apr_pool_cleanup_null);
    }
    if (apr_hash_get(conf_stores, c->repository, APR_HASH_KEY_STRING) == NULL) {
        apr_hash_set(conf_stores, c->repository, APR_HASH_KEY_STRING, c->store);
    }
}

static const char *set_repository(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    art_repo_opts_t o = { art_config_max_file_size(sc), NULL, NULL };
    repo_user_t *u;
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
    u = apr_array_push(conf_repo_users);
    u->path = path;
    u->s = cmd->server;
    remember_store(cmd->pool, c);
    return NULL;
}

/* ArticlesStore DIR: the store of the location's repository. */
static const char *set_store(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;
    const char *path = ap_server_root_relative(cmd->pool, arg);

    if (path == NULL) {
        return apr_pstrcat(cmd->pool, "ArticlesStore: invalid path ", arg, NULL);
    }
    c->store = path;
    remember_store(cmd->pool, c);
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

static const char *set_preview(cmd_parms *cmd, void *dc, int on)
{
    art_dir_conf_t *c = dc;

    (void)cmd;
    c->preview = on ? 1 : 0;
    return NULL;
}

static const char *set_store_size(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);
    const char *err = set_size(arg, 1024 * 1024, &sc->store_size);

    (void)dc;
    if (err == NULL && cmd->server->is_virtual) {
        err = "applies to every store: set it in the main server only";
    }
    return err ? apr_pstrcat(cmd->pool, "ArticlesStoreSize ", err, NULL) : NULL;
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

static const char *set_cache_control(cmd_parms *cmd, void *dc, const char *arg)
{
    art_dir_conf_t *c = dc;

    (void)cmd;
    /* The header is sent as written: httpd checks no Cache-Control either. */
    if (ap_strchr_c(arg, '\n') || ap_strchr_c(arg, '\r')) {
        return "ArticlesCacheControl: a header value is one line";
    }
    c->cache_control = strcasecmp(arg, "none") == 0 ? "" : arg;
    return NULL;
}

static const char *set_socache(cmd_parms *cmd, void *dc, const char *arg)
{
    art_srv_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                              &articles_module);

    (void)dc;
    if (cmd->server->is_virtual) {
        return "ArticlesCacheSocache is server-wide: set it in the main server "
               "only";
    }
    sc->socache = arg;
    return NULL;
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

const command_rec art_config_cmds[] = {
    AP_INIT_TAKE1("ArticlesStore", set_store, NULL, OR_NONE | ACCESS_CONF,
                  "folder of the repository's LMDB store (default: a folder "
                  "under DefaultRuntimeDir named from the repository)"),
    AP_INIT_TAKE1("ArticlesStoreSize", set_store_size, NULL, RSRC_CONF,
                  "address space reserved for each store's map, bytes or with "
                  "K/M (default 16384M on 64-bit systems)"),
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
    AP_INIT_FLAG("ArticlesPreview", set_preview, NULL, OR_NONE | ACCESS_CONF,
                 "serve drafts and scheduled articles too, marked, noindex and "
                 "never cached: protect the location with Require (default Off)"),
    AP_INIT_TAKE1("ArticlesCacheSize", set_cache_size, NULL, RSRC_CONF,
                  "bytes of rendered pages each process may keep, or with K/M "
                  "(default 64M)"),
    AP_INIT_TAKE1("ArticlesCacheControl", set_cache_control, NULL,
                  OR_NONE | ACCESS_CONF,
                  "Cache-Control header of the pages here, or none (default "
                  "none)"),
    AP_INIT_TAKE1("ArticlesCacheSocache", set_socache, NULL, RSRC_CONF,
                  "where ArticlesCache keeps pages: an httpd socache provider "
                  "shared by all processes (provider[:args]; shmcb alone takes "
                  "ArticlesCacheSize bytes) or none, the default, for one cache "
                  "per process"),
    AP_INIT_ITERATE("ArticlesLuaPath", add_lua_path, NULL, RSRC_CONF,
                    "folders searched by require() after the filter's own"),
    AP_INIT_ITERATE("ArticlesRedirectHosts", add_redirect_host, NULL, RSRC_CONF,
                    "hosts besides the request's own that r:redirect may send "
                    "readers to"),
    { NULL }
};
