/* art_tplset.h: the templates of one folder, compiled together.
 *
 * Every "NAME.mustache" file of the ArticlesTemplates folder is compiled when the
 * set is loaded; partials and parents are looked up by NAME in the same set, so
 * rendering never touches the disk.  A set is immutable; a changed folder gives a
 * new set (see art_gen.h for how it replaces the old one).
 */
#ifndef ART_TPLSET_H
#define ART_TPLSET_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "art_mustache.h"

typedef struct art_tplset_t {
    apr_pool_t *pool;            /* unmanaged; destroy to free */
    const char *dir;
    apr_hash_t *byname;          /* NAME -> const art_tpl_t * */
    apr_time_t mtime;            /* newest template file */
    apr_uint64_t fingerprint;    /* names, sizes and times of the files */
} art_tplset_t;

/* Compile every template of dir; on error *err names the file and line. */
apr_status_t art_tplset_load(apr_pool_t *p, const char *dir, art_tplset_t **out,
                             char **err);

/* The fingerprint art_tplset_load would record, without compiling anything. */
apr_uint64_t art_tplset_fingerprint(apr_pool_t *p, const char *dir,
                                    apr_time_t *mtime);

/* art_tpl_resolve_fn over a set (baton: the set). */
const art_tpl_t *art_tplset_resolve(void *baton, const char *name);

#endif
