/* art_lua_int.h: what art_lua.c and art_lua_page.c share about a Lua state.
 *
 * Each lua_State carries a pointer to its art_lstate_t in its extra space, so C
 * functions called from Lua reach the request being served without globals.
 */
#ifndef ART_LUA_INT_H
#define ART_LUA_INT_H

#include "art_lua.h"

struct art_lstate_t {
    lua_State *L;
    art_lua_host_t *host;
    art_lstate_t *next;          /* free list */
    const char *world;           /* the filter list whose states these are */
    unsigned code_gen;           /* host generation the state was made in */
    int dead;                    /* retire instead of reusing */
    apr_size_t mem;              /* bytes held by L */
    apr_size_t mem_counted;      /* what the host's total holds of mem */
    apr_size_t mem_extra;        /* request-pool bytes charged to the cap */
    apr_size_t gc_base;          /* mem after the last full collection */
    apr_size_t mem_limit;        /* 0 while the libraries load */
    long instr_left;             /* instruction budget left for this request */
    apr_time_t deadline;         /* 0: none */
    apr_time_t last_hook;        /* when the count hook last ran */
    const char *budget_hit;      /* which budget is spent, if any: from then
                                    on every hook, guarded call and growing
                                    allocation fails until the request ends */
    int reporting;               /* the error report may still allocate */
    int refused;                 /* the allocation below was refused ... */
    const void *refused_ptr;     /* ... with these arguments; the same one */
    size_t refused_osize;        /* again means Lua's emergency collection */
    size_t refused_nsize;        /* did not make room */
    art_req_t *req;              /* the request being served, NULL between */
    apr_pool_t *scratch;         /* for one API call's temporaries */
    unsigned long serial;        /* request number: views of older ones are stale */
    const void *view_mt;         /* the metatable of this state's article views */
    const char *script_dir;      /* folder of the running filter, for require */
    int page_idx;                /* stack index of page after art_lua_run */
    /* The lazy page model (art_lua_page.c): the request's page table, which
     * of its core fields are settled (computed, or set by a filter), and
     * whether deferred fields wait in the registry. */
    const void *page;            /* the page table of this request, or NULL */
    unsigned page_done;          /* bit i: core lazy field i is settled */
    unsigned page_engine;        /* bit i: field i, unsettled, is a pristine
                                    cache entry the template holds */
    int page_deferred;           /* deferred fields registered */
    unsigned deferred_names;     /* their name_bit()s (art_lua_page.c) */
    const char *filter_file;     /* the filter running (for deferred fields) */
    int deferred_logged;         /* a deferred field's failure was logged */
    void *seo;                   /* this request's SEO basics (art_lua_seo.c) */
    void *seo_cache;             /* JSON-LD per version (art_lua_seo.c) */
    /* The version the registry's page cache holds (art_lua_page.c). */
    int pc_valid;
    apr_uint64_t pc_digest, pc_fingerprint;
    apr_time_t pc_since;
    int pc_preview;
    int pc_entries;
    apr_size_t pc_bytes;         /* about what the cache's entries hold */
    int pc_pristine;             /* the last hand-out was a pristine entry
                                    to the template: keep it from Lua */
    int page_entry;              /* the registry holds this request's page
                                    entry of the cache (art_lua_page.c) */
    int engine_native;           /* who asks for a page model value, when
                                    known (engine_asked, art_lua_page.c) */
    int index_kept;              /* page_index's last answer ran no Lua code
                                    (art_tpl_native_t.index_kept) */
    int index_pristine;          /* ... and was a pristine cache entry
                                    (art_tpl_native_t.index_pristine) */
};

static inline art_lstate_t *art_lua_st(lua_State *L)
{
    return *(art_lstate_t **)lua_getextraspace(L);
}

/* Charge n VM instructions' worth of work to the running request before a C
 * function does it; raises the budget's error (and keeps it spent) when the
 * instruction budget cannot pay or the deadline has passed.  n = 0 only
 * checks.  The hook cannot interrupt a C function, so every library function
 * whose work is not bounded by a constant or by what it allocates calls this
 * first (art_lua_lib.c). */
void art_lua_charge(lua_State *L, lua_Integer n);

/* Count bytes the module allocates outside Lua on a filter's behalf (request
 * pool) against ArticlesLuaMemory; raises the memory budget's error when they
 * do not fit. */
void art_lua_charge_memory(lua_State *L, apr_size_t bytes);

/* Whether a budget of the running request is spent. */
int art_lua_spent(lua_State *L);

/* Raise the spent budget's error (allocating nothing). */
int art_lua_raise_spent(lua_State *L);

/* A protected call ended in LUA_ERRMEM: no collection could make room, so the
 * memory budget is spent. */
void art_lua_note_errmem(lua_State *L);

/* Wrap the standard library of a fresh state so that filters cannot escape
 * the budgets (art_lua_lib.c). */
void art_lua_lib_open(lua_State *L);

/* Push the `articles` API table (art_lua_page.c). */
void art_lua_open_api(lua_State *L);

/* lua_CFunction: build and return the page table for the state's request. */
int art_lua_build_page(lua_State *L);

/* When the value at idx is this request's lazy page, compute every field it
 * has not computed yet (deferred ones too), so that raw access (next,
 * rawget, another metatable) sees what the eager page model held. */
void art_lua_page_settle(lua_State *L, int idx);

/* Evaluate page[key] now if it is a deferred field still waiting, for the
 * module's raw reads of the page after the filters (kind, lang, jsonld). */
void art_lua_page_resolve(lua_State *L, int page, const char *key);

/* Whether page.jsonld was neither read nor written in this request. */
int art_lua_page_jsonld_untouched(lua_State *L);

/* Call the deferred field function on top of the stack with the page below
 * it (art_lua.c): like lua_call(L, 1, 1), but a failure is logged as the
 * registering filter's (ART0201, ART0202 for a budget) before it is raised
 * again, wherever the read happened (a filter, or the template). */
void art_lua_call_deferred(lua_State *L, const char *name, const char *file);

/* page.canonical and page.site.title as the page model makes them, and the
 * URL of this page in language l (NULL: none) (art_lua_page.c). */
const char *art_lua_canonical(art_req_t *req);
const char *art_lua_site_title(art_req_t *req);
const char *art_lua_page_in_lang(art_req_t *req, const art_lang_t *l);

/* Values other than tables that depend only on the repository version, the
 * mount prefix and the page being served, kept in the page model's version
 * cache with the page's fields (art_lua_page.c): art_lua_page_kept pushes
 * the one kept (returns 1) or nothing (0); art_lua_page_keep keeps the
 * value on top, left there.  Each may raise a memory error: call them in
 * protected mode. */
#define ART_LUA_KEPT_JSONLD 1     /* page.jsonld_json when untouched */
int art_lua_page_kept(lua_State *L, art_req_t *req, int what);
void art_lua_page_keep(lua_State *L, art_req_t *req, int what);

/* Free what art_lua_seo.c keeps per state (state_free). */
void art_lua_seo_state_free(art_lstate_t *st);

#endif
