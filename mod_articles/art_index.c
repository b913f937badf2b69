/* art_index.c: building and querying the text index (see art_index.h).
 *
 * Building tokenizes each document once.  Terms go into one open-addressing
 * hash keyed by (language, term); while a document is read, each term
 * remembers the last document it was seen in and its running frequency, so a
 * document's postings are appended without a per-document table.  Postings
 * grow in malloc'd arrays during the build and are then packed, all terms
 * together, into two flat pool arrays (uint32 document ids, uint16
 * frequencies: 6 bytes a posting) and the build arrays freed; the finished
 * index lives entirely in the caller's pool.
 *
 * Per document the index keeps its language, its BM25 length factor
 * k1 * (1 - b + b * dl / avgdl), precomputed so scoring a posting is one
 * division, and its best ART_INDEX_TOP_TERMS terms, found after the build by
 * one pass over all postings with a small sorted array per document.
 *
 * Searching scores the union of the (at most 32) query terms' postings in one
 * of two ways.  Short postings are merged with a heap of cursors: documents
 * come out in id order, each scored once, with no memory beyond the stack.
 * Long ones (more than INDEX_MERGE_MAX postings in all) are added term by
 * term into an accumulator array spanning the matching ids, malloc'd for the
 * call and freed before it returns: sequential passes instead of a heap step
 * per posting, several times faster for common words.  Either way a
 * document's contributions are added in query-term order, so both give
 * bit-identical scores and ties break by id as promised; the best
 * offset + limit hits are kept in a bounded heap on the stack.
 */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <apr_strings.h>

#include "art_hash.h"
#include "art_index.h"
#include "art_text.h"

#define INDEX_K1 1.2f
#define INDEX_B  0.75f
#define INDEX_TF_MAX 65535u

typedef struct {
    const char *text;            /* NUL-terminated, in the index pool */
    apr_uint32_t len;
    apr_uint32_t lang;           /* index into ix->langs */
    apr_uint32_t hash;
    apr_uint32_t df;             /* documents containing the term */
    float idf;
    const apr_uint32_t *docs;    /* df ids, ascending */
    const apr_uint16_t *tfs;     /* df weighted frequencies */
} index_term_t;

typedef struct {
    const char *code;            /* "" for documents without a language */
    int ndocs;
    double total_len;
    float avgdl;
} index_lang_t;

struct art_index_t {
    int ndocs;
    int nlangs;
    index_lang_t *langs;
    apr_uint32_t nterms;
    index_term_t *terms;
    apr_uint32_t *slots;         /* term id + 1, 0 for empty */
    apr_uint32_t mask;           /* slots - 1, a power of two minus one */
    apr_uint16_t *doc_lang;
    float *doc_norm;             /* k1 * (1 - b + b * dl / avgdl) */
    apr_uint32_t *doc_len;       /* weighted terms per document */
    unsigned char *ntop;           /* top terms kept per document */
    apr_uint32_t *top_term;      /* ndocs * ART_INDEX_TOP_TERMS */
    float *top_weight;
    apr_size_t mem;              /* bytes allocated from the pool */
};

/* Build-time state of one term, parallel to ix->terms. */
typedef struct {
    apr_uint32_t *docs;
    apr_uint16_t *tfs;
    apr_uint32_t n, cap;
    int last_doc;
    apr_uint32_t cur_tf;
} index_bterm_t;

typedef struct {
    art_index_t *ix;
    apr_pool_t *pool;
    index_bterm_t *bterms;
    apr_uint32_t cap_terms;
    apr_uint32_t *touched;       /* term ids seen in the current document */
    apr_uint32_t ntouched, cap_touched;
    int doc;
    apr_uint32_t lang;
    apr_uint32_t weight;         /* frequency added per occurrence */
    apr_uint32_t doc_len;
    int failed;
} index_build_t;

static void *index_palloc(art_index_t *ix, apr_pool_t *p, apr_size_t n)
{
    ix->mem += n;
    return apr_palloc(p, n ? n : 1);
}

static apr_uint32_t index_hash(apr_uint32_t lang, const char *s, size_t len)
{
    return art_fnv32(s, len, ART_FNV32_INIT ^ lang);
}

/* Id of (lang, term) or -1. */
static long index_find(const art_index_t *ix, apr_uint32_t lang,
                       const char *s, size_t len, apr_uint32_t h)
{
    apr_uint32_t i = h & ix->mask;

    while (ix->slots[i]) {
        const index_term_t *t = &ix->terms[ix->slots[i] - 1];

        if (t->hash == h && t->lang == lang && t->len == len
            && memcmp(t->text, s, len) == 0) {
            return (long)(ix->slots[i] - 1);
        }
        i = (i + 1) & ix->mask;
    }
    return -1;
}

static int index_lang_id(const art_index_t *ix, const char *code)
{
    int i;

    for (i = 0; i < ix->nlangs; i++) {
        if (strcmp(ix->langs[i].code, code) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------- building */

static int index_grow_slots(art_index_t *ix)
{
    apr_uint32_t n = (ix->mask + 1) * 2, i;
    apr_uint32_t *slots = calloc(n, sizeof(*slots));

    if (slots == NULL) {
        return -1;
    }
    for (i = 0; i < ix->nterms; i++) {
        apr_uint32_t j = ix->terms[i].hash & (n - 1);

        while (slots[j]) {
            j = (j + 1) & (n - 1);
        }
        slots[j] = i + 1;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->mask = n - 1;
    return 0;
}

static long index_add_term(index_build_t *b, const char *s, size_t len,
                           apr_uint32_t h)
{
    art_index_t *ix = b->ix;
    index_term_t *t;
    apr_uint32_t j;
    char *text;

    if (ix->nterms == b->cap_terms) {
        apr_uint32_t cap = b->cap_terms ? b->cap_terms * 2 : 1024;
        index_term_t *terms = realloc(ix->terms, cap * sizeof(*terms));
        index_bterm_t *bterms;

        if (terms == NULL) {
            return -1;
        }
        ix->terms = terms;
        bterms = realloc(b->bterms, cap * sizeof(*bterms));
        if (bterms == NULL) {
            return -1;
        }
        b->bterms = bterms;
        b->cap_terms = cap;
    }
    if ((ix->nterms + 1) * 2 > ix->mask + 1 && index_grow_slots(ix) != 0) {
        return -1;
    }
    text = index_palloc(ix, b->pool, len + 1);
    memcpy(text, s, len);
    text[len] = '\0';
    t = &ix->terms[ix->nterms];
    memset(t, 0, sizeof(*t));
    t->text = text;
    t->len = (apr_uint32_t)len;
    t->lang = b->lang;
    t->hash = h;
    memset(&b->bterms[ix->nterms], 0, sizeof(index_bterm_t));
    b->bterms[ix->nterms].last_doc = -1;
    j = h & ix->mask;
    while (ix->slots[j]) {
        j = (j + 1) & ix->mask;
    }
    ix->slots[j] = ix->nterms + 1;
    return (long)ix->nterms++;
}

static void index_build_token(void *baton, const char *term, size_t len,
                              int position)
{
    index_build_t *b = baton;
    apr_uint32_t h = index_hash(b->lang, term, len);
    long id;
    index_bterm_t *bt;

    (void)position;
    if (b->failed) {
        return;
    }
    id = index_find(b->ix, b->lang, term, len, h);
    if (id < 0 && (id = index_add_term(b, term, len, h)) < 0) {
        b->failed = 1;
        return;
    }
    bt = &b->bterms[id];
    if (bt->last_doc != b->doc) {
        if (b->ntouched == b->cap_touched) {
            apr_uint32_t cap = b->cap_touched ? b->cap_touched * 2 : 256;
            apr_uint32_t *touched = realloc(b->touched, cap * sizeof(*touched));

            if (touched == NULL) {
                b->failed = 1;
                return;
            }
            b->touched = touched;
            b->cap_touched = cap;
        }
        b->touched[b->ntouched++] = (apr_uint32_t)id;
        bt->last_doc = b->doc;
        bt->cur_tf = 0;
    }
    bt->cur_tf += b->weight;
    b->doc_len += b->weight;
}

/* Append the current document's frequencies to its terms' postings. */
static int index_flush_doc(index_build_t *b)
{
    apr_uint32_t i;

    for (i = 0; i < b->ntouched; i++) {
        index_bterm_t *bt = &b->bterms[b->touched[i]];

        if (bt->n == bt->cap) {
            apr_uint32_t cap = bt->cap ? bt->cap * 2 : 4;
            apr_uint32_t *docs = realloc(bt->docs, cap * sizeof(*docs));
            apr_uint16_t *tfs;

            if (docs == NULL) {
                return -1;
            }
            bt->docs = docs;
            tfs = realloc(bt->tfs, cap * sizeof(*tfs));
            if (tfs == NULL) {
                return -1;
            }
            bt->tfs = tfs;
            bt->cap = cap;
        }
        bt->docs[bt->n] = (apr_uint32_t)b->doc;
        bt->tfs[bt->n] = (apr_uint16_t)(bt->cur_tf > INDEX_TF_MAX
                                        ? INDEX_TF_MAX : bt->cur_tf);
        bt->n++;
    }
    b->ntouched = 0;
    return 0;
}

static int index_intern_lang(art_index_t *ix, const char *code,
                             apr_pool_t *p, int *cap)
{
    int id = index_lang_id(ix, code);

    if (id >= 0) {
        return id;
    }
    if (ix->nlangs == 65535) {
        return -1;
    }
    if (ix->nlangs == *cap) {
        int n = *cap ? *cap * 2 : 8;
        index_lang_t *langs = realloc(ix->langs, n * sizeof(*langs));

        if (langs == NULL) {
            return -1;
        }
        ix->langs = langs;
        *cap = n;
    }
    ix->langs[ix->nlangs].code = apr_pstrdup(p, code);
    ix->mem += strlen(code) + 1;
    ix->langs[ix->nlangs].ndocs = 0;
    ix->langs[ix->nlangs].total_len = 0;
    ix->langs[ix->nlangs].avgdl = 0;
    return ix->nlangs++;
}

/* BM25 weight of one posting. */
static float index_bm25(float idf, unsigned tf, float norm)
{
    return idf * ((float)tf * (INDEX_K1 + 1.0f)) / ((float)tf + norm);
}

/* Keep doc's best terms: a sorted array, best first, ties by lower id. */
static void index_doc_top_offer(art_index_t *ix, apr_uint32_t doc,
                            apr_uint32_t term, float w)
{
    apr_uint32_t *tt = ix->top_term + (apr_size_t)doc * ART_INDEX_TOP_TERMS;
    float *tw = ix->top_weight + (apr_size_t)doc * ART_INDEX_TOP_TERMS;
    int n = ix->ntop[doc], i;

    if (n == ART_INDEX_TOP_TERMS) {
        if (w < tw[n - 1] || (w == tw[n - 1] && term > tt[n - 1])) {
            return;
        }
        n--;
    }
    else {
        ix->ntop[doc]++;
    }
    for (i = n;
         i > 0 && (tw[i - 1] < w || (tw[i - 1] == w && tt[i - 1] > term));
         i--) {
        tw[i] = tw[i - 1];
        tt[i] = tt[i - 1];
    }
    tw[i] = w;
    tt[i] = term;
}

/* Move everything built in malloc'd memory into the pool, compute the
 * per-language and per-document figures and the top terms. */
static void index_finish(index_build_t *b, apr_uint32_t *doc_len)
{
    art_index_t *ix = b->ix;
    apr_pool_t *p = b->pool;
    apr_size_t total = 0, at = 0;
    apr_uint32_t i, *docs, *slots;
    apr_uint16_t *tfs;
    index_term_t *terms;
    index_lang_t *langs;
    int d;

    for (i = 0; i < ix->nterms; i++) {
        total += b->bterms[i].n;
    }
    docs = index_palloc(ix, p, total * sizeof(*docs));
    tfs = index_palloc(ix, p, total * sizeof(*tfs));
    terms = index_palloc(ix, p, ix->nterms * sizeof(*terms));
    slots = index_palloc(ix, p, (ix->mask + 1) * sizeof(*slots));
    langs = index_palloc(ix, p, ix->nlangs * sizeof(*langs));
    ix->doc_norm = index_palloc(ix, p, ix->ndocs * sizeof(float));
    ix->doc_len = index_palloc(ix, p, ix->ndocs * sizeof(apr_uint32_t));
    if (ix->ndocs) {
        memcpy(ix->doc_len, doc_len, ix->ndocs * sizeof(apr_uint32_t));
    }
    ix->ntop = index_palloc(ix, p, ix->ndocs);
    ix->top_term = index_palloc(ix, p, (apr_size_t)ix->ndocs
                                * ART_INDEX_TOP_TERMS * sizeof(apr_uint32_t));
    ix->top_weight = index_palloc(ix, p, (apr_size_t)ix->ndocs
                                  * ART_INDEX_TOP_TERMS * sizeof(float));
    memcpy(slots, ix->slots, (ix->mask + 1) * sizeof(*slots));
    free(ix->slots);
    ix->slots = slots;
    if (ix->nlangs) {
        memcpy(langs, ix->langs, ix->nlangs * sizeof(*langs));
    }
    free(ix->langs);
    ix->langs = langs;
    memset(ix->ntop, 0, ix->ndocs);

    for (i = 0; i < (apr_uint32_t)ix->nlangs; i++) {
        index_lang_t *l = &ix->langs[i];

        l->avgdl = l->ndocs ? (float)(l->total_len / l->ndocs) : 0.0f;
    }
    for (d = 0; d < ix->ndocs; d++) {
        float avgdl = ix->langs[ix->doc_lang[d]].avgdl;

        ix->doc_norm[d] = INDEX_K1 * (1.0f - INDEX_B + INDEX_B
                                      * (avgdl > 0 ? doc_len[d] / avgdl : 0));
    }
    for (i = 0; i < ix->nterms; i++) {
        index_term_t *t = &ix->terms[i];
        index_bterm_t *bt = &b->bterms[i];
        double n = ix->langs[t->lang].ndocs;
        apr_uint32_t k;

        memcpy(docs + at, bt->docs, bt->n * sizeof(*docs));
        memcpy(tfs + at, bt->tfs, bt->n * sizeof(*tfs));
        free(bt->docs);
        free(bt->tfs);
        bt->docs = NULL;
        bt->tfs = NULL;
        t->docs = docs + at;
        t->tfs = tfs + at;
        t->df = bt->n;
        at += bt->n;
        /* The "plus one" idf of Lucene's BM25: never negative, so a term in
         * most documents still counts a little instead of penalising. */
        t->idf = (float)log(1.0 + (n - t->df + 0.5) / (t->df + 0.5));
        for (k = 0; k < t->df; k++) {
            apr_uint32_t doc = t->docs[k];

            index_doc_top_offer(ix, doc, i,
                            index_bm25(t->idf, t->tfs[k], ix->doc_norm[doc]));
        }
    }
    memcpy(terms, ix->terms, ix->nterms * sizeof(*terms));
    free(ix->terms);
    ix->terms = terms;
}

static void index_build_free(index_build_t *b)
{
    apr_uint32_t i;

    if (b->bterms) {
        for (i = 0; i < b->ix->nterms; i++) {
            free(b->bterms[i].docs);
            free(b->bterms[i].tfs);
        }
    }
    free(b->bterms);
    free(b->touched);
}

art_index_t *art_index_build_ex(apr_pool_t *p, int ndocs,
                                art_index_doc_fn *getdoc, void *baton,
                                int title_weight)
{
    art_index_t *ix;
    index_build_t b;
    apr_uint32_t *doc_len = NULL;
    int lang_cap = 0, i;

    if (ndocs < 0 || title_weight < 1) {
        return NULL;
    }
    ix = apr_pcalloc(p, sizeof(*ix));
    ix->mem = sizeof(*ix);
    ix->ndocs = ndocs;
    memset(&b, 0, sizeof(b));
    b.ix = ix;
    b.pool = p;
    ix->doc_lang = index_palloc(ix, p,
                                (ndocs ? ndocs : 1) * sizeof(apr_uint16_t));
    ix->slots = calloc(1024, sizeof(*ix->slots));
    ix->mask = 1023;
    doc_len = malloc((ndocs ? ndocs : 1) * sizeof(*doc_len));
    if (ix->slots == NULL || doc_len == NULL) {
        goto fail;
    }
    for (i = 0; i < ndocs; i++) {
        art_index_doc_t d;
        int lang, k;

        memset(&d, 0, sizeof(d));
        getdoc(baton, i, &d);
        lang = index_intern_lang(ix, d.lang ? d.lang : "", p, &lang_cap);
        if (lang < 0) {
            goto fail;
        }
        ix->doc_lang[i] = (apr_uint16_t)lang;
        b.doc = i;
        b.lang = (apr_uint32_t)lang;
        b.doc_len = 0;
        b.weight = (apr_uint32_t)title_weight;
        if (d.title) {
            art_text_tokenize(d.title, strlen(d.title), d.lang,
                              index_build_token, &b);
        }
        for (k = 0; k < d.ntags; k++) {
            if (d.tags[k]) {
                art_text_tokenize(d.tags[k], strlen(d.tags[k]), d.lang,
                                  index_build_token, &b);
            }
        }
        b.weight = 1;
        if (d.body) {
            art_text_tokenize(d.body, strlen(d.body), d.lang,
                              index_build_token, &b);
        }
        if (b.failed || index_flush_doc(&b) != 0) {
            goto fail;
        }
        doc_len[i] = b.doc_len;
        ix->langs[lang].ndocs++;
        ix->langs[lang].total_len += b.doc_len;
    }
    index_finish(&b, doc_len);
    index_build_free(&b);
    free(doc_len);
    return ix;

fail:
    index_build_free(&b);
    free(doc_len);
    free(ix->slots);
    free(ix->terms);
    free(ix->langs);
    return NULL;
}

art_index_t *art_index_build(apr_pool_t *p, int ndocs,
                             art_index_doc_fn *getdoc, void *baton)
{
    return art_index_build_ex(p, ndocs, getdoc, baton, ART_INDEX_TITLE_WEIGHT);
}

int art_index_ndocs(const art_index_t *ix)
{
    return ix->ndocs;
}

apr_size_t art_index_memory(const art_index_t *ix)
{
    return ix->mem;
}

/* ---------------------------------------------------------------- ranking */

typedef struct {
    const apr_uint32_t *docs;
    const apr_uint16_t *tfs;
    apr_uint32_t pos, n;
    float idf;
    int slot;                    /* the term's place in the query */
} index_cursor_t;

/* Non-zero when a ranks strictly before b. */
static int index_better(const art_index_hit_t *a, const art_index_hit_t *b)
{
    return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

static int index_hit_cmp(const void *x, const void *y)
{
    const art_index_hit_t *a = x, *b = y;

    return index_better(a, b) ? -1 : index_better(b, a) ? 1 : 0;
}

/* Sift a root down a heap of n hits whose root is the worst. */
static void index_hits_down(art_index_hit_t *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        art_index_hit_t tmp;

        if (l < n && index_better(&h[w], &h[l])) {
            w = l;
        }
        if (r < n && index_better(&h[w], &h[r])) {
            w = r;
        }
        if (w == i) {
            return;
        }
        tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void index_cursors_down(index_cursor_t *c, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        index_cursor_t tmp;

        if (l < n && c[l].docs[c[l].pos] < c[m].docs[c[m].pos]) {
            m = l;
        }
        if (r < n && c[r].docs[c[r].pos] < c[m].docs[c[m].pos]) {
            m = r;
        }
        if (m == i) {
            return;
        }
        tmp = c[i];
        c[i] = c[m];
        c[m] = tmp;
        i = m;
    }
}

/* The best window hits seen so far: a heap whose root is the worst kept. */
typedef struct {
    art_index_hit_t best[ART_INDEX_WINDOW_MAX];
    int n, window, matched;
} index_top_t;

static void index_top_offer_hit(index_top_t *top, int doc, float score)
{
    art_index_hit_t h;

    top->matched++;
    h.doc = doc;
    h.score = score;
    if (top->n < top->window) {
        int j = top->n++;

        top->best[j] = h;
        while (j > 0 && index_better(&top->best[(j - 1) / 2], &top->best[j])) {
            art_index_hit_t tmp = top->best[j];

            top->best[j] = top->best[(j - 1) / 2];
            top->best[(j - 1) / 2] = tmp;
            j = (j - 1) / 2;
        }
    }
    else if (top->window > 0 && index_better(&h, &top->best[0])) {
        top->best[0] = h;
        index_hits_down(top->best, top->n, 0);
    }
}

/* Document at a time: merge the cursors in id order.  Needs no memory but
 * costs a heap step per posting, so it suits short postings. */
static void index_rank_merge(const art_index_t *ix, index_cursor_t *cur,
                             int ncur, int exclude, index_top_t *top)
{
    float contrib[ART_INDEX_QUERY_TERMS];
    int i;

    for (i = ncur / 2 - 1; i >= 0; i--) {
        index_cursors_down(cur, ncur, i);
    }
    while (ncur > 0) {
        apr_uint32_t doc = cur[0].docs[cur[0].pos], mask = 0;
        float norm = ix->doc_norm[doc], score = 0.0f;

        while (ncur > 0 && cur[0].docs[cur[0].pos] == doc) {
            index_cursor_t *c = &cur[0];

            contrib[c->slot] = index_bm25(c->idf, c->tfs[c->pos], norm);
            mask |= 1u << c->slot;
            if (++c->pos == c->n) {
                cur[0] = cur[--ncur];
            }
            index_cursors_down(cur, ncur, 0);
        }
        if ((int)doc == exclude) {
            continue;
        }
        for (i = 0; mask; i++, mask >>= 1) {
            if (mask & 1) {
                score += contrib[i];
            }
        }
        index_top_offer_hit(top, (int)doc, score);
    }
}

/* Term at a time into an accumulator per document: a sequential pass per
 * term, for long postings.  Terms are added in query order, so the sums are
 * the same floats the merge produces.  Returns -1 when acc cannot be had. */
static int index_rank_accumulate(const art_index_t *ix,
                                 const index_cursor_t *cur, int ncur,
                                 int exclude, index_top_t *top)
{
    apr_uint32_t lo = (apr_uint32_t)ix->ndocs, hi = 0, d, k;
    float *acc;
    int i;

    for (i = 0; i < ncur; i++) {
        if (cur[i].docs[0] < lo) {
            lo = cur[i].docs[0];
        }
        if (cur[i].docs[cur[i].n - 1] > hi) {
            hi = cur[i].docs[cur[i].n - 1];
        }
    }
    acc = calloc(hi - lo + 1, sizeof(*acc));
    if (acc == NULL) {
        return -1;
    }
    for (i = 0; i < ncur; i++) {
        const index_cursor_t *c = &cur[i];

        for (k = 0; k < c->n; k++) {
            d = c->docs[k];
            acc[d - lo] += index_bm25(c->idf, c->tfs[k], ix->doc_norm[d]);
        }
    }
    /* Every contribution is positive (idf > 0, tf >= 1): zero is no match. */
    for (d = lo; d <= hi; d++) {
        if (acc[d - lo] > 0.0f && (int)d != exclude) {
            index_top_offer_hit(top, (int)d, acc[d - lo]);
        }
    }
    free(acc);
    return 0;
}

/* Postings, summed over the query terms, above which scoring switches from
 * the merge to the accumulator. */
#define INDEX_MERGE_MAX 4096

/* Score the union of the given terms' postings and page the result. */
static int index_rank(const art_index_t *ix, const apr_uint32_t *ids, int nids,
                      int exclude, int limit, int offset,
                      art_index_hit_t *hits, int *total)
{
    index_cursor_t cur[ART_INDEX_QUERY_TERMS];
    index_top_t top_mem, *top = &top_mem;
    apr_size_t postings = 0;
    int ncur = 0, i;

    if (limit < 0) {
        limit = 0;
    }
    if (offset < 0) {
        offset = 0;
    }
    top->n = 0;
    top->matched = 0;
    top->window = offset > ART_INDEX_WINDOW_MAX - limit
                  ? ART_INDEX_WINDOW_MAX : offset + limit;
    for (i = 0; i < nids && i < ART_INDEX_QUERY_TERMS; i++) {
        const index_term_t *t = &ix->terms[ids[i]];

        if (t->df == 0) {
            continue;
        }
        cur[ncur].docs = t->docs;
        cur[ncur].tfs = t->tfs;
        cur[ncur].pos = 0;
        cur[ncur].n = t->df;
        cur[ncur].idf = t->idf;
        cur[ncur].slot = i;
        postings += t->df;
        ncur++;
    }
    if (ncur > 0
        && (postings <= INDEX_MERGE_MAX
            || index_rank_accumulate(ix, cur, ncur, exclude, top) != 0)) {
        index_rank_merge(ix, cur, ncur, exclude, top);
    }
    if (total) {
        *total = top->matched;
    }
    qsort(top->best, top->n, sizeof(*top->best), index_hit_cmp);
    for (i = 0; offset < top->n && i < top->n - offset && i < limit; i++) {
        hits[i] = top->best[offset + i];
    }
    return i;
}

typedef struct {
    const art_index_t *ix;
    apr_uint32_t lang;
    apr_uint32_t ids[ART_INDEX_QUERY_TERMS];
    int n;
} index_query_t;

static void index_query_token(void *baton, const char *term, size_t len,
                              int position)
{
    index_query_t *q = baton;
    long id;
    int i;

    (void)position;
    if (q->n == ART_INDEX_QUERY_TERMS) {
        return;
    }
    id = index_find(q->ix, q->lang, term, len, index_hash(q->lang, term, len));
    if (id < 0) {
        return;
    }
    for (i = 0; i < q->n; i++) {
        if (q->ids[i] == (apr_uint32_t)id) {
            return;
        }
    }
    q->ids[q->n++] = (apr_uint32_t)id;
}

int art_index_search(const art_index_t *ix, const char *lang,
                     const char *query, size_t qlen, int limit, int offset,
                     art_index_hit_t *hits, int *total)
{
    index_query_t q;
    int l;

    if (total) {
        *total = 0;
    }
    l = index_lang_id(ix, lang ? lang : "");
    if (l < 0 || query == NULL) {
        return 0;
    }
    q.ix = ix;
    q.lang = (apr_uint32_t)l;
    q.n = 0;
    art_text_tokenize(query, qlen > ART_INDEX_QUERY_MAX ? ART_INDEX_QUERY_MAX
                      : qlen, lang, index_query_token, &q);
    if (q.n == 0) {
        return 0;
    }
    return index_rank(ix, q.ids, q.n, -1, limit, offset, hits, total);
}

int art_index_top_terms(const art_index_t *ix, int doc, int k,
                        const char **terms, float *weights)
{
    int i, n;

    if (doc < 0 || doc >= ix->ndocs || k <= 0) {
        return 0;
    }
    n = ix->ntop[doc] < k ? ix->ntop[doc] : k;
    for (i = 0; i < n; i++) {
        apr_size_t at = (apr_size_t)doc * ART_INDEX_TOP_TERMS + i;

        terms[i] = ix->terms[ix->top_term[at]].text;
        if (weights) {
            weights[i] = ix->top_weight[at];
        }
    }
    return n;
}

int art_index_similar(const art_index_t *ix, int doc, int limit,
                      art_index_hit_t *hits)
{
    if (doc < 0 || doc >= ix->ndocs || ix->ntop[doc] == 0) {
        return 0;
    }
    return index_rank(ix, ix->top_term + (apr_size_t)doc * ART_INDEX_TOP_TERMS,
                      ix->ntop[doc], doc, limit, 0, hits, NULL);
}

int art_index_similar_df(const art_index_t *ix, int doc, int limit, int max_df,
                         art_index_hit_t *hits, float *self)
{
    apr_uint32_t ids[ART_INDEX_TOP_TERMS];
    float sum = 0.0f;
    int i, n = 0;

    if (self) {
        *self = 0.0f;
    }
    if (doc < 0 || doc >= ix->ndocs) {
        return 0;
    }
    for (i = 0; i < ix->ntop[doc]; i++) {
        apr_size_t at = (apr_size_t)doc * ART_INDEX_TOP_TERMS + i;

        if (ix->terms[ix->top_term[at]].df <= (apr_uint32_t)max_df) {
            ids[n++] = ix->top_term[at];
            sum += ix->top_weight[at];
        }
    }
    if (self) {
        *self = sum;
    }
    if (n == 0) {
        return 0;
    }
    return index_rank(ix, ids, n, doc, limit, 0, hits, NULL);
}

void art_index_each_term(const art_index_t *ix, art_index_term_fn *fn,
                         void *baton)
{
    apr_uint32_t i;

    for (i = 0; i < ix->nterms; i++) {
        const index_term_t *t = &ix->terms[i];

        fn(baton, ix->langs[t->lang].code, t->text, t->len, t->df, t->docs,
           t->tfs);
    }
}

apr_uint32_t art_index_doc_len(const art_index_t *ix, int doc)
{
    return doc >= 0 && doc < ix->ndocs ? ix->doc_len[doc] : 0;
}
