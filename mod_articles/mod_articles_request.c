/* mod_articles_request.c: the request object `r` that filters receive.
 *
 * A userdata of type articles.Request wrapping the request_rec, with the fields
 * and methods of SPEC §5.  Like article views it remembers the request number
 * that made it and refuses to work after that request, since the request_rec
 * is gone by then.  Header values a filter sets are checked for CR and LF (no
 * response splitting), headers that frame the message or that the module
 * sets itself are refused, redirects go where a browser stays on this site
 * (art_redirect.c), and a filter's status is one the module can send as it is.
 */
#include <string.h>

#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_cookies.h"

#include <apr_strings.h>

#include <lauxlib.h>

#include "art_cache.h"
#include "art_redirect.h"
#include "art_lua_int.h"
#include "mod_articles.h"

#define REQUEST_MT "articles.Request"

typedef struct art_rview_t {
    art_req_t *req;
    unsigned long serial;
} art_rview_t;

static request_rec *check_request(lua_State *L)
{
    art_rview_t *v = luaL_checkudata(L, 1, REQUEST_MT);
    art_lstate_t *st = art_lua_st(L);

    if (st->req != v->req || v->serial != st->serial) {
        luaL_error(L, "request object used after its request ended");
    }
    return v->req->r;
}

/* The art_req_t behind the request object at index 1 (checked first). */
static art_req_t *view_req(lua_State *L)
{
    check_request(L);
    return ((art_rview_t *)lua_touserdata(L, 1))->req;
}

/* art_cache_note, with the bytes a new entry takes from the request pool
 * counted against the filter's memory cap (issue #12). */
static void note_input(lua_State *L, art_req_t *req, char kind,
                       const char *name, const char *val)
{
    int before = req->inputs ? req->inputs->nelts : 0;

    art_cache_note(req->pool, &req->inputs, kind, name, val);
    if (req->inputs->nelts != before) {
        art_lua_charge_memory(L, strlen(name) + (val ? strlen(val) : 0) + 64);
    }
}

static int req_header(lua_State *L)
{
    art_req_t *req = view_req(L);
    request_rec *r = req->r;
    const char *name = luaL_checkstring(L, 2);
    const char *val = apr_table_get(r->headers_in, name);

    note_input(L, req, ART_INPUT_HEADER, name, val);
    lua_pushstring(L, val);
    return 1;
}

static int valid_header_text(const char *s)
{
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n' || *s == '\0') {
            return 0;
        }
    }
    return 1;
}

static int valid_header_name(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s)) {
            return 0;
        }
    }
    return 1;
}

/* Headers a filter may not set or remove, and why.  Hop-by-hop and framing
 * headers belong to httpd's connection and body handling: a filter's value
 * would contradict the bytes sent (Content-Length, Transfer-Encoding) or
 * change the connection (Connection, Upgrade).  The others are set by httpd
 * or the module after the filters run, so a filter's value would silently be
 * lost; Location would bypass the r:redirect check. */
static const struct {
    const char *name;
    const char *why;
} refused_headers[] = {
    { "Connection", "hop-by-hop" },
    { "Keep-Alive", "hop-by-hop" },
    { "Proxy-", "hop-by-hop" },             /* a prefix: every Proxy-* */
    { "TE", "hop-by-hop" },
    { "Trailer", "hop-by-hop" },
    { "Transfer-Encoding", "hop-by-hop" },
    { "Upgrade", "hop-by-hop" },
    { "Content-Length", "framing" },
    { "Content-Encoding", "framing" },
    { "Content-Range", "framing" },
    { "Content-Type", "set by the module for the page kind" },
    { "Content-Language", "set by the module from page.lang" },
    { "ETag", "set by the module from the page" },
    { "Last-Modified", "set by the module from the repository" },
    { "Date", "set by httpd" },
    { "Server", "set by httpd" },
    { "Host", "a request header" },
    { "Location", "use r:redirect" },
};

static const char *refused_header(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(refused_headers) / sizeof(refused_headers[0]); i++) {
        const char *n = refused_headers[i].name;
        apr_size_t len = strlen(n);

        if (n[len - 1] == '-' ? strncasecmp(name, n, len) == 0
            : strcasecmp(name, n) == 0) {
            return refused_headers[i].why;
        }
    }
    return NULL;
}

static int req_set_header(lua_State *L)
{
    request_rec *r = check_request(L);
    const char *name = luaL_checkstring(L, 2);
    size_t vlen;
    const char *value = luaL_optlstring(L, 3, NULL, &vlen);
    const char *why;

    if (!valid_header_name(name)) {
        return luaL_error(L, "invalid header name");
    }
    if ((why = refused_header(name)) != NULL) {
        return luaL_error(L, "r:set_header may not set %s (%s)", name, why);
    }
    if (value == NULL) {
        apr_table_unset(r->headers_out, name);
        return 0;
    }
    if (strlen(value) != vlen || !valid_header_text(value)) {
        return luaL_error(L, "header values may not contain CR, LF or NUL");
    }
    /* Each call copies into the request pool; a merged Vary grows. */
    if (strcasecmp(name, "Vary") == 0) {
        apr_table_merge(r->headers_out, name, value);
        art_lua_charge_memory(L, strlen(apr_table_get(r->headers_out, name))
                              + 64);
    }
    else {
        apr_table_set(r->headers_out, name, value);
        art_lua_charge_memory(L, strlen(name) + vlen + 64);
    }
    return 0;
}

static int req_cookie(lua_State *L)
{
    art_req_t *req = view_req(L);
    request_rec *r = req->r;
    const char *name = luaL_checkstring(L, 2);
    const char *val = NULL;

    /* Reading parses a copy of the Cookie header in the request pool. */
    val = apr_table_get(r->headers_in, "Cookie");
    art_lua_charge_memory(L, (val ? strlen(val) * 2 : 0) + 64);
    val = NULL;
    ap_cookie_read(r, name, &val, 0);
    note_input(L, req, ART_INPUT_COOKIE, name, val);
    lua_pushstring(L, val);
    return 1;
}

/* Whether a browser on this request's page goes to this request's host or
 * one named by ArticlesRedirectHosts when it follows url (art_redirect.c). */
static int same_site(request_rec *r, const char *url, size_t len)
{
    art_srv_conf_t *sc = ap_get_module_config(r->server->module_config,
                                              &articles_module);
    int n = 1 + (sc->redirect_hosts ? sc->redirect_hosts->nelts : 0), i;
    const char **hosts = apr_palloc(r->pool, sizeof(char *) * (apr_size_t)n);

    hosts[0] = r->hostname;
    for (i = 1; i < n; i++) {
        hosts[i] = APR_ARRAY_IDX(sc->redirect_hosts, i - 1, const char *);
    }
    return art_redirect_same_site(url, len, hosts, n);
}

static int req_redirect(lua_State *L)
{
    art_req_t *req = view_req(L);
    request_rec *r = req->r;
    size_t len;
    const char *url = luaL_checklstring(L, 2, &len);
    lua_Integer status = luaL_optinteger(L, 3, HTTP_MOVED_TEMPORARILY);

    if (status != 301 && status != 302 && status != 303 && status != 307
        && status != 308) {
        return luaL_error(L, "redirect status must be 301, 302, 303, 307 or 308");
    }
    if (!same_site(r, url, len)) {
        return luaL_error(L, "redirects go to relative or same-host URLs only");
    }
    apr_table_set(r->headers_out, "Location", url);
    /* What art_request_status lets the filter return. */
    req->redirect = (int)status;
    art_lua_charge_memory(L, strlen(url) + 64);
    lua_pushinteger(L, status);
    return 1;
}

static int req_log(lua_State *L)
{
    static const char *const levels[] = {
        "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", NULL
    };
    art_req_t *req = view_req(L);
    request_rec *r = req->r;
    int level = luaL_checkoption(L, 2, NULL, levels);
    const char *msg = luaL_checkstring(L, 3);
    lua_Debug ar;
    const char *where = "";

    art_lua_charge_memory(L, strlen(msg) + 256);
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        where = apr_psprintf(r->pool, "%s:%d: ", ar.short_src, ar.currentline);
    }
    ap_log_rerror(APLOG_MARK, level, 0, r, "ART0301: %s%s", where, msg);
    /* A page served from the cache would skip the line the filter means to
     * write for each request. */
    req->uncacheable = 1;
    return 0;
}

static int push_headers(lua_State *L, request_rec *r)
{
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i;

    lua_createtable(L, 0, h->nelts);
    for (i = 0; i < h->nelts; i++) {
        if (e[i].key && e[i].val) {
            lua_pushstring(L, e[i].val);
            lua_setfield(L, -2, e[i].key);
        }
    }
    return 1;
}

static int req_index(lua_State *L)
{
    request_rec *r = check_request(L);
    art_rview_t *v = lua_touserdata(L, 1);
    const char *k = luaL_checkstring(L, 2);

    if (strcmp(k, "method") == 0) {
        note_input(L, v->req, ART_INPUT_METHOD, "", r->method);
        lua_pushstring(L, r->method);
    }
    else if (strcmp(k, "uri") == 0) {
        lua_pushstring(L, r->uri);
    }
    else if (strcmp(k, "path") == 0) {
        lua_pushstring(L, v->req->path);
    }
    else if (strcmp(k, "args") == 0) {
        lua_pushstring(L, r->args);
    }
    else if (strcmp(k, "headers_in") == 0) {
        /* The whole table: no key short of every header would do. */
        v->req->uncacheable = 1;
        push_headers(L, r);
    }
    else {
        /* Methods live in the metatable's method table (upvalue 1). */
        lua_getfield(L, lua_upvalueindex(1), k);
    }
    return 1;
}

static int req_newindex(lua_State *L)
{
    return luaL_error(L, "the request object is read-only; use r:set_header");
}

void art_request_push(lua_State *L, art_req_t *req)
{
    static const luaL_Reg methods[] = {
        { "header", req_header },
        { "set_header", req_set_header },
        { "cookie", req_cookie },
        { "redirect", req_redirect },
        { "log", req_log },
        { NULL, NULL }
    };
    art_rview_t *v = lua_newuserdatauv(L, sizeof(*v), 0);

    v->req = req;
    v->serial = art_lua_st(L)->serial;
    if (luaL_newmetatable(L, REQUEST_MT)) {
        luaL_newlib(L, methods);
        lua_pushcclosure(L, req_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, req_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushliteral(L, REQUEST_MT);
        lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
}

/* The final statuses besides 200 that a filter may return: 404 gets the
 * site's 404 page; the others get httpd's error document.  Kept to those
 * whose meaning needs nothing the module does not send (no 1xx or 2xx, no
 * 304 of its own, nothing about the connection or a request body). */
static const int filter_statuses[] = {
    400, 401, 403, 404, 405, 406, 409, 410, 422, 429, 451, 500, 502, 503, 504
};

int art_request_status(art_req_t *req, int status)
{
    request_rec *r = req->r;
    size_t i;

    if (ap_is_HTTP_REDIRECT(status) && status == req->redirect) {
        return status;
    }
    for (i = 0; i < sizeof(filter_statuses) / sizeof(filter_statuses[0]); i++) {
        if (status == filter_statuses[i]) {
            return status;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ART0302: a filter returned "
                  "status %d, which the module does not send (3xx only as "
                  "r:redirect returns it; see lua/README.md)", status);
    return HTTP_INTERNAL_SERVER_ERROR;
}
