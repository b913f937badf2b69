/* art_index.h: the inverted text index of a snapshot, and BM25 over it.
 *
 * Built once from every document's title, plain-text body and tags, then only
 * read: any number of threads may search it at once without locks.  Each
 * language has its own dictionary (the key is language and term), so a query
 * in one language never meets a document of another.  A term's postings are
 * the ids of the documents containing it, ascending, each with the term's
 * frequency there; title and tag occurrences count title_weight times, which
 * is how a title match outranks a body match.
 *
 * Searching scores with Okapi BM25 (k1 = 1.2, b = 0.75; idf, document
 * lengths and average length per language; a document's length counts title
 * and tag terms with their weight).  It takes no pool: short postings are
 * merged on the stack, long ones summed in a scratch array malloc'd and freed
 * within the call.  Each document also keeps its ART_INDEX_TOP_TERMS best
 * terms (highest BM25 weight), which give "more like this" queries without a
 * forward index.
 *
 * Document ids are the caller's 0-based positions (e.g. in a snapshot list).
 * Language codes are compared exactly: the caller passes the snapshot's
 * codes ("fa"), not a request's Accept-Language tags.
 */
#ifndef ART_INDEX_H
#define ART_INDEX_H

#include <apr_pools.h>

#define ART_INDEX_TOP_TERMS     16    /* best terms kept per document */
#define ART_INDEX_QUERY_MAX     1024  /* query bytes looked at */
#define ART_INDEX_QUERY_TERMS   32    /* distinct query terms used */
#define ART_INDEX_WINDOW_MAX    1000  /* offset + limit a search can reach */
#define ART_INDEX_TITLE_WEIGHT  3

typedef struct art_index_t art_index_t;

/* One document as the builder sees it.  Strings are NUL-terminated UTF-8 and
 * need only stay valid until the next call of the callback. */
typedef struct art_index_doc_t {
    const char *lang;            /* "fa"; NULL or "" for none */
    const char *title;           /* may be NULL */
    const char *body;            /* plain text, markup removed; may be NULL */
    const char *const *tags;     /* tag names */
    int ntags;
} art_index_doc_t;

/* Fills *doc for document i (0 <= i < ndocs). */
typedef void art_index_doc_fn(void *baton, int i, art_index_doc_t *doc);

typedef struct art_index_hit_t {
    int doc;                     /* document id */
    float score;                 /* BM25; higher is better */
} art_index_hit_t;

/* Build the index of ndocs documents in pool p with title weight
 * ART_INDEX_TITLE_WEIGHT.  Returns NULL when memory runs out. */
art_index_t *art_index_build(apr_pool_t *p, int ndocs,
                             art_index_doc_fn *getdoc, void *baton);

/* As art_index_build with another title weight (1 or more). */
art_index_t *art_index_build_ex(apr_pool_t *p, int ndocs,
                                art_index_doc_fn *getdoc, void *baton,
                                int title_weight);

/* BM25 search of the documents in lang.  Fills hits[0..] with up to limit
 * results starting at rank offset (score descending, then id ascending) and
 * returns how many it wrote; *total (may be NULL) receives the number of
 * matching documents (any query term).  Only the first ART_INDEX_QUERY_MAX
 * bytes (the last word may be cut there) and the first ART_INDEX_QUERY_TERMS
 * distinct terms found in the index count; ranks beyond ART_INDEX_WINDOW_MAX
 * are not returned.  Stop words and unknown words match nothing. */
int art_index_search(const art_index_t *ix, const char *lang,
                     const char *query, size_t qlen, int limit, int offset,
                     art_index_hit_t *hits, int *total);

/* The k (at most ART_INDEX_TOP_TERMS) highest-weighted terms of doc, best
 * first, into terms[] and, if not NULL, weights[]; returns how many. */
int art_index_top_terms(const art_index_t *ix, int doc, int k,
                        const char **terms, float *weights);

/* Documents of doc's language most like doc: BM25 of its top terms, doc
 * itself excluded.  Returns how many hits (at most limit) were written. */
int art_index_similar(const art_index_t *ix, int doc, int limit,
                      art_index_hit_t *hits);

/* As art_index_similar, asking only with those top terms of doc that occur in
 * at most max_df documents: a word most documents share says little about
 * likeness and costs the most to score.  *self (may be NULL) receives doc's
 * own score for the terms used, the most any document can reach when term
 * frequencies are alike, so callers can scale scores to [0, 1].  Returns 0
 * hits when no top term is rare enough. */
int art_index_similar_df(const art_index_t *ix, int doc, int limit, int max_df,
                         art_index_hit_t *hits, float *self);

/* Receives one term of the index: its language ("" for none), its text
 * (len bytes, NUL-terminated) and its df postings, ids ascending. */
typedef void art_index_term_fn(void *baton, const char *lang, const char *term,
                               size_t len, apr_uint32_t df,
                               const apr_uint32_t *docs,
                               const apr_uint16_t *tfs);

/* Every term of the index, in no particular order: how the store
 * (art_store.c) writes a full build's postings without tokenizing twice. */
void art_index_each_term(const art_index_t *ix, art_index_term_fn *fn,
                         void *baton);

/* doc's length as BM25 counts it (title and tag terms weighted); 0 for an
 * unknown doc. */
apr_uint32_t art_index_doc_len(const art_index_t *ix, int doc);

/* Documents indexed, and the bytes the index holds in its pool. */
int art_index_ndocs(const art_index_t *ix);
apr_size_t art_index_memory(const art_index_t *ix);

#endif /* ART_INDEX_H */
