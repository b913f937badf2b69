/* art_memo.h: a bounded memo of what one repository version derives.
 *
 * Some answers depend only on the repository's version and a few inputs
 * (art_related.c's related lists, art_snippet.c's documents' words), so a
 * process keeps them per repository instead of computing them per request.
 * A memo is a fixed number of slots in sets of two, each holding at most
 * one entry: an entry goes in its hash's set, replacing the entry of the
 * same hash or else the one of the set used least recently, and a memo past
 * its byte limit starts again empty rather than track an order of use.  Every entry belongs to one version (a number that rises with every
 * version): the first entry of a newer version drops all the others, and a
 * request still reading an older version neither finds nor keeps anything.
 * One mutex guards it, so threads of a process share it.
 *
 * Entries are malloc'd by the caller and owned by the memo once given to
 * it.  No httpd header.
 */
#ifndef ART_MEMO_H
#define ART_MEMO_H

#include <apr_pools.h>

typedef struct art_memo_t art_memo_t;

/* A memo of slots entries (rounded up to a power of two, at least 64)
 * and about bytes of memory (0: no limit), living as long as p; free_fn
 * frees an entry.  NULL when memory runs out. */
art_memo_t *art_memo_create(apr_pool_t *p, int slots, apr_size_t bytes,
                            void (*free_fn)(void *entry));

/* Lock m and return the entry put with hash if it is of version serial
 * and still kept, else NULL (entries whose keys share a hash are told apart
 * by the caller).  The entry may be read until art_memo_unlock, which must
 * follow in every case. */
void *art_memo_get(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash);
void art_memo_unlock(art_memo_t *m);

/* The entry art_memo_get found in hash's slot now takes bytes of memory
 * (it grew or shrank while the lock was held): called before
 * art_memo_unlock.  The limit is enforced at the next art_memo_put. */
void art_memo_resize(art_memo_t *m, apr_uint32_t hash, apr_size_t bytes);

/* Keep entry (bytes of memory) of version serial in hash's slot, or free it
 * when it is of an older version than m holds or larger than m's limit. */
void art_memo_put(art_memo_t *m, apr_uint64_t serial, apr_uint32_t hash,
                  void *entry, apr_size_t bytes);

#endif /* ART_MEMO_H */
