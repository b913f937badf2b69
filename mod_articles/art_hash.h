/* art_hash.h: the module's 64-bit hash (art_hash.c). */
#ifndef ART_HASH_H
#define ART_HASH_H

#include <apr.h>

/* A fast 64-bit non-cryptographic hash, used for content digests and ETags. */
apr_uint64_t art_hash64(const void *data, apr_size_t len, apr_uint64_t seed);

/* Another such hash, for long inputs hashed often (a page's ETag): about
 * half the instructions per byte of art_hash64, and other values. */
apr_uint64_t art_hash64_wide(const void *data, apr_size_t len, apr_uint64_t seed);

/* 32-bit FNV-1a, for the in-memory tables that key on a few short strings
 * (index terms, stop words, memo keys).  It continues from h, so a key made
 * of several parts is hashed part by part from ART_FNV32_INIT. */
#define ART_FNV32_INIT 2166136261u

static APR_INLINE apr_uint32_t art_fnv32(const void *data, apr_size_t len,
                                         apr_uint32_t h)
{
    const unsigned char *b = data;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ b[i]) * 16777619u;
    }
    return h;
}

#endif
