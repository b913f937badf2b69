/* art_snapshot.c: lookups into a snapshot, and an article's plain text.
 *
 * Everything here reads an immutable snapshot, so it is safe from any thread.
 * A snapshot backed by the store (art_store.c) is one request's view: its
 * lookups go through its ops, which read the store's map in place.
 *
 * Visibility (drafts, scheduled articles) is decided here and nowhere else:
 * the raw_* functions read what the snapshot holds, and the public ones
 * apply a request's view (art_snapshot_view) on top.  It is a request-time
 * decision from the stored times, so neither the loader's output nor the
 * store's content hashes depend on the clock.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "art_hash.h"
#include "art_html.h"
#include "art_index.h"
#include "art_memo.h"
#include "art_snapshot.h"

/* ---------------------------------------------------------------- lookups */

apr_time_t art_article_when(const art_article_t *a)
{
    return a->draft ? ART_TIME_DRAFT : a->published_t;
}

int art_snapshot_visible(const art_snapshot_t *s, const art_article_t *a)
{
    return s->now == 0 || s->preview || art_article_when(a) <= s->now;
}

static const art_article_t *raw_article(const art_snapshot_t *s,
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

static const art_list_t *raw_list(const art_snapshot_t *s, art_list_e kind,
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

static const art_article_t *raw_doc(const art_snapshot_t *s, int doc)
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
    apr_time_t when = 0;
    const char *id;

    if (s->ops) {
        /* The time of its list entries: a draft's is ART_TIME_DRAFT. */
        id = s->ops->doc_id(s, doc, &when);
    }
    else {
        a = raw_doc(s, doc);
        id = a ? a->id : NULL;
        when = a ? art_article_when(a) : 0;
    }
    if (id == NULL || !(s->now == 0 || s->preview || when <= s->now)) {
        return NULL;
    }
    if (published) {
        *published = when;
    }
    return id;
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
            out[got++] = l->items[l->skip + i];
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

/* Entries of l counted from its raw start (its hidden prefix included). */
static int raw_entries(const art_list_t *l, int offset, int n,
                       art_list_entry_t *out)
{
    int got = 0, i;

    if (l->items == NULL) {
        return l->s->ops->entries(l, offset, n, out);
    }
    for (i = offset; i < l->skip + l->n && got < n; i++) {
        out[got].doc = l->items[i]->doc;
        out[got].published = art_article_when(l->items[i]);
        got++;
    }
    return got;
}

int art_list_entries(const art_list_t *l, int offset, int n,
                     art_list_entry_t *out)
{
    if (offset < 0) {
        offset = 0;
    }
    return raw_entries(l, offset + l->skip, n, out);
}

/* ---------------------------------------------------------------- the view */

/* l as view s shows it: without its prefix of articles not public yet
 * (lists are newest first, and a draft sorts first), NULL when that leaves
 * nothing. */
static const art_list_t *view_of(const art_snapshot_t *s, const art_list_t *l)
{
    art_list_entry_t e[16];
    art_list_t *v;
    int skip = 0, m, i;

    if (l == NULL || s->now == 0 || s->preview || !s->hides) {
        return l;
    }
    while ((m = raw_entries(l, skip, 16, e)) > 0) {
        for (i = 0; i < m && e[i].published > s->now; i++) {
        }
        skip += i;
        if (i < m) {
            break;
        }
    }
    if (skip == 0) {
        return l;
    }
    if (skip >= l->n) {
        return NULL;
    }
    v = apr_pmemdup(s->view_pool, l, sizeof(*l));
    v->skip = skip;
    v->n = l->n - skip;
    v->s = s;
    return v;
}

art_snapshot_t *art_snapshot_view(apr_pool_t *p, const art_snapshot_t *s,
                                  apr_time_t now, int preview)
{
    art_snapshot_t *v = apr_pmemdup(p, s, sizeof(*s));
    const art_list_t *all = raw_list(s, ART_LIST_ALL, NULL, NULL);
    art_list_entry_t e[16];
    int off = 0, m, i;

    v->now = now > 0 ? now : 1;
    v->preview = preview;
    v->view_pool = p;
    v->since = 0;
    v->next = 0;
    v->hides = 0;
    /* The head of the list of every article: the hidden ones, newest
     * first, then the newest public one.  Without hidden ones (the usual
     * case) no list of the view needs looking at for them. */
    while (all && (m = raw_entries(all, off, 16, e)) > 0) {
        for (i = 0; i < m; i++) {
            if (e[i].published <= now) {
                v->since = e[i].published;
                v->hides = !preview && (off > 0 || i > 0);
                return v;
            }
            if (e[i].published != ART_TIME_DRAFT) {
                v->next = e[i].published;
            }
        }
        off += m;
    }
    v->hides = !preview && off > 0;
    return v;
}

const art_article_t *art_snapshot_article(const art_snapshot_t *s,
                                          const char *lang, const char *id)
{
    const art_article_t *a = raw_article(s, lang, id);

    return a && art_snapshot_visible(s, a) ? a : NULL;
}

const art_list_t *art_snapshot_list(const art_snapshot_t *s, art_list_e kind,
                                    const char *lang, const char *key)
{
    return view_of(s, raw_list(s, kind, lang, key));
}

const art_article_t *art_snapshot_doc(const art_snapshot_t *s, int doc)
{
    const art_article_t *a = raw_doc(s, doc);

    return a && art_snapshot_visible(s, a) ? a : NULL;
}

const art_list_t *art_article_translations(const art_snapshot_t *s,
                                           const art_article_t *a)
{
    if (a->translation == NULL) {
        return NULL;
    }
    if (s->ops) {
        return view_of(s, s->ops->list(s, ART_LIST_TRANSLATION, NULL,
                                       a->translation));
    }
    return view_of(s, a->translations);
}

int art_article_pinned(const art_snapshot_t *s, const art_article_t *a,
                       const art_article_t **out)
{
    int i, n, kept = 0;

    if (s->ops) {
        n = s->ops->pinned(s, a, out);
    }
    else {
        for (i = 0; i < a->npinned; i++) {
            out[i] = a->pinned[i];
        }
        n = a->npinned;
    }
    for (i = 0; i < n; i++) {
        if (art_snapshot_visible(s, out[i])) {
            out[kept++] = out[i];
        }
    }
    return kept;
}

/* How many articles of lang (all languages when NULL) view s hides. */
static int hidden_in(const art_snapshot_t *s, const char *lang)
{
    const art_list_t *raw, *l;

    if (!s->hides) {
        return 0;
    }
    raw = lang ? raw_list(s, ART_LIST_LANG, lang, NULL)
               : raw_list(s, ART_LIST_ALL, NULL, NULL);
    l = view_of(s, raw);
    return raw == NULL ? 0 : raw->n - (l ? l->n : 0);
}

static int raw_search(const art_snapshot_t *s, const char *lang,
                      const char *q, size_t qlen, int limit, int offset,
                      art_index_hit_t *hits, int *total);
static int memo_search(const art_snapshot_t *s, const char *lang,
                       const char *q, size_t qlen, int limit, int offset,
                       art_index_hit_t *hits, int *total);

/* Hits of a query (search, or similar when q is NULL) without the articles
 * the view hides: asked for as many more as there are hidden ones and
 * filtered, so a page of results stays full.  The total is exact when
 * every hit fits; otherwise a hidden article ranked past those read may
 * still be counted (a few seconds' discrepancy in a count, never a link).
 * A search's unfiltered hits come from the memo like any other: they are
 * the same for every view, and the filtering here is per request. */
static int visible_hits(const art_snapshot_t *s, const char *lang,
                        const char *q, size_t qlen, const art_article_t *like,
                        int max_df, int limit, int offset,
                        art_index_hit_t *hits, int *total, float *self)
{
    int hidden = hidden_in(s, lang), want, m, i, pos = 0, kept = 0, dropped = 0;
    int t = 0;
    art_index_hit_t *all;

    want = offset + limit + hidden;
    all = apr_palloc(s->view_pool, sizeof(*all) * (apr_size_t)(want + 1));
    if (q) {
        m = memo_search(s, lang, q, qlen, want, 0, all, &t);
    }
    else if (s->ops) {
        m = s->ops->similar(s, like, want, max_df, all, self);
    }
    else {
        m = art_index_similar_df(s->text, like->doc, want, max_df, all, self);
    }
    for (i = 0; i < m; i++) {
        const art_article_t *a = raw_doc(s, all[i].doc);

        if (a && !art_snapshot_visible(s, a)) {
            dropped++;
            continue;
        }
        if (pos++ >= offset && kept < limit) {
            hits[kept++] = all[i];
        }
    }
    if (total) {
        *total = t - dropped;
    }
    return kept;
}

/* A search's answer as the memo keeps it: the key (limit, offset, then
 * language, NUL, query), the total and the hits, in one allocation. */
typedef struct {
    int limit, offset, n, total;
    apr_size_t klen;
    art_index_hit_t *hits;
    char *key;
} search_kept_t;

#define SEARCH_LANG_MAX 62

/* The raw answer depends on the version, language, query, limit and offset
 * alone, never on the view: what a view hides is taken out of it afterwards
 * (visible_hits), so the memo holds only unfiltered hits and every view of
 * the repository may share them.  A search page that is asked for again, by
 * another client or on reload, costs a lookup rather than a walk of every
 * query word's postings.  The query is keyed as sent, not as the index
 * folds it: "Kabul" and "kabul" are two entries with the same hits.
 * Queries too long to be worth a key are not kept. */
static int memo_search(const art_snapshot_t *s, const char *lang,
                       const char *q, size_t qlen, int limit, int offset,
                       art_index_hit_t *hits, int *total)
{
    apr_size_t llen = strlen(lang), klen = llen + 1 + qlen;
    apr_uint32_t h;
    search_kept_t *k;
    int n, t = 0;

    if (s->search_memo == NULL || llen > SEARCH_LANG_MAX
        || qlen > ART_INDEX_QUERY_MAX || limit < 0) {
        return raw_search(s, lang, q, qlen, limit, offset, hits, total);
    }
    h = art_fnv32(q, qlen, art_fnv32(lang, llen, ART_FNV32_INIT));
    h = (h ^ (apr_uint32_t)limit) * 16777619u;
    h = (h ^ (apr_uint32_t)offset) * 16777619u;
    k = art_memo_get(s->search_memo, s->serial, h);
    if (k && k->limit == limit && k->offset == offset && k->klen == klen
        && memcmp(k->key, lang, llen + 1) == 0
        && memcmp(k->key + llen + 1, q, qlen) == 0) {
        n = k->n;
        if (n) {
            memcpy(hits, k->hits, sizeof(*hits) * (apr_size_t)n);
        }
        if (total) {
            *total = k->total;
        }
        art_memo_unlock(s->search_memo);
        return n;
    }
    art_memo_unlock(s->search_memo);
    n = raw_search(s, lang, q, qlen, limit, offset, hits, &t);
    if (total) {
        *total = t;
    }
    k = malloc(sizeof(*k) + sizeof(*hits) * (apr_size_t)n + klen);
    if (k) {
        k->limit = limit;
        k->offset = offset;
        k->n = n;
        k->total = t;
        k->klen = klen;
        k->hits = (art_index_hit_t *)(k + 1);
        k->key = (char *)(k->hits + n);
        if (n) {
            memcpy(k->hits, hits, sizeof(*hits) * (apr_size_t)n);
        }
        memcpy(k->key, lang, llen + 1);
        if (qlen) {
            memcpy(k->key + llen + 1, q, qlen);
        }
        art_memo_put(s->search_memo, s->serial, h, k,
                     sizeof(*k) + sizeof(*hits) * (apr_size_t)n + klen);
    }
    return n;
}

int art_snapshot_search(const art_snapshot_t *s, const char *lang,
                        const char *q, size_t qlen, int limit, int offset,
                        art_index_hit_t *hits, int *total)
{
    if (s->now && !s->preview && hidden_in(s, lang) > 0) {
        return visible_hits(s, lang, q, qlen, NULL, 0, limit, offset, hits,
                            total, NULL);
    }
    return memo_search(s, lang, q, qlen, limit, offset, hits, total);
}

static int raw_search(const art_snapshot_t *s, const char *lang,
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
    if (s->now && !s->preview && (s->ops || s->text)
        && hidden_in(s, a->lang->code) > 0) {
        return visible_hits(s, a->lang->code, NULL, 0, a, max_df, limit, 0,
                            hits, NULL, self);
    }
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
