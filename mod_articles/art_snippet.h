/* art_snippet.h: the passage of an article that best shows why it matched.
 *
 * A snippet is a window of an article's plain text (its sanitised body HTML
 * with the markup taken out and entities decoded) chosen to hold as many of
 * the query's distinct terms as fit, then as many matches; it is returned as
 * HTML: the text escaped, each match wrapped in <mark>, "…" where the window
 * cuts the text.  Query and text go through the index's tokenizer
 * (art_text.h), so a word matches here exactly when it matched in the index:
 * "دري" typed with the Arabic yeh marks "دری" written with the Persian one.
 *
 * Nothing here includes httpd headers; the result lives in the caller's pool.
 */
#ifndef ART_SNIPPET_H
#define ART_SNIPPET_H

#include <apr_pools.h>

#include "art_memo.h"

#define ART_SNIPPET_WIDTH     240     /* default window, in bytes of text */
#define ART_SNIPPET_WIDTH_MAX 2000
#define ART_SNIPPET_MATCH_MAX 512     /* matches looked at per article */

/* The snippet of html (len bytes of sanitised body HTML, in language lang)
 * for query (qlen bytes; the first ART_INDEX_QUERY_MAX count), about width
 * bytes of text (clamped to 40 .. ART_SNIPPET_WIDTH_MAX).  Without a match
 * the window is the start of the text.  Returns "" when the text is empty. */
const char *art_snippet_make(apr_pool_t *p, const char *html, apr_size_t len,
                             const char *lang, const char *query,
                             apr_size_t qlen, apr_size_t width);

/* A memo (art_memo.h) of documents' plain text and words, per process and
 * repository, for art_snippet_make_doc: at most slots documents and about
 * bytes of memory.  NULL when memory runs out. */
art_memo_t *art_snippet_memo_create(apr_pool_t *p, int slots,
                                    apr_size_t bytes);

/* art_snippet_make for document doc of version serial (versions rising),
 * whose body is html: the same snippet, from memo's copy of the document's
 * words when it has one (made and kept otherwise).  memo may be NULL. */
const char *art_snippet_make_doc(apr_pool_t *p, art_memo_t *memo,
                                 apr_uint64_t serial, int doc,
                                 const char *html, apr_size_t len,
                                 const char *lang, const char *query,
                                 apr_size_t qlen, apr_size_t width);

#endif /* ART_SNIPPET_H */
