/* art_url.h: URL path segments (art_url.c). */
#ifndef ART_URL_H
#define ART_URL_H

#include <apr_pools.h>

/* s percent-encoded for one URL path segment (all but unreserved ASCII). */
const char *art_url_segment(apr_pool_t *p, const char *s);

#endif
