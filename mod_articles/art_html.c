/* art_html.c: the plain text of the body HTML the loader writes.
 *
 * The search index and snippets work on words, not markup; the snapshot keeps
 * only the HTML, so the text is made from it when needed, in one pass.
 */
#include <string.h>

#include "art_html.h"

/* Elements that sit inside a line of text: removing them must not join or
 * split words ("<em>Kabul</em>'s" stays one word).  Any other tag ends a
 * block, which a space stands for, so "end.</p><p>Next" is two words. */
static int inline_tag(const char *name, apr_size_t len)
{
    static const char *const names[] = { "a", "em", "strong", "code", NULL };
    int i;

    for (i = 0; names[i]; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Only the loader's own HTML comes here: text never holds a raw '<' and an
 * attribute never a raw '>', so a tag ends at the first '>'.  Every tag is at
 * least three bytes and writes at most one, so out never outgrows len + 1. */
apr_size_t art_html_text(const char *html, apr_size_t len, char *out)
{
    static const struct {
        const char *ent;
        apr_size_t n;
        char c;
    } ents[] = {
        { "&amp;", 5, '&' }, { "&lt;", 4, '<' }, { "&gt;", 4, '>' },
        { "&quot;", 6, '"' }, { "&#39;", 5, '\'' }
    };
    /* The bytes that need a decision; every other is copied as it is. */
    static const unsigned char special[256] = {
        ['<'] = 1, ['&'] = 1, [' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1
    };
    const char *s = html, *end = html + len;
    char *o = out;

    while (s < end) {
        if (!special[(unsigned char)*s]) {
            do {
                *o++ = *s++;
            } while (s < end && !special[(unsigned char)*s]);
            continue;
        }
        if (*s == '<') {
            const char *gt = memchr(s, '>', (apr_size_t)(end - s));
            const char *name = s + 1 + (s + 1 < end && s[1] == '/');
            apr_size_t n = 0;

            while (name + n < end && name[n] >= 'a' && name[n] <= 'z') {
                n++;
            }
            if (!inline_tag(name, n) && o > out && o[-1] != ' ') {
                *o++ = ' ';
            }
            s = gt ? gt + 1 : end;
        }
        else if (*s == '&') {
            apr_size_t i;

            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
                if ((apr_size_t)(end - s) >= ents[i].n
                    && memcmp(s, ents[i].ent, ents[i].n) == 0) {
                    break;
                }
            }
            if (i < sizeof(ents) / sizeof(ents[0])) {
                *o++ = ents[i].c;
                s += ents[i].n;
            }
            else {
                *o++ = *s++;
            }
        }
        else if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') {
            /* Layout of the source, not text: runs become one space. */
            if (o > out && o[-1] != ' ') {
                *o++ = ' ';
            }
            s++;
        }
        else {
            *o++ = *s++;
        }
    }
    while (o > out && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    return (apr_size_t)(o - out);
}
