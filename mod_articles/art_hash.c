/* art_hash.c: the module's one non-cryptographic hash.
 *
 * Content digests of repositories and template folders, change fingerprints,
 * ETags and the response cache's buckets all use it; it must give the same
 * value on every machine, since ETags are compared across servers.
 */
#include <string.h>

#include "art_hash.h"

/* Multiply-xorshift over 8-byte words: about a byte per cycle, good dispersion,
 * and the same value on every machine (words are read little-endian). */
#define HASH_K1 0x9E3779B97F4A7C15ULL
#define HASH_K2 0xC2B2AE3D27D4EB4FULL

/* A little-endian word from p.  The memcpy becomes one load on the hosts we
 * build for; spelled out as a function it was left uninlined, a call per word. */
static APR_INLINE apr_uint64_t load64le(const unsigned char *p)
{
    apr_uint64_t w;

    memcpy(&w, p, sizeof(w));
#if APR_IS_BIGENDIAN
    w = ((w & 0x00000000000000ffULL) << 56) | ((w & 0x000000000000ff00ULL) << 40)
        | ((w & 0x0000000000ff0000ULL) << 24) | ((w & 0x00000000ff000000ULL) << 8)
        | ((w & 0x000000ff00000000ULL) >> 8) | ((w & 0x0000ff0000000000ULL) >> 24)
        | ((w & 0x00ff000000000000ULL) >> 40) | ((w & 0xff00000000000000ULL) >> 56);
#endif
    return w;
}

static apr_uint64_t mix64(apr_uint64_t h)
{
    h ^= h >> 33;
    h *= HASH_K2;
    h ^= h >> 29;
    return h;
}

apr_uint64_t art_hash64(const void *data, apr_size_t len, apr_uint64_t seed)
{
    const unsigned char *p = data;
    apr_uint64_t a = seed ^ HASH_K1, b = seed + len;
    apr_uint64_t tail = 0;
    apr_size_t i;

    while (len >= 16) {
        a = (a ^ load64le(p)) * HASH_K1;
        b = (b ^ load64le(p + 8)) * HASH_K2;
        a ^= a >> 31;
        b ^= b >> 27;
        p += 16;
        len -= 16;
    }
    if (len >= 8) {
        a = (a ^ load64le(p)) * HASH_K1;
        a ^= a >> 31;
        p += 8;
        len -= 8;
    }
    for (i = 0; i < len; i++) {
        tail |= (apr_uint64_t)p[i] << (8 * i);
    }
    b = (b ^ tail) * HASH_K2;
    return mix64(a ^ mix64(b));
}
