/* art_hash.h: the module's 64-bit hash (art_hash.c). */
#ifndef ART_HASH_H
#define ART_HASH_H

#include <apr.h>

/* A fast 64-bit non-cryptographic hash, used for content digests and ETags. */
apr_uint64_t art_hash64(const void *data, apr_size_t len, apr_uint64_t seed);

#endif
