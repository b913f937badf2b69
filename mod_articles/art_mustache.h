/* art_mustache.h: Mustache templates, compiled once and rendered against Lua data.
 *
 * A template is parsed once by art_tpl_compile() into a tree allocated from a pool;
 * after that it is never written again, so one compiled template may be rendered by
 * any number of threads at once, each with its own lua_State.  The engine implements
 * the core of the Mustache specification (interpolation, sections, inverted sections,
 * comments, set delimiters, partials and the standalone-line rules) plus the optional
 * modules for inheritance ({{<parent}} and {{$block}}), dynamic names ({{>*name}} and
 * {{<*name}}) and lambdas (Lua functions).
 *
 * Partials and parents are found by name through a resolver, so a missing partial
 * renders as the empty string; a set that does not change once loaded has its
 * static names resolved once (art_tpl_link), dynamic ones ({{>*x}}) at render
 * time.  Indentation of standalone partials and blocks is applied while
 * rendering; it never requires a per-indentation copy of a compiled template.  As
 * the spec says, each line of a standalone partial gets the tag's indentation;
 * empty lines do not (the spec does not test this case), so no trailing blanks
 * appear.
 *
 * How Lua data is read:
 * - A name is looked up on the context stack from the top down.  Only tables and
 *   userdata with an __index metamethod are asked (with lua_gettable, so __index is
 *   honoured); other contexts, strings among them, are skipped.  In a dotted name
 *   a.b.c only the first segment searches the stack, the rest index the value
 *   found.  A segment made of digits indexes by integer first ({{items.1.title}}).
 *   `.` is the top context.
 * - False values are nil, false, an empty table (no array part and no keys, whatever
 *   its metatable) and a userdata whose __len gives 0.  A table with rawlen > 0 is a
 *   list: a section renders once per element 1..rawlen with the element as context.
 *   A userdata with a __len metamethod is a list too (read with lua_geti).  Every
 *   other value (strings, including "", numbers, including 0, true, non-empty tables,
 *   other userdata) is pushed as the single context of the section.  Lua has no
 *   empty object distinct from an empty list; no spec test needs an empty object to
 *   be true, so no marker for one exists.
 * - Interpolation: strings as they are, integers with %lld, floats with %.14g
 *   (1.21 -> "1.21", 2.0 -> "2", with the process locale's decimal point: "." under
 *   httpd), booleans as "true"/"false", nil as nothing, tables and userdata through
 *   __tostring when they have one and as nothing otherwise.  {{x}} is HTML-escaped
 *   (& < > " '); {{{x}}} and {{&x}} are not.
 * - Lambdas: a function used in {{x}} is called with no argument; one used in
 *   {{#x}}...{{/x}} is called with the unprocessed section text.  The result is
 *   compiled as a template (default delimiters for {{x}}, the section's delimiters
 *   for sections) and rendered against the current context; for {{x}} the output is
 *   then escaped.  A function is true for an inverted section and is not called.
 *
 * Rendering runs inside one lua_pcall, so an error raised by an __index metamethod,
 * a __tostring or a lambda comes back as APR_EGENERAL with the Lua message.
 *
 * Native userdata.  A lua_State may register one kind of userdata as native
 * (art_tpl_native): its metatable and C functions that resolve a name to a
 * field number and read a field.  A name looked up in such a userdata, or in a
 * table whose metatable's __index is one (after the table's own raw field), is
 * then read in C: the name is resolved once per template, a name the userdata
 * does not have costs no Lua call, and a string field that is interpolated is
 * written from C memory without a Lua string being made.  Everything else
 * (an __index function or table, other userdata) takes the ordinary path;
 * the data's __index may tell the engine which of its answers it may keep
 * (index_kept below).
 *
 * For speed, each lua_State keeps each template's names as Lua strings in a table in
 * its registry (under a private light-userdata key), so that lookups create no
 * strings.  Entries are validated with a per-compile stamp, so reloaded templates
 * are safe; the table is emptied once it holds 256 templates.
 */
#ifndef ART_MUSTACHE_H
#define ART_MUSTACHE_H

#include <apr_pools.h>
#include <lua.h>

#include "art_buf.h"

/* Deepest partial/parent/lambda expansion; beyond it rendering fails with
 * "partial recursion too deep". */
#define ART_TPL_MAX_PARTIAL_DEPTH 64
/* Deepest nesting of sections, blocks and expansions together while rendering, and of
 * open sections in one template while compiling. */
#define ART_TPL_MAX_NESTING 256

typedef struct art_tpl_t art_tpl_t;

/* Return the compiled partial or parent called name, or NULL when there is none
 * (it then renders as the empty string). */
typedef const art_tpl_t *(*art_tpl_resolve_fn)(void *baton, const char *name);

/* What native userdata (see above) answer when a template reads a field. */
#define ART_TPL_NATIVE_TEXT (-2)

/* A string field given as text: s, then s2 when it is not NULL (a field made
 * of two strings, such as a prefix and a path).  Each piece has a NUL after
 * its last byte, and stays valid while the template renders. */
typedef struct art_tpl_text_t {
    const char *s;
    size_t n;
    const char *s2;
    size_t n2;
} art_tpl_text_t;

typedef struct art_tpl_native_t {
    /* The field number (>= 0) of name, or -1 when the userdata has none.  It
     * must depend on name alone: the engine keeps the answer per template. */
    int (*field)(const char *name);
    /* Read field f (-1: the name is not a field) of the userdata at stack
     * index idx (the engine has checked that its metatable is the native
     * one), with the other checks and errors its __index metamethod would
     * raise.  When text is not NULL and the field is a string held in C,
     * fill *text and return ART_TPL_NATIVE_TEXT; otherwise push the value
     * (nil when there is none) and return its Lua type.  It runs in the
     * engine's C function, not a call of its own: it must make room on the
     * stack (lua_checkstack) for more than one value.  Its checks give
     * one userdata the same answer for a whole render: once a get of it
     * returned, a name it has no field for is taken as nil without asking
     * again. */
    int (*get)(lua_State *L, int idx, int f, art_tpl_text_t *text);
    /* Optional (NULL: none).  index is a C function used as the __index
     * of the data templates are rendered against (the page); right after
     * the engine's lua_gettable ran it, index_kept says whether that call
     * ran no Lua code and gave what the same table and key will give again
     * until Lua code runs (the engine's own native gets are no Lua code).
     * The engine then keeps the answer, and what it learnt before, while
     * no Lua code runs, instead of calling index again for every read of
     * the same name (a page's site and strings, read all over a page). */
    lua_CFunction index;
    int (*index_kept)(lua_State *L);
    /* Optional (NULL: none).  Right after index answered a table and
     * index_kept said yes, index_pristine says whether that table is
     * pristine: no Lua code was ever handed it, nor will be while its
     * owner keeps it unchanged, so it and the tables in it hold what they
     * held when made and have no metatables.  The engine may then keep
     * what a section rendered over it (see art_mustache.c, tpl_frag_t).
     * index_memo pushes the table where the engine keeps those and returns
     * 1, having counted bytes more as held there, or pushes nothing and
     * returns 0 when there is no such table or no room for bytes.  The
     * table must live no longer than the pristine tables do (the engine
     * keys it by them), and be dropped when they change. */
    int (*index_pristine)(lua_State *L);
    int (*index_memo)(lua_State *L, size_t bytes);
    /* Optional (NULL: none).  For the native userdata at idx (the engine
     * has compared its metatable): the address of what its fields are read
     * from, with *serial set to a number for the data that address is in,
     * when every field gives the same value for the same address and
     * serial wherever index_memo gives the same table; NULL when its
     * fields cannot be kept (a view kept past its request: the engine's
     * get raises as usual).  The engine then keeps what a section's body
     * rendered over it, as over a pristine table. */
    const void *(*anchor)(lua_State *L, int idx, lua_Integer *serial);
} art_tpl_native_t;

/* Make the userdata of L whose metatable is the table at mt native, read
 * through ops (which must outlive L).  Call it once per state, before it
 * renders; a later call replaces the earlier. */
void art_tpl_native(lua_State *L, int mt, const art_tpl_native_t *ops);

/* Compile src (len bytes, need not be NUL-terminated; it is copied) into *out,
 * allocated from p.  name is used in error messages.  On a
 * syntax error returns APR_EINVAL with *err (from p) like
 * "article.mustache:12: unclosed section 'items'". */
apr_status_t art_tpl_compile(apr_pool_t *p, const char *name, const char *src,
                             apr_size_t len, art_tpl_t **out, char **err);

/* Resolve t's static partial and parent names now, through resolve; renders given
 * the same resolve and baton then use what it answered instead of asking again.
 * For template sets that do not change once loaded (art_tplset.h); call it before
 * t is shared with other threads. */
void art_tpl_link(art_tpl_t *t, art_tpl_resolve_fn resolve, void *baton);

/* Render t against the Lua value at data_idx, appending to out.  The Lua stack is
 * left as it was.  Returns APR_EGENERAL with *err (from out->pool, prefixed with the
 * template's name) when Lua raised an error, when expansion nests too deeply, or when
 * out reached its limit ("output too large"); out then holds a partial result.
 * resolve may be NULL (no partials).  t and the templates resolve returns must stay
 * alive while rendering; they are only read, so any number of threads may render
 * them at once, each with its own lua_State. */
apr_status_t art_tpl_render(const art_tpl_t *t, lua_State *L, int data_idx,
                            art_tpl_resolve_fn resolve, void *baton,
                            art_buf_t *out, char **err);

/* The C function art_tpl_render runs under lua_pcall: a C function called from
 * Lua can tell, from the call stack, that the engine itself asked it for a
 * value, which then reaches no Lua code (art_lua_page.c). */
lua_CFunction art_tpl_render_entry(void);

#endif
