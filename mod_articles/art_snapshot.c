/* art_snapshot.c: lookups into a snapshot, language fallback, tag folding, hashing.
 *
 * Everything here reads an immutable snapshot, so it is safe from any thread.
 * A snapshot backed by the store (art_store.c) is one request's view: its
 * lookups go through its ops, which read the store's map in place.
 */
#include <string.h>

#include <apr_strings.h>

#include "art_index.h"
#include "art_snapshot.h"
#include "art_text.h"

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

const char *art_site_string(const art_site_t *site, const char *lang,
                            const char *key)
{
    apr_hash_t *h;
    const char *v = NULL;

    if (lang && (h = apr_hash_get(site->strings, lang, APR_HASH_KEY_STRING))) {
        v = apr_hash_get(h, key, APR_HASH_KEY_STRING);
    }
    if (v == NULL
        && (h = apr_hash_get(site->strings, site->default_lang,
                             APR_HASH_KEY_STRING))) {
        v = apr_hash_get(h, key, APR_HASH_KEY_STRING);
    }
    return v;
}

/* ---------------------------------------------------------------- plain text */

/* Elements that sit inside a line of text: removing them must not join or
 * split words ("<em>Kabul</em>'s" stays one word).  Any other tag ends a
 * block, which a space stands for, so "end.</p><p>Next" is two words. */
static int inline_tag(const char *name, apr_size_t len)
{
    static const char *const names[] = { "a", "em", "strong", "code", NULL };
    int i;

    for (i = 0; names[i]; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Only the loader's own HTML comes here: text never holds a raw '<' and an
 * attribute never a raw '>', so a tag ends at the first '>'.  Every tag is at
 * least three bytes and writes at most one, so out never outgrows len + 1. */
apr_size_t art_html_text(const char *html, apr_size_t len, char *out)
{
    static const struct {
        const char *ent;
        apr_size_t n;
        char c;
    } ents[] = {
        { "&amp;", 5, '&' }, { "&lt;", 4, '<' }, { "&gt;", 4, '>' },
        { "&quot;", 6, '"' }, { "&#39;", 5, '\'' }
    };
    const char *s = html, *end = html + len;
    char *o = out;

    while (s < end) {
        if (*s == '<') {
            const char *gt = memchr(s, '>', (apr_size_t)(end - s));
            const char *name = s + 1 + (s + 1 < end && s[1] == '/');
            apr_size_t n = 0;

            while (name + n < end && name[n] >= 'a' && name[n] <= 'z') {
                n++;
            }
            if (!inline_tag(name, n) && o > out && o[-1] != ' ') {
                *o++ = ' ';
            }
            s = gt ? gt + 1 : end;
        }
        else if (*s == '&') {
            apr_size_t i;

            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
                if ((apr_size_t)(end - s) >= ents[i].n
                    && memcmp(s, ents[i].ent, ents[i].n) == 0) {
                    break;
                }
            }
            if (i < sizeof(ents) / sizeof(ents[0])) {
                *o++ = ents[i].c;
                s += ents[i].n;
            }
            else {
                *o++ = *s++;
            }
        }
        else if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') {
            /* Layout of the source, not text: runs become one space. */
            if (o > out && o[-1] != ' ') {
                *o++ = ' ';
            }
            s++;
        }
        else {
            *o++ = *s++;
        }
    }
    while (o > out && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    return (apr_size_t)(o - out);
}

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

/* ---------------------------------------------------------------- tag keys */

/* Decode one UTF-8 sequence; invalid bytes come back as themselves (len 1) so
 * folding never loses input. */
static unsigned utf8_next(const unsigned char *s, apr_size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    }
    if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    }
    *len = 1;
    return 0xFFFFFFFFu;
}

const char *art_tag_fold(apr_pool_t *p, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    apr_size_t n = strlen(name);
    char *out = apr_palloc(p, n * 2 + 1);
    apr_size_t o = 0, len;
    int pending_sep = 0;

    while (*s) {
        unsigned c = utf8_next(s, &len);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0) {
            pending_sep = o > 0;
            s += len;
            continue;
        }
        if (pending_sep) {
            out[o++] = '-';
            pending_sep = 0;
        }
        if (c == 0xFFFFFFFFu) {
            out[o++] = (char)*s;
        }
        else {
            o += art_text_utf8_put(out + o, art_text_fold_case(c));
        }
        s += len;
    }
    out[o] = '\0';
    return out;
}

const char *art_url_segment(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
            || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'
            || *c == '~') {
            *o++ = (char)*c;
        }
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* ---------------------------------------------------------------- hashing */

/* Multiply-xorshift over 8-byte words: about a byte per cycle, good dispersion,
 * and the same value on every machine (words are read little-endian). */
#define HASH_K1 0x9E3779B97F4A7C15ULL
#define HASH_K2 0xC2B2AE3D27D4EB4FULL

static apr_uint64_t load64le(const unsigned char *p)
{
    return (apr_uint64_t)p[0] | ((apr_uint64_t)p[1] << 8)
        | ((apr_uint64_t)p[2] << 16) | ((apr_uint64_t)p[3] << 24)
        | ((apr_uint64_t)p[4] << 32) | ((apr_uint64_t)p[5] << 40)
        | ((apr_uint64_t)p[6] << 48) | ((apr_uint64_t)p[7] << 56);
}

static apr_uint64_t mix64(apr_uint64_t h)
{
    h ^= h >> 33;
    h *= HASH_K2;
    h ^= h >> 29;
    return h;
}

apr_uint64_t art_hash64(const void *data, apr_size_t len, apr_uint64_t seed)
{
    const unsigned char *p = data;
    apr_uint64_t a = seed ^ HASH_K1, b = seed + len;
    apr_uint64_t tail = 0;
    apr_size_t i;

    while (len >= 16) {
        a = (a ^ load64le(p)) * HASH_K1;
        b = (b ^ load64le(p + 8)) * HASH_K2;
        a ^= a >> 31;
        b ^= b >> 27;
        p += 16;
        len -= 16;
    }
    if (len >= 8) {
        a = (a ^ load64le(p)) * HASH_K1;
        a ^= a >> 31;
        p += 8;
        len -= 8;
    }
    for (i = 0; i < len; i++) {
        tail |= (apr_uint64_t)p[i] << (8 * i);
    }
    b = (b ^ tail) * HASH_K2;
    return mix64(a ^ mix64(b));
}
