/* mod_articles.h: what the httpd glue files share. */
#ifndef MOD_ARTICLES_H
#define MOD_ARTICLES_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <lua.h>

#include "art_lua.h"

extern module AP_MODULE_DECLARE_DATA articles_module;

/* mod_articles.c declares the module, which sets up logging there itself. */
#ifndef ART_DECLARES_MODULE
APLOG_USE_MODULE(articles);
#endif

/* art_lua_request_fn: push the articles.Request object `r` for req. */
void art_request_push(lua_State *L, art_req_t *req);

#endif
