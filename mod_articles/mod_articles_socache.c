/* mod_articles_socache.c: rendered pages kept through an httpd socache
 * provider, shared by every process (see mod_articles_socache.h).
 *
 * A socache maps an id to a blob and nothing more, while a page may have
 * variants: one per value of each request input its filters read.  So a URL
 * has two kinds of record.  Its index names the inputs the filters read, in
 * order, and lists the variants stored (a hash of the input values, and the
 * size of the variant's record, which retrieve needs to be given).  Each
 * variant is a record of its own: the key, the generations, every input with
 * the value it was made for, and the response.  A lookup reads the index,
 * finds the variant of the current request's values and reads it; the
 * variant's key, generations and inputs are compared in full before it is
 * served, so a hash collision costs a miss, never a wrong page.  Providers
 * that are not safe across processes (shmcb) get the global mutex
 * "articles-cache" around every call, as mod_ssl does.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include <apr_global_mutex.h>
#include <apr_strings.h>

#include "art_hash.h"
#include "mod_articles.h"
#include "mod_articles_socache.h"

#define MUTEX_TYPE     "articles-cache"
#define INDEX_MAX      16384          /* bytes of an index record */
#define VARIANTS_MAX   16             /* variants an index lists */
#define ENTRY_TTL      apr_time_from_sec(86400)
#define MAGIC_INDEX    0x41525449u    /* "ARTI" */
#define MAGIC_ENTRY    0x41525445u    /* "ARTE" */
#define NO_VALUE       0xffffffffu    /* an input absent from the request */

static const ap_socache_provider_t *provider;
static ap_socache_instance_t *instance;
static apr_global_mutex_t *mutex;
static server_rec *main_server;

static apr_status_t forget_instance(void *data)
{
    (void)data;
    if (instance) {
        provider->destroy(instance, main_server);
    }
    provider = NULL;
    instance = NULL;
    mutex = NULL;
    return APR_SUCCESS;
}

int art_socache_on(void)
{
    return instance != NULL;
}

static void cache_lock(void)
{
    if (mutex) {
        apr_global_mutex_lock(mutex);
    }
}

static void cache_unlock(void)
{
    if (mutex) {
        apr_global_mutex_unlock(mutex);
    }
}

/* ---------------------------------------------------------------- records */

/* A record being written: grows in its pool. */
typedef struct wbuf_t {
    apr_pool_t *p;
    char *data;
    apr_size_t len, cap;
} wbuf_t;

static void put(wbuf_t *w, const void *src, apr_size_t n)
{
    if (w->len + n > w->cap) {
        apr_size_t cap = w->cap ? 2 * w->cap : 4096;
        char *grown;

        while (cap < w->len + n) {
            cap *= 2;
        }
        grown = apr_palloc(w->p, cap);
        if (w->len) {
            memcpy(grown, w->data, w->len);
        }
        w->data = grown;
        w->cap = cap;
    }
    memcpy(w->data + w->len, src, n);
    w->len += n;
}

static void put32(wbuf_t *w, apr_uint32_t v)
{
    put(w, &v, sizeof(v));
}

static void put64(wbuf_t *w, apr_uint64_t v)
{
    put(w, &v, sizeof(v));
}

/* A string with its NUL, so the reader can point into the record. */
static void put_str(wbuf_t *w, const char *s)
{
    if (s == NULL) {
        put32(w, NO_VALUE);
        return;
    }
    put32(w, (apr_uint32_t)strlen(s));
    put(w, s, strlen(s) + 1);
}

/* A record being read; every read is bounds-checked, and a short or
 * malformed record reads as "no record". */
typedef struct rbuf_t {
    const char *p, *end;
    int bad;
} rbuf_t;

static const void *take(rbuf_t *b, apr_size_t n)
{
    const char *at = b->p;

    if (b->bad || (apr_size_t)(b->end - b->p) < n) {
        b->bad = 1;
        return NULL;
    }
    b->p += n;
    return at;
}

static apr_uint32_t get32(rbuf_t *b)
{
    apr_uint32_t v = 0;
    const void *at = take(b, sizeof(v));

    if (at) {
        memcpy(&v, at, sizeof(v));
    }
    return v;
}

static apr_uint64_t get64(rbuf_t *b)
{
    apr_uint64_t v = 0;
    const void *at = take(b, sizeof(v));

    if (at) {
        memcpy(&v, at, sizeof(v));
    }
    return v;
}

static const char *get_str(rbuf_t *b)
{
    apr_uint32_t n = get32(b);
    const char *s;

    if (n == NO_VALUE || b->bad) {
        return NULL;
    }
    s = take(b, (apr_size_t)n + 1);
    if (s && s[n] != '\0') {
        b->bad = 1;
        return NULL;
    }
    return s;
}

static void put_head(wbuf_t *w, apr_uint32_t magic, const char *key,
                     apr_size_t klen, const art_cache_gen_t *gen)
{
    put32(w, magic);
    put64(w, gen->snapshot);
    put64(w, gen->templates);
    put64(w, gen->code);
    put64(w, (apr_uint64_t)gen->moment);
    put32(w, (apr_uint32_t)klen);
    put(w, key, klen);
}

/* 1 when the record at b starts with magic, gen and key. */
static int same_head(rbuf_t *b, apr_uint32_t magic, const char *key,
                     apr_size_t klen, const art_cache_gen_t *gen)
{
    const char *k;

    if (get32(b) != magic || get64(b) != gen->snapshot
        || get64(b) != gen->templates || get64(b) != gen->code
        || get64(b) != (apr_uint64_t)gen->moment || get32(b) != klen) {
        return 0;
    }
    k = take(b, klen);
    return !b->bad && memcmp(k, key, klen) == 0;
}

/* ---------------------------------------------------------------- ids */

/* A record's id: the hash's bytes first, then the kind.  shmcb picks the
 * subcache by an id's first byte and checks the second before comparing the
 * rest, so both must vary as much as the hash does. */
static const unsigned char *record_id(apr_pool_t *p, char kind, apr_uint64_t h,
                                      unsigned int *idlen)
{
    unsigned char *id = apr_palloc(p, sizeof(h) + 1);

    memcpy(id, &h, sizeof(h));
    id[sizeof(h)] = (unsigned char)kind;
    *idlen = sizeof(h) + 1;
    return id;
}

/* The variant of a key for given input values, in the index's order. */
static apr_uint64_t variant_hash(const char *key, apr_size_t klen,
                                 const char *const *values, int n)
{
    apr_uint64_t h = art_hash64(key, klen, 0x76617269616e7473ULL);
    int i;

    for (i = 0; i < n; i++) {
        h = values[i] ? art_hash64(values[i], strlen(values[i]), h + (apr_uint64_t)i)
            : h * 31 + 7;
    }
    return h;
}

static apr_status_t fetch(request_rec *r, char kind, apr_uint64_t h, char *buf,
                          unsigned int *len)
{
    unsigned int idlen;
    const unsigned char *id = record_id(r->pool, kind, h, &idlen);
    apr_status_t rv;

    cache_lock();
    rv = provider->retrieve(instance, r->server, id, idlen, (unsigned char *)buf,
                            len, r->pool);
    cache_unlock();
    return rv;
}

/* ---------------------------------------------------------------- index */

typedef struct index_t {
    int ninputs;
    char *kinds;
    const char **names;
    int nvariants;
    apr_uint64_t hashes[VARIANTS_MAX];
    apr_uint32_t sizes[VARIANTS_MAX];
} index_t;

static int read_index(request_rec *r, const char *key, apr_size_t klen,
                      const art_cache_gen_t *gen, index_t *ix)
{
    char *buf = apr_palloc(r->pool, INDEX_MAX);
    unsigned int len = INDEX_MAX;
    rbuf_t b;
    int i;

    if (fetch(r, 'I', art_hash64(key, klen, 0), buf, &len) != APR_SUCCESS) {
        return 0;
    }
    b.p = buf;
    b.end = buf + len;
    b.bad = 0;
    if (!same_head(&b, MAGIC_INDEX, key, klen, gen)) {
        return 0;
    }
    ix->ninputs = (int)get32(&b);
    if (b.bad || ix->ninputs < 0 || ix->ninputs > INDEX_MAX) {
        return 0;
    }
    ix->kinds = apr_palloc(r->pool, (apr_size_t)ix->ninputs + 1);
    ix->names = apr_palloc(r->pool, sizeof(char *) * ((apr_size_t)ix->ninputs + 1));
    for (i = 0; i < ix->ninputs; i++) {
        const char *k = take(&b, 1);
        ix->kinds[i] = k ? *k : 0;
        ix->names[i] = get_str(&b);
    }
    ix->nvariants = (int)get32(&b);
    if (ix->nvariants > VARIANTS_MAX) {
        return 0;
    }
    for (i = 0; i < ix->nvariants; i++) {
        ix->hashes[i] = get64(&b);
        ix->sizes[i] = get32(&b);
    }
    return !b.bad;
}

static void write_index(wbuf_t *w, const char *key, apr_size_t klen,
                        const art_cache_gen_t *gen, const index_t *ix)
{
    int i;

    put_head(w, MAGIC_INDEX, key, klen, gen);
    put32(w, (apr_uint32_t)ix->ninputs);
    for (i = 0; i < ix->ninputs; i++) {
        put(w, &ix->kinds[i], 1);
        put_str(w, ix->names[i]);
    }
    put32(w, (apr_uint32_t)ix->nvariants);
    for (i = 0; i < ix->nvariants; i++) {
        put64(w, ix->hashes[i]);
        put32(w, ix->sizes[i]);
    }
}

/* ---------------------------------------------------------------- lookup */

int art_socache_lookup(request_rec *r, const char *key, apr_size_t klen,
                       const art_cache_gen_t *gen, art_cache_input_fn *get,
                       art_cache_resp_t *out)
{
    index_t ix;
    const char **values;
    const char **hdrs;
    apr_uint64_t h;
    unsigned int len;
    char *buf;
    rbuf_t b;
    int i, v, n;

    if (instance == NULL || !read_index(r, key, klen, gen, &ix)) {
        return 0;
    }
    values = apr_palloc(r->pool, sizeof(char *) * ((apr_size_t)ix.ninputs + 1));
    for (i = 0; i < ix.ninputs; i++) {
        values[i] = ix.names[i] ? get(r, ix.kinds[i], ix.names[i]) : NULL;
    }
    h = variant_hash(key, klen, values, ix.ninputs);
    for (v = 0; v < ix.nvariants && ix.hashes[v] != h; v++) {
    }
    if (v == ix.nvariants) {
        return 0;
    }
    len = ix.sizes[v];
    buf = apr_palloc(r->pool, len);
    if (fetch(r, 'E', h, buf, &len) != APR_SUCCESS) {
        return 0;
    }
    b.p = buf;
    b.end = buf + len;
    b.bad = 0;
    if (!same_head(&b, MAGIC_ENTRY, key, klen, gen)) {
        return 0;
    }
    n = (int)get32(&b);
    for (i = 0; i < n && !b.bad; i++) {
        const char *kind = take(&b, 1);
        const char *name = get_str(&b);
        const char *want = get_str(&b);
        const char *have = kind && name ? get(r, *kind, name) : NULL;

        if (b.bad || name == NULL || !(want == have
                                       || (want && have && strcmp(want, have) == 0))) {
            return 0;
        }
    }
    out->status = (int)get32(&b);
    out->mtime = (apr_time_t)get64(&b);
    out->content_type = get_str(&b);
    out->nheaders = (int)get32(&b);
    if (b.bad || out->nheaders < 0 || out->nheaders > (int)len) {
        return 0;
    }
    hdrs = apr_palloc(r->pool, sizeof(char *) * 2 * ((apr_size_t)out->nheaders + 1));
    for (i = 0; i < 2 * out->nheaders; i++) {
        hdrs[i] = get_str(&b);
        if (hdrs[i] == NULL) {
            return 0;
        }
    }
    out->headers = hdrs;
    out->len = get32(&b);
    out->body = take(&b, out->len);
    return !b.bad && out->body != NULL;
}

/* ---------------------------------------------------------------- store */

int art_socache_store(request_rec *r, const char *key, apr_size_t klen,
                      const art_cache_gen_t *gen,
                      const apr_array_header_t *inputs,
                      const art_cache_resp_t *resp)
{
    int i, n = inputs ? inputs->nelts : 0;
    wbuf_t e = { r->pool, NULL, 0, 0 }, w = { r->pool, NULL, 0, 0 };
    const char **values = apr_palloc(r->pool, sizeof(char *) * ((apr_size_t)n + 1));
    index_t ix, old;
    unsigned int idlen;
    const unsigned char *id;
    apr_status_t rv;
    apr_uint64_t h;
    apr_time_t expiry = apr_time_now() + ENTRY_TTL;

    if (instance == NULL) {
        return 0;
    }
    memset(&ix, 0, sizeof(ix));
    ix.ninputs = n;
    ix.kinds = apr_palloc(r->pool, (apr_size_t)n + 1);
    ix.names = apr_palloc(r->pool, sizeof(char *) * ((apr_size_t)n + 1));
    put_head(&e, MAGIC_ENTRY, key, klen, gen);
    put32(&e, (apr_uint32_t)n);
    for (i = 0; i < n; i++) {
        const art_cache_input_t *in = &APR_ARRAY_IDX(inputs, i, art_cache_input_t);
        ix.kinds[i] = in->kind;
        ix.names[i] = in->name;
        values[i] = in->value;
        put(&e, &in->kind, 1);
        put_str(&e, in->name);
        put_str(&e, in->value);
    }
    put32(&e, (apr_uint32_t)resp->status);
    put64(&e, (apr_uint64_t)resp->mtime);
    put_str(&e, resp->content_type);
    put32(&e, (apr_uint32_t)resp->nheaders);
    for (i = 0; i < 2 * resp->nheaders; i++) {
        put_str(&e, resp->headers[i]);
    }
    put32(&e, (apr_uint32_t)resp->len);
    put(&e, resp->body, resp->len);
    h = variant_hash(key, klen, values, n);

    /* Keep the variants already listed when they were read from the same
     * inputs; a page whose filters now read others starts a new list. */
    ix.hashes[0] = h;
    ix.sizes[0] = (apr_uint32_t)e.len;
    ix.nvariants = 1;
    if (read_index(r, key, klen, gen, &old) && old.ninputs == n) {
        for (i = 0; i < n; i++) {
            if (old.kinds[i] != ix.kinds[i] || old.names[i] == NULL
                || strcmp(old.names[i], ix.names[i]) != 0) {
                break;
            }
        }
        if (i == n) {
            for (i = 0; i < old.nvariants && ix.nvariants < VARIANTS_MAX; i++) {
                if (old.hashes[i] != h) {
                    ix.hashes[ix.nvariants] = old.hashes[i];
                    ix.sizes[ix.nvariants++] = old.sizes[i];
                }
            }
        }
    }
    write_index(&w, key, klen, gen, &ix);
    if (w.len > INDEX_MAX) {
        return 0;
    }
    id = record_id(r->pool, 'E', h, &idlen);
    cache_lock();
    rv = provider->store(instance, r->server, id, idlen, expiry,
                         (unsigned char *)e.data, (unsigned int)e.len, r->pool);
    if (rv == APR_SUCCESS) {
        id = record_id(r->pool, 'I', art_hash64(key, klen, 0), &idlen);
        rv = provider->store(instance, r->server, id, idlen, expiry,
                             (unsigned char *)w.data, (unsigned int)w.len, r->pool);
    }
    cache_unlock();
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE2, rv, r, "ART0021: the shared "
                      "cache did not take %" APR_SIZE_T_FMT " bytes", e.len);
    }
    return rv == APR_SUCCESS;
}

/* ---------------------------------------------------------------- status */

typedef struct usage_t {
    unsigned long entries;
    apr_uint64_t bytes;
} usage_t;

static apr_status_t count_record(ap_socache_instance_t *inst, server_rec *s,
                                 void *baton, const unsigned char *id,
                                 unsigned int idlen, const unsigned char *data,
                                 unsigned int datalen, apr_pool_t *p)
{
    usage_t *u = baton;

    (void)inst;
    (void)s;
    (void)data;
    (void)p;
    /* Pages are the variant records; indexes are bookkeeping. */
    if (idlen && id[idlen - 1] == 'E') {
        u->entries++;
        u->bytes += datalen;
    }
    return APR_SUCCESS;
}

int art_socache_usage(request_rec *r, unsigned long *entries, apr_uint64_t *bytes)
{
    usage_t u = { 0, 0 };
    apr_status_t rv;

    if (instance == NULL || provider->iterate == NULL) {
        return 0;
    }
    cache_lock();
    rv = provider->iterate(instance, r->server, &u, count_record, r->pool);
    cache_unlock();
    *entries = u.entries;
    *bytes = u.bytes;
    return rv == APR_SUCCESS;
}

void art_socache_report(request_rec *r, int flags)
{
    if (instance && provider->status) {
        cache_lock();
        provider->status(instance, r, flags);
        cache_unlock();
    }
}

/* ---------------------------------------------------------------- hooks */

static int socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static int socache_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    const art_srv_conf_t *sc = art_config_srv(s);
    const char *spec = art_config_socache(sc), *args, *err;
    char *name;
    struct ap_socache_hints hints = { 9, 32 * 1024, ENTRY_TTL };
    apr_status_t rv;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || spec == NULL) {
        return OK;
    }
    main_server = s;
    name = apr_pstrdup(ptemp, spec);
    args = ap_strchr(name, ':');
    if (args) {
        *(char *)args++ = '\0';
    }
    else if (strcasecmp(name, "shmcb") == 0) {
        /* shmcb alone would make half a megabyte: give it the cache size. */
        args = apr_psprintf(ptemp, "%s(%" APR_SIZE_T_FMT ")",
                            ap_runtime_dir_relative(ptemp, "articles-cache"),
                            art_config_cache_size(sc));
    }
    provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                  AP_SOCACHE_PROVIDER_VERSION);
    if (provider == NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0022: ArticlesCacheSocache: "
                     "no socache provider %s (LoadModule socache_%s_module?)",
                     name, name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    err = provider->create(&instance, args, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ART0022: ArticlesCacheSocache "
                     "%s: %s", spec, err);
        instance = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            instance = NULL;
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = provider->init(instance, "mod_articles", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "ART0022: cannot start the "
                     "shared cache %s", spec);
        instance = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, forget_instance, apr_pool_cleanup_null);
    return OK;
}

static void socache_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (mutex && apr_global_mutex_child_init(&mutex,
                                             apr_global_mutex_lockfile(mutex),
                                             pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ART0023: the shared cache's "
                     "mutex failed in this process; it serves without the cache");
        instance = NULL;
    }
}

void art_socache_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(socache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(socache_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(socache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
