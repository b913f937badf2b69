/* store_test.c: the LMDB repository store (art_store) without a server.
 *
 * The oracle is the in-memory loader (art_repo_load): after every change to a
 * copy of the repository the store, brought up to date incrementally, must
 * hold exactly what a fresh load gives (every field of every article, every
 * list, translation groups, search results and scores), while parsing only
 * the files that changed.  Then what must never be lost: an invalid edit
 * keeps the last good article, a bad site.xml keeps the whole version, a
 * writer killed (SIGKILL) in the middle of its write transaction leaves the
 * previous version readable, a corrupt or foreign store file is replaced,
 * a read transaction keeps seeing its version while a writer commits, and a
 * second writer is told busy instead of repeating the work.
 *
 * Usage: store_test REPO (the sample repository; it is copied, never
 * written).  Prints one line per failure and finally "store: N passed, M
 * failed"; the exit status is non-zero when anything failed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <lmdb.h>

#include "art_index.h"
#include "art_repo.h"
#include "art_store.h"
#include "unit_check.h"


/* Log lines are collected so tests can look for them. */
static char logbuf[65536];
static int kill_on_duplicate;

static void collect(void *baton, int fatal, const char *tag, const char *file,
                    int line, const char *reason)
{
    size_t n = strlen(logbuf);

    (void)baton;
    (void)fatal;
    if (kill_on_duplicate && strcmp(tag, ART_E_DUPLICATE) == 0) {
        /* The crash this test fakes: the writer dies with its transaction
         * open and some of the update already written into it. */
        raise(SIGKILL);
    }
    apr_snprintf(logbuf + n, sizeof(logbuf) - n, "%s: %s:%d: %s\n", tag, file,
                 line, reason);
}

static apr_pool_t *pool;
static char repo[256], dir[256];
static art_repo_opts_t ro = { 0, collect, NULL };
static art_store_opts_t so = { 0, collect, NULL };

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    apr_vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        printf("store_test: command failed: %s\n", cmd);
        exit(2);
    }
}

static void put_file(const char *rel, const char *text)
{
    char path[512];
    FILE *f;

    apr_snprintf(path, sizeof(path), "%s/%s", repo, rel);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        printf("store_test: cannot write %s\n", path);
        exit(2);
    }
}

static char *get_file(apr_pool_t *p, const char *rel)
{
    char *data;
    apr_size_t n;
    apr_file_t *f;
    apr_finfo_t fi;
    const char *path = apr_pstrcat(p, repo, "/", rel, NULL);

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        printf("store_test: cannot read %s\n", path);
        exit(2);
    }
    n = (apr_size_t)fi.size;
    data = apr_palloc(p, n + 1);
    apr_file_read_full(f, data, n, &n);
    data[n] = '\0';
    apr_file_close(f);
    return data;
}

/* text with the first occurrence of from replaced by to. */
static char *replace(apr_pool_t *p, const char *text, const char *from,
                     const char *to)
{
    const char *at = strstr(text, from);

    if (at == NULL) {
        printf("store_test: '%s' not found\n", from);
        exit(2);
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, text, (apr_size_t)(at - text)), to,
                       at + strlen(from), NULL);
}

static int streq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* ---------------------------------------------------------------- compare */

static char msg[1024];

#define MSG(...) (apr_snprintf(msg, sizeof(msg), __VA_ARGS__), msg)

static int same_article(const art_article_t *x, const art_article_t *y)
{
    int i;

    if (!streq(x->id, y->id) || x->lang != NULL) {
        /* x from the snapshot: compare language codes */
    }
    if (!streq(x->id, y->id) || !streq(x->lang->code, y->lang->code)
        || !streq(x->title, y->title) || !streq(x->summary, y->summary)
        || !streq(x->published, y->published) || !streq(x->updated, y->updated)
        || x->published_t != y->published_t || x->updated_t != y->updated_t
        || !streq(x->translation, y->translation)
        || x->body_len != y->body_len || memcmp(x->body, y->body, x->body_len)
        || !streq(x->signature, y->signature)
        || !streq(x->signature_date, y->signature_date)
        || !streq(x->file, y->file) || !streq(x->path, y->path)
        || x->mtime != y->mtime
        || !streq(x->collection->id, y->collection->id)
        || x->nauthors != y->nauthors || x->ntags != y->ntags
        || x->nnotes != y->nnotes || x->npinned_ids != y->npinned_ids) {
        return 0;
    }
    for (i = 0; i < x->nauthors; i++) {
        if (!streq(x->authors[i]->id, y->authors[i]->id)) {
            return 0;
        }
    }
    for (i = 0; i < x->ntags; i++) {
        if (!streq(x->tags[i].name, y->tags[i].name)
            || !streq(x->tags[i].key, y->tags[i].key)) {
            return 0;
        }
    }
    for (i = 0; i < x->nnotes; i++) {
        if (!streq(x->notes[i], y->notes[i])) {
            return 0;
        }
    }
    for (i = 0; i < x->npinned_ids; i++) {
        if (!streq(x->pinned_ids[i], y->pinned_ids[i])) {
            return 0;
        }
    }
    return 1;
}

/* "lang/id" of a store document. */
static const char *doc_name(art_store_txn_t *t, apr_pool_t *p, long doc)
{
    art_article_t a;

    if (!art_store_article(t, doc, p, &a)) {
        return apr_psprintf(p, "(no doc %ld)", doc);
    }
    return apr_pstrcat(p, a.lang->code, "/", a.id, NULL);
}

static int name_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* A list of the store, read through a store-backed snapshot as requests
 * read it, equals the loaded snapshot's: same length, published times never
 * increasing, and the same articles (ties of one published time may be
 * ordered differently, by document id). */
static void same_list(const art_snapshot_t *view, apr_pool_t *p,
                      const char *what, art_list_e kind, const char *lang,
                      const char *key, const art_list_t *want)
{
    const art_list_t *l = art_snapshot_list(view, kind, lang, key);
    int wn = want ? want->n : 0, n = l ? l->n : 0, i, ok = n == wn;
    const art_article_t **got = apr_palloc(p, sizeof(void *)
                                           * (apr_size_t)(n + 1));
    art_list_entry_t *e = apr_palloc(p, sizeof(*e) * (apr_size_t)(n + 1));
    const char **a = apr_palloc(p, sizeof(char *) * (apr_size_t)(n + 1));
    const char **b = apr_palloc(p, sizeof(char *) * (apr_size_t)(wn + 1));
    apr_time_t prev = APR_INT64_MAX;

    if (ok && n) {
        ok = art_list_slice(l, 0, n, got) == n
             && art_list_entries(l, 0, n, e) == n;
    }
    for (i = 0; ok && i < n; i++) {
        ok = got[i]->published_t <= prev && got[i]->doc == e[i].doc
             && got[i]->published_t == e[i].published;
        prev = got[i]->published_t;
        a[i] = apr_pstrcat(p, got[i]->lang->code, "/", got[i]->id, NULL);
    }
    /* A slice from the middle is the same places. */
    if (ok && n > 2) {
        const art_article_t *mid[2];
        ok = art_list_slice(l, n - 2, 5, mid) == 2 && mid[0] == got[n - 2]
             && mid[1] == got[n - 1];
    }
    for (i = 0; ok && i < wn; i++) {
        b[i] = apr_pstrcat(p, want->items[i]->lang->code, "/",
                           want->items[i]->id, NULL);
    }
    if (ok) {
        qsort(a, (size_t)n, sizeof(char *), name_cmp);
        qsort(b, (size_t)wn, sizeof(char *), name_cmp);
        for (i = 0; i < n; i++) {
            ok &= strcmp(a[i], b[i]) == 0;
        }
    }
    CHECK(ok, "%s", MSG("%s: list %s differs (%d articles, want %d)", what,
                  apr_pstrcat(p, lang ? lang : "", "/", key ? key : "", NULL),
                  n, wn));
}

/* Every list of one index of the snapshot ("lang/key" -> list). */
static void same_lists(const art_snapshot_t *t, apr_pool_t *p,
                       const char *what, art_list_e kind, apr_hash_t *index)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(p, index); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        char *lang, *key;

        apr_hash_this(hi, &k, NULL, &v);
        lang = apr_pstrdup(p, k);
        if (kind == ART_LIST_TRANSLATION) {
            same_list(t, p, what, kind, NULL, lang, v);
            continue;
        }
        key = strchr(lang, '/');
        if (key) {
            *key++ = '\0';
        }
        same_list(t, p, what, kind, lang, key, v);
    }
}

typedef struct scored_t {
    const char *name;
    float score;
} scored_t;

static int scored_cmp(const void *x, const void *y)
{
    const scored_t *a = x, *b = y;

    if (a->score != b->score) {
        return a->score > b->score ? -1 : 1;
    }
    return strcmp(a->name, b->name);
}

/* Search of the store and of the snapshot's index: the same articles with
 * bit-identical scores (the window holds every hit of a small repository). */
static void same_search(art_store_txn_t *t, apr_pool_t *p, const char *what,
                        const art_snapshot_t *s, const char *lang,
                        const char *q)
{
    art_index_hit_t h1[ART_INDEX_WINDOW_MAX], h2[ART_INDEX_WINDOW_MAX];
    int t1, t2, n1, n2, i, ok;
    scored_t a[ART_INDEX_WINDOW_MAX], b[ART_INDEX_WINDOW_MAX];

    n1 = art_store_search(t, lang, q, strlen(q), ART_INDEX_WINDOW_MAX, 0, h1,
                          &t1);
    n2 = art_index_search(s->text, lang, q, strlen(q), ART_INDEX_WINDOW_MAX, 0,
                          h2, &t2);
    ok = n1 == n2 && t1 == t2;
    for (i = 0; ok && i < n1; i++) {
        a[i].name = doc_name(t, p, h1[i].doc);
        a[i].score = h1[i].score;
        b[i].name = apr_pstrcat(p, s->all.items[h2[i].doc]->lang->code, "/",
                                s->all.items[h2[i].doc]->id, NULL);
        b[i].score = h2[i].score;
    }
    if (ok) {
        qsort(a, (size_t)n1, sizeof(*a), scored_cmp);
        qsort(b, (size_t)n1, sizeof(*b), scored_cmp);
        for (i = 0; i < n1; i++) {
            ok &= strcmp(a[i].name, b[i].name) == 0 && a[i].score == b[i].score;
        }
    }
    CHECK(ok, "%s", MSG("%s: search %s '%s': %d hits of %d, want %d of %d", what,
                  lang, q, n1, t1, n2, t2));
}

/* A UI string of site.xml, NULL when absent. */
static const char *ui_string(const art_site_t *site, const char *lang,
                             const char *key)
{
    apr_hash_t *h = apr_hash_get(site->strings, lang, APR_HASH_KEY_STRING);

    return h ? apr_hash_get(h, key, APR_HASH_KEY_STRING) : NULL;
}

/* The store holds exactly what a fresh load of the repository gives. */
static void same_as_load(const char *what, art_store_t *st)
{
    apr_pool_t *p;
    art_snapshot_t *s;
    art_store_txn_t *t;
    const art_store_tables_t *tb;
    const art_snapshot_t *view;
    char *err = NULL;
    int i, ok = 1;

    apr_pool_create(&p, pool);
    logbuf[0] = '\0';
    if (art_repo_load(p, repo, &ro, &s, &err) != APR_SUCCESS) {
        CHECK(0, "%s", MSG("%s: the oracle load failed: %s", what, err));
        apr_pool_destroy(p);
        return;
    }
    if (art_store_begin(st, &t, &err) != APR_SUCCESS) {
        CHECK(0, "%s", MSG("%s: cannot read the store: %s", what, err));
        apr_pool_destroy(s->pool);
        apr_pool_destroy(p);
        return;
    }
    CHECK(art_store_count(t) == s->all.n, "%s",
          MSG("%s: %d articles, want %d", what, art_store_count(t), s->all.n));
    for (i = 0; i < s->all.n; i++) {
        const art_article_t *a = s->all.items[i];
        long doc = art_store_find(t, a->lang->code, a->id);
        art_article_t v;

        if (doc < 0 || !art_store_article(t, doc, p, &v) || !same_article(a, &v)) {
            ok = 0;
            CHECK(0, "%s", MSG("%s: article %s/%s differs or is missing", what,
                         a->lang->code, a->id));
        }
    }
    CHECK(ok, "%s", MSG("%s: every article", what));
    tb = art_store_tables(t);
    CHECK(tb->authors->nelts == s->authors->nelts
          && tb->collections->nelts == s->collections->nelts
          && tb->site->langs->nelts == s->site->langs->nelts
          && streq(tb->site->default_lang, s->site->default_lang)
          && streq(tb->site->url, s->site->url)
          && s->site->logo && streq(tb->site->logo, s->site->logo)
          && streq(tb->site->email, s->site->email)
          && streq(tb->site->tagline, s->site->tagline)
          && streq(ui_string(tb->site, "en", "more-on-topic"),
                   ui_string(s->site, "en", "more-on-topic"))
          && ui_string(s->site, "en", "more-on-topic") != NULL, "%s",
          MSG("%s: site, authors and collections", what));
    view = art_store_snapshot(t, p);
    CHECK(art_snapshot_count(view) == s->all.n, "the view counts the articles");
    same_list(view, p, what, ART_LIST_ALL, NULL, NULL, &s->all);
    same_lists(view, p, what, ART_LIST_LANG, s->by_lang);
    same_lists(view, p, what, ART_LIST_COLLECTION, s->by_collection);
    same_lists(view, p, what, ART_LIST_AUTHOR, s->by_author);
    same_lists(view, p, what, ART_LIST_TAG, s->by_tag);
    same_lists(view, p, what, ART_LIST_TRANSLATION, s->by_translation);
    for (i = 0; i < s->all.n; i++) {
        const art_article_t *a = s->all.items[i];
        const art_article_t *v = art_snapshot_article(view, a->lang->code,
                                                      a->id);
        const art_article_t *pin[16];
        const art_list_t *tr = v ? art_article_translations(view, v) : NULL;
        int np = v && v->npinned_ids <= 16 ? art_article_pinned(view, v, pin)
                                            : -1, j;

        ok = v && same_article(a, v) && v == art_snapshot_doc(view, v->doc)
             && (tr ? tr->n : 0) == (a->translations ? a->translations->n : 0)
             && np == a->npinned;
        for (j = 0; ok && j < np; j++) {
            ok = streq(pin[j]->id, a->pinned[j]->id);
        }
        CHECK(ok, "%s", MSG("%s: the view of %s/%s (translations, related refs)",
                      what, a->lang->code, a->id));
    }
    /* Search with a word of every title, and two at once. */
    for (i = 0; i < s->all.n; i++) {
        const art_article_t *a = s->all.items[i];
        char word[64];

        if (sscanf(a->title, "%63s", word) == 1) {
            same_search(t, p, what, s, a->lang->code, word);
        }
        if (i > 0 && s->all.items[i - 1]->lang == a->lang) {
            same_search(t, p, what, s, a->lang->code,
                        apr_pstrcat(p, s->all.items[i - 1]->title, " ",
                                    a->title, NULL));
        }
    }
    art_store_end(t);
    apr_pool_destroy(s->pool);
    apr_pool_destroy(p);
}

/* After a full build document ids are the snapshot's positions, so "more
 * like this" must match the in-memory index hit for hit. */
static void same_similar(art_store_t *st)
{
    apr_pool_t *p;
    art_snapshot_t *s;
    art_store_txn_t *t;
    char *err = NULL;
    int i, j, ok = 1, some = 0;

    apr_pool_create(&p, pool);
    if (art_repo_load(p, repo, &ro, &s, &err) != APR_SUCCESS
        || art_store_begin(st, &t, &err) != APR_SUCCESS) {
        CHECK(0, "similar: cannot load or read");
        return;
    }
    for (i = 0; i < s->all.n; i++) {
        art_index_hit_t h1[10], h2[10];
        float s1, s2;
        int n1 = art_store_similar(t, i, 10, 1000, h1, &s1);
        int n2 = art_index_similar_df(s->text, i, 10, 1000, h2, &s2);

        ok &= n1 == n2 && s1 == s2;
        for (j = 0; ok && j < n1; j++) {
            ok &= h1[j].doc == h2[j].doc && h1[j].score == h2[j].score;
        }
        some += n2;
    }
    CHECK(ok && some > 0,
          "similar articles of a full build are the in-memory index's");
    art_store_end(t);
    apr_pool_destroy(s->pool);
    apr_pool_destroy(p);
}

/* ---------------------------------------------------------------- steps */

static art_store_result_t update(art_store_t *st, apr_status_t *rv, char **err)
{
    art_store_result_t res;

    logbuf[0] = '\0';
    *err = NULL;
    *rv = art_store_update(st, pool, repo, &ro, 0, &res, err);
    return res;
}

static art_store_t *open_store(void)
{
    art_store_t *st;
    char *err = NULL;

    if (art_store_open(pool, dir, &so, &st, &err) != APR_SUCCESS) {
        printf("store_test: cannot open the store: %s\n", err);
        exit(2);
    }
    return st;
}

static const char *title_of(art_store_t *st, const char *lang, const char *id)
{
    art_store_txn_t *t;
    art_article_t a;
    char *err;
    const char *title = NULL;
    long doc;

    if (art_store_begin(st, &t, &err) != APR_SUCCESS) {
        return NULL;
    }
    doc = art_store_find(t, lang, id);
    if (doc >= 0 && art_store_article(t, doc, pool, &a)) {
        title = apr_pstrdup(pool, a.title);
    }
    art_store_end(t);
    return title;
}

static apr_uint64_t version_of(art_store_t *st)
{
    art_store_txn_t *t;
    char *err;
    apr_uint64_t v;

    if (art_store_begin(st, &t, &err) != APR_SUCCESS) {
        return 0;
    }
    v = art_store_version(t);
    art_store_end(t);
    return v;
}

/* Any article file of the copy: "collection/…/name.xml", its language and
 * id, from a load. */
typedef struct pick_t {
    const char *file, *lang, *id;
} pick_t;

static pick_t pick(int which)
{
    art_snapshot_t *s;
    char *err;
    pick_t k = { NULL, NULL, NULL };

    if (art_repo_load(pool, repo, &ro, &s, &err) == APR_SUCCESS
        && which < s->all.n) {
        const art_article_t *a = s->all.items[which];
        k.file = apr_pstrdup(pool, a->file + (a->file[0] == '/'));
        k.lang = apr_pstrdup(pool, a->lang->code);
        k.id = apr_pstrdup(pool, a->id);
        apr_pool_destroy(s->pool);
    }
    if (k.file == NULL) {
        printf("store_test: no article %d\n", which);
        exit(2);
    }
    return k;
}

int main(int argc, char **argv)
{
    art_store_t *st;
    art_store_result_t res;
    apr_status_t rv;
    char *err;
    pick_t a, b, c;
    char *text, *old_site;
    char tmpl[] = "/tmp/store_test.XXXXXX";
    apr_uint64_t v;

    if (argc != 2) {
        fprintf(stderr, "usage: store_test REPO\n");
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    if (art_repo_init(pool, &err) != APR_SUCCESS) {
        printf("store_test: %s\n", err);
        return 2;
    }
    art_repo_set_threads(1);
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    apr_snprintf(repo, sizeof(repo), "%s/repo", tmpl);
    apr_snprintf(dir, sizeof(dir), "%s/store", tmpl);
    sh("cp -R '%s' '%s'", argv[1], repo);
    /* A logo, when the site has none: every field of site.xml must reach
     * the store. */
    text = get_file(pool, "site.xml");
    if (strstr(text, "<logo>") == NULL && strstr(text, "<language ")) {
        put_file("site.xml", replace(pool, text, "<language ",
                                     "<logo>/img/logo.png</logo>\n  <language "));
    }

    /* Built from nothing. */
    st = open_store();
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.committed && res.full && res.articles > 3, "%s",
          MSG("build from nothing: %s", err ? err : "no commit"));
    same_as_load("built", st);
    same_similar(st);
    v = version_of(st);
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && !res.committed && res.parsed == 0
          && version_of(st) == v, "nothing changed: nothing parsed or written");

    /* Another file size limit: which files are too large changes, so the
     * store is rebuilt, and again when it is set back. */
    ro.max_file_size = 2 * 1024 * 1024;
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.committed && res.full,
          "a new ArticlesMaxFileSize rebuilds the store");
    ro.max_file_size = 0;
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.full, "... and setting it back too");
    v = version_of(st);

    /* An edit: one file parsed, the rest untouched. */
    a = pick(0);
    b = pick(1);
    c = pick(2);
    text = get_file(pool, a.file);
    put_file(a.file, replace(pool, text, "<title>",
                             "<title>Zanzibar quokka edited "));
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.committed && !res.full && res.parsed == 1, "%s",
          MSG("an edit parses one file (parsed %d, full %d)", res.parsed,
              res.full));
    same_as_load("after an edit", st);
    {
        art_store_txn_t *t;
        art_index_hit_t h[4];
        int n = 0;

        if (art_store_begin(st, &t, &err) == APR_SUCCESS) {
            n = art_store_search(t, a.lang, "quokka", 6, 4, 0, h, NULL);
            CHECK(n == 1 && h[0].doc == art_store_find(t, a.lang, a.id),
                  "the edited title's new word is found");
            art_store_end(t);
        }
    }

    /* A read transaction keeps its version while a writer commits. */
    {
        art_store_txn_t *t;
        art_article_t before, during;

        art_store_txn_t *t2, *t3;
        const art_article_t *va = NULL, *vb = NULL, *vc = NULL;

        if (art_store_begin(st, &t, &err) == APR_SUCCESS) {
            long doc = art_store_find(t, b.lang, b.id);

            art_store_article(t, doc, pool, &before);
            /* Two transactions of one version share the process's decoded
             * views of it (art_store.c's gen_t). */
            va = art_snapshot_article(art_store_snapshot(t, pool), b.lang,
                                      b.id);
            if (art_store_begin(st, &t2, &err) == APR_SUCCESS) {
                vb = art_snapshot_article(art_store_snapshot(t2, pool),
                                          b.lang, b.id);
                art_store_end(t2);
            }
            CHECK(va && va == vb, "one version's views are shared by its "
                  "transactions");
            put_file(b.file, replace(pool, get_file(pool, b.file), "<title>",
                                     "<title>Second edit "));
            res = update(st, &rv, &err);
            CHECK(res.committed, "a second edit is written");
            CHECK(art_store_find(t, b.lang, b.id) == doc
                  && art_store_article(t, doc, pool, &during)
                  && strcmp(during.title, before.title) == 0,
                  "a read transaction sees one version from start to end");
            /* The newer version has views of its own, while the older
             * transaction still reads its own. */
            if (art_store_begin(st, &t3, &err) == APR_SUCCESS) {
                vc = art_snapshot_article(art_store_snapshot(t3, pool),
                                          b.lang, b.id);
                CHECK(vc && vc != va
                      && strncmp(vc->title, "Second edit ", 12) == 0,
                      "a view of the new version has the new title");
                art_store_end(t3);
            }
            CHECK(va && strcmp(va->title, before.title) == 0
                  && art_snapshot_article(art_store_snapshot(t, pool),
                                          b.lang, b.id) == va,
                  "... and the older one keeps its view");
            art_store_end(t);
        }
        CHECK(strncmp(title_of(st, b.lang, b.id), "Second edit ", 12) == 0,
              "a new transaction sees the new version");
    }

    /* An addition: a copy of c under a new id. */
    text = get_file(pool, c.file);
    text = replace(pool, text, apr_psprintf(pool, "id=\"%s\"", c.id),
                   "id=\"store-test-added\"");
    if (strstr(text, "translation=\"")) {
        char *at = strstr(text, "translation=\"");
        text = replace(pool, text, apr_pstrmemdup(pool, at, 13),
                       "translation=\"store-test-x");
    }
    put_file(apr_pstrcat(pool, c.file, ".added.xml", NULL), text);
    res = update(st, &rv, &err);
    CHECK(res.committed && res.parsed == 1 && res.removed == 0, "%s",
          MSG("an addition parses one file (parsed %d)", res.parsed));
    CHECK(title_of(st, c.lang, "store-test-added") != NULL,
          "the added article is there");
    same_as_load("after an addition", st);

    /* A deletion. */
    sh("rm '%s/%s'", repo, c.file);
    res = update(st, &rv, &err);
    CHECK(res.committed && res.removed == 1 && res.parsed == 0, "%s",
          MSG("a deletion removes one article (removed %d)", res.removed));
    CHECK(title_of(st, c.lang, c.id) == NULL, "the deleted article is gone");
    same_as_load("after a deletion", st);

    /* An invalid edit keeps the last good version, with the file's error. */
    put_file(a.file, "<article id=\"broken\"><title>unclosed</article>\n");
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.kept == 1, "%s",
          MSG("an invalid edit keeps the old article (kept %d)", res.kept));
    CHECK(strstr(logbuf, ART_E_WELLFORMED) && strstr(logbuf, a.file), "%s",
          MSG("the invalid file is logged with its name: %s", logbuf));
    CHECK(title_of(st, a.lang, a.id)
          && strstr(title_of(st, a.lang, a.id), "Zanzibar quokka"),
          "the last good version is still served");
    res = update(st, &rv, &err);
    CHECK(!res.committed && res.parsed == 0 && logbuf[0] == '\0',
          "the invalid file is not parsed and logged again until it changes");
    CHECK(art_store_problems(st, pool, collect, NULL) == 1
          && strstr(logbuf, ART_E_WELLFORMED) && strstr(logbuf, a.file), "%s",
          MSG("the store replays the file's problem: %s", logbuf));

    /* A bad site.xml keeps everything. */
    old_site = get_file(pool, "site.xml");
    v = version_of(st);
    put_file("site.xml", "<site>broken");
    res = update(st, &rv, &err);
    CHECK(rv != APR_SUCCESS && err && strstr(err, "site.xml")
          && strstr(err, "previous version"), "%s",
          MSG("a bad site.xml is an error naming it: %s", err ? err : ""));
    CHECK(version_of(st) == v && title_of(st, b.lang, b.id) != NULL,
          "a bad site.xml keeps the whole previous version");

    /* Fixing site.xml (a change every article depends on) rebuilds, and
     * the rebuild too keeps the invalid file's last good article. */
    put_file("site.xml", old_site);
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.committed && res.full && res.kept == 1, "%s",
          MSG("a site.xml change rebuilds (%s, kept %d)", err ? err : "ok",
              res.kept));
    CHECK(title_of(st, a.lang, a.id)
          && strstr(title_of(st, a.lang, a.id), "Zanzibar quokka"),
          "a rebuild keeps the last good version of an invalid file");
    logbuf[0] = '\0';
    CHECK(art_store_problems(st, pool, collect, NULL) == 1
          && strstr(logbuf, a.file), "... and its problem");
    sh("rm '%s/%s'", repo, a.file);
    res = update(st, &rv, &err);
    CHECK(res.committed && res.removed == 1, "the invalid file removed");
    same_as_load("after a rebuild", st);
    same_similar(st);

    /* A writer killed with its transaction open: the removal of b and the
     * edit of a new file are written into it when a duplicate is met. */
    v = version_of(st);
    sh("rm '%s/%s'", repo, b.file);
    put_file(apr_pstrcat(pool, b.file, ".zz-dup.xml", NULL),
             get_file(pool, pick(0).file));
    {
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
            art_store_t *child;

            kill_on_duplicate = 1;
            child = open_store();
            art_store_update(child, pool, repo, &ro, 0, &res, &err);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the writer was killed mid-update");
    }
    art_store_close(st);
    st = open_store();
    CHECK(version_of(st) == v && title_of(st, b.lang, b.id) != NULL,
          "a killed writer leaves the previous version readable");
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.committed && res.removed == 1, "%s",
          MSG("the next writer applies the change (%s)", err ? err : "ok"));
    CHECK(strstr(logbuf, ART_E_DUPLICATE) != NULL,
          "the duplicate is reported by the next writer");
    logbuf[0] = '\0';
    CHECK(art_store_problems(st, pool, collect, NULL) == 1
          && strstr(logbuf, ART_E_DUPLICATE) && strstr(logbuf, "zz-dup"), "%s",
          MSG("... and kept with its file: %s", logbuf));
    same_as_load("after a killed writer", st);

    /* A second writer is told busy instead of repeating the work. */
    {
        int fd = open(apr_pstrcat(pool, dir, "/update.lock", NULL), O_RDWR);
        pid_t pid = -1;
        int pfd[2], status;
        char ch;

        if (pipe(pfd) != 0) {
            perror("pipe");
            return 2;
        }
        if ((pid = fork()) == 0) {
            flock(fd, LOCK_EX);
            if (write(pfd[1], "x", 1) != 1) {
                _exit(1);
            }
            pause();
            _exit(0);
        }
        else {
            if (read(pfd[0], &ch, 1) != 1) {
                ch = 0;
            }
            put_file(a.file, get_file(pool, pick(0).file));
            res = update(st, &rv, &err);
            CHECK(rv == APR_SUCCESS && res.busy && !res.committed,
                  "another process updating: busy, nothing done");
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            close(fd);
            close(pfd[0]);
            close(pfd[1]);
        }
    }
    art_store_close(st);

    /* A file that is not an LMDB environment: logged, replaced, rebuilt. */
    sh("head -c 65536 /dev/urandom > '%s/data.mdb'", dir);
    logbuf[0] = '\0';
    st = open_store();
    CHECK(strstr(logbuf, ART_E_STORE) && strstr(logbuf, "rebuilt"), "%s",
          MSG("a corrupt store file is logged: %s", logbuf));
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.full, "... and rebuilt");
    same_as_load("after a corrupt file", st);
    art_store_close(st);

    /* A store of another format: logged, rebuilt. */
    {
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi meta;
        apr_uint32_t other[2] = { ART_STORE_FORMAT + 1, 0x01020304u };
        MDB_val k = { 6, "format" }, val = { sizeof(other), other };

        mdb_env_create(&env);
        mdb_env_set_maxdbs(env, 8);
        if (mdb_env_open(env, dir, 0, 0600) == 0
            && mdb_txn_begin(env, NULL, 0, &txn) == 0) {
            mdb_dbi_open(txn, "meta", 0, &meta);
            mdb_put(txn, meta, &k, &val, 0);
            mdb_txn_commit(txn);
        }
        mdb_env_close(env);
    }
    logbuf[0] = '\0';
    st = open_store();
    CHECK(strstr(logbuf, "format") != NULL, "%s",
          MSG("a store of another format is logged: %s", logbuf));
    res = update(st, &rv, &err);
    CHECK(rv == APR_SUCCESS && res.full, "... and rebuilt");
    same_as_load("after another format", st);
    art_store_close(st);

    /* A folder that cannot be made: a clear error, no crash. */
    {
        art_store_t *bad;
        char *e = NULL;
        const char *path = apr_pstrcat(pool, repo, "/site.xml/store", NULL);

        CHECK(art_store_open(pool, path, &so, &bad, &e) != APR_SUCCESS
              && e && strstr(e, ART_E_STORE) && strstr(e, path), "%s",
              MSG("an unusable folder is a clear error: %s", e ? e : ""));
    }

    sh("rm -rf '%s'", tmpl);
    printf("store: %d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}
