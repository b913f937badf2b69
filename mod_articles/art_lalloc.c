/* art_lalloc.c: free lists of small blocks for one Lua state's allocator.
 *
 * See art_lalloc.h for the concept.  A block in a list is still a live
 * malloc'd block to libc and to the sanitizers, so an ASan build poisons it
 * while it waits there: Lua touching a block it freed is reported as it would
 * be without the lists.
 */
#include <stdlib.h>
#include <string.h>

#include "art_lalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HIDE(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SHOW(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define HIDE(p, n) ((void)(p), (void)(n))
#define SHOW(p, n) ((void)(p), (void)(n))
#endif

/* The class of a block of n bytes, 0 < n <= ART_LALLOC_MAX, and its size. */
#define CLASS_OF(n) (((n) - 1) / ART_LALLOC_GRAIN)
#define CLASS_BYTES(c) (((size_t)(c) + 1) * ART_LALLOC_GRAIN)

void art_lalloc_init(art_lalloc_t *a, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->cap = cap;
}

/* A block of n > 0 bytes: a listed one of its class, or a new one. */
static void *get(art_lalloc_t *a, size_t n)
{
    if (n <= ART_LALLOC_MAX) {
        size_t c = CLASS_OF(n);
        void *b = a->free[c];

        if (b) {
            SHOW(b, CLASS_BYTES(c));
            a->free[c] = *(void **)b;
            a->held -= CLASS_BYTES(c);
            return b;
        }
        return malloc(CLASS_BYTES(c));
    }
    return malloc(n);
}

/* Take back block b that was asked for as n bytes: listed while the cap
 * allows, otherwise freed. */
static void put(art_lalloc_t *a, void *b, size_t n)
{
    if (n <= ART_LALLOC_MAX && a->held + CLASS_BYTES(CLASS_OF(n)) <= a->cap) {
        size_t c = CLASS_OF(n);

        *(void **)b = a->free[c];
        a->free[c] = b;
        a->held += CLASS_BYTES(c);
        HIDE(b, CLASS_BYTES(c));
        return;
    }
    free(b);
}

void *art_lalloc_realloc(art_lalloc_t *a, void *ptr, size_t osize, size_t nsize)
{
    void *b;

    if (nsize == 0) {
        if (ptr) {
            put(a, ptr, osize);
        }
        return NULL;
    }
    if (ptr == NULL) {
        return get(a, nsize);
    }
    if (nsize > ART_LALLOC_MAX) {
        /* A small block is a malloc'd one of its class's size: libc can
         * grow it, often in place. */
        return realloc(ptr, nsize);
    }
    if (osize > ART_LALLOC_MAX) {
        /* Shrinking a large block keeps it where it is, and it then holds
         * at least its new class's size, as a listed block must. */
        return realloc(ptr, CLASS_BYTES(CLASS_OF(nsize)));
    }
    if (CLASS_OF(osize) == CLASS_OF(nsize)) {
        return ptr;
    }
    b = get(a, nsize);
    if (b) {
        memcpy(b, ptr, osize < nsize ? osize : nsize);
        put(a, ptr, osize);
    }
    return b;
}

void art_lalloc_release(art_lalloc_t *a)
{
    size_t c;

    for (c = 0; c < ART_LALLOC_CLASSES; c++) {
        void *b = a->free[c];

        while (b) {
            void *next;

            SHOW(b, CLASS_BYTES(c));
            next = *(void **)b;
            free(b);
            b = next;
        }
        a->free[c] = NULL;
    }
    a->held = 0;
}
