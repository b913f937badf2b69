/* art_store.h: the repository store, one LMDB environment shared by every
 * process that serves a repository.
 *
 * The XML repository stays the source of truth; the store holds what is
 * derived from it (articles, authors, collections, the site, every list and
 * translation group, the text index's postings) so that processes read one
 * memory-mapped file instead of each parsing and holding its own copy.  The
 * store may be deleted at any time: the next update rebuilds it.
 *
 * Writing: art_store_update brings the store up to date with the repository.
 * One process at a time does it (a non-blocking flock on DIR/update.lock
 * elects it; the others return at once with busy set).  It records per article
 * file the size, modification time and content hash it was built from, parses
 * only files added or changed, drops removed ones and patches lists, groups,
 * postings and language statistics for those articles only, all in one write
 * transaction: an edit is a small commit, a crash mid-update leaves the
 * previous version (LMDB's commit is atomic).  A change to site.xml,
 * authors.xml or a collection.xml rebuilds everything in one transaction,
 * because every article depends on them; a site.xml or authors.xml that does
 * not load keeps the whole previous version.  A file that becomes invalid
 * keeps its last good article.
 *
 * Reading: art_store_begin gives a read transaction (one per request: it sees
 * one version from start to end); article fields, list entries and postings
 * are read in place from the map and stay valid until art_store_end.  The
 * small global tables (site, authors, collections) are decoded once per
 * version of them per process and shared by the transactions that see it.
 *
 * An environment must not cross fork(): open the store in each process (the
 * httpd parent updates it in post_config and closes it before children
 * exist).  No httpd header: the tools and unit tests use it as it is.
 */
#ifndef ART_STORE_H
#define ART_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "art_index.h"
#include "art_repo.h"
#include "art_snapshot.h"

/* Bumped whenever what the store holds or how it is laid out changes: a
 * store of another format is rebuilt. */
#define ART_STORE_FORMAT 3

/* Log tag of store problems (never renumbered). */
#define ART_E_STORE "ART0120"

/* Address space reserved for the map; the file only grows as needed. */
#if APR_SIZEOF_VOIDP >= 8
#define ART_STORE_DEFAULT_MAP ((apr_size_t)16 << 30)
#else
#define ART_STORE_DEFAULT_MAP ((apr_size_t)512 << 20)
#endif

typedef struct art_store_t art_store_t;
typedef struct art_store_txn_t art_store_txn_t;

typedef struct art_store_opts_t {
    apr_size_t map_size;         /* 0: ART_STORE_DEFAULT_MAP */
    art_repo_log_fn *log;        /* store problems (tag ART_E_STORE) */
    void *baton;
} art_store_opts_t;

/* Open (creating the folder and files when missing) the store in dir.  A
 * file LMDB does not recognise, or a store of another format or byte order,
 * is logged once and replaced by an empty store (the next update fills it).
 * Fails with *err (in p) when the folder cannot be created or written. */
apr_status_t art_store_open(apr_pool_t *p, const char *dir,
                            const art_store_opts_t *opts, art_store_t **out,
                            char **err);

/* Close the environment; every transaction must have ended. */
void art_store_close(art_store_t *st);

/* The store's folder. */
const char *art_store_dir(const art_store_t *st);

typedef struct art_store_result_t {
    int busy;            /* another process is updating: nothing done */
    int committed;       /* a new version was written */
    int full;            /* ... by a rebuild from nothing */
    int parsed;          /* article files parsed */
    int removed;         /* articles dropped with their files */
    int kept;            /* changed files that failed: last good kept */
    int articles;        /* articles in the store afterwards */
    apr_interval_time_t elapsed;
} art_store_result_t;

#define ART_STORE_WAIT  1   /* wait for another updating process */
#define ART_STORE_QUIET 2   /* leave the files' problems to art_store_problems */

/* Bring the store up to date with the repository at root (see above).  With
 * ART_STORE_WAIT it waits for another updating process instead of returning
 * busy.  The problems with the files it parses go to ro->log as
 * art_repo_load gives them (unless ART_STORE_QUIET), and are kept with each
 * file.  Returns APR_SUCCESS when the store is current (or busy); otherwise
 * the store keeps its previous version and *err (in p) says why. */
apr_status_t art_store_update(art_store_t *st, apr_pool_t *p, const char *root,
                              const art_repo_opts_t *ro, int flags,
                              art_store_result_t *res, char **err);

/* Give log every problem of the files the current version was built from,
 * as the loader reported them (one line per skipped file, and per file
 * served at its last good version, and the warnings of the last full
 * build): what a start on a current store reports without parsing
 * anything.  Returns how many files have a problem (warnings aside). */
int art_store_problems(art_store_t *st, apr_pool_t *p, art_repo_log_fn *log,
                       void *baton);

/* ---------------------------------------------------------------- reading */

/* The global tables of one version, decoded into their own pool. */
typedef struct art_store_tables_t {
    art_site_t *site;
    apr_array_header_t *authors;      /* art_author_t *, document order */
    apr_hash_t *author_by_id;
    apr_array_header_t *collections;  /* art_collection_t *, by id */
    apr_hash_t *collection_by_id;
} art_store_tables_t;

/* Begin a read transaction on the newest version.  Cheap: transactions are
 * reset and renewed, not recreated. */
apr_status_t art_store_begin(art_store_t *st, art_store_txn_t **out,
                             char **err);

/* End it: nothing read through it may be used afterwards. */
void art_store_end(art_store_txn_t *t);

/* The version's site, authors and collections. */
const art_store_tables_t *art_store_tables(const art_store_txn_t *t);

/* A number that changes with every committed version, and the newest
 * modification time of the files it was built from. */
apr_uint64_t art_store_version(const art_store_txn_t *t);
apr_time_t art_store_mtime(const art_store_txn_t *t);

/* Articles in the version. */
int art_store_count(const art_store_txn_t *t);

/* The document id of the article lang/id, or -1. */
long art_store_find(art_store_txn_t *t, const char *lang, const char *id);

/* A view of article doc in *a: strings point into the map (valid until the
 * transaction ends); the small arrays (authors, tags, notes, pinned ids) are
 * made in p; translations and pinned are left NULL, doc is set.  Returns 0
 * when there is no such article. */
int art_store_article(art_store_txn_t *t, long doc, apr_pool_t *p,
                      art_article_t *a);

/* Up to n entries (document id, published time) of a list from position
 * offset on into out[]; returns how many, and the list's length in *total
 * (may be NULL).  The list is read in place, a page of entries at a time. */
int art_store_list(art_store_txn_t *t, art_list_e kind, const char *lang,
                   const char *key, int offset, int n, art_list_entry_t *out,
                   int *total);

/* BM25 search of the documents in lang, as art_index_search does over an
 * in-memory index (same tokenizer, weights and ranking; hits' doc fields are
 * store document ids). */
int art_store_search(art_store_txn_t *t, const char *lang, const char *query,
                     size_t qlen, int limit, int offset, art_index_hit_t *hits,
                     int *total);

/* As art_index_similar_df: documents of doc's language most like doc, asked
 * with those of its top terms in at most max_df documents; *self (may be
 * NULL) receives doc's own weight for them. */
int art_store_similar(art_store_txn_t *t, long doc, int limit, int max_df,
                      art_index_hit_t *hits, float *self);

/* The version t reads as a snapshot for the request code (art_snapshot.h):
 * the site, authors and collections of the version, and lookups, lists,
 * search and related articles read from the map as they are asked for.
 * Articles are decoded into p once per request each (the same article is
 * the same pointer); valid until art_store_end(t). */
art_snapshot_t *art_store_snapshot(art_store_txn_t *t, apr_pool_t *p);

#endif /* ART_STORE_H */
