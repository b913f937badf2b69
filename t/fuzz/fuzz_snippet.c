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
 * "</mark>", and every '&' an entity.  Its matches are found by
 * art_text_match_spans, which promises the spans art_text_tokenize_spans
 * gives for the query's terms: both are run on the body text and compared.
 * And art_snippet_make_doc promises art_snippet_make's snippet whether it
 * makes the document's words (the first call), reads the finished snippet
 * it kept (the second), or makes a snippet of another query from the words
 * it kept (the third, then kept in turn: the fourth).  A broken promise is
 * an abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_buf.h"
#include "art_index.h"
#include "art_snippet.h"
#include "art_text.h"

static apr_pool_t *root;

#define SPANS_MAX 4096

typedef struct {
    char terms[ART_INDEX_QUERY_TERMS][ART_TEXT_TERM_MAX + 1];
    const char *ptr[ART_INDEX_QUERY_TERMS];
    size_t lens[ART_INDEX_QUERY_TERMS];
    int n;
    size_t spans[SPANS_MAX][2];  /* what the tokenizer says, then ... */
    int nspans, at;              /* ... checked against the matcher */
} spans_t;

static void query_term(void *baton, const char *term, size_t len, int pos)
{
    spans_t *q = baton;
    int i;

    (void)pos;
    for (i = 0; i < q->n; i++) {
        if (q->lens[i] == len && memcmp(q->terms[i], term, len) == 0) {
            return;
        }
    }
    if (q->n < ART_INDEX_QUERY_TERMS) {
        memcpy(q->terms[q->n], term, len + 1);
        q->ptr[q->n] = q->terms[q->n];
        q->lens[q->n++] = len;
    }
}

static int is_query_term(const spans_t *q, const char *term, size_t len)
{
    int i;

    for (i = 0; i < q->n; i++) {
        if (q->lens[i] == len && memcmp(q->terms[i], term, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static void token_span(void *baton, const char *term, size_t len,
                       size_t start, size_t end)
{
    spans_t *q = baton;

    if (is_query_term(q, term, len) && q->nspans < SPANS_MAX) {
        q->spans[q->nspans][0] = start;
        q->spans[q->nspans][1] = end;
        q->nspans++;
    }
}

static void match_span(void *baton, const char *term, size_t len,
                       size_t start, size_t end)
{
    spans_t *q = baton;

    if (!is_query_term(q, term, len) || q->at >= q->nspans
        || q->spans[q->at][0] != start || q->spans[q->at][1] != end) {
        if (q->at < SPANS_MAX) {
            abort();
        }
    }
    q->at++;
}

/* art_text_match_spans against the tokenizer on the same text. */
static void check_matcher(const char *text, size_t tlen, const char *query,
                          size_t qlen, const char *lang)
{
    static spans_t q;

    q.n = 0;
    q.nspans = 0;
    q.at = 0;
    art_text_tokenize(query, qlen, lang, query_term, &q);
    art_text_tokenize_spans(text, tlen, lang, token_span, &q);
    art_text_match_spans(text, tlen, lang, q.ptr, q.lens, q.n, match_span, &q);
    if (q.at != q.nspans && q.at < SPANS_MAX) {
        abort();
    }
}

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
    check_matcher(text, tlen, query, qlen, lang);
    /* A memo of this input's pool, which frees it with the pool. */
    {
        art_memo_t *memo = art_snippet_memo_create(p, 64, 1 << 20);
        int pass;

        const char *other = art_snippet_make(p, body.data, body.len, lang,
                                             query, qlen / 2, width);

        for (pass = 0; pass < 2; pass++) {
            if (strcmp(snip, art_snippet_make_doc(p, memo, 1, 7, body.data,
                                                  body.len, lang, query, qlen,
                                                  width)) != 0) {
                abort();
            }
        }
        for (pass = 0; pass < 2; pass++) {
            if (strcmp(other, art_snippet_make_doc(p, memo, 1, 7, body.data,
                                                   body.len, lang, query,
                                                   qlen / 2, width)) != 0) {
                abort();
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}
