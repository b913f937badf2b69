/* art_json.h: JSON text that is safe inside an HTML <script> element.
 *
 * Structured data (schema.org JSON-LD) is written into the page between
 * <script type="application/ld+json"> and </script>.  The HTML parser ends
 * that element at the first "</script" and treats "<!--" specially, and
 * JavaScript before ES2019 ended strings at U+2028/U+2029, whatever the JSON
 * says.  So besides what JSON requires, every "<", ">" and "&" and both
 * line separators are written as \u escapes: the text then holds no markup
 * the HTML parser could see, and any JSON parser reads back the exact
 * string.  Bytes that are not UTF-8 become U+FFFD, so the output is always
 * valid JSON.  No httpd header: the writer is unit-tested on its own.
 */
#ifndef ART_JSON_H
#define ART_JSON_H

#include <apr_pools.h>
#include <apr_time.h>

#include "art_buf.h"

/* s (n bytes, any bytes) as a quoted JSON string. */
void art_json_string(art_buf_t *b, const char *s, apr_size_t n);

/* A number: integers exactly, other finite values with 17 significant
 * digits; NaN and the infinities (which JSON cannot say) as null. */
void art_json_integer(art_buf_t *b, long long v);
void art_json_number(art_buf_t *b, double v);

/* t in UTC as RFC 3339 ("2025-03-31T00:00:00Z", 20 bytes and a NUL in out):
 * the form schema.org dates, OpenGraph times and sitemaps all take. */
#define ART_RFC3339_SIZE 21
void art_rfc3339(char *out, apr_time_t t);

#endif
