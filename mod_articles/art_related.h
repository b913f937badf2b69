/* art_related.h: "more on this topic" -- the articles most like one article.
 *
 * Scoring in the manner of Hugo's related content: weighted indices, each
 * article of the same language gaining a weight for every tag it shares with
 * this one, for every shared author and for the same collection, plus a text
 * similarity.  The text similarity is the BM25 score of the candidate for
 * this article's top terms (art_index_similar), divided by this article's own
 * score for them and capped at 1, so it lies in [0, 1] whatever the length
 * or language of the text; opts.text weighs it against the others (a text
 * weight of 2 makes a near-duplicate worth two shared tags).  A similarity
 * below text_min counts as none: a few common words shared are not a topic,
 * and letting them in would reorder articles whose tags tie by noise.
 * Candidates scoring below min_score are left out.
 *
 * Articles pinned in the XML (<related ref="…"/>) come first, in document
 * order, whatever their score or date; scored ones follow, best first (ties:
 * newer, then id), without repeating a pinned one; limit counts both.  Never
 * the article itself, nor an article of another language (so never one of its
 * translations).
 *
 * Pure C over a snapshot: no httpd or Lua header, so the benchmark tool and
 * unit tests call it directly.  Scratch memory comes from the caller's pool;
 * the memo below is malloc'd.
 */
#ifndef ART_RELATED_H
#define ART_RELATED_H

#include <apr_pools.h>

#include "art_memo.h"
#include "art_snapshot.h"

#define ART_RELATED_MAX       100   /* most results one call returns */
#define ART_RELATED_TEXT_HITS 50    /* text-similar candidates looked at */

typedef struct art_related_opts_t {
    double tags;                 /* per shared tag (1) */
    double authors;              /* per shared author (0) */
    double collection;           /* same collection (0) */
    double text;                 /* times the similarity in [0, 1] (1) */
    double text_min;             /* similarity that counts at all (0.2) */
    double min_score;            /* least score listed (1) */
    int limit;                   /* results, pinned included (5) */
    int per_list;                /* newest of each tag/author/collection (500) */
    int include_newer;           /* 0: only articles published before (1) */
} art_related_opts_t;

/* A memo of art_related_find's answers, per process and repository
 * (art_memo.h): the answer depends only on the repository version, the
 * article, what the request may see (preview, or the moment the newest
 * public article went live: art_snapshot_view's since) and the options, so
 * all of those are the key.  A snapshot whose related_memo is set (with its
 * serial) is answered from it when it can and fills it otherwise. */
art_memo_t *art_related_memo_create(apr_pool_t *p, int slots);

/* The defaults above. */
void art_related_defaults(art_related_opts_t *o);

/* Fill out[0 .. n-1] (room for min(o->limit, ART_RELATED_MAX)) with the
 * articles related to a, and return n; scores[] (may be NULL) receives each
 * one's score, 0 for pinned ones. */
int art_related_find(const art_snapshot_t *s, const art_article_t *a,
                     const art_related_opts_t *o, apr_pool_t *p,
                     const art_article_t **out, double *scores);

#endif /* ART_RELATED_H */
