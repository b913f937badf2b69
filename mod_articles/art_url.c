/* art_url.c: percent-encoding one segment of a URL path.
 *
 * Ids are slugs, but tag keys may be in any script; every link to them is
 * written with this, so URLs stay ASCII and round-trip through httpd's
 * decoding of r->uri.
 */
#include <apr_strings.h>

#include "art_url.h"

const char *art_url_segment(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
            || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'
            || *c == '~') {
            *o++ = (char)*c;
        }
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}
