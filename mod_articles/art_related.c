/* art_related.c: related-article scoring (see art_related.h).
 *
 * Candidates are gathered in an open-addressing table keyed by document id,
 * sized from the lists before any is read and allocated once from the pool:
 * every article of the (at most per_list newest) lists this one shares a
 * tag, author or collection with, and the best ART_RELATED_TEXT_HITS of the
 * text index's "more like this" query.  The best `limit` are then kept by
 * insertion into a sorted array, far fewer moves than sorting every
 * candidate.
 */
#include <string.h>

#include "art_index.h"
#include "art_related.h"

typedef struct {
    const art_article_t *a;
    double score;
} related_cand_t;

typedef struct {
    const art_article_t *self;
    apr_time_t newest;           /* 0: any date */
    related_cand_t *slots;       /* a NULL for empty */
    apr_uint32_t mask;           /* slots - 1, slots a power of two */
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

/* Higher score, then newer, then id: a strict order, so results are stable. */
static int related_better(const related_cand_t *x, const related_cand_t *y)
{
    if (x->score != y->score) {
        return x->score > y->score;
    }
    if (x->a->published_t != y->a->published_t) {
        return x->a->published_t > y->a->published_t;
    }
    return strcmp(x->a->id, y->a->id) < 0;
}

static related_cand_t *related_slot(related_ctx_t *c, const art_article_t *a)
{
    apr_uint32_t i = ((apr_uint32_t)a->doc * 2654435761u) & c->mask;

    while (c->slots[i].a && c->slots[i].a != a) {
        i = (i + 1) & c->mask;
    }
    return &c->slots[i];
}

static void related_add(related_ctx_t *c, const art_article_t *a, double w)
{
    related_cand_t *cand;

    if (a == c->self || a->lang != c->self->lang
        || (c->newest && a->published_t > c->newest)) {
        return;
    }
    cand = related_slot(c, a);
    cand->a = a;
    cand->score += w;
}

/* Add w to the first per_list articles of list. */
static void related_add_list(related_ctx_t *c, const art_list_t *list,
                             int per_list, double w)
{
    int i;

    for (i = 0; list && i < list->n && i < per_list; i++) {
        related_add(c, list->items[i], w);
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
    const art_list_t *all = art_snapshot_list(s->by_lang, c->self->lang->code,
                                              NULL);
    int max_df = all && all->n / 100 > RELATED_DF_MIN ? all->n / 100
                 : RELATED_DF_MIN;
    float self;
    int i, n;

    n = art_index_similar_df(s->text, c->self->doc, ART_RELATED_TEXT_HITS,
                             max_df, hits, &self);
    for (i = 0; i < n && self > 0; i++) {
        double sim = hits[i].score / self;

        if (sim >= min) {
            related_add(c, s->all.items[hits[i].doc],
                        weight * (sim < 1 ? sim : 1));
        }
    }
}

/* Slots for every candidate the lists and the text query can give, at most
 * half full. */
static apr_uint32_t related_slots(const art_snapshot_t *s,
                                  const art_article_t *a,
                                  const art_related_opts_t *o, int per)
{
    apr_size_t bound = ART_RELATED_TEXT_HITS, cap = 64;
    const art_list_t *l;
    int i;

    for (i = 0; o->tags != 0 && i < a->ntags; i++) {
        l = art_snapshot_list(s->by_tag, a->lang->code, a->tags[i].key);
        bound += l ? (apr_size_t)(l->n < per ? l->n : per) : 0;
    }
    for (i = 0; o->authors != 0 && i < a->nauthors; i++) {
        l = art_snapshot_list(s->by_author, a->lang->code, a->authors[i]->id);
        bound += l ? (apr_size_t)(l->n < per ? l->n : per) : 0;
    }
    l = art_snapshot_list(s->by_collection, a->lang->code, a->collection->id);
    bound += o->collection != 0 && l ? (apr_size_t)(l->n < per ? l->n : per)
             : 0;
    while (cap < 2 * bound) {
        cap *= 2;
    }
    return (apr_uint32_t)cap;
}

int art_related_find(const art_snapshot_t *s, const art_article_t *a,
                     const art_related_opts_t *o, apr_pool_t *p,
                     const art_article_t **out, double *scores)
{
    const char *lang = a->lang->code;
    int limit = o->limit, per = o->per_list > 0 ? o->per_list : 1;
    int i, j, n = 0, npin = 0;
    related_ctx_t c;
    related_cand_t *best;
    apr_uint32_t k, nslots;

    if (limit <= 0) {
        return 0;
    }
    if (limit > ART_RELATED_MAX) {
        limit = ART_RELATED_MAX;
    }
    for (i = 0; i < a->npinned && npin < limit; i++) {
        out[npin] = a->pinned[i];
        if (scores) {
            scores[npin] = 0;
        }
        npin++;
    }
    c.self = a;
    c.newest = o->include_newer ? 0 : a->published_t;
    nslots = related_slots(s, a, o, per);
    c.slots = apr_pcalloc(p, sizeof(*c.slots) * nslots);
    c.mask = nslots - 1;
    for (i = 0; o->tags != 0 && i < a->ntags; i++) {
        for (j = 0; j < i && strcmp(a->tags[j].key, a->tags[i].key) != 0; j++) {
        }
        if (j == i) {
            related_add_list(&c, art_snapshot_list(s->by_tag, lang,
                                                   a->tags[i].key),
                             per, o->tags);
        }
    }
    for (i = 0; o->authors != 0 && i < a->nauthors; i++) {
        related_add_list(&c, art_snapshot_list(s->by_author, lang,
                                               a->authors[i]->id),
                         per, o->authors);
    }
    if (o->collection != 0) {
        related_add_list(&c, art_snapshot_list(s->by_collection, lang,
                                               a->collection->id),
                         per, o->collection);
    }
    if (o->text != 0 && s->text) {
        related_add_text(&c, s, o->text, o->text_min);
    }
    /* Pinned ones are already listed: taking them out of the running keeps
     * the scored places for others. */
    for (i = 0; i < npin; i++) {
        related_slot(&c, out[i])->score = -1e300;
    }
    limit -= npin;
    best = apr_palloc(p, sizeof(*best) * (apr_size_t)(limit + 1));
    for (k = 0; k < nslots && limit > 0; k++) {
        related_cand_t *cand = &c.slots[k];

        if (cand->a == NULL || cand->score < o->min_score) {
            continue;
        }
        for (i = n; i > 0 && related_better(cand, &best[i - 1]); i--) {
            best[i] = best[i - 1];
        }
        if (i < limit) {
            best[i] = *cand;
            if (n < limit) {
                n++;
            }
        }
    }
    for (i = 0; i < n; i++) {
        out[npin + i] = best[i].a;
        if (scores) {
            scores[npin + i] = best[i].score;
        }
    }
    return npin + n;
}
