/* art_lalloc.h: free lists of small blocks for one Lua state's allocator.
 *
 * Lua allocates many small blocks of a few sizes per request (tables, short
 * strings, closures, userdata) and its collector frees them in bursts of
 * thousands, far more than libc's per-thread cache holds; libc then spends
 * more on each block than the request spends using it.  A heap keeps the
 * blocks it is given back in one list per size class (multiples of
 * ART_LALLOC_GRAIN up to ART_LALLOC_MAX bytes) and hands them out again
 * before asking libc.  Every block is a malloc'd block of its class's full
 * size, so a block the lists have no room for goes straight back to libc:
 * the lists never hold more than the heap's cap, whatever Lua frees.
 *
 * A heap belongs to one state, which one thread uses at a time: no locks.
 * The functions follow lua_Alloc's contract (osize is the size the block was
 * asked for; nsize 0 frees); counting bytes against a budget is the caller's.
 */
#ifndef ART_LALLOC_H
#define ART_LALLOC_H

#include <stddef.h>

#define ART_LALLOC_GRAIN 16      /* class sizes are multiples of this */
#define ART_LALLOC_MAX 256       /* larger blocks go to libc directly */
#define ART_LALLOC_CLASSES (ART_LALLOC_MAX / ART_LALLOC_GRAIN)

typedef struct art_lalloc_t {
    void *free[ART_LALLOC_CLASSES]; /* per class: blocks linked through their
                                       first word */
    size_t held;                 /* bytes in the lists, class sizes */
    size_t cap;                  /* held never exceeds this */
} art_lalloc_t;

/* An empty heap whose lists hold at most cap bytes (0: none, all to libc). */
void art_lalloc_init(art_lalloc_t *a, size_t cap);

/* lua_Alloc without the user data: a new block when ptr is NULL, free when
 * nsize is 0 (returns NULL), else a block of nsize bytes holding the first
 * min(osize, nsize) bytes of ptr, or NULL with ptr untouched. */
void *art_lalloc_realloc(art_lalloc_t *a, void *ptr, size_t osize, size_t nsize);

/* Give every block the lists hold back to libc (the state is closed). */
void art_lalloc_release(art_lalloc_t *a);

#endif
