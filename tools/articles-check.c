/* articles-check: check an article repository before deploying it.
 *
 * Runs the module's own loader (art_repo.c) over REPO and prints every problem
 * as the server would log it, "TAG: file:line: reason".  Exit status: 0 when
 * every file loads, 1 when files would be skipped, 2 when the site itself is
 * broken (the server would refuse to start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_repo.h"

static void print(void *baton, int fatal, const char *tag, const char *file,
                  int line, const char *reason)
{
    (void)baton;
    (void)fatal;
    if (line > 0) {
        fprintf(stderr, "%s: %s:%d: %s\n", tag, file, line, reason);
    }
    else {
        fprintf(stderr, "%s: %s: %s\n", tag, file, reason);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: articles-check [--max-file-size BYTES] REPO\n");
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    art_repo_opts_t o = { ART_REPO_DEFAULT_MAX_FILE, print, NULL };
    art_snapshot_t *snap;
    const char *root = NULL;
    char *err = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-file-size") == 0 && i + 1 < argc) {
            o.max_file_size = (apr_size_t)strtoull(argv[++i], NULL, 10);
        }
        else if (argv[i][0] == '-') {
            usage();
            return 2;
        }
        else {
            root = argv[i];
        }
    }
    if (root == NULL) {
        usage();
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (art_repo_init(p, &err) != APR_SUCCESS) {
        fprintf(stderr, "articles-check: %s\n", err);
        return 2;
    }
    if (art_repo_load(p, root, &o, &snap, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    printf("%s: %d articles in %d languages, %d authors, %d collections; "
           "%d files skipped\n", root, snap->all.n,
           (int)apr_hash_count(snap->by_lang), snap->authors->nelts,
           snap->collections->nelts, snap->nerrors);
    i = snap->nerrors ? 1 : 0;
    apr_pool_destroy(snap->pool);
    return i;
}
