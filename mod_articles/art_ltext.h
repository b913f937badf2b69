/* art_ltext.h: text in one of several languages.
 *
 * Titles, names, bios and mottos are lists of these; art_ltext_pick chooses
 * the one a page in a given language shows.
 */
#ifndef ART_LTEXT_H
#define ART_LTEXT_H

#include <apr_tables.h>

/* A piece of text in one language; lang is NULL when the XML gave none. */
typedef struct art_ltext_t {
    const char *lang;
    const char *text;
} art_ltext_t;

/* Best text of a multilingual list for lang: exact, then the site default, then
 * an entry without language, then the first one. NULL for an empty list. */
const art_ltext_t *art_ltext_pick(const apr_array_header_t *texts,
                                  const char *lang, const char *fallback);

#endif
