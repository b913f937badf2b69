/* art_repo.c: load an XML repository into an immutable snapshot (see art_repo.h).
 *
 * Order of work: site.xml and authors.xml (fatal when bad), then each collection
 * folder in name order; in each folder its files in name order, then its
 * sub-folders in name order.  The order makes the outcome deterministic: when two
 * files claim the same (language, id), the first one read wins on every server
 * and the later one is reported.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "art_buf.h"
#include "art_hash.h"
#include "art_html.h"
#include "art_index.h"
#include "art_repo.h"
#include "art_route.h"
#include "art_tag.h"
#include "art_time.h"
#include "art_valid.h"

/* The schema text, generated from articles.rng at build time. */
extern const char art_schema_rng[];

static int repo_ready;

#define MAX_DEPTH 16

/* The most threads that read, parse and validate files side by side. */
#define MAX_WORKERS 4

typedef struct parse_err_t {
    const char *tag;
    int line;
    char *msg;
    apr_pool_t *pool;
} parse_err_t;

/* One file to read: filled in by a worker, taken up in file order by the
 * loading thread. */
typedef struct file_job_t {
    const char *path;            /* full path */
    const char *rel;             /* relative to the repository */
    const char *root_name;       /* the document element it must have */
    int too_deep;                /* a folder not read: only a report */
    xmlDocPtr doc;               /* NULL when there was a problem: */
    parse_err_t pe;
    int read;                    /* bytes were read: */
    apr_size_t size;
    apr_uint64_t hash;           /* of the bytes */
    apr_time_t mtime;            /* 0 unless it counts for the newest time */
} file_job_t;

/* What one thread needs to read, parse and validate files.  Reused from file
 * to file: a fresh buffer and libxml2 contexts per file cost as much malloc
 * traffic as the parse itself.  Its pool has an allocator of its own, so no
 * two threads ever allocate from one. */
typedef struct worker_t {
    apr_pool_t *pool;            /* messages until the batch is taken up */
    apr_size_t max_file_size;
    char *buf;
    apr_size_t buf_cap;
    xmlParserCtxtPtr parser;
    art_valid_t *valid;
    int want_stats;
    art_repo_stats_t st;         /* read, parse, validate, files */
    file_job_t *jobs;            /* the batch: every nworkers-th job from */
    int first, njobs, step;
} worker_t;

typedef struct load_ctx_t {
    apr_pool_t *pool;            /* the snapshot's pool */
    apr_pool_t *scratch;         /* cleared after each file */
    const art_repo_opts_t *opts;
    const art_repo_hooks_t *hooks;  /* never NULL */
    art_snapshot_t *snap;
    apr_array_header_t *articles;   /* art_article_t * */
    apr_hash_t *files_by_key;       /* "lang/id" -> file, for duplicate reports */
    int want_stats;                 /* fill st, reading clocks */
    art_repo_stats_t st;
    worker_t workers[MAX_WORKERS];  /* [0] is the loading thread's own */
    int nworkers;
    char *plain;                    /* a body's text for the text index */
    apr_size_t plain_cap;
    const char **tags;              /* a document's tag names, likewise */
    int tags_cap;
} load_ctx_t;

/* ---------------------------------------------------------------- reporting */

static void report(load_ctx_t *lc, int fatal, const char *tag, const char *file,
                   int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void report(load_ctx_t *lc, int fatal, const char *tag, const char *file,
                   int line, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(lc->scratch, fmt, ap);
    va_end(ap);
    if (!fatal) {
        lc->snap->nerrors++;
    }
    if (lc->opts->log) {
        lc->opts->log(lc->opts->baton, fatal, tag, file, line, msg);
    }
}

/* ---------------------------------------------------------------- init */

apr_status_t art_repo_init(apr_pool_t *p, char **err)
{
    const char *msg;

    if (repo_ready) {
        return APR_SUCCESS;
    }
    xmlInitParser();
    /* The schemas live as long as the process: modules come and go with the
     * configuration, but every generation validates with them. */
    if (art_valid_init(art_schema_rng, &msg) != 0) {
        *err = apr_pstrdup(p, msg);
        return APR_EGENERAL;
    }
    repo_ready = 1;
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- parsing */

/* SAX hook for "<!DOCTYPE ... [": refuse the document before any declaration in
 * it is read, so entity bombs and external entities never get a chance. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *eid,
                       const xmlChar *sid)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_err_t *pe = ctxt->_private;

    (void)name;
    (void)eid;
    (void)sid;
    if (pe->tag == NULL) {
        pe->tag = ART_E_DTD;
        pe->line = ctxt->input ? ctxt->input->line : 0;
        pe->msg = apr_pstrdup(pe->pool, "document type declarations (DTDs) are "
                              "not allowed");
    }
    xmlStopParser(ctxt);
}

static char *trim_msg(apr_pool_t *p, const char *m);

/* Structured error hook of the parser: keep the first error, which names the
 * real problem (an unclosed tag), not the last ("premature end of data"). */
static void parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_err_t *pe = ctxt->_private;

    if (pe->tag == NULL && e != NULL && e->level >= XML_ERR_ERROR) {
        pe->tag = ART_E_WELLFORMED;
        pe->line = e->line;
        pe->msg = apr_psprintf(pe->pool, "not well-formed: %s",
                               trim_msg(pe->pool, e->message));
    }
}

static char *trim_msg(apr_pool_t *p, const char *m)
{
    char *s = apr_pstrdup(p, m ? m : "unknown error");
    apr_size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
        s[--n] = '\0';
    }
    return s;
}

static void schema_error(void *baton, xmlErrorPtr e)
{
    parse_err_t *pe = baton;

    if (pe->tag == NULL && e != NULL) {
        pe->tag = ART_E_SCHEMA;
        pe->line = e->line;
        pe->msg = apr_psprintf(pe->pool, "does not match the schema: %s",
                               trim_msg(pe->pool, e->message));
    }
}

/* The clock of the stage figures: this thread's CPU time where there is one,
 * so that other work on a busy machine does not count; 0 when no figures
 * were asked for, so that a normal load reads no clock. */
static apr_time_t stage_now(int want)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;
#endif

    if (!want) {
        return 0;
    }
#ifdef CLOCK_THREAD_CPUTIME_ID
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
        return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
    }
#endif
    return apr_time_now();
}

/* Time since *t added to *slot; *t moves on to now. */
static void stage_end(int want, apr_interval_time_t *slot, apr_time_t *t)
{
    apr_time_t now;

    if (want) {
        now = stage_now(want);
        *slot += now - *t;
        *t = now;
    }
}

static void out_of_memory(parse_err_t *pe)
{
    pe->tag = ART_E_IO;
    pe->msg = apr_pstrdup(pe->pool, "out of memory");
}

/* Parse and validate one document; NULL with *pe filled on failure.  The caller
 * frees the document. */
static xmlDocPtr parse_doc(worker_t *w, const char *data, apr_size_t len,
                           const char *path, parse_err_t *pe)
{
    xmlParserCtxtPtr ctxt = w->parser;
    xmlDocPtr doc;
    apr_time_t t = stage_now(w->want_stats);

    if (ctxt == NULL) {
        ctxt = w->parser = xmlNewParserCtxt();
        if (ctxt == NULL) {
            out_of_memory(pe);
            return NULL;
        }
        ctxt->sax->internalSubset = refuse_dtd;
        ctxt->sax->externalSubset = refuse_dtd;
        ctxt->sax->serror = parse_error;
    }
    ctxt->_private = pe;
    doc = xmlCtxtReadMemory(ctxt, data, (int)len, path, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (pe->tag == NULL && (doc == NULL || !ctxt->wellFormed)) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        pe->tag = ART_E_WELLFORMED;
        pe->line = e ? e->line : 0;
        pe->msg = apr_psprintf(pe->pool, "not well-formed: %s",
                               trim_msg(pe->pool, e ? e->message : NULL));
    }
    ctxt->_private = NULL;
    stage_end(w->want_stats, &w->st.parse, &t);
    if (pe->tag) {
        if (doc) {
            xmlFreeDoc(doc);
        }
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        pe->tag = ART_E_DTD;
        pe->line = 1;
        pe->msg = apr_pstrdup(pe->pool, "document type declarations (DTDs) are "
                              "not allowed");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (w->valid == NULL) {
        w->valid = art_valid_create();
        if (w->valid == NULL) {
            out_of_memory(pe);
            xmlFreeDoc(doc);
            return NULL;
        }
    }
    if (art_valid_doc(w->valid, doc, schema_error, pe) != 0 && pe->tag == NULL) {
        pe->tag = ART_E_SCHEMA;
        pe->msg = apr_pstrdup(pe->pool, "does not match the schema");
    }
    stage_end(w->want_stats, &w->st.validate, &t);
    if (pe->tag) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* Checks a file's size against the limit, noting one over it, and keeps its
 * time for the snapshot's newest; 0 when the file is too large. */
static int size_ok(worker_t *w, file_job_t *j, const apr_finfo_t *fi)
{
    if ((apr_size_t)fi->size > w->max_file_size) {
        j->pe.tag = ART_E_TOOLARGE;
        j->pe.msg = apr_psprintf(w->pool, "file is %" APR_OFF_T_FMT " bytes, "
                                 "over the limit of %" APR_SIZE_T_FMT,
                                 fi->size, w->max_file_size);
        return 0;
    }
    j->mtime = fi->mtime;
    return 1;
}

static void read_error(worker_t *w, file_job_t *j, apr_status_t rv)
{
    char eb[128];

    j->pe.tag = ART_E_IO;
    j->pe.msg = apr_psprintf(w->pool, "cannot read: %s",
                             apr_strerror(rv, eb, sizeof(eb)));
}

/* The whole of the job's file in w->buf (NUL-terminated) with one open,
 * fstat and read; size and mtime from the same fstat.  Notes the problem in
 * the job and returns non-zero on any. */
static int read_file(worker_t *w, file_job_t *j, apr_size_t *len)
{
    apr_finfo_t fi;
    apr_file_t *f;
    apr_size_t n;
    apr_status_t rv;

    rv = apr_file_open(&f, j->path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0,
                       w->pool);
    if (rv != APR_SUCCESS) {
        /* An unreadable file that is too large is reported as too large,
         * as when the size was looked at before opening. */
        if (apr_stat(&fi, j->path, APR_FINFO_SIZE | APR_FINFO_MTIME, w->pool)
            == APR_SUCCESS && !size_ok(w, j, &fi)) {
            return 1;
        }
        read_error(w, j, rv);
        return 1;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_MTIME, f);
    if (rv != APR_SUCCESS || !size_ok(w, j, &fi)) {
        apr_file_close(f);
        if (rv != APR_SUCCESS) {
            read_error(w, j, rv);
        }
        return 1;
    }
    n = (apr_size_t)fi.size;
    if (n + 1 > w->buf_cap) {
        char *b = realloc(w->buf, n + 1);
        if (b == NULL) {
            apr_file_close(f);
            read_error(w, j, APR_ENOMEM);
            return 1;
        }
        w->buf = b;
        w->buf_cap = n + 1;
    }
    rv = apr_file_read_full(f, w->buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(rv == APR_EOF && n == 0)) {
        read_error(w, j, rv);
        return 1;
    }
    w->buf[n] = '\0';
    *len = n;
    return 0;
}

/* Read, parse and validate the job's file: everything about a file that
 * depends on no other file, so that workers can do it side by side.  Touches
 * only w and j. */
static void run_job(worker_t *w, file_job_t *j)
{
    apr_size_t n;
    apr_time_t t = stage_now(w->want_stats);
    xmlNodePtr root;
    int bad;

    j->pe.pool = w->pool;
    bad = read_file(w, j, &n);
    stage_end(w->want_stats, &w->st.read, &t);
    if (bad) {
        return;
    }
    w->st.files++;
    j->read = 1;
    j->size = n;
    j->hash = art_hash64(w->buf, n, 0);
    j->doc = parse_doc(w, w->buf, n, j->path, &j->pe);
    if (j->doc == NULL) {
        return;
    }
    root = xmlDocGetRootElement(j->doc);
    if (strcmp((const char *)root->name, j->root_name) != 0) {
        j->pe.tag = ART_E_SCHEMA;
        j->pe.line = xmlGetLineNo(root);
        j->pe.msg = apr_psprintf(w->pool, "expected a <%s> document, found <%s>",
                                 j->root_name, (const char *)root->name);
        xmlFreeDoc(j->doc);
        j->doc = NULL;
    }
}

/* Account for a finished job in file order (bytes, digest, newest time) and
 * give its one report; returns the document (the caller frees it) or NULL. */
static xmlDocPtr job_finish(load_ctx_t *lc, file_job_t *j, int fatal)
{
    if (j->mtime > lc->snap->mtime) {
        lc->snap->mtime = j->mtime;
    }
    if (j->read) {
        unsigned char le[8];
        int i;

        /* Little-endian bytes of the file's hash, so the digest is the
         * same on every machine. */
        for (i = 0; i < 8; i++) {
            le[i] = (unsigned char)(j->hash >> (8 * i));
        }
        lc->snap->xml_bytes += j->size;
        lc->snap->digest = art_hash64(le, sizeof(le), lc->snap->digest);
    }
    if (j->doc == NULL) {
        report(lc, fatal, j->pe.tag, j->path, j->pe.line, "%s", j->pe.msg);
    }
    return j->doc;
}

/* Read and parse path on the loading thread; reports and returns NULL on any
 * problem. */
static xmlDocPtr load_doc(load_ctx_t *lc, const char *path, int fatal,
                          const char *root_name, apr_time_t *mtime)
{
    file_job_t j;

    memset(&j, 0, sizeof(j));
    j.path = path;
    j.root_name = root_name;
    run_job(&lc->workers[0], &j);
    *mtime = j.mtime;
    return job_finish(lc, &j, fatal);
}

/* ---------------------------------------------------------------- node helpers */

static int is_el(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* A libxml2 string copied into pool p (and freed); NULL stays NULL. */
static const char *keep_in(apr_pool_t *p, xmlChar *v)
{
    char *s;

    if (v == NULL) {
        return NULL;
    }
    s = apr_pstrdup(p, (const char *)v);
    xmlFree(v);
    return s;
}

static const char *keep(load_ctx_t *lc, xmlChar *v)
{
    return keep_in(lc->pool, v);
}

static const char *attr(load_ctx_t *lc, xmlNodePtr n, const char *name)
{
    return keep(lc, xmlGetNoNsProp(n, (const xmlChar *)name));
}

static const char *xml_lang(load_ctx_t *lc, xmlNodePtr n)
{
    return keep(lc, xmlGetNsProp(n, (const xmlChar *)"lang", XML_XML_NAMESPACE));
}

/* The element's text with white space runs collapsed and trimmed: titles, names
 * and summaries are written across lines in XML but shown on one. */
static const char *text_of(load_ctx_t *lc, xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    const unsigned char *s;
    char *out, *o;
    int space = 0;

    if (v == NULL) {
        return apr_pstrdup(lc->pool, "");
    }
    out = o = apr_palloc(lc->pool, strlen((const char *)v) + 1);
    for (s = v; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            space = (o != out);
            continue;
        }
        if (space) {
            *o++ = ' ';
            space = 0;
        }
        *o++ = (char)*s;
    }
    *o = '\0';
    xmlFree(v);
    return out;
}

/* ---------------------------------------------------------------- dates */

/* ---------------------------------------------------------------- ids and URLs */

static int is_slug(const char *s)
{
    apr_size_t n = 0;

    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) {
        return 0;
    }
    for (; *s; s++, n++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) {
            return 0;
        }
    }
    return n <= ART_ID_MAX;
}

/* http, https, mailto or relative; nothing that a browser could run. */
static int url_ok(const char *u)
{
    const char *p;

    for (p = u; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
            return 0;
        }
    }
    for (p = u; *p && *p != '/' && *p != '?' && *p != '#'; p++) {
        if (*p == ':') {
            apr_size_t n = (apr_size_t)(p - u);
            return (n == 4 && strncasecmp(u, "http", 4) == 0)
                || (n == 5 && strncasecmp(u, "https", 5) == 0)
                || (n == 6 && strncasecmp(u, "mailto", 6) == 0);
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- body HTML */

/* Elements the body may carry; the schema already refused anything else, this
 * list is the second line of defence for the HTML we emit unescaped. */
static const char *const body_elements[] = {
    "h2", "h3", "p", "blockquote", "ul", "ol", "li", "em", "strong", "a", "br",
    "figure", "img", "figcaption", "code", "pre", NULL
};

static int allowed_element(const char *name)
{
    int i;

    for (i = 0; body_elements[i]; i++) {
        if (strcmp(body_elements[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void emit_attr(art_buf_t *b, const char *name, const xmlChar *v)
{
    art_buf_putc(b, ' ');
    art_buf_puts(b, name);
    art_buf_puts(b, "=\"");
    art_buf_append_html(b, (const char *)v, strlen((const char *)v));
    art_buf_putc(b, '"');
}

/* Serialise children of n as HTML.  Returns 0 and sets *bad when a URL is unsafe. */
static int emit_html(art_buf_t *b, xmlNodePtr n, xmlNodePtr *bad)
{
    xmlNodePtr c;

    for (c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE) {
            art_buf_append_html(b, (const char *)c->content,
                                strlen((const char *)c->content));
        }
        else if (c->type == XML_ELEMENT_NODE
                 && allowed_element((const char *)c->name)) {
            const char *name = (const char *)c->name;
            xmlAttrPtr a;
            int is_void = strcmp(name, "br") == 0 || strcmp(name, "img") == 0;

            art_buf_putc(b, '<');
            art_buf_puts(b, name);
            for (a = c->properties; a; a = a->next) {
                const char *an = (const char *)a->name;
                xmlChar *v;
                int ok = strcmp(an, "dir") == 0
                    || (strcmp(an, "class") == 0 && strcmp(name, "blockquote") == 0)
                    || (strcmp(an, "href") == 0 && strcmp(name, "a") == 0)
                    || ((strcmp(an, "src") == 0 || strcmp(an, "alt") == 0)
                        && strcmp(name, "img") == 0);
                if (!ok || a->ns != NULL) {
                    continue;
                }
                v = xmlNodeListGetString(c->doc, a->children, 1);
                if (v == NULL) {
                    continue;
                }
                if ((strcmp(an, "href") == 0 || strcmp(an, "src") == 0)
                    && !url_ok((const char *)v)) {
                    xmlFree(v);
                    *bad = c;
                    return 0;
                }
                emit_attr(b, an, v);
                xmlFree(v);
            }
            art_buf_putc(b, '>');
            if (!is_void) {
                if (!emit_html(b, c, bad)) {
                    return 0;
                }
                art_buf_puts(b, "</");
                art_buf_puts(b, name);
                art_buf_putc(b, '>');
            }
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- site.xml */

static art_site_t *read_site(load_ctx_t *lc, xmlDocPtr doc, const char *path)
{
    art_site_t *site = apr_pcalloc(lc->pool, sizeof(*site));
    xmlNodePtr root = xmlDocGetRootElement(doc), n, s;
    int i, found_default = 0;

    site->default_lang = attr(lc, root, "default-lang");
    site->titles = apr_array_make(lc->pool, 2, sizeof(art_ltext_t));
    site->mottos = apr_array_make(lc->pool, 1, sizeof(art_motto_t));
    site->langs = apr_array_make(lc->pool, 4, sizeof(art_lang_t));
    site->strings = apr_hash_make(lc->pool);

    for (n = root->children; n; n = n->next) {
        if (is_el(n, "title")) {
            art_ltext_t *t = apr_array_push(site->titles);
            t->lang = xml_lang(lc, n);
            t->text = text_of(lc, n);
        }
        else if (is_el(n, "tagline")) {
            site->tagline = text_of(lc, n);
        }
        else if (is_el(n, "url")) {
            char *u = (char *)text_of(lc, n);
            apr_size_t len = strlen(u);
            while (len > 0 && u[len - 1] == '/') {
                u[--len] = '\0';
            }
            site->url = u;
        }
        else if (is_el(n, "email")) {
            site->email = text_of(lc, n);
        }
        else if (is_el(n, "timezone")) {
            char *err = NULL;
            site->timezone = text_of(lc, n);
            site->tz = art_tz_load(lc->pool, NULL, site->timezone, &err);
            if (site->tz == NULL) {
                report(lc, 1, ART_E_SITE, path, xmlGetLineNo(n), "%s", err);
                return NULL;
            }
        }
        else if (is_el(n, "logo")) {
            site->logo = text_of(lc, n);
        }
        else if (is_el(n, "motto")) {
            art_motto_t *m = apr_array_push(site->mottos);
            m->lang = xml_lang(lc, n);
            m->lines = apr_array_make(lc->pool, 2, sizeof(const char *));
            for (s = n->children; s; s = s->next) {
                if (is_el(s, "line")) {
                    APR_ARRAY_PUSH(m->lines, const char *) = text_of(lc, s);
                }
            }
        }
        else if (is_el(n, "language")) {
            art_lang_t *l = apr_array_push(site->langs);
            l->code = attr(lc, n, "code");
            l->dir = attr(lc, n, "dir");
            l->name = attr(lc, n, "name");
            l->index = site->langs->nelts - 1;
            for (i = 0; i < l->index; i++) {
                if (strcmp(APR_ARRAY_IDX(site->langs, i, art_lang_t).code,
                           l->code) == 0) {
                    report(lc, 1, ART_E_SITE, path, xmlGetLineNo(n),
                           "language '%s' is declared twice", l->code);
                    return NULL;
                }
            }
            if (strcmp(l->code, site->default_lang) == 0) {
                found_default = 1;
            }
        }
        else if (is_el(n, "strings")) {
            const char *lang = xml_lang(lc, n);
            apr_hash_t *h = apr_hash_get(site->strings, lang, APR_HASH_KEY_STRING);
            if (h == NULL) {
                h = apr_hash_make(lc->pool);
                apr_hash_set(site->strings, lang, APR_HASH_KEY_STRING, h);
            }
            for (s = n->children; s; s = s->next) {
                if (is_el(s, "string")) {
                    apr_hash_set(h, attr(lc, s, "key"), APR_HASH_KEY_STRING,
                                 text_of(lc, s));
                }
            }
        }
    }
    if (!found_default) {
        report(lc, 1, ART_E_SITE, path, xmlGetLineNo(root),
               "default-lang '%s' is not one of the declared languages",
               site->default_lang);
        return NULL;
    }
    if (site->url == NULL) {
        site->url = "";
    }
    return site;
}

/* ---------------------------------------------------------------- authors.xml */

static int read_authors(load_ctx_t *lc, xmlDocPtr doc, const char *path)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n, c;
    art_snapshot_t *s = lc->snap;

    for (n = root->children; n; n = n->next) {
        art_author_t *a;
        if (!is_el(n, "author")) {
            continue;
        }
        a = apr_pcalloc(lc->pool, sizeof(*a));
        a->id = attr(lc, n, "id");
        if (!is_slug(a->id)) {
            report(lc, 1, ART_E_ID, path, xmlGetLineNo(n),
                   "author id '%s' is not a slug", a->id);
            return 0;
        }
        if (apr_hash_get(s->author_by_id, a->id, APR_HASH_KEY_STRING)) {
            report(lc, 1, ART_E_DUPLICATE, path, xmlGetLineNo(n),
                   "author id '%s' appears twice", a->id);
            return 0;
        }
        a->names = apr_array_make(lc->pool, 2, sizeof(art_ltext_t));
        a->bios = apr_array_make(lc->pool, 1, sizeof(art_ltext_t));
        a->links = apr_array_make(lc->pool, 1, sizeof(art_link_t));
        for (c = n->children; c; c = c->next) {
            if (is_el(c, "name")) {
                art_ltext_t *t = apr_array_push(a->names);
                t->lang = xml_lang(lc, c);
                t->text = text_of(lc, c);
            }
            else if (is_el(c, "bio")) {
                art_ltext_t *t = apr_array_push(a->bios);
                art_buf_t b;
                xmlNodePtr bad = NULL;
                art_buf_init(&b, lc->pool, 256);
                if (!emit_html(&b, c, &bad)) {
                    report(lc, 1, ART_E_URL, path, xmlGetLineNo(bad),
                           "unsafe link in the bio of '%s'", a->id);
                    return 0;
                }
                t->lang = xml_lang(lc, c);
                t->text = b.data;
            }
            else if (is_el(c, "photo") || is_el(c, "link")) {
                const char *u = attr(lc, c, is_el(c, "photo") ? "src" : "href");
                if (!url_ok(u)) {
                    report(lc, 1, ART_E_URL, path, xmlGetLineNo(c),
                           "unsafe URL for author '%s'", a->id);
                    return 0;
                }
                if (is_el(c, "photo")) {
                    a->photo_src = u;
                    a->photo_alt = attr(lc, c, "alt");
                }
                else {
                    art_link_t *l = apr_array_push(a->links);
                    l->href = u;
                    l->text = text_of(lc, c);
                    l->lang = xml_lang(lc, c);
                }
            }
        }
        APR_ARRAY_PUSH(s->authors, art_author_t *) = a;
        apr_hash_set(s->author_by_id, a->id, APR_HASH_KEY_STRING, a);
    }
    return 1;
}

/* ---------------------------------------------------------------- articles */

static void read_article(load_ctx_t *lc, xmlDocPtr doc, const char *path,
                         const char *rel, const art_collection_t *coll,
                         apr_time_t mtime)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n, c;
    art_article_t *a = apr_pcalloc(lc->pool, sizeof(*a));
    apr_array_header_t *authors = apr_array_make(lc->scratch, 2, sizeof(void *));
    apr_array_header_t *tags = apr_array_make(lc->scratch, 4, sizeof(art_tag_t));
    apr_array_header_t *notes = apr_array_make(lc->scratch, 1, sizeof(char *));
    apr_array_header_t *pinned = apr_array_make(lc->scratch, 1, sizeof(char *));
    apr_array_header_t *fixes = apr_array_make(lc->scratch, 1,
                                               sizeof(art_correction_t));
    const art_tz_t *tz;
    const char *lang, *key, *first, *status;
    int line = xmlGetLineNo(root);

    a->id = attr(lc, root, "id");
    if (!is_slug(a->id)) {
        report(lc, 0, ART_E_ID, path, line, "article id '%s' is not a slug "
               "([a-z0-9][a-z0-9-]*, at most %d bytes)", a->id, ART_ID_MAX);
        return;
    }
    lang = xml_lang(lc, root);
    a->lang = lang ? art_snapshot_lang(lc->snap, lang) : NULL;
    if (a->lang == NULL) {
        report(lc, 0, ART_E_LANGUAGE, path, line, "language '%s' is not declared "
               "in site.xml", lang ? lang : "(none)");
        return;
    }
    a->published = attr(lc, root, "published");
    a->updated = attr(lc, root, "updated");
    tz = lc->snap->site->tz;
    if (!art_time_parse(a->published, tz, &a->published_t)
        || (a->updated && !art_time_parse(a->updated, tz, &a->updated_t))) {
        report(lc, 0, ART_E_DATE, path, line, "invalid date in published/updated");
        return;
    }
    status = attr(lc, root, "status");
    a->draft = status && strcmp(status, "draft") == 0;
    a->translation = attr(lc, root, "translation");
    if (a->translation && !is_slug(a->translation)) {
        report(lc, 0, ART_E_ID, path, line, "translation key '%s' is not a slug",
               a->translation);
        return;
    }
    a->collection = coll;

    for (n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (is_el(n, "title")) {
            a->title = text_of(lc, n);
        }
        else if (is_el(n, "summary")) {
            a->summary = text_of(lc, n);
        }
        else if (is_el(n, "author")) {
            const char *ref = attr(lc, n, "ref");
            art_author_t *au = apr_hash_get(lc->snap->author_by_id, ref,
                                             APR_HASH_KEY_STRING);
            if (au == NULL) {
                report(lc, 0, ART_E_AUTHOR, path, xmlGetLineNo(n),
                       "unknown author '%s' (not in authors.xml)", ref);
                return;
            }
            APR_ARRAY_PUSH(authors, art_author_t *) = au;
        }
        else if (is_el(n, "tags")) {
            for (c = n->children; c; c = c->next) {
                if (is_el(c, "tag")) {
                    art_tag_t *t = apr_array_push(tags);
                    t->name = text_of(lc, c);
                    t->key = art_tag_fold(lc->pool, t->name);
                }
            }
        }
        else if (is_el(n, "body")) {
            art_buf_t b;
            xmlNodePtr bad = NULL;
            /* Built in the file's scratch pool and copied once at its size:
             * a buffer doubling in the snapshot pool would leave its smaller
             * copies and its slack there for good. */
            art_buf_init(&b, lc->scratch, 16384);
            if (!emit_html(&b, n, &bad)) {
                report(lc, 0, ART_E_URL, path, xmlGetLineNo(bad),
                       "link or image URL is not http, https, mailto or relative");
                return;
            }
            a->body = apr_pmemdup(lc->pool, b.data, b.len + 1);
            a->body_len = b.len;
        }
        else if (is_el(n, "notes")) {
            for (c = n->children; c; c = c->next) {
                if (is_el(c, "note")) {
                    APR_ARRAY_PUSH(notes, const char *) = text_of(lc, c);
                }
            }
        }
        else if (is_el(n, "signature")) {
            a->signature = text_of(lc, n);
            a->signature_date = attr(lc, n, "date");
        }
        else if (is_el(n, "correction")) {
            art_correction_t *f = apr_array_push(fixes);
            f->date = attr(lc, n, "date");
            f->text = text_of(lc, n);
            if (!art_time_parse(f->date, tz, &f->date_t)) {
                report(lc, 0, ART_E_DATE, path, xmlGetLineNo(n),
                       "invalid date in correction");
                return;
            }
            /* A correction is a modification: the entry's updated time
             * (Atom <updated>, the sitemap) follows the newest one. */
            if (f->date_t > (a->updated ? a->updated_t : a->published_t)) {
                a->updated = f->date;
                a->updated_t = f->date_t;
            }
        }
        else if (is_el(n, "related")) {
            APR_ARRAY_PUSH(pinned, const char *) = attr(lc, n, "ref");
        }
    }

    key = apr_pstrcat(lc->pool, a->lang->code, "/", a->id, NULL);
    if ((first = apr_hash_get(lc->files_by_key, key, APR_HASH_KEY_STRING))) {
        report(lc, 0, ART_E_DUPLICATE, path, line, "article id '%s' in language "
               "'%s' is already used by %s", a->id, a->lang->code, first);
        return;
    }

    if (a->translation) {
        const char *tkey = apr_pstrcat(lc->pool, "translation/", a->translation,
                                       "/", a->lang->code, NULL);
        if ((first = apr_hash_get(lc->files_by_key, tkey, APR_HASH_KEY_STRING))) {
            report(lc, 0, ART_E_DUPLICATE, path, line, "translation group '%s' "
                   "already has a '%s' article: %s", a->translation,
                   a->lang->code, first);
            return;
        }
        apr_hash_set(lc->files_by_key, tkey, APR_HASH_KEY_STRING,
                     apr_pstrdup(lc->pool, rel));
    }

    a->nauthors = authors->nelts;
    a->authors = apr_pmemdup(lc->pool, authors->elts,
                             sizeof(void *) * (apr_size_t)authors->nelts);
    a->ntags = tags->nelts;
    a->tags = apr_pmemdup(lc->pool, tags->elts,
                          sizeof(art_tag_t) * (apr_size_t)tags->nelts);
    a->npinned_ids = pinned->nelts;
    a->pinned_ids = apr_pmemdup(lc->pool, pinned->elts,
                                sizeof(char *) * (apr_size_t)pinned->nelts);
    a->nnotes = notes->nelts;
    a->notes = apr_pmemdup(lc->pool, notes->elts,
                           sizeof(char *) * (apr_size_t)(notes->nelts + 1));
    a->ncorrections = fixes->nelts;
    a->corrections = apr_pmemdup(lc->pool, fixes->elts, sizeof(art_correction_t)
                                 * (apr_size_t)(fixes->nelts + 1));
    if (a->body == NULL) {
        a->body = "";
    }
    a->file = apr_pstrdup(lc->pool, rel);
    a->mtime = mtime;
    a->path = art_route_path(lc->pool, ART_PAGE_ARTICLE, a->lang->code, coll->id,
                             a->id);
    apr_hash_set(lc->files_by_key, key, APR_HASH_KEY_STRING, a->file);
    apr_hash_set(lc->snap->article_by_key, key, APR_HASH_KEY_STRING, a);
    APR_ARRAY_PUSH(lc->articles, art_article_t *) = a;
}

/* ---------------------------------------------------------------- walking */

/* A folder entry; type is APR_NOFILE until known. */
typedef struct dir_entry_t {
    const char *name;
    apr_filetype_e type;
} dir_entry_t;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const dir_entry_t *)a)->name, ((const dir_entry_t *)b)->name);
}

/* Sorted entries of dir (hidden and "_" names left out), with the type the
 * folder listing gives for free on most file systems. */
static apr_array_header_t *list_dir(apr_pool_t *p, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(dir_entry_t));
    apr_status_t rv;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        return names;
    }
    /* APR_INCOMPLETE: the name without the type. */
    while ((rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d))
           == APR_SUCCESS || rv == APR_INCOMPLETE) {
        dir_entry_t *e;

        if (fi.name[0] == '.' || fi.name[0] == '_') {
            continue;
        }
        e = apr_array_push(names);
        e->name = apr_pstrdup(p, fi.name);
        e->type = (fi.valid & APR_FINFO_TYPE) ? fi.filetype : APR_NOFILE;
    }
    apr_dir_close(d);
    qsort(names->elts, (size_t)names->nelts, sizeof(dir_entry_t), name_cmp);
    return names;
}

/* The type of an entry, following a symbolic link as a stat would; an
 * entry that cannot be looked at is APR_NOFILE. */
static apr_filetype_e entry_type(const dir_entry_t *e, const char *full,
                                 apr_pool_t *p)
{
    apr_finfo_t fi;

    if (e->type != APR_NOFILE && e->type != APR_LNK) {
        return e->type;
    }
    if (apr_stat(&fi, full, APR_FINFO_TYPE, p) != APR_SUCCESS) {
        return APR_NOFILE;
    }
    return fi.filetype;
}

static int ends_with_xml(const char *name)
{
    apr_size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".xml") == 0;
}

/* The article files below dir in the order they are taken up, into jobs
 * (allocated in p): a folder's files before its sub-folders, so that when two
 * files claim one id the one nearer the collection's top wins, whatever the
 * names. */
static void list_articles(apr_pool_t *p, const char *dir, const char *rel,
                          int depth, apr_array_header_t *jobs)
{
    apr_array_header_t *names;
    int i, pass;

    if (depth > MAX_DEPTH) {
        file_job_t *j = apr_array_push(jobs);

        memset(j, 0, sizeof(*j));
        j->path = dir;
        j->too_deep = 1;
        return;
    }
    names = list_dir(p, dir);
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < names->nelts; i++) {
            const dir_entry_t *e = &APR_ARRAY_IDX(names, i, dir_entry_t);
            const char *name = e->name;
            const char *full = apr_pstrcat(p, dir, "/", name, NULL);
            const char *r = apr_pstrcat(p, rel, "/", name, NULL);
            apr_filetype_e type = entry_type(e, full, p);

            if (pass == 1 && type == APR_DIR) {
                list_articles(p, full, r, depth + 1, jobs);
            }
            else if (pass == 0 && type == APR_REG && ends_with_xml(name)
                     && !(depth == 0 && strcmp(name, "collection.xml") == 0)) {
                file_job_t *j = apr_array_push(jobs);

                memset(j, 0, sizeof(*j));
                j->path = full;
                j->rel = r;
                j->root_name = "article";
            }
        }
    }
}

/* Keep only the jobs the caller's want hook asks for (too-deep reports
 * stay); one stat per file, no read. */
static void drop_unwanted(load_ctx_t *lc, apr_pool_t *p,
                          apr_array_header_t *jobs)
{
    file_job_t *j = (file_job_t *)jobs->elts;
    int i, n = 0;

    for (i = 0; i < jobs->nelts; i++) {
        apr_finfo_t fi;
        int keep = 1;

        if (!j[i].too_deep) {
            if (apr_stat(&fi, j[i].path, APR_FINFO_SIZE | APR_FINFO_MTIME, p)
                == APR_SUCCESS) {
                keep = lc->hooks->want(lc->hooks->baton, j[i].rel, fi.size,
                                      fi.mtime);
            }
            else {
                keep = lc->hooks->want(lc->hooks->baton, j[i].rel, 0, 0);
            }
        }
        if (keep) {
            j[n++] = j[i];
        }
    }
    jobs->nelts = n;
}

static void run_jobs(worker_t *w)
{
    int i;

    for (i = w->first; i < w->njobs; i += w->step) {
        run_job(w, &w->jobs[i]);
    }
}

#if APR_HAS_THREADS
static void *APR_THREAD_FUNC worker_main(apr_thread_t *thread, void *data)
{
    run_jobs(data);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}
#endif

/* Run the n jobs: every worker takes every nworkers-th one, the loading
 * thread too.  Returns when all are done. */
static void run_batch(load_ctx_t *lc, file_job_t *jobs, int n,
                      apr_pool_t *tpool)
{
#if APR_HAS_THREADS
    apr_thread_t *threads[MAX_WORKERS];
    apr_status_t rv;
#endif
    int i, started = 1;

    for (i = 0; i < lc->nworkers; i++) {
        lc->workers[i].jobs = jobs;
        lc->workers[i].first = i;
        lc->workers[i].njobs = n;
        lc->workers[i].step = lc->nworkers;
    }
#if APR_HAS_THREADS
    /* A thread costs more than a few small files. */
    for (i = 1; i < lc->nworkers && n >= 4 * lc->nworkers; i++) {
        if (apr_thread_create(&threads[i], NULL, worker_main, &lc->workers[i],
                              tpool) != APR_SUCCESS) {
            break;
        }
        started++;
    }
#endif
    /* Jobs of workers that could not be started fall to this thread. */
    for (i = started; i < lc->nworkers; i++) {
        run_jobs(&lc->workers[i]);
    }
    run_jobs(&lc->workers[0]);
#if APR_HAS_THREADS
    for (i = 1; i < started; i++) {
        apr_thread_join(&rv, threads[i]);
    }
#endif
}

/* Jobs taken at a time: enough to keep the workers busy, few enough that
 * the documents waiting to be taken up stay small. */
#define BATCH 64

/* Read every article of a collection: workers read, parse and validate a
 * batch of files side by side, then this thread takes the documents up in
 * file order, so reports, duplicates and counts come out as they would one
 * file at a time. */
static void load_articles(load_ctx_t *lc, const char *dir, const char *rel,
                          const art_collection_t *coll, apr_pool_t *tpool)
{
    apr_pool_t *sub, *file;
    apr_array_header_t *jobs;
    int at, i, w;

    apr_pool_create(&sub, lc->scratch);
    apr_pool_create(&file, sub);
    jobs = apr_array_make(sub, 64, sizeof(file_job_t));
    list_articles(sub, dir, rel, 0, jobs);
    if (lc->hooks->want) {
        drop_unwanted(lc, sub, jobs);
    }
    for (at = 0; at < jobs->nelts; at += BATCH) {
        file_job_t *batch = &APR_ARRAY_IDX(jobs, at, file_job_t);
        int n = jobs->nelts - at < BATCH ? jobs->nelts - at : BATCH;

        run_batch(lc, batch, n, tpool);
        for (i = 0; i < n; i++) {
            file_job_t *j = &batch[i];
            apr_pool_t *saved = lc->scratch;
            xmlDocPtr doc;

            lc->scratch = file;
            if (j->too_deep) {
                report(lc, 0, ART_E_IO, j->path, 0, "folders nested deeper "
                       "than %d levels are not read", MAX_DEPTH);
            }
            else if ((doc = job_finish(lc, j, 0)) != NULL) {
                apr_time_t t = stage_now(lc->want_stats);

                int before = lc->articles->nelts;

                read_article(lc, doc, j->path, j->rel, coll, j->mtime);
                xmlFreeDoc(doc);
                stage_end(lc->want_stats, &lc->st.build, &t);
                if (lc->hooks->seen) {
                    lc->hooks->seen(lc->hooks->baton, j->rel,
                                   (apr_off_t)j->size, j->mtime, j->hash,
                                   lc->articles->nelts > before);
                }
            }
            else if (lc->hooks->seen && j->rel) {
                lc->hooks->seen(lc->hooks->baton, j->rel,
                               j->read ? (apr_off_t)j->size : 0,
                               j->read ? j->mtime : 0, j->read ? j->hash : 0, 0);
            }
            lc->scratch = saved;
            apr_pool_clear(file);
        }
        for (w = 0; w < lc->nworkers; w++) {
            apr_pool_clear(lc->workers[w].pool);
        }
    }
    apr_pool_destroy(sub);
}

static art_collection_t *read_collection(load_ctx_t *lc, const char *dir,
                                         const char *name)
{
    const char *path = apr_pstrcat(lc->scratch, dir, "/collection.xml", NULL);
    apr_time_t mtime;
    xmlDocPtr doc;
    xmlNodePtr root, n;
    art_collection_t *c;

    doc = load_doc(lc, path, 0, "collection", &mtime);
    if (doc == NULL) {
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    c = apr_pcalloc(lc->pool, sizeof(*c));
    c->id = attr(lc, root, "id");
    if (!is_slug(c->id) || strcmp(c->id, name) != 0) {
        report(lc, 0, ART_E_COLLECTION, path, xmlGetLineNo(root),
               "collection id '%s' must be a slug equal to its folder name '%s'",
               c->id, name);
        xmlFreeDoc(doc);
        return NULL;
    }
    if (art_route_reserved(c->id)) {
        report(lc, 0, ART_E_COLLECTION, path, xmlGetLineNo(root),
               "collection id '%s' is reserved for the module's own pages", c->id);
        xmlFreeDoc(doc);
        return NULL;
    }
    c->titles = apr_array_make(lc->pool, 2, sizeof(art_ltext_t));
    for (n = root->children; n; n = n->next) {
        if (is_el(n, "title")) {
            art_ltext_t *t = apr_array_push(c->titles);
            t->lang = xml_lang(lc, n);
            t->text = text_of(lc, n);
        }
    }
    xmlFreeDoc(doc);
    return c;
}

/* ---------------------------------------------------------------- indexes */

static int newest_first(const void *pa, const void *pb)
{
    const art_article_t *a = *(art_article_t *const *)pa;
    const art_article_t *b = *(art_article_t *const *)pb;
    apr_time_t ta = art_article_when(a), tb = art_article_when(b);
    int c;

    if (ta != tb) {
        return ta > tb ? -1 : 1;
    }
    if ((c = strcmp(a->lang->code, b->lang->code)) != 0) {
        return c;
    }
    return strcmp(a->id, b->id);
}

/* Append a to the list under key in index (lists are built as arrays first). */
static void index_add(apr_pool_t *p, apr_hash_t *index, const char *key,
                      art_article_t *a)
{
    apr_array_header_t *arr = apr_hash_get(index, key, APR_HASH_KEY_STRING);

    if (arr == NULL) {
        arr = apr_array_make(p, 8, sizeof(art_article_t *));
        apr_hash_set(index, key, APR_HASH_KEY_STRING, arr);
    }
    APR_ARRAY_PUSH(arr, art_article_t *) = a;
}

/* Turn every array of index into an art_list_t in the snapshot pool. */
static void index_seal(apr_pool_t *p, apr_hash_t *index)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(p, index); hi; hi = apr_hash_next(hi)) {
        const void *k;
        apr_ssize_t klen;
        void *v;
        apr_array_header_t *arr;
        art_list_t *l;

        apr_hash_this(hi, &k, &klen, &v);
        arr = v;
        l = apr_palloc(p, sizeof(*l));
        l->n = arr->nelts;
        l->items = (art_article_t **)arr->elts;
        apr_hash_set(index, k, klen, l);
    }
}

/* Turn each article's <related ref> ids into articles of its language, now
 * that all are known.  A ref to nothing is dropped with a warning that does
 * not count as a skipped file (the article itself is fine); a ref to the
 * article itself, or one already listed, is dropped silently. */
static void resolve_pinned(load_ctx_t *lc)
{
    int i, j, k;

    for (i = 0; i < lc->snap->all.n; i++) {
        art_article_t *a = lc->snap->all.items[i];

        if (a->npinned_ids == 0) {
            continue;
        }
        a->pinned = apr_palloc(lc->pool, sizeof(*a->pinned)
                               * (apr_size_t)a->npinned_ids);
        for (j = 0; j < a->npinned_ids; j++) {
            const art_article_t *r = art_snapshot_article(lc->snap,
                                                          a->lang->code,
                                                          a->pinned_ids[j]);
            if (r == NULL) {
                if (lc->opts->log) {
                    lc->opts->log(lc->opts->baton, 0, ART_W_RELATED,
                                  apr_pstrcat(lc->scratch, lc->snap->root, "/",
                                              a->file, NULL), 0,
                                  apr_psprintf(lc->scratch, "related ref '%s' "
                                               "names no '%s' article; dropped",
                                               a->pinned_ids[j], a->lang->code));
                }
                continue;
            }
            for (k = 0; k < a->npinned && a->pinned[k] != r; k++) {
            }
            if (r != a && k == a->npinned) {
                a->pinned[a->npinned++] = r;
            }
        }
    }
}

/* art_index_doc_fn over the snapshot's articles, newest first. */
static void index_doc(void *baton, int i, art_index_doc_t *doc)
{
    load_ctx_t *lc = baton;
    const art_article_t *a = lc->snap->all.items[i];
    int j;

    doc->lang = a->lang->code;
    doc->title = a->title;
    if (a->body_len + 1 > lc->plain_cap) {
        char *b = realloc(lc->plain, a->body_len + 1);
        if (b == NULL) {
            return;
        }
        lc->plain = b;
        lc->plain_cap = a->body_len + 1;
    }
    lc->st.text_bytes += art_html_text(a->body, a->body_len, lc->plain);
    doc->body = lc->plain;
    if (a->ntags > lc->tags_cap) {
        const char **t = realloc(lc->tags, sizeof(char *) * (apr_size_t)a->ntags);
        if (t == NULL) {
            return;
        }
        lc->tags = t;
        lc->tags_cap = a->ntags;
    }
    for (j = 0; j < a->ntags; j++) {
        lc->tags[j] = a->tags[j].name;
    }
    doc->tags = lc->tags;
    doc->ntags = a->ntags;
}

static void build_indexes(load_ctx_t *lc)
{
    art_snapshot_t *s = lc->snap;
    apr_pool_t *p = s->pool;
    apr_time_t t = stage_now(lc->want_stats);
    int i, j;

    qsort(lc->articles->elts, (size_t)lc->articles->nelts, sizeof(void *),
          newest_first);
    s->all.items = (art_article_t **)lc->articles->elts;
    s->all.n = lc->articles->nelts;

    for (i = 0; i < s->all.n; i++) {
        art_article_t *a = s->all.items[i];
        const char *l = a->lang->code;

        index_add(p, s->by_lang, l, a);
        index_add(p, s->by_collection,
                  apr_pstrcat(p, l, "/", a->collection->id, NULL), a);
        for (j = 0; j < a->nauthors; j++) {
            index_add(p, s->by_author,
                      apr_pstrcat(p, l, "/", a->authors[j]->id, NULL), a);
        }
        for (j = 0; j < a->ntags; j++) {
            int k, dup = 0;
            for (k = 0; k < j; k++) {
                dup |= strcmp(a->tags[k].key, a->tags[j].key) == 0;
            }
            if (!dup) {
                index_add(p, s->by_tag, apr_pstrcat(p, l, "/", a->tags[j].key, NULL),
                          a);
            }
        }
        if (a->translation) {
            index_add(p, s->by_translation, a->translation, a);
        }
    }
    index_seal(p, s->by_lang);
    index_seal(p, s->by_collection);
    index_seal(p, s->by_author);
    index_seal(p, s->by_tag);
    index_seal(p, s->by_translation);
    for (i = 0; i < s->all.n; i++) {
        art_article_t *a = s->all.items[i];
        a->doc = i;
        if (a->translation) {
            a->translations = apr_hash_get(s->by_translation, a->translation,
                                           APR_HASH_KEY_STRING);
        }
    }
    resolve_pinned(lc);
    stage_end(lc->want_stats, &lc->st.build, &t);
    if (!lc->hooks->no_text_index) {
        s->text = art_index_build(p, s->all.n, index_doc, lc);
    }
    stage_end(lc->want_stats, &lc->st.index, &t);
}

/* ---------------------------------------------------------------- entry points */

static apr_status_t tpool_cleanup(void *data)
{
    apr_pool_destroy(data);
    return APR_SUCCESS;
}

static apr_status_t ctx_cleanup(void *data)
{
    load_ctx_t *lc = data;
    int i;

    free(lc->plain);
    free(lc->tags);
    for (i = 0; i < lc->nworkers; i++) {
        worker_t *w = &lc->workers[i];

        free(w->buf);
        if (w->parser) {
            xmlFreeParserCtxt(w->parser);
        }
        art_valid_destroy(w->valid);
        if (i > 0) {
            apr_pool_destroy(w->pool);
        }
    }
    return APR_SUCCESS;
}

static const art_repo_hooks_t no_hooks = { NULL, NULL, NULL, 0 };

static load_ctx_t *ctx_make(apr_pool_t *pool, apr_pool_t *scratch,
                            const char *root, const art_repo_opts_t *opts)
{
    load_ctx_t *lc = apr_pcalloc(scratch, sizeof(*lc));
    art_snapshot_t *s = apr_pcalloc(pool, sizeof(*s));

    apr_pool_cleanup_register(scratch, lc, ctx_cleanup, apr_pool_cleanup_null);
    lc->nworkers = 1;
    apr_pool_create(&lc->workers[0].pool, scratch);
    lc->workers[0].max_file_size = opts->max_file_size;
    lc->pool = pool;
    lc->scratch = scratch;
    lc->opts = opts;
    lc->hooks = &no_hooks;
    lc->snap = s;
    lc->articles = apr_array_make(pool, 64, sizeof(art_article_t *));
    lc->files_by_key = apr_hash_make(scratch);
    s->pool = pool;
    s->root = apr_pstrdup(pool, root);
    s->authors = apr_array_make(pool, 8, sizeof(art_author_t *));
    s->author_by_id = apr_hash_make(pool);
    s->collections = apr_array_make(pool, 4, sizeof(art_collection_t *));
    s->collection_by_id = apr_hash_make(pool);
    s->article_by_key = apr_hash_make(pool);
    s->by_lang = apr_hash_make(pool);
    s->by_collection = apr_hash_make(pool);
    s->by_author = apr_hash_make(pool);
    s->by_tag = apr_hash_make(pool);
    s->by_translation = apr_hash_make(pool);
    return lc;
}

/* site.xml then authors.xml; both fatal. */
static int load_core(load_ctx_t *lc, const char *root)
{
    const char *path;
    apr_time_t mtime;
    xmlDocPtr doc;
    int ok;

    path = apr_pstrcat(lc->scratch, root, "/site.xml", NULL);
    doc = load_doc(lc, path, 1, "site", &mtime);
    if (doc == NULL) {
        return 0;
    }
    lc->snap->site = read_site(lc, doc, path);
    xmlFreeDoc(doc);
    if (lc->snap->site == NULL) {
        return 0;
    }
    path = apr_pstrcat(lc->scratch, root, "/authors.xml", NULL);
    doc = load_doc(lc, path, 1, "authors", &mtime);
    if (doc == NULL) {
        return 0;
    }
    ok = read_authors(lc, doc, path);
    xmlFreeDoc(doc);
    return ok;
}

static int repo_threads;

void art_repo_set_threads(int n)
{
    repo_threads = n < 0 ? 0 : n > MAX_WORKERS ? MAX_WORKERS : n;
}

/* Workers beyond the loading thread's own, each with a pool and allocator
 * of its own, and the pool their threads are made from (also with its own
 * allocator: a thread's pool is destroyed by the thread itself when it
 * ends).  Destroyed with lc's scratch pool. */
static apr_pool_t *start_workers(load_ctx_t *lc)
{
    apr_pool_t *tpool = NULL;
    int n = repo_threads, i;

#if APR_HAS_THREADS && defined(_SC_NPROCESSORS_ONLN)
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
    }
#endif
#if !APR_HAS_THREADS
    n = 1;
#endif
    if (n <= 1) {
        return NULL;
    }
    for (i = 1; i < n; i++) {
        worker_t *w = &lc->workers[i];

        if (apr_pool_create_unmanaged_ex(&w->pool, NULL, NULL) != APR_SUCCESS) {
            break;
        }
        w->max_file_size = lc->workers[0].max_file_size;
        w->want_stats = lc->want_stats;
        lc->nworkers++;
    }
    if (apr_pool_create_unmanaged_ex(&tpool, NULL, NULL) != APR_SUCCESS) {
        return NULL;
    }
    apr_pool_cleanup_register(lc->scratch, tpool, tpool_cleanup,
                              apr_pool_cleanup_null);
    return tpool;
}

/* Keeps the first fatal message for the caller's *err. */
typedef struct fatal_catch_t {
    const art_repo_opts_t *inner;
    apr_pool_t *pool;
    char *first;
} fatal_catch_t;

static void catch_log(void *baton, int fatal, const char *tag, const char *file,
                      int line, const char *reason)
{
    fatal_catch_t *fc = baton;

    if (fatal && fc->first == NULL) {
        fc->first = line > 0
            ? apr_psprintf(fc->pool, "%s: %s:%d: %s", tag, file, line, reason)
            : apr_psprintf(fc->pool, "%s: %s: %s", tag, file, reason);
    }
    if (fc->inner->log && !fatal) {
        fc->inner->log(fc->inner->baton, fatal, tag, file, line, reason);
    }
}

apr_status_t art_repo_load(apr_pool_t *p, const char *root,
                           const art_repo_opts_t *opts,
                           art_snapshot_t **out, char **err)
{
    return art_repo_load_ex(p, root, opts, NULL, out, err);
}

apr_status_t art_repo_load_ex(apr_pool_t *p, const char *root,
                              const art_repo_opts_t *opts,
                              art_repo_stats_t *stats,
                              art_snapshot_t **out, char **err)
{
    return art_repo_load_hooked(p, root, opts, NULL, stats, out, err);
}

apr_status_t art_repo_load_hooked(apr_pool_t *p, const char *root,
                                  const art_repo_opts_t *opts,
                                  const art_repo_hooks_t *hooks,
                                  art_repo_stats_t *stats,
                                  art_snapshot_t **out, char **err)
{

    apr_pool_t *pool, *scratch;
    load_ctx_t *lc;
    fatal_catch_t fc = { opts, p, NULL };
    art_repo_opts_t o = *opts;
    apr_array_header_t *names;
    apr_pool_t *tpool;
    apr_time_t t0 = apr_time_now(), t;
    int i;

    o.log = catch_log;
    o.baton = &fc;
    if (o.max_file_size == 0) {
        o.max_file_size = ART_REPO_DEFAULT_MAX_FILE;
    }
    /* Unmanaged: a live reload creates and destroys snapshots from request
     * threads, which must not touch the configuration pool's list of children. */
    apr_pool_create_unmanaged_ex(&pool, NULL, NULL);
    apr_pool_tag(pool, "articles_snapshot");
    apr_pool_create(&scratch, pool);
    lc = ctx_make(pool, scratch, root, &o);
    lc->hooks = hooks ? hooks : &no_hooks;
    lc->want_stats = lc->workers[0].want_stats = stats != NULL;
    tpool = start_workers(lc);
    /* Taken first, so a change made while loading is seen by the next check. */
    t = stage_now(lc->want_stats);
    lc->snap->fingerprint = art_repo_fingerprint(scratch, root);
    stage_end(lc->want_stats, &lc->st.read, &t);

    if (!load_core(lc, root)) {
        *err = fc.first ? fc.first : apr_pstrdup(p, "cannot load the site");
        apr_pool_destroy(pool);
        return APR_EGENERAL;
    }
    names = list_dir(scratch, root);
    for (i = 0; i < names->nelts; i++) {
        const dir_entry_t *e = &APR_ARRAY_IDX(names, i, dir_entry_t);
        const char *name = e->name;
        const char *dir = apr_pstrcat(scratch, root, "/", name, NULL);
        art_collection_t *c;

        if (entry_type(e, dir, scratch) != APR_DIR) {
            continue;
        }
        c = read_collection(lc, dir, name);
        if (c == NULL) {
            continue;
        }
        APR_ARRAY_PUSH(lc->snap->collections, art_collection_t *) = c;
        apr_hash_set(lc->snap->collection_by_id, c->id, APR_HASH_KEY_STRING, c);
        load_articles(lc, dir, name, c, tpool);
    }
    build_indexes(lc);
    lc->st.total = apr_time_now() - t0;
    for (i = 0; i < lc->nworkers; i++) {
        lc->st.read += lc->workers[i].st.read;
        lc->st.parse += lc->workers[i].st.parse;
        lc->st.validate += lc->workers[i].st.validate;
        lc->st.files += lc->workers[i].st.files;
    }
    lc->st.threads = lc->nworkers;
    if (stats) {
        *stats = lc->st;
    }
    apr_pool_destroy(scratch);
#ifdef __GLIBC__
    /* Parse trees, file buffers and the index builder's scratch, all freed
     * by now, lie between blocks of the snapshot: glibc keeps such holes
     * resident (and, loaded before the fork, in every child) until asked to
     * give their pages back. */
    malloc_trim(0);
#endif
    *out = lc->snap;
    return APR_SUCCESS;
}

apr_status_t art_repo_check_site(apr_pool_t *p, const char *root,
                                 const art_repo_opts_t *opts, char **err)
{
    apr_pool_t *pool;
    load_ctx_t *lc;
    fatal_catch_t fc = { opts, p, NULL };
    art_repo_opts_t o = *opts;
    int ok;

    o.log = catch_log;
    o.baton = &fc;
    if (o.max_file_size == 0) {
        o.max_file_size = ART_REPO_DEFAULT_MAX_FILE;
    }
    apr_pool_create(&pool, p);
    lc = ctx_make(pool, pool, root, &o);
    ok = load_core(lc, root);
    if (!ok) {
        *err = fc.first ? fc.first : apr_pstrdup(p, "cannot load the site");
    }
    apr_pool_destroy(pool);
    return ok ? APR_SUCCESS : APR_EGENERAL;
}

/* ---------------------------------------------------------------- change scan */

/* Sum of a hash per entry: independent of the order directories list in. */
static void scan(apr_pool_t *p, const char *dir, int depth, apr_uint64_t *fp)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_pool_t *sub;

    if (depth > MAX_DEPTH) {
        return;
    }
    apr_pool_create(&sub, p);
    if (apr_dir_open(&d, dir, sub) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE | APR_FINFO_MTIME
                            | APR_FINFO_SIZE, d) == APR_SUCCESS) {
            const char *full;
            apr_uint64_t sig[2];

            if (fi.name[0] == '.' || fi.name[0] == '_') {
                continue;
            }
            full = apr_pstrcat(sub, dir, "/", fi.name, NULL);
            sig[0] = (apr_uint64_t)fi.mtime;
            sig[1] = (apr_uint64_t)fi.size;
            *fp += art_hash64(sig, sizeof(sig), art_hash64(full, strlen(full), 0));
            if (fi.filetype == APR_DIR) {
                scan(sub, full, depth + 1, fp);
            }
        }
        apr_dir_close(d);
    }
    apr_pool_destroy(sub);
}

apr_uint64_t art_repo_fingerprint(apr_pool_t *p, const char *root)
{
    apr_uint64_t fp = 0;

    scan(p, root, 0, &fp);
    return fp;
}
