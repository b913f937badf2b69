/* art_memo.c: the per-version memo (see art_memo.h).
 *
 * Entries are replaced and freed under the lock, which is why a found entry
 * is read before art_memo_unlock: once it is released, another thread may
 * replace (and free) it.
 */
#include <stdlib.h>

#include <apr_thread_mutex.h>

#include "art_memo.h"

typedef struct {
    void *entry;
    apr_size_t bytes;
} memo_slot_t;

struct art_memo_t {
#if APR_HAS_THREADS
    apr_thread_mutex_t *mu;
#endif
    void (*free_fn)(void *entry);
    apr_uint64_t serial;         /* the version the slots hold */
    memo_slot_t *slots;
    apr_uint32_t mask;
    apr_size_t bytes, limit;
};

static void memo_lock(art_memo_t *m)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(m->mu);
#else
    (void)m;
#endif
}

void art_memo_unlock(art_memo_t *m)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(m->mu);
#else
    (void)m;
#endif
}

/* Free every entry; the caller holds the lock (or is the last user). */
static void memo_empty(art_memo_t *m)
{
    apr_uint32_t i;

    for (i = 0; i <= m->mask; i++) {
        if (m->slots[i].entry) {
            m->free_fn(m->slots[i].entry);
        }
        m->slots[i].entry = NULL;
        m->slots[i].bytes = 0;
    }
    m->bytes = 0;
}

static apr_status_t memo_cleanup(void *data)
{
    art_memo_t *m = data;

    memo_empty(m);
    free(m->slots);
    return APR_SUCCESS;
}

art_memo_t *art_memo_create(apr_pool_t *p, int slots, apr_size_t bytes,
                            void (*free_fn)(void *entry))
{
    art_memo_t *m = apr_pcalloc(p, sizeof(*m));
    apr_uint32_t n = 64;

    while ((int)n < slots && n < (1u << 24)) {
        n *= 2;
    }
    m->slots = calloc(n, sizeof(*m->slots));
    if (m->slots == NULL) {
        return NULL;
    }
    m->mask = n - 1;
    m->limit = bytes;
    m->free_fn = free_fn;
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&m->mu, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        free(m->slots);
        return NULL;
    }
#endif
    apr_pool_cleanup_register(p, m, memo_cleanup, apr_pool_cleanup_null);
    return m;
}

void *art_memo_get(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash)
{
    memo_lock(m);
    return serial == m->serial ? m->slots[hash & m->mask].entry : NULL;
}

void art_memo_resize(art_memo_t *m, apr_uint32_t hash, apr_size_t bytes)
{
    memo_slot_t *slot = &m->slots[hash & m->mask];

    m->bytes = m->bytes - slot->bytes + bytes;
    slot->bytes = bytes;
}

void art_memo_put(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash,
                  void *entry, apr_size_t bytes)
{
    memo_slot_t *slot = &m->slots[hash & m->mask];
    void *old = entry;

    memo_lock(m);
    if (serial > m->serial) {
        /* A newer version: requests that begin from now on read it. */
        memo_empty(m);
        m->serial = serial;
    }
    if (serial == m->serial && (m->limit == 0 || bytes <= m->limit)) {
        old = slot->entry;
        m->bytes -= slot->bytes;
        slot->entry = NULL;
        slot->bytes = 0;
        if (m->limit && m->bytes + bytes > m->limit) {
            memo_empty(m);
        }
        slot->entry = entry;
        slot->bytes = bytes;
        m->bytes += bytes;
    }
    art_memo_unlock(m);
    if (old) {
        m->free_fn(old);
    }
}
