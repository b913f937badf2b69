/* fuzz_article.c: libFuzzer target for the repository loader (art_repo.c) fed one
 * article file.
 *
 * Article files come from whoever may commit to the repository, and the loader
 * reads them with libxml2, validates them against the built-in RELAX NG schema,
 * parses dates and ids by hand, and serialises the body into HTML that is later
 * sent unescaped.  This target runs that whole path, cross-checks included, on
 * one article at a time: the input becomes news/x.xml in a repository whose
 * site.xml, authors.xml, news/collection.xml and news/a.xml are fixed and valid.
 * a.xml is read first (files in byte order of their names), so an input that
 * reuses its id or translation group reaches the duplicate checks.
 *
 * The repository lives in a temporary folder made once (on /dev/shm when there
 * is one, since every input is written to disk).  Besides sanitizer reports the
 * target checks what the loader promises: a bad article never fails the whole
 * load, and each article either loads or is reported exactly once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_repo.h"

/* The languages and authors the seed corpus (conf/sample/repo and t/repo-bad)
 * refers to, so that seeds reach the checks after the author and language
 * look-ups. */
static const char site_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<site default-lang=\"en\">\n"
    "  <title xml:lang=\"en\">Fuzz Site</title>\n"
    "  <url>https://fuzz.example.org/</url>\n"
    "  <language code=\"en\" dir=\"ltr\" name=\"English\"/>\n"
    "  <language code=\"fa\" dir=\"rtl\" name=\"Dari\"/>\n"
    "  <language code=\"ps\" dir=\"rtl\" name=\"Pashto\"/>\n"
    "  <language code=\"de\" dir=\"ltr\" name=\"Deutsch\"/>\n"
    "</site>\n";

static const char authors_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<authors>\n"
    "  <author id=\"farid-noori\"><name>Farid Noori</name></author>\n"
    "  <author id=\"abbas-hashemite\"><name>Abbas Hashemite</name></author>\n"
    "  <author id=\"muhammad-ali-baig\"><name>Muhammad Ali Baig</name></author>\n"
    "  <author id=\"taut-bataut\"><name>Taut Bataut</name></author>\n"
    "  <author id=\"nasrin-rahimi\"><name>Nasrin Rahimi</name></author>\n"
    "  <author id=\"zarghuna-wardak\"><name>Zarghuna Wardak</name></author>\n"
    "</authors>\n";

static const char collection_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<collection id=\"news\">\n"
    "  <title xml:lang=\"en\">News</title>\n"
    "</collection>\n";

/* t/repo-bad/news/good-one.xml: duplicate-id.xml and translation-twice.xml of
 * the seed corpus collide with it. */
static const char a_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<article id=\"good-one\" xml:lang=\"en\" published=\"2025-01-10\"\n"
    "         translation=\"news-pair\">\n"
    "  <title>Good One</title>\n"
    "  <author ref=\"farid-noori\"/>\n"
    "  <body><p>Valid.</p></body>\n"
    "</article>\n";

static char root[256];
static char article_path[300];
static apr_pool_t *top;

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "fuzz_article: cannot write %s: %s\n", path,
                strerror(errno));
        abort();
    }
}

static void remove_repo(void)
{
    static const char *const files[] = {
        "news/x.xml", "news/a.xml", "news/collection.xml", "authors.xml",
        "site.xml", NULL
    };
    char path[400];
    int i;

    for (i = 0; files[i]; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/news", root);
    rmdir(path);
    rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    char path[400];
    char *err = NULL;

    (void)argc;
    (void)argv;
    if (access("/dev/shm", W_OK) == 0) {
        tmp = "/dev/shm";
    }
    snprintf(root, sizeof(root), "%s/fuzz_article.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        fprintf(stderr, "fuzz_article: mkdtemp %s: %s\n", root, strerror(errno));
        abort();
    }
    atexit(remove_repo);
    snprintf(path, sizeof(path), "%s/news", root);
    if (mkdir(path, 0700) != 0) {
        fprintf(stderr, "fuzz_article: mkdir %s: %s\n", path, strerror(errno));
        abort();
    }
    snprintf(path, sizeof(path), "%s/site.xml", root);
    write_file(path, site_xml, sizeof(site_xml) - 1);
    snprintf(path, sizeof(path), "%s/authors.xml", root);
    write_file(path, authors_xml, sizeof(authors_xml) - 1);
    snprintf(path, sizeof(path), "%s/news/collection.xml", root);
    write_file(path, collection_xml, sizeof(collection_xml) - 1);
    snprintf(path, sizeof(path), "%s/news/a.xml", root);
    write_file(path, a_xml, sizeof(a_xml) - 1);
    snprintf(article_path, sizeof(article_path), "%s/news/x.xml", root);

    apr_initialize();
    apr_pool_create(&top, NULL);
    if (art_repo_init(top, &err) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_article: art_repo_init: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    art_repo_opts_t opts = { ART_REPO_DEFAULT_MAX_FILE, NULL, NULL };
    art_snapshot_t *snap = NULL;
    apr_pool_t *p;
    char *err = NULL;

    write_file(article_path, data, size);
    apr_pool_create(&p, top);
    if (art_repo_load(p, root, &opts, &snap, &err) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_article: an article failed the whole load: %s\n",
                err ? err : "(no message)");
        abort();
    }
    /* a.xml always loads; x.xml either loads or is reported once. */
    if (snap->all.n < 1 || snap->all.n + snap->nerrors != 2) {
        fprintf(stderr, "fuzz_article: %d articles and %d errors from two "
                "files\n", snap->all.n, snap->nerrors);
        abort();
    }
    apr_pool_destroy(snap->pool);
    apr_pool_destroy(p);
    return 0;
}
