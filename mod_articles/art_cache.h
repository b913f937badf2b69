/* art_cache.h: a per-process cache of rendered responses.
 *
 * A page is a function of the snapshot, the templates, the filters' code and
 * whatever the filters read of the request.  The URL (path and query) is the
 * entry's key; the rest of the request is matched through the inputs the
 * filters actually read while the page was built -- a header, a cookie, the
 * method -- recorded with the value they saw.  A later request with the same
 * key is answered from the entry only if every recorded input has the same
 * value in it and the entry was made from the same generations of snapshot,
 * templates and Lua code.  So a filter that reads Accept-Language gets one
 * entry per Accept-Language value, and one that reads nothing gets one entry
 * per URL.  A filter that does something no key can capture (reads the whole
 * header table, asks for the time or a random number, writes the log) makes
 * its page uncacheable instead.
 *
 * Entries are one malloc block each, bounded in total bytes and evicted least
 * recently used first.  Any number of threads may use a cache at once; an
 * entry being served is counted so eviction never frees it under a reader.
 * No httpd header is needed: the caller supplies the current value of an input
 * through a callback.
 */
#ifndef ART_CACHE_H
#define ART_CACHE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct art_cache_t art_cache_t;
typedef struct art_cache_entry_t art_cache_entry_t;

/* Kinds of request input a page can depend on. */
#define ART_INPUT_HEADER 'h'          /* a request header, by name */
#define ART_INPUT_COOKIE 'c'          /* a cookie, by name */
#define ART_INPUT_METHOD 'm'          /* the method (name unused) */

typedef struct art_cache_input_t {
    char kind;                        /* ART_INPUT_* */
    const char *name;
    const char *value;                /* NULL: absent */
} art_cache_input_t;

/* What a page was made from besides its request: three generation numbers,
 * and the moment the newest public article went live (the snapshot view's
 * since): a scheduled article going live changes it, so no entry made
 * before that moment is served after it. */
typedef struct art_cache_gen_t {
    apr_uint64_t snapshot;
    apr_uint64_t templates;
    apr_uint64_t code;
    apr_time_t moment;
} art_cache_gen_t;

/* A response as stored and as served back. */
typedef struct art_cache_resp_t {
    int status;
    const char *content_type;
    apr_time_t mtime;
    const char *const *headers;       /* name, value, name, value, ... */
    int nheaders;                     /* pairs */
    const char *body;
    apr_size_t len;
} art_cache_resp_t;

/* The current value of an input in the request being answered. */
typedef const char *art_cache_input_fn(void *baton, char kind, const char *name);

/* A cache of at most max_bytes (entries and their bookkeeping) whose lock and
 * bookkeeping live in p; entries are freed with p. */
art_cache_t *art_cache_create(apr_pool_t *p, apr_size_t max_bytes);

/* Record that the page being built read input (kind, name) and saw value;
 * *inputs is made in p when NULL.  A repeat of the same input is kept once. */
void art_cache_note(apr_pool_t *p, apr_array_header_t **inputs, char kind,
                    const char *name, const char *value);

/* The entry for key made in generation gen whose inputs all match the
 * current request, counted (art_cache_release must follow), or NULL.  Entries
 * of older generations met on the way are dropped. */
art_cache_entry_t *art_cache_lookup(art_cache_t *c, const char *key,
                                    apr_size_t klen, const art_cache_gen_t *gen,
                                    art_cache_input_fn *get, void *baton);
const art_cache_resp_t *art_cache_response(const art_cache_entry_t *e);
void art_cache_release(art_cache_t *c, art_cache_entry_t *e);

/* Store resp under key for the given inputs (array of art_cache_input_t,
 * may be NULL); a response larger than a quarter of the cache is not stored.
 * Replaces an entry with the same key and inputs.  Returns 1 if stored. */
int art_cache_store(art_cache_t *c, const char *key, apr_size_t klen,
                    const art_cache_gen_t *gen,
                    const apr_array_header_t *inputs,
                    const art_cache_resp_t *resp);

/* Counters since creation, for the log and the tests. */
typedef struct art_cache_stats_t {
    apr_size_t bytes;                 /* held now */
    unsigned long entries;            /* held now */
    unsigned long hits, misses, stores, evictions;
} art_cache_stats_t;

void art_cache_stats(art_cache_t *c, art_cache_stats_t *out);

#endif /* ART_CACHE_H */
