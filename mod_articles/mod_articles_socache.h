/* mod_articles_socache.h: the response cache shared by every process.
 *
 * ArticlesCache keeps rendered pages; with ArticlesCacheSocache (shmcb by
 * default) they are kept through one of httpd's socache providers, the way
 * SSLSessionCache and CacheSocache keep theirs, so a page one process
 * rendered is a hit in all of them.  Keys, the inputs a page depends on and
 * the generations that invalidate it are those of art_cache.h; the
 * generations are made of what every process agrees on (the repository's
 * content digest, the template folder's fingerprint, the shared filter-code
 * epoch) instead of one process's counters.
 */
#ifndef MOD_ARTICLES_SOCACHE_H
#define MOD_ARTICLES_SOCACHE_H

#include "httpd.h"

#include "art_cache.h"

/* pre_config, post_config and child_init of the shared cache. */
void art_socache_register_hooks(apr_pool_t *p);

/* 1 when the shared cache is configured and ready in this process. */
int art_socache_on(void);

/* The page stored under key for generation gen whose recorded inputs all
 * have their current value (get, on baton r), copied into r->pool: 1 and
 * *out filled, else 0. */
int art_socache_lookup(request_rec *r, const char *key, apr_size_t klen,
                       const art_cache_gen_t *gen, art_cache_input_fn *get,
                       art_cache_resp_t *out);

/* Store resp for key, gen and the inputs read (art_cache_input_t, may be
 * NULL).  Returns 1 if stored. */
int art_socache_store(request_rec *r, const char *key, apr_size_t klen,
                      const art_cache_gen_t *gen,
                      const apr_array_header_t *inputs,
                      const art_cache_resp_t *resp);

/* Pages held now and their bytes; 0 when the provider cannot tell. */
int art_socache_usage(request_rec *r, unsigned long *entries,
                      apr_uint64_t *bytes);

/* The provider's own report (mod_status style; flags AP_STATUS_SHORT for
 * the plain form). */
void art_socache_report(request_rec *r, int flags);

#endif
