/* art_tplset.c: compile a folder of Mustache templates (see art_tplset.h). */
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "art_hash.h"
#include "art_snapshot.h"
#include "art_tplset.h"

#define SUFFIX ".mustache"
#define TEMPLATE_MAX (1024 * 1024)

static int is_template(const char *name, apr_size_t *stem)
{
    apr_size_t n = strlen(name), s = sizeof(SUFFIX) - 1;

    if (name[0] == '.' || n <= s || strcmp(name + n - s, SUFFIX) != 0) {
        return 0;
    }
    *stem = n - s;
    return 1;
}

/* Walk the folder once; for each template call fn (which may be NULL). */
static apr_status_t each_template(apr_pool_t *p, const char *dir,
                                  apr_uint64_t *fp, apr_time_t *mtime,
                                  apr_status_t (*fn)(void *, const char *,
                                                     apr_size_t, apr_finfo_t *),
                                  void *baton)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;

    *fp = 0;
    *mtime = 0;
    if ((rv = apr_dir_open(&d, dir, p)) != APR_SUCCESS) {
        return rv;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_MTIME | APR_FINFO_SIZE
                        | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        apr_size_t stem;
        apr_uint64_t sig[2];

        if (!is_template(fi.name, &stem)) {
            continue;
        }
        /* Order-independent: directory order differs between file systems. */
        sig[0] = (apr_uint64_t)fi.mtime;
        sig[1] = (apr_uint64_t)fi.size;
        *fp += art_hash64(sig, sizeof(sig), art_hash64(fi.name, strlen(fi.name), 0));
        if (fi.mtime > *mtime) {
            *mtime = fi.mtime;
        }
        if (fn && (rv = fn(baton, fi.name, stem, &fi)) != APR_SUCCESS) {
            apr_dir_close(d);
            return rv;
        }
    }
    apr_dir_close(d);
    return APR_SUCCESS;
}

typedef struct load_baton_t {
    art_tplset_t *set;
    char **err;
    apr_pool_t *errpool;
} load_baton_t;

static apr_status_t compile_one(void *baton, const char *fname, apr_size_t stem,
                                apr_finfo_t *fi)
{
    load_baton_t *lb = baton;
    art_tplset_t *set = lb->set;
    const char *path = apr_pstrcat(set->pool, set->dir, "/", fname, NULL);
    const char *name = apr_pstrmemdup(set->pool, fname, stem);
    apr_file_t *f;
    char *src;
    apr_size_t n = (apr_size_t)fi->size;
    art_tpl_t *t;
    char *cerr = NULL;
    apr_status_t rv;

    if (fi->size > TEMPLATE_MAX) {
        *lb->err = apr_psprintf(lb->errpool, "%s: template larger than %d bytes",
                                path, TEMPLATE_MAX);
        return APR_EGENERAL;
    }
    src = apr_palloc(set->pool, n + 1);
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, set->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, src, n, &n);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS && !(rv == APR_EOF && n == 0)) {
        *lb->err = apr_psprintf(lb->errpool, "%s: cannot read", path);
        return rv;
    }
    src[n] = '\0';
    if (art_tpl_compile(set->pool, fname, src, n, &t, &cerr) != APR_SUCCESS) {
        *lb->err = apr_psprintf(lb->errpool, "%s/%s", set->dir,
                                cerr ? cerr : fname);
        return APR_EGENERAL;
    }
    apr_hash_set(set->byname, name, APR_HASH_KEY_STRING, t);
    return APR_SUCCESS;
}

apr_status_t art_tplset_load(apr_pool_t *p, const char *dir, art_tplset_t **out,
                             char **err)
{
    apr_pool_t *pool;
    art_tplset_t *set;
    load_baton_t lb;
    apr_hash_index_t *hi;
    apr_status_t rv;

    /* Unmanaged for the same reason as snapshots: reloads happen in request
     * threads. */
    apr_pool_create_unmanaged_ex(&pool, NULL, NULL);
    apr_pool_tag(pool, "articles_templates");
    set = apr_pcalloc(pool, sizeof(*set));
    set->pool = pool;
    set->dir = apr_pstrdup(pool, dir);
    set->byname = apr_hash_make(pool);
    lb.set = set;
    lb.err = err;
    lb.errpool = p;
    *err = NULL;
    rv = each_template(pool, dir, &set->fingerprint, &set->mtime, compile_one, &lb);
    if (rv != APR_SUCCESS) {
        if (*err == NULL) {
            char eb[128];
            *err = apr_psprintf(p, "%s: cannot read the templates folder: %s", dir,
                                apr_strerror(rv, eb, sizeof(eb)));
        }
        apr_pool_destroy(pool);
        return rv;
    }
    /* The set never changes once loaded, so each static partial or parent name
     * is looked up here once rather than on every render. */
    for (hi = apr_hash_first(p, set->byname); hi; hi = apr_hash_next(hi)) {
        art_tpl_link(apr_hash_this_val(hi), art_tplset_resolve, set);
    }
    *out = set;
    return APR_SUCCESS;
}

apr_uint64_t art_tplset_fingerprint(apr_pool_t *p, const char *dir,
                                    apr_time_t *mtime)
{
    apr_uint64_t fp = 0;

    each_template(p, dir, &fp, mtime, NULL, NULL);
    return fp;
}

const art_tpl_t *art_tplset_resolve(void *baton, const char *name)
{
    const art_tplset_t *set = baton;

    return apr_hash_get(set->byname, name, APR_HASH_KEY_STRING);
}
