/* art_tag.c: tag keys, the folded form a tag is listed and linked under.
 *
 * "Kabul", "kabul" and "KABUL" are one tag; Unicode case folding (art_text.c)
 * makes them so, white space runs become one "-".
 */
#include <string.h>

#include <apr_strings.h>

#include "art_tag.h"
#include "art_text.h"

/* Decode one UTF-8 sequence; invalid bytes come back as themselves (len 1) so
 * folding never loses input. */
static unsigned utf8_next(const unsigned char *s, apr_size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    }
    if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    }
    *len = 1;
    return 0xFFFFFFFFu;
}

const char *art_tag_fold(apr_pool_t *p, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    apr_size_t n = strlen(name);
    char *out = apr_palloc(p, n * 2 + 1);
    apr_size_t o = 0, len;
    int pending_sep = 0;

    while (*s) {
        unsigned c = utf8_next(s, &len);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0) {
            pending_sep = o > 0;
            s += len;
            continue;
        }
        if (pending_sep) {
            out[o++] = '-';
            pending_sep = 0;
        }
        if (c == 0xFFFFFFFFu) {
            out[o++] = (char)*s;
        }
        else {
            o += art_text_utf8_put(out + o, art_text_fold_case(c));
        }
        s += len;
    }
    out[o] = '\0';
    return out;
}
