/* art_buf.c: growable pool buffer and HTML escaping (see art_buf.h). */
#include <string.h>

#include <apr_strings.h>

#include "art_buf.h"

void art_buf_init(art_buf_t *b, apr_pool_t *pool, apr_size_t initial)
{
    b->pool = pool;
    b->cap = initial < 64 ? 64 : initial;
    b->data = apr_palloc(pool, b->cap);
    b->data[0] = '\0';
    b->len = 0;
    b->limit = 0;
    b->overflow = 0;
}

/* Make room for n more bytes plus the NUL; returns 0 when the limit forbids it. */
static int buf_reserve(art_buf_t *b, apr_size_t n)
{
    apr_size_t need;
    char *nd;

    if (b->overflow) {
        return 0;
    }
    if (b->limit && (n > b->limit || b->len > b->limit - n)) {
        b->overflow = 1;
        return 0;
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return 1;
    }
    while (b->cap < need) {
        b->cap *= 2;
    }
    nd = apr_palloc(b->pool, b->cap);
    memcpy(nd, b->data, b->len + 1);
    b->data = nd;
    return 1;
}

void art_buf_append(art_buf_t *b, const char *s, apr_size_t n)
{
    if (!buf_reserve(b, n)) {
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void art_buf_puts(art_buf_t *b, const char *s)
{
    art_buf_append(b, s, strlen(s));
}

void art_buf_putc(art_buf_t *b, char c)
{
    art_buf_append(b, &c, 1);
}

void art_buf_append_html(art_buf_t *b, const char *s, apr_size_t n)
{
    apr_size_t i, run = 0;
    const char *ent;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':  ent = "&amp;";  break;
        case '<':  ent = "&lt;";   break;
        case '>':  ent = "&gt;";   break;
        case '"':  ent = "&quot;"; break;
        case '\'': ent = "&#39;";  break;
        default:   continue;
        }
        art_buf_append(b, s + run, i - run);
        art_buf_puts(b, ent);
        run = i + 1;
    }
    art_buf_append(b, s + run, n - run);
}
