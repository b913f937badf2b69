/* art_json.c: JSON strings and numbers safe inside an HTML <script>.
 *
 * See art_json.h for what is escaped and why.  Strings are written one UTF-8
 * sequence at a time: ASCII that needs no escape is copied as it is, escapes
 * are short forms where JSON has them (\" \\ \n ...) and \u00XX otherwise,
 * well-formed multi-byte sequences are copied as they are except U+2028 and
 * U+2029, and anything malformed (a stray continuation byte, an overlong or
 * surrogate form, a truncated sequence) is replaced by \ufffd.
 */
#include <math.h>
#include <stdio.h>

#include "art_json.h"

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), or
 * 0 when it is malformed. */
static apr_size_t utf8_len(const unsigned char *s, apr_size_t n)
{
    unsigned c = s[0];
    apr_size_t len, i;
    unsigned long cp;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    }
    else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
        || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        return 0;
    }
    return len;
}

void art_json_string(art_buf_t *b, const char *str, apr_size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    apr_size_t i = 0, len;
    char esc[8];

    art_buf_putc(b, '"');
    while (i < n) {
        unsigned c = s[i];
        const char *e = NULL;

        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default: break;
        }
        if (e == NULL && (c < 0x20 || c == 0x7f || c == '<' || c == '>'
                          || c == '&')) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            e = esc;
        }
        if (e == NULL && c >= 0x80) {
            len = utf8_len(s + i, n - i);
            if (len == 3 && c == 0xe2 && s[i + 1] == 0x80
                && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                e = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
                i += 2;          /* the escape stands for all three bytes */
            }
            else if (len == 0) {
                e = "\\ufffd";
            }
            else {
                art_buf_append(b, (const char *)s + i, len);
                i += len;
                continue;
            }
        }
        if (e) {
            art_buf_puts(b, e);
        }
        else {
            art_buf_putc(b, (char)c);
        }
        i++;
    }
    art_buf_putc(b, '"');
}

void art_json_integer(art_buf_t *b, long long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%lld", v);
    art_buf_puts(b, num);
}

void art_json_number(art_buf_t *b, double v)
{
    char num[40];

    if (!isfinite(v)) {
        art_buf_puts(b, "null");
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        art_json_integer(b, (long long)v);
        return;
    }
    snprintf(num, sizeof(num), "%.17g", v);
    art_buf_puts(b, num);
}

void art_rfc3339(char *out, apr_time_t t)
{
    apr_time_exp_t e;

    apr_time_exp_gmt(&e, t);
    /* The modulos tell the compiler each field's width (years past 9999
     * are not dates a repository holds). */
    snprintf(out, ART_RFC3339_SIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ",
             (unsigned)(e.tm_year + 1900) % 10000u, (unsigned)(e.tm_mon + 1) % 100u,
             (unsigned)e.tm_mday % 100u, (unsigned)e.tm_hour % 100u,
             (unsigned)e.tm_min % 100u, (unsigned)e.tm_sec % 100u);
}
