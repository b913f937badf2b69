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
} art_site_t;

typedef struct art_article_t art_article_t;

/* Articles of one list, newest first. */
typedef struct art_list_t {
    art_article_t **items;
    int n;
} art_list_t;

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
    const char *updated;         /* may be NULL */
    apr_time_t published_t;
    apr_time_t updated_t;        /* 0 when absent */
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
    int doc;                     /* position in the snapshot's list of all
                                    articles: the document id in `text` */
    const char **pinned_ids;     /* <related ref>, document order */
    const art_article_t **pinned;/* those found in the language, in order;
                                    NULL while loading */
    int npinned_ids, npinned;
};

struct art_index_t;

typedef struct art_snapshot_t {
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
} art_snapshot_t;

/* Lookups; NULL when absent. */
const art_article_t *art_snapshot_article(const art_snapshot_t *s,
                                          const char *lang, const char *id);
const art_list_t *art_snapshot_list(apr_hash_t *index, const char *lang,
                                    const char *key);
const art_lang_t *art_snapshot_lang(const art_snapshot_t *s, const char *code);

/* The plain text of a's body in p, its length in *len (may be NULL): one
 * pass over the HTML, for search snippets and the text index. */
const char *art_article_plain(apr_pool_t *p, const art_article_t *a,
                              apr_size_t *len);

#endif
