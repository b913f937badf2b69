/* art_lua.h: Lua states, the filter sandbox, budgets and the page model.
 *
 * A process keeps pools of Lua states (art_lua_host_t), one pool per filter
 * list, so sites never share one.  A request takes one state for itself, builds the page table from the snapshot, runs the configured
 * filters in it, renders the page's template against that table, and gives the
 * state back.  States are created lazily and reused; each compiles a filter file
 * (and what it requires) once.  When any of those files changes, the host's code
 * generation moves on and every state of an older generation is closed and made
 * anew on its next use, so no global of the old code survives.
 *
 * Filters run in a sandbox (no io, no os beyond time/date/clock, no debug, text
 * chunks only) with an instruction budget, a wall-clock deadline and a memory cap
 * per state.  A spent budget stays spent until the request ends, whatever the
 * filter catches, and library functions are charged for their work
 * (art_lua_lib.c).  Errors are logged with script, line and URI; the client only ever
 * sees the generic error page.
 *
 * Nothing here includes httpd headers: the request object `r` is provided through
 * art_lua_request_fn by the httpd glue.
 */
#ifndef ART_LUA_H
#define ART_LUA_H

#include <apr_pools.h>
#include <apr_tables.h>

#include <lua.h>

#include "art_buf.h"
#include "art_route.h"
#include "art_snapshot.h"

typedef struct art_lua_host_t art_lua_host_t;
typedef struct art_lstate_t art_lstate_t;

typedef struct art_filter_t {
    const char *file;            /* absolute path */
    const char *function;        /* NULL: the chunk returns the function */
} art_filter_t;

typedef struct art_lua_limits_t {
    apr_size_t memory;           /* bytes per state */
    long instructions;           /* VM instructions per request */
    apr_interval_time_t timeout; /* wall clock for all filters of a request */
} art_lua_limits_t;

/* Pushes the `r` object for req onto L (the httpd glue implements it). */
typedef void art_lua_request_fn(lua_State *L, art_req_t *req);
/* Logs a message for req at an httpd-like level (APLOG_ERR = 3 …). */
typedef void art_lua_log_fn(art_req_t *req, int level, const char *msg);

/* How a filter call ended, for art_lua_filter_fn. */
#define ART_FILTER_OK     0      /* returned nothing or a status */
#define ART_FILTER_ERROR  1      /* failed to load, raised, or returned junk */
#define ART_FILTER_BUDGET 2      /* stopped by a budget (instructions, time,
                                    memory) */

/* Told of every filter call: which filter, its wall-clock time and outcome. */
typedef void art_lua_filter_fn(const art_filter_t *f, apr_interval_time_t took,
                               int outcome);

typedef struct art_lua_host_opts_t {
    art_lua_limits_t limits;
    const apr_array_header_t *lua_path;  /* const char * folders for require */
    art_lua_request_fn *push_request;
    art_lua_log_fn *log;
    art_lua_filter_fn *filter_done;      /* may be NULL */
} art_lua_host_opts_t;

/* One per configuration generation, in p (pconf). */
art_lua_host_t *art_lua_host_create(apr_pool_t *p, const art_lua_host_opts_t *o);

/* Take a state for one request (created lazily); never NULL unless out of
 * memory.  world names the filter list the request runs (its location): each
 * has states of its own, so nothing one site's filters leave in a state
 * (globals, modules, metatables) is seen by another's.  Filter files are
 * checked for changes first when interval has passed since the last check
 * (0: never). */
art_lstate_t *art_lua_acquire(art_lua_host_t *h, const char *world,
                              apr_interval_time_t interval);
void art_lua_release(art_lua_host_t *h, art_lstate_t *st);

/* The host's filter-code generation, after checking the files as
 * art_lua_acquire does; it moves on whenever a filter or a module changes.
 * art_lua_state_gen is the generation a state's code was loaded in. */
apr_uint64_t art_lua_code_gen(art_lua_host_t *h, apr_interval_time_t interval);
apr_uint64_t art_lua_state_gen(const art_lstate_t *st);

/* Run the page pipeline: build `page` for req, run filters in order.  Returns the
 * status a filter asked for (0 = continue to render), or 500 after an error that
 * has been logged.  On 0, the page table is left on the state's stack for
 * art_lua_page_index. */
int art_lua_run(art_lstate_t *st, art_req_t *req, const apr_array_header_t *filters,
                const art_lua_limits_t *limits);

/* Stack index of the page table after a successful art_lua_run. */
int art_lua_page_index(art_lstate_t *st);
lua_State *art_lua_state(art_lstate_t *st);

/* page[key] after the filters ran, if it is a string (copied to req->pool);
 * NULL otherwise.  The handler reads page.kind (which template) and, for the
 * root, page.lang (where to redirect) this way. */
const char *art_lua_page_string(art_lstate_t *st, art_req_t *req,
                                const char *key);

/* Bytes the state's Lua allocator holds (compiled filters, caches, garbage not
 * yet collected). */
apr_size_t art_lua_memory(art_lstate_t *st);

/* How many states the host holds (idle and serving) and the bytes their
 * allocators held when last given back. */
void art_lua_host_stats(art_lua_host_t *h, int *states, apr_size_t *bytes);

/* Clean the state after the request (stack, request pointers). */
void art_lua_finish(art_lstate_t *st);

#endif
