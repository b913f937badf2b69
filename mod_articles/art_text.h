/* art_text.h: splitting article text into search terms.
 *
 * A term is a maximal run of letters and digits, normalised so that the ways
 * people actually type one word give one term: case folded (Latin, Greek,
 * Cyrillic), Latin-1 accents and German umlauts stripped and ß spelled "ss",
 * the Arabic and Persian forms of yeh and kaf made one, diacritics, tatweel,
 * zero-width joiners and direction marks removed, Arabic presentation forms
 * mapped back to their letters and Arabic-Indic digits turned into ASCII.
 * Common function words of the text's language (en, de, fa, ps) and one-letter
 * terms are dropped; a term longer than ART_TEXT_TERM_MAX bytes is cut at a
 * character boundary.
 *
 * The tokenizer allocates nothing: each term is built in a buffer on the
 * stack and handed to a callback, which copies what it keeps.  Queries and
 * documents go through the same function, so they always agree.
 */
#ifndef ART_TEXT_H
#define ART_TEXT_H

#include <stddef.h>

/* Longest term in bytes; longer ones are truncated, never split. */
#define ART_TEXT_TERM_MAX 64

/* Called once per kept term.  term is NUL-terminated UTF-8 and valid only
 * during the call; position counts every term of the text from 0, dropped
 * stop words included, so positions keep the distance between words. */
typedef void art_text_token_fn(void *baton, const char *term, size_t len,
                               int position);

/* Tokenize len bytes of UTF-8.  lang ("en", "fa-AF", NULL) picks the stop
 * words; an unknown or NULL language drops none.  Invalid UTF-8 separates
 * terms. */
void art_text_tokenize(const char *utf8, size_t len, const char *lang,
                       art_text_token_fn *fn, void *baton);

/* Called once per kept term with the bytes [start, end) of the input it was
 * made from (a snippet highlights exactly those); term as above. */
typedef void art_text_span_fn(void *baton, const char *term, size_t len,
                              size_t start, size_t end);

/* As art_text_tokenize, reporting where each term lies in the input. */
void art_text_tokenize_spans(const char *utf8, size_t len, const char *lang,
                             art_text_span_fn *fn, void *baton);

/* Most terms art_text_match_spans looks for. */
#define ART_TEXT_MATCH_MAX 64

/* What art_text_tokenize_spans reports of the terms equal to one of
 * terms[0 .. nterms-1] (normalised, as a callback receives them; lens[] their
 * lengths; at most ART_TEXT_MATCH_MAX), in the same order, and nothing else:
 * the same spans, found without building the words that cannot match. */
void art_text_match_spans(const char *utf8, size_t len, const char *lang,
                          const char *const *terms, const size_t *lens,
                          int nterms, art_text_span_fn *fn, void *baton);

/* Non-zero when the normalised term (as passed to a callback) is a stop word
 * of lang. */
int art_text_is_stopword(const char *lang, const char *term, size_t len);

/* The stop word list of lang (NULL when it has none) and its length; for
 * tests and documentation. */
const char *const *art_text_stopwords(const char *lang, int *n);

/* One code point lower-cased for Latin, Greek and Cyrillic; others unchanged. */
unsigned art_text_fold_case(unsigned c);

/* Encode code point c (below U+10000) as UTF-8 at o; returns the bytes written. */
size_t art_text_utf8_put(char *o, unsigned c);

#endif /* ART_TEXT_H */
