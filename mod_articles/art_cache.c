/* art_cache.c: rendered responses kept per process, keyed by URL and by what
 * the filters read of the request (see art_cache.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "art_cache.h"
#include "art_hash.h"
#include "art_mutex.h"

#define HASH_SEED 0x63616368655f6b65ULL

struct art_cache_entry_t {
    art_cache_entry_t *hnext;         /* hash chain */
    art_cache_entry_t *prev, *next;   /* recency list, newest first */
    apr_uint64_t hash;
    art_cache_gen_t gen;
    apr_size_t size;                  /* the whole block */
    unsigned refs;                    /* requests serving it */
    int linked;                       /* in the table (else freed at refs 0) */
    const char *key;
    apr_size_t klen;
    int ninputs;
    art_cache_input_t *inputs;
    art_cache_resp_t resp;
};

struct art_cache_t {
    art_mutex_t *mutex;
    art_cache_entry_t **table;
    apr_size_t mask;                  /* buckets - 1 */
    art_cache_entry_t *newest, *oldest;
    apr_size_t max_bytes;
    art_cache_stats_t st;
};

/* ---------------------------------------------------------------- lists */

static void lru_remove(art_cache_t *c, art_cache_entry_t *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    }
    else {
        c->newest = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    else {
        c->oldest = e->prev;
    }
    e->prev = e->next = NULL;
}

static void lru_push(art_cache_t *c, art_cache_entry_t *e)
{
    e->prev = NULL;
    e->next = c->newest;
    if (c->newest) {
        c->newest->prev = e;
    }
    c->newest = e;
    if (c->oldest == NULL) {
        c->oldest = e;
    }
}

/* Take e out of the table; it is freed now, or by the last request still
 * serving it. */
static void entry_drop(art_cache_t *c, art_cache_entry_t *e)
{
    art_cache_entry_t **pp = &c->table[e->hash & c->mask];

    while (*pp != e) {
        pp = &(*pp)->hnext;
    }
    *pp = e->hnext;
    lru_remove(c, e);
    e->linked = 0;
    c->st.bytes -= e->size;
    c->st.entries--;
    if (e->refs == 0) {
        free(e);
    }
}

static apr_status_t cache_cleanup(void *data)
{
    art_cache_t *c = data;
    art_cache_entry_t *e, *next;

    /* The pool goes with the process or configuration: no request is left. */
    for (e = c->newest; e; e = next) {
        next = e->next;
        free(e);
    }
    c->newest = c->oldest = NULL;
    return APR_SUCCESS;
}

art_cache_t *art_cache_create(apr_pool_t *p, apr_size_t max_bytes)
{
    art_cache_t *c = apr_pcalloc(p, sizeof(*c));
    apr_size_t buckets = 256;

    /* About one bucket per 4 KB of budget: chains stay short for pages of a
     * few kilobytes without a resize under load. */
    while (buckets < max_bytes / 4096 && buckets < ((apr_size_t)1 << 20)) {
        buckets <<= 1;
    }
    if (art_mutex_create(&c->mutex, p) != APR_SUCCESS) {
        return NULL;
    }
    c->table = apr_pcalloc(p, buckets * sizeof(*c->table));
    c->mask = buckets - 1;
    c->max_bytes = max_bytes;
    apr_pool_cleanup_register(p, c, cache_cleanup, apr_pool_cleanup_null);
    return c;
}

/* ---------------------------------------------------------------- inputs */

static int input_same_name(const art_cache_input_t *in, char kind, const char *name)
{
    if (in->kind != kind) {
        return 0;
    }
    /* Header names are case-insensitive, cookie names are not. */
    return kind == ART_INPUT_HEADER ? strcasecmp(in->name, name) == 0
        : strcmp(in->name, name) == 0;
}

static int same_value(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

void art_cache_note(apr_pool_t *p, apr_array_header_t **inputs, char kind,
                    const char *name, const char *value)
{
    art_cache_input_t *in;
    int i;

    if (*inputs == NULL) {
        *inputs = apr_array_make(p, 4, sizeof(art_cache_input_t));
    }
    for (i = 0; i < (*inputs)->nelts; i++) {
        if (input_same_name(&APR_ARRAY_IDX(*inputs, i, art_cache_input_t),
                            kind, name)) {
            return;
        }
    }
    in = apr_array_push(*inputs);
    in->kind = kind;
    in->name = apr_pstrdup(p, name);
    in->value = value ? apr_pstrdup(p, value) : NULL;
}

static int inputs_match(const art_cache_entry_t *e, art_cache_input_fn *get,
                        void *baton)
{
    int i;

    for (i = 0; i < e->ninputs; i++) {
        const art_cache_input_t *in = &e->inputs[i];
        if (!same_value(in->value, get(baton, in->kind, in->name))) {
            return 0;
        }
    }
    return 1;
}

static int inputs_equal(const art_cache_entry_t *e, const apr_array_header_t *inputs)
{
    int i, n = inputs ? inputs->nelts : 0;

    if (n != e->ninputs) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        const art_cache_input_t *in = &APR_ARRAY_IDX(inputs, i, art_cache_input_t);
        if (!input_same_name(&e->inputs[i], in->kind, in->name)
            || !same_value(e->inputs[i].value, in->value)) {
            return 0;
        }
    }
    return 1;
}

static int gen_equal(const art_cache_gen_t *a, const art_cache_gen_t *b)
{
    return a->snapshot == b->snapshot && a->templates == b->templates
        && a->code == b->code && a->moment == b->moment;
}

/* ---------------------------------------------------------------- lookup */

art_cache_entry_t *art_cache_lookup(art_cache_t *c, const char *key,
                                    apr_size_t klen, const art_cache_gen_t *gen,
                                    art_cache_input_fn *get, void *baton)
{
    apr_uint64_t h = art_hash64(key, klen, HASH_SEED);
    art_cache_entry_t *e, *next, *found = NULL;

    art_mutex_lock(c->mutex);
    for (e = c->table[h & c->mask]; e && !found; e = next) {
        next = e->hnext;
        if (e->hash != h || e->klen != klen || memcmp(e->key, key, klen) != 0) {
            continue;
        }
        if (!gen_equal(&e->gen, gen)) {
            /* Made from an older snapshot, template set or filter code: it
             * can never be served again. */
            entry_drop(c, e);
            continue;
        }
        if (inputs_match(e, get, baton)) {
            found = e;
        }
    }
    if (found) {
        lru_remove(c, found);
        lru_push(c, found);
        found->refs++;
        c->st.hits++;
    }
    else {
        c->st.misses++;
    }
    art_mutex_unlock(c->mutex);
    return found;
}

const art_cache_resp_t *art_cache_response(const art_cache_entry_t *e)
{
    return &e->resp;
}

void art_cache_release(art_cache_t *c, art_cache_entry_t *e)
{
    int gone;

    art_mutex_lock(c->mutex);
    gone = --e->refs == 0 && !e->linked;
    art_mutex_unlock(c->mutex);
    if (gone) {
        free(e);
    }
}

/* ---------------------------------------------------------------- store */

/* Bump allocation inside one block: strings are copied after the struct. */
typedef struct block_t {
    char *p;
} block_t;

static const char *block_str(block_t *b, const char *s)
{
    char *d;
    apr_size_t n;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = b->p;
    memcpy(d, s, n);
    b->p += n;
    return d;
}

static apr_size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

#define ALIGN(n) (((n) + 7) & ~(apr_size_t)7)

int art_cache_store(art_cache_t *c, const char *key, apr_size_t klen,
                    const art_cache_gen_t *gen,
                    const apr_array_header_t *inputs,
                    const art_cache_resp_t *resp)
{
    int i, n = inputs ? inputs->nelts : 0;
    apr_size_t size, strs = klen + 1 + resp->len + str_size(resp->content_type);
    art_cache_entry_t *e, *old, *next;
    const char **hdrs;
    block_t b;

    for (i = 0; i < n; i++) {
        const art_cache_input_t *in = &APR_ARRAY_IDX(inputs, i, art_cache_input_t);
        strs += str_size(in->name) + str_size(in->value);
    }
    for (i = 0; i < 2 * resp->nheaders; i++) {
        strs += str_size(resp->headers[i]);
    }
    size = ALIGN(sizeof(*e)) + ALIGN(sizeof(art_cache_input_t) * (apr_size_t)n)
        + ALIGN(sizeof(char *) * 2 * (apr_size_t)resp->nheaders) + strs;
    if (size > c->max_bytes / 4) {
        return 0;
    }
    e = malloc(size);
    if (e == NULL) {
        return 0;
    }
    memset(e, 0, sizeof(*e));
    e->size = size;
    e->gen = *gen;
    e->hash = art_hash64(key, klen, HASH_SEED);
    e->inputs = (art_cache_input_t *)((char *)e + ALIGN(sizeof(*e)));
    hdrs = (const char **)((char *)e->inputs
                           + ALIGN(sizeof(art_cache_input_t) * (apr_size_t)n));
    b.p = (char *)hdrs + ALIGN(sizeof(char *) * 2 * (apr_size_t)resp->nheaders);

    memcpy(b.p, key, klen);
    b.p[klen] = '\0';
    e->key = b.p;
    e->klen = klen;
    b.p += klen + 1;
    e->ninputs = n;
    for (i = 0; i < n; i++) {
        const art_cache_input_t *in = &APR_ARRAY_IDX(inputs, i, art_cache_input_t);
        e->inputs[i].kind = in->kind;
        e->inputs[i].name = block_str(&b, in->name);
        e->inputs[i].value = block_str(&b, in->value);
    }
    for (i = 0; i < 2 * resp->nheaders; i++) {
        hdrs[i] = block_str(&b, resp->headers[i]);
    }
    e->resp = *resp;
    e->resp.headers = hdrs;
    e->resp.content_type = block_str(&b, resp->content_type);
    memcpy(b.p, resp->body, resp->len);
    e->resp.body = b.p;

    art_mutex_lock(c->mutex);
    for (old = c->table[e->hash & c->mask]; old; old = next) {
        next = old->hnext;
        if (old->hash == e->hash && old->klen == klen
            && memcmp(old->key, key, klen) == 0
            && (!gen_equal(&old->gen, gen) || inputs_equal(old, inputs))) {
            entry_drop(c, old);
        }
    }
    while (c->oldest && c->st.bytes + size > c->max_bytes) {
        entry_drop(c, c->oldest);
        c->st.evictions++;
    }
    e->hnext = c->table[e->hash & c->mask];
    c->table[e->hash & c->mask] = e;
    e->linked = 1;
    lru_push(c, e);
    c->st.bytes += size;
    c->st.entries++;
    c->st.stores++;
    art_mutex_unlock(c->mutex);
    return 1;
}

void art_cache_stats(art_cache_t *c, art_cache_stats_t *out)
{
    art_mutex_lock(c->mutex);
    *out = c->st;
    art_mutex_unlock(c->mutex);
}
