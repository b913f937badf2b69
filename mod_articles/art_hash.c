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

static APR_INLINE apr_uint64_t rotl64(apr_uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
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

/* Four independent lanes of xor, multiply and rotate over 32-byte strides:
 * three instructions per word where art_hash64 spends six, and the lanes'
 * multiplies overlap in the pipeline.  Whole pages are hashed for their ETag
 * on every request (issue #14); the rotation carries each product's high
 * bits into the low bits the next multiply spreads. */
apr_uint64_t art_hash64_wide(const void *data, apr_size_t len, apr_uint64_t seed)
{
    const unsigned char *p = data;
    apr_uint64_t a, b, c, d;

    if (len < 64) {
        return art_hash64(data, len, seed);
    }
    a = seed ^ HASH_K1;
    b = seed + HASH_K2;
    c = rotl64(seed, 17) ^ len;
    d = ~seed;
    while (len >= 32) {
        a = rotl64((a ^ load64le(p)) * HASH_K1, 29);
        b = rotl64((b ^ load64le(p + 8)) * HASH_K1, 29);
        c = rotl64((c ^ load64le(p + 16)) * HASH_K1, 29);
        d = rotl64((d ^ load64le(p + 24)) * HASH_K1, 29);
        p += 32;
        len -= 32;
    }
    a = mix64(a) ^ rotl64(mix64(b), 16) ^ rotl64(mix64(c), 32) ^ rotl64(mix64(d), 48);
    return art_hash64(p, len, a);
}
