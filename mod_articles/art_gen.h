/* art_gen.h: a published object with generations and reference counts.
 *
 * The snapshot and the template set are immutable once built; replacing them on a
 * live reload must not pull them from under a request still reading the old one.
 * A holder keeps the current generation; a request acquires it (count + 1) and
 * releases it when done; publishing a new generation drops the holder's own
 * reference to the old one, whose pool is destroyed when the last request lets go.
 */
#ifndef ART_GEN_H
#define ART_GEN_H

#include <apr_pools.h>

typedef struct art_gen_t art_gen_t;
typedef struct art_gen_ref_t art_gen_ref_t;

/* A holder in pool p (its lifetime: the configuration).  obj lives in obj_pool,
 * which the holder destroys when obj is replaced and unused. */
art_gen_t *art_gen_create(apr_pool_t *p, void *obj, apr_pool_t *obj_pool);

/* The current object, counted; *ref must be passed to art_gen_release. */
void *art_gen_acquire(art_gen_t *g, art_gen_ref_t **ref);
void art_gen_release(art_gen_t *g, art_gen_ref_t *ref);

/* Which generation ref is: 1 for the first object, one more at each publish,
 * so anything derived from an object can tell that it is out of date. */
apr_uint64_t art_gen_serial(const art_gen_ref_t *ref);

/* Make obj current. */
void art_gen_publish(art_gen_t *g, void *obj, apr_pool_t *obj_pool);

/* Serialises reloads: returns 1 if the caller may check and reload now (and must
 * call art_gen_reload_done), 0 if another thread is doing it or interval has not
 * passed since the last check. */
int art_gen_reload_begin(art_gen_t *g, apr_interval_time_t interval);
void art_gen_reload_done(art_gen_t *g);

/* The fingerprint of the last source that failed to load (0: none), so the
 * same broken files are not loaded and reported at every check. */
apr_uint64_t art_gen_failed(art_gen_t *g);
void art_gen_set_failed(art_gen_t *g, apr_uint64_t fingerprint);

#endif
