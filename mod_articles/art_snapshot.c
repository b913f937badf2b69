/* art_snapshot.c: lookups into a snapshot, and an article's plain text.
 *
 * Everything here reads an immutable snapshot, so it is safe from any thread.
 */
#include <string.h>

#include <apr_strings.h>

#include "art_html.h"
#include "art_snapshot.h"

/* ---------------------------------------------------------------- lookups */

const art_article_t *art_snapshot_article(const art_snapshot_t *s,
                                          const char *lang, const char *id)
{
    char key[2 * ART_ID_MAX + 2];
    apr_size_t ll = strlen(lang), il = strlen(id);

    if (ll > ART_ID_MAX || il > ART_ID_MAX) {
        return NULL;
    }
    memcpy(key, lang, ll);
    key[ll] = '/';
    memcpy(key + ll + 1, id, il);
    return apr_hash_get(s->article_by_key, key, ll + 1 + il);
}

const art_list_t *art_snapshot_list(apr_hash_t *index, const char *lang,
                                    const char *key)
{
    char buf[512];
    apr_size_t ll = strlen(lang), kl;

    if (key == NULL) {
        return apr_hash_get(index, lang, ll);
    }
    kl = strlen(key);
    if (ll + kl + 2 > sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, lang, ll);
    buf[ll] = '/';
    memcpy(buf + ll + 1, key, kl);
    return apr_hash_get(index, buf, ll + 1 + kl);
}

const art_lang_t *art_snapshot_lang(const art_snapshot_t *s, const char *code)
{
    int i;

    for (i = 0; i < s->site->langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(s->site->langs, i, art_lang_t);
        if (strcmp(l->code, code) == 0) {
            return l;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- plain text */

const char *art_article_plain(apr_pool_t *p, const art_article_t *a,
                              apr_size_t *len)
{
    char *out = apr_palloc(p, a->body_len + 1);
    apr_size_t n = art_html_text(a->body, a->body_len, out);

    if (len) {
        *len = n;
    }
    return out;
}
