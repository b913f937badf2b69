/* json_test.c: art_json's strings and numbers, byte for byte.
 *
 * Each case gives input bytes and the exact JSON expected, written here by
 * hand from RFC 8259 and the HTML rules art_json.h names: what must be
 * escaped ("<", ">", "&", U+2028/2029, control bytes, quotes), what must pass
 * as it is (Persian, emoji), and what is replaced (malformed UTF-8).  Then
 * no output may hold "</script", "<!--" or a raw line separator whatever
 * the input, over every byte and pairs of them.
 *
 * Usage: json_test.  Prints one line per failure and "json: N passed, M
 * failed"; exits non-zero on failure.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_json.h"

static int passed, failed;
static apr_pool_t *pool;

static const char *json(const char *s, apr_size_t n)
{
    art_buf_t b;

    art_buf_init(&b, pool, 16);
    art_json_string(&b, s, n);
    return b.data;
}

static void check_string(int line, const char *in, apr_size_t n, const char *want)
{
    const char *got = json(in, n);

    if (strcmp(got, want) == 0) {
        passed++;
        return;
    }
    failed++;
    printf("json_test.c:%d: got %s, want %s\n", line, got, want);
}

#define STR(in, want) check_string(__LINE__, in, sizeof(in) - 1, want)

static void check_number(int line, double v, int integer, const char *want)
{
    art_buf_t b;

    art_buf_init(&b, pool, 16);
    if (integer) {
        art_json_integer(&b, (long long)v);
    }
    else {
        art_json_number(&b, v);
    }
    if (strcmp(b.data, want) == 0) {
        passed++;
        return;
    }
    failed++;
    printf("json_test.c:%d: got %s, want %s\n", line, b.data, want);
}

/* No markup and no raw line separator can come out of any input. */
static void check_inert(const char *in, apr_size_t n)
{
    const char *got = json(in, n);

    if (strchr(got, '<') || strchr(got, '>') || strchr(got, '&')
        || strstr(got, "\xe2\x80\xa8") || strstr(got, "\xe2\x80\xa9")) {
        failed++;
        printf("json_test.c: markup or a line separator passed through: %s\n",
               got);
        return;
    }
    passed++;
}

int main(void)
{
    char two[3];
    char when[ART_RFC3339_SIZE];
    int i, j;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    STR("", "\"\"");
    STR("plain", "\"plain\"");
    STR("say \"hi\"", "\"say \\\"hi\\\"\"");
    STR("back\\slash", "\"back\\\\slash\"");
    STR("a\nb\rc\td\be\ff", "\"a\\nb\\rc\\td\\be\\ff\"");
    STR("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
    STR("</script>", "\"\\u003c/script\\u003e\"");
    STR("<!-- x -->", "\"\\u003c!-- x --\\u003e\"");
    STR("salt & lime", "\"salt \\u0026 lime\"");
    STR("line\xe2\x80\xa8sep\xe2\x80\xa9para", "\"line\\u2028sep\\u2029para\"");
    STR("زبان دری", "\"زبان دری\"");
    STR("\xf0\x9f\x93\xb0 news", "\"\xf0\x9f\x93\xb0 news\"");
    /* Malformed UTF-8: one U+FFFD per bad byte, the rest kept. */
    STR("a\x80z", "\"a\\ufffdz\"");
    STR("\xc0\xaf", "\"\\ufffd\\ufffd\"");             /* overlong "/" */
    STR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* a surrogate */
    STR("\xe2\x80", "\"\\ufffd\\ufffd\"");             /* truncated */
    STR("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    check_string(__LINE__, "a\0b", 3, "\"a\\u0000b\"");

    check_number(__LINE__, 42, 1, "42");
    check_number(__LINE__, -7, 1, "-7");
    check_number(__LINE__, 2.5, 0, "2.5");
    check_number(__LINE__, 3.0, 0, "3");
    check_number(__LINE__, 0.1, 0, "0.10000000000000001");
    check_number(__LINE__, 1.0 / 0.0, 0, "null");
    check_number(__LINE__, 0.0 / 0.0, 0, "null");

    art_rfc3339(when, apr_time_from_sec(1743379200));     /* 2025-03-31 */
    if (strcmp(when, "2025-03-31T00:00:00Z") == 0) {
        passed++;
    }
    else {
        failed++;
        printf("json_test.c: art_rfc3339 gave %s\n", when);
    }

    for (i = 0; i < 256; i++) {
        for (j = 0; j < 256; j++) {
            two[0] = (char)i;
            two[1] = (char)j;
            check_inert(two, 2);
        }
    }
    check_inert("\xe2\x80\xa8\xe2\x80\xa9</script><!--", 18);

    printf("json: %d passed, %d failed\n", passed, failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed != 0;
}
