/* art_redirect.h: where a browser takes a redirect.
 *
 * r:redirect sends a Location that the browser resolves against the page's
 * own http(s) URL with the WHATWG URL parser.  art_redirect_same_site says
 * whether that resolution can only end on the page's host or another listed
 * host; it knows no httpd type, so the unit test and the fuzzer call it
 * directly.
 */
#ifndef ART_REDIRECT_H
#define ART_REDIRECT_H

#include <stddef.h>

/* 1 when url (len bytes, which may hold NUL) resolves against an http or https
 * page of hosts[0] to a URL whose host is one of hosts[0..nhosts) (ASCII
 * case-insensitive, any port), 0 otherwise.  Anything the parser could read in
 * more than one way, or that needs more than ASCII to decide, is refused. */
int art_redirect_same_site(const char *url, size_t len,
                           const char *const *hosts, int nhosts);

#endif
