/* art_related.c: related-article scoring (see art_related.h).
 *
 * Candidates are gathered sparsely: a dense array of the candidates met,
 * in the order met, and an open-addressing index of (document id, place)
 * pairs over it, both sized from the lists before any is read and allocated
 * once from the pool; only the small index is cleared, and only the
 * candidates met are visited afterwards.  They are every article of the (at
 * most per_list newest) lists this one shares a tag, author or collection
 * with, and the best ART_RELATED_TEXT_HITS of the text index's "more like
 * this" query.  The best `limit` are then kept by insertion into a sorted
 * array, far fewer moves than sorting every candidate; the order (score,
 * time, id) is strict, so the order candidates are visited in does not
 * change the answer.  Lists are read as entries (document id and time), so
 * with a store-backed snapshot no article is read to score it: only ties of
 * score and time and the winners are.  A text hit that no list gave has no
 * time yet, and reading it would read its record: it is read only once the
 * hit's score reaches min_score (most never do), or at once when the time
 * filters candidates (include_newer off).
 *
 * The memo (art_memo.h) keeps each answer as document ids (and scores)
 * under a key of fixed size built with its padding zeroed, so keys compare
 * and hash as bytes.  A hit turns the ids back into articles through the request's
 * snapshot, which gives the same articles in the same order as computing
 * them would: the same version and visibility show the same documents.
 */
#include <stdlib.h>
#include <string.h>

#include "art_hash.h"
#include "art_index.h"
#include "art_memo.h"
#include "art_related.h"

/* A candidate: its list entry, its score, and its article once read (only
 * ties of score and time and the winners need it). */
typedef struct {
    int doc;
    int timed;                   /* published is known */
    apr_time_t published;
    const art_article_t *a;
    const char *id;              /* read for a tie, NULL until then */
    double score;
} related_cand_t;

/* A place of the index: doc -1 for empty, else where its candidate is. */
typedef struct {
    int doc;
    int at;
} related_slot_t;

/* A list to score and its weight. */
typedef struct {
    const art_list_t *list;
    double w;
} related_src_t;

typedef struct {
    const art_snapshot_t *s;
    const art_article_t *self;
    apr_time_t newest;           /* 0: any date */
    related_slot_t *slots;
    apr_uint32_t mask;           /* slots - 1, slots a power of two */
    related_cand_t *cands;       /* those met, in the order met */
    int n;
} related_ctx_t;

void art_related_defaults(art_related_opts_t *o)
{
    o->tags = 1;
    o->authors = 0;
    o->collection = 0;
    o->text = 1;
    o->text_min = 0.2;
    o->min_score = 1;
    o->limit = 5;
    o->per_list = 500;
    o->include_newer = 1;
}

static const art_article_t *related_article(related_ctx_t *c,
                                            related_cand_t *x)
{
    if (x->a == NULL) {
        x->a = art_snapshot_doc(c->s, x->doc);
    }
    return x->a;
}

/* Its id, read alone: ties are common (tag weights are whole numbers and
 * dates are days), and a tie needs no more of the article. */
static const char *related_id(related_ctx_t *c, related_cand_t *x)
{
    if (x->id == NULL) {
        x->id = x->a ? x->a->id : art_snapshot_doc_id(c->s, x->doc, NULL);
    }
    return x->id;
}

/* Higher score, then newer, then id: a strict order, so results are stable. */
static int related_better(related_ctx_t *c, related_cand_t *x,
                          related_cand_t *y)
{
    const char *a, *b;

    if (x->score != y->score) {
        return x->score > y->score;
    }
    if (x->published != y->published) {
        return x->published > y->published;
    }
    a = related_id(c, x);
    b = related_id(c, y);
    return a && b ? strcmp(a, b) < 0 : a != NULL;
}

/* doc's candidate; a new one (score 0, no time) when it has none and add
 * is set, else NULL. */
static related_cand_t *related_cand(related_ctx_t *c, int doc, int add)
{
    apr_uint32_t i = ((apr_uint32_t)doc * 2654435761u) & c->mask;
    related_cand_t *x;

    while (c->slots[i].doc >= 0) {
        if (c->slots[i].doc == doc) {
            return &c->cands[c->slots[i].at];
        }
        i = (i + 1) & c->mask;
    }
    if (!add) {
        return NULL;
    }
    c->slots[i].doc = doc;
    c->slots[i].at = c->n;
    x = &c->cands[c->n++];
    x->doc = doc;
    x->timed = 0;
    x->published = 0;
    x->a = NULL;
    x->id = NULL;
    x->score = 0;
    return x;
}

/* Lists and the text query hold articles of self's language only. */
static void related_add(related_ctx_t *c, int doc, apr_time_t published,
                        double w)
{
    related_cand_t *cand;

    if (doc == c->self->doc || (c->newest && published > c->newest)) {
        return;
    }
    cand = related_cand(c, doc, 1);
    cand->timed = 1;
    cand->published = published;
    cand->score += w;
}

/* Add w to the first per_list articles of list, read as entries: no
 * article is read to score it. */
static void related_add_list(related_ctx_t *c, const art_list_t *list,
                             int per_list, double w, art_list_entry_t *e)
{
    int i, n;

    n = list->n < per_list ? list->n : per_list;
    n = art_list_entries(list, 0, n, e);
    for (i = 0; i < n; i++) {
        related_add(c, e[i].doc, e[i].published, w);
    }
}

/* Add weight times the normalised text similarity of a's best matches.
 * Words in more than 1% of the language's articles (and at least
 * RELATED_DF_MIN) are left out of the query: they say little about likeness
 * and their postings are the longest to score. */
#define RELATED_DF_MIN 100

static void related_add_text(related_ctx_t *c, const art_snapshot_t *s,
                             double weight, double min)
{
    art_index_hit_t hits[ART_RELATED_TEXT_HITS];
    const art_list_t *all = art_snapshot_list(s, ART_LIST_LANG,
                                              c->self->lang->code, NULL);
    int max_df = all && all->n / 100 > RELATED_DF_MIN ? all->n / 100
                 : RELATED_DF_MIN;
    float self;
    int i, n;

    n = art_snapshot_similar(s, c->self, ART_RELATED_TEXT_HITS, max_df, hits,
                             &self);
    for (i = 0; i < n && self > 0; i++) {
        double sim = hits[i].score / self;
        apr_time_t published;
        related_cand_t *x;

        if (sim < min || hits[i].doc == c->self->doc) {
            continue;
        }
        if (c->newest == 0) {
            /* Its time (and whether the view shows it) when it matters:
             * see related_timed. */
            x = related_cand(c, hits[i].doc, 1);
            x->score += weight * (sim < 1 ? sim : 1);
        }
        else if (art_snapshot_doc_id(s, hits[i].doc, &published) != NULL) {
            related_add(c, hits[i].doc, published,
                        weight * (sim < 1 ? sim : 1));
        }
    }
}

/* A text hit no list gave has no time yet: read it (and its id) now.  0
 * when the view does not show it, which is then no candidate: the text
 * query only was scoring it. */
static int related_timed(related_ctx_t *c, related_cand_t *x)
{
    if (!x->timed) {
        x->id = art_snapshot_doc_id(c->s, x->doc, &x->published);
        if (x->id == NULL) {
            return 0;
        }
        x->timed = 1;
    }
    return 1;
}

/* The lists a's candidates come from, in scoring order (a tag written twice
 * counts once), into src; returns how many, and in *bound how many
 * candidates they and the text query can give at most. */
static int related_sources(const art_snapshot_t *s, const art_article_t *a,
                           const art_related_opts_t *o, int per,
                           related_src_t *src, apr_size_t *bound)
{
    const char *lang = a->lang->code;
    const art_list_t *l;
    int i, j, n = 0;

    *bound = o->text != 0 ? ART_RELATED_TEXT_HITS : 0;
    for (i = 0; o->tags != 0 && i < a->ntags; i++) {
        for (j = 0; j < i && strcmp(a->tags[j].key, a->tags[i].key) != 0; j++) {
        }
        if (j == i && (l = art_snapshot_list(s, ART_LIST_TAG, lang,
                                             a->tags[i].key)) != NULL) {
            src[n].list = l;
            src[n++].w = o->tags;
        }
    }
    for (i = 0; o->authors != 0 && i < a->nauthors; i++) {
        if ((l = art_snapshot_list(s, ART_LIST_AUTHOR, lang,
                                   a->authors[i]->id)) != NULL) {
            src[n].list = l;
            src[n++].w = o->authors;
        }
    }
    if (o->collection != 0
        && (l = art_snapshot_list(s, ART_LIST_COLLECTION, lang,
                                  a->collection->id)) != NULL) {
        src[n].list = l;
        src[n++].w = o->collection;
    }
    for (i = 0; i < n; i++) {
        *bound += (apr_size_t)(src[i].list->n < per ? src[i].list->n : per);
    }
    return n;
}

static int related_compute(const art_snapshot_t *s, const art_article_t *a,
                           const art_related_opts_t *o, apr_pool_t *p,
                           const art_article_t **out, double *scores)
{
    int limit = o->limit, per = o->per_list > 0 ? o->per_list : 1;
    int i, j, n = 0, npin = 0, nsrc, most = 0;
    related_ctx_t c;
    related_cand_t *best;
    related_src_t *src;
    art_list_entry_t *e;
    const art_article_t **pinned;
    apr_size_t bound, nslots = 64;

    if (limit <= 0) {
        return 0;
    }
    if (limit > ART_RELATED_MAX) {
        limit = ART_RELATED_MAX;
    }
    pinned = apr_palloc(p, sizeof(*pinned) * (apr_size_t)(a->npinned_ids + 1));
    j = art_article_pinned(s, a, pinned);
    for (i = 0; i < j && npin < limit; i++) {
        out[npin] = pinned[i];
        if (scores) {
            scores[npin] = 0;
        }
        npin++;
    }
    c.s = s;
    c.self = a;
    c.newest = o->include_newer ? 0 : a->published_t;
    src = apr_palloc(p, sizeof(*src) * (apr_size_t)(a->ntags + a->nauthors + 1));
    nsrc = related_sources(s, a, o, per, src, &bound);
    /* The index at most half full; only it is cleared. */
    while (nslots < 2 * bound) {
        nslots *= 2;
    }
    c.slots = apr_palloc(p, sizeof(*c.slots) * nslots);
    memset(c.slots, 0xFF, sizeof(*c.slots) * nslots);
    c.mask = (apr_uint32_t)nslots - 1;
    c.cands = apr_palloc(p, sizeof(*c.cands) * (bound + 1));
    c.n = 0;
    for (i = 0; i < nsrc; i++) {
        j = src[i].list->n < per ? src[i].list->n : per;
        most = j > most ? j : most;
    }
    e = apr_palloc(p, sizeof(*e) * (apr_size_t)(most + 1));
    for (i = 0; i < nsrc; i++) {
        related_add_list(&c, src[i].list, per, src[i].w, e);
    }
    if (o->text != 0) {
        related_add_text(&c, s, o->text, o->text_min);
    }
    /* Pinned ones are already listed: taking them out of the running keeps
     * the scored places for others. */
    for (i = 0; i < npin; i++) {
        related_cand_t *x = related_cand(&c, out[i]->doc, 0);

        if (x) {
            x->score = -1e300;
        }
    }
    limit -= npin;
    best = apr_palloc(p, sizeof(*best) * (apr_size_t)(limit + 1));
    for (j = 0; j < c.n && limit > 0; j++) {
        related_cand_t *cand = &c.cands[j];

        if (cand->score < o->min_score || !related_timed(&c, cand)) {
            continue;
        }
        for (i = n; i > 0 && related_better(&c, cand, &best[i - 1]); i--) {
            best[i] = best[i - 1];
        }
        if (i < limit) {
            best[i] = *cand;
            if (n < limit) {
                n++;
            }
        }
    }
    j = 0;
    for (i = 0; i < n; i++) {
        const art_article_t *r = related_article(&c, &best[i]);

        if (r) {
            out[npin + j] = r;
            if (scores) {
                scores[npin + j] = best[i].score;
            }
            j++;
        }
    }
    return npin + j;
}

/* ---------------------------------------------------------------- the memo */

/* Everything an answer depends on; made with memset so padding is zero. */
typedef struct {
    apr_time_t seen;             /* -1: every article shown; else the
                                    view's since */
    int doc;                     /* the article */
    int limit, per_list, include_newer;
    double tags, authors, collection, text, text_min, min_score;
} related_key_t;

/* An answer: n scores, then n document ids, in the same allocation. */
typedef struct {
    related_key_t k;
    int n;
    double *scores;
    int *docs;
} related_memo_t;

art_memo_t *art_related_memo_create(apr_pool_t *p, int slots)
{
    return art_memo_create(p, slots, 0, free);
}

/* FNV-1a over the key's bytes. */
static apr_uint32_t related_hash(const related_key_t *k)
{
    return art_fnv32(k, sizeof(*k), ART_FNV32_INIT);
}

static void related_key(related_key_t *k, const art_snapshot_t *s,
                        const art_article_t *a, const art_related_opts_t *o)
{
    memset(k, 0, sizeof(*k));
    k->seen = s->now == 0 || s->preview ? -1 : s->since;
    k->doc = a->doc;
    k->limit = o->limit;
    k->per_list = o->per_list;
    k->include_newer = o->include_newer;
    k->tags = o->tags;
    k->authors = o->authors;
    k->collection = o->collection;
    k->text = o->text;
    k->text_min = o->text_min;
    k->min_score = o->min_score;
}

/* The memoised answer for k into docs[] and scores[]; -1 when there is
 * none. */
static int related_memo_get(const art_snapshot_t *s, const related_key_t *k,
                            apr_uint32_t h, int *docs, double *scores)
{
    const related_memo_t *m = art_memo_get(s->related_memo, s->serial, h);
    int n = -1;

    if (m && memcmp(&m->k, k, sizeof(*k)) == 0) {
        n = m->n;
        memcpy(docs, m->docs, sizeof(*docs) * (apr_size_t)n);
        memcpy(scores, m->scores, sizeof(*scores) * (apr_size_t)n);
    }
    art_memo_unlock(s->related_memo);
    return n;
}

static void related_memo_put(const art_snapshot_t *s, const related_key_t *k,
                             apr_uint32_t h, const art_article_t **out,
                             const double *scores, int n)
{
    apr_size_t bytes = sizeof(related_memo_t)
                       + (sizeof(double) + sizeof(int)) * (apr_size_t)(n + 1);
    related_memo_t *m = malloc(bytes);
    int i;

    if (m == NULL) {
        return;
    }
    m->k = *k;
    m->n = n;
    m->scores = (double *)(m + 1);
    m->docs = (int *)(m->scores + n + 1);
    for (i = 0; i < n; i++) {
        m->scores[i] = scores[i];
        m->docs[i] = out[i]->doc;
    }
    art_memo_put(s->related_memo, s->serial, h, m, bytes);
}

int art_related_find(const art_snapshot_t *s, const art_article_t *a,
                     const art_related_opts_t *o, apr_pool_t *p,
                     const art_article_t **out, double *scores)
{
    double sc[ART_RELATED_MAX];
    int docs[ART_RELATED_MAX];
    related_key_t k;
    apr_uint32_t h;
    int i, n, kept = 0;

    if (s->related_memo == NULL || o->limit <= 0) {
        return related_compute(s, a, o, p, out, scores);
    }
    related_key(&k, s, a, o);
    h = related_hash(&k);
    n = related_memo_get(s, &k, h, docs, sc);
    if (n < 0) {
        n = related_compute(s, a, o, p, out, sc);
        related_memo_put(s, &k, h, out, sc, n);
        if (scores) {
            memcpy(scores, sc, sizeof(*sc) * (apr_size_t)n);
        }
        return n;
    }
    for (i = 0; i < n; i++) {
        const art_article_t *r = art_snapshot_doc(s, docs[i]);

        if (r) {
            out[kept] = r;
            if (scores) {
                scores[kept] = sc[i];
            }
            kept++;
        }
    }
    return kept;
}
