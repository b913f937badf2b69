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
 *
 * The memo (art_memo.h) keeps, per document of one version, the plain text and every
 * word's span with a hash of its search form, so that a snippet of a
 * document seen before is a pass over an array of integers: a word whose
 * hash is a query term's is made again from its span and compared, so a
 * collision never marks a word the tokenizer would not.
 *
 * That pass still costs tens of thousands of instructions for a long
 * article, and a search page asks for the same few snippets again and again
 * (the same query, its next pages, reloads), so each document's entry also
 * keeps its last SNIPPET_KEPT finished snippets, keyed by everything the
 * snippet depends on besides the document: language, the query bytes that
 * count, and the width as clamped.  The memo is told of the bytes they take.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "art_buf.h"
#include "art_hash.h"
#include "art_html.h"
#include "art_index.h"
#include "art_memo.h"
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

/* The query's distinct terms. */
static void snippet_query(snippet_query_t *q, const char *lang,
                          const char *query, apr_size_t qlen)
{
    q->n = 0;
    if (query) {
        art_text_tokenize(query, qlen > ART_INDEX_QUERY_MAX
                          ? ART_INDEX_QUERY_MAX : qlen, lang,
                          snippet_query_token, q);
    }
}

static apr_size_t snippet_width(apr_size_t width)
{
    return width < 40 ? 40 : width > ART_SNIPPET_WIDTH_MAX
           ? ART_SNIPPET_WIDTH_MAX : width;
}

/* The snippet of text (tlen > 0 bytes) given its matches, in p. */
static const char *snippet_render(apr_pool_t *p, const char *text,
                                  apr_size_t tlen, const snippet_match_t *m,
                                  int nm, apr_size_t width)
{
    art_buf_t b;
    apr_size_t from = 0, to, at, lead;
    int first, i;

    first = snippet_best(m, nm, width);
    to = width;
    if (first >= 0) {
        /* Some words before the first match, up to a fifth of the window,
         * starting at a word. */
        lead = width / 5;
        from = m[first].start > lead ? m[first].start - lead : 0;
        while (from > 0 && from < m[first].start && text[from - 1] != ' ') {
            from++;
        }
        to = m[first].start + width;
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
    for (i = 0; i < nm && m[i].end <= to; i++) {
        if (m[i].start < from) {
            continue;
        }
        art_buf_append_html(&b, text + at, m[i].start - at);
        art_buf_puts(&b, "<mark>");
        art_buf_append_html(&b, text + m[i].start, m[i].end - m[i].start);
        art_buf_puts(&b, "</mark>");
        at = m[i].end;
    }
    art_buf_append_html(&b, text + at, to - at);
    if (to < tlen) {
        art_buf_puts(&b, " …");
    }
    return b.data;
}

const char *art_snippet_make(apr_pool_t *p, const char *html, apr_size_t len,
                             const char *lang, const char *query,
                             apr_size_t qlen, apr_size_t width)
{
    snippet_query_t q;
    snippet_scan_t sc;
    apr_size_t tlen;
    char *text;
    int i;

    width = snippet_width(width);
    text = apr_palloc(p, len + 1);
    tlen = art_html_text(html ? html : "", html ? len : 0, text);
    if (tlen == 0) {
        return "";
    }
    snippet_query(&q, lang, query, qlen);
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
    return snippet_render(p, text, tlen, sc.m, sc.n, width);
}

/* ---------------------------------------------------------------- the memo */

/* A word of a document's text: the hash of its search form, and its span. */
typedef struct {
    apr_uint32_t hash, start, end;
} snippet_word_t;

#define SNIPPET_KEPT 4                /* finished snippets kept per document */
#define SNIPPET_KEPT_MAX 8192         /* longest snippet (bytes) worth keeping */

/* A finished snippet: its key (language, NUL, the query bytes that count)
 * and the snippet, in one allocation. */
typedef struct {
    char *key;
    apr_size_t klen, width;
    const char *out;
    apr_size_t olen;
} snippet_kept_t;

/* A document's plain text and words, and its last finished snippets. */
typedef struct {
    int doc;
    apr_uint32_t nwords, cap;
    apr_size_t tlen, bytes;
    snippet_word_t *words;
    char *text;
    int failed;
    snippet_kept_t kept[SNIPPET_KEPT];
    int next_kept;               /* the slot the next snippet replaces */
} snippet_doc_t;

static apr_uint32_t snippet_hash(const char *s, size_t len)
{
    return art_fnv32(s, len, ART_FNV32_INIT);
}

static void snippet_word(void *baton, const char *term, size_t len,
                         size_t start, size_t end)
{
    snippet_doc_t *d = baton;

    if (d->failed) {
        return;
    }
    if (d->nwords == d->cap) {
        apr_uint32_t cap = d->cap ? d->cap * 2 : 256;
        snippet_word_t *w = realloc(d->words, sizeof(*w) * cap);

        if (w == NULL) {
            d->failed = 1;
            return;
        }
        d->words = w;
        d->cap = cap;
    }
    d->words[d->nwords].hash = snippet_hash(term, len);
    d->words[d->nwords].start = (apr_uint32_t)start;
    d->words[d->nwords].end = (apr_uint32_t)end;
    d->nwords++;
}

static void snippet_doc_free(void *entry)
{
    snippet_doc_t *d = entry;

    int i;

    if (d) {
        for (i = 0; i < SNIPPET_KEPT; i++) {
            free(d->kept[i].key);
        }
        free(d->words);
        free(d->text);
        free(d);
    }
}

/* The text and words of html, malloc'd; NULL when memory runs out or the
 * text is too long for 32-bit offsets. */
static snippet_doc_t *snippet_doc_make(int doc, const char *html,
                                       apr_size_t len, const char *lang)
{
    snippet_doc_t *d = calloc(1, sizeof(*d));

    if (d == NULL || len >= 0x7FFFFFFFu
        || (d->text = malloc(len + 1)) == NULL) {
        snippet_doc_free(d);
        return NULL;
    }
    d->doc = doc;
    d->tlen = art_html_text(html ? html : "", html ? len : 0, d->text);
    art_text_tokenize_spans(d->text, d->tlen, lang, snippet_word, d);
    if (d->failed) {
        snippet_doc_free(d);
        return NULL;
    }
    d->bytes = sizeof(*d) + len + 1 + sizeof(*d->words) * d->cap;
    return d;
}

/* One word as the tokenizer makes it from its own span. */
typedef struct {
    const char *term;
    size_t len;
    int same;
} snippet_verify_t;

static void snippet_verify(void *baton, const char *term, size_t len,
                           size_t start, size_t end)
{
    snippet_verify_t *v = baton;

    (void)start;
    (void)end;
    v->same = len == v->len && memcmp(term, v->term, len) == 0;
}

/* The snippet from d's words: those whose hash is a query term's, checked
 * by making the word again from its span (a word's span holds that word
 * alone), are the matches art_text_match_spans would find. */
static const char *snippet_from_doc(apr_pool_t *p, const snippet_doc_t *d,
                                    const char *lang, const char *query,
                                    apr_size_t qlen, apr_size_t width)
{
    snippet_query_t q;
    apr_uint32_t qh[ART_INDEX_QUERY_TERMS], w;
    snippet_match_t *m;
    int i, n = 0;

    if (d->tlen == 0) {
        return "";
    }
    snippet_query(&q, lang, query, qlen);
    for (i = 0; i < q.n; i++) {
        qh[i] = snippet_hash(q.terms[i], q.lens[i]);
    }
    m = apr_palloc(p, sizeof(*m) * ART_SNIPPET_MATCH_MAX);
    for (w = 0; q.n > 0 && w < d->nwords && n < ART_SNIPPET_MATCH_MAX; w++) {
        const snippet_word_t *x = &d->words[w];

        for (i = 0; i < q.n; i++) {
            snippet_verify_t v;

            if (qh[i] != x->hash) {
                continue;
            }
            v.term = q.terms[i];
            v.len = q.lens[i];
            v.same = 0;
            art_text_tokenize_spans(d->text + x->start, x->end - x->start,
                                    lang, snippet_verify, &v);
            if (v.same) {
                m[n].start = x->start;
                m[n].end = x->end;
                m[n].term = i;
                n++;
                break;
            }
        }
    }
    return snippet_render(p, d->text, d->tlen, m, n, snippet_width(width));
}

art_memo_t *art_snippet_memo_create(apr_pool_t *p, int slots,
                                    apr_size_t bytes)
{
    return art_memo_create(p, slots, bytes, snippet_doc_free);
}

/* The key of a snippet of the query in lang, in buf (SNIPPET_KEY_MAX);
 * 0 (no key: the snippet is not kept) without a language or with one
 * longer than any language code. */
#define SNIPPET_KEY_MAX (ART_INDEX_QUERY_MAX + 64)

static apr_size_t snippet_key(char *buf, const char *lang, const char *query,
                              apr_size_t qlen)
{
    apr_size_t llen = lang ? strlen(lang) : 64, n;

    if (llen > 62) {
        return 0;
    }
    memcpy(buf, lang, llen);
    buf[llen] = '\0';
    n = query ? (qlen > ART_INDEX_QUERY_MAX ? ART_INDEX_QUERY_MAX : qlen) : 0;
    if (n) {
        memcpy(buf + llen + 1, query, n);
    }
    return llen + 1 + n;
}

/* d's kept snippet for key and width, copied into p; NULL when not kept. */
static const char *snippet_kept_find(apr_pool_t *p, const snippet_doc_t *d,
                                     const char *key, apr_size_t klen,
                                     apr_size_t width)
{
    int i;

    for (i = 0; i < SNIPPET_KEPT; i++) {
        const snippet_kept_t *k = &d->kept[i];

        if (k->key && k->width == width && k->klen == klen
            && memcmp(k->key, key, klen) == 0) {
            return apr_pstrmemdup(p, k->out, k->olen);
        }
    }
    return NULL;
}

/* Keep out as d's snippet for key and width, replacing the oldest kept;
 * d->bytes follows.  Nothing is kept when out is too long or memory runs
 * out. */
static void snippet_kept_add(snippet_doc_t *d, const char *key,
                             apr_size_t klen, apr_size_t width,
                             const char *out)
{
    snippet_kept_t *k = &d->kept[d->next_kept];
    apr_size_t olen = strlen(out);
    char *mem;

    if (olen > SNIPPET_KEPT_MAX || (mem = malloc(klen + olen + 1)) == NULL) {
        return;
    }
    if (k->key) {
        d->bytes -= k->klen + k->olen + 1;
        free(k->key);
    }
    memcpy(mem, key, klen);
    memcpy(mem + klen, out, olen + 1);
    k->key = mem;
    k->klen = klen;
    k->width = width;
    k->out = mem + klen;
    k->olen = olen;
    d->bytes += klen + olen + 1;
    d->next_kept = (d->next_kept + 1) % SNIPPET_KEPT;
}

const char *art_snippet_make_doc(apr_pool_t *p, art_memo_t *memo,
                                 apr_uint64_t serial, int doc,
                                 const char *html, apr_size_t len,
                                 const char *lang, const char *query,
                                 apr_size_t qlen, apr_size_t width)
{
    apr_uint32_t h = (apr_uint32_t)doc * 2654435761u;
    snippet_doc_t *d, *made;
    const char *out = NULL;
    char key[SNIPPET_KEY_MAX];
    apr_size_t klen, w = snippet_width(width);

    if (memo == NULL) {
        return art_snippet_make(p, html, len, lang, query, qlen, width);
    }
    klen = snippet_key(key, lang, query, qlen);
    d = art_memo_get(memo, serial, h);
    if (d && d->doc == doc) {
        out = klen ? snippet_kept_find(p, d, key, klen, w) : NULL;
        if (out == NULL) {
            out = snippet_from_doc(p, d, lang, query, qlen, width);
            if (klen) {
                snippet_kept_add(d, key, klen, w, out);
                art_memo_resize(memo, h, d->bytes);
            }
        }
    }
    art_memo_unlock(memo);
    if (out) {
        return out;
    }
    made = snippet_doc_make(doc, html, len, lang);
    if (made == NULL) {
        return art_snippet_make(p, html, len, lang, query, qlen, width);
    }
    out = snippet_from_doc(p, made, lang, query, qlen, width);
    if (klen) {
        snippet_kept_add(made, key, klen, w, out);
    }
    art_memo_put(memo, serial, h, made, made->bytes);
    return out;
}
