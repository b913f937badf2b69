/* fuzz_route.c: libFuzzer target for the router (art_route.c).
 *
 * Any visitor picks the path and query, so the router must turn every pair
 * into a page, the 404 page, the root or a redirect, without reading past
 * either.  The snapshot is the sample site (conf/sample/repo, or
 * $FUZZ_ROUTE_REPO), loaded once.  Input: the path, then optionally a NUL
 * byte and the query; a path not starting with "/" gets one, as httpd's
 * r->uri always does.
 *
 * Promises checked (a broken one is an abort()): a page has a kind with a
 * name, status 200 or 404, and 404 exactly for the 404 page, which carries no
 * list; a list page's number is within its count; a redirect is a 301 below
 * the mount point whose target, read back, is not redirected again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "art_repo.h"
#include "art_route.h"

#define BASE "/m"

static apr_pool_t *top;
static art_snapshot_t *snap;

static const char *q_arg(void *baton, const char *name)
{
    const char *query = baton, *v;

    if (query == NULL || strcmp(name, "q") != 0 || (v = strstr(query, "q=")) == NULL) {
        return NULL;
    }
    return v + 2;
}

static art_route_result_t route(apr_pool_t *p, art_req_t *req, const char *path,
                                const char *query)
{
    memset(req, 0, sizeof(*req));
    req->pool = p;
    req->snap = snap;
    req->base = BASE;
    req->path = path;
    return art_route(req, query, 3, q_arg, (void *)query);
}

/* The path of a Location, decoded as httpd would hand it back. */
static char *location_path(apr_pool_t *p, const char *loc)
{
    char *out = apr_pstrdup(p, loc + sizeof(BASE) - 1), *o = out, *q;
    const char *s;
    unsigned int c;

    if ((q = strchr(out, '?')) != NULL) {
        *q = '\0';
    }
    for (s = out; *s;) {
        if (s[0] == '%' && sscanf(s + 1, "%2x", &c) == 1) {
            *o++ = (char)c;
            s += 3;
        }
        else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static void check_page(const art_req_t *req)
{
    if (art_page_kind_name(req->kind) == NULL || req->lang == NULL
        || (req->status != 200 && req->status != 404)
        || ((req->status == 404) != (req->kind == ART_PAGE_ERROR))
        || (req->kind == ART_PAGE_ERROR && req->list != NULL)) {
        abort();
    }
    if (req->list && req->kind != ART_PAGE_FEED
        && (req->page_no < 1 || req->page_no > req->page_count || req->offset < 0)) {
        abort();
    }
}

/* The snapshot has a pool of its own (unmanaged, as the loader makes it). */
static void free_snapshot(void)
{
    apr_pool_destroy(snap->pool);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *repo = getenv("FUZZ_ROUTE_REPO");
    art_repo_opts_t o = { ART_REPO_DEFAULT_MAX_FILE, NULL, NULL };
    char *err = NULL;

    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&top, NULL);
    if (art_repo_init(top, &err) != APR_SUCCESS
        || art_repo_load(top, repo ? repo : "conf/sample/repo", &o, &snap, &err)
        != APR_SUCCESS) {
        fprintf(stderr, "fuzz_route: cannot load the repository: %s\n", err);
        abort();
    }
    atexit(free_snapshot);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - (const char *)data) : size;
    const char *path, *query = NULL;
    art_req_t req, again;

    apr_pool_create(&p, top);
    path = apr_pstrmemdup(p, (const char *)data, plen);
    if (path[0] != '/') {
        path = apr_pstrcat(p, "/", path, NULL);
    }
    if (nul) {
        query = apr_pstrmemdup(p, nul + 1, size - plen - 1);
    }
    switch (route(p, &req, path, query)) {
    case ART_ROUTE_PAGE:
        check_page(&req);
        break;
    case ART_ROUTE_ROOT:
        art_route_root(&req, req.lang, 3);
        check_page(&req);
        break;
    case ART_ROUTE_REDIRECT:
        if (req.status != 301 || req.location == NULL
            || strncmp(req.location, BASE "/", sizeof(BASE)) != 0
            || route(p, &again, location_path(p, req.location), query)
               == ART_ROUTE_REDIRECT) {
            abort();
        }
        break;
    default:
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
