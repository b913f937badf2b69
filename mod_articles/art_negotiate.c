/* art_negotiate.c: Accept-Language negotiation (see art_negotiate.h). */
#include <string.h>

#include "art_negotiate.h"

#define TAG_MAX 35               /* longest language range we consider */

typedef struct range_t {
    char tag[TAG_MAX + 1];       /* lower-cased */
    int q;                       /* thousandths */
} range_t;

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Parse "q=0.8" (after the ';') into thousandths; -1 when malformed. */
static int parse_q(const char *s, const char *end)
{
    int q = 0, digits = 0;

    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }
    if (end - s < 3 || lower(s[0]) != 'q' || s[1] != '=') {
        return -1;
    }
    s += 2;
    if (*s == '1') {
        s++;
        if (s < end && *s == '.') {
            for (s++; s < end && *s == '0' && digits < 3; s++, digits++) {
            }
        }
        q = 1000;
    }
    else if (*s == '0') {
        int scale = 100;
        s++;
        if (s < end && *s == '.') {
            for (s++; s < end && *s >= '0' && *s <= '9' && digits < 3;
                 s++, digits++) {
                q += (*s - '0') * scale;
                scale /= 10;
            }
        }
    }
    else {
        return -1;
    }
    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }
    return s == end ? q : -1;
}

/* Split header into ranges; returns how many were read. */
static int parse_ranges(const char *h, range_t *out, int max)
{
    int n = 0;

    while (h && *h && n < max) {
        const char *end = strchr(h, ',');
        const char *semi, *p;
        int len = 0, ok = 1;

        if (end == NULL) {
            end = h + strlen(h);
        }
        while (h < end && (*h == ' ' || *h == '\t')) {
            h++;
        }
        semi = memchr(h, ';', (size_t)(end - h));
        for (p = h; p < (semi ? semi : end) && *p != ' ' && *p != '\t'; p++) {
            int c = lower((unsigned char)*p);
            if (len >= TAG_MAX || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                                    || c == '-' || c == '*')) {
                ok = 0;
                break;
            }
            out[n].tag[len++] = (char)c;
        }
        out[n].tag[len] = '\0';
        out[n].q = semi ? parse_q(semi + 1, end) : 1000;
        if (ok && len > 0 && out[n].q >= 0) {
            n++;
        }
        h = *end ? end + 1 : end;
    }
    return n;
}

/* How specifically range r matches language tag l: 4 exact, 3 the range is a
 * prefix of the tag, 2 the tag is a prefix of the range (region fallback),
 * 1 wildcard for the default, 0 no match. */
static int match(const char *r, const char *l, int is_default)
{
    size_t rl = strlen(r), ll = strlen(l);

    if (strcmp(r, "*") == 0) {
        return is_default ? 1 : 0;
    }
    if (rl == ll && strcmp(r, l) == 0) {
        return 4;
    }
    if (rl < ll && strncmp(r, l, rl) == 0 && l[rl] == '-') {
        return 3;
    }
    if (ll < rl && strncmp(r, l, ll) == 0 && r[ll] == '-') {
        return 2;
    }
    return 0;
}

int art_negotiate(const char *header, const char *const *avail, int n, int deflt)
{
    range_t ranges[ART_NEG_MAX_RANGES];
    int nr = parse_ranges(header, ranges, ART_NEG_MAX_RANGES);
    int best = -1, best_q = 0, best_pos = 0, i, j;

    for (i = 0; i < n; i++) {
        char l[TAG_MAX + 1];
        int k, spec = 0, q = 0, pos = 0;

        for (k = 0; avail[i][k] && k < TAG_MAX; k++) {
            l[k] = (char)lower((unsigned char)avail[i][k]);
        }
        l[k] = '\0';
        for (j = 0; j < nr; j++) {
            int m = match(ranges[j].tag, l, i == deflt);
            if (m > spec) {
                spec = m;
                q = ranges[j].q;
                pos = j;
            }
        }
        if (spec == 0 || q == 0) {
            continue;
        }
        if (best < 0 || q > best_q || (q == best_q && pos < best_pos)) {
            best = i;
            best_q = q;
            best_pos = pos;
        }
    }
    return best;
}
