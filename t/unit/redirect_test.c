/* redirect_test.c: art_redirect_same_site, the check behind r:redirect, on a
 * table of locations as a browser resolves them against https://example.org/.
 *
 * Each case says whether the location must be accepted; every accepted one
 * keeps the host example.org or www.afgazad.com (the second standing for
 * ArticlesRedirectHosts).  The refused ones are the tricks of issue #12 and
 * their relatives: each leaves the site in some browser reading, or is one
 * this check refuses rather than decides (noted "conservative").
 *
 * Prints one line per failure and "redirect: N passed, M failed"; exits
 * non-zero when anything failed.
 */
#include <stdio.h>
#include <string.h>

#include "art_redirect.h"

typedef struct {
    const char *url;
    size_t len;                 /* 0: strlen(url) */
    int ok;
} url_case_t;

static const url_case_t cases[] = {
    /* Relative forms: the page's own host. */
    { "/en/", 0, 1 },
    { "/", 0, 1 },
    { "en/news/", 0, 1 },
    { "./x", 0, 1 },
    { "../../x", 0, 1 },
    { "?page=2", 0, 1 },
    { "#top", 0, 1 },
    { "/fa/%D8%A7", 0, 1 },
    { "/a//evil.example", 0, 1 },
    { "/a\\\\evil.example", 0, 1 },
    { "/%2F%2Fevil.example", 0, 1 },
    { "/?next=//evil.example", 0, 1 },
    { "/#//evil.example", 0, 1 },
    { "1http://evil.example/", 0, 1 },
    { "/x?\\\\evil.example", 0, 1 },
    /* Absolute on an allowed host, any case, any port. */
    { "https://example.org/", 0, 1 },
    { "http://example.org/en/", 0, 1 },
    { "HTTPS://EXAMPLE.ORG/", 0, 1 },
    { "hTtP://Example.Org", 0, 1 },
    { "https://example.org:8443/x", 0, 1 },
    { "https://example.org:/x", 0, 1 },
    { "https://example.org?x", 0, 1 },
    { "https://example.org#x", 0, 1 },
    { "https://www.afgazad.com/fa/", 0, 1 },
    { "//example.org/x", 0, 1 },
    { "https:\\\\example.org\\x", 0, 1 },
    { "https:///example.org/", 0, 1 },
    { "https:example.org", 0, 1 },
    { "https:/example.org/", 0, 1 },
    /* Other hosts. */
    { "https://evil.example/", 0, 0 },
    { "//evil.example", 0, 0 },
    { "///evil.example", 0, 0 },
    { "\\\\evil.example", 0, 0 },
    { "/\\evil.example", 0, 0 },
    { "\\/evil.example", 0, 0 },
    { "https:evil.example", 0, 0 },               /* off-site from http pages */
    { "http:evil.example", 0, 0 },
    { "http:/evil.example", 0, 0 },
    { "http:\\\\evil.example", 0, 0 },
    { "https://example.org.evil.example/", 0, 0 },
    { "https://evil.example/example.org", 0, 0 },
    { "https://example.orgevil.example/", 0, 0 },
    { "https://example.org@evil.example/", 0, 0 },
    { "https://example.org:443@evil.example/", 0, 0 },
    { "https://example.org:x@evil.example/", 0, 0 },
    { "https://user@example.org/", 0, 0 },          /* conservative */
    { "https://evil.example\\@example.org/", 0, 0 },
    { "https://evil.example#@example.org/", 0, 0 },
    { "https://evil.example?@example.org/", 0, 0 },
    { "https://example.org:8o/", 0, 0 },
    { "https://example.org:80:90/", 0, 0 },
    /* Controls and spaces: stripped or deleted by browsers. */
    { "/\t/evil.example", 0, 0 },
    { "/\n/evil.example", 0, 0 },
    { "/\r/evil.example", 0, 0 },
    { "\t//evil.example", 0, 0 },
    { " //evil.example", 0, 0 },
    { "\x01//evil.example", 0, 0 },
    { "//evil.example ", 0, 0 },
    { "/\x7f/x", 0, 0 },                           /* conservative */
    { "/a b", 0, 0 },                               /* conservative */
    { "/x\0//evil.example", 17, 0 },           /* conservative */
    { "ht\ttps://evil.example", 0, 0 },
    { "h\nttps://evil.example", 0, 0 },
    /* Percent-encoding and IDNA in the host. */
    { "https://evil%2Eexample/", 0, 0 },
    { "https://example%2Eorg/", 0, 0 },             /* conservative */
    { "https://%65vil.example/", 0, 0 },
    { "https://evil.example%2F.example.org/", 0, 0 },
    { "https://\xef\xbd\x85vil.example/", 0, 0 },   /* fullwidth e */
    { "https://exampl\xc3\xa9.org/", 0, 0 },
    { "https://xn--exampl-gva.org/", 0, 0 },
    { "https://[::1]/", 0, 0 },
    { "https://2130706433/", 0, 0 },
    { "https://example.org./", 0, 0 },              /* another origin */
    { "https://./", 0, 0 },
    { "https://", 0, 0 },
    { "//", 0, 0 },
    { "///", 0, 0 },
    { "https:", 0, 0 },                             /* conservative */
    /* Other schemes. */
    { "javascript:alert(1)", 0, 0 },
    { "JavaScript:alert(1)", 0, 0 },
    { "data:text/html,x", 0, 0 },
    { "ftp://example.org/", 0, 0 },                 /* not the web site */
    { "ws://example.org/", 0, 0 },
    { "file:///etc/passwd", 0, 0 },
    { "example.org:443/x", 0, 0 },
    { "a:b", 0, 0 },
    { "https+x://example.org/", 0, 0 },
    { "", 0, 0 },                                   /* conservative */
};

int main(void)
{
    static const char *const hosts[] = { "example.org", "WWW.afgazad.com" };
    int passed = 0, failed = 0;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const url_case_t *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->url);
        int got = art_redirect_same_site(c->url, len, hosts, 2);

        if (got == c->ok) {
            passed++;
            continue;
        }
        failed++;
        printf("FAIL: \"");
        for (size_t j = 0; j < len; j++) {
            unsigned char ch = (unsigned char)c->url[j];
            printf(ch < 0x20 || ch >= 0x7f ? "\\x%02x" : "%c", ch);
        }
        printf("\": %s, expected %s\n", got ? "accepted" : "refused",
               c->ok ? "accepted" : "refused");
    }
    /* Without the request's host nothing absolute passes. */
    if (art_redirect_same_site("https://example.org/", 20, hosts + 2, 0) == 0
        && art_redirect_same_site("/x", 2, hosts + 2, 0) == 1) {
        passed++;
    }
    else {
        failed++;
        printf("FAIL: empty host list\n");
    }
    printf("redirect: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
