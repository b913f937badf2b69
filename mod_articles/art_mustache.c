/* art_mustache.c: the Mustache template engine (see art_mustache.h).
 *
 * Compiling turns the source into a tree of nodes: text, interpolations, sections
 * (children: the body), partials, parents (children: the blocks they pass) and blocks
 * (children: the default content).  Standalone lines are resolved while compiling,
 * then the tree is laid out flat (tpl_flatten): one array of ops in document order,
 * where an op with a body is followed by it and knows where it ends, so rendering is
 * a walk along the array that appends text, asks Lua for names, and skips or
 * repeats a body by index.  Static partial and parent names of a template set are
 * resolved once when the set is loaded (art_tpl_link).  Names are kept as Lua
 * strings in each lua_State (see names_push), so a lookup creates no string; the
 * renderer allocates only for indentation strings, deep context stacks and lambdas.
 * Native userdata (art_tpl_native; the module's article views) are read through
 * their C functions (get_field): each name's field number is kept per template
 * (native_field), and a string field that is only written out, or only tested
 * by a section, goes from C memory to the output without a Lua string.  A table
 * whose metatable's __index is a native userdata (a wrapper) keeps that
 * userdata in its context, a name a native userdata has no field for is nil
 * without a call once the userdata passed its checks, and what the data's
 * __index answered is remembered (tpl_memo_t) when it ran no Lua code; these
 * answers hold only until Lua code may have run (the render's generation,
 * see tpl_ctx_t).  A __gc metamethod run by the collector in the middle of a
 * render is not counted as Lua code that may change them.  A section over a
 * table the data's __index calls pristine is kept rendered, and written
 * again while what its body read from outside is the same (tpl_frag_t).
 * Output goes straight into the caller's buffer, which is pre-sized from the
 * previous render of the same template, and values are escaped in one pass.
 *
 * Indentation.  The spec defines it on template text: the indentation of a standalone
 * partial is prepended to every line of the partial before rendering, and a standalone
 * block's body loses the indentation common to its lines where it is written and gets
 * the indentation of the place where it is expanded.  Removing indentation depends
 * only on the source, so it happens at compile time.  Adding it depends on where a
 * template is used, so the renderer keeps a current indentation and writes it at every
 * line start of template text: nodes that begin a source line carry F_BOL, and text
 * nodes are scanned for inner newlines when an indentation is in force.  Empty lines
 * are not indented, so layouts produce no trailing blanks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <lauxlib.h>
#include <lua.h>

#include "art_buf.h"
#include "art_mustache.h"

/* ------------------------------------------------------------------ compiled form */

enum {
    N_TEXT,         /* s/n: literal text */
    N_VAR,          /* {{name}}, escaped */
    N_RAW,          /* {{{name}}} and {{&name}} */
    N_SECTION,      /* {{#name}}: kids are the body; s/n the raw body, for lambdas */
    N_INVERTED,     /* {{^name}} */
    N_PARTIAL,      /* {{>name}}: s is the name */
    N_PARENT,       /* {{<name}}: s is the name; kids are the blocks it passes */
    N_BLOCK         /* {{$name}}: s is the name; kids are the default content */
};

#define F_BOL        0x01   /* begins a source line: write the indentation first */
#define F_STANDALONE 0x02   /* partial, parent or block tag alone on its line */
#define F_DEDENTED   0x04   /* block body lost its common indentation */
#define F_DYNAMIC    0x08   /* partial or parent named by a context value: {{>*x}} */
#define F_MEMO       0x10   /* section whose body has no partial, parent or block:
                             * what it renders may be kept (see tpl_frag_t) */

typedef struct {
    const char *open;
    const char *close;
    apr_size_t nopen;
    apr_size_t nclose;
} tpl_delims_t;

typedef struct tpl_node_t tpl_node_t;
struct tpl_node_t {
    unsigned char type;
    unsigned char flags;
    int nseg;                   /* name segments; 0 means `.` */
    int nkids;
    const char **seg;           /* NUL-terminated segments of a dotted name */
    int *sid;                   /* their numbers in the template's name list */
    unsigned hash;              /* of the first segment, for the memo
                                 * (tpl_memo_t) */
    const char *s;              /* text, raw section body, or NUL-terminated name */
    apr_size_t n;
    const char *ind;            /* standalone partial/parent/block: its indentation */
    apr_size_t nind;
    tpl_node_t *kids;           /* while compiling; the compiled code has none */
    const tpl_delims_t *delims; /* sections: delimiters in force, to compile lambdas */
    apr_size_t pos;             /* offset in the source, used while compiling */
    int end;                    /* compiled: index of the op after this one's body */
    const art_tpl_t *owner;     /* compiled: the template whose code this is */
    const art_tpl_t *link;      /* static partial or parent as art_tpl_link found it */
};

struct art_tpl_t {
    const char *name;
    const char *src;            /* private copy; nodes point into it */
    apr_size_t len;
    tpl_node_t *code;           /* the nodes in document order; see tpl_flatten */
    int ncode;
    const char **names;         /* distinct name segments, numbered from 1 */
    int nnames;
    apr_uint32_t stamp;         /* unique per compile; 0: do not cache names */
    int memo;                   /* no partial, parent or block in it: what it
                                 * renders may be kept (see tpl_frag_t) */
    volatile apr_uint32_t size_hint; /* bytes the last render wrote, to pre-size */
    art_tpl_resolve_fn link_fn; /* what art_tpl_link resolved static names with */
    void *link_baton;
    /* Native userdata's field numbers of the names (see native_field): the
     * functions they answer for, and per name number 0 (not asked yet) or
     * the field number + 2. */
    volatile void *fops;
    volatile apr_uint32_t *fields;
};

/* Stamps tell a template from an earlier one compiled at the same address. */
static volatile apr_uint32_t tpl_stamps;

static const tpl_delims_t default_delims = { "{{", "}}", 2, 2 };

/* ------------------------------------------------------------------ parser */

enum {
    T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE, T_PARTIAL, T_PARENT, T_BLOCK,
    T_COMMENT, T_DELIMS
};

#define NOT_FOUND ((apr_size_t)-1)

typedef struct {
    int kind;
    apr_size_t start;           /* first byte of the opening delimiter */
    apr_size_t end;             /* just past the closing delimiter */
    const char *name;           /* trimmed content, not NUL-terminated */
    apr_size_t nname;
} tpl_tag_t;

typedef struct {
    tpl_node_t node;            /* the section, parent or block being built */
    const char *name;           /* its tag content, to match the close tag */
    apr_size_t nname;
    apr_size_t tag;             /* offset of the opening tag, for messages */
    apr_size_t body;            /* offset where the body starts */
    apr_array_header_t *kids;   /* of tpl_node_t */
} tpl_frame_t;

typedef struct {
    apr_pool_t *p;              /* the template's pool */
    apr_pool_t *tmp;            /* scratch, destroyed when compiling ends */
    const char *tname;
    const char *src;
    apr_size_t len;
    tpl_delims_t d;             /* delimiters in force */
    apr_array_header_t *frames; /* of tpl_frame_t; the first is the template itself */
    apr_hash_t *names;          /* segment -> its number (an int *) */
    apr_array_header_t *namelist; /* of const char *, in number order */
    char *err;
} tpl_parser_t;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int at_bol(const tpl_parser_t *ps, apr_size_t pos)
{
    return pos == 0 || ps->src[pos - 1] == '\n';
}

static apr_status_t parse_error(tpl_parser_t *ps, apr_size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int line_of(const tpl_parser_t *ps, apr_size_t pos)
{
    apr_size_t i;
    int line = 1;

    for (i = 0; i < pos && i < ps->len; i++) {
        line += ps->src[i] == '\n';
    }
    return line;
}

static apr_status_t parse_error(tpl_parser_t *ps, apr_size_t pos, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(ps->p, fmt, ap);
    va_end(ap);
    ps->err = apr_psprintf(ps->p, "%s:%d: %s", ps->tname, line_of(ps, pos), msg);
    return APR_EINVAL;
}

static apr_size_t find_str(const char *s, apr_size_t from, apr_size_t len,
                           const char *pat, apr_size_t np)
{
    const char *p = s + from, *e = s + len;

    while (p < e && (apr_size_t)(e - p) >= np) {
        p = memchr(p, pat[0], (e - p) - np + 1);
        if (!p) {
            break;
        }
        if (memcmp(p, pat, np) == 0) {
            return p - s;
        }
        p++;
    }
    return NOT_FOUND;
}

/* Parse the tag whose opening delimiter is at pos. */
static apr_status_t parse_tag(tpl_parser_t *ps, apr_size_t pos, tpl_tag_t *tag)
{
    const char *s = ps->src;
    apr_size_t i = pos + ps->d.nopen, m, ce;
    char pre = 0;

    tag->start = pos;
    tag->kind = T_VAR;
    if (i < ps->len) {
        switch (s[i]) {
        case '{': tag->kind = T_RAW;      pre = '}'; break;
        case '&': tag->kind = T_RAW;      break;
        case '#': tag->kind = T_SECTION;  break;
        case '^': tag->kind = T_INVERTED; break;
        case '/': tag->kind = T_CLOSE;    break;
        case '>': tag->kind = T_PARTIAL;  break;
        case '<': tag->kind = T_PARENT;   break;
        case '$': tag->kind = T_BLOCK;    break;
        case '!': tag->kind = T_COMMENT;  break;
        case '=': tag->kind = T_DELIMS;   pre = '='; break;
        }
        if (tag->kind != T_VAR) {
            i++;
        }
    }
    /* {{{x}}} and {{=a b=}} end with their own character before the delimiter */
    for (m = i;; m++) {
        m = find_str(s, m, ps->len, ps->d.close, ps->d.nclose);
        if (m == NOT_FOUND) {
            return parse_error(ps, pos, "unclosed tag");
        }
        if (!pre) {
            ce = m;
            break;
        }
        if (m > i && s[m - 1] == pre) {
            ce = m - 1;
            break;
        }
    }
    tag->end = m + ps->d.nclose;
    while (i < ce && is_space(s[i])) {
        i++;
    }
    while (ce > i && is_space(s[ce - 1])) {
        ce--;
    }
    tag->name = s + i;
    tag->nname = ce - i;
    if (tag->nname == 0 && tag->kind != T_COMMENT) {
        return parse_error(ps, pos, "empty tag");
    }
    return APR_SUCCESS;
}

/* Whether only blanks stand between the start of pos's line and pos; *ls gets the
 * line start. */
static int blank_before(const tpl_parser_t *ps, apr_size_t pos, apr_size_t *ls)
{
    apr_size_t i = pos;

    while (i > 0 && is_blank(ps->src[i - 1])) {
        i--;
    }
    if (i > 0 && ps->src[i - 1] != '\n') {
        return 0;
    }
    *ls = i;
    return 1;
}

/* Whether only blanks stand between pos and the end of its line; *next gets the
 * offset after the newline and *nl the newline's length (0 at the end). */
static int blank_after(const tpl_parser_t *ps, apr_size_t pos, apr_size_t *next,
                       apr_size_t *nl)
{
    const char *s = ps->src;
    apr_size_t i = pos, n = 0;

    while (i < ps->len && is_blank(s[i])) {
        i++;
    }
    if (i < ps->len) {
        if (s[i] == '\n') {
            n = 1;
        }
        else if (s[i] == '\r' && i + 1 < ps->len && s[i + 1] == '\n') {
            n = 2;
        }
        else {
            return 0;
        }
    }
    *next = i + n;
    *nl = n;
    return 1;
}

static int can_stand_alone(int kind)
{
    return kind != T_VAR && kind != T_RAW;
}

static tpl_frame_t *top_frame(tpl_parser_t *ps)
{
    return &APR_ARRAY_IDX(ps->frames, ps->frames->nelts - 1, tpl_frame_t);
}

static int same_name(const char *a, apr_size_t na, const char *b, apr_size_t nb)
{
    return na == nb && memcmp(a, b, na) == 0;
}

enum { PAIR_NONE, PAIR_LINE, PAIR_BLOCK };

/* The inheritance spec lets two adjacent tags share a standalone line: a parent and
 * its close, a parent and its first block, a last block's close and the parent's
 * close, and an empty block (whose line keeps its newline: it is where the block's
 * content goes). */
static int tag_pair(tpl_parser_t *ps, const tpl_tag_t *a, const tpl_tag_t *b)
{
    tpl_frame_t *f;

    if (a->kind == T_PARENT) {
        if (b->kind == T_BLOCK
            || (b->kind == T_CLOSE
                && same_name(a->name, a->nname, b->name, b->nname))) {
            return PAIR_LINE;
        }
    }
    else if (a->kind == T_BLOCK) {
        if (b->kind == T_CLOSE && same_name(a->name, a->nname, b->name, b->nname)) {
            return PAIR_BLOCK;
        }
    }
    else if (a->kind == T_CLOSE && b->kind == T_CLOSE && ps->frames->nelts > 2) {
        f = top_frame(ps);
        if (f->node.type == N_BLOCK && same_name(a->name, a->nname, f->name, f->nname)
            && f[-1].node.type == N_PARENT
            && same_name(b->name, b->nname, f[-1].name, f[-1].nname)) {
            return PAIR_LINE;
        }
    }
    return PAIR_NONE;
}

static tpl_node_t *add_node(tpl_parser_t *ps, int type, apr_size_t pos)
{
    tpl_node_t *nd = apr_array_push(top_frame(ps)->kids);

    memset(nd, 0, sizeof(*nd));
    nd->type = (unsigned char)type;
    nd->pos = pos;
    return nd;
}

static void add_text(tpl_parser_t *ps, apr_size_t from, apr_size_t to)
{
    tpl_node_t *nd;

    if (to > from) {
        nd = add_node(ps, N_TEXT, from);
        nd->s = ps->src + from;
        nd->n = to - from;
        nd->flags = at_bol(ps, from) ? F_BOL : 0;
    }
}

/* An empty text node that only writes the indentation: a tag that produces nothing
 * and is not standalone still starts its line. */
static void add_bol_marker(tpl_parser_t *ps, apr_size_t pos)
{
    tpl_node_t *nd = add_node(ps, N_TEXT, pos);

    nd->s = ps->src + pos;
    nd->flags = F_BOL;
}

/* FNV-1a: names are short, and only spread over a few memo slots. */
static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;

    while (*s) {
        h = (h ^ (unsigned char)*s++) * 16777619u;
    }
    return h;
}

static apr_status_t parse_name(tpl_parser_t *ps, const tpl_tag_t *tag,
                               const char *nm, apr_size_t n, tpl_node_t *nd)
{
    apr_size_t i, start;
    const char *seg;
    int *id, k = 0;

    if (n == 1 && nm[0] == '.') {
        nd->nseg = 0;
        return APR_SUCCESS;
    }
    nd->nseg = 1;
    for (i = 0; i < n; i++) {
        nd->nseg += nm[i] == '.';
    }
    nd->seg = apr_palloc(ps->p, nd->nseg * sizeof(char *));
    nd->sid = apr_palloc(ps->p, nd->nseg * sizeof(int));
    for (i = start = 0; i <= n; i++) {
        if (i == n || nm[i] == '.') {
            if (i == start) {
                return parse_error(ps, tag->start, "bad name '%.*s'", (int)n, nm);
            }
            id = apr_hash_get(ps->names, nm + start, i - start);
            if (!id) {
                seg = apr_pstrmemdup(ps->p, nm + start, i - start);
                APR_ARRAY_PUSH(ps->namelist, const char *) = seg;
                id = apr_palloc(ps->tmp, sizeof(*id));
                *id = ps->namelist->nelts;
                apr_hash_set(ps->names, seg, i - start, id);
            }
            nd->sid[k] = *id;
            nd->seg[k] = APR_ARRAY_IDX(ps->namelist, *id - 1, const char *);
            if (k == 0) {
                nd->hash = name_hash(nd->seg[0]);
            }
            k++;
            start = i + 1;
        }
    }
    return APR_SUCCESS;
}

/* Partial and parent names: a static name, or `*dotted.name` read from the context. */
static apr_status_t parse_template_name(tpl_parser_t *ps, const tpl_tag_t *tag,
                                        tpl_node_t *nd)
{
    const char *nm = tag->name;
    apr_size_t n = tag->nname;

    if (nm[0] != '*') {
        nd->s = apr_pstrmemdup(ps->p, nm, n);
        nd->n = n;
        return APR_SUCCESS;
    }
    nm++;
    n--;
    while (n && is_space(*nm)) {
        nm++;
        n--;
    }
    if (n == 0) {
        return parse_error(ps, tag->start, "empty dynamic name");
    }
    nd->flags |= F_DYNAMIC;
    return parse_name(ps, tag, nm, n, nd);
}

static apr_status_t parse_delims(tpl_parser_t *ps, const tpl_tag_t *tag)
{
    const char *s = tag->name;
    apr_size_t n = tag->nname, a = 0, b, i;

    while (a < n && !is_space(s[a])) {
        a++;
    }
    for (b = a; b < n && is_space(s[b]); b++) {
    }
    for (i = b; i < n && !is_space(s[i]); i++) {
    }
    /* two non-blank delimiters, neither containing '=' */
    if (a == 0 || b == a || b == n || i < n || memchr(s, '=', n)) {
        return parse_error(ps, tag->start, "bad delimiter change '%.*s'", (int)n, s);
    }
    ps->d.open = s;
    ps->d.nopen = a;
    ps->d.close = s + b;
    ps->d.nclose = n - b;
    return APR_SUCCESS;
}

static apr_status_t push_frame(tpl_parser_t *ps, const tpl_tag_t *tag, int type,
                               apr_size_t body)
{
    tpl_frame_t *f;

    if (ps->frames->nelts > ART_TPL_MAX_NESTING) {
        return parse_error(ps, tag->start, "sections nested too deeply");
    }
    f = apr_array_push(ps->frames);
    memset(f, 0, sizeof(*f));
    f->node.type = (unsigned char)type;
    f->node.pos = tag->start;
    f->name = tag->name;
    f->nname = tag->nname;
    f->tag = tag->start;
    f->body = body;
    f->kids = apr_array_make(ps->tmp, 8, sizeof(tpl_node_t));
    return APR_SUCCESS;
}

static void strip_indent(tpl_node_t *nd, apr_size_t n)
{
    if (n > nd->nind) {
        n = nd->nind;
    }
    if (n == 0) {
        return;                  /* ind may be NULL; NULL + 0 is undefined */
    }
    nd->ind += n;
    nd->nind -= n;
}

/* Remove a block's common indentation (npre bytes) from the text lines of its body
 * [from, to), as textwrap.dedent would on the source: blank lines lose all their
 * blanks.  Text nodes are still slices of the source here, except inside nested
 * blocks that were dedented already, which are left alone. */
static void dedent_nodes(tpl_parser_t *ps, tpl_node_t *nd, int n, apr_size_t from,
                         apr_size_t to, apr_size_t npre)
{
    const char *s = ps->src;
    apr_size_t q, w, cut, end;
    char *o, *text;

    for (; n > 0; n--, nd++) {
        switch (nd->type) {
        case N_TEXT:
            if (nd->n == 0) {
                break;
            }
            text = o = apr_palloc(ps->p, nd->n);
            end = nd->pos + nd->n;
            for (q = nd->pos; q < end;) {
                if (q >= from && q < to && at_bol(ps, q)) {
                    for (w = q; w < to && is_blank(s[w]); w++) {
                    }
                    if (w >= to || s[w] == '\n'
                        || (s[w] == '\r' && w + 1 < to && s[w + 1] == '\n')) {
                        cut = w;
                    }
                    else {
                        cut = q + npre;
                    }
                    if (cut > q) {
                        q = cut < end ? cut : end;
                        continue;
                    }
                }
                *o++ = s[q++];
            }
            nd->s = text;
            nd->n = o - text;
            break;
        case N_SECTION:
        case N_INVERTED:
            dedent_nodes(ps, nd->kids, nd->nkids, from, to, npre);
            break;
        case N_PARENT:
            strip_indent(nd, npre);
            dedent_nodes(ps, nd->kids, nd->nkids, from, to, npre);
            break;
        case N_BLOCK:
            strip_indent(nd, npre);
            if (!(nd->flags & F_DEDENTED)) {
                dedent_nodes(ps, nd->kids, nd->nkids, from, to, npre);
            }
            break;
        case N_PARTIAL:
            strip_indent(nd, npre);
            break;
        }
    }
}

/* A standalone block: its body [from, to) loses the indentation common to its
 * non-blank lines, which becomes the block's own indentation when it has any. */
static void dedent_block(tpl_parser_t *ps, tpl_node_t *blk, apr_size_t from,
                         apr_size_t to)
{
    const char *s = ps->src, *pre = NULL;
    apr_size_t ls, i, k, npre = 0;

    for (ls = from; ls < to;) {
        for (i = ls; i < to && is_blank(s[i]); i++) {
        }
        if (i < to && s[i] != '\n'
            && !(s[i] == '\r' && i + 1 < to && s[i + 1] == '\n')) {
            if (!pre) {
                pre = s + ls;
                npre = i - ls;
            }
            else {
                for (k = 0; k < npre && k < i - ls && pre[k] == s[ls + k]; k++) {
                }
                npre = k;
            }
        }
        while (i < to && s[i] != '\n') {
            i++;
        }
        ls = i + 1;
    }
    if (npre) {
        blk->ind = pre;
        blk->nind = npre;
    }
    blk->flags |= F_DEDENTED;
    dedent_nodes(ps, blk->kids, blk->nkids, from, to, npre);
}

static apr_status_t close_frame(tpl_parser_t *ps, const tpl_tag_t *tag,
                                int standalone, apr_size_t ls)
{
    tpl_frame_t *f;
    tpl_node_t node, *nd;
    apr_array_header_t *kids;
    int i, k;

    if (ps->frames->nelts < 2) {
        return parse_error(ps, tag->start, "close tag '%.*s' without open section",
                           (int)tag->nname, tag->name);
    }
    f = top_frame(ps);
    if (!same_name(f->name, f->nname, tag->name, tag->nname)) {
        return parse_error(ps, tag->start,
                           "close tag '%.*s' does not match '%.*s' opened at line %d",
                           (int)tag->nname, tag->name, (int)f->nname, f->name,
                           line_of(ps, f->tag));
    }
    if (!standalone && at_bol(ps, tag->start)) {
        add_bol_marker(ps, tag->start);
    }
    node = f->node;
    kids = f->kids;
    if (node.type == N_PARENT) {
        /* only the blocks matter: other content of a parent tag is ignored */
        for (i = k = 0; i < kids->nelts; i++) {
            k += APR_ARRAY_IDX(kids, i, tpl_node_t).type == N_BLOCK;
        }
        node.kids = k ? apr_palloc(ps->p, k * sizeof(tpl_node_t)) : NULL;
        for (i = k = 0; i < kids->nelts; i++) {
            if (APR_ARRAY_IDX(kids, i, tpl_node_t).type == N_BLOCK) {
                node.kids[k++] = APR_ARRAY_IDX(kids, i, tpl_node_t);
            }
        }
        node.nkids = k;
    }
    else {
        node.nkids = kids->nelts;
        node.kids = kids->nelts
            ? apr_pmemdup(ps->p, kids->elts, kids->nelts * sizeof(tpl_node_t)) : NULL;
    }
    if (node.type == N_SECTION || node.type == N_INVERTED) {
        node.n = tag->start - (node.s - ps->src);
    }
    else if (node.type == N_BLOCK && (node.flags & F_STANDALONE)) {
        dedent_block(ps, &node, f->body, standalone ? ls : tag->start);
    }
    ps->frames->nelts--;
    nd = add_node(ps, node.type, node.pos);
    *nd = node;
    return APR_SUCCESS;
}

static apr_status_t handle_tag(tpl_parser_t *ps, const tpl_tag_t *tag, int standalone,
                               apr_size_t ls, apr_size_t next)
{
    tpl_node_t *nd;
    tpl_delims_t *d;
    apr_status_t rv;
    int bol = !standalone && at_bol(ps, tag->start);
    int type;

    switch (tag->kind) {
    case T_VAR:
    case T_RAW:
        nd = add_node(ps, tag->kind == T_VAR ? N_VAR : N_RAW, tag->start);
        nd->flags = bol ? F_BOL : 0;
        return parse_name(ps, tag, tag->name, tag->nname, nd);

    case T_SECTION:
    case T_INVERTED:
    case T_PARENT:
    case T_BLOCK:
        type = tag->kind == T_SECTION ? N_SECTION : tag->kind == T_INVERTED ? N_INVERTED
             : tag->kind == T_PARENT ? N_PARENT : N_BLOCK;
        if ((rv = push_frame(ps, tag, type, next)) != APR_SUCCESS) {
            return rv;
        }
        nd = &top_frame(ps)->node;
        nd->flags = bol ? F_BOL : 0;
        if (type == N_SECTION || type == N_INVERTED) {
            nd->s = ps->src + tag->end;
            if (ps->d.open == default_delims.open) {
                nd->delims = &default_delims;
            }
            else {
                nd->delims = d = apr_palloc(ps->p, sizeof(*d));
                *d = ps->d;
            }
            return parse_name(ps, tag, tag->name, tag->nname, nd);
        }
        if (standalone) {
            nd->flags |= F_STANDALONE;
            nd->ind = ps->src + ls;
            nd->nind = tag->start - ls;
        }
        if (type == N_BLOCK) {
            nd->s = apr_pstrmemdup(ps->p, tag->name, tag->nname);
            nd->n = tag->nname;
            return APR_SUCCESS;
        }
        return parse_template_name(ps, tag, nd);

    case T_CLOSE:
        return close_frame(ps, tag, standalone, ls);

    case T_PARTIAL:
        nd = add_node(ps, N_PARTIAL, tag->start);
        nd->flags = bol ? F_BOL : 0;
        if (standalone) {
            nd->flags |= F_STANDALONE;
            nd->ind = ps->src + ls;
            nd->nind = tag->start - ls;
        }
        return parse_template_name(ps, tag, nd);

    case T_DELIMS:
        rv = parse_delims(ps, tag);
        if (rv == APR_SUCCESS && bol) {
            add_bol_marker(ps, tag->start);
        }
        return rv;

    default:
        if (bol) {
            add_bol_marker(ps, tag->start);
        }
        return APR_SUCCESS;
    }
}

static apr_status_t parse(tpl_parser_t *ps)
{
    tpl_tag_t tag, t2;
    tpl_frame_t *f;
    apr_size_t pos = 0, tpos, ls = 0, next, pair_next = 0, nl;
    apr_status_t rv;
    int standalone, pair_pending = 0, pair;

    for (;;) {
        tpos = find_str(ps->src, pos, ps->len, ps->d.open, ps->d.nopen);
        if (tpos == NOT_FOUND) {
            add_text(ps, pos, ps->len);
            break;
        }
        if ((rv = parse_tag(ps, tpos, &tag)) != APR_SUCCESS) {
            return rv;
        }
        standalone = 0;
        next = tag.end;
        if (pair_pending) {
            /* second tag of a standalone pair: the first one trimmed the line start */
            pair_pending = 0;
            standalone = 1;
            ls = tpos;
            next = pair_next;
        }
        else if (can_stand_alone(tag.kind) && blank_before(ps, tpos, &ls)) {
            if (blank_after(ps, tag.end, &next, &nl)) {
                standalone = 1;
            }
            else if (tag.kind != T_DELIMS
                     && find_str(ps->src, tag.end, ps->len, ps->d.open,
                                 ps->d.nopen) == tag.end
                     && parse_tag(ps, tag.end, &t2) == APR_SUCCESS
                     && (pair = tag_pair(ps, &tag, &t2)) != PAIR_NONE
                     && blank_after(ps, t2.end, &pair_next, &nl)) {
                standalone = 1;
                pair_pending = 1;
                next = tag.end;
                if (pair == PAIR_BLOCK) {
                    pair_next -= nl;
                }
            }
            else {
                next = tag.end;
            }
        }
        add_text(ps, pos, standalone ? ls : tpos);
        if ((rv = handle_tag(ps, &tag, standalone, ls, next)) != APR_SUCCESS) {
            return rv;
        }
        pos = next;
    }
    if (ps->frames->nelts > 1) {
        f = top_frame(ps);
        return parse_error(ps, f->tag, "unclosed %s '%.*s'",
                           f->node.type == N_PARENT ? "parent"
                           : f->node.type == N_BLOCK ? "block" : "section",
                           (int)f->nname, f->name);
    }
    return APR_SUCCESS;
}

static int tpl_count(const tpl_node_t *nd, int n)
{
    int i, c = n;

    for (i = 0; i < n; i++) {
        c += tpl_count(nd[i].kids, nd[i].nkids);
    }
    return c;
}

/* Lay the tree out as one array in document order: a section, parent or block is
 * followed by its body, and its `end` says where the body stops, so rendering is a
 * walk along the array that skips or repeats a body by index.  Returns the index
 * after the last op written. */
static int tpl_flatten(art_tpl_t *t, int at, const tpl_node_t *nd, int n)
{
    int i, me;

    for (i = 0; i < n; i++) {
        me = at++;
        t->code[me] = nd[i];
        t->code[me].kids = NULL;
        t->code[me].nkids = 0;
        t->code[me].owner = t;
        t->code[me].link = NULL;
        at = tpl_flatten(t, at, nd[i].kids, nd[i].nkids);
        t->code[me].end = at;
    }
    return at;
}

/* Mark the sections whose output depends only on the values their names
 * find (F_MEMO): a body with a partial, parent or block in it depends on
 * the template set and the overrides in force too. */
static void tpl_mark_memo(art_tpl_t *t)
{
    int i, j;

    t->memo = 1;
    for (i = 0; i < t->ncode; i++) {
        if (t->code[i].type == N_PARTIAL || t->code[i].type == N_PARENT
            || t->code[i].type == N_BLOCK) {
            t->memo = 0;
        }
        if (t->code[i].type != N_SECTION) {
            continue;
        }
        t->code[i].flags |= F_MEMO;
        for (j = i + 1; j < t->code[i].end; j++) {
            if (t->code[j].type == N_PARTIAL || t->code[j].type == N_PARENT
                || t->code[j].type == N_BLOCK) {
                t->code[i].flags &= ~F_MEMO;
                break;
            }
        }
    }
}

/* cache: whether renderers may keep this template's names as Lua strings; not for
 * the short-lived templates that lambdas return. */
static apr_status_t tpl_compile(apr_pool_t *p, const char *name, const char *src,
                                apr_size_t len, const tpl_delims_t *d, int cache,
                                art_tpl_t **out, char **err)
{
    tpl_parser_t ps;
    art_tpl_t *t;
    apr_array_header_t *kids;
    char *copy;
    apr_status_t rv;

    memset(&ps, 0, sizeof(ps));
    if ((rv = apr_pool_create(&ps.tmp, p)) != APR_SUCCESS) {
        return rv;
    }
    copy = apr_palloc(p, len + 1);
    memcpy(copy, src, len);
    copy[len] = '\0';
    ps.p = p;
    ps.tname = name;
    ps.src = copy;
    ps.len = len;
    ps.d = *d;
    ps.frames = apr_array_make(ps.tmp, 8, sizeof(tpl_frame_t));
    ((tpl_frame_t *)apr_array_push(ps.frames))->kids =
        apr_array_make(ps.tmp, 32, sizeof(tpl_node_t));
    ps.names = apr_hash_make(ps.tmp);
    ps.namelist = apr_array_make(ps.tmp, 32, sizeof(const char *));

    rv = parse(&ps);
    if (rv == APR_SUCCESS) {
        t = apr_palloc(p, sizeof(*t));
        t->name = apr_pstrdup(p, name);
        t->src = copy;
        t->len = len;
        kids = APR_ARRAY_IDX(ps.frames, 0, tpl_frame_t).kids;
        t->ncode = tpl_count((tpl_node_t *)kids->elts, kids->nelts);
        t->code = t->ncode ? apr_palloc(p, t->ncode * sizeof(tpl_node_t)) : NULL;
        tpl_flatten(t, 0, (tpl_node_t *)kids->elts, kids->nelts);
        tpl_mark_memo(t);
        t->size_hint = 0;
        t->link_fn = NULL;
        t->link_baton = NULL;
        t->nnames = ps.namelist->nelts;
        t->names = t->nnames
            ? apr_pmemdup(p, ps.namelist->elts, t->nnames * sizeof(const char *))
            : NULL;
        t->fops = NULL;
        t->fields = apr_pcalloc(p, (t->nnames + 1) * sizeof(apr_uint32_t));
        t->stamp = 0;
        while (cache && t->stamp == 0) {
            t->stamp = apr_atomic_inc32(&tpl_stamps) + 1;
        }
        *out = t;
    }
    else if (err) {
        *err = ps.err ? ps.err : apr_psprintf(p, "%s: cannot compile", name);
    }
    apr_pool_destroy(ps.tmp);
    return rv;
}

apr_status_t art_tpl_compile(apr_pool_t *p, const char *name, const char *src,
                             apr_size_t len, art_tpl_t **out, char **err)
{
    return tpl_compile(p, name, src, len, &default_delims, 1, out, err);
}

void art_tpl_link(art_tpl_t *t, art_tpl_resolve_fn resolve, void *baton)
{
    tpl_node_t *nd, *end = t->code + t->ncode;

    for (nd = t->code; nd < end; nd++) {
        if ((nd->type == N_PARTIAL || nd->type == N_PARENT)
            && !(nd->flags & F_DYNAMIC)) {
            nd->link = resolve(baton, nd->s);
        }
    }
    t->link_fn = resolve;
    t->link_baton = baton;
}

/* ------------------------------------------------------------------ renderer */

/* How names are looked up in a value (value_class). */
enum {
    V_NONE,                     /* not at all: skipped */
    V_TABLE,                    /* its own fields, then its metatable's __index */
    V_USERDATA,                 /* through its __index */
    V_NATIVE,                   /* a native userdata: in C */
    V_WRAPPER                   /* a table whose metatable's __index is a native
                                 * userdata: its own fields, then that in C */
};

/* A wrapper's own string keys, as C strings, kept when it has no more than
 * this many (a listed article wrapped with its date text has one): a name
 * that is none of them is not asked of the table (see wrapper_field). */
#define TPL_OWN_MAX 4

/* A context.  A wrapper's native userdata is kept in a stack slot of its own
 * (nat) while it is in the stack, so its own fields are read raw and the rest
 * natively without the metatable being asked again.  That answer holds only
 * while no Lua code ran, which could have given the table another metatable
 * or changed its __index: it is valid while the render's generation (st->gen,
 * counted up wherever the engine may run Lua code) is the one it was found
 * in; after that the wrapper is read as any other table. */
typedef struct {
    int idx;                    /* absolute Lua stack index */
    int cls;                    /* V_NONE ... */
    int nat;                    /* V_WRAPPER: stack index of the native userdata */
    unsigned gen;               /* V_WRAPPER: generation it was found in */
    int checked;                /* V_NATIVE, V_WRAPPER: its native userdata
                                 * passed the native get's checks once */
    const art_tpl_text_t *text; /* a section's native text, which only `.` reads
                                 * (idx then holds nil); else NULL */
    int nown;                   /* V_WRAPPER: how many string keys the table
                                 * itself has (own), or -1: more than fit */
    const char *own[TPL_OWN_MAX];
} tpl_ctx_t;

/* A native string field's bytes, written without a Lua string. */
typedef art_tpl_text_t tpl_text_t;

/* A parent being rendered, with the blocks it overrides (args[0, nargs) of the
 * parent tag's code, each followed by its body); the chain runs from the innermost
 * parent outwards, and the outermost override of a name wins. */
typedef struct tpl_ovr_t tpl_ovr_t;
struct tpl_ovr_t {
    const tpl_node_t *args;
    int nargs;
    apr_size_t ioff, ilen;      /* indentation in force at the parent tag */
    int names;                  /* names of the template that passes args */
    const tpl_ovr_t *prev;
};

/* What the data (the outermost context, a table) answered for a name it
 * has no field of its own for, by name (a layout, its partials and the page
 * template all read the page's strings), while no Lua code ran since
 * (gen): nil, or a value kept in the render's
 * memo table (at the slot's number).  A name that no inner context has is
 * looked up in the data on every item of a list, and a page's site and
 * strings are read all over a page: each time a call of the page's __index
 * function.  Only answers that ran no Lua code are kept: none was asked (no
 * __index), or the __index says so (art_tpl_native_t.index_kept).  Until
 * Lua code runs, which could change the answer or give the data the field
 * itself, the memo answers without a lookup. */
#define TPL_MEMO_SLOTS 32

typedef struct {
    const char *name;           /* a template's, which outlives the render */
    unsigned hash;
    int type;                   /* LUA_TNIL, or the type of the value kept */
    int pristine;               /* index_pristine said so of the value */
    unsigned gen;
} tpl_memo_t;

/* Sections kept rendered.  The data's __index may say that a table it
 * answered is pristine (art_tpl_native_t.index_pristine): no Lua code was
 * ever handed it, so it holds what it held when made, for as long as its
 * owner keeps it (the page model's per-version tables: og and twitter
 * pairs, alternates, languages, site, strings).  A section (F_MEMO) over
 * such a table, or over a table reached from one by plain reads, renders
 * the same bytes again for the same table, except for what its body reads
 * from outside it (a name an item lacks, found further out).  So the first
 * render of it is recorded: its output and each name read outside with
 * the value found: a scalar (nil, boolean, number or string), a pristine
 * table, or, for a dotted name whose first segment is a pristine table,
 * that table alone (what the rest of the name reads is in it).  The next
 * render of that section over that table reads those names again and,
 * when every value is the one recorded (a table still pristine), writes
 * the output kept instead of rendering the body.  A section keeps up to
 * TPL_FRAG_VARIANTS recordings (a page's masthead, one per language), the
 * latest first.  A recording is dropped when the body does anything whose
 * result a later render could not tell from those values: it runs Lua
 * code (a lambda, a metamethod, __tostring: the render's generation
 * moved), reads a table with a metatable or a userdata, finds another
 * table or a native text outside, reads more than TPL_FRAG_DEPS names
 * outside, or overflows the output.  Sections in an indented partial are
 * not kept (the indentation is written into the output), nor sections
 * inside a recording (the outer one holds them).
 * Two more things are kept the same way.  A native userdata whose fields
 * the native functions can anchor (an article view: its fields depend only
 * on the article, the data it is in and what index_memo's table is per),
 * by the body rendered over it, and a list of them (the related articles)
 * by its items' anchors, which the variant keeps to compare (its third
 * slot; the values then start at the fourth).  Native userdata found
 * inside such a body are functions of those anchors too.
 * And a partial with no partial, parent or block in it, written where no
 * indentation is in force, by its tag: everything it reads is outside
 * (the masthead).
 * The kept entries live where index_memo puts them (the page model: in
 * its version cache, dropped with it and counted against its bound):
 * memo[anchor][node] = { variant, ... }, variant = { output, head,
 * anchors or nil, value1, ... }, where the anchor is the table, the native
 * anchor (a light userdata), a hash of a list's anchors or the partial's
 * tag, node the section or tag, and head a
 * string packing tpl_frag_head_t (the stamp of the compile of the template
 * whose code was rendered, the serial of the data a native anchor is in,
 * 0 for others) and the names read outside (tpl_frag_t.off). */
#define TPL_FRAG_DEPS 24
#define TPL_FRAG_VARIANTS 8

/* A variant's header, packed in a Lua string with its deps after it. */
typedef struct {
    lua_Integer serial;
    apr_uint32_t stamp;
    int ndeps;
} tpl_frag_head_t;

typedef struct {
    int base;                   /* the section's first context */
    int key;                    /* stack index of the anchor */
    int entry;                  /* stack index of the entry being made */
    lua_Integer serial;         /* of the data a native anchor is in */
    apr_size_t start;           /* out->len when the body began */
    unsigned gen;
    int ok;
    const art_tpl_t *tpl;       /* the template whose code the body is */
    int first;                  /* the lookup under way noted its first
                                 * segment (frag_note_first) */
    const void *const *views;   /* a list of native userdata as anchor: */
    int nviews;                 /* their anchors (frag_views) */
    int ndeps;
    int off[TPL_FRAG_DEPS];     /* the names read outside: the op's index,
                                 * or -1 - index for a name's first segment
                                 * alone */
} tpl_frag_t;

/* Templates whose names keep a stack slot for the whole render (see
 * names_enter): a page's layout, its partials and a list's item partial. */
#define TPL_NAME_SLOTS 8

typedef struct {
    lua_State *L;
    art_buf_t *out;
    apr_size_t room;            /* what out takes before the slow path (out_sync) */
    art_tpl_resolve_fn resolve;
    void *baton;
    const art_tpl_t *tpl;
    tpl_ctx_t *ctx;             /* the context stack */
    int nctx, ctxcap;
    char *ibuf;                 /* indentation strings, used as a stack */
    apr_size_t icap, itop;
    apr_size_t ioff, ilen;      /* current indentation: ibuf[ioff, ioff + ilen) */
    const tpl_ovr_t *ovr;
    int cache;                  /* stack index of the name cache (see names_push) */
    int mtslot;                 /* stack index of a metatable with __index
                                 * (value_class) */
    const art_tpl_native_t *nops; /* native userdata: the state's functions, */
    const void *nmt;            /* their metatable (NULL: none) */
    int ikey;                   /* stack index of the string "__index" */
    int names;                  /* stack index of the current template's names; 0:
                                 * none, look names up with C strings */
    int nbase;                  /* stack index of the first name slot */
    int nslots;                 /* name slots in use (see names_enter) */
    const art_tpl_t *slot_tpl[TPL_NAME_SLOTS];
    int depth;                  /* nesting of render_code */
    int pdepth;                 /* nesting of partials, parents and lambdas */
    unsigned gen;               /* counted up whenever Lua code may have run
                                 * (lambdas, metamethods): see tpl_ctx_t */
    tpl_ctx_t ctx0[32];
    char ibuf0[128];
    int kept;                   /* get_meta's answer ran no Lua code */
    const void *plain_mt;       /* the metatable get_meta last found with an
                                 * __index that is no native userdata, in
                                 * generation plain_gen: a table with it is
                                 * read with lua_gettable at once */
    lua_CFunction plain_fn;     /* that __index as a C function, or NULL */
    unsigned plain_gen;
    int memo;                   /* stack index of the memo table, or 0 */
    int memo_clear;             /* memo_slot has been cleared */
    tpl_memo_t memo_slot[TPL_MEMO_SLOTS];
    int pristine;               /* the last lookup found a pristine table's
                                 * value (see tpl_frag_t) */
    int frag;                   /* stack index of the kept sections (nil
                                 * until asked for, false: none) */
    tpl_frag_t *rec;            /* the section being recorded, or NULL */
    const void *last_native;    /* a native userdata lookup found, in */
    unsigned last_native_gen;   /* this generation (lookup_at), */
    int udslot;                 /* kept alive in this stack slot */
} tpl_render_t;

static void render_code(tpl_render_t *st, const tpl_node_t *nd, int n);

static int render_fail(tpl_render_t *st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lua_pushvfstring(st->L, fmt, ap);
    va_end(ap);
    return lua_error(st->L);
}

/* ------------------------------------------------------------------ output */

/* Appends go straight into out's free space while it lasts: st->room is how many
 * bytes may be written there without passing out's capacity (one byte stays for
 * the NUL) or limit.  Only when it runs out does art_buf_append grow the buffer
 * or mark it overflowed, after which room is recomputed.  The NUL is written when
 * rendering ends (out_end), not after every piece. */
static void out_sync(tpl_render_t *st)
{
    const art_buf_t *b = st->out;
    apr_size_t room = 0;

    if (!b->overflow && b->cap > b->len) {
        room = b->cap - b->len - 1;
        if (b->limit && (b->limit <= b->len || room > b->limit - b->len)) {
            room = b->limit > b->len ? b->limit - b->len : 0;
        }
    }
    st->room = room;
}

static void out_end(art_buf_t *b)
{
    if (b->cap > b->len) {
        b->data[b->len] = '\0';
    }
}

static void out_slow(tpl_render_t *st, const char *s, apr_size_t n)
{
    art_buf_append(st->out, s, n);
    out_sync(st);
}

static APR_INLINE void out_write(tpl_render_t *st, const char *s, apr_size_t n)
{
    art_buf_t *b = st->out;

    if (n <= st->room) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        st->room -= n;
    }
    else {
        out_slow(st, s, n);
    }
}

/* Give out room for want more bytes at once, so that a page grows its buffer
 * once rather than doubling its way up (and copying) while rendering. */
static void out_presize(art_buf_t *b, apr_size_t want)
{
    apr_size_t cap;
    char *nd;

    if (b->overflow || b->cap > b->len + want) {
        return;
    }
    cap = b->len + want + 1;
    if (b->limit && cap > b->limit + 1) {
        cap = b->limit + 1;
    }
    if (cap <= b->cap) {
        return;
    }
    nd = apr_palloc(b->pool, cap);
    memcpy(nd, b->data, b->len + 1);
    b->data = nd;
    b->cap = cap;
}

static const char html_special[] = "&<>\"'";

/* The bytes HTML escapes, as a table for short scans. */
static const unsigned char html_special_byte[256] = {
    ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1
};

/* Below this many bytes a plain loop beats strcspn's set-up. */
#define TPL_SHORT_SCAN 16

/* The offset of the first byte of s[from, n) that HTML escapes, or n.  Most
 * values are short (a language, a direction, a name): those are scanned with
 * the table.  strcspn is vectorised; it needs s[n] to be a NUL (Lua strings and
 * finished art_bufs have one) and stops early at a NUL inside the value, hence
 * the loop. */
static APR_INLINE apr_size_t next_special(const char *s, apr_size_t from, apr_size_t n)
{
    apr_size_t i;

    if (n - from < TPL_SHORT_SCAN) {
        for (i = from; i < n && !html_special_byte[(unsigned char)s[i]]; i++) {
        }
        return i;
    }
    i = from + strcspn(s + from, html_special);

    while (i < n && s[i] == '\0') {
        i++;
        i += strcspn(s + i, html_special);
    }
    return i < n ? i : n;
}

/* Escape s from its first special byte i on, in one pass: runs between special
 * bytes are copied with one memcpy each, straight into out when the worst case
 * (every byte an entity of 6) fits. */
static void write_escaped_from(tpl_render_t *st, const char *s, apr_size_t n,
                               apr_size_t i)
{
    art_buf_t *b = st->out;
    apr_size_t j;
    const char *ent;
    char *o;

    if (n > st->room / 6) {
        out_write(st, s, i);
        art_buf_append_html(st->out, s + i, n - i);
        out_sync(st);
        return;
    }
    o = b->data + b->len;
    memcpy(o, s, i);
    o += i;
    while (i < n) {
        switch (s[i]) {
        case '&':  ent = "&amp;";  break;
        case '<':  ent = "&lt;";   break;
        case '>':  ent = "&gt;";   break;
        case '"':  ent = "&quot;"; break;
        default:   ent = "&#39;";  break;
        }
        while (*ent) {
            *o++ = *ent++;
        }
        j = next_special(s, ++i, n);
        memcpy(o, s + i, j - i);
        o += j - i;
        i = j;
    }
    st->room -= (apr_size_t)(o - (b->data + b->len));
    b->len = (apr_size_t)(o - b->data);
}

/* Most values have nothing to escape: one scan, one copy. */
static APR_INLINE void write_escaped(tpl_render_t *st, const char *s, apr_size_t n)
{
    apr_size_t i = next_special(s, 0, n);

    if (i == n) {
        out_write(st, s, n);
    }
    else {
        write_escaped_from(st, s, n, i);
    }
}

/* A native field's text, in its one or two pieces. */
static void write_text(tpl_render_t *st, const tpl_text_t *txt, int escape)
{
    if (escape) {
        write_escaped(st, txt->s, txt->n);
        if (txt->s2) {
            write_escaped(st, txt->s2, txt->n2);
        }
    }
    else {
        out_write(st, txt->s, txt->n);
        if (txt->s2) {
            out_write(st, txt->s2, txt->n2);
        }
    }
}

/* ------------------------------------------------------------------ Lua values */

static int has_metafield(lua_State *L, int idx, const char *field)
{
    if (luaL_getmetafield(L, idx, field) == LUA_TNIL) {
        return 0;
    }
    lua_pop(L, 1);
    return 1;
}

/* How names are looked up in the value at idx: a table, a native userdata, a
 * userdata whose metatable has an __index field, or not at all (V_NONE).  The
 * metatable last found with __index stays in a stack slot (st->mtslot), which
 * keeps it alive, so no other table can take its address: userdata of one kind
 * (list elements) then cost one comparison instead of a field lookup by a
 * string each.  The native metatable is kept alive by the registry. */
static int value_class(tpl_render_t *st, int idx)
{
    lua_State *L = st->L;
    int t = lua_type(L, idx), yes;

    if (t == LUA_TTABLE) {
        return V_TABLE;
    }
    if (t != LUA_TUSERDATA || !lua_getmetatable(L, idx)) {
        return V_NONE;
    }
    if (lua_topointer(L, -1) == st->nmt) {
        lua_pop(L, 1);
        return V_NATIVE;
    }
    if (lua_rawequal(L, -1, st->mtslot)) {
        lua_pop(L, 1);
        return V_USERDATA;
    }
    lua_pushvalue(L, st->ikey);
    yes = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 1);
    if (yes) {
        lua_replace(L, st->mtslot);
    }
    else {
        lua_pop(L, 1);
    }
    return yes ? V_USERDATA : V_NONE;
}

/* Whether the value at idx is a native userdata. */
static int is_native(tpl_render_t *st, int idx)
{
    lua_State *L = st->L;
    int yes;

    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) {
        return 0;
    }
    yes = lua_topointer(L, -1) == st->nmt;
    lua_pop(L, 1);
    return yes;
}

/* Whether the table at idx has a metatable whose __index is a native
 * userdata; if so that userdata is pushed. */
static int push_wrapped(tpl_render_t *st, int idx)
{
    lua_State *L = st->L;

    if (!st->nops || !lua_getmetatable(L, idx)) {
        return 0;
    }
    lua_pushvalue(L, st->ikey);
    if (lua_rawget(L, -2) == LUA_TUSERDATA && is_native(st, -1)) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    return 0;
}

/* Note the string keys of wrapper context c's table itself, or that it has
 * more than TPL_OWN_MAX.  The C strings stay valid, and the list true, while
 * the table is unchanged: while no Lua code ran (c->gen).  Keys of other
 * types are no name's. */
static void own_keys(tpl_render_t *st, tpl_ctx_t *c)
{
    lua_State *L = st->L;
    int n = 0;

    lua_pushnil(L);
    while (lua_next(L, c->idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            if (n == TPL_OWN_MAX) {
                lua_pop(L, 2);
                n = -1;
                break;
            }
            c->own[n++] = lua_tostring(L, -2);
        }
        lua_pop(L, 1);
    }
    c->nown = n;
}

/* Whether name may be one of wrapper context c's own keys.  A key with a NUL
 * inside may compare equal to a shorter name: that only sends the name to the
 * table, which answers right. */
static int own_may_have(const tpl_ctx_t *c, const char *name)
{
    int k;

    if (c->nown < 0) {
        return 1;
    }
    for (k = 0; k < c->nown; k++) {
        if (c->own[k][0] == name[0] && strcmp(c->own[k], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Push the value at idx as the innermost context; a wrapper's native userdata
 * goes on top of the Lua stack (the caller pops its slots with lua_settop).
 * Without probe a table is not asked whether it is a wrapper: it is read as
 * any table, which gives the same answers. */
static void ctx_push(tpl_render_t *st, int idx, int probe)
{
    tpl_ctx_t *c;

    if (st->nctx == st->ctxcap) {
        c = apr_palloc(st->out->pool, 2 * st->ctxcap * sizeof(*c));
        memcpy(c, st->ctx, st->nctx * sizeof(*c));
        st->ctx = c;
        st->ctxcap *= 2;
    }
    c = &st->ctx[st->nctx++];
    c->idx = idx;
    c->text = NULL;
    c->checked = 0;
    c->cls = value_class(st, idx);
    if (c->cls == V_TABLE && probe && push_wrapped(st, idx)) {
        c->cls = V_WRAPPER;
        c->nat = lua_gettop(st->L);
        c->gen = st->gen;
        own_keys(st, c);
    }
    /* A recording keeps what plain tables, scalars and native userdata
     * give (tpl_frag_t).  A native one pushed here was found inside: one
     * from outside stopped the recording when it was looked up. */
    if (st->rec && (c->cls == V_WRAPPER || c->cls == V_USERDATA
                    || (c->cls == V_TABLE && lua_getmetatable(st->L, idx)
                        && (lua_pop(st->L, 1), 1)))) {
        st->rec->ok = 0;
    }
}

/* The native userdata's metatable and functions (art_tpl_native). */
static const char tpl_native_key = 'n';
static const char tpl_native_ops_key = 'o';

void art_tpl_native(lua_State *L, int mt, const art_tpl_native_t *ops)
{
    mt = lua_absindex(L, mt);
    lua_pushvalue(L, mt);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &tpl_native_key);
    lua_pushlightuserdata(L, (void *)ops);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &tpl_native_ops_key);
}

/* Lua strings for each template's names, kept per lua_State in the registry as
 * cache[template] = { [0] = stamp, name1, name2, ... }.  Making a Lua string from a
 * C string costs more than the rest of a lookup, and the same names are looked up on
 * every request.  The stamp tells a template from an earlier one that lived at the
 * same address; the cache is emptied when it holds many templates, which happens
 * only after reloads have replaced them.  Pushes the template's name list and
 * returns its stack index, or 0 (nothing pushed) for a template not to cache. */
static const char tpl_cache_key = 'm';

#define TPL_CACHE_MAX 256

static int names_push(tpl_render_t *st, const art_tpl_t *t)
{
    lua_State *L = st->L;
    lua_Integer count;
    int i;

    if (!t->stamp) {
        return 0;
    }
    luaL_checkstack(L, 4, "template nesting");
    if (lua_rawgetp(L, st->cache, t) == LUA_TTABLE) {
        lua_rawgeti(L, -1, 0);
        if (lua_tointeger(L, -1) == (lua_Integer)t->stamp) {
            lua_pop(L, 1);
            return lua_gettop(L);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_rawgeti(L, st->cache, 0);
    count = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    if (count > TPL_CACHE_MAX) {
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &tpl_cache_key);
        lua_replace(L, st->cache);
        count = 1;
    }
    lua_pushinteger(L, count);
    lua_rawseti(L, st->cache, 0);
    lua_createtable(L, t->nnames, 1);
    for (i = 0; i < t->nnames; i++) {
        lua_pushstring(L, t->names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, (lua_Integer)t->stamp);
    lua_rawseti(L, -2, 0);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, st->cache, t);
    return lua_gettop(L);
}

/* Make t's names current for the nodes about to render; returns the previous.
 * The first TPL_NAME_SLOTS templates a render enters keep their names in a
 * stack slot of their own (from st->nbase) until it ends, so a partial
 * rendered for every item of a list finds them at once instead of in the
 * cache on every item.  A template is the same one for the whole render:
 * its stamp was checked when its names were found. */
static int names_enter(tpl_render_t *st, const art_tpl_t *t)
{
    int prev = st->names, k;

    for (k = 0; k < st->nslots; k++) {
        if (st->slot_tpl[k] == t) {
            st->names = st->nbase + k;
            return prev;
        }
    }
    st->names = names_push(st, t);
    if (st->names && st->nslots < TPL_NAME_SLOTS) {
        k = st->nslots++;
        st->slot_tpl[k] = t;
        lua_replace(st->L, st->nbase + k);
        st->names = st->nbase + k;
    }
    return prev;
}

/* Leave the names entered last: pop them unless they are in a slot. */
static void names_leave(tpl_render_t *st, int prev)
{
    if (st->names >= st->nbase + TPL_NAME_SLOTS) {
        lua_pop(st->L, 1);
    }
    st->names = prev;
}

/* Render template t one partial level deeper, with its names in scope. */
static void render_body(tpl_render_t *st, const art_tpl_t *t)
{
    int names = names_enter(st, t);

    st->pdepth++;
    render_code(st, t->code, t->ncode);
    st->pdepth--;
    names_leave(st, names);
}

/* The field number of segment i of nd's name in the native userdata, asked
 * of the native functions once per template and name: the first functions to
 * render a template claim its cache (fops); renders with others, which no
 * state of this module has, ask on every lookup.  Templates are shared by
 * threads, so the cache is written atomically; every writer writes the same
 * answer. */
static int native_field(tpl_render_t *st, const tpl_node_t *nd, int i)
{
    art_tpl_t *t = (art_tpl_t *)nd->owner;
    volatile apr_uint32_t *slot;
    apr_uint32_t v;
    int f;

    if (t->fops == NULL) {
        apr_atomic_casptr(&t->fops, (void *)st->nops, NULL);
    }
    if (t->fops != (void *)st->nops) {
        return st->nops->field(nd->seg[i]);
    }
    slot = &t->fields[nd->sid[i]];
    v = apr_atomic_read32(slot);
    if (v) {
        return (int)v - 2;
    }
    f = st->nops->field(nd->seg[i]);
    apr_atomic_set32(slot, (apr_uint32_t)(f + 2));
    return f;
}

/* Push segment i of nd's name read from the native userdata at obj, or (txt
 * given, a string field) fill txt and push nothing; returns the type or
 * ART_TPL_NATIVE_TEXT.  The native get raises what __index would, and makes
 * room on the stack for what it pushes. */
static int native_get(tpl_render_t *st, int obj, const tpl_node_t *nd, int i,
                      tpl_text_t *txt)
{
    return st->nops->get(st->L, obj, native_field(st, nd, i), txt);
}

/* What a context lookup answers for a name the context does not have when
 * nothing was pushed for it (see ctx_native_get). */
#define TPL_ABSENT (-3)

/* The first segment of nd's name read from the native userdata at obj, which
 * is context c's, as native_get.  A name the userdata has no field for is
 * nil; the get is asked for it only until its checks passed once for this
 * context (the view is the running request's), which cannot change while
 * the template renders: after that such a name costs no call and pushes
 * nothing (TPL_ABSENT).  Names of lists' items are mostly absent from some
 * of them (a snippet, a date text). */
static int ctx_native_get(tpl_render_t *st, tpl_ctx_t *c, int obj,
                          const tpl_node_t *nd, tpl_text_t *txt)
{
    int f = native_field(st, nd, 0), t;

    if (f < 0 && c->checked) {
        return TPL_ABSENT;
    }
    t = st->nops->get(st->L, obj, f, txt);
    c->checked = 1;
    return t;
}

/* Push field i of nd's name of the value at obj (an absolute index), whose
 * class is cls; returns its type.  With txt, a native string field may
 * instead fill txt, push nothing and return ART_TPL_NATIVE_TEXT.  A table
 * is asked raw first; only when that misses and its metatable's __index is a
 * native userdata is the field read from it natively: the same answer as
 * lua_gettable, which would call that userdata's __index. */
static int get_meta(tpl_render_t *st, int obj, const tpl_node_t *nd, int i,
                    tpl_text_t *txt);

static int get_field(tpl_render_t *st, int obj, int cls, const tpl_node_t *nd,
                     int i, tpl_text_t *txt)
{
    lua_State *L = st->L;
    int t;

    if (cls == V_NATIVE) {
        return native_get(st, obj, nd, i, txt);
    }
    if (!st->names) {
        st->gen++;
        return lua_getfield(L, obj, nd->seg[i]);
    }
    lua_rawgeti(L, st->names, nd->sid[i]);
    if (cls != V_TABLE || !st->nops) {
        st->gen++;
        return lua_gettable(L, obj);
    }
    t = lua_rawget(L, obj);
    if (t != LUA_TNIL) {
        return t;
    }
    return get_meta(st, obj, nd, i, txt);
}

/* get_field after a raw miss of a table (nil on top): through its metatable.
 * st->kept says whether the answer ran no Lua code (see tpl_memo_t). */
static int get_meta(tpl_render_t *st, int obj, const tpl_node_t *nd, int i,
                    tpl_text_t *txt)
{
    lua_State *L = st->L;
    const art_tpl_native_t *ops = st->nops;
    int t;

    st->kept = 1;
    if (!lua_getmetatable(L, obj)) {
        return LUA_TNIL;
    }
    /* nil, the metatable.  The metatable of the last table read through
     * Lua is known while no Lua code ran, which could change its __index:
     * a page's, read for every name its own fields lack. */
    if (lua_topointer(L, -1) == st->plain_mt && st->plain_gen == st->gen) {
        lua_pop(L, 2);
        goto as_lua;
    }
    lua_pushvalue(L, st->ikey);
    t = lua_rawget(L, -2);
    if (t == LUA_TNIL) {
        lua_pop(L, 2);
        return LUA_TNIL;
    }
    if (is_native(st, -1)) {
        st->kept = 0;
        lua_replace(L, -3);
        lua_pop(L, 1);
        t = native_get(st, lua_gettop(L), nd, i, txt);
        if (t == ART_TPL_NATIVE_TEXT) {
            lua_pop(L, 1);
        }
        else {
            lua_replace(L, -2);
        }
        return t;
    }
    /* an __index function or table: as Lua reads it */
    st->plain_mt = lua_topointer(L, -2);
    st->plain_fn = lua_tocfunction(L, -1);
    st->plain_gen = st->gen;
    lua_pop(L, 3);
as_lua:
    lua_rawgeti(L, st->names, nd->sid[i]);
    t = lua_gettable(L, obj);
    st->kept = ops->index && st->plain_fn == ops->index && ops->index_kept(L);
    if (!st->kept) {
        st->gen++;
    }
    return t;
}

/* Push the first segment of nd's name read from the wrapper context c, as
 * get_field. */
static int wrapper_field(tpl_render_t *st, tpl_ctx_t *c, const tpl_node_t *nd,
                         tpl_text_t *txt)
{
    lua_State *L = st->L;
    int t;

    if (c->gen != st->gen || !st->names) {
        return get_field(st, c->idx, V_TABLE, nd, 0, txt);
    }
    /* the table itself has none of the names its article has: those cost
     * no lookup in it */
    if (!own_may_have(c, nd->seg[0])) {
        return ctx_native_get(st, c, c->nat, nd, txt);
    }
    lua_rawgeti(L, st->names, nd->sid[0]);
    t = lua_rawget(L, c->idx);
    if (t != LUA_TNIL) {
        return t;
    }
    lua_pop(L, 1);
    return ctx_native_get(st, c, c->nat, nd, txt);
}

/* Replace the value on top of the stack, of class cls, by its field number i
 * of nd's name (or pop it and fill txt, see get_field); returns the field's
 * type. */
static int index_segment(tpl_render_t *st, const tpl_node_t *nd, int i, int cls,
                         tpl_text_t *txt)
{
    lua_State *L = st->L;
    const char *seg = nd->seg[i], *p = seg;
    lua_Integer k = 0;
    int t;

    if (*p >= '0' && *p <= '9') {
        while (*p >= '0' && *p <= '9' && p - seg < 18) {
            k = k * 10 + (*p++ - '0');
        }
        st->gen++;
        if (*p == '\0' && (t = lua_geti(L, -1, k)) != LUA_TNIL) {
            lua_replace(L, -2);
            return t;
        }
        if (*p == '\0') {
            lua_pop(L, 1);
        }
    }
    t = get_field(st, lua_gettop(L), cls, nd, i, txt);
    if (t == ART_TPL_NATIVE_TEXT) {
        lua_pop(L, 1);
    }
    else {
        lua_replace(L, -2);
    }
    return t;
}

/* The memo slot of nd's first segment (see tpl_memo_t).  Pages whose data
 * has every name asked of it never clear the memo. */
static int memo_slot(tpl_render_t *st, const tpl_node_t *nd)
{
    int k;

    if (!st->memo_clear) {
        for (k = 0; k < TPL_MEMO_SLOTS; k++) {
            st->memo_slot[k].name = NULL;
        }
        st->memo_clear = 1;
    }
    return (int)(nd->hash % TPL_MEMO_SLOTS);
}

/* The first segment of nd's name read from the data (ctx[0]), a table, as
 * get_field, or TPL_ABSENT (nothing pushed) when the memo knows it is nil.
 * The memo is asked first: while no Lua code ran, nothing gave the data a
 * field of its own since the answer was kept. */
static int data_field(tpl_render_t *st, const tpl_node_t *nd, tpl_text_t *txt)
{
    lua_State *L = st->L;
    const tpl_ctx_t *c = &st->ctx[0];
    tpl_memo_t *m;
    int t, k, raw;

    if (!st->names || !st->memo) {
        return get_field(st, c->idx, V_TABLE, nd, 0, txt);
    }
    k = memo_slot(st, nd);
    m = &st->memo_slot[k];
    if (m->hash == nd->hash && m->gen == st->gen && m->name
        && (m->name == nd->seg[0] || strcmp(m->name, nd->seg[0]) == 0)) {
        if (m->type == LUA_TNIL) {
            return TPL_ABSENT;
        }
        lua_rawgeti(L, st->memo, k + 1);
        st->pristine = m->pristine;
        return m->type;
    }
    lua_rawgeti(L, st->names, nd->sid[0]);
    t = lua_rawget(L, c->idx);
    /* The data's own field is kept when it is a userdata (page.article,
     * read for each of its fields): only Lua code can change it. */
    raw = t != LUA_TNIL;
    if (raw && t != LUA_TUSERDATA) {
        return t;
    }
    if (!raw) {
        t = get_meta(st, c->idx, nd, 0, txt);
    }
    if ((raw || st->kept) && t != ART_TPL_NATIVE_TEXT) {
        st->pristine = !raw && t == LUA_TTABLE && st->nops->index_pristine
                       && st->nops->index_pristine(L);
        if (t != LUA_TNIL) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, st->memo, k + 1);
        }
        m->name = nd->seg[0];
        m->hash = nd->hash;
        m->type = t;
        m->pristine = st->pristine;
        m->gen = st->gen;
    }
    return t;
}

/* A native text as lookup gives it: copied to txt when given, else pushed as
 * the Lua string the native get would have made. */
static int text_value(tpl_render_t *st, const tpl_text_t *text, tpl_text_t *txt)
{
    if (txt) {
        *txt = *text;
        return ART_TPL_NATIVE_TEXT;
    }
    lua_pushlstring(st->L, text->s, text->n);
    if (text->s2) {
        lua_pushlstring(st->L, text->s2, text->n2);
        lua_concat(st->L, 2);
    }
    return LUA_TSTRING;
}

/* Push the value nd's name refers to, or nil; returns its type.  With txt, a
 * native string field (the last segment) may be given as text instead, with
 * nothing pushed: ART_TPL_NATIVE_TEXT.  *at gets the context the first
 * segment was found in (-1: none); st->pristine whether the value is a
 * pristine table's (tpl_frag_t): its first segment a pristine table the
 * data answered, the others read from tables, which in a pristine table
 * have no metatables. */
static void frag_note_first(tpl_render_t *st, const tpl_node_t *nd);

static int lookup_at(tpl_render_t *st, const tpl_node_t *nd, tpl_text_t *txt,
                     int *at, int nseg)
{
    lua_State *L = st->L;
    tpl_ctx_t *c;
    tpl_text_t *want = nseg == 1 ? txt : NULL;
    int i, cls, keep, t = LUA_TNIL;

    st->pristine = 0;
    *at = st->nctx - 1;
    if (nd->nseg == 0) {
        if (st->nctx && st->ctx[st->nctx - 1].text) {
            return text_value(st, st->ctx[st->nctx - 1].text, txt);
        }
        if (st->nctx) {
            lua_pushvalue(L, st->ctx[st->nctx - 1].idx);
            return lua_type(L, -1);
        }
        lua_pushnil(L);
        return LUA_TNIL;
    }
    for (i = st->nctx - 1; i >= 0; i--) {
        c = &st->ctx[i];
        if (c->cls == V_NONE) {
            continue;
        }
        if (c->cls == V_WRAPPER) {
            t = wrapper_field(st, c, nd, want);
        }
        else if (c->cls == V_NATIVE) {
            t = ctx_native_get(st, c, c->idx, nd, want);
        }
        else if (i == 0 && c->cls == V_TABLE) {
            t = data_field(st, nd, want);
        }
        else {
            t = get_field(st, c->idx, c->cls, nd, 0, want);
        }
        if (t == ART_TPL_NATIVE_TEXT) {
            *at = i;
            return t;
        }
        if (t == TPL_ABSENT) {
            continue;
        }
        if (t != LUA_TNIL) {
            break;
        }
        lua_pop(L, 1);
    }
    *at = i;
    if (i < 0) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    if (st->rec && i < st->rec->base && nseg > 1 && t == LUA_TTABLE
        && st->pristine) {
        frag_note_first(st, nd);
    }
    for (i = 1; i < nseg; i++) {
        keep = st->pristine && t == LUA_TTABLE;
        /* the userdata last found native stays so while no Lua code runs
         * (page.article, read for each of its fields) */
        if (t == LUA_TTABLE) {
            cls = V_TABLE;
        }
        else if (t == LUA_TUSERDATA && st->last_native_gen == st->gen
                 && lua_touserdata(L, -1) == st->last_native) {
            cls = V_NATIVE;
        }
        else {
            cls = value_class(st, lua_gettop(L));
            if (cls == V_NATIVE && st->udslot) {
                /* kept in a slot: its address is no other's while the
                 * render lasts */
                lua_copy(L, -1, st->udslot);
                st->last_native = lua_touserdata(L, -1);
                st->last_native_gen = st->gen;
            }
        }
        if (cls == V_NONE) {
            lua_pop(L, 1);
            lua_pushnil(L);
            return LUA_TNIL;
        }
        t = index_segment(st, nd, i, cls, i == nseg - 1 ? txt : NULL);
        st->pristine = keep;
        if (t == ART_TPL_NATIVE_TEXT) {
            return t;
        }
    }
    return t;
}

static void frag_note(tpl_render_t *st, const tpl_node_t *nd, int t, int at);

/* lookup_at, noting for a section being recorded what the name found. */
static int lookup(tpl_render_t *st, const tpl_node_t *nd, tpl_text_t *txt)
{
    int at, t;

    if (st->rec) {
        st->rec->first = 0;
    }
    t = lookup_at(st, nd, txt, &at, nd->nseg);
    if (st->rec && !st->rec->first) {
        frag_note(st, nd, t, at);
    }
    return t;
}

/* Text of a string or number at idx (numbers formatted into buf, which needs 64
 * bytes); NULL for anything else. */
static const char *scalar_text(lua_State *L, int idx, char *buf, size_t *n)
{
    lua_Integer v;
    unsigned long long u;
    char *p;

    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        return lua_tolstring(L, idx, n);
    case LUA_TNUMBER:
        if (!lua_isinteger(L, idx)) {
            *n = (size_t)snprintf(buf, 64, "%.14g", (double)lua_tonumber(L, idx));
            return buf;
        }
        v = lua_tointeger(L, idx);
        u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        p = buf + 63;
        *p = '\0';
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) {
            *--p = '-';
        }
        *n = buf + 63 - p;
        return p;
    default:
        return NULL;
    }
}

/* ------------------------------------------------------------------ indentation */

static void write_indent(tpl_render_t *st)
{
    out_write(st, st->ibuf + st->ioff, st->ilen);
}

static int line_is_empty(const char *s, const char *e)
{
    return s < e && (*s == '\n' || (*s == '\r' && s + 1 < e && s[1] == '\n'));
}

static void write_text_indented(tpl_render_t *st, const tpl_node_t *nd)
{
    const char *s = nd->s, *e = s + nd->n, *p;

    if ((nd->flags & F_BOL) && !line_is_empty(s, e)) {
        write_indent(st);
    }
    while (s < e && (p = memchr(s, '\n', e - s - 1)) != NULL) {
        out_write(st, s, p + 1 - s);
        s = p + 1;
        if (!line_is_empty(s, e)) {
            write_indent(st);
        }
    }
    out_write(st, s, e - s);
}

#define TPL_MAX_INDENT (256 * 1024)

/* Make the current indentation the concatenation of the current one (when cur), own,
 * and ibuf[doff, doff + dlen) (when def); callers save and restore ioff, ilen, itop. */
static void ind_make(tpl_render_t *st, int cur, const char *own, apr_size_t nown,
                     int def, apr_size_t doff, apr_size_t dlen)
{
    apr_size_t need = (cur ? st->ilen : 0) + nown + (def ? dlen : 0), cap;
    char *o;

    /* a self-including standalone partial would otherwise grow this quadratically */
    if (st->itop + need > TPL_MAX_INDENT) {
        render_fail(st, "indentation too deep");
        return;
    }
    if (st->itop + need > st->icap) {
        for (cap = st->icap * 2; cap < st->itop + need; cap *= 2) {
        }
        o = apr_palloc(st->out->pool, cap);
        memcpy(o, st->ibuf, st->itop);
        st->ibuf = o;
        st->icap = cap;
    }
    o = st->ibuf + st->itop;
    if (cur) {
        memcpy(o, st->ibuf + st->ioff, st->ilen);
        o += st->ilen;
    }
    memcpy(o, own, nown);
    o += nown;
    if (def) {
        memcpy(o, st->ibuf + doff, dlen);
    }
    st->ioff = st->itop;
    st->ilen = need;
    st->itop += need;
}

static void ind_clear(tpl_render_t *st)
{
    st->ioff = st->itop;
    st->ilen = 0;
}

/* ------------------------------------------------------------------ values */

/* The result of a lambda (at idx) is compiled into a pool of its own and rendered
 * in the current context; the pool is gone once it is rendered: a lambda called
 * for every item of a long list would otherwise pile its compiled results up in
 * the request pool (issue #12).  A Lua error while rendering leaves the pool to
 * its parent, freed with the request. */
static void render_lambda_result(tpl_render_t *st, int idx, const tpl_delims_t *d)
{
    apr_size_t ioff = st->ioff, ilen = st->ilen;
    apr_pool_t *tp;
    art_tpl_t *t;
    char num[64], *err = NULL;
    const char *s;
    size_t n;

    s = scalar_text(st->L, idx, num, &n);
    if (!s) {
        return;
    }
    apr_pool_create(&tp, st->out->pool);
    if (tpl_compile(tp, "lambda", s, n, d, 0, &t, &err) != APR_SUCCESS) {
        render_fail(st, "%s", err ? err : "lambda: cannot compile");
    }
    else if (st->pdepth >= ART_TPL_MAX_PARTIAL_DEPTH) {
        render_fail(st, "partial recursion too deep (lambda)");
    }
    else {
        ind_clear(st);
        render_body(st, t);
        st->ioff = ioff;
        st->ilen = ilen;
    }
    apr_pool_destroy(tp);
}

static void write_lambda(tpl_render_t *st, int idx, int escape)
{
    lua_State *L = st->L;
    art_buf_t *out = st->out, tmp;

    lua_pushvalue(L, idx);
    st->gen++;
    lua_call(L, 0, 1);
    if (!escape) {
        render_lambda_result(st, lua_gettop(L), &default_delims);
    }
    else {
        apr_pool_t *tp;

        /* Only its escaped copy is kept. */
        apr_pool_create(&tp, out->pool);
        art_buf_init(&tmp, tp, 256);
        tmp.limit = out->limit;
        st->out = &tmp;
        out_sync(st);
        render_lambda_result(st, lua_gettop(L), &default_delims);
        out_end(&tmp);
        st->out = out;
        if (tmp.overflow) {
            out->overflow = 1;
        }
        out_sync(st);
        write_escaped(st, tmp.data, tmp.len);
        apr_pool_destroy(tp);
    }
    lua_pop(L, 1);
}

/* Write the value on top of the stack, of type type, and pop it. */
static void write_top(tpl_render_t *st, int type, int escape)
{
    lua_State *L = st->L;
    const char *s;
    char num[64];
    size_t n;

    switch (type) {
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &n);
        if (escape) {
            write_escaped(st, s, n);
        }
        else {
            out_write(st, s, n);
        }
        break;
    case LUA_TNUMBER:
        s = scalar_text(L, -1, num, &n);
        out_write(st, s, n);
        break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, -1)) {
            out_write(st, "true", 4);
        }
        else {
            out_write(st, "false", 5);
        }
        break;
    case LUA_TTABLE:
    case LUA_TUSERDATA:
        if (has_metafield(L, -1, "__tostring")) {
            st->gen++;
            s = luaL_tolstring(L, -1, &n);
            if (escape) {
                write_escaped(st, s, n);
            }
            else {
                out_write(st, s, n);
            }
            lua_pop(L, 1);
        }
        break;
    case LUA_TFUNCTION:
        write_lambda(st, lua_gettop(L), escape);
        break;
    }
    lua_pop(L, 1);
}

enum { S_FALSE, S_VALUE, S_LIST, S_USERLIST, S_LAMBDA };

/* How a section treats the value at idx, of type type; *len gets a list's length. */
static int section_kind(lua_State *L, int idx, int type, lua_Integer *len)
{
    switch (type) {
    case LUA_TNIL:
        return S_FALSE;
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? S_VALUE : S_FALSE;
    case LUA_TTABLE:
        *len = (lua_Integer)lua_rawlen(L, idx);
        if (*len > 0) {
            return S_LIST;
        }
        lua_pushnil(L);
        if (lua_next(L, idx)) {
            lua_pop(L, 2);
            return S_VALUE;
        }
        return S_FALSE;
    case LUA_TUSERDATA:
        if (!has_metafield(L, idx, "__len")) {
            return S_VALUE;
        }
        *len = luaL_len(L, idx);
        return *len > 0 ? S_USERLIST : S_FALSE;
    case LUA_TFUNCTION:
        return S_LAMBDA;
    default:
        return S_VALUE;
    }
}

/* ------------------------------------------------------------------ kept sections */

/* The kept sections' table (tpl_frag_t) in its stack slot, asked for once
 * per render; returns whether there is one (the native functions may give
 * none). */
static int frag_table(tpl_render_t *st)
{
    lua_State *L = st->L;
    int t = lua_type(L, st->frag);

    if (t != LUA_TNIL) {
        return t == LUA_TTABLE;
    }
    if (st->nops->index_memo && st->nops->index_memo(L, 0)) {
        lua_replace(L, st->frag);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_replace(L, st->frag);
    return 0;
}

/* Whether what is about to render may be kept, or written from what was
 * kept, now: no recording is under way (it holds what is inside), no
 * indentation is in force, and there is a table to keep it in. */
static int frag_ready(tpl_render_t *st)
{
    return !st->rec && st->ilen == 0 && st->frag && frag_table(st);
}

/* frag_ready, for section nd. */
static int frag_can(tpl_render_t *st, const tpl_node_t *nd)
{
    return (nd->flags & F_MEMO) && nd->owner->stamp && frag_ready(st);
}

/* A list of native userdata (the related articles) is an anchor too: by
 * the anchors of its items, which the entry keeps to compare. */
#define TPL_FRAG_VIEWS 16

/* Fill av with the anchors of the len items of the list at v, all native
 * userdata of one data (serial); returns 0 when they are not. */
static int frag_views(tpl_render_t *st, int v, lua_Integer len, const void **av,
                      lua_Integer *serial)
{
    lua_State *L = st->L;
    lua_Integer i, sn = 0;
    int ok = 1;

    for (i = 1; ok && i <= len; i++) {
        lua_rawgeti(L, v, i);
        ok = is_native(st, -1) && (av[i - 1] = st->nops->anchor(L, -1, &sn)) != NULL
            && (i == 1 || sn == *serial);
        *serial = sn;
        lua_pop(L, 1);
    }
    return ok;
}

static apr_uint64_t frag_views_key(const void *const *av, lua_Integer len)
{
    apr_uint64_t h = (apr_uint64_t)len;
    lua_Integer i;

    for (i = 0; i < len; i++) {
        h = (h ^ (apr_uint64_t)(apr_uintptr_t)av[i]) * 0x100000001b3ULL;
    }
    return h;
}

/* Write what was kept under the anchor at key for node nd (a section, or a
 * partial tag rendering template t), when one of its variants was recorded
 * from t's compile in the same data (serial) and every name it read
 * outside finds what it found then; returns whether it did.  The names are
 * looked up once for all variants (most read the same ones). */
static int frag_replay(tpl_render_t *st, const tpl_node_t *nd, const art_tpl_t *t,
                       int key, lua_Integer serial, const void *const *av, int nav)
{
    lua_State *L = st->L;
    lua_Integer v, nv;
    unsigned gen = st->gen;
    int doff[TPL_FRAG_DEPS], dpri[TPL_FRAG_DEPS], neval = 0, d, e, k, ndeps;
    int list, same = 0, at, off;
    tpl_frag_head_t head;
    const char *s, *hs, *vs;
    size_t n;

    luaL_checkstack(L, TPL_FRAG_DEPS + 8, "template nesting");
    lua_pushvalue(L, key);
    if (lua_rawget(L, st->frag) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_rawgetp(L, -1, nd) != LUA_TTABLE) {
        lua_pop(L, 2);
        return 0;
    }
    list = lua_gettop(L);
    nv = (lua_Integer)lua_rawlen(L, list);
    /* the values found, in order, sit at list + 1 ...; a variant's entry
     * above them */
    for (v = 1; !same && v <= nv; v++) {
        lua_rawgeti(L, list, v);
        e = lua_gettop(L);
        lua_rawgeti(L, e, 2);
        hs = lua_tolstring(L, -1, &n);
        same = hs && n >= sizeof(head);
        if (same) {
            memcpy(&head, hs, sizeof(head));
            same = head.stamp == t->stamp && head.serial == serial
                && n == sizeof(head) + head.ndeps * sizeof(int);
        }
        if (same && av) {
            lua_rawgeti(L, e, 3);
            vs = lua_tolstring(L, -1, &n);
            same = vs && n == nav * sizeof(*av) && memcmp(vs, av, n) == 0;
            lua_pop(L, 1);
        }
        ndeps = same ? head.ndeps : 0;
        for (k = 0; same && k < ndeps; k++) {
            memcpy(&off, hs + sizeof(head) + k * sizeof(int), sizeof(int));
            for (d = 0; d < neval && doff[d] != off; d++) {
            }
            if (d == neval) {
                if (neval == TPL_FRAG_DEPS || off >= t->ncode || -1 - off >= t->ncode) {
                    same = 0;
                    break;
                }
                if (off >= 0) {
                    lookup(st, t->code + off, NULL);
                }
                else {
                    lookup_at(st, t->code - 1 - off, NULL, &at, 1);
                }
                dpri[d] = st->pristine;
                doff[d] = off;
                lua_insert(L, e++);
                neval++;
            }
            lua_rawgeti(L, e, 4 + k);
            same = lua_rawequal(L, -1, list + 1 + d)
                && (lua_type(L, -1) != LUA_TTABLE || dpri[d]) && st->gen == gen;
            lua_pop(L, 1);
        }
        if (same) {
            lua_rawgeti(L, e, 1);
            s = lua_tolstring(L, -1, &n);
            out_write(st, s, n);
        }
        lua_settop(L, list + neval);
    }
    lua_settop(L, list - 2);
    return same;
}

/* Start recording what node nd renders from template t over the anchor at
 * key into the new entry table at entry; contexts from base on are its
 * own. */
static void frag_begin(tpl_render_t *st, tpl_frag_t *rec, const art_tpl_t *t,
                       int key, int entry, lua_Integer serial, int base)
{
    rec->base = base;
    rec->key = key;
    rec->entry = entry;
    rec->serial = serial;
    rec->start = st->out->len;
    rec->gen = st->gen;
    rec->ok = 1;
    rec->ndeps = 0;
    rec->views = NULL;
    rec->nviews = 0;
    rec->tpl = t;
    st->rec = rec;
}

/* Note dep code (see tpl_frag_t.off) with the value on top of the stack,
 * once. */
static void frag_dep(tpl_render_t *st, int code, int sid)
{
    tpl_frag_t *rec = st->rec;
    const tpl_node_t *o;
    int k;

    for (k = 0; k < rec->ndeps; k++) {
        if (rec->off[k] == code) {
            return;
        }
        /* a first segment is the same name in any op */
        o = rec->tpl->code + (rec->off[k] < 0 ? -1 - rec->off[k] : rec->off[k]);
        if (code < 0 && rec->off[k] < 0 && o->sid[0] == sid) {
            return;
        }
    }
    if (rec->ndeps == TPL_FRAG_DEPS) {
        rec->ok = 0;
        return;
    }
    rec->off[rec->ndeps++] = code;
    if (lua_type(st->L, -1) != LUA_TNIL) {
        lua_pushvalue(st->L, -1);
        lua_rawseti(st->L, rec->entry, 3 + rec->ndeps);
    }
}

/* The first segment of nd's name, on top of the stack, was found outside
 * the body being recorded, and is a pristine table: the rest of the name
 * reads what that table holds, so the table is what the body depends on. */
static void frag_note_first(tpl_render_t *st, const tpl_node_t *nd)
{
    tpl_frag_t *rec = st->rec;

    rec->first = 1;
    if (rec->ok && nd->owner == rec->tpl && nd->sid) {
        frag_dep(st, -1 - (int)(nd - rec->tpl->code), nd->sid[0]);
    }
    else {
        rec->ok = 0;
    }
}

/* What a lookup in the body being recorded found (see lookup). */
static void frag_note(tpl_render_t *st, const tpl_node_t *nd, int t, int at)
{
    tpl_frag_t *rec = st->rec;

    if (!rec->ok) {
        return;
    }
    if (t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TLIGHTUSERDATA
        || t == LUA_TTHREAD) {
        rec->ok = 0;
        return;
    }
    if (at >= rec->base) {
        return;
    }
    if (t == ART_TPL_NATIVE_TEXT || (t == LUA_TTABLE && !st->pristine)
        || nd->owner != rec->tpl) {
        rec->ok = 0;
        return;
    }
    frag_dep(st, (int)(nd - rec->tpl->code), 0);
}

/* End the recording of node nd: keep the entry, as the first variant,
 * when nothing dropped it.  Each kept entry is counted as its output and
 * TPL_FRAG_BYTES more. */
#define TPL_FRAG_BYTES 256

static void frag_end(tpl_render_t *st, tpl_frag_t *rec, const tpl_node_t *nd)
{
    lua_State *L = st->L;
    apr_size_t n = st->out->len - rec->start;
    char hb[sizeof(tpl_frag_head_t) + TPL_FRAG_DEPS * sizeof(int)];
    tpl_frag_head_t head;
    lua_Integer i;

    st->rec = NULL;
    if (!rec->ok || st->gen != rec->gen || st->out->overflow) {
        return;
    }
    lua_pushlstring(L, st->out->data + rec->start, n);
    lua_rawseti(L, rec->entry, 1);
    head.stamp = rec->tpl->stamp;
    head.serial = rec->serial;
    head.ndeps = rec->ndeps;
    memcpy(hb, &head, sizeof(head));
    memcpy(hb + sizeof(head), rec->off, rec->ndeps * sizeof(int));
    lua_pushlstring(L, hb, sizeof(head) + rec->ndeps * sizeof(int));
    lua_rawseti(L, rec->entry, 2);
    if (rec->views) {
        lua_pushlstring(L, (const char *)rec->views, rec->nviews * sizeof(*rec->views));
        lua_rawseti(L, rec->entry, 3);
    }
    if (!st->nops->index_memo(L, n + TPL_FRAG_BYTES)) {
        return;
    }
    lua_pushvalue(L, rec->key);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushvalue(L, rec->key);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    if (lua_rawgetp(L, -1, nd) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, TPL_FRAG_VARIANTS, 0);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, -3, nd);
    }
    i = (lua_Integer)lua_rawlen(L, -1);
    for (i = i < TPL_FRAG_VARIANTS ? i : TPL_FRAG_VARIANTS - 1; i >= 1; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushvalue(L, rec->entry);
    lua_rawseti(L, -2, 1);
    lua_pop(L, 3);
}

/* Render section nd's body once over the innermost context, just pushed
 * for the value at idx: kept (tpl_frag_t) when that context is a native
 * userdata the native functions anchor. */
static void render_over(tpl_render_t *st, const tpl_node_t *nd, int idx)
{
    lua_State *L = st->L;
    const tpl_node_t *body = nd + 1;
    int nbody = nd->end - (int)(nd - nd->owner->code) - 1;
    int top = lua_gettop(L);
    lua_Integer serial = 0;
    const void *at;
    tpl_frag_t rec;

    if (st->ctx[st->nctx - 1].cls != V_NATIVE || !st->nops->anchor
        || !frag_can(st, nd)
        || (at = st->nops->anchor(L, idx, &serial)) == NULL) {
        render_code(st, body, nbody);
        return;
    }
    luaL_checkstack(L, 4, "template nesting");
    lua_pushlightuserdata(L, (void *)at);
    if (!frag_replay(st, nd, nd->owner, top + 1, serial, NULL, 0)) {
        lua_createtable(L, 8, 0);
        frag_begin(st, &rec, nd->owner, top + 1, top + 2, serial, st->nctx - 1);
        render_code(st, body, nbody);
        frag_end(st, &rec, nd);
    }
    lua_settop(L, top);
}

/* ------------------------------------------------------------------ tags */

/* A section's body is the code right after it, up to its end. */
static void render_section(tpl_render_t *st, const tpl_node_t *nd)
{
    lua_State *L = st->L;
    const tpl_node_t *body = nd + 1;
    int nbody = nd->end - (int)(nd - nd->owner->code) - 1;
    lua_Integer i, len = 0;
    tpl_text_t txt;
    tpl_frag_t rec;
    const void *av[TPL_FRAG_VIEWS];
    lua_Integer serial = 0;
    int v, kind, probe = 1, top = lua_gettop(L), pristine, views, keep = 0;

    luaL_checkstack(L, 8, "template nesting");
    kind = lookup(st, nd, &txt);
    /* kept over a pristine table, or over a list of native userdata */
    pristine = st->pristine;
    views = nd->type == N_SECTION && kind == LUA_TTABLE && frag_can(st, nd);
    pristine = views && pristine;
    views = views && !pristine && st->nops->anchor;
    if (kind == ART_TPL_NATIVE_TEXT) {
        /* A string, so true; the body is rendered in it as a context that
         * only `.` reads, and the Lua string is made only if that is read. */
        if (nd->type == N_SECTION) {
            lua_pushnil(L);
            v = lua_gettop(L);
            ctx_push(st, v, 0);
            st->ctx[st->nctx - 1].text = &txt;
            render_code(st, body, nbody);
            st->nctx--;
            lua_settop(L, v - 1);
        }
        return;
    }
    v = lua_gettop(L);
    if (kind == LUA_TUSERDATA) {
        /* __len, and the items of a userdata list, may run Lua code */
        st->gen++;
    }
    kind = section_kind(L, v, kind, &len);
    if (views && kind == S_LIST && len <= TPL_FRAG_VIEWS
        && frag_views(st, v, len, av, &serial)) {
        /* entry, key and list, in that order: the body pops to the list */
        lua_pushinteger(L, (lua_Integer)frag_views_key(av, len));
        if (frag_replay(st, nd, nd->owner, v + 1, serial, av, (int)len)) {
            lua_settop(L, top);
            return;
        }
        lua_insert(L, v);
        lua_createtable(L, 8, 0);
        lua_insert(L, v);
        v += 2;
        frag_begin(st, &rec, nd->owner, v - 1, v - 2, serial, st->nctx);
        rec.views = av;
        rec.nviews = (int)len;
        keep = 1;
    }
    else if (pristine && (kind == S_VALUE || kind == S_LIST)) {
        if (frag_replay(st, nd, nd->owner, v, 0, NULL, 0)) {
            lua_settop(L, top);
            return;
        }
        /* the entry goes below the table: a list's body pops to it */
        lua_createtable(L, 8, 0);
        lua_insert(L, v);
        v++;
        frag_begin(st, &rec, nd->owner, v, v - 1, 0, st->nctx);
        keep = 1;
    }
    if (nd->type == N_INVERTED) {
        if (kind == S_FALSE) {
            render_code(st, body, nbody);
        }
    }
    else if (kind == S_VALUE) {
        ctx_push(st, v, 1);
        render_over(st, nd, v);
        if (st->ctx[--st->nctx].cls == V_WRAPPER) {
            lua_settop(L, v);
        }
    }
    else if (kind == S_LIST || kind == S_USERLIST) {
        for (i = 1; i <= len; i++) {
            if (st->out->overflow) {
                render_fail(st, "output too large");
                return;
            }
            if (kind == S_LIST) {
                lua_rawgeti(L, v, i);
            }
            else {
                st->gen++;
                lua_geti(L, v, i);
            }
            /* the items of a list are alike: when the first is a plain
             * table, the others are not asked (a wrapper's metatable
             * costs a lookup per table) */
            ctx_push(st, v + 1, probe);
            if (i == 1 && st->ctx[st->nctx - 1].cls == V_TABLE) {
                probe = 0;
            }
            render_over(st, nd, v + 1);
            st->nctx--;
            lua_settop(L, v);
        }
    }
    else if (kind == S_LAMBDA) {
        lua_pushvalue(L, v);
        lua_pushlstring(L, nd->s, nd->n);
        st->gen++;
        lua_call(L, 1, 1);
        render_lambda_result(st, v + 1, nd->delims);
        lua_pop(L, 1);
    }
    if (keep) {
        frag_end(st, &rec, nd);
    }
    lua_settop(L, top);
}

static const art_tpl_t *find_template(tpl_render_t *st, const tpl_node_t *nd)
{
    const art_tpl_t *t;
    const char *name;
    char num[64];
    size_t n;

    if (!st->resolve) {
        return NULL;
    }
    if (!(nd->flags & F_DYNAMIC)) {
        /* linked when the set was loaded: the same resolver would answer the same */
        if (nd->owner->link_fn == st->resolve && nd->owner->link_baton == st->baton) {
            return nd->link;
        }
        return st->resolve(st->baton, nd->s);
    }
    lookup(st, nd, NULL);
    name = scalar_text(st->L, -1, num, &n);
    t = name ? st->resolve(st->baton, name) : NULL;
    lua_pop(st->L, 1);
    return t;
}

/* Render partial t, named by tag nd, or write it as it was kept
 * (tpl_frag_t): every name it reads is read outside it. */
static void render_kept(tpl_render_t *st, const tpl_node_t *nd, const art_tpl_t *t)
{
    lua_State *L = st->L;
    int top = lua_gettop(L);
    tpl_frag_t rec;

    int names, kept;

    luaL_checkstack(L, 4, "template nesting");
    lua_pushlightuserdata(L, (void *)nd);
    /* the names it reads are t's */
    names = names_enter(st, t);
    kept = frag_replay(st, nd, t, top + 1, 0, NULL, 0);
    names_leave(st, names);
    if (!kept) {
        lua_createtable(L, 8, 0);
        frag_begin(st, &rec, t, top + 1, top + 2, 0, st->nctx);
        render_body(st, t);
        frag_end(st, &rec, nd);
    }
    lua_settop(L, top);
}

static void render_partial(tpl_render_t *st, const tpl_node_t *nd)
{
    apr_size_t ioff = st->ioff, ilen = st->ilen, itop = st->itop;
    const art_tpl_t *t = find_template(st, nd);

    if (!t) {
        return;
    }
    if (st->pdepth >= ART_TPL_MAX_PARTIAL_DEPTH) {
        render_fail(st, "partial recursion too deep ('%s')", t->name);
        return;
    }
    /* a partial inside a line is not indented: only a standalone one is */
    if (nd->flags & F_STANDALONE) {
        ind_make(st, 1, nd->ind, nd->nind, 0, 0, 0);
    }
    else {
        ind_clear(st);
    }
    if (t->memo && t->nnames && t->stamp && frag_ready(st)) {
        render_kept(st, nd, t);
    }
    else {
        render_body(st, t);
    }
    st->ioff = ioff;
    st->ilen = ilen;
    st->itop = itop;
}

/* A parent's code is followed by the blocks it passes, each with its body. */
static void render_parent(tpl_render_t *st, const tpl_node_t *nd)
{
    apr_size_t ioff = st->ioff, ilen = st->ilen, itop = st->itop;
    const art_tpl_t *t = find_template(st, nd);
    tpl_ovr_t ovr;

    if (!t) {
        return;
    }
    if (st->pdepth >= ART_TPL_MAX_PARTIAL_DEPTH) {
        render_fail(st, "partial recursion too deep ('%s')", t->name);
        return;
    }
    ovr.args = nd + 1;
    ovr.nargs = nd->end - (int)(nd - nd->owner->code) - 1;
    ovr.ioff = ioff;
    ovr.ilen = ilen;
    ovr.names = st->names;
    ovr.prev = st->ovr;
    st->ovr = &ovr;
    if (nd->flags & F_STANDALONE) {
        ind_make(st, 1, nd->ind, nd->nind, 0, 0, 0);
    }
    else {
        ind_clear(st);
    }
    render_body(st, t);
    st->ovr = ovr.prev;
    st->ioff = ioff;
    st->ilen = ilen;
    st->itop = itop;
}

/* A block renders the outermost override of its name, else its default content.
 * Indentation, as the spec defines it on the text: a body written standalone was
 * dedented where it was written and takes the indentation of a standalone expansion
 * site (current + the site's own); a body written inline keeps the indentation of
 * the template it was written in, plus the site's when the site is standalone. */
static void render_block(tpl_render_t *st, const tpl_node_t *nd)
{
    apr_size_t ioff = st->ioff, ilen = st->ilen, itop = st->itop, doff, dlen;
    const tpl_node_t *use = nd, *a, *aend;
    const tpl_ovr_t *o, *from = NULL;
    int dedented, names;

    for (o = st->ovr; o; o = o->prev) {
        aend = o->args + o->nargs;
        /* the args are blocks; each one's end skips its body */
        for (a = o->args; a < aend; a = a->owner->code + a->end) {
            if (same_name(a->s, a->n, nd->s, nd->n)) {
                use = a;
                from = o;
                break;
            }
        }
    }
    doff = from ? from->ioff : ioff;
    dlen = from ? from->ilen : ilen;
    dedented = use->flags & F_DEDENTED;
    if (nd->flags & F_STANDALONE) {
        ind_make(st, 1, nd->ind, nd->nind, !dedented, doff, dlen);
    }
    else if (dedented) {
        ind_clear(st);
    }
    else {
        st->ioff = doff;
        st->ilen = dlen;
    }
    /* an override's code belongs to the template that passed it */
    names = st->names;
    if (from) {
        st->names = from->names;
    }
    render_code(st, use + 1, use->end - (int)(use - use->owner->code) - 1);
    st->names = names;
    st->ioff = ioff;
    st->ilen = ilen;
    st->itop = itop;
}

/* Render code[0, n): ops one after the other, where a section, parent or block
 * renders its body itself and the walk resumes at its end. */
static void render_code(tpl_render_t *st, const tpl_node_t *nd, int n)
{
    const tpl_node_t *end, *code;
    tpl_text_t txt;
    int t;

    /* An empty template or section has no code at all (NULL), and NULL + 0 is
     * undefined in C. */
    if (n == 0) {
        return;
    }
    end = nd + n;
    code = nd->owner->code;
    if (++st->depth > ART_TPL_MAX_NESTING) {
        render_fail(st, "template nesting too deep");
        return;
    }
    if (st->out->overflow) {
        render_fail(st, "output too large");
        return;
    }
    while (nd < end) {
        if (nd->type == N_TEXT) {
            if (st->ilen) {
                write_text_indented(st, nd);
            }
            else {
                out_write(st, nd->s, nd->n);
            }
            nd++;
            continue;
        }
        if ((nd->flags & F_BOL) && st->ilen) {
            write_indent(st);
        }
        switch (nd->type) {
        case N_VAR:
        case N_RAW:
            t = lookup(st, nd, &txt);
            if (t != ART_TPL_NATIVE_TEXT) {
                write_top(st, t, nd->type == N_VAR);
            }
            else {
                write_text(st, &txt, nd->type == N_VAR);
            }
            break;
        case N_SECTION:
        case N_INVERTED:
            render_section(st, nd);
            break;
        case N_PARTIAL:
            render_partial(st, nd);
            break;
        case N_PARENT:
            render_parent(st, nd);
            break;
        case N_BLOCK:
            render_block(st, nd);
            break;
        }
        nd = code + nd->end;
    }
    st->depth--;
}

/* Runs under lua_pcall: 1 = the render state, 2 = the data. */
static int render_main(lua_State *L)
{
    tpl_render_t *st = lua_touserdata(L, 1);

    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &tpl_native_key) == LUA_TTABLE
        && lua_rawgetp(L, LUA_REGISTRYINDEX, &tpl_native_ops_key)
           == LUA_TLIGHTUSERDATA) {
        st->nmt = lua_topointer(L, -2);
        st->nops = lua_touserdata(L, -1);
    }
    lua_settop(L, 2);
    lua_pushliteral(L, "__index");
    st->ikey = lua_gettop(L);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &tpl_cache_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &tpl_cache_key);
    }
    st->cache = lua_gettop(L);
    lua_pushnil(L);
    st->mtslot = lua_gettop(L);
    lua_pushnil(L);
    st->udslot = lua_gettop(L);
    if (st->nops) {
        lua_createtable(L, TPL_MEMO_SLOTS, 0);
        st->memo = lua_gettop(L);
        lua_pushnil(L);
        st->frag = lua_gettop(L);
    }
    luaL_checkstack(L, TPL_NAME_SLOTS, "template nesting");
    lua_settop(L, lua_gettop(L) + TPL_NAME_SLOTS);
    st->nbase = lua_gettop(L) - TPL_NAME_SLOTS + 1;
    ctx_push(st, 2, 1);
    names_enter(st, st->tpl);
    render_code(st, st->tpl->code, st->tpl->ncode);
    if (st->out->overflow) {
        return render_fail(st, "output too large");
    }
    return 0;
}

apr_status_t art_tpl_render(const art_tpl_t *t, lua_State *L, int data_idx,
                            art_tpl_resolve_fn resolve, void *baton,
                            art_buf_t *out, char **err)
{
    tpl_render_t st;
    const char *msg;
    apr_size_t start = out->len, hint;

    data_idx = lua_absindex(L, data_idx);
    if (!lua_checkstack(L, 3)) {
        if (err) {
            *err = apr_psprintf(out->pool, "%s: Lua stack exhausted", t->name);
        }
        return APR_EGENERAL;
    }
    /* a quarter more than last time: pages of one kind differ in length */
    hint = apr_atomic_read32(&((art_tpl_t *)t)->size_hint);
    if (hint) {
        out_presize(out, hint + hint / 4);
    }
    st.L = L;
    st.out = out;
    out_sync(&st);
    st.resolve = resolve;
    st.baton = baton;
    st.tpl = t;
    st.ctx = st.ctx0;
    st.nctx = 0;
    st.ctxcap = (int)(sizeof(st.ctx0) / sizeof(st.ctx0[0]));
    st.ibuf = st.ibuf0;
    st.icap = sizeof(st.ibuf0);
    st.itop = st.ioff = st.ilen = 0;
    st.ovr = NULL;
    st.cache = st.names = st.mtslot = st.ikey = 0;
    st.nbase = st.nslots = 0;
    st.nops = NULL;
    st.nmt = NULL;
    st.plain_mt = NULL;
    st.plain_fn = NULL;
    st.plain_gen = 0;
    st.memo = 0;
    st.frag = 0;
    st.rec = NULL;
    st.pristine = 0;
    st.last_native = NULL;
    st.last_native_gen = 0;
    st.udslot = 0;
    st.depth = st.pdepth = 0;
    st.gen = 0;
    st.memo_clear = 0;

    lua_pushcfunction(L, render_main);
    lua_pushlightuserdata(L, &st);
    lua_pushvalue(L, data_idx);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        out_end(out);
        msg = lua_tostring(L, -1);
        if (err) {
            *err = apr_psprintf(out->pool, "%s: %s", t->name,
                                msg ? msg : "error object is not a string");
        }
        lua_pop(L, 1);
        return APR_EGENERAL;
    }
    out_end(out);
    /* The template is shared and otherwise read-only; this one word is only a
     * hint, written atomically. */
    if (t->stamp && out->len - start <= APR_UINT32_MAX) {
        apr_atomic_set32(&((art_tpl_t *)t)->size_hint, (apr_uint32_t)(out->len - start));
    }
    return APR_SUCCESS;
}

lua_CFunction art_tpl_render_entry(void)
{
    return render_main;
}
