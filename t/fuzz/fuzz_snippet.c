/* fuzz_snippet.c: libFuzzer target for search snippets (art_snippet.c) and
 * the plain text under them (art_html_text in art_snapshot.c).
 *
 * The query is what any visitor types into /<lang>/search?q=; the body is the
 * loader's own HTML, which the loader escapes, so the body given here is made
 * the same way: the input's text part is escaped with art_buf_append_html and
 * wrapped in a few of the block and inline tags the loader writes.  Input: the
 * first byte picks the language (en, fa, ps, de, none) and the width, the rest
 * is split at the first NUL byte into body text and query; without one, the
 * input is both.
 *
 * The snippet promises escaped text: every '<' it holds must open "<mark>" or
 * "</mark>", and every '&' an entity.  A broken promise is an abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_buf.h"
#include "art_snippet.h"

static apr_pool_t *root;

static void check_escaped(const char *s)
{
    for (; *s; s++) {
        if (*s == '<' && strncmp(s, "<mark>", 6) != 0
            && strncmp(s, "</mark>", 7) != 0) {
            abort();
        }
        if (*s == '&' && strncmp(s, "&amp;", 5) != 0 && strncmp(s, "&lt;", 4) != 0
            && strncmp(s, "&gt;", 4) != 0 && strncmp(s, "&quot;", 6) != 0
            && strncmp(s, "&#39;", 5) != 0) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = { "en", "fa", "ps", "de", NULL };
    const char *text, *query, *lang, *snip;
    size_t tlen, qlen, width;
    const uint8_t *nul;
    apr_pool_t *p;
    art_buf_t body;

    if (size < 1) {
        return 0;
    }
    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    lang = langs[data[0] % 5];
    width = (size_t)(data[0] / 5 % 8) * 40;
    data++;
    size--;
    nul = memchr(data, '\0', size);
    text = (const char *)data;
    tlen = nul ? (size_t)(nul - data) : size;
    query = nul ? (const char *)nul + 1 : text;
    qlen = nul ? size - tlen - 1 : size;

    apr_pool_create(&p, root);
    art_buf_init(&body, p, tlen * 6 + 64);
    art_buf_puts(&body, "<h2>");
    art_buf_append_html(&body, text, tlen / 4);
    art_buf_puts(&body, "</h2>\n<p>");
    art_buf_append_html(&body, text + tlen / 4, tlen / 4);
    art_buf_puts(&body, "<em>");
    art_buf_append_html(&body, text + tlen / 2, tlen / 4);
    art_buf_puts(&body, "</em></p><blockquote class=\"pull\">");
    art_buf_append_html(&body, text + 3 * (tlen / 4), tlen - 3 * (tlen / 4));
    art_buf_puts(&body, "</blockquote>");

    snip = art_snippet_make(p, body.data, body.len, lang, query, qlen, width);
    if (snip == NULL) {
        abort();
    }
    check_escaped(snip);
    apr_pool_destroy(p);
    return 0;
}
