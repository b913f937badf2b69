/* art_ltext.c: picking the text of a multilingual list for a language.
 *
 * Titles, names, bios and mottos come in several languages; a page shows the
 * one in its language, or the best stand-in (see art_ltext.h).
 */
#include <string.h>

#include "art_ltext.h"

const art_ltext_t *art_ltext_pick(const apr_array_header_t *texts,
                                  const char *lang, const char *fallback)
{
    const art_ltext_t *fb = NULL, *any = NULL;
    int i;

    if (texts == NULL || texts->nelts == 0) {
        return NULL;
    }
    for (i = 0; i < texts->nelts; i++) {
        const art_ltext_t *t = &APR_ARRAY_IDX(texts, i, art_ltext_t);
        if (t->lang == NULL) {
            if (any == NULL) {
                any = t;
            }
        }
        else if (lang && strcmp(t->lang, lang) == 0) {
            return t;
        }
        else if (fallback && fb == NULL && strcmp(t->lang, fallback) == 0) {
            fb = t;
        }
    }
    if (fb) {
        return fb;
    }
    if (any) {
        return any;
    }
    return &APR_ARRAY_IDX(texts, 0, art_ltext_t);
}
