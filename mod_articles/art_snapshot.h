/* art_snapshot.h: the immutable, in-memory form of an article repository.
 *
 * A snapshot is everything the request path needs, built once by the loader
 * (art_repo.c) from the XML files and never changed afterwards: every thread of a
 * process reads it without locks.  It owns one pool; destroying the pool frees it
 * all.  Strings are NUL-terminated UTF-8; article bodies are already sanitised HTML.
 *
 * Lists hold articles newest first (published time descending, then language, then
 * id), so every list page is a slice of an array.
 */
#ifndef ART_SNAPSHOT_H
#define ART_SNAPSHOT_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "art_ltext.h"

#define ART_ID_MAX 128

typedef struct art_lang_t {
    const char *code;       /* "fa" */
    const char *dir;        /* "ltr" or "rtl" */
    const char *name;       /* "دری" */
    int index;              /* position in site.xml, 0-based */
} art_lang_t;

typedef struct art_motto_t {
    const char *lang;
    apr_array_header_t *lines;   /* const char * */
} art_motto_t;

typedef struct art_site_t {
    const char *default_lang;
    apr_array_header_t *titles;  /* art_ltext_t, document order */
    const char *tagline;         /* may be NULL */
    apr_array_header_t *mottos;  /* art_motto_t */
    const char *url;             /* without trailing slash */
    const char *email;           /* may be NULL */
    const char *logo;            /* <logo> URL as written; may be NULL */
    apr_array_header_t *langs;   /* art_lang_t, document order */
    apr_hash_t *strings;         /* lang -> (apr_hash_t key -> const char *) */
    const char *timezone;        /* <timezone>, NULL: UTC */
    const struct art_tz_t *tz;   /* the loader's (art_time.h); NULL in a
                                    store-backed snapshot */
} art_site_t;

typedef struct art_article_t art_article_t;
typedef struct art_snapshot_t art_snapshot_t;

/* The lists of a snapshot. */
typedef enum {
    ART_LIST_ALL,            /* every article; lang and key NULL */
    ART_LIST_LANG,           /* one language's; key NULL */
    ART_LIST_COLLECTION,     /* key: collection id */
    ART_LIST_AUTHOR,         /* key: author id */
    ART_LIST_TAG,            /* key: folded tag key */
    ART_LIST_TRANSLATION     /* a translation group; lang NULL, key: its key */
} art_list_e;

/* Articles of one list, newest first.  A list of an in-memory snapshot (or
 * made by a request, as search results are) has its items; a list of a
 * store-backed snapshot has none and is read with art_list_slice and
 * art_list_entries, which work on both. */
typedef struct art_list_t {
    art_article_t **items;       /* NULL for a list in the store */
    int n;
    const art_snapshot_t *s;     /* store lists: where they are read */
    art_list_e kind;
    const char *lang, *key;
    int skip;                    /* a view's list: entries hidden before
                                    position 0 (see art_snapshot_view) */
} art_list_t;

/* One place of a list without the article: its document id and time. */
typedef struct art_list_entry_t {
    int doc;
    apr_time_t published;
} art_list_entry_t;

/* A link of an author (a personal site, a profile). */
typedef struct art_link_t {
    const char *href;
    const char *text;
    const char *lang;            /* may be NULL */
} art_link_t;

typedef struct art_author_t {
    const char *id;
    apr_array_header_t *names;   /* art_ltext_t; lang NULL = any language */
    apr_array_header_t *bios;    /* art_ltext_t; text is sanitised HTML */
    const char *photo_src;       /* may be NULL */
    const char *photo_alt;
    apr_array_header_t *links;   /* art_link_t */
} art_author_t;

typedef struct art_collection_t {
    const char *id;
    apr_array_header_t *titles;  /* art_ltext_t */
} art_collection_t;

/* A correction note: when, and what was corrected. */
typedef struct art_correction_t {
    const char *date;            /* ISO text as written */
    apr_time_t date_t;
    const char *text;
} art_correction_t;

/* What list entries of a draft carry as their time: no moment makes a
 * draft public, and it sorts first (see art_article_when). */
#define ART_TIME_DRAFT APR_INT64_MAX

typedef struct art_tag_t {
    const char *name;            /* as first written */
    const char *key;             /* case-folded, used in URLs and indexes */
} art_tag_t;

struct art_article_t {
    const char *id;
    const art_lang_t *lang;
    const char *title;
    const char *summary;         /* may be NULL */
    const char *published;       /* ISO text as written */
    const char *updated;         /* may be NULL; the newest of the updated
                                    attribute and the corrections' dates */
    apr_time_t published_t;
    apr_time_t updated_t;        /* 0 when absent */
    int draft;                   /* status="draft": never public */
    const art_correction_t *corrections;  /* document order */
    int ncorrections;
    const art_author_t **authors;
    int nauthors;
    art_tag_t *tags;
    int ntags;
    const art_collection_t *collection;
    const char *translation;     /* may be NULL */
    const char *body;            /* sanitised HTML */
    apr_size_t body_len;
    const char **notes;
    int nnotes;
    const char *signature;       /* may be NULL */
    const char *signature_date;  /* may be NULL */
    const char *file;            /* path relative to the repository */
    apr_time_t mtime;            /* the file's modification time */
    const char *path;            /* "/en/collection/id", below the mount point */
    const art_list_t *translations; /* the whole group, self included; may be NULL */
    int doc;                     /* document id: the position in the list
                                    of all articles in memory (the id in
                                    `text`), the store's id otherwise */
    const char **pinned_ids;     /* <related ref>, document order */
    const art_article_t **pinned;/* those found in the language, in order;
                                    NULL while loading */
    int npinned_ids, npinned;
};

struct art_index_t;
struct art_index_hit_t;

/* What a snapshot backed by the store (art_store.c) does instead of reading
 * the in-memory fields below; NULL for a loaded snapshot. */
typedef struct art_snapshot_ops_t {
    const art_article_t *(*article)(const art_snapshot_t *s, const char *lang,
                                    const char *id);
    const art_article_t *(*doc)(const art_snapshot_t *s, int doc);
    const char *(*doc_id)(const art_snapshot_t *s, int doc,
                          apr_time_t *published);  /* list time */
    const art_list_t *(*list)(const art_snapshot_t *s, art_list_e kind,
                              const char *lang, const char *key);
    int (*entries)(const art_list_t *l, int offset, int n,
                   art_list_entry_t *out);
    int (*search)(const art_snapshot_t *s, const char *lang, const char *q,
                  size_t qlen, int limit, int offset,
                  struct art_index_hit_t *hits, int *total);
    int (*similar)(const art_snapshot_t *s, const art_article_t *a, int limit,
                   int max_df, struct art_index_hit_t *hits, float *self);
    int (*pinned)(const art_snapshot_t *s, const art_article_t *a,
                  const art_article_t **out);
} art_snapshot_ops_t;

struct art_snapshot_t {
    apr_pool_t *pool;
    const char *root;            /* repository folder */
    art_site_t *site;
    apr_array_header_t *authors;     /* art_author_t *, document order */
    apr_hash_t *author_by_id;
    apr_array_header_t *collections; /* art_collection_t *, sorted by id */
    apr_hash_t *collection_by_id;
    apr_hash_t *article_by_key;      /* "lang/id" -> art_article_t * */
    art_list_t all;                  /* every article */
    apr_hash_t *by_lang;             /* lang -> art_list_t * */
    apr_hash_t *by_collection;       /* "lang/collection" -> art_list_t * */
    apr_hash_t *by_author;           /* "lang/author" -> art_list_t * */
    apr_hash_t *by_tag;              /* "lang/tag-key" -> art_list_t * */
    apr_hash_t *by_translation;      /* key -> art_list_t * (all languages) */
    struct art_index_t *text;        /* full-text index of titles, bodies, tags */
    apr_time_t mtime;                /* newest file seen */
    apr_uint64_t digest;             /* hash of every file's content, path order */
    apr_uint64_t fingerprint;        /* art_repo_fingerprint before loading */
    int nerrors;                     /* files skipped */
    apr_size_t xml_bytes;            /* bytes of XML read */
    const art_snapshot_ops_t *ops;   /* store-backed: see above */
    void *ops_data;
    int count;                       /* store-backed: articles */
    /* A request's view (art_snapshot_view); all 0 in a snapshot as loaded,
     * which shows every article (the tools, the loader). */
    apr_time_t now;                  /* what is public at this instant */
    int preview;                     /* drafts and scheduled articles too */
    apr_pool_t *view_pool;           /* where the view's lists are made */
    apr_time_t since;                /* the newest public article's time:
                                        changes whenever one goes live */
    apr_time_t next;                 /* the next scheduled moment, 0: none */
    int hides;                       /* the view hides some article (a
                                        draft, a scheduled one): when 0,
                                        its lists are the raw lists */
    /* Per-process memos (art_memo.h) of related lists (art_related.h),
     * of documents' words for snippets (art_snippet.h) and of search hits
     * (art_snapshot_search), shared by every request of the repository,
     * and the number of the version this snapshot is (rising with every
     * version); NULL: nothing memoised. */
    struct art_memo_t *related_memo;
    struct art_memo_t *snippet_memo;
    struct art_memo_t *search_memo;
    apr_uint64_t serial;
};

/* The time a's list entries carry and lists are ordered by: its published
 * time, ART_TIME_DRAFT for a draft. */
apr_time_t art_article_when(const art_article_t *a);

/* The view of s one request reads, made in p: what is public at now, or
 * with preview everything, drafts and scheduled articles included.  This is
 * the one place visibility is decided: every lookup, list, search and
 * related list below reads through it, so an article not yet public is
 * absent everywhere (lists hold the hidden articles first, since they sort
 * newest, so a list of the view is the raw list less a prefix).  Sets the
 * view's since and next. */
art_snapshot_t *art_snapshot_view(apr_pool_t *p, const art_snapshot_t *s,
                                  apr_time_t now, int preview);

/* Whether a is shown by view s. */
int art_snapshot_visible(const art_snapshot_t *s, const art_article_t *a);

/* Lookups; NULL when absent (an empty list is absent too). */
const art_article_t *art_snapshot_article(const art_snapshot_t *s,
                                          const char *lang, const char *id);
const art_list_t *art_snapshot_list(const art_snapshot_t *s, art_list_e kind,
                                    const char *lang, const char *key);
const art_lang_t *art_snapshot_lang(const art_snapshot_t *s, const char *code);

/* The article of document id doc (a search hit's), NULL when none. */
const art_article_t *art_snapshot_doc(const art_snapshot_t *s, int doc);

/* The id (and published time, if published is not NULL: ART_TIME_DRAFT
 * for a draft, as in lists) of document doc without reading the rest of
 * it; NULL when there is none or the view hides it. */
const char *art_snapshot_doc_id(const art_snapshot_t *s, int doc,
                                apr_time_t *published);

/* Articles in the snapshot. */
int art_snapshot_count(const art_snapshot_t *s);

/* Up to n articles of l from position offset on into out; returns how many. */
int art_list_slice(const art_list_t *l, int offset, int n,
                   const art_article_t **out);

/* The same places as document ids and times, without reading articles. */
int art_list_entries(const art_list_t *l, int offset, int n,
                     art_list_entry_t *out);

/* a's translation group (self included), NULL when it has none. */
const art_list_t *art_article_translations(const art_snapshot_t *s,
                                           const art_article_t *a);

/* a's <related ref> articles found in its language, in document order, into
 * out (room for a->npinned_ids); returns how many. */
int art_article_pinned(const art_snapshot_t *s, const art_article_t *a,
                       const art_article_t **out);

/* BM25 search and "more like this" over the snapshot's text (art_index.h
 * says what they do); hits' doc fields are for art_snapshot_doc.  A
 * search's hits before the view hides any are kept in s->search_memo, when
 * there is one, and answered from it while the version lasts; the view's
 * hidden articles are filtered out per request. */
int art_snapshot_search(const art_snapshot_t *s, const char *lang,
                        const char *q, size_t qlen, int limit, int offset,
                        struct art_index_hit_t *hits, int *total);
int art_snapshot_similar(const art_snapshot_t *s, const art_article_t *a,
                         int limit, int max_df, struct art_index_hit_t *hits,
                         float *self);

/* The plain text of a's body in p, its length in *len (may be NULL): one
 * pass over the HTML, for search snippets and the text index. */
const char *art_article_plain(apr_pool_t *p, const art_article_t *a,
                              apr_size_t *len);

#endif
