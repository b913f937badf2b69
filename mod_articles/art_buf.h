/* art_buf.h: a growable byte buffer allocated from an APR pool.
 *
 * Rendering and HTML generation append many small pieces; this buffer doubles its
 * capacity from the pool, so nothing needs freeing and a longjmp out of Lua (an
 * error raised while rendering) leaks nothing.  A buffer may carry a size cap: once an
 * append would pass it the buffer is marked overflowed and further appends are
 * dropped, so hostile data cannot grow a response without bound.
 */
#ifndef ART_BUF_H
#define ART_BUF_H

#include <apr_pools.h>

typedef struct art_buf_t {
    apr_pool_t *pool;
    char *data;          /* always NUL-terminated when cap > 0 */
    apr_size_t len;      /* bytes used, excluding the NUL */
    apr_size_t cap;      /* bytes allocated */
    apr_size_t limit;    /* 0: unlimited; else the most len may reach */
    int overflow;        /* set once an append was dropped because of limit */
} art_buf_t;

void art_buf_init(art_buf_t *b, apr_pool_t *pool, apr_size_t initial);
void art_buf_append(art_buf_t *b, const char *s, apr_size_t n);
void art_buf_puts(art_buf_t *b, const char *s);
void art_buf_putc(art_buf_t *b, char c);
/* Append s with & < > " ' replaced by entities (HTML text and attribute safe). */
void art_buf_append_html(art_buf_t *b, const char *s, apr_size_t n);

#endif
