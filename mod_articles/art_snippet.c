/* art_snippet.c: search result snippets (see art_snippet.h).
 *
 * Three passes over one article: strip the markup into plain text
 * (art_html_text, the text the index saw), find the spans of that text whose
 * term is a query term (art_text_match_spans: the tokenizer's spans, without
 * building the words that cannot match), then slide a window over those
 * matches.  The window is scored by the
 * distinct query terms it holds first (a passage with both words of a
 * two-word query beats one repeating a single word), then by matches; it is
 * widened backwards a little so a match does not open the snippet, and its
 * ends are moved to spaces so no word is cut.
 */
#include <string.h>

#include <apr_strings.h>

#include "art_buf.h"
#include "art_html.h"
#include "art_index.h"
#include "art_snapshot.h"
#include "art_snippet.h"
#include "art_text.h"

typedef struct {
    char terms[ART_INDEX_QUERY_TERMS][ART_TEXT_TERM_MAX + 1];
    size_t lens[ART_INDEX_QUERY_TERMS];
    int n;
} snippet_query_t;

typedef struct {
    size_t start, end;
    int term;                    /* index in the query */
} snippet_match_t;

typedef struct {
    const snippet_query_t *q;
    snippet_match_t *m;
    int n;
} snippet_scan_t;

/* ---------------------------------------------------------------- matching */

static void snippet_query_token(void *baton, const char *term, size_t len,
                                int position)
{
    snippet_query_t *q = baton;
    int i;

    (void)position;
    for (i = 0; i < q->n; i++) {
        if (q->lens[i] == len && memcmp(q->terms[i], term, len) == 0) {
            return;
        }
    }
    if (q->n < ART_INDEX_QUERY_TERMS) {
        memcpy(q->terms[q->n], term, len + 1);
        q->lens[q->n++] = len;
    }
}

static void snippet_text_token(void *baton, const char *term, size_t len,
                               size_t start, size_t end)
{
    snippet_scan_t *sc = baton;
    int i;

    if (sc->n == ART_SNIPPET_MATCH_MAX) {
        return;
    }
    for (i = 0; i < sc->q->n; i++) {
        if (sc->q->lens[i] == len && memcmp(sc->q->terms[i], term, len) == 0) {
            sc->m[sc->n].start = start;
            sc->m[sc->n].end = end;
            sc->m[sc->n].term = i;
            sc->n++;
            return;
        }
    }
}

/* ---------------------------------------------------------------- window */

/* The first match of the best window of width bytes; -1 without matches. */
static int snippet_best(const snippet_match_t *m, int n, size_t width)
{
    int best = -1, best_distinct = 0, best_count = 0, i, j;

    for (i = 0; i < n; i++) {
        apr_uint32_t seen = 0;
        int distinct = 0, count = 0;

        for (j = i; j < n && m[j].end - m[i].start <= width; j++) {
            if (!(seen & (1u << m[j].term))) {
                seen |= 1u << m[j].term;
                distinct++;
            }
            count++;
        }
        if (distinct > best_distinct
            || (distinct == best_distinct && count > best_count)) {
            best = i;
            best_distinct = distinct;
            best_count = count;
        }
    }
    return best;
}

/* Move back from at to the start of a UTF-8 character. */
static size_t snippet_char_start(const char *s, size_t at)
{
    while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80) {
        at--;
    }
    return at;
}

const char *art_snippet_make(apr_pool_t *p, const char *html, apr_size_t len,
                             const char *lang, const char *query,
                             apr_size_t qlen, apr_size_t width)
{
    snippet_query_t q;
    snippet_scan_t sc;
    art_buf_t b;
    apr_size_t tlen, from = 0, to, at, lead;
    char *text;
    int first, i;

    if (width < 40) {
        width = 40;
    }
    if (width > ART_SNIPPET_WIDTH_MAX) {
        width = ART_SNIPPET_WIDTH_MAX;
    }
    text = apr_palloc(p, len + 1);
    tlen = art_html_text(html ? html : "", html ? len : 0, text);
    if (tlen == 0) {
        return "";
    }
    q.n = 0;
    if (query) {
        art_text_tokenize(query, qlen > ART_INDEX_QUERY_MAX
                          ? ART_INDEX_QUERY_MAX : qlen, lang,
                          snippet_query_token, &q);
    }
    sc.q = &q;
    sc.n = 0;
    sc.m = apr_palloc(p, sizeof(*sc.m) * ART_SNIPPET_MATCH_MAX);
    if (q.n > 0) {
        const char *terms[ART_INDEX_QUERY_TERMS];

        for (i = 0; i < q.n; i++) {
            terms[i] = q.terms[i];
        }
        art_text_match_spans(text, tlen, lang, terms, q.lens, q.n,
                             snippet_text_token, &sc);
    }
    first = snippet_best(sc.m, sc.n, width);
    to = width;
    if (first >= 0) {
        /* Some words before the first match, up to a fifth of the window,
         * starting at a word. */
        lead = width / 5;
        from = sc.m[first].start > lead ? sc.m[first].start - lead : 0;
        while (from > 0 && from < sc.m[first].start && text[from - 1] != ' ') {
            from++;
        }
        to = sc.m[first].start + width;
    }
    if (to < tlen) {
        at = to;
        while (at > from && text[at] != ' ') {
            at--;
        }
        to = at > from ? at : snippet_char_start(text, to);
    }
    else {
        to = tlen;
    }
    art_buf_init(&b, p, width + 64);
    if (from > 0) {
        art_buf_puts(&b, "… ");
    }
    at = from;
    for (i = 0; i < sc.n && sc.m[i].end <= to; i++) {
        if (sc.m[i].start < from) {
            continue;
        }
        art_buf_append_html(&b, text + at, sc.m[i].start - at);
        art_buf_puts(&b, "<mark>");
        art_buf_append_html(&b, text + sc.m[i].start,
                            sc.m[i].end - sc.m[i].start);
        art_buf_puts(&b, "</mark>");
        at = sc.m[i].end;
    }
    art_buf_append_html(&b, text + at, to - at);
    if (to < tlen) {
        art_buf_puts(&b, " …");
    }
    return b.data;
}
