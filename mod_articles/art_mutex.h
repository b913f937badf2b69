/* art_mutex.h: a mutex that is nothing where APR has no threads.
 *
 * The template sets, snapshots (art_gen), Lua states and the response cache
 * are each guarded by one mutex; with a threaded APR it is an
 * apr_thread_mutex_t, without one there is nothing to guard against and the
 * calls do nothing.  One definition here instead of an #if in each user.
 */
#ifndef ART_MUTEX_H
#define ART_MUTEX_H

#include <apr_pools.h>
#include <apr_thread_mutex.h>

#if APR_HAS_THREADS
typedef apr_thread_mutex_t art_mutex_t;
#else
typedef struct art_mutex_t art_mutex_t;  /* never made: pointers are NULL */
#endif

/* A default (not nested) mutex in p; *m is NULL without threads. */
static inline apr_status_t art_mutex_create(art_mutex_t **m, apr_pool_t *p)
{
#if APR_HAS_THREADS
    return apr_thread_mutex_create(m, APR_THREAD_MUTEX_DEFAULT, p);
#else
    (void)p;
    *m = NULL;
    return APR_SUCCESS;
#endif
}

static inline void art_mutex_lock(art_mutex_t *m)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(m);
#else
    (void)m;
#endif
}

static inline void art_mutex_unlock(art_mutex_t *m)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(m);
#else
    (void)m;
#endif
}

#endif
