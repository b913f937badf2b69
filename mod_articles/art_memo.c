/* art_memo.c: the per-version memo (see art_memo.h).
 *
 * Entries are replaced and freed under the lock, which is why a found entry
 * is read before art_memo_unlock: once it is released, another thread may
 * replace (and free) it.
 *
 * Slots go in sets of two (adjacent, so one cache line): an entry may sit in
 * either slot of its hash's set, each slot records the full hash of its
 * entry to tell them apart, and a new entry takes a free slot or the one
 * used least recently.  With one slot per hash, two entries wanted in turn
 * whose hashes fell on the same slot (a few hundred of the thousand
 * documents a run of searches shows, at 10,000 articles) pushed each other
 * out on every use; a set of two keeps both.
 */
#include <stdlib.h>

#include "art_memo.h"
#include "art_mutex.h"

typedef struct {
    void *entry;
    apr_size_t bytes;
    apr_uint32_t hash;           /* the entry's, in full */
    apr_uint32_t used;           /* m->clock when last found or put */
} memo_slot_t;

struct art_memo_t {
    art_mutex_t *mu;
    void (*free_fn)(void *entry);
    apr_uint64_t serial;         /* the version the slots hold */
    memo_slot_t *slots;
    apr_uint32_t mask;
    apr_uint32_t clock;          /* counts finds and puts */
    apr_size_t bytes, limit;
};

void art_memo_unlock(art_memo_t *m)
{
    art_mutex_unlock(m->mu);
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
    if (art_mutex_create(&m->mu, p) != APR_SUCCESS) {
        free(m->slots);
        return NULL;
    }
    apr_pool_cleanup_register(p, m, memo_cleanup, apr_pool_cleanup_null);
    return m;
}

/* The slot of hash's set holding an entry of that hash, or NULL. */
static memo_slot_t *memo_find(art_memo_t *m, apr_uint32_t hash)
{
    memo_slot_t *set = &m->slots[hash & m->mask & ~1u];

    if (set[0].entry && set[0].hash == hash) {
        return &set[0];
    }
    if (set[1].entry && set[1].hash == hash) {
        return &set[1];
    }
    return NULL;
}

void *art_memo_get(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash)
{
    memo_slot_t *slot;

    art_mutex_lock(m->mu);
    if (serial != m->serial || (slot = memo_find(m, hash)) == NULL) {
        return NULL;
    }
    slot->used = ++m->clock;
    return slot->entry;
}

void art_memo_resize(art_memo_t *m, apr_uint32_t hash, apr_size_t bytes)
{
    memo_slot_t *slot = memo_find(m, hash);

    if (slot) {
        m->bytes = m->bytes - slot->bytes + bytes;
        slot->bytes = bytes;
    }
}

void art_memo_put(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash,
                  void *entry, apr_size_t bytes)
{
    memo_slot_t *slot, *set = &m->slots[hash & m->mask & ~1u];
    void *old = entry;

    art_mutex_lock(m->mu);
    if (serial > m->serial) {
        /* A newer version: requests that begin from now on read it. */
        memo_empty(m);
        m->serial = serial;
    }
    if (serial == m->serial && (m->limit == 0 || bytes <= m->limit)) {
        /* The entry of the same hash, else a free slot, else the one
         * used least recently (the clock wraps: a difference, not a
         * comparison, tells which is older). */
        slot = memo_find(m, hash);
        if (slot == NULL) {
            slot = set[0].entry == NULL ? &set[0]
                   : set[1].entry == NULL ? &set[1]
                   : m->clock - set[0].used >= m->clock - set[1].used
                   ? &set[0] : &set[1];
        }
        old = slot->entry;
        m->bytes -= slot->bytes;
        slot->entry = NULL;
        slot->bytes = 0;
        if (m->limit && m->bytes + bytes > m->limit) {
            memo_empty(m);
        }
        slot->entry = entry;
        slot->bytes = bytes;
        slot->hash = hash;
        slot->used = ++m->clock;
        m->bytes += bytes;
    }
    art_memo_unlock(m);
    if (old) {
        m->free_fn(old);
    }
}
