/* art_redirect.c: does a redirect target stay on this site?
 *
 * Browsers do not read a Location as RFC 3986 does: the WHATWG URL parser
 * strips leading and trailing C0 controls and spaces, deletes tabs, CRs and
 * LFs anywhere, reads "\" as "/" in http(s) URLs, skips any number of slashes
 * before a host ("///evil", "http:evil"), takes the host after the last "@",
 * percent-decodes it and maps it through IDNA.  Each of these turned a
 * location that looked relative or same-host into a jump to another site.
 *
 * We do not rebuild the parser.  We follow it exactly where the answer is
 * decided (scheme, slashes and backslashes, the end of the authority) and
 * refuse whatever could only be decided by the rest of it: any control or
 * space, "@", "%" or a non-ASCII byte in the authority, bracketed hosts,
 * ports that are not digits, schemes other than http and https.  A host is
 * then compared as the ASCII text it is; IDNA maps ASCII only by lowercasing.
 *
 * Where the parser could read "scheme:" and slashes either as a path on the
 * page's host (same scheme) or as an authority (other scheme), we take the
 * authority: both readings then end on an allowed host.
 */
#include <string.h>

#include "art_redirect.h"

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* "\" is "/" before the query in every special (http, https) URL, and the
 * base is one, so the result is one unless the scheme is other (refused). */
static int is_slash(unsigned char c)
{
    return c == '/' || c == '\\';
}

static int ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t i;

    if (strlen(b) != alen) {
        return 0;
    }
    for (i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x >= 'A' && x <= 'Z') {
            x |= 0x20;
        }
        if (y >= 'A' && y <= 'Z') {
            y |= 0x20;
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

/* The length of the scheme when url starts with one ("https:"), else 0. */
static size_t scheme_len(const char *u, size_t n)
{
    size_t i;

    if (n == 0 || !is_alpha((unsigned char)u[0])) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        unsigned char c = (unsigned char)u[i];

        if (c == ':') {
            return i;
        }
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') {
            return 0;
        }
    }
    return 0;
}

/* The authority starting at u[i]: 1 when its host is one of hosts. */
static int authority_ok(const char *u, size_t n, size_t i,
                        const char *const *hosts, int nhosts)
{
    size_t hs, he, end;
    int k;

    /* The parser skips every slash before the host. */
    while (i < n && is_slash((unsigned char)u[i])) {
        i++;
    }
    for (end = i; end < n; end++) {
        unsigned char c = (unsigned char)u[end];

        if (is_slash(c) || c == '?' || c == '#') {
            break;
        }
        /* Userinfo, percent-decoding, IDNA and IPv6 literals: refused rather
         * than decided. */
        if (c == '@' || c == '%' || c == '[' || c == ']' || c >= 0x80) {
            return 0;
        }
    }
    hs = i;
    for (he = hs; he < end && u[he] != ':'; he++) {
    }
    if (he == hs) {
        return 0;
    }
    for (i = he + 1; i < end; i++) {
        if (!is_digit((unsigned char)u[i])) {
            return 0;
        }
    }
    for (k = 0; k < nhosts; k++) {
        if (hosts[k] && *hosts[k] && ascii_ieq(u + hs, he - hs, hosts[k])) {
            return 1;
        }
    }
    return 0;
}

int art_redirect_same_site(const char *url, size_t len,
                           const char *const *hosts, int nhosts)
{
    size_t i, s;

    if (len == 0) {
        return 0;
    }
    /* Controls and spaces are stripped or deleted by the parser wherever
     * they are, which changes what the rest means; a URL needs none. */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];

        if (c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }
    s = scheme_len(url, len);
    if (s) {
        if (!ascii_ieq(url, s, "http") && !ascii_ieq(url, s, "https")) {
            return 0;
        }
        return authority_ok(url, len, s + 1, hosts, nhosts);
    }
    if (len >= 2 && is_slash((unsigned char)url[0])
        && is_slash((unsigned char)url[1])) {
        return authority_ok(url, len, 2, hosts, nhosts);
    }
    /* A path, query or fragment: the page's own host. */
    return 1;
}
