/* art_lua_seo.h: structured data and social cards in the page model.
 *
 * Every HTML page has page.og (OpenGraph <meta property> pairs) and
 * page.twitter (Twitter card <meta name> pairs), and an article page
 * page.jsonld (its schema.org NewsArticle as a Lua table), made when first
 * read (the lazy page model, art_lua_page.c).  Filters may change, add or remove any of them.  After the
 * filters ran, art_lua_seo_finish writes page.jsonld as JSON that is safe
 * inside <script> (art_json.h) into page.jsonld_json, which the default
 * layout prints; so a filter edits data, never escaping.
 */
#ifndef ART_LUA_SEO_H
#define ART_LUA_SEO_H

#include <lua.h>

#include "art_lua.h"

/* The most nesting and bytes page.jsonld may make: a filter's cycle or
 * runaway table is an error, not an endless walk. */
#define ART_JSONLD_DEPTH 32
#define ART_JSONLD_MAX_BYTES (1024 * 1024)

/* Push page.og, page.twitter or page.jsonld as the module makes them for
 * req (the lazy page model calls them when a field is first read); each
 * returns 0, pushing nothing, when the page has no such field (og and
 * twitter: feeds, sitemaps and the 404 page; jsonld: all but articles). */
int art_lua_seo_push_og(lua_State *L, art_req_t *req);
int art_lua_seo_push_twitter(lua_State *L, art_req_t *req);
int art_lua_seo_push_jsonld(lua_State *L, art_req_t *req);

/* After the filters: page.jsonld_json from page.jsonld (nil when that is
 * nil or false).  When no filter read or wrote page.jsonld, the JSON comes
 * from a per-state cache keyed by repository version, prefix and article,
 * without building the table.  Returns 0, or -1 with *err saying what in page.jsonld
 * cannot be JSON (allocated in req->pool). */
int art_lua_seo_finish(art_lstate_t *st, art_req_t *req, const char **err);

#endif
