/* art_store.c: the LMDB repository store (see art_store.h).
 *
 * Named databases of one environment:
 *
 *   meta   format, repository path, fingerprint of the files every article
 *          depends on (and the problems with those that are not articles),
 *          the encoded global tables and their generation, the
 *          version counter, newest time, article count, next document id,
 *          and per language "n\0<lang>" the documents and summed lengths
 *          BM25 needs for its average
 *   files  article file (relative path) -> size, mtime, content hash, the
 *          document id built from it (NO_DOC when it never gave one) and the
 *          problem the loader had with it, if any, so a process starting on
 *          a current store can report every skipped file without parsing
 *   docs   document id (4 bytes big-endian, so ids sort) -> article record
 *   keys   "lang/id" -> document id
 *   lists  list key -> one 12-byte value per article: the inverted published
 *          time and the id, both big-endian, so values sort newest first
 *          (MDB_DUPSORT | MDB_DUPFIXED: a page of them reads as one array)
 *   terms  "lang\0term" -> one 10-byte posting per document: id, weighted
 *          frequency, document length (MDB_DUPSORT | MDB_DUPFIXED)
 *
 * An article record is a fixed header (rec_head_t, host byte order; the
 * format value records the byte order so a store copied to another kind of
 * machine is rebuilt) followed by NUL-terminated strings the header points
 * at by offset, so a view's strings point straight into the map.  Headers
 * and integers are read with memcpy: LMDB promises no alignment.
 *
 * Single-valued keys longer than LMDB's limit (511 bytes) are replaced by a
 * '#' and a hash of them: long tag keys and deep file paths are rare and
 * the hash makes them fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include <lmdb.h>

#include "art_buf.h"
#include "art_hash.h"
#include "art_html.h"
#include "art_mutex.h"
#include "art_store.h"
#include "art_text.h"

#define NO_DOC 0xFFFFFFFFu
#define KEY_MAX 480
#define LIST_VAL 12
#define POST_VAL 10
#define BM25_K1 1.2f
#define BM25_B  0.75f
#define TF_MAX 65535u
#define BYTE_ORDER_MARK 0x01020304u
#define MAX_READERS 2048

struct art_store_t {
    apr_pool_t *pool;
    const char *dir;
    art_store_opts_t opts;
    MDB_env *env;
    MDB_dbi meta, files, docs, keys, lists, terms;
    art_mutex_t *mu;             /* free list, tables cache and gen_t
                                    references */
    art_store_txn_t *free;       /* reset read transactions */
    struct tables_ref_t *tables; /* the newest decoded */
    struct gen_t *gen;           /* the newest snapshot read */
};

typedef struct tables_ref_t {
    art_store_tables_t t;
    apr_pool_t *pool;
    apr_uint64_t gen;
    int refs;                    /* transactions using it, +1 while newest */
} tables_ref_t;

/* What one snapshot of the map (one LMDB transaction id) derives in this
 * process, kept while transactions read it: the meta values every request
 * asks for, and bounded memos of decoded article views and of list heads.
 *
 * Why it is safe to keep pointers into the map here: a read transaction
 * pins every page of its snapshot, and an entry of gen_t is only ever used
 * by transactions of that same snapshot (same id), so what it points at
 * cannot be reused under it.  Slots are filled once and never replaced
 * while the gen_t lives (an atomic compare-and-swap from NULL), so readers
 * take no lock and an article is the same pointer for every request of the
 * snapshot; a set of slots other documents hold, or a full memo, leaves
 * the request to decode into its own pool as before.  The text stays in the
 * shared map: an entry is an article's header and its small arrays of
 * pointers (a few hundred bytes), or a list's first GEN_LIST_HEAD entries,
 * and all of them together stay under GEN_BYTES per process.  The gen_t is
 * freed with the last transaction of its snapshot once a newer one is read.
 */
#define GEN_DOCS 8192            /* article slots, by document id */
#define GEN_LISTS 1024           /* list slots, by key hash */
#define GEN_LIST_HEAD 32         /* entries kept of a list's head */
#define GEN_KEYS 4096            /* "lang/id" slots, by key hash */
#define GEN_BYTES ((apr_size_t)4 << 20)

typedef struct gen_list_t {
    int total, n;
    size_t klen;
    art_list_entry_t e[GEN_LIST_HEAD];
    char key[1];                 /* klen bytes (allocated to fit) */
} gen_list_t;

typedef struct gen_key_t {
    long doc;
    size_t klen;
    char key[1];                 /* klen bytes (allocated to fit) */
} gen_key_t;

typedef struct gen_t {
    apr_uint64_t txnid;
    int refs;                    /* transactions using it, +1 while newest */
    tables_ref_t *tables;        /* one reference */
    apr_uint64_t version;
    apr_time_t mtime;
    int count;
    char *root;                  /* NULL when the store has none */
    art_article_t **docs;        /* GEN_DOCS slots, in sets of two */
    gen_list_t **lists;          /* GEN_LISTS slots */
    gen_key_t **keys;            /* GEN_KEYS slots: articles found */
    apr_size_t bytes;            /* of the entries (atomic) */
} gen_t;

struct art_store_txn_t {
    art_store_t *st;
    MDB_txn *txn;
    gen_t *gen;
    tables_ref_t *tables;
    apr_uint64_t version;
    apr_time_t mtime;
    int count;
    art_store_txn_t *next;
};

/* The article record header. */
enum {
    S_ID, S_LANG, S_TITLE, S_SUMMARY, S_PUBLISHED, S_UPDATED, S_TRANSLATION,
    S_BODY, S_SIGNATURE, S_SIGDATE, S_FILE, S_PATH, S_COLLECTION, NSTR
};

typedef struct rec_head_t {
    apr_uint32_t str[NSTR];      /* offsets; 0 = NULL */
    apr_int64_t published_t, updated_t, mtime;
    apr_uint32_t body_len, dl;
    apr_uint32_t nauthors, ntags, nnotes, npinned, ntop;
    apr_uint32_t authors, tags, notes, pinned, top, topw;   /* offsets */
    apr_uint32_t draft;
    apr_uint32_t ncorr, corr;    /* date, text and time (decimal) each */
} rec_head_t;

typedef struct file_rec_t {
    apr_int64_t size, mtime;
    apr_uint64_t hash;
    apr_uint32_t doc;
    apr_uint32_t line;           /* of the problem, when there is one: */
} file_rec_t;                    /* then "tag\0reason\0" follows */

/* A problem the loader reported for a file. */
typedef struct problem_t {
    const char *tag;
    int line;
    const char *reason;
    const char *rel;             /* relative to the repository */
} problem_t;

static void gen_drop(art_store_t *st);

/* ---------------------------------------------------------------- helpers */

static void store_log(const art_store_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void store_log(const art_store_t *st, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];

    if (st->opts.log == NULL) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    st->opts.log(st->opts.baton, 0, ART_E_STORE, st->dir, 0, msg);
}

static void put_be32(unsigned char *o, apr_uint32_t v)
{
    o[0] = (unsigned char)(v >> 24);
    o[1] = (unsigned char)(v >> 16);
    o[2] = (unsigned char)(v >> 8);
    o[3] = (unsigned char)v;
}

static apr_uint32_t get_be32(const unsigned char *i)
{
    return ((apr_uint32_t)i[0] << 24) | ((apr_uint32_t)i[1] << 16)
           | ((apr_uint32_t)i[2] << 8) | i[3];
}

static void put_be64(unsigned char *o, apr_uint64_t v)
{
    put_be32(o, (apr_uint32_t)(v >> 32));
    put_be32(o + 4, (apr_uint32_t)v);
}

/* A key of at most KEY_MAX bytes: s itself, or '#' and its hash. */
static MDB_val key_of(apr_pool_t *p, const char *s, size_t len)
{
    MDB_val k;

    if (len <= KEY_MAX) {
        k.mv_data = (void *)s;
        k.mv_size = len;
    }
    else {
        char *h = apr_psprintf(p, "#%016" APR_UINT64_T_HEX_FMT "%016"
                               APR_UINT64_T_HEX_FMT,
                               art_hash64(s, len, 0), art_hash64(s, len, 1));
        k.mv_data = h;
        k.mv_size = strlen(h);
    }
    return k;
}

static MDB_val str_key(apr_pool_t *p, const char *s)
{
    return key_of(p, s, strlen(s));
}

/* The key of a list; lang may be NULL for the kinds that take none. */
static MDB_val list_key(apr_pool_t *p, art_list_e kind, const char *lang,
                        const char *key)
{
    static const char kinds[] = "alcutx";
    const char *s = apr_pstrcat(p, (char[]){ kinds[kind], '/', 0 },
                                lang ? lang : "", "/", key ? key : "", NULL);

    return str_key(p, s);
}

static void list_val(unsigned char *o, apr_time_t published, apr_uint32_t doc)
{
    /* Signed to order-preserving unsigned, then inverted: newest first. */
    put_be64(o, ~((apr_uint64_t)published ^ ((apr_uint64_t)1 << 63)));
    put_be32(o + 8, doc);
}

static void doc_key(unsigned char *o, apr_uint32_t doc)
{
    put_be32(o, doc);
}

static MDB_val term_key(apr_pool_t *p, const char *lang, const char *term,
                        size_t len)
{
    size_t ll = strlen(lang);
    char *k = apr_palloc(p, ll + 1 + len);
    MDB_val v;

    memcpy(k, lang, ll);
    k[ll] = '\0';
    memcpy(k + ll + 1, term, len);
    v.mv_data = k;
    v.mv_size = ll + 1 + len;
    return v;
}

static void post_val(unsigned char *o, apr_uint32_t doc, apr_uint32_t tf,
                     apr_uint32_t dl)
{
    put_be32(o, doc);
    o[4] = (unsigned char)(tf >> 8);
    o[5] = (unsigned char)tf;
    put_be32(o + 6, dl);
}

static const char *lmdb_msg(apr_pool_t *p, const char *what, int rc)
{
    return apr_psprintf(p, "%s: %s", what, mdb_strerror(rc));
}

/* ---------------------------------------------------------------- meta */

static int meta_get(MDB_txn *txn, art_store_t *st, const char *name,
                    MDB_val *v)
{
    MDB_val k = { strlen(name), (void *)name };

    return mdb_get(txn, st->meta, &k, v);
}

static int meta_put(MDB_txn *txn, art_store_t *st, const char *name,
                    const void *data, size_t len)
{
    MDB_val k = { strlen(name), (void *)name }, v = { len, (void *)data };

    return mdb_put(txn, st->meta, &k, &v, 0);
}

static apr_uint64_t meta_u64(MDB_txn *txn, art_store_t *st, const char *name)
{
    MDB_val v;
    apr_uint64_t x = 0;

    if (meta_get(txn, st, name, &v) == 0 && v.mv_size == sizeof(x)) {
        memcpy(&x, v.mv_data, sizeof(x));
    }
    return x;
}

static int meta_put_u64(MDB_txn *txn, art_store_t *st, const char *name,
                        apr_uint64_t x)
{
    return meta_put(txn, st, name, &x, sizeof(x));
}

/* Documents and summed lengths of one language. */
typedef struct lang_stat_t {
    apr_uint64_t ndocs, total;
} lang_stat_t;

static lang_stat_t lang_stat(MDB_txn *txn, art_store_t *st, const char *lang)
{
    char name[ART_ID_MAX + 3];
    MDB_val v;
    lang_stat_t s = { 0, 0 };

    apr_snprintf(name, sizeof(name), "n/%s", lang);
    if (meta_get(txn, st, name, &v) == 0 && v.mv_size == sizeof(s)) {
        memcpy(&s, v.mv_data, sizeof(s));
    }
    return s;
}

static int lang_stat_add(MDB_txn *txn, art_store_t *st, const char *lang,
                         long ndocs, long long len)
{
    char name[ART_ID_MAX + 3];
    lang_stat_t s = lang_stat(txn, st, lang);

    apr_snprintf(name, sizeof(name), "n/%s", lang);
    s.ndocs += (apr_uint64_t)ndocs;
    s.total += (apr_uint64_t)len;
    return meta_put(txn, st, name, &s, sizeof(s));
}

/* ---------------------------------------------------------------- tables */

static void tb_str(art_buf_t *b, const char *s)
{
    art_buf_putc(b, s ? 1 : 0);
    if (s) {
        art_buf_append(b, s, strlen(s) + 1);
    }
}

static void tb_u32(art_buf_t *b, apr_uint32_t v)
{
    art_buf_append(b, (const char *)&v, sizeof(v));
}

static void tb_ltexts(art_buf_t *b, const apr_array_header_t *a)
{
    int i;

    tb_u32(b, a ? (apr_uint32_t)a->nelts : 0);
    for (i = 0; a && i < a->nelts; i++) {
        const art_ltext_t *t = &APR_ARRAY_IDX(a, i, art_ltext_t);
        tb_str(b, t->lang);
        tb_str(b, t->text);
    }
}

/* The site, authors and collections of s as one value. */
static void tables_encode(art_buf_t *b, const art_snapshot_t *s)
{
    const art_site_t *site = s->site;
    apr_hash_index_t *hi;
    int i, j;

    tb_str(b, site->default_lang);
    tb_ltexts(b, site->titles);
    tb_str(b, site->tagline);
    tb_u32(b, (apr_uint32_t)site->mottos->nelts);
    for (i = 0; i < site->mottos->nelts; i++) {
        const art_motto_t *m = &APR_ARRAY_IDX(site->mottos, i, art_motto_t);
        tb_str(b, m->lang);
        tb_u32(b, (apr_uint32_t)m->lines->nelts);
        for (j = 0; j < m->lines->nelts; j++) {
            tb_str(b, APR_ARRAY_IDX(m->lines, j, const char *));
        }
    }
    tb_str(b, site->url);
    tb_str(b, site->email);
    tb_str(b, site->logo);
    tb_u32(b, (apr_uint32_t)site->langs->nelts);
    for (i = 0; i < site->langs->nelts; i++) {
        const art_lang_t *l = &APR_ARRAY_IDX(site->langs, i, art_lang_t);
        tb_str(b, l->code);
        tb_str(b, l->dir);
        tb_str(b, l->name);
    }
    tb_u32(b, apr_hash_count(site->strings));
    for (hi = apr_hash_first(NULL, site->strings); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_index_t *hj;

        apr_hash_this(hi, &k, NULL, &v);
        tb_str(b, k);
        tb_u32(b, apr_hash_count(v));
        for (hj = apr_hash_first(NULL, v); hj; hj = apr_hash_next(hj)) {
            const void *sk;
            void *sv;

            apr_hash_this(hj, &sk, NULL, &sv);
            tb_str(b, sk);
            tb_str(b, sv);
        }
    }
    tb_u32(b, (apr_uint32_t)s->authors->nelts);
    for (i = 0; i < s->authors->nelts; i++) {
        const art_author_t *a = APR_ARRAY_IDX(s->authors, i, art_author_t *);
        tb_str(b, a->id);
        tb_ltexts(b, a->names);
        tb_ltexts(b, a->bios);
        tb_str(b, a->photo_src);
        tb_str(b, a->photo_alt);
        tb_u32(b, a->links ? (apr_uint32_t)a->links->nelts : 0);
        for (j = 0; a->links && j < a->links->nelts; j++) {
            const art_link_t *l = &APR_ARRAY_IDX(a->links, j, art_link_t);
            tb_str(b, l->href);
            tb_str(b, l->text);
            tb_str(b, l->lang);
        }
    }
    tb_u32(b, (apr_uint32_t)s->collections->nelts);
    for (i = 0; i < s->collections->nelts; i++) {
        const art_collection_t *c = APR_ARRAY_IDX(s->collections, i,
                                                  art_collection_t *);
        tb_str(b, c->id);
        tb_ltexts(b, c->titles);
    }
}

/* A cursor over an encoded value; bad is set on any overrun. */
typedef struct tb_in_t {
    const char *at, *end;
    apr_pool_t *p;
    int bad;
} tb_in_t;

static const char *td_str(tb_in_t *in)
{
    const char *s, *nul;

    if (in->at >= in->end) {
        in->bad = 1;
        return NULL;
    }
    if (*in->at++ == 0) {
        return NULL;
    }
    s = in->at;
    nul = memchr(s, '\0', (size_t)(in->end - s));
    if (nul == NULL) {
        in->bad = 1;
        in->at = in->end;
        return NULL;
    }
    in->at = nul + 1;
    return apr_pstrmemdup(in->p, s, (apr_size_t)(nul - s));
}

static apr_uint32_t td_u32(tb_in_t *in)
{
    apr_uint32_t v = 0;

    if (in->end - in->at < (long)sizeof(v)) {
        in->bad = 1;
        in->at = in->end;
        return 0;
    }
    memcpy(&v, in->at, sizeof(v));
    in->at += sizeof(v);
    /* No table of a real site comes near this: a corrupt count. */
    if (v > (apr_uint32_t)(in->end - in->at)) {
        in->bad = 1;
        return 0;
    }
    return v;
}

static apr_array_header_t *td_ltexts(tb_in_t *in)
{
    apr_uint32_t n = td_u32(in), i;
    apr_array_header_t *a = apr_array_make(in->p, (int)n + 1,
                                           sizeof(art_ltext_t));

    for (i = 0; i < n && !in->bad; i++) {
        art_ltext_t *t = apr_array_push(a);
        t->lang = td_str(in);
        t->text = td_str(in);
    }
    return a;
}

static int tables_decode(art_store_tables_t *t, const MDB_val *v,
                         apr_pool_t *p)
{
    tb_in_t in = { v->mv_data, (const char *)v->mv_data + v->mv_size, p, 0 };
    art_site_t *site = apr_pcalloc(p, sizeof(*site));
    apr_uint32_t n, m, i, j;

    site->default_lang = td_str(&in);
    site->titles = td_ltexts(&in);
    site->tagline = td_str(&in);
    n = td_u32(&in);
    site->mottos = apr_array_make(p, (int)n + 1, sizeof(art_motto_t));
    for (i = 0; i < n && !in.bad; i++) {
        art_motto_t *mo = apr_array_push(site->mottos);
        mo->lang = td_str(&in);
        m = td_u32(&in);
        mo->lines = apr_array_make(p, (int)m + 1, sizeof(const char *));
        for (j = 0; j < m && !in.bad; j++) {
            APR_ARRAY_PUSH(mo->lines, const char *) = td_str(&in);
        }
    }
    site->url = td_str(&in);
    site->email = td_str(&in);
    site->logo = td_str(&in);
    n = td_u32(&in);
    site->langs = apr_array_make(p, (int)n + 1, sizeof(art_lang_t));
    for (i = 0; i < n && !in.bad; i++) {
        art_lang_t *l = apr_array_push(site->langs);
        l->code = td_str(&in);
        l->dir = td_str(&in);
        l->name = td_str(&in);
        l->index = (int)i;
    }
    site->strings = apr_hash_make(p);
    n = td_u32(&in);
    for (i = 0; i < n && !in.bad; i++) {
        const char *lang = td_str(&in);
        apr_hash_t *h = apr_hash_make(p);

        m = td_u32(&in);
        for (j = 0; j < m && !in.bad; j++) {
            const char *k = td_str(&in), *s = td_str(&in);
            if (k && s) {
                apr_hash_set(h, k, APR_HASH_KEY_STRING, s);
            }
        }
        if (lang) {
            apr_hash_set(site->strings, lang, APR_HASH_KEY_STRING, h);
        }
    }
    t->site = site;
    n = td_u32(&in);
    t->authors = apr_array_make(p, (int)n + 1, sizeof(art_author_t *));
    t->author_by_id = apr_hash_make(p);
    for (i = 0; i < n && !in.bad; i++) {
        art_author_t *a = apr_pcalloc(p, sizeof(*a));
        a->id = td_str(&in);
        a->names = td_ltexts(&in);
        a->bios = td_ltexts(&in);
        a->photo_src = td_str(&in);
        a->photo_alt = td_str(&in);
        m = td_u32(&in);
        a->links = apr_array_make(p, (int)m + 1, sizeof(art_link_t));
        for (j = 0; j < m && !in.bad; j++) {
            art_link_t *l = apr_array_push(a->links);
            l->href = td_str(&in);
            l->text = td_str(&in);
            l->lang = td_str(&in);
        }
        if (a->id == NULL) {
            in.bad = 1;
            break;
        }
        APR_ARRAY_PUSH(t->authors, art_author_t *) = a;
        apr_hash_set(t->author_by_id, a->id, APR_HASH_KEY_STRING, a);
    }
    n = td_u32(&in);
    t->collections = apr_array_make(p, (int)n + 1, sizeof(art_collection_t *));
    t->collection_by_id = apr_hash_make(p);
    for (i = 0; i < n && !in.bad; i++) {
        art_collection_t *c = apr_pcalloc(p, sizeof(*c));
        c->id = td_str(&in);
        c->titles = td_ltexts(&in);
        if (c->id == NULL) {
            in.bad = 1;
            break;
        }
        APR_ARRAY_PUSH(t->collections, art_collection_t *) = c;
        apr_hash_set(t->collection_by_id, c->id, APR_HASH_KEY_STRING, c);
    }
    return !in.bad && site->default_lang && site->url;
}

/* ---------------------------------------------------------------- records */

static apr_uint32_t rb_str(art_buf_t *b, const char *s)
{
    apr_uint32_t at;

    if (s == NULL) {
        return 0;
    }
    at = (apr_uint32_t)b->len;
    art_buf_append(b, s, strlen(s) + 1);
    return at;
}

typedef struct top_t {
    const char *term[ART_INDEX_TOP_TERMS];
    float w[ART_INDEX_TOP_TERMS];
    int n;
} top_t;

/* a as a record into b (reset first). */
static void rec_encode(art_buf_t *b, const art_article_t *a, apr_uint32_t dl,
                       const top_t *top)
{
    rec_head_t h;
    int i;

    memset(&h, 0, sizeof(h));
    b->len = 0;
    art_buf_append(b, (const char *)&h, sizeof(h));
    h.str[S_ID] = rb_str(b, a->id);
    h.str[S_LANG] = rb_str(b, a->lang->code);
    h.str[S_TITLE] = rb_str(b, a->title);
    h.str[S_SUMMARY] = rb_str(b, a->summary);
    h.str[S_PUBLISHED] = rb_str(b, a->published);
    h.str[S_UPDATED] = rb_str(b, a->updated);
    h.str[S_TRANSLATION] = rb_str(b, a->translation);
    h.str[S_BODY] = (apr_uint32_t)b->len;
    art_buf_append(b, a->body, a->body_len);
    art_buf_putc(b, '\0');
    h.str[S_SIGNATURE] = rb_str(b, a->signature);
    h.str[S_SIGDATE] = rb_str(b, a->signature_date);
    h.str[S_FILE] = rb_str(b, a->file);
    h.str[S_PATH] = rb_str(b, a->path);
    h.str[S_COLLECTION] = rb_str(b, a->collection->id);
    h.published_t = a->published_t;
    h.updated_t = a->updated_t;
    h.mtime = a->mtime;
    h.body_len = (apr_uint32_t)a->body_len;
    h.dl = dl;
    h.nauthors = (apr_uint32_t)a->nauthors;
    h.authors = (apr_uint32_t)b->len;
    for (i = 0; i < a->nauthors; i++) {
        rb_str(b, a->authors[i]->id);
    }
    h.ntags = (apr_uint32_t)a->ntags;
    h.tags = (apr_uint32_t)b->len;
    for (i = 0; i < a->ntags; i++) {
        rb_str(b, a->tags[i].name);
        rb_str(b, a->tags[i].key);
    }
    h.nnotes = (apr_uint32_t)a->nnotes;
    h.notes = (apr_uint32_t)b->len;
    for (i = 0; i < a->nnotes; i++) {
        rb_str(b, a->notes[i]);
    }
    h.npinned = (apr_uint32_t)a->npinned_ids;
    h.pinned = (apr_uint32_t)b->len;
    for (i = 0; i < a->npinned_ids; i++) {
        rb_str(b, a->pinned_ids[i]);
    }
    h.draft = (apr_uint32_t)a->draft;
    h.ncorr = (apr_uint32_t)a->ncorrections;
    h.corr = (apr_uint32_t)b->len;
    for (i = 0; i < a->ncorrections; i++) {
        char t[32];

        apr_snprintf(t, sizeof(t), "%" APR_INT64_T_FMT,
                     (apr_int64_t)a->corrections[i].date_t);
        rb_str(b, a->corrections[i].date);
        rb_str(b, a->corrections[i].text);
        rb_str(b, t);
    }
    h.ntop = (apr_uint32_t)top->n;
    h.top = (apr_uint32_t)b->len;
    for (i = 0; i < top->n; i++) {
        rb_str(b, top->term[i]);
    }
    h.topw = (apr_uint32_t)b->len;
    art_buf_append(b, (const char *)top->w, sizeof(float) * (apr_size_t)top->n);
    memcpy(b->data, &h, sizeof(h));
}

/* A decoded record: the header and the value it came from. */
typedef struct rec_t {
    rec_head_t h;
    const char *base;
    size_t size;
} rec_t;

static int rec_open(rec_t *r, const MDB_val *v)
{
    int i;

    if (v->mv_size < sizeof(rec_head_t)) {
        return 0;
    }
    memcpy(&r->h, v->mv_data, sizeof(r->h));
    r->base = v->mv_data;
    r->size = v->mv_size;
    for (i = 0; i < NSTR; i++) {
        if (r->h.str[i] >= r->size) {
            return 0;
        }
    }
    if (r->h.str[S_ID] == 0 || r->h.str[S_LANG] == 0 || r->h.str[S_BODY] == 0
        || r->h.str[S_COLLECTION] == 0 || r->h.str[S_PATH] == 0
        || r->h.str[S_BODY] + (size_t)r->h.body_len >= r->size
        || r->h.topw + sizeof(float) * (size_t)r->h.ntop > r->size
        || r->base[r->size - 1 - sizeof(float) * r->h.ntop] != '\0') {
        return 0;
    }
    return 1;
}

static const char *rec_str(const rec_t *r, int i)
{
    return r->h.str[i] ? r->base + r->h.str[i] : NULL;
}

/* n NUL-terminated strings from offset at into out[] (may be NULL to skip);
 * returns the offset after them, 0 on an overrun. */
static apr_uint32_t rec_strs(const rec_t *r, apr_uint32_t at, apr_uint32_t n,
                             const char **out)
{
    apr_uint32_t i;

    for (i = 0; i < n; i++) {
        const char *s = r->base + at, *nul;

        if (at >= r->size
            || (nul = memchr(s, '\0', r->size - at)) == NULL) {
            return 0;
        }
        if (out) {
            out[i] = s;
        }
        at += (apr_uint32_t)(nul - s) + 1;
    }
    return at;
}

/* r's draft flag and corrections into a, the strings copied into p;
 * 0 on a damaged record. */
static int rec_newsroom(apr_pool_t *p, const rec_t *r, art_article_t *a)
{
    const char **strs = apr_palloc(p, sizeof(char *) * (3 * r->h.ncorr + 1));
    art_correction_t *c = apr_palloc(p, sizeof(*c) * (r->h.ncorr + 1));
    apr_uint32_t i;

    if (r->h.ncorr > 0 && !rec_strs(r, r->h.corr, 3 * r->h.ncorr, strs)) {
        return 0;
    }
    for (i = 0; i < r->h.ncorr; i++) {
        c[i].date = apr_pstrdup(p, strs[3 * i]);
        c[i].text = apr_pstrdup(p, strs[3 * i + 1]);
        c[i].date_t = (apr_time_t)apr_atoi64(strs[3 * i + 2]);
    }
    a->draft = r->h.draft != 0;
    a->corrections = c;
    a->ncorrections = (int)r->h.ncorr;
    return 1;
}

static int rec_get(MDB_txn *txn, art_store_t *st, apr_uint32_t doc, rec_t *r)
{
    unsigned char k[4];
    MDB_val key = { 4, k }, v;

    doc_key(k, doc);
    return mdb_get(txn, st->docs, &key, &v) == 0 && rec_open(r, &v);
}

/* ---------------------------------------------------------------- open */

static const char *store_file(apr_pool_t *p, const char *dir, const char *name)
{
    return apr_pstrcat(p, dir, "/", name, NULL);
}

/* Open the environment and our databases; an LMDB error code, or -1 when
 * the file is an LMDB environment that is not ours (wrong format). */
static int env_try(art_store_t *st, char **why)
{
    MDB_txn *txn;
    MDB_val v;
    unsigned int dup = MDB_DUPSORT | MDB_DUPFIXED;
    apr_uint32_t want[2] = { ART_STORE_FORMAT, BYTE_ORDER_MARK };
    int rc;

    *why = NULL;
    if ((rc = mdb_env_create(&st->env)) != 0) {
        return rc;
    }
    mdb_env_set_maxdbs(st->env, 8);
    mdb_env_set_maxreaders(st->env, MAX_READERS);
    mdb_env_set_mapsize(st->env, st->opts.map_size);
    /* NOTLS: a request's transaction is tied to its object, not its thread
     * (transactions are kept and renewed).  NOMETASYNC: a system crash may
     * lose the last commit, never corrupt: the store is rebuilt anyway. */
    rc = mdb_env_open(st->env, st->dir, MDB_NOTLS | MDB_NOMETASYNC, 0600);
    if (rc == 0) {
        rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    }
    if (rc != 0) {
        mdb_env_close(st->env);
        st->env = NULL;
        return rc;
    }
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) == 0
        && (rc = mdb_dbi_open(txn, "files", MDB_CREATE, &st->files)) == 0
        && (rc = mdb_dbi_open(txn, "docs", MDB_CREATE, &st->docs)) == 0
        && (rc = mdb_dbi_open(txn, "keys", MDB_CREATE, &st->keys)) == 0
        && (rc = mdb_dbi_open(txn, "lists", MDB_CREATE | dup, &st->lists)) == 0
        && (rc = mdb_dbi_open(txn, "terms", MDB_CREATE | dup, &st->terms)) == 0) {
        rc = meta_get(txn, st, "format", &v);
        if (rc == MDB_NOTFOUND) {
            MDB_stat ds;

            /* A new store, or one whose meta was never written. */
            mdb_stat(txn, st->docs, &ds);
            rc = ds.ms_entries ? -1 : meta_put(txn, st, "format", want,
                                               sizeof(want));
            if (rc == -1) {
                *why = "it has articles but no format record";
            }
        }
        else if (rc == 0 && (v.mv_size != sizeof(want)
                             || memcmp(v.mv_data, want, sizeof(want)) != 0)) {
            apr_uint32_t got[2] = { 0, 0 };

            if (v.mv_size == sizeof(got)) {
                memcpy(got, v.mv_data, sizeof(got));
            }
            *why = got[1] == BYTE_ORDER_MARK
                   ? apr_psprintf(st->pool, "it has format %u, this module "
                                  "writes format %u", got[0], ART_STORE_FORMAT)
                   : "it was written by a machine of another byte order or "
                     "is not a store of this module";
            rc = -1;
        }
    }
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
    }
    else {
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
    return rc;
}

static apr_status_t store_cleanup(void *data)
{
    art_store_t *st = data;
    art_store_txn_t *t;

    while ((t = st->free) != NULL) {
        st->free = t->next;
        mdb_txn_abort(t->txn);
        free(t);
    }
    gen_drop(st);
    if (st->tables && --st->tables->refs == 0) {
        apr_pool_destroy(st->tables->pool);
    }
    st->tables = NULL;
    if (st->env) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t art_store_open(apr_pool_t *p, const char *dir,
                            const art_store_opts_t *opts, art_store_t **out,
                            char **err)
{
    art_store_t *st = apr_pcalloc(p, sizeof(*st));
    apr_status_t rv;
    char *why;
    char eb[128];
    int rc;

    st->pool = p;
    st->dir = apr_pstrdup(p, dir);
    if (opts) {
        st->opts = *opts;
    }
    if (st->opts.map_size == 0) {
        st->opts.map_size = ART_STORE_DEFAULT_MAP;
    }
    rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot create the store folder %s: %s",
                            ART_E_STORE, dir, apr_strerror(rv, eb, sizeof(eb)));
        return rv;
    }
    art_mutex_create(&st->mu, p);
    rc = env_try(st, &why);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED
        || rc == MDB_INCOMPATIBLE || rc == -1) {
        /* Not a store we can use: it is derived data, so start afresh. */
        store_log(st, "the store in %s cannot be used (%s); it is removed "
                  "and rebuilt from the repository", dir,
                  why ? why : mdb_strerror(rc));
        apr_file_remove(store_file(p, dir, "data.mdb"), p);
        apr_file_remove(store_file(p, dir, "lock.mdb"), p);
        rc = env_try(st, &why);
    }
    if (rc != 0) {
        *err = apr_psprintf(p, "%s: cannot open the store in %s: %s%s",
                            ART_E_STORE, dir, why ? why : mdb_strerror(rc),
                            rc == EACCES || rc == EROFS
                            ? " (the folder and its files must be writable "
                              "by the user the server runs as)" : "");
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    *out = st;
    return APR_SUCCESS;
}

void art_store_close(art_store_t *st)
{
    apr_pool_cleanup_run(st->pool, st, store_cleanup);
}

const char *art_store_dir(const art_store_t *st)
{
    return st->dir;
}

/* ---------------------------------------------------------------- writing */

/* A file as the loader saw it. */
typedef struct seen_t {
    const char *rel;
    apr_off_t size;
    apr_time_t mtime;
    apr_uint64_t hash;
    int ok;
} seen_t;

typedef struct upd_t {
    art_store_t *st;
    MDB_txn *txn;
    apr_pool_t *p;
    int full;
    apr_hash_t *present;         /* rel -> "" for every article file listed */
    apr_array_header_t *seen;    /* seen_t, file order */
    const art_repo_opts_t *ro;
    const char *root;
    int quiet;                   /* keep per-file problems out of the log */
    apr_hash_t *problems;        /* rel -> problem_t, from this update */
    apr_array_header_t *warnings;   /* problem_t: related refs of a full
                                       build, which skip nothing */
    art_buf_t rec;
    int rc;                      /* first LMDB error */
    const char *rc_what;
} upd_t;

static int upd_fail(upd_t *u, int rc, const char *what)
{
    if (rc != 0 && u->rc == 0) {
        u->rc = rc;
        u->rc_what = what;
    }
    return rc;
}

static int file_get(upd_t *u, const char *rel, file_rec_t *f)
{
    MDB_val k = str_key(u->p, rel), v;

    if (mdb_get(u->txn, u->st->files, &k, &v) != 0 || v.mv_size < sizeof(*f)) {
        return 0;
    }
    memcpy(f, v.mv_data, sizeof(*f));
    return 1;
}

/* The record of rel with the problem this update had with it, if any. */
static void file_put(upd_t *u, const char *rel, file_rec_t *f)
{
    MDB_val k = str_key(u->p, rel), v;
    const problem_t *pr = apr_hash_get(u->problems, rel, APR_HASH_KEY_STRING);
    art_buf_t b;

    art_buf_init(&b, u->p, sizeof(*f) + 128);
    f->line = pr ? (apr_uint32_t)pr->line : 0;
    art_buf_append(&b, (const char *)f, sizeof(*f));
    if (pr) {
        art_buf_append(&b, pr->tag, strlen(pr->tag) + 1);
        art_buf_append(&b, pr->reason, strlen(pr->reason) + 1);
    }
    v.mv_size = b.len;
    v.mv_data = b.data;
    upd_fail(u, mdb_put(u->txn, u->st->files, &k, &v, 0), "files");
}

/* A problem of the loader, kept for the file it names (and logged unless
 * the caller replays them all afterwards). */
static void note_problem(upd_t *u, const char *tag, const char *file, int line,
                         const char *reason)
{
    size_t rl = strlen(u->root);
    problem_t *pr = apr_palloc(u->p, sizeof(*pr));

    pr->tag = apr_pstrdup(u->p, tag);
    pr->line = line;
    pr->reason = apr_pstrdup(u->p, reason);
    pr->rel = strncmp(file, u->root, rl) == 0 && file[rl] == '/'
              ? apr_pstrdup(u->p, file + rl + 1) : apr_pstrdup(u->p, file);
    if (apr_hash_get(u->problems, pr->rel, APR_HASH_KEY_STRING) == NULL) {
        apr_hash_set(u->problems, pr->rel, APR_HASH_KEY_STRING, pr);
    }
    if (!u->quiet && u->ro->log) {
        u->ro->log(u->ro->baton, 0, tag, file, line, reason);
    }
}

static int want_file(void *baton, const char *rel, apr_off_t size,
                     apr_time_t mtime)
{
    upd_t *u = baton;
    file_rec_t f;

    apr_hash_set(u->present, apr_pstrdup(u->p, rel), APR_HASH_KEY_STRING, "");
    return !file_get(u, rel, &f) || f.size != size || f.mtime != mtime;
}

static void seen_file(void *baton, const char *rel, apr_off_t size,
                      apr_time_t mtime, apr_uint64_t hash, int ok)
{
    upd_t *u = baton;
    seen_t *s = apr_array_push(u->seen);

    s->rel = apr_pstrdup(u->p, rel);
    s->size = size;
    s->mtime = mtime;
    s->hash = hash;
    s->ok = ok;
}

/* The repository's problems go to the caller's log; in an incremental
 * update the loader sees only the changed articles, so its warnings about
 * related refs to the others are not true and are dropped. */
static void filter_log(void *baton, int fatal, const char *tag,
                       const char *file, int line, const char *reason)
{
    upd_t *u = baton;

    if (strcmp(tag, ART_W_RELATED) == 0) {
        /* Only a full build sees every article a ref may name. */
        if (u->full) {
            size_t rl = strlen(u->root);
            problem_t *w = apr_array_push(u->warnings);

            w->tag = apr_pstrdup(u->p, tag);
            w->line = line;
            w->reason = apr_pstrdup(u->p, reason);
            w->rel = apr_pstrdup(u->p, strncmp(file, u->root, rl) == 0
                                 && file[rl] == '/' ? file + rl + 1 : file);
            if (!u->quiet && u->ro->log) {
                u->ro->log(u->ro->baton, fatal, tag, file, line, reason);
            }
        }
        return;
    }
    if (fatal) {
        if (u->ro->log) {
            u->ro->log(u->ro->baton, fatal, tag, file, line, reason);
        }
        return;
    }
    note_problem(u, tag, file, line, reason);
}

/* Terms of one document: term -> weighted frequency. */
typedef struct doc_terms_t {
    apr_pool_t *p;
    apr_hash_t *tf;              /* term -> apr_uint32_t * */
    apr_uint32_t weight;
    apr_uint32_t dl;
} doc_terms_t;

static void count_term(void *baton, const char *term, size_t len, int pos)
{
    doc_terms_t *d = baton;
    apr_uint32_t *n = apr_hash_get(d->tf, term, (apr_ssize_t)len);

    (void)pos;
    if (n == NULL) {
        n = apr_pcalloc(d->p, sizeof(*n));
        apr_hash_set(d->tf, apr_pstrmemdup(d->p, term, len), (apr_ssize_t)len, n);
    }
    *n += d->weight;
    d->dl += d->weight;
}

/* Tokenize as art_index_build does: title and tags weighted, the body's
 * plain text once. */
static void doc_terms(doc_terms_t *d, apr_pool_t *p, const char *lang,
                      const char *title, const char *const *tags, int ntags,
                      const char *body, apr_size_t body_len)
{
    char *plain = apr_palloc(p, body_len + 1);
    apr_size_t n = art_html_text(body, body_len, plain);
    int i;

    d->p = p;
    d->tf = apr_hash_make(p);
    d->dl = 0;
    d->weight = ART_INDEX_TITLE_WEIGHT;
    if (title) {
        art_text_tokenize(title, strlen(title), lang, count_term, d);
    }
    for (i = 0; i < ntags; i++) {
        art_text_tokenize(tags[i], strlen(tags[i]), lang, count_term, d);
    }
    d->weight = 1;
    art_text_tokenize(plain, n, lang, count_term, d);
}

static float bm25(float idf, apr_uint32_t tf, float norm)
{
    return idf * ((float)tf * (BM25_K1 + 1.0f)) / ((float)tf + norm);
}

static float bm25_idf(double ndocs, double df)
{
    return (float)log(1.0 + (ndocs - df + 0.5) / (df + 0.5));
}

static float bm25_norm(apr_uint32_t dl, const lang_stat_t *ls)
{
    float avgdl = ls->ndocs ? (float)((double)ls->total / (double)ls->ndocs)
                            : 0.0f;

    return BM25_K1 * (1.0f - BM25_B + BM25_B * (avgdl > 0 ? dl / avgdl : 0));
}

/* Offer a term to a document's best: sorted, best first, ties by term. */
static void top_offer(top_t *t, const char *term, float w)
{
    int i;

    if (t->n == ART_INDEX_TOP_TERMS
        && (w < t->w[t->n - 1]
            || (w == t->w[t->n - 1] && strcmp(term, t->term[t->n - 1]) > 0))) {
        return;
    }
    if (t->n < ART_INDEX_TOP_TERMS) {
        t->n++;
    }
    for (i = t->n - 1; i > 0 && (t->w[i - 1] < w || (t->w[i - 1] == w
                         && strcmp(t->term[i - 1], term) > 0)); i--) {
        t->w[i] = t->w[i - 1];
        t->term[i] = t->term[i - 1];
    }
    t->w[i] = w;
    t->term[i] = term;
}

static void list_put(upd_t *u, art_list_e kind, const char *lang,
                     const char *key, apr_time_t published, apr_uint32_t doc,
                     int del)
{
    unsigned char val[LIST_VAL];
    MDB_val k = list_key(u->p, kind, lang, key), v = { LIST_VAL, val };
    int rc;

    list_val(val, published, doc);
    rc = del ? mdb_del(u->txn, u->st->lists, &k, &v)
             : mdb_put(u->txn, u->st->lists, &k, &v, MDB_NODUPDATA);
    if (rc != MDB_NOTFOUND && rc != MDB_KEYEXIST) {
        upd_fail(u, rc, "lists");
    }
}

/* Every list an article is in, added or deleted.  Tag keys repeated in one
 * article count once. */
static void article_lists(upd_t *u, const char *lang, const char *coll,
                          const char *const *authors, int nauthors,
                          const char *const *tagkeys, int ntags,
                          const char *translation, apr_time_t published,
                          apr_uint32_t doc, int del)
{
    int i, j;

    list_put(u, ART_LIST_ALL, NULL, NULL, published, doc, del);
    list_put(u, ART_LIST_LANG, lang, NULL, published, doc, del);
    list_put(u, ART_LIST_COLLECTION, lang, coll, published, doc, del);
    for (i = 0; i < nauthors; i++) {
        list_put(u, ART_LIST_AUTHOR, lang, authors[i], published, doc, del);
    }
    for (i = 0; i < ntags; i++) {
        for (j = 0; j < i && strcmp(tagkeys[j], tagkeys[i]) != 0; j++) {
        }
        if (j == i) {
            list_put(u, ART_LIST_TAG, lang, tagkeys[i], published, doc, del);
        }
    }
    if (translation) {
        list_put(u, ART_LIST_TRANSLATION, NULL, translation, published, doc,
                 del);
    }
}

/* Drop document doc: its key, lists, postings and statistics. */
static void remove_doc(upd_t *u, apr_uint32_t doc)
{
    apr_pool_t *p;
    rec_t r;
    const char **authors, **tags, **names, **keys;
    unsigned char dk[4];
    MDB_val k = { 4, dk };
    doc_terms_t d;
    apr_hash_index_t *hi;
    const char *lang;
    apr_uint32_t i;

    if (!rec_get(u->txn, u->st, doc, &r)) {
        return;
    }
    apr_pool_create(&p, u->p);
    lang = rec_str(&r, S_LANG);
    authors = apr_palloc(p, sizeof(char *) * (r.h.nauthors + 1));
    tags = apr_palloc(p, sizeof(char *) * (2 * r.h.ntags + 1));
    names = apr_palloc(p, sizeof(char *) * (r.h.ntags + 1));
    keys = apr_palloc(p, sizeof(char *) * (r.h.ntags + 1));
    if (!rec_strs(&r, r.h.authors, r.h.nauthors, authors)
        || !rec_strs(&r, r.h.tags, 2 * r.h.ntags, tags)) {
        apr_pool_destroy(p);
        return;
    }
    for (i = 0; i < r.h.ntags; i++) {
        names[i] = tags[2 * i];
        keys[i] = tags[2 * i + 1];
    }
    article_lists(u, lang, rec_str(&r, S_COLLECTION), authors,
                  (int)r.h.nauthors, keys, (int)r.h.ntags,
                  rec_str(&r, S_TRANSLATION),
                  r.h.draft ? ART_TIME_DRAFT : r.h.published_t, doc, 1);
    {
        const char *key = apr_pstrcat(p, lang, "/", rec_str(&r, S_ID), NULL);
        MDB_val kk = str_key(p, key);
        upd_fail(u, mdb_del(u->txn, u->st->keys, &kk, NULL), "keys");
    }
    doc_terms(&d, p, lang, rec_str(&r, S_TITLE), names, (int)r.h.ntags,
              rec_str(&r, S_BODY), r.h.body_len);
    for (hi = apr_hash_first(p, d.tf); hi; hi = apr_hash_next(hi)) {
        const void *term;
        apr_ssize_t len;
        void *tf;
        unsigned char pv[POST_VAL];
        MDB_val tk, v = { POST_VAL, pv };
        apr_uint32_t n;
        int rc;

        apr_hash_this(hi, &term, &len, &tf);
        n = *(apr_uint32_t *)tf;
        post_val(pv, doc, n > TF_MAX ? TF_MAX : n, d.dl);
        tk = term_key(p, lang, term, (size_t)len);
        rc = mdb_del(u->txn, u->st->terms, &tk, &v);
        if (rc != MDB_NOTFOUND) {
            upd_fail(u, rc, "terms");
        }
    }
    upd_fail(u, lang_stat_add(u->txn, u->st, lang, -1, -(long long)r.h.dl),
             "meta");
    doc_key(dk, doc);
    upd_fail(u, mdb_del(u->txn, u->st->docs, &k, NULL), "docs");
    apr_pool_destroy(p);
}

/* The document holding lang/id, or NO_DOC. */
static apr_uint32_t key_doc(MDB_txn *txn, art_store_t *st, apr_pool_t *p,
                            const char *lang, const char *id)
{
    MDB_val k = str_key(p, apr_pstrcat(p, lang, "/", id, NULL)), v;
    apr_uint32_t doc;

    if (mdb_get(txn, st->keys, &k, &v) != 0 || v.mv_size != 4) {
        return NO_DOC;
    }
    memcpy(&doc, v.mv_data, 4);
    return doc;
}

static void put_key(upd_t *u, const art_article_t *a, apr_uint32_t doc)
{
    MDB_val k = str_key(u->p, apr_pstrcat(u->p, a->lang->code, "/", a->id,
                                          NULL));
    MDB_val v = { 4, &doc };

    upd_fail(u, mdb_put(u->txn, u->st->keys, &k, &v, 0), "keys");
}

static void put_record(upd_t *u, const art_article_t *a, apr_uint32_t doc,
                       apr_uint32_t dl, const top_t *top, unsigned flags)
{
    unsigned char dk[4];
    MDB_val k = { 4, dk }, v;

    rec_encode(&u->rec, a, dl, top);
    doc_key(dk, doc);
    v.mv_size = u->rec.len;
    v.mv_data = u->rec.data;
    upd_fail(u, mdb_put(u->txn, u->st->docs, &k, &v, flags), "docs");
}

static void lists_of(upd_t *u, const art_article_t *a, apr_uint32_t doc)
{
    const char **authors = apr_palloc(u->p, sizeof(char *)
                                      * (apr_size_t)(a->nauthors + 1));
    const char **keys = apr_palloc(u->p, sizeof(char *)
                                   * (apr_size_t)(a->ntags + 1));
    int i;

    for (i = 0; i < a->nauthors; i++) {
        authors[i] = a->authors[i]->id;
    }
    for (i = 0; i < a->ntags; i++) {
        keys[i] = a->tags[i].key;
    }
    article_lists(u, a->lang->code, a->collection->id, authors, a->nauthors,
                  keys, a->ntags, a->translation, art_article_when(a), doc, 0);
}

/* Add article a as document doc, one article at a time (incremental). */
static void add_doc(upd_t *u, const art_article_t *a, apr_uint32_t doc)
{
    apr_pool_t *p;
    const char **names;
    doc_terms_t d;
    apr_hash_index_t *hi;
    MDB_cursor *c;
    lang_stat_t ls;
    top_t top;
    int i;

    apr_pool_create(&p, u->p);
    names = apr_palloc(p, sizeof(char *) * (apr_size_t)(a->ntags + 1));
    for (i = 0; i < a->ntags; i++) {
        names[i] = a->tags[i].name;
    }
    doc_terms(&d, p, a->lang->code, a->title, names, a->ntags, a->body,
              a->body_len);
    upd_fail(u, lang_stat_add(u->txn, u->st, a->lang->code, 1, d.dl), "meta");
    ls = lang_stat(u->txn, u->st, a->lang->code);
    top.n = 0;
    if (upd_fail(u, mdb_cursor_open(u->txn, u->st->terms, &c), "terms")) {
        apr_pool_destroy(p);
        return;
    }
    for (hi = apr_hash_first(p, d.tf); hi; hi = apr_hash_next(hi)) {
        const void *term;
        apr_ssize_t len;
        void *tfp;
        unsigned char pv[POST_VAL];
        MDB_val tk, v = { POST_VAL, pv };
        apr_uint32_t tf;
        size_t df = 0;

        apr_hash_this(hi, &term, &len, &tfp);
        tf = *(apr_uint32_t *)tfp;
        tf = tf > TF_MAX ? TF_MAX : tf;
        post_val(pv, doc, tf, d.dl);
        tk = term_key(p, a->lang->code, term, (size_t)len);
        if (upd_fail(u, mdb_cursor_put(c, &tk, &v, MDB_NODUPDATA), "terms")
            == 0) {
            mdb_cursor_count(c, &df);
        }
        top_offer(&top, term, bm25(bm25_idf((double)ls.ndocs, (double)df), tf,
                                   bm25_norm(d.dl, &ls)));
    }
    mdb_cursor_close(c);
    put_record(u, a, doc, d.dl, &top, 0);
    put_key(u, a, doc);
    lists_of(u, a, doc);
    apr_pool_destroy(p);
}

static apr_uint32_t next_doc(upd_t *u)
{
    apr_uint64_t n = meta_u64(u->txn, u->st, "next");

    upd_fail(u, meta_put_u64(u->txn, u->st, "next", n + 1), "meta");
    return (apr_uint32_t)n;
}

/* Another article than the one of doc `self` already claims a's key or its
 * place in its translation group: the file holding it first wins, as in a
 * full load.  Returns a reason, or NULL. */
static const char *claimed(upd_t *u, const art_article_t *a, apr_uint32_t self)
{
    apr_uint32_t other = key_doc(u->txn, u->st, u->p, a->lang->code, a->id);
    rec_t r;

    if (other != NO_DOC && other != self && rec_get(u->txn, u->st, other, &r)) {
        return apr_psprintf(u->p, "article id '%s' in language '%s' is "
                            "already used by %s", a->id, a->lang->code,
                            rec_str(&r, S_FILE));
    }
    if (a->translation) {
        art_list_entry_t docs[64];
        int n = 0, i;
        art_store_txn_t t;

        memset(&t, 0, sizeof(t));
        t.st = u->st;
        t.txn = u->txn;
        n = art_store_list(&t, ART_LIST_TRANSLATION, NULL, a->translation, 0,
                           64, docs, NULL);
        for (i = 0; i < n; i++) {
            if ((apr_uint32_t)docs[i].doc != self
                && rec_get(u->txn, u->st, (apr_uint32_t)docs[i].doc, &r)
                && strcmp(rec_str(&r, S_LANG), a->lang->code) == 0) {
                return apr_psprintf(u->p, "translation group '%s' already has "
                                    "a '%s' article: %s", a->translation,
                                    a->lang->code, rec_str(&r, S_FILE));
            }
        }
    }
    return NULL;
}

static void update_incremental(upd_t *u, const art_snapshot_t *s,
                               art_store_result_t *res)
{
    apr_hash_t *by_file = apr_hash_make(u->p);
    apr_array_header_t *gone = apr_array_make(u->p, 4, sizeof(const char *));
    MDB_cursor *c;
    MDB_val k, v;
    int i, rc;

    for (i = 0; i < s->all.n; i++) {
        apr_hash_set(by_file, s->all.items[i]->file, APR_HASH_KEY_STRING,
                     s->all.items[i]);
    }
    /* Files no longer there: their articles go first, so a file taking
     * over a removed one's id in the same update is not a duplicate. */
    if (upd_fail(u, mdb_cursor_open(u->txn, u->st->files, &c), "files")) {
        return;
    }
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *rel = apr_pstrmemdup(u->p, k.mv_data, k.mv_size);
        file_rec_t f;

        if (apr_hash_get(u->present, rel, APR_HASH_KEY_STRING) == NULL
            && k.mv_size && ((const char *)k.mv_data)[0] != '#'
            && v.mv_size >= sizeof(f)) {
            memcpy(&f, v.mv_data, sizeof(f));
            APR_ARRAY_PUSH(gone, const char *) = rel;
            if (f.doc != NO_DOC) {
                remove_doc(u, f.doc);
                res->removed++;
            }
        }
    }
    mdb_cursor_close(c);
    for (i = 0; i < gone->nelts; i++) {
        MDB_val gk = str_key(u->p, APR_ARRAY_IDX(gone, i, const char *));
        upd_fail(u, mdb_del(u->txn, u->st->files, &gk, NULL), "files");
    }

    for (i = 0; i < u->seen->nelts; i++) {
        const seen_t *sn = &APR_ARRAY_IDX(u->seen, i, seen_t);
        const art_article_t *a = apr_hash_get(by_file, sn->rel,
                                              APR_HASH_KEY_STRING);
        file_rec_t old, f;
        int had = file_get(u, sn->rel, &old);
        const char *why;

        res->parsed++;
        f.size = sn->size;
        f.mtime = sn->mtime;
        f.hash = sn->hash;
        f.doc = had ? old.doc : NO_DOC;
        if (a == NULL) {
            /* Invalid now: its last good article (if any) stays. */
            if (had && old.doc != NO_DOC) {
                res->kept++;
            }
        }
        else if (had && old.doc != NO_DOC && old.hash == sn->hash) {
            /* Touched, not changed. */
        }
        else if ((why = claimed(u, a, f.doc)) != NULL) {
            note_problem(u, ART_E_DUPLICATE,
                         apr_pstrcat(u->p, s->root, "/", sn->rel, NULL), 0, why);
            if (had && old.doc != NO_DOC) {
                res->kept++;
            }
        }
        else {
            if (f.doc != NO_DOC) {
                remove_doc(u, f.doc);
            }
            f.doc = next_doc(u);
            add_doc(u, a, f.doc);
        }
        file_put(u, sn->rel, &f);
    }
}

/* A full build's postings, sorted by key before they are written. */
typedef struct term_out_t {
    const char *lang, *term;
    size_t len;
    apr_uint32_t df;
    const apr_uint32_t *docs;
    const apr_uint16_t *tfs;
} term_out_t;

typedef struct term_list_t {
    term_out_t *t;
    apr_size_t n, cap;
    int failed;
} term_list_t;

static void collect_term(void *baton, const char *lang, const char *term,
                         size_t len, apr_uint32_t df, const apr_uint32_t *docs,
                         const apr_uint16_t *tfs)
{
    term_list_t *l = baton;

    if (l->n == l->cap) {
        apr_size_t cap = l->cap ? 2 * l->cap : 4096;
        term_out_t *t = realloc(l->t, cap * sizeof(*t));

        if (t == NULL) {
            l->failed = 1;
            return;
        }
        l->t = t;
        l->cap = cap;
    }
    l->t[l->n].lang = lang;
    l->t[l->n].term = term;
    l->t[l->n].len = len;
    l->t[l->n].df = df;
    l->t[l->n].docs = docs;
    l->t[l->n].tfs = tfs;
    l->n++;
}

static int term_cmp(const void *x, const void *y)
{
    const term_out_t *a = x, *b = y;
    int c = strcmp(a->lang, b->lang);
    size_t n = a->len < b->len ? a->len : b->len;

    if (c) {
        return c;
    }
    if ((c = memcmp(a->term, b->term, n)) != 0) {
        return c;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

static apr_status_t free_terms(void *data)
{
    free(((term_list_t *)data)->t);
    return APR_SUCCESS;
}

/* An article a full build keeps at its last good version: its file does
 * not load now. */
typedef struct kept_t {
    const seen_t *seen;
    art_article_t a;
} kept_t;

static const char *dup_str(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

/* The old record r as an article of the new snapshot s (strings copied out
 * of the map); 0 when it names a language, collection or author s lacks. */
static int rec_to_article(apr_pool_t *p, const rec_t *r, const art_snapshot_t *s,
                          art_article_t *a)
{
    const char **strs;
    apr_uint32_t i, n = r->h.nauthors + 2 * r->h.ntags + r->h.nnotes
                        + r->h.npinned;

    memset(a, 0, sizeof(*a));
    a->lang = art_snapshot_lang(s, rec_str(r, S_LANG));
    a->collection = apr_hash_get(s->collection_by_id, rec_str(r, S_COLLECTION),
                                 APR_HASH_KEY_STRING);
    strs = apr_palloc(p, sizeof(char *) * (n + 1));
    if (a->lang == NULL || a->collection == NULL
        || !rec_strs(r, r->h.authors, r->h.nauthors, strs)
        || !rec_strs(r, r->h.tags, 2 * r->h.ntags, strs + r->h.nauthors)
        || !rec_strs(r, r->h.notes, r->h.nnotes,
                     strs + r->h.nauthors + 2 * r->h.ntags)
        || !rec_strs(r, r->h.pinned, r->h.npinned,
                     strs + r->h.nauthors + 2 * r->h.ntags + r->h.nnotes)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        strs[i] = apr_pstrdup(p, strs[i]);
    }
    a->authors = apr_palloc(p, sizeof(art_author_t *) * (r->h.nauthors + 1));
    for (i = 0; i < r->h.nauthors; i++) {
        a->authors[i] = apr_hash_get(s->author_by_id, strs[i],
                                     APR_HASH_KEY_STRING);
        if (a->authors[i] == NULL) {
            return 0;
        }
    }
    a->nauthors = (int)r->h.nauthors;
    a->tags = apr_palloc(p, sizeof(art_tag_t) * (r->h.ntags + 1));
    for (i = 0; i < r->h.ntags; i++) {
        a->tags[i].name = strs[r->h.nauthors + 2 * i];
        a->tags[i].key = strs[r->h.nauthors + 2 * i + 1];
    }
    a->ntags = (int)r->h.ntags;
    a->notes = strs + r->h.nauthors + 2 * r->h.ntags;
    a->nnotes = (int)r->h.nnotes;
    a->pinned_ids = a->notes + r->h.nnotes;
    a->npinned_ids = (int)r->h.npinned;
    a->id = dup_str(p, rec_str(r, S_ID));
    a->title = dup_str(p, rec_str(r, S_TITLE));
    a->summary = dup_str(p, rec_str(r, S_SUMMARY));
    a->published = dup_str(p, rec_str(r, S_PUBLISHED));
    a->updated = dup_str(p, rec_str(r, S_UPDATED));
    a->translation = dup_str(p, rec_str(r, S_TRANSLATION));
    a->body = apr_pstrmemdup(p, rec_str(r, S_BODY), r->h.body_len);
    a->body_len = r->h.body_len;
    a->signature = dup_str(p, rec_str(r, S_SIGNATURE));
    a->signature_date = dup_str(p, rec_str(r, S_SIGDATE));
    a->file = dup_str(p, rec_str(r, S_FILE));
    a->path = dup_str(p, rec_str(r, S_PATH));
    a->published_t = r->h.published_t;
    a->updated_t = r->h.updated_t;
    a->mtime = r->h.mtime;
    return rec_newsroom(p, r, a);
}

/* Before a full build drops the old version: the articles of files that do
 * not load now but did before, so the build keeps their last good version
 * (as an incremental update does) when the new site still has their
 * language, collection and authors. */
static apr_array_header_t *last_good(upd_t *u, const art_snapshot_t *s)
{
    apr_array_header_t *kept = apr_array_make(u->p, 1, sizeof(kept_t));
    int i;

    for (i = 0; i < u->seen->nelts; i++) {
        const seen_t *sn = &APR_ARRAY_IDX(u->seen, i, seen_t);
        file_rec_t f;
        rec_t r;
        kept_t k;

        if (!sn->ok && file_get(u, sn->rel, &f) && f.doc != NO_DOC
            && rec_get(u->txn, u->st, f.doc, &r)
            && rec_to_article(u->p, &r, s, &k.a)) {
            k.seen = sn;
            APR_ARRAY_PUSH(kept, kept_t) = k;
        }
    }
    return kept;
}

/* After a full build: add the kept articles no other article displaced. */
static void add_last_good(upd_t *u, apr_array_header_t *kept,
                          art_store_result_t *res)
{
    int i;

    for (i = 0; i < kept->nelts; i++) {
        kept_t *k = &APR_ARRAY_IDX(kept, i, kept_t);
        file_rec_t f;

        if (claimed(u, &k->a, NO_DOC) != NULL) {
            continue;
        }
        f.size = k->seen->size;
        f.mtime = k->seen->mtime;
        f.hash = k->seen->hash;
        f.doc = next_doc(u);
        add_doc(u, &k->a, f.doc);
        file_put(u, k->seen->rel, &f);
        res->kept++;
    }
}

/* Write everything from s, document ids its newest-first positions. */
static void update_full(upd_t *u, const art_snapshot_t *s,
                        art_store_result_t *res)
{
    art_store_t *st = u->st;
    term_list_t *tl = apr_pcalloc(u->p, sizeof(*tl));
    apr_hash_t *doc_of_file = apr_hash_make(u->p);
    unsigned char *vals = NULL;
    apr_size_t vcap = 0, i;
    MDB_cursor *c;
    int j;

    for (j = 0; j < s->all.n; j++) {
        const art_article_t *a = s->all.items[j];
        apr_uint32_t *d = apr_palloc(u->p, sizeof(*d));
        top_t top;
        const char *terms[ART_INDEX_TOP_TERMS];
        apr_uint32_t dl = s->text ? art_index_doc_len(s->text, j) : 0;

        top.n = s->text ? art_index_top_terms(s->text, j, ART_INDEX_TOP_TERMS,
                                              terms, top.w) : 0;
        memcpy(top.term, terms, sizeof(terms));
        *d = (apr_uint32_t)j;
        apr_hash_set(doc_of_file, a->file, APR_HASH_KEY_STRING, d);
        put_record(u, a, (apr_uint32_t)j, dl, &top, MDB_APPEND);
        put_key(u, a, (apr_uint32_t)j);
        lists_of(u, a, (apr_uint32_t)j);
        upd_fail(u, lang_stat_add(u->txn, st, a->lang->code, 1, dl), "meta");
    }
    upd_fail(u, meta_put_u64(u->txn, st, "next", (apr_uint64_t)s->all.n),
             "meta");
    for (j = 0; j < u->seen->nelts; j++) {
        const seen_t *sn = &APR_ARRAY_IDX(u->seen, j, seen_t);
        apr_uint32_t *d = apr_hash_get(doc_of_file, sn->rel,
                                       APR_HASH_KEY_STRING);
        file_rec_t f;

        f.size = sn->size;
        f.mtime = sn->mtime;
        f.hash = sn->hash;
        f.doc = d ? *d : NO_DOC;
        file_put(u, sn->rel, &f);
        res->parsed++;
    }
    if (s->text == NULL) {
        return;
    }
    apr_pool_cleanup_register(u->p, tl, free_terms, apr_pool_cleanup_null);
    art_index_each_term(s->text, collect_term, tl);
    if (tl->failed) {
        upd_fail(u, ENOMEM, "terms");
        return;
    }
    qsort(tl->t, tl->n, sizeof(*tl->t), term_cmp);
    if (upd_fail(u, mdb_cursor_open(u->txn, st->terms, &c), "terms")) {
        return;
    }
    for (i = 0; i < tl->n && u->rc == 0; i++) {
        const term_out_t *t = &tl->t[i];
        MDB_val k = term_key(u->p, t->lang, t->term, t->len), v[2];
        apr_uint32_t x;

        if ((apr_size_t)t->df * POST_VAL > vcap) {
            vcap = (apr_size_t)t->df * POST_VAL * 2;
            vals = apr_palloc(u->p, vcap);
        }
        for (x = 0; x < t->df; x++) {
            post_val(vals + (apr_size_t)x * POST_VAL, t->docs[x], t->tfs[x],
                     art_index_doc_len(s->text, (int)t->docs[x]));
        }
        v[0].mv_size = POST_VAL;
        v[0].mv_data = vals;
        v[1].mv_size = t->df;
        v[1].mv_data = NULL;
        upd_fail(u, mdb_cursor_put(c, &k, v, MDB_MULTIPLE), "terms");
    }
    mdb_cursor_close(c);
}

static void put_problem(art_buf_t *b, const problem_t *pr)
{
    apr_uint32_t line = (apr_uint32_t)pr->line;

    art_buf_append(b, (const char *)&line, sizeof(line));
    art_buf_append(b, pr->tag, strlen(pr->tag) + 1);
    art_buf_append(b, pr->rel, strlen(pr->rel) + 1);
    art_buf_append(b, pr->reason, strlen(pr->reason) + 1);
}

/* The problems of a full build with what is not an article file (a
 * collection.xml, a folder too deep) and its warnings, kept in meta for
 * art_store_problems; only a full build can change them. */
static void put_core_problems(upd_t *u)
{
    apr_hash_t *articles = apr_hash_make(u->p);
    apr_hash_index_t *hi;
    art_buf_t b;
    int i;

    for (i = 0; i < u->seen->nelts; i++) {
        apr_hash_set(articles, APR_ARRAY_IDX(u->seen, i, seen_t).rel,
                     APR_HASH_KEY_STRING, "");
    }
    art_buf_init(&b, u->p, 256);
    for (hi = apr_hash_first(u->p, u->problems); hi; hi = apr_hash_next(hi)) {
        void *v;

        apr_hash_this(hi, NULL, NULL, &v);
        if (!apr_hash_get(articles, ((problem_t *)v)->rel,
                          APR_HASH_KEY_STRING)) {
            put_problem(&b, v);
        }
    }
    for (i = 0; i < u->warnings->nelts; i++) {
        put_problem(&b, &APR_ARRAY_IDX(u->warnings, i, problem_t));
    }
    upd_fail(u, meta_put(u->txn, u->st, "problems", b.len ? b.data : "",
                         b.len), "meta");
}

/* A number that changes when site.xml, authors.xml, a collection.xml or
 * the set of collection folders changes: every article depends on them (the
 * caller adds the file size limit). */
static apr_uint64_t core_fingerprint(apr_pool_t *p, const char *root)
{
    apr_uint64_t fp = 0;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;
    const char *core[] = { "site.xml", "authors.xml" };
    int i;

    for (i = 0; i < 2; i++) {
        apr_uint64_t sig[2] = { 0, 0 };

        if (apr_stat(&fi, apr_pstrcat(p, root, "/", core[i], NULL),
                     APR_FINFO_SIZE | APR_FINFO_MTIME, p) == APR_SUCCESS) {
            sig[0] = (apr_uint64_t)fi.mtime;
            sig[1] = (apr_uint64_t)fi.size;
        }
        fp += art_hash64(sig, sizeof(sig), art_hash64(core[i], strlen(core[i]),
                                                      7));
    }
    if (apr_dir_open(&d, root, p) != APR_SUCCESS) {
        return fp;
    }
    while ((rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d))
           == APR_SUCCESS || rv == APR_INCOMPLETE) {
        apr_finfo_t ci;
        apr_uint64_t sig[2] = { 1, 1 };
        const char *coll;

        if (fi.name[0] == '.' || fi.name[0] == '_'
            || strcmp(fi.name, "site.xml") == 0
            || strcmp(fi.name, "authors.xml") == 0) {
            continue;
        }
        coll = apr_pstrcat(p, root, "/", fi.name, "/collection.xml", NULL);
        if (apr_stat(&ci, coll, APR_FINFO_SIZE | APR_FINFO_MTIME, p)
            == APR_SUCCESS) {
            sig[0] = (apr_uint64_t)ci.mtime;
            sig[1] = (apr_uint64_t)ci.size;
        }
        fp += art_hash64(sig, sizeof(sig), art_hash64(fi.name, strlen(fi.name),
                                                      11));
    }
    apr_dir_close(d);
    return fp;
}

static int drop_all(upd_t *u)
{
    art_store_t *st = u->st;
    MDB_dbi all[] = { st->files, st->docs, st->keys, st->lists, st->terms,
                      st->meta };
    apr_uint32_t want[2] = { ART_STORE_FORMAT, BYTE_ORDER_MARK };
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (upd_fail(u, mdb_drop(u->txn, all[i], 0), "drop")) {
            return 0;
        }
    }
    return upd_fail(u, meta_put(u->txn, st, "format", want, sizeof(want)),
                    "meta") == 0;
}

/* Holds the update lock file; -1 when another process has it (busy). */
static int lock_update(art_store_t *st, apr_pool_t *p, int wait, char **err)
{
    const char *path = store_file(p, st->dir, "update.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        *err = apr_psprintf(p, "%s: cannot open %s: %s", ART_E_STORE, path,
                            strerror(errno));
        return -2;
    }
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) {
            continue;
        }
        close(fd);
        if (errno == EWOULDBLOCK) {
            return -1;
        }
        *err = apr_psprintf(p, "%s: cannot lock %s: %s", ART_E_STORE, path,
                            strerror(errno));
        return -2;
    }
    return fd;
}

static int begin_write(art_store_t *st, MDB_txn **txn)
{
    int rc = mdb_txn_begin(st->env, NULL, 0, txn);

    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(st->env, 0);
        rc = mdb_txn_begin(st->env, NULL, 0, txn);
    }
    return rc;
}

apr_status_t art_store_update(art_store_t *st, apr_pool_t *p, const char *root,
                              const art_repo_opts_t *ro, int flags,
                              art_store_result_t *res, char **err)
{
    int wait = (flags & ART_STORE_WAIT) != 0;
    apr_time_t t0 = apr_time_now();
    apr_pool_t *sp;
    upd_t u;
    art_repo_opts_t o = *ro;
    art_repo_hooks_t hooks;
    art_snapshot_t *snap = NULL;
    apr_uint64_t core;
    MDB_val v;
    char *lerr = NULL;
    int fd, rc, dead = 0;
    apr_status_t rv = APR_SUCCESS;

    memset(res, 0, sizeof(*res));
    fd = lock_update(st, p, wait, err);
    if (fd == -1) {
        res->busy = 1;
        return APR_SUCCESS;
    }
    if (fd < 0) {
        return APR_EGENERAL;
    }
    /* Slots of readers killed mid-request would keep old pages from being
     * reused and grow the file with every update. */
    mdb_reader_check(st->env, &dead);
    apr_pool_create(&sp, p);
    memset(&u, 0, sizeof(u));
    u.st = st;
    u.p = sp;
    u.ro = ro;
    u.present = apr_hash_make(sp);
    u.root = root;
    u.quiet = (flags & ART_STORE_QUIET) != 0;
    u.problems = apr_hash_make(sp);
    u.warnings = apr_array_make(sp, 4, sizeof(problem_t));
    u.seen = apr_array_make(sp, 64, sizeof(seen_t));
    art_buf_init(&u.rec, sp, 16384);
    if ((rc = begin_write(st, &u.txn)) != 0) {
        *err = apr_psprintf(p, "%s: %s", ART_E_STORE,
                            lmdb_msg(sp, "cannot begin an update", rc));
        rv = APR_EGENERAL;
        goto done;
    }
    core = core_fingerprint(sp, root);
    /* Which files are too large depends on the limit too: a new limit is a
     * new build. */
    core += art_hash64(&ro->max_file_size, sizeof(ro->max_file_size), 13);
    u.full = meta_get(u.txn, st, "core", &v) != 0 || v.mv_size != sizeof(core)
             || memcmp(v.mv_data, &core, sizeof(core)) != 0
             || meta_get(u.txn, st, "root", &v) != 0
             || v.mv_size != strlen(root) || memcmp(v.mv_data, root,
                                                    v.mv_size) != 0;
    o.log = filter_log;
    o.baton = &u;
    hooks.want = u.full ? NULL : want_file;
    hooks.seen = seen_file;
    hooks.baton = &u;
    hooks.no_text_index = !u.full;
    if (art_repo_load_hooked(sp, root, &o, &hooks, NULL, &snap, &lerr)
        != APR_SUCCESS) {
        mdb_txn_abort(u.txn);
        *err = apr_psprintf(p, "%s; the store keeps its previous version",
                            lerr);
        rv = APR_EGENERAL;
        goto done;
    }
    if (!u.full && u.seen->nelts == 0) {
        /* Nothing parsed: only removals, if any, can have changed. */
        MDB_stat fs;

        mdb_stat(u.txn, st->files, &fs);
        if (fs.ms_entries == (size_t)apr_hash_count(u.present)) {
            res->articles = (int)meta_u64(u.txn, st, "count");
            mdb_txn_abort(u.txn);
            goto done;
        }
    }
    res->full = u.full;
    if (u.full) {
        art_buf_t tb;

        apr_array_header_t *kept = last_good(&u, snap);

        if (drop_all(&u)) {
            update_full(&u, snap, res);
            add_last_good(&u, kept, res);
        }
        art_buf_init(&tb, sp, 4096);
        tables_encode(&tb, snap);
        upd_fail(&u, meta_put(u.txn, st, "tables", tb.data, tb.len), "meta");
        upd_fail(&u, meta_put_u64(u.txn, st, "tgen",
                                  (apr_uint64_t)apr_time_now()), "meta");
        upd_fail(&u, meta_put(u.txn, st, "core", &core, sizeof(core)), "meta");
        put_core_problems(&u);
        upd_fail(&u, meta_put(u.txn, st, "root", root, strlen(root)), "meta");
    }
    else {
        update_incremental(&u, snap, res);
    }
    {
        MDB_stat ds;
        apr_uint64_t mt = meta_u64(u.txn, st, "mtime");

        mdb_stat(u.txn, st->docs, &ds);
        res->articles = (int)ds.ms_entries;
        if (u.full || (apr_uint64_t)snap->mtime > mt) {
            mt = (apr_uint64_t)snap->mtime;
        }
        upd_fail(&u, meta_put_u64(u.txn, st, "mtime", mt), "meta");
        upd_fail(&u, meta_put_u64(u.txn, st, "count", ds.ms_entries), "meta");
        upd_fail(&u, meta_put_u64(u.txn, st, "version",
                                  meta_u64(u.txn, st, "version") + 1), "meta");
    }
    rc = u.rc ? u.rc : mdb_txn_commit(u.txn);
    if (u.rc) {
        mdb_txn_abort(u.txn);
    }
    if (rc != 0) {
        *err = rc == MDB_MAP_FULL
               ? apr_psprintf(p, "%s: the store in %s is full (%" APR_SIZE_T_FMT
                              " MB reserved); set ArticlesStoreSize higher; it "
                              "keeps its previous version", ART_E_STORE,
                              st->dir, st->opts.map_size >> 20)
               : apr_psprintf(p, "%s: cannot write the store in %s: %s; it "
                              "keeps its previous version", ART_E_STORE,
                              st->dir, lmdb_msg(sp, u.rc_what ? u.rc_what
                                                : "commit", rc));
        rv = APR_EGENERAL;
        goto done;
    }
    res->committed = 1;

done:
    if (snap) {
        apr_pool_destroy(snap->pool);
    }
    apr_pool_destroy(sp);
    flock(fd, LOCK_UN);
    close(fd);
    res->elapsed = apr_time_now() - t0;
    return rv;
}

/* ---------------------------------------------------------------- reading */

static void tables_release(art_store_t *st, tables_ref_t *t)
{
    int last;

    if (t == NULL) {
        return;
    }
    art_mutex_lock(st->mu);
    last = --t->refs == 0;
    art_mutex_unlock(st->mu);
    if (last) {
        apr_pool_destroy(t->pool);
    }
}

/* The tables of t's version, decoded when this process has not seen that
 * generation yet. */
static tables_ref_t *tables_for(art_store_txn_t *t, char **err)
{
    art_store_t *st = t->st;
    apr_uint64_t gen = meta_u64(t->txn, st, "tgen");
    tables_ref_t *ref, *old = NULL;
    apr_pool_t *p;
    MDB_val v;

    art_mutex_lock(st->mu);
    ref = st->tables;
    if (ref && ref->gen == gen) {
        ref->refs++;
    }
    else {
        ref = NULL;
    }
    art_mutex_unlock(st->mu);
    if (ref) {
        return ref;
    }
    if (meta_get(t->txn, st, "tables", &v) != 0) {
        *err = apr_psprintf(st->pool, "%s: the store in %s holds no "
                            "repository yet", ART_E_STORE, st->dir);
        return NULL;
    }
    /* Unmanaged: made and freed from request threads. */
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    ref = apr_pcalloc(p, sizeof(*ref));
    ref->pool = p;
    ref->gen = gen;
    ref->refs = 2;
    if (!tables_decode(&ref->t, &v, p)) {
        apr_pool_destroy(p);
        *err = apr_psprintf(st->pool, "%s: the store in %s has damaged "
                            "tables; delete it to rebuild", ART_E_STORE,
                            st->dir);
        return NULL;
    }
    art_mutex_lock(st->mu);
    old = st->tables;
    st->tables = ref;
    art_mutex_unlock(st->mu);
    tables_release(st, old);
    return ref;
}

static void gen_unreserve(gen_t *g, apr_size_t n)
{
    __atomic_sub_fetch(&g->bytes, n, __ATOMIC_RELAXED);
}

/* Count n more bytes of entries in g; 0 (nothing counted) past GEN_BYTES. */
static int gen_reserve(gen_t *g, apr_size_t n)
{
    if (__atomic_add_fetch(&g->bytes, n, __ATOMIC_RELAXED) > GEN_BYTES) {
        gen_unreserve(g, n);
        return 0;
    }
    return 1;
}

static void gen_release(art_store_t *st, gen_t *g)
{
    int last, i;

    if (g == NULL) {
        return;
    }
    art_mutex_lock(st->mu);
    last = --g->refs == 0;
    art_mutex_unlock(st->mu);
    if (!last) {
        return;
    }
    for (i = 0; i < GEN_DOCS; i++) {
        free(g->docs[i]);
    }
    for (i = 0; i < GEN_LISTS; i++) {
        free(g->lists[i]);
    }
    for (i = 0; i < GEN_KEYS; i++) {
        free(g->keys[i]);
    }
    free(g->docs);
    free(g->lists);
    free(g->keys);
    free(g->root);
    tables_release(st, g->tables);
    free(g);
}

/* Forget the newest gen_t (the map moved, or the store closes). */
static void gen_drop(art_store_t *st)
{
    gen_t *old;

    art_mutex_lock(st->mu);
    old = st->gen;
    st->gen = NULL;
    art_mutex_unlock(st->mu);
    gen_release(st, old);
}

/* The gen_t of t's snapshot, with a reference for t: the newest one when t
 * reads the same snapshot (the usual case: no meta value is read), else a
 * new one, which becomes the newest unless a newer snapshot's already is. */
static gen_t *gen_for(art_store_txn_t *t, char **err)
{
    art_store_t *st = t->st;
    apr_uint64_t id = (apr_uint64_t)mdb_txn_id(t->txn);
    gen_t *g, *old = NULL;
    MDB_val root;

    art_mutex_lock(st->mu);
    g = st->gen;
    if (g && g->txnid == id) {
        g->refs++;
    }
    else {
        g = NULL;
    }
    art_mutex_unlock(st->mu);
    if (g) {
        return g;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL || (g->docs = calloc(GEN_DOCS, sizeof(*g->docs))) == NULL
        || (g->lists = calloc(GEN_LISTS, sizeof(*g->lists))) == NULL
        || (g->keys = calloc(GEN_KEYS, sizeof(*g->keys))) == NULL) {
        if (g) {
            free(g->docs);
            free(g->lists);
            free(g);
        }
        *err = apr_pstrdup(st->pool, "out of memory");
        return NULL;
    }
    g->refs = 1;
    g->txnid = id;
    if (meta_get(t->txn, st, "root", &root) == 0
        && (g->root = malloc(root.mv_size + 1)) != NULL) {
        memcpy(g->root, root.mv_data, root.mv_size);
        g->root[root.mv_size] = '\0';
    }
    g->tables = tables_for(t, err);
    if (g->tables == NULL) {
        gen_release(st, g);
        return NULL;
    }
    g->version = meta_u64(t->txn, st, "version");
    g->mtime = (apr_time_t)meta_u64(t->txn, st, "mtime");
    g->count = (int)meta_u64(t->txn, st, "count");
    art_mutex_lock(st->mu);
    if (st->gen == NULL || st->gen->txnid < id) {
        old = st->gen;
        st->gen = g;
        g->refs++;
    }
    art_mutex_unlock(st->mu);
    gen_release(st, old);
    return g;
}

apr_status_t art_store_begin(art_store_t *st, art_store_txn_t **out,
                             char **err)
{
    art_store_txn_t *t;
    int rc;

    art_mutex_lock(st->mu);
    t = st->free;
    if (t) {
        st->free = t->next;
    }
    art_mutex_unlock(st->mu);
    if (t) {
        rc = mdb_txn_renew(t->txn);
        if (rc != 0) {
            mdb_txn_abort(t->txn);
            t->txn = NULL;
        }
    }
    else {
        t = calloc(1, sizeof(*t));
        if (t == NULL) {
            *err = apr_pstrdup(st->pool, "out of memory");
            return APR_ENOMEM;
        }
        t->st = st;
    }
    if (t->txn == NULL) {
        rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t->txn);
        if (rc == MDB_MAP_RESIZED) {
            /* Another process grew the map: it may move, and with it what
             * the newest gen_t points at. */
            gen_drop(st);
            mdb_env_set_mapsize(st->env, 0);
            rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t->txn);
        }
        if (rc == MDB_READERS_FULL) {
            int dead = 0;

            mdb_reader_check(st->env, &dead);
            rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t->txn);
        }
        if (rc != 0) {
            free(t);
            *err = apr_psprintf(st->pool, "%s: cannot read the store in %s: %s",
                                ART_E_STORE, st->dir, mdb_strerror(rc));
            return APR_EGENERAL;
        }
    }
    t->gen = gen_for(t, err);
    if (t->gen == NULL) {
        mdb_txn_abort(t->txn);
        free(t);
        return APR_EGENERAL;
    }
    t->tables = t->gen->tables;
    t->version = t->gen->version;
    t->mtime = t->gen->mtime;
    t->count = t->gen->count;
    *out = t;
    return APR_SUCCESS;
}

void art_store_end(art_store_txn_t *t)
{
    art_store_t *st = t->st;

    gen_release(st, t->gen);
    t->gen = NULL;
    t->tables = NULL;
    mdb_txn_reset(t->txn);
    art_mutex_lock(st->mu);
    t->next = st->free;
    st->free = t;
    art_mutex_unlock(st->mu);
}

const art_store_tables_t *art_store_tables(const art_store_txn_t *t)
{
    return &t->tables->t;
}

apr_uint64_t art_store_version(const art_store_txn_t *t)
{
    return t->version;
}

apr_time_t art_store_mtime(const art_store_txn_t *t)
{
    return t->mtime;
}

int art_store_count(const art_store_txn_t *t)
{
    return t->count;
}

long art_store_find(art_store_txn_t *t, const char *lang, const char *id)
{
    char key[2 * ART_ID_MAX + 8];
    MDB_val k, v;
    apr_uint32_t doc;
    size_t ll = strlen(lang), il = strlen(id);
    gen_key_t **slot = NULL, *e, *none = NULL;
    apr_size_t size;

    if (ll + il + 2 > sizeof(key)) {
        return -1;
    }
    memcpy(key, lang, ll);
    key[ll] = '/';
    memcpy(key + ll + 1, id, il + 1);
    k.mv_data = key;
    k.mv_size = ll + 1 + il;
    /* Article pages and their pinned related articles look their keys up
     * on every request: the gen_t remembers the ones found. */
    if (t->gen) {
        slot = &t->gen->keys[art_fnv32(key, k.mv_size, ART_FNV32_INIT)
                             & (GEN_KEYS - 1)];
        e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (e && e->klen == k.mv_size && memcmp(e->key, key, k.mv_size) == 0) {
            return e->doc;
        }
        slot = e ? NULL : slot;
    }
    if (mdb_get(t->txn, t->st->keys, &k, &v) != 0 || v.mv_size != 4) {
        return -1;
    }
    memcpy(&doc, v.mv_data, 4);
    size = offsetof(gen_key_t, key) + k.mv_size;
    if (slot && gen_reserve(t->gen, size)) {
        if ((e = malloc(size)) == NULL) {
            gen_unreserve(t->gen, size);
        }
        else {
            e->doc = (long)doc;
            e->klen = k.mv_size;
            memcpy(e->key, key, k.mv_size);
            if (!__atomic_compare_exchange_n(slot, &none, e, 0,
                                             __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
                free(e);
                gen_unreserve(t->gen, size);
            }
        }
    }
    return (long)doc;
}

/* The memory a view of record r takes (the article and its small arrays in
 * one block: see rec_view), 0 for a damaged record. */
static apr_size_t rec_view_size(const rec_t *r)
{
    const rec_head_t *h = &r->h;

    /* Every string takes a byte at least: larger counts are damage. */
    if (h->nauthors > r->size || h->ntags > r->size || h->nnotes > r->size
        || h->npinned > r->size || h->ncorr > r->size) {
        return 0;
    }
    return sizeof(art_article_t)
           + sizeof(art_author_t *) * ((apr_size_t)h->nauthors + 1)
           + sizeof(art_tag_t) * ((apr_size_t)h->ntags + 1)
           + sizeof(char *) * ((apr_size_t)h->nnotes + h->npinned + 1)
           + sizeof(art_correction_t) * ((apr_size_t)h->ncorr + 1);
}

/* The view of record r (document doc) built in mem, rec_view_size(r) bytes
 * (pointer-aligned): the article, then its authors, tags, notes and pinned
 * ids, and corrections, every string pointing into the map.  One block, so
 * a view costs one allocation and can be kept whole (gen_t).  NULL on a
 * damaged record or one whose language or collection the tables lack. */
static art_article_t *rec_view(const rec_t *r, const art_store_tables_t *tb,
                               int doc, void *mem)
{
    const rec_head_t *h = &r->h;
    art_article_t *a = mem;
    char *at = (char *)(a + 1);
    art_correction_t *c;
    const char *lang = rec_str(r, S_LANG), *s[3];
    apr_uint32_t i, off;
    int j;

    memset(a, 0, sizeof(*a));
    for (j = 0; j < tb->site->langs->nelts; j++) {
        const art_lang_t *l = &APR_ARRAY_IDX(tb->site->langs, j, art_lang_t);

        if (strcmp(l->code, lang) == 0) {
            a->lang = l;
            break;
        }
    }
    a->collection = apr_hash_get(tb->collection_by_id,
                                 rec_str(r, S_COLLECTION),
                                 APR_HASH_KEY_STRING);
    if (a->lang == NULL || a->collection == NULL) {
        return NULL;
    }
    a->id = rec_str(r, S_ID);
    a->title = rec_str(r, S_TITLE);
    a->summary = rec_str(r, S_SUMMARY);
    a->published = rec_str(r, S_PUBLISHED);
    a->updated = rec_str(r, S_UPDATED);
    a->translation = rec_str(r, S_TRANSLATION);
    a->body = rec_str(r, S_BODY);
    a->body_len = h->body_len;
    a->signature = rec_str(r, S_SIGNATURE);
    a->signature_date = rec_str(r, S_SIGDATE);
    a->file = rec_str(r, S_FILE);
    a->path = rec_str(r, S_PATH);
    a->published_t = h->published_t;
    a->updated_t = h->updated_t;
    a->mtime = h->mtime;
    a->draft = h->draft != 0;
    a->doc = doc;
    a->authors = (const art_author_t **)at;
    at += sizeof(art_author_t *) * ((apr_size_t)h->nauthors + 1);
    a->tags = (art_tag_t *)at;
    at += sizeof(art_tag_t) * ((apr_size_t)h->ntags + 1);
    a->notes = (const char **)at;
    at += sizeof(char *) * ((apr_size_t)h->nnotes + h->npinned + 1);
    c = (art_correction_t *)at;
    off = h->authors;
    for (i = 0; i < h->nauthors; i++) {
        const art_author_t *au;

        if ((off = rec_strs(r, off, 1, s)) == 0) {
            return NULL;
        }
        au = apr_hash_get(tb->author_by_id, s[0], APR_HASH_KEY_STRING);
        if (au) {
            a->authors[a->nauthors++] = au;
        }
    }
    off = h->tags;
    for (i = 0; i < h->ntags; i++) {
        if ((off = rec_strs(r, off, 2, s)) == 0) {
            return NULL;
        }
        a->tags[i].name = s[0];
        a->tags[i].key = s[1];
    }
    a->ntags = (int)h->ntags;
    if (!rec_strs(r, h->notes, h->nnotes, a->notes)
        || !rec_strs(r, h->pinned, h->npinned, a->notes + h->nnotes)) {
        return NULL;
    }
    a->nnotes = (int)h->nnotes;
    a->pinned_ids = a->notes + h->nnotes;
    a->npinned_ids = (int)h->npinned;
    off = h->corr;
    for (i = 0; i < h->ncorr; i++) {
        if ((off = rec_strs(r, off, 3, s)) == 0) {
            return NULL;
        }
        c[i].date = s[0];
        c[i].text = s[1];
        c[i].date_t = (apr_time_t)apr_atoi64(s[2]);
    }
    a->corrections = c;
    a->ncorrections = (int)h->ncorr;
    return a;
}

int art_store_article(art_store_txn_t *t, long doc, apr_pool_t *p,
                      art_article_t *a)
{
    rec_t r;
    apr_size_t size;
    const art_article_t *v;

    if (doc < 0 || doc > (long)0x7FFFFFF0
        || !rec_get(t->txn, t->st, (apr_uint32_t)doc, &r)
        || (size = rec_view_size(&r)) == 0
        || (v = rec_view(&r, &t->tables->t, (int)doc,
                         apr_palloc(p, size))) == NULL) {
        return 0;
    }
    *a = *v;
    return 1;
}

/* Entries [offset, offset + n) of the list of key k into out[]; the list's
 * length in *total (may be NULL).  Read through a cursor, a page of entries
 * at a time. */
static int list_cursor(art_store_txn_t *t, MDB_val *k, int offset, int n,
                       art_list_entry_t *out, int *total)
{
    MDB_cursor *c;
    MDB_val v;
    size_t count = 0;
    int got = 0, rc;

    if (total) {
        *total = 0;
    }
    if (mdb_cursor_open(t->txn, t->st->lists, &c) != 0) {
        return 0;
    }
    if (mdb_cursor_get(c, k, &v, MDB_SET) != 0) {
        mdb_cursor_close(c);
        return 0;
    }
    mdb_cursor_count(c, &count);
    if (total) {
        *total = (int)count;
    }
    if (offset < 0) {
        offset = 0;
    }
    for (rc = mdb_cursor_get(c, k, &v, MDB_GET_MULTIPLE); rc == 0 && got < n;
         rc = mdb_cursor_get(c, k, &v, MDB_NEXT_MULTIPLE)) {
        size_t m = v.mv_size / LIST_VAL, i;
        const unsigned char *at = v.mv_data;

        if ((size_t)offset >= m) {
            offset -= (int)m;
            continue;
        }
        for (i = (size_t)offset; i < m && got < n; i++) {
            const unsigned char *e = at + i * LIST_VAL;
            apr_uint64_t u = ((apr_uint64_t)get_be32(e) << 32)
                             | get_be32(e + 4);

            out[got].published = (apr_time_t)(~u ^ ((apr_uint64_t)1 << 63));
            out[got++].doc = (int)get_be32(e + 8);
        }
        offset = 0;
    }
    mdb_cursor_close(c);
    return got;
}

/* The head of the list of key k as t's gen_t keeps it, read and kept at
 * the first ask when its slot is free; NULL when another list holds the
 * slot or the memo is full.  Pages ask for the same few lists over and
 * over (every list of a page's first screen, the list of every article
 * each request's view looks at), and a head answers their count and first
 * entries without a cursor. */
static const gen_list_t *list_head(art_store_txn_t *t, const MDB_val *k)
{
    gen_t *g = t->gen;
    gen_list_t **slot, *e, *none = NULL;
    apr_size_t size = offsetof(gen_list_t, key) + k->mv_size;
    MDB_val key = *k;

    slot = &g->lists[art_fnv32(k->mv_data, k->mv_size, ART_FNV32_INIT)
                     & (GEN_LISTS - 1)];
    e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (e) {
        return e->klen == k->mv_size
               && memcmp(e->key, k->mv_data, k->mv_size) == 0 ? e : NULL;
    }
    if (!gen_reserve(g, size)) {
        return NULL;
    }
    if ((e = malloc(size)) == NULL) {
        gen_unreserve(g, size);
        return NULL;
    }
    e->n = list_cursor(t, &key, 0, GEN_LIST_HEAD, e->e, &e->total);
    e->klen = k->mv_size;
    memcpy(e->key, k->mv_data, k->mv_size);
    if (__atomic_compare_exchange_n(slot, &none, e, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        return e;
    }
    free(e);
    gen_unreserve(g, size);
    return none->klen == k->mv_size
           && memcmp(none->key, k->mv_data, k->mv_size) == 0 ? none : NULL;
}

/* Entries [offset, offset + n) of a list into out[]; the list's length in
 * *total (may be NULL). */
static int list_read(art_store_txn_t *t, art_list_e kind, const char *lang,
                     const char *key, int offset, int n,
                     art_list_entry_t *out, int *total)
{
    char buf[KEY_MAX];
    apr_pool_t *p;
    const gen_list_t *head;
    MDB_val k;
    size_t ll = lang ? strlen(lang) : 0, kl = key ? strlen(key) : 0;
    int got;
    static const char kinds[] = "alcutx";

    if (offset < 0) {
        offset = 0;
    }
    /* The key ("k/lang/key", as list_key makes it) is built on the stack
     * when it fits: lists are read on every page (several for a related
     * list), and a pool, or even a formatted print, per call would cost
     * more than the read. */
    if (3 + ll + kl < KEY_MAX) {
        buf[0] = kinds[kind];
        buf[1] = '/';
        memcpy(buf + 2, lang ? lang : "", ll);
        buf[2 + ll] = '/';
        memcpy(buf + 3 + ll, key ? key : "", kl);
        k.mv_data = buf;
        k.mv_size = 3 + ll + kl;
        head = t->gen ? list_head(t, &k) : NULL;
        if (head && n >= 0
            && (head->n == head->total
                || (offset <= head->n && n <= head->n - offset))) {
            if (total) {
                *total = head->total;
            }
            for (got = 0; got < n && offset + got < head->n; got++) {
                out[got] = head->e[offset + got];
            }
            return got;
        }
        return list_cursor(t, &k, offset, n, out, total);
    }
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    k = list_key(p, kind, lang, key);
    got = list_cursor(t, &k, offset, n, out, total);
    apr_pool_destroy(p);
    return got;
}

int art_store_list(art_store_txn_t *t, art_list_e kind, const char *lang,
                   const char *key, int offset, int n, art_list_entry_t *out,
                   int *total)
{
    return list_read(t, kind, lang, key, offset, n, out, total);
}

/* Accumulated scores: open addressing over document ids, and the places
 * used in the order first met, so ranking visits the documents scored and
 * not the whole table. */
typedef struct acc_t {
    apr_uint32_t *doc;           /* NO_DOC = empty */
    float *score;
    apr_size_t *used;            /* n places */
    apr_size_t mask, n;
} acc_t;

static float *acc_slot(acc_t *a, apr_uint32_t doc)
{
    apr_size_t i = (doc * 2654435761u) & a->mask;

    while (a->doc[i] != NO_DOC && a->doc[i] != doc) {
        i = (i + 1) & a->mask;
    }
    if (a->doc[i] == NO_DOC) {
        a->doc[i] = doc;
        a->score[i] = 0;
        a->used[a->n++] = i;
    }
    return &a->score[i];
}

typedef struct query_t {
    MDB_val terms[ART_INDEX_QUERY_TERMS];
    char buf[ART_INDEX_QUERY_TERMS][ART_ID_MAX + ART_TEXT_TERM_MAX + 2];
    const char *lang;
    int n;
} query_t;

static void query_term(void *baton, const char *term, size_t len, int pos)
{
    query_t *q = baton;
    size_t ll = strlen(q->lang);
    int i;

    (void)pos;
    if (q->n == ART_INDEX_QUERY_TERMS || ll + 1 + len > sizeof(q->buf[0])) {
        return;
    }
    memcpy(q->buf[q->n], q->lang, ll);
    q->buf[q->n][ll] = '\0';
    memcpy(q->buf[q->n] + ll + 1, term, len);
    for (i = 0; i < q->n; i++) {
        if (q->terms[i].mv_size == ll + 1 + len
            && memcmp(q->terms[i].mv_data, q->buf[q->n], ll + 1 + len) == 0) {
            return;
        }
    }
    q->terms[q->n].mv_data = q->buf[q->n];
    q->terms[q->n].mv_size = ll + 1 + len;
    q->n++;
}

static int hit_better(const art_index_hit_t *a, const art_index_hit_t *b)
{
    return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

/* A heap of hits, the worst at 0: add h to the n there are. */
static void hit_push(art_index_hit_t *heap, int n, art_index_hit_t h)
{
    int at = n;

    while (at > 0 && hit_better(&heap[(at - 1) / 2], &h)) {
        heap[at] = heap[(at - 1) / 2];
        at = (at - 1) / 2;
    }
    heap[at] = h;
}

/* Replace the worst of the n hits of the heap with h. */
static void hit_sift(art_index_hit_t *heap, int n, art_index_hit_t h)
{
    int at = 0, child;

    while ((child = 2 * at + 1) < n) {
        if (child + 1 < n && hit_better(&heap[child], &heap[child + 1])) {
            child++;
        }
        if (!hit_better(&h, &heap[child])) {
            break;
        }
        heap[at] = heap[child];
        at = child;
    }
    heap[at] = h;
}


/* Score the query's terms' postings in place; the best offset + limit
 * (within the window) sorted into hits.  Terms absent from the index are
 * skipped, as are those with more than max_df documents.  known_df,
 * at_term and at_val, when not NULL, are each term's document count, a
 * cursor on its postings and the value it found there, as the caller has
 * just looked them up (every term present), which saves looking each term
 * up twice. */
static int rank(art_store_txn_t *t, const query_t *q, const char *lang,
                long exclude, size_t max_df, const size_t *known_df,
                MDB_cursor *const *at_term, const MDB_val *at_val, int limit,
                int offset, art_index_hit_t *hits, int *total)
{
    lang_stat_t ls = lang_stat(t->txn, t->st, lang);
    MDB_cursor *c;
    MDB_val k, v;
    acc_t acc;
    size_t postings = 0, df[ART_INDEX_QUERY_TERMS], i;
    int use[ART_INDEX_QUERY_TERMS], window, nbest = 0, j, rc, out = 0;
    art_index_hit_t *best;
    float avgdl = ls.ndocs ? (float)((double)ls.total / (double)ls.ndocs) : 0;

    if (total) {
        *total = 0;
    }
    if (limit < 0) {
        limit = 0;
    }
    if (offset < 0) {
        offset = 0;
    }
    window = offset > ART_INDEX_WINDOW_MAX - limit ? ART_INDEX_WINDOW_MAX
                                                   : offset + limit;
    if (q->n == 0 || mdb_cursor_open(t->txn, t->st->terms, &c) != 0) {
        return 0;
    }
    for (j = 0; j < q->n; j++) {
        k = q->terms[j];
        use[j] = 0;
        df[j] = 0;
        if (known_df) {
            df[j] = known_df[j];
            use[j] = df[j] <= max_df;
            postings += use[j] ? df[j] : 0;
        }
        else if (mdb_cursor_get(c, &k, &v, MDB_SET) == 0
            && mdb_cursor_count(c, &df[j]) == 0 && df[j] <= max_df) {
            use[j] = 1;
            postings += df[j];
        }
    }
    memset(&acc, 0, sizeof(acc));
    for (acc.mask = 64; acc.mask < 2 * postings; acc.mask *= 2) {
    }
    acc.doc = malloc(acc.mask * sizeof(*acc.doc));
    acc.score = malloc(acc.mask * sizeof(*acc.score));
    acc.used = malloc(acc.mask * sizeof(*acc.used));
    best = malloc(sizeof(*best) * (size_t)(window + 1));
    if (acc.doc == NULL || acc.score == NULL || acc.used == NULL
        || best == NULL) {
        goto out;
    }
    memset(acc.doc, 0xFF, acc.mask * sizeof(*acc.doc));
    acc.mask--;
    /* Each document's contributions are summed in query-term order, so
     * scores do not depend on the order postings are met in. */
    for (j = 0; j < q->n; j++) {
        MDB_cursor *pc = at_term ? at_term[j] : c;
        float idf;

        if (!use[j]) {
            continue;
        }
        idf = bm25_idf((double)ls.ndocs, (double)df[j]);
        k = q->terms[j];
        /* A term of one document has no duplicates to read many at a
         * time: MDB_GET_MULTIPLE then succeeds and leaves v as found. */
        if (at_term) {
            v = at_val[j];
        }
        else if (mdb_cursor_get(c, &k, &v, MDB_SET) != 0) {
            continue;
        }
        for (rc = mdb_cursor_get(pc, &k, &v, MDB_GET_MULTIPLE); rc == 0;
             rc = mdb_cursor_get(pc, &k, &v, MDB_NEXT_MULTIPLE)) {
            const unsigned char *at = v.mv_data;
            size_t m = v.mv_size / POST_VAL;

            for (i = 0; i < m; i++, at += POST_VAL) {
                apr_uint32_t doc = get_be32(at);
                apr_uint32_t tf = ((apr_uint32_t)at[4] << 8) | at[5];
                apr_uint32_t dl = get_be32(at + 6);
                float norm = BM25_K1 * (1.0f - BM25_B + BM25_B
                                        * (avgdl > 0 ? dl / avgdl : 0));

                if ((long)doc != exclude) {
                    *acc_slot(&acc, doc) += bm25(idf, tf, norm);
                }
            }
        }
    }
    if (total) {
        *total = (int)acc.n;
    }
    /* The best window hits: a heap with the worst kept on top, then
     * sorted by taking the worst off one at a time.  hit_better is a
     * strict order, so the hits and their order are the same whatever
     * order the documents are visited in. */
    for (i = 0; i < acc.n && window > 0; i++) {
        art_index_hit_t h;

        h.doc = (int)acc.doc[acc.used[i]];
        h.score = acc.score[acc.used[i]];
        if (nbest < window) {
            hit_push(best, nbest++, h);
        }
        else if (hit_better(&h, &best[0])) {
            hit_sift(best, nbest, h);
        }
    }
    for (j = nbest; j > 1; j--) {
        art_index_hit_t worst = best[0];

        hit_sift(best, j - 1, best[j - 1]);
        best[j - 1] = worst;
    }
    for (j = offset; j < nbest && out < limit; j++) {
        hits[out++] = best[j];
    }
out:
    mdb_cursor_close(c);
    free(acc.doc);
    free(acc.score);
    free(acc.used);
    free(best);
    return out;
}

int art_store_search(art_store_txn_t *t, const char *lang, const char *query,
                     size_t qlen, int limit, int offset, art_index_hit_t *hits,
                     int *total)
{
    query_t *q = malloc(sizeof(*q));
    int n;

    if (total) {
        *total = 0;
    }
    if (q == NULL) {
        return 0;
    }
    q->n = 0;
    q->lang = lang;
    art_text_tokenize(query, qlen > ART_INDEX_QUERY_MAX ? ART_INDEX_QUERY_MAX
                                                        : qlen,
                      lang, query_term, q);
    n = rank(t, q, lang, -1, (size_t)-1, NULL, NULL, NULL, limit, offset,
             hits, total);
    free(q);
    return n;
}

int art_store_similar(art_store_txn_t *t, long doc, int limit, int max_df,
                      art_index_hit_t *hits, float *self)
{
    rec_t r;
    const char *terms[ART_INDEX_TOP_TERMS];
    size_t dfs[ART_INDEX_QUERY_TERMS];
    MDB_cursor *at[ART_INDEX_QUERY_TERMS];
    MDB_val vals[ART_INDEX_QUERY_TERMS];
    query_t *q;
    float sum = 0;
    int i, n;
    MDB_cursor *c = NULL;

    if (self) {
        *self = 0;
    }
    if (doc < 0 || !rec_get(t->txn, t->st, (apr_uint32_t)doc, &r)
        || r.h.ntop > ART_INDEX_TOP_TERMS
        || !rec_strs(&r, r.h.top, r.h.ntop, terms)
        || (q = malloc(sizeof(*q))) == NULL) {
        return 0;
    }
    q->n = 0;
    q->lang = rec_str(&r, S_LANG);
    /* Each term kept keeps the cursor that found it, on its postings, for
     * rank to read from; a term left out passes its cursor on. */
    for (i = 0; i < (int)r.h.ntop; i++) {
        MDB_val k, v;
        size_t df = 0;
        float w;
        int before = q->n;

        query_term(q, terms[i], strlen(terms[i]), 0);
        if (q->n == before) {
            continue;
        }
        if (c == NULL && mdb_cursor_open(t->txn, t->st->terms, &c) != 0) {
            q->n--;
            break;
        }
        k = q->terms[q->n - 1];
        if (mdb_cursor_get(c, &k, &v, MDB_SET) != 0
            || mdb_cursor_count(c, &df) != 0 || df > (size_t)max_df) {
            q->n--;
            continue;
        }
        dfs[q->n - 1] = df;
        at[q->n - 1] = c;
        vals[q->n - 1] = v;
        c = NULL;
        memcpy(&w, r.base + r.h.topw + sizeof(float) * (size_t)i, sizeof(w));
        sum += w;
    }
    if (c) {
        mdb_cursor_close(c);
    }
    if (self) {
        *self = sum;
    }
    n = q->n ? rank(t, q, q->lang, doc, (size_t)max_df, dfs, at, vals, limit,
                    0, hits, NULL)
             : 0;
    for (i = 0; i < q->n; i++) {
        mdb_cursor_close(at[i]);
    }
    free(q);
    return n;
}

/* ---------------------------------------------------------------- snapshot */

/* One request's view of a version.  Articles come from the gen_t's memo
 * when it has them; the few a request decodes itself are kept in a small
 * array (a table past VIEW_MINE), so each is still one pointer for the
 * whole request. */
#define VIEW_MINE 16

typedef struct view_t {
    art_store_txn_t *t;
    apr_pool_t *p;
    int nmine;
    int mine_doc[VIEW_MINE];
    const art_article_t *mine[VIEW_MINE];
    apr_hash_t *more;            /* apr_uint32_t id -> art_article_t * */
} view_t;

/* The set of two slots where doc's view may be kept: two, so that of the
 * few thousand articles pages keep asking for, those whose ids fall on the
 * same place are not left out (one of them was, with one slot a place). */
static art_article_t **gen_set(gen_t *g, int doc)
{
    return &g->docs[(apr_uint32_t)doc & (GEN_DOCS - 1) & ~1u];
}

/* doc's view in the memo of t's gen_t, or NULL; *avail (may be NULL) gets
 * a slot of its set seen free, or NULL. */
static art_article_t *gen_doc(const art_store_txn_t *t, int doc,
                              art_article_t ***avail)
{
    art_article_t **set = gen_set(t->gen, doc), *a;
    int i;

    if (avail) {
        *avail = NULL;
    }
    for (i = 0; i < 2; i++) {
        a = __atomic_load_n(&set[i], __ATOMIC_ACQUIRE);
        if (a && a->doc == doc) {
            return a;
        }
        if (a == NULL && avail && *avail == NULL) {
            *avail = &set[i];
        }
    }
    return NULL;
}

static const art_article_t *view_doc(const art_snapshot_t *s, int doc)
{
    view_t *v = s->ops_data;
    gen_t *g = v->t->gen;
    art_article_t **slot, *a, *none = NULL;
    apr_uint32_t *k;
    apr_size_t size;
    void *mem;
    rec_t r;
    int i;

    if (doc < 0) {
        return NULL;
    }
    /* The request's own first: once it has decoded an article, that is
     * the one it keeps seeing even if the memo takes the document later. */
    for (i = 0; i < v->nmine; i++) {
        if (v->mine_doc[i] == doc) {
            return v->mine[i];
        }
    }
    if (v->more) {
        apr_uint32_t id = (apr_uint32_t)doc;

        if ((a = apr_hash_get(v->more, &id, sizeof(id))) != NULL) {
            return a;
        }
    }
    if ((a = gen_doc(v->t, doc, &slot)) != NULL) {
        return a;
    }
    if (!rec_get(v->t->txn, v->t->st, (apr_uint32_t)doc, &r)
        || (size = rec_view_size(&r)) == 0) {
        return NULL;
    }
    if (slot && gen_reserve(g, size)) {
        if ((mem = malloc(size)) == NULL) {
            gen_unreserve(g, size);
        }
        else if ((a = rec_view(&r, &g->tables->t, doc, mem)) == NULL) {
            free(mem);
            gen_unreserve(g, size);
            return NULL;
        }
        else if (__atomic_compare_exchange_n(slot, &none, a, 0,
                                             __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
            return a;
        }
        else {
            /* Another thread filled the slot meanwhile. */
            free(mem);
            gen_unreserve(g, size);
            if (none->doc == doc) {
                return none;
            }
        }
    }
    a = rec_view(&r, &g->tables->t, doc, apr_palloc(v->p, size));
    if (a == NULL) {
        return NULL;
    }
    if (v->nmine < VIEW_MINE) {
        v->mine_doc[v->nmine] = doc;
        v->mine[v->nmine++] = a;
        return a;
    }
    if (v->more == NULL) {
        v->more = apr_hash_make(v->p);
    }
    k = apr_palloc(v->p, sizeof(*k));
    *k = (apr_uint32_t)doc;
    apr_hash_set(v->more, k, sizeof(*k), a);
    return a;
}

static const char *view_doc_id(const art_snapshot_t *s, int doc,
                               apr_time_t *published)
{
    view_t *v = s->ops_data;
    const art_article_t *a;
    rec_t r;

    if (doc < 0) {
        return NULL;
    }
    if ((a = gen_doc(v->t, doc, NULL)) != NULL) {
        if (published) {
            *published = art_article_when(a);
        }
        return a->id;
    }
    if (!rec_get(v->t->txn, v->t->st, (apr_uint32_t)doc, &r)) {
        return NULL;
    }
    if (published) {
        *published = r.h.draft ? ART_TIME_DRAFT : r.h.published_t;
    }
    return rec_str(&r, S_ID);
}

static const art_article_t *view_article(const art_snapshot_t *s,
                                         const char *lang, const char *id)
{
    view_t *v = s->ops_data;
    long doc = art_store_find(v->t, lang, id);

    return doc < 0 ? NULL : view_doc(s, (int)doc);
}

static const art_list_t *view_list(const art_snapshot_t *s, art_list_e kind,
                                   const char *lang, const char *key)
{
    view_t *v = s->ops_data;
    art_list_t *l;
    art_list_entry_t e;
    int total = 0;

    list_read(v->t, kind, lang, key, 0, 0, &e, &total);
    if (total == 0) {
        return NULL;
    }
    l = apr_pcalloc(v->p, sizeof(*l));
    l->n = total;
    l->s = s;
    l->kind = kind;
    l->lang = lang;
    l->key = key;
    return l;
}

static int view_entries(const art_list_t *l, int offset, int n,
                        art_list_entry_t *out)
{
    view_t *v = l->s->ops_data;

    return list_read(v->t, l->kind, l->lang, l->key, offset, n, out, NULL);
}

static int view_search(const art_snapshot_t *s, const char *lang,
                       const char *q, size_t qlen, int limit, int offset,
                       art_index_hit_t *hits, int *total)
{
    view_t *v = s->ops_data;

    return art_store_search(v->t, lang, q, qlen, limit, offset, hits, total);
}

static int view_similar(const art_snapshot_t *s, const art_article_t *a,
                        int limit, int max_df, art_index_hit_t *hits,
                        float *self)
{
    view_t *v = s->ops_data;

    return art_store_similar(v->t, a->doc, limit, max_df, hits, self);
}

static int view_pinned(const art_snapshot_t *s, const art_article_t *a,
                       const art_article_t **out)
{
    int i, j, n = 0;

    for (i = 0; i < a->npinned_ids; i++) {
        const art_article_t *r = view_article(s, a->lang->code,
                                              a->pinned_ids[i]);

        for (j = 0; j < n && out[j] != r; j++) {
        }
        if (r && r != a && j == n) {
            out[n++] = r;
        }
    }
    return n;
}

static const art_snapshot_ops_t view_ops = {
    view_article, view_doc, view_doc_id, view_list, view_entries, view_search,
    view_similar, view_pinned
};

art_snapshot_t *art_store_snapshot(art_store_txn_t *t, apr_pool_t *p)
{
    art_snapshot_t *s = apr_pcalloc(p, sizeof(*s));
    view_t *v = apr_palloc(p, sizeof(*v));
    const art_store_tables_t *tb = &t->tables->t;

    v->t = t;
    v->p = p;
    v->nmine = 0;
    v->more = NULL;
    s->pool = p;
    s->ops = &view_ops;
    s->ops_data = v;
    s->count = t->count;
    s->mtime = t->mtime;
    /* The store's version stands for the content digest an in-memory load
     * computes: it names what the status page, the shared response cache and
     * the sitemaps were made from, and every process reads the same one. */
    s->fingerprint = t->version;
    s->digest = t->version;
    if (t->gen->root) {
        s->root = apr_pstrdup(p, t->gen->root);
    }
    s->site = tb->site;
    s->authors = tb->authors;
    s->author_by_id = tb->author_by_id;
    s->collections = tb->collections;
    s->collection_by_id = tb->collection_by_id;
    return s;
}

/* ---------------------------------------------------------------- problems */

/* The next NUL-terminated string of [*at, end), NULL at an overrun. */
static const char *next_str(const char **at, const char *end)
{
    const char *s = *at, *nul;

    if (s >= end || (nul = memchr(s, '\0', (size_t)(end - s))) == NULL) {
        return NULL;
    }
    *at = nul + 1;
    return s;
}

int art_store_problems(art_store_t *st, apr_pool_t *p, art_repo_log_fn *log,
                       void *baton)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    const char *root, *at, *end;
    int n = 0, rc;

    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0) {
        return 0;
    }
    if (meta_get(txn, st, "root", &v) != 0) {
        mdb_txn_abort(txn);
        return 0;
    }
    root = apr_pstrmemdup(p, v.mv_data, v.mv_size);
    if (meta_get(txn, st, "problems", &v) == 0) {
        at = v.mv_data;
        end = at + v.mv_size;
        while (end - at > 4) {
            apr_uint32_t line;
            const char *tag, *rel, *reason;

            memcpy(&line, at, sizeof(line));
            at += sizeof(line);
            if ((tag = next_str(&at, end)) == NULL
                || (rel = next_str(&at, end)) == NULL
                || (reason = next_str(&at, end)) == NULL) {
                break;
            }
            log(baton, 0, tag, apr_pstrcat(p, root, "/", rel, NULL),
                (int)line, reason);
            n += strcmp(tag, ART_W_RELATED) != 0;
        }
    }
    if (mdb_cursor_open(txn, st->files, &c) == 0) {
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            file_rec_t f;
            const char *tag, *reason;

            if (v.mv_size <= sizeof(f)) {
                continue;
            }
            memcpy(&f, v.mv_data, sizeof(f));
            at = (const char *)v.mv_data + sizeof(f);
            end = (const char *)v.mv_data + v.mv_size;
            if ((tag = next_str(&at, end)) == NULL
                || (reason = next_str(&at, end)) == NULL) {
                continue;
            }
            log(baton, 0, tag, apr_pstrcat(p, root, "/",
                                           apr_pstrmemdup(p, k.mv_data,
                                                          k.mv_size), NULL),
                (int)f.line, reason);
            n++;
        }
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    return n;
}
