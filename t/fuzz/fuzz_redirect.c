/* fuzz_redirect.c: libFuzzer target for the redirect check (art_redirect.c).
 *
 * The input is a Location a filter hands to r:redirect.  Beside the check
 * sits a second, independent reading of it: the steps of the WHATWG URL
 * parser that decide the host (strip C0 controls and spaces, delete tabs and
 * newlines, the scheme, "\" as "/", slashes before the authority, userinfo up
 * to the last "@", the port, percent-decoding and ASCII lowercasing of the
 * host), resolved against both https://example.org/ and http://example.org/.
 * A location the check accepts must, in both readings, stay on example.org
 * or www.afgazad.com, or be one the parser rejects outright (no navigation).
 *
 * The input is copied into an exact-size heap block without a NUL, so ASan
 * sees any read past its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art_redirect.h"

#define HOST_MAX 4096

enum { R_FAIL, R_BASE, R_HOST, R_OTHER };

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* The authority in s[0..n): R_HOST with host filled, or R_FAIL. */
static int read_authority(const char *s, size_t n, char *host)
{
    size_t end = 0, at = 0, hs, he, i, o = 0;
    int seen_at = 0, br = 0;

    while (end < n && s[end] != '/' && s[end] != '\\' && s[end] != '?' &&
           s[end] != '#') {
        if (s[end] == '@') {
            seen_at = 1;
            at = end;
        }
        end++;
    }
    hs = seen_at ? at + 1 : 0;
    for (he = hs; he < end; he++) {
        if (s[he] == '[') {
            br = 1;
        }
        if (s[he] == ']') {
            br = 0;
        }
        if (s[he] == ':' && !br) {
            break;
        }
    }
    if (he == hs) {
        return R_FAIL;
    }
    for (i = he + 1; i < end; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return R_FAIL;
        }
    }
    for (i = hs; i < he && o < HOST_MAX - 1; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < he && hexval(s[i + 1]) >= 0 &&
            hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c | 0x20);
        }
        host[o++] = c;
    }
    host[o] = '\0';
    return R_HOST;
}

/* Where a browser on a page of base_scheme://example.org/ goes. */
static int resolve(const uint8_t *in, size_t len, const char *base_scheme,
                   char *host)
{
    char *s = malloc(len + 1), scheme[32];
    size_t a = 0, b = len, n = 0, i, k;
    int rc;

    if (s == NULL) {
        abort();
    }
    while (a < b && in[a] <= 0x20)
        a++;
    while (b > a && in[b - 1] <= 0x20)
        b--;
    for (i = a; i < b; i++) {
        if (in[i] != '\t' && in[i] != '\n' && in[i] != '\r') {
            s[n++] = (char)in[i];
        }
    }
    s[n] = '\0';
    i = 0;
    if (n && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) {
        for (k = 1; k < n; k++) {
            char c = s[k];
            if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
                !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
                break;
        }
        if (k < n && s[k] == ':') {
            size_t j;
            for (j = 0; j < k && j < sizeof(scheme) - 1; j++) {
                scheme[j] =
                    (char)((s[j] >= 'A' && s[j] <= 'Z') ? s[j] | 0x20 : s[j]);
            }
            scheme[j] = '\0';
            /* ws, ftp, file and every non-special scheme: not this site. */
            if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
                free(s);
                return R_OTHER;
            }
            i = k + 1;
            if (strcmp(scheme, base_scheme) != 0) {
                while (i < n && (s[i] == '/' || s[i] == '\\'))
                    i++;
                rc = read_authority(s + i, n - i, host);
                free(s);
                return rc;
            }
        }
    }
    /* Relative to the base (also "same-scheme:rest"). */
    if (i + 1 < n && (s[i] == '/' || s[i] == '\\') &&
        (s[i + 1] == '/' || s[i + 1] == '\\')) {
        i += 2;
        while (i < n && (s[i] == '/' || s[i] == '\\'))
            i++;
        rc = read_authority(s + i, n - i, host);
        free(s);
        return rc;
    }
    free(s);
    return R_BASE;
}

static void expect_site(const uint8_t *data, size_t size, const char *scheme)
{
    static char host[HOST_MAX];
    int rc = resolve(data, size, scheme, host);

    if (rc == R_FAIL || rc == R_BASE) {
        return;
    }
    if (rc == R_HOST && (strcmp(host, "example.org") == 0 ||
                         strcmp(host, "www.afgazad.com") == 0)) {
        return;
    }
    fprintf(stderr,
            "accepted a location that leaves the site from %s: "
            "%s\n",
            scheme, rc == R_OTHER ? "(another scheme)" : host);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hosts[] = {"example.org", "WWW.afgazad.com"};
    char *url = malloc(size ? size : 1);

    if (url == NULL) {
        abort();
    }
    memcpy(url, data, size);
    if (art_redirect_same_site(url, size, hosts, 2)) {
        expect_site(data, size, "https");
        expect_site(data, size, "http");
    }
    free(url);
    return 0;
}
