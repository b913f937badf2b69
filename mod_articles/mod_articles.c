/* mod_articles.c: the httpd glue: start-up, routing and the handler.
 *
 * Directives and their defaults are in mod_articles_config.c; at
 * configuration time each ArticlesRepository is checked (site.xml and
 * authors.xml), so "apachectl configtest" fails on a broken site.  In post_config,
 * in the parent before children are forked, the store of every repository is
 * brought up to date (mod_articles_store.c) and every template folder
 * compiled; children read the stores and share the templates through
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
#include "art_hash.h"
#include "art_lua.h"
#include "art_negotiate.h"
#include "art_repo.h"
#include "art_route.h"
#include "art_lua_seo.h"
#include "art_sitemap.h"
#include "art_tplset.h"
#include "mod_articles.h"
#include "mod_articles_socache.h"
#include "mod_articles_status.h"

#define RENDER_LIMIT (16 * 1024 * 1024)

/* What one configuration generation loaded; rebuilt by post_config. */
typedef struct art_runtime_t {
    apr_hash_t *repos;               /* path -> art_source_t */
    apr_hash_t *tplsets;             /* path -> art_gen_t (template sets) */
    apr_hash_t *luas;                /* server_rec * -> art_lua_host_t */
    apr_array_header_t *lua_list;    /* each art_lua_host_t * once */
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

static apr_status_t reset_runtime(void *data)
{
    (void)data;
    runtime = NULL;
    mounts = NULL;
    return APR_SUCCESS;
}

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

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    const apr_array_header_t *repos = art_config_repositories();
    const apr_array_header_t *tdirs = art_config_template_dirs();
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
    apr_pool_cleanup_register(pconf, NULL, reset_runtime, apr_pool_cleanup_null);

    for (i = 0; repos && i < repos->nelts; i++) {
        const char *path = APR_ARRAY_IDX(repos, i, const char *);
        apr_size_t *max = apr_palloc(pconf, sizeof(*max));
        art_source_t *src;

        /* Set first: the store's builder reads it through art_repo_max_file. */
        *max = art_config_repo_max_file_size(s, path);
        apr_hash_set(runtime->max_file, path, APR_HASH_KEY_STRING, max);
        src = art_source_create(pconf, ptemp, s, path, art_config_store(path),
                                art_config_store_size(art_config_srv(s)));
        if (src == NULL) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_hash_set(runtime->repos, path, APR_HASH_KEY_STRING, src);
    }
    for (i = 0; tdirs && i < tdirs->nelts; i++) {
        const char *path = APR_ARRAY_IDX(tdirs, i, const char *);
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
    runtime->lua_list = apr_array_make(pconf, 2, sizeof(art_lua_host_t *));
    for (v = s; v; v = v->next) {
        const art_srv_conf_t *vc = art_config_srv(v);
        art_lua_host_t *host = NULL;
        server_rec *u;

        for (u = s; u != v && host == NULL; u = u->next) {
            const art_srv_conf_t *uc = art_config_srv(u);

            if (uc->lua_memory == vc->lua_memory && uc->lua_path == vc->lua_path) {
                host = apr_hash_get(runtime->luas, &u, sizeof(u));
            }
        }
        if (host == NULL) {
            memset(&lo, 0, sizeof(lo));
            lo.limits.memory = art_config_lua_memory(vc);
            lo.lua_path = vc->lua_path;
            lo.push_request = art_request_push;
            lo.log = lua_log;
            lo.filter_done = art_status_filter;
            host = art_lua_host_create(pconf, &lo);
            APR_ARRAY_PUSH(runtime->lua_list, art_lua_host_t *) = host;
        }
        apr_hash_set(runtime->luas, apr_pmemdup(pconf, &v, sizeof(v)),
                     sizeof(v), host);
    }
    if (art_sitemap_init(pconf) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

apr_size_t art_repo_max_file(server_rec *s, const char *path)
{
    apr_size_t *max = runtime ? apr_hash_get(runtime->max_file, path,
                                             APR_HASH_KEY_STRING) : NULL;

    return max ? *max : art_config_max_file_size(art_config_srv(s));
}

/* The Lua states of r's virtual host. */
static art_lua_host_t *lua_host(request_rec *r)
{
    server_rec *s = r->server;

    return apr_hash_get(runtime->luas, &s, sizeof(s));
}

/* ---------------------------------------------------------------- routing */

/* art_route_arg_fn: a decoded query argument, as httpd reads them. */
static const char *query_arg(void *baton, const char *name)
{
    request_rec *r = baton;
    apr_table_t *args = NULL;

    ap_args_to_table(r, &args);
    return args ? apr_table_get(args, name) : NULL;
}

/* The root: the index of the best language (cookie "lang", then
 * Accept-Language, then the default), which the filters may change
 * (lua/language.lua decides it as shipped) before the handler redirects. */
static void root_page(request_rec *r, art_req_t *req, const art_dir_conf_t *c)
{
    const art_site_t *site = req->snap->site;
    const char **codes = apr_palloc(r->pool, sizeof(char *) * site->langs->nelts);
    const char *cookie = NULL;
    const art_lang_t *lang = req->lang;
    int i, deflt = 0, best;

    for (i = 0; i < site->langs->nelts; i++) {
        codes[i] = APR_ARRAY_IDX(site->langs, i, art_lang_t).code;
        if (strcmp(codes[i], site->default_lang) == 0) {
            deflt = i;
        }
    }
    ap_cookie_read(r, "lang", &cookie, 0);
    if (cookie && art_snapshot_lang(req->snap, cookie)) {
        lang = art_snapshot_lang(req->snap, cookie);
    }
    else if ((best = art_negotiate(apr_table_get(r->headers_in, "Accept-Language"),
                                   codes, site->langs->nelts, deflt)) >= 0) {
        lang = art_snapshot_lang(req->snap, codes[best]);
    }
    art_route_root(req, lang, art_config_page_size(c));
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
                   apr_pstrcat(r->pool, req->base,
                               art_route_path(r->pool, ART_PAGE_INDEX, lang, NULL,
                                              NULL), NULL));
    return HTTP_MOVED_TEMPORARILY;
}

/* ---------------------------------------------------------------- the handler */

/* The media type of a page kind: feeds and the sitemap are XML. */
static const char *content_type(int kind)
{
    if (kind == ART_PAGE_FEED) {
        return "application/atom+xml; charset=utf-8";
    }
    if (kind == ART_PAGE_SITEMAP) {
        return "application/xml; charset=utf-8";
    }
    return "text/html; charset=utf-8";
}

/* mod_deflate and mod_brotli send our ETag with "-gzip" or "-br" added inside
 * the quotes (DeflateAlterETag AddSuffix, their default), and a client
 * revalidates with that tag.  The compressed bytes are a function of ours, so
 * the suffixed tag names our page: If-None-Match is given our own tag too,
 * and ap_meets_conditions answers 304 (which the filter then sends with its
 * suffixed tag again). */
static void accept_encoded_etag(request_rec *r)
{
    static const char *const suffixes[] = { "-gzip\"", "-br\"" };
    const char *inm = apr_table_get(r->headers_in, "If-None-Match");
    const char *etag = apr_table_get(r->headers_out, "ETag");
    apr_size_t n;
    size_t i;

    if (inm == NULL || etag == NULL || (n = strlen(etag)) < 2
        || etag[n - 1] != '"') {
        return;
    }
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        const char *tag = apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, etag, n - 1),
                                      suffixes[i], NULL);
        if (ap_find_etag_weak(r->pool, inm, tag)) {
            apr_table_setn(r->headers_in, "If-None-Match",
                           apr_pstrcat(r->pool, inm, ", ", etag, NULL));
            return;
        }
    }
}

/* The status line, and the body unless the request's conditions make it a
 * 304 or the request is HEAD; headers are already on r. */
static int send_body(request_rec *r, int status, const char *data, apr_size_t len)
{
    apr_bucket_brigade *bb;
    int rc;

    r->status = status;
    accept_encoded_etag(r);
    if (status == HTTP_OK && (rc = ap_meets_conditions(r)) != OK) {
        r->status = HTTP_OK;
        return rc;
    }
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        /* One transient bucket: the filters copy what they keep past this
         * call (a cached body is released when it returns), and nothing
         * is copied into ap_rwrite's buffer first. */
        bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(data, len,
                                                                bb->bucket_alloc));
        ap_pass_brigade(r->output_filters, bb);
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
    /* page.kind as the filters left it, which names the template too. */
    int k = art_page_kind_of(kind);

    ap_set_content_type(r, content_type(k));
    /* Copied: the snapshot may be gone before the headers are sent.  The
     * sitemap covers every language, so it has none. */
    if (k != ART_PAGE_SITEMAP) {
        apr_table_set(r->headers_out, "Content-Language", req->lang->code);
    }
    apr_snprintf(etag, sizeof(etag), "\"%016" APR_UINT64_T_HEX_FMT "\"",
                 art_hash64_wide(out->data, out->len, 0x61727469636c6573ULL));
    apr_table_setn(r->headers_out, "ETag", apr_pstrdup(r->pool, etag));
    if (art_config_cache_control(art_config_dir(r))
        && !apr_table_get(r->err_headers_out, "Cache-Control")) {
        apr_table_setn(r->headers_out, "Cache-Control",
                       art_config_cache_control(art_config_dir(r)));
    }
    set_vary(r, req, r->headers_out);
    ap_update_mtime(r, mtime);
    ap_set_last_modified(r);
}

/* ---------------------------------------------------------------- the cache */

static int cache_on(const art_dir_conf_t *c)
{
    return (cache != NULL || art_socache_on()) && art_config_cache(c);
}

/* What a page was made from, in numbers every process agrees on: the shared
 * cache cannot use one process's generation counters. */
static void shared_gen(art_cache_gen_t *gen, const art_snapshot_t *snap,
                       const art_tplset_t *tpls)
{
    gen->snapshot = snap->digest;
    gen->templates = tpls->fingerprint;
    gen->code = art_status_code_epoch(gen->code);
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
                                 art_config_page_size(c), c->repository,
                                 c->templates,
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
 * is copied or sent by send_body before the entry is released. */
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
    if (cache ? art_cache_store(cache, key, klen, gen, req->inputs, &resp)
        : art_socache_store(r, key, klen, gen, req->inputs, &resp)) {
        art_status_cache_store();
        ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r, "ART0014: cached %"
                      APR_SIZE_T_FMT " bytes", out->len);
    }
}

/* The sitemaps are made in C, once per repository version (art_sitemap.c),
 * whatever the filters did with the page: its body is those bytes.  A part
 * past the last is the 404 page. */
static int sitemap_body(request_rec *r, art_req_t *req, art_buf_t *out)
{
    const art_sitemap_doc_t *d = art_sitemap_serve(r->pool, req->snap, req->base,
                                                   req->sitemap,
                                                   apr_time_now());

    if (d == NULL) {
        return HTTP_NOT_FOUND;
    }
    /* Kept already, and the news sitemap changes with the clock, which no
     * key of the response cache holds. */
    req->uncacheable = 1;
    out->data = (char *)d->data;
    out->len = d->len;
    out->cap = d->len;
    return 0;
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
    const char *serr = NULL;
    char *err = NULL;
    int rc;

    art_config_request_limits(c, &lim);
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
        if (*kind && art_page_kind_of(*kind) == ART_PAGE_SITEMAP) {
            rc = sitemap_body(r, req, out);
        }
        else if (art_lua_seo_finish(st, req, &serr) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0016: %s", serr);
            rc = HTTP_INTERNAL_SERVER_ERROR;
        }
        else if (tpl == NULL) {
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
    const art_dir_conf_t *c;
    art_source_t *src;
    art_source_ref_t sref;
    art_gen_t *tg;
    art_gen_ref_t *tref;
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
    c = art_config_dir(r);
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
    src = apr_hash_get(runtime->repos, c->repository, APR_HASH_KEY_STRING);
    tg = apr_hash_get(runtime->tplsets, c->templates, APR_HASH_KEY_STRING);
    if (src == NULL || tg == NULL) {
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

    if (art_source_memory(src)) {
        art_reload_watch(r, art_source_memory(src), 0, c->repository,
                         art_config_reload(c));
    }
    else {
        art_reload_watch_source(r, src, art_config_reload(c));
    }
    art_reload_watch(r, tg, 1, c->templates, art_config_reload(c));
    snap = art_source_acquire(src, r, &sref);
    if (snap == NULL) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tpls = art_gen_acquire(tg, &tref);
    /* What this request may see: public articles at this instant, or all
     * of them under ArticlesPreview (art_snapshot_view). */
    req.preview = art_config_preview(c);
    snap = art_snapshot_view(r->pool, snap, apr_time_now(), req.preview);
    req.snap = snap;
    if (req.preview) {
        /* Not for caches, shared or the browser's, nor for search engines:
         * err_headers_out so that error pages carry them too. */
        apr_table_setn(r->err_headers_out, "Cache-Control", "private, no-store");
        apr_table_setn(r->err_headers_out, "X-Robots-Tag", "noindex");
    }

    if (cache_on(c) && !req.preview) {
        gen.snapshot = sref.serial;
        gen.moment = snap->since;
        gen.templates = art_gen_serial(tref);
        gen.code = art_lua_code_gen(lua_host(r), art_config_reload(c));
        key = cache_key(r, c, &klen);
        if (cache == NULL) {
            art_cache_resp_t shared_resp;

            shared_gen(&gen, snap, tpls);
            rc = art_socache_lookup(r, key, klen, &gen, cache_input, &shared_resp);
            art_status_cache_lookup(rc);
            if (rc) {
                ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "ART0013: served "
                              "from the shared cache");
                rc = send_cached(r, &shared_resp);
                art_gen_release(tg, tref);
                art_source_release(src, &sref);
                return rc;
            }
        }
        hit = cache ? art_cache_lookup(cache, key, klen, &gen, cache_input, r)
            : NULL;
        if (cache) {
            art_status_cache_lookup(hit != NULL);
        }
        if (hit) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "ART0013: served "
                          "from the cache");
            rc = send_cached(r, art_cache_response(hit));
            art_cache_release(cache, hit);
            art_gen_release(tg, tref);
            art_source_release(src, &sref);
            return rc;
        }
    }

    switch (art_route(&req, r->args, art_config_page_size(c), query_arg, r)) {
    case ART_ROUTE_ROOT:
        root_page(r, &req, c);
        break;
    case ART_ROUTE_REDIRECT:
        apr_table_setn(r->headers_out, "Location", req.location);
        art_gen_release(tg, tref);
        art_source_release(src, &sref);
        return req.status;
    case ART_ROUTE_PAGE:
        break;
    }

    /* A state per site: virtual host, filter list and repository. */
    st = art_lua_acquire(lua_host(r),
                         apr_psprintf(r->pool, "%pp %pp %s", (void *)r->server,
                                      (void *)c->filters, c->repository),
                         art_config_reload(c));
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
        if (cache == NULL) {
            shared_gen(&gen, snap, tpls);
        }
        if (rc == HTTP_NOT_FOUND && req.status == HTTP_OK) {
            /* A filter said 404: the 404 page of the page's language. */
            art_route_not_found(&req);
            rc = build_page(r, &req, c, st, tpls, &out, &kind);
        }
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "ART0012: Lua state holds "
                      "%" APR_SIZE_T_FMT " bytes", art_lua_memory(st));
        art_lua_release(lua_host(r), st);
    }
    if (rc == 0) {
        apr_time_t mtime = snap->mtime > tpls->mtime ? snap->mtime : tpls->mtime;

        /* An article that went live after its file was written changed
         * the pages at that moment, not at the file's time. */
        if (!req.preview && snap->since > mtime) {
            mtime = snap->since;
        }
        if (req.preview) {
            /* What err_headers_out says for a preview page is final: no
             * filter makes it cacheable or indexable. */
            apr_table_unset(r->headers_out, "Cache-Control");
            apr_table_unset(r->headers_out, "X-Robots-Tag");
        }
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
    art_status_process(cache, runtime->lua_list);
    art_gen_release(tg, tref);
    art_source_release(src, &sref);
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
    apr_hash_index_t *hi;

    if (!art_socache_on()) {
        cache = art_cache_create(pchild, art_config_cache_size(art_config_srv(s)));
    }
    for (hi = runtime ? apr_hash_first(pchild, runtime->repos) : NULL; hi;
         hi = apr_hash_next(hi)) {
        void *src;

        apr_hash_this(hi, NULL, NULL, &src);
        art_source_child_init(pchild, src);
    }
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
    art_status_register_hooks(p);
    art_socache_register_hooks(p);
}

AP_DECLARE_MODULE(articles) = {
    STANDARD20_MODULE_STUFF,
    art_config_create_dir,
    art_config_merge_dir,
    art_config_create_srv,
    art_config_merge_srv,
    art_config_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
