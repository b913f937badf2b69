/* art_snapshot.c: lookups into a snapshot, and an article's plain text.
 *
 * Everything here reads an immutable snapshot, so it is safe from any thread.
 * A snapshot backed by the store (art_store.c) is one request's view: its
 * lookups go through its ops, which read the store's map in place.
 */
#include <string.h>

#include <apr_strings.h>

#include "art_html.h"
#include "art_index.h"
#include "art_snapshot.h"

/* ---------------------------------------------------------------- lookups */

const art_article_t *art_snapshot_article(const art_snapshot_t *s,
                                          const char *lang, const char *id)
{
    char key[2 * ART_ID_MAX + 2];
    apr_size_t ll = strlen(lang), il = strlen(id);

    if (s->ops) {
        return s->ops->article(s, lang, id);
    }
    if (ll > ART_ID_MAX || il > ART_ID_MAX) {
        return NULL;
    }
    memcpy(key, lang, ll);
    key[ll] = '/';
    memcpy(key + ll + 1, id, il);
    return apr_hash_get(s->article_by_key, key, ll + 1 + il);
}

const art_list_t *art_snapshot_list(const art_snapshot_t *s, art_list_e kind,
                                    const char *lang, const char *key)
{
    char buf[512];
    apr_hash_t *index;
    apr_size_t ll, kl;

    if (s->ops) {
        return s->ops->list(s, kind, lang, key);
    }
    switch (kind) {
    case ART_LIST_ALL:
        return s->all.n ? &s->all : NULL;
    case ART_LIST_LANG:
        return apr_hash_get(s->by_lang, lang, APR_HASH_KEY_STRING);
    case ART_LIST_TRANSLATION:
        return apr_hash_get(s->by_translation, key, APR_HASH_KEY_STRING);
    case ART_LIST_COLLECTION:
        index = s->by_collection;
        break;
    case ART_LIST_AUTHOR:
        index = s->by_author;
        break;
    default:
        index = s->by_tag;
        break;
    }
    ll = strlen(lang);
    kl = strlen(key);
    if (ll + kl + 2 > sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, lang, ll);
    buf[ll] = '/';
    memcpy(buf + ll + 1, key, kl);
    return apr_hash_get(index, buf, ll + 1 + kl);
}

const art_article_t *art_snapshot_doc(const art_snapshot_t *s, int doc)
{
    if (s->ops) {
        return s->ops->doc(s, doc);
    }
    return doc >= 0 && doc < s->all.n ? s->all.items[doc] : NULL;
}

const char *art_snapshot_doc_id(const art_snapshot_t *s, int doc,
                                apr_time_t *published)
{
    const art_article_t *a;

    if (s->ops) {
        return s->ops->doc_id(s, doc, published);
    }
    a = art_snapshot_doc(s, doc);
    if (a && published) {
        *published = a->published_t;
    }
    return a ? a->id : NULL;
}

int art_snapshot_count(const art_snapshot_t *s)
{
    return s->ops ? s->count : s->all.n;
}

int art_list_slice(const art_list_t *l, int offset, int n,
                   const art_article_t **out)
{
    art_list_entry_t e[64];
    int got = 0, i, m;

    if (offset < 0) {
        offset = 0;
    }
    if (l->items) {
        for (i = offset; i < l->n && got < n; i++) {
            out[got++] = l->items[i];
        }
        return got;
    }
    /* Read in runs: the store gives a page of entries at a time.  An entry
     * whose article cannot be read (a damaged record) is left out. */
    while (got < n) {
        m = art_list_entries(l, offset, n - got < 64 ? n - got : 64, e);
        if (m == 0) {
            break;
        }
        offset += m;
        for (i = 0; i < m; i++) {
            const art_article_t *a = art_snapshot_doc(l->s, e[i].doc);

            if (a) {
                out[got++] = a;
            }
        }
    }
    return got;
}

int art_list_entries(const art_list_t *l, int offset, int n,
                     art_list_entry_t *out)
{
    int got = 0, i;

    if (offset < 0) {
        offset = 0;
    }
    if (l->items == NULL) {
        return l->s->ops->entries(l, offset, n, out);
    }
    for (i = offset; i < l->n && got < n; i++) {
        out[got].doc = l->items[i]->doc;
        out[got].published = l->items[i]->published_t;
        got++;
    }
    return got;
}

const art_list_t *art_article_translations(const art_snapshot_t *s,
                                           const art_article_t *a)
{
    if (a->translation == NULL) {
        return NULL;
    }
    if (s->ops) {
        return s->ops->list(s, ART_LIST_TRANSLATION, NULL, a->translation);
    }
    return a->translations;
}

int art_article_pinned(const art_snapshot_t *s, const art_article_t *a,
                       const art_article_t **out)
{
    int i;

    if (s->ops) {
        return s->ops->pinned(s, a, out);
    }
    for (i = 0; i < a->npinned; i++) {
        out[i] = a->pinned[i];
    }
    return a->npinned;
}

int art_snapshot_search(const art_snapshot_t *s, const char *lang,
                        const char *q, size_t qlen, int limit, int offset,
                        art_index_hit_t *hits, int *total)
{
    if (s->ops) {
        return s->ops->search(s, lang, q, qlen, limit, offset, hits, total);
    }
    if (s->text == NULL) {
        if (total) {
            *total = 0;
        }
        return 0;
    }
    return art_index_search(s->text, lang, q, qlen, limit, offset, hits, total);
}

int art_snapshot_similar(const art_snapshot_t *s, const art_article_t *a,
                         int limit, int max_df, art_index_hit_t *hits,
                         float *self)
{
    if (s->ops) {
        return s->ops->similar(s, a, limit, max_df, hits, self);
    }
    if (s->text == NULL) {
        if (self) {
            *self = 0;
        }
        return 0;
    }
    return art_index_similar_df(s->text, a->doc, limit, max_df, hits, self);
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
