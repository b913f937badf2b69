/* art_gen.c: generations of an immutable object with reference counts. */
#include <apr_time.h>

#include "art_gen.h"
#include "art_mutex.h"

struct art_gen_ref_t {
    void *obj;
    apr_pool_t *pool;
    unsigned refs;               /* requests + 1 while current */
    apr_uint64_t serial;         /* which generation of its holder */
};

struct art_gen_t {
    apr_pool_t *pool;
    art_mutex_t *mutex;
    art_gen_ref_t *cur;
    apr_uint64_t serial;         /* of cur */
    int reloading;
    apr_uint64_t failed;         /* fingerprint that failed to load */
    apr_time_t last_check;
};

static art_gen_ref_t *ref_make(void *obj, apr_pool_t *obj_pool,
                               apr_uint64_t serial)
{
    /* The ref lives in the object's own pool so both go together. */
    art_gen_ref_t *ref = apr_palloc(obj_pool, sizeof(*ref));

    ref->obj = obj;
    ref->pool = obj_pool;
    ref->refs = 1;
    ref->serial = serial;
    return ref;
}

/* The holder's own reference goes with the configuration. */
static apr_status_t gen_cleanup(void *data)
{
    art_gen_t *g = data;

    art_gen_release(g, g->cur);
    return APR_SUCCESS;
}

art_gen_t *art_gen_create(apr_pool_t *p, void *obj, apr_pool_t *obj_pool)
{
    art_gen_t *g = apr_pcalloc(p, sizeof(*g));

    g->pool = p;
    art_mutex_create(&g->mutex, p);
    g->serial = 1;
    g->cur = ref_make(obj, obj_pool, g->serial);
    g->last_check = apr_time_now();
    apr_pool_cleanup_register(p, g, gen_cleanup, apr_pool_cleanup_null);
    return g;
}

void *art_gen_acquire(art_gen_t *g, art_gen_ref_t **ref)
{
    art_mutex_lock(g->mutex);
    *ref = g->cur;
    g->cur->refs++;
    art_mutex_unlock(g->mutex);
    return (*ref)->obj;
}

void art_gen_release(art_gen_t *g, art_gen_ref_t *ref)
{
    unsigned left;

    art_mutex_lock(g->mutex);
    left = --ref->refs;
    art_mutex_unlock(g->mutex);
    if (left == 0) {
        apr_pool_destroy(ref->pool);
    }
}

void art_gen_publish(art_gen_t *g, void *obj, apr_pool_t *obj_pool)
{
    art_gen_ref_t *old;

    art_mutex_lock(g->mutex);
    old = g->cur;
    g->cur = ref_make(obj, obj_pool, ++g->serial);
    art_mutex_unlock(g->mutex);
    art_gen_release(g, old);
}

int art_gen_reload_begin(art_gen_t *g, apr_interval_time_t interval)
{
    apr_time_t now = apr_time_now();
    int go = 0;

    if (interval <= 0 || now - g->last_check < interval) {
        return 0;
    }
    art_mutex_lock(g->mutex);
    if (!g->reloading && now - g->last_check >= interval) {
        g->reloading = 1;
        go = 1;
    }
    art_mutex_unlock(g->mutex);
    return go;
}

void art_gen_reload_done(art_gen_t *g)
{
    art_mutex_lock(g->mutex);
    g->reloading = 0;
    g->last_check = apr_time_now();
    art_mutex_unlock(g->mutex);
}

apr_uint64_t art_gen_failed(art_gen_t *g)
{
    return g->failed;
}

void art_gen_set_failed(art_gen_t *g, apr_uint64_t fingerprint)
{
    g->failed = fingerprint;
}

apr_uint64_t art_gen_serial(const art_gen_ref_t *ref)
{
    return ref->serial;
}
