/* art_tag.h: tag keys (art_tag.c). */
#ifndef ART_TAG_H
#define ART_TAG_H

#include <apr_pools.h>

/* Lower-case ASCII and fold common Unicode cases for tag keys; result in p. */
const char *art_tag_fold(apr_pool_t *p, const char *name);

#endif
