/* fuzz_negotiate.c: libFuzzer target for Accept-Language negotiation
 * (art_negotiate.c).
 *
 * The header is the one piece of request data every visitor controls and the
 * parser copies ranges into fixed-size arrays (ART_NEG_MAX_RANGES ranges of
 * TAG_MAX bytes), so its bounds are what this target checks.  Input: the first
 * line is the header, each further line one available language code (at most
 * MAX_CODES, as many as a site could plausibly declare).  The default index "*"
 * stands for is chosen from the input too, including -1 (none).
 *
 * Each string is copied into its own exact-size heap block so that ASan sees a
 * read past its NUL.  The result must be -1 or an index into the list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art_negotiate.h"

#define MAX_CODES 50

static char *dup_range(const uint8_t *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d == NULL) {
        abort();
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size, *p, *nl;
    char *header, *codes[MAX_CODES];
    int n = 0, deflt, best, i;

    nl = memchr(data, '\n', size);
    header = dup_range(data, (size_t)((nl ? nl : end) - data));
    for (p = nl ? nl + 1 : end; p < end && n < MAX_CODES; p = nl ? nl + 1 : end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        codes[n++] = dup_range(p, (size_t)((nl ? nl : end) - p));
    }
    /* Tie the default to the input without taking bytes from the strings: the
     * input's length picks it, and one value in n + 1 means "no default". */
    deflt = (int)(size % (size_t)(n + 1)) - 1;

    best = art_negotiate(header, (const char *const *)codes, n, deflt);
    if (best < -1 || best >= n) {
        fprintf(stderr, "fuzz_negotiate: art_negotiate returned %d for %d "
                "languages\n", best, n);
        abort();
    }

    for (i = 0; i < n; i++) {
        free(codes[i]);
    }
    free(header);
    return 0;
}
