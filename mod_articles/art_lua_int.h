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
    unsigned code_gen;           /* host generation the state was made in */
    int dead;                    /* retire instead of reusing */
    apr_size_t mem;              /* bytes held by L */
    apr_size_t mem_counted;      /* what the host's total holds of mem */
    apr_size_t mem_limit;        /* 0 while the libraries load */
    long instr_left;             /* instruction budget left for this request */
    apr_time_t deadline;         /* 0: none */
    const char *budget_hit;      /* which budget ended the request, if any */
    art_req_t *req;              /* the request being served, NULL between */
    unsigned long serial;        /* request number: views of older ones are stale */
    const char *script_dir;      /* folder of the running filter, for require */
    int page_idx;                /* stack index of page after art_lua_run */
};

static inline art_lstate_t *art_lua_st(lua_State *L)
{
    return *(art_lstate_t **)lua_getextraspace(L);
}

/* Push the `articles` API table (art_lua_page.c). */
void art_lua_open_api(lua_State *L);

/* lua_CFunction: build and return the page table for the state's request. */
int art_lua_build_page(lua_State *L);

#endif
