/* valid_test.c: art_valid's C pattern checks and its two-step validation
 * against libxml2 with the full schema.
 *
 * Usage: valid_test [mod_articles/articles.rng]
 *
 * First every XSD pattern of the schema file is compiled with libxml2's own
 * regular expressions (what its RELAX NG validator uses) and run side by side
 * with art_valid's check for it: on hand-picked edge values, on every Unicode
 * code point in the places the pattern's classes apply, and on random
 * strings from a fixed seed.  A check may never accept what the pattern
 * refuses; on ASCII text it must agree exactly, so ordinary documents never
 * need the slow path.
 *
 * Then whole documents, each with one hostile or edge value in one patterned
 * place (ids, refs, xml:lang, dates, hrefs and srcs, class lists, the site's
 * url and email, string keys), are validated by art_valid_doc and by libxml2
 * with the full schema, as the loader did before art_valid: the verdict and
 * the first error (message and line, what the log line is made of) must be
 * the same.  Valid documents must not fall back to the full schema.
 *
 * Prints one line per failure and finally "valid: N passed, M failed"; the
 * exit status is non-zero when anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlregexp.h>

#include "art_valid.h"

static int passed, failed;

static void check(int ok, const char *fmt, const char *a, const char *b)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL: ");
    printf(fmt, a, b);
    printf("\n");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        perror(path);
        exit(2);
    }
    rewind(f);
    s = malloc((size_t)n + 1);
    if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

/* ---------------------------------------------------------------- patterns */

/* Edge values for every pattern; each is tried against each pattern. */
static const char *const edges[] = {
    "", "a", "-", "a-", "-a", "0", "ab", "Ab", "aB", "a_b", "a.b", "a-b-c",
    "a b", " a", "a ", "\xc3\xa9", "en", "e", "eng", "engl", "en-", "en-x",
    "en-us", "pt-br", "EN", "en-US", "en-abcdefgh", "en-abcdefghi", "en-12",
    "en-us-", "en--us", "zh-hant-tw", "fa-af",
    "2025-03-31", "2025-3-31", "2025-1-1", "2025-13-45", "12025-03-31",
    "2025-03-31Z", " 2025-03-31", "2025-03-31 ", "2025-03-31T09:30:00",
    "2025-03-31T09:30", "2025-03-31T09:30:00Z", "2025-03-31T09:30:00+04:30",
    "2025-03-31T09:30:00-04:30", "2025-03-31T09:30:00.5", "2025-03-31T09:30:00.",
    "2025-03-31T09:30:00.123Z", "2025-03-31T09:30:00+0430", "2025-03-31t09:30:00",
    "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa5-03-31",
    "http://a", "https://a", "HTTP://A", "hTtPs://a/b?c#d", "http://", "http:///a",
    "http://?a", "http://#a", "http:/a", "http:a", "https//a", "httpss://a",
    "http://a b", "http://a\tb", "http://a\xc2\xa0" "b", "http://a\xe2\x80\x83" "b",
    "http://a\xe2\x80\x8b" "b", "http://a\xe1\xa0\x8e" "b", "http://a\xc2\x85" "b",
    "http://a\xe3\x80\x80" "b", "http://a\xe2\x80\xa8" "b", "http://a/b c",
    "https://fa.wikipedia.org/wiki/\xd9\x81\xd8\xa7\xd8\xb1\xd8\xb3\xdb\x8c",
    "mailto:", "mailto:a", "MAILTO:a@b", "mailto: a", "mailto:a b",
    "javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:x", " javascript:x",
    "data:text/html,x", "vbscript:x", "a:b", "/a:b", "?a:b", "#a:b", "a/b:c",
    "images/x.png", "../x", "#", "?", "/", "//host/x", "a#b c",
    "a@b", "a@b@c", "@b", "a@", "a b@c", "a@b c", "\xd9\x81@\xd9\x81",
    "a@\xe2\x80\x83", "\x7f", "a\x01", "https://a\x7f",
};

static void put_cp(char *out, long c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        out[1] = '\0';
    }
    else if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        out[2] = '\0';
    }
    else if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        out[3] = '\0';
    }
    else {
        out[0] = (char)(0xf0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[3] = (char)(0x80 | (c & 0x3f));
        out[4] = '\0';
    }
}

static int is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* One value: the check must not accept what the pattern refuses, and must
 * agree on ASCII text.  Only disagreements are counted, to keep the totals
 * readable. */
static int one(const char *pattern, xmlRegexpPtr re, art_valid_check_fn *fn,
               const char *v)
{
    int want = xmlRegexpExec(re, BAD_CAST v) == 1;
    int got = fn(BAD_CAST v);

    if (got && !want) {
        check(0, "pattern %s refuses \"%s\", the C check accepts it", pattern, v);
        return 0;
    }
    if (!got && want && is_ascii(v)) {
        check(0, "pattern %s accepts ASCII \"%s\", the C check refuses it",
              pattern, v);
        return 0;
    }
    return 1;
}

/* Places where a class of the patterns applies to the character put there. */
static const char *const cp_contexts[][2] = {
    { "a", "" }, { "", "a" }, { "http://h", "" }, { "http://h/", "" },
    { "mailto:", "" }, { "a@", "" }, { "", "@a" }, { "/", "" }, { "a", "b" },
    { "en-a", "" }, { "2025-03-3", "" },
};

static void test_pattern(const char *pattern)
{
    art_valid_check_fn *fn = art_valid_pattern_check(pattern);
    xmlRegexpPtr re = xmlRegexpCompile(BAD_CAST pattern);
    char buf[256], cp[8];
    unsigned long seed = 12345;
    const char alphabet[] = "aZz09-_.:/?#@ \tT+hHtpsSmailoM\xc2\xa0";
    size_t i, k, n;
    long c;
    int ok = 1;

    check(fn != NULL, "pattern %s has no C check%s", pattern, "");
    check(re != NULL, "pattern %s does not compile in libxml2%s", pattern, "");
    if (fn == NULL || re == NULL) {
        return;
    }
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        ok &= one(pattern, re, fn, edges[i]);
    }
    /* Every code point up to U+3100 (all of \p{Cc} and \p{Z} but U+FEFF's
     * neighbours lie below), the end of the BMP, then a stride over the
     * rest. */
    for (c = 1; c <= 0x10ffff;
         c += (c < 0x3100 || (c >= 0xfe00 && c < 0x10000)) ? 1 : 97) {
        if (c >= 0xd800 && c <= 0xdfff) {
            continue;
        }
        put_cp(cp, c);
        for (k = 0; k < sizeof(cp_contexts) / sizeof(cp_contexts[0]); k++) {
            snprintf(buf, sizeof(buf), "%s%s%s", cp_contexts[k][0], cp,
                     cp_contexts[k][1]);
            ok &= one(pattern, re, fn, buf);
        }
    }
    for (i = 0; i < 200000; i++) {
        n = (seed >> 16) % 24;
        for (k = 0; k < n; k++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            buf[k] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
        }
        buf[n] = '\0';
        /* a cut two-byte character is not text libxml2 would hand over */
        if (n && (unsigned char)buf[n - 1] == 0xc2) {
            buf[n - 1] = 'a';
        }
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        ok &= one(pattern, re, fn, buf);
    }
    xmlRegFreeRegexp(re);
    check(ok, "pattern %s: the C check agrees with libxml2%s", pattern, "");
}

/* Every <param name="pattern"> of the schema. */
static void test_patterns(xmlNodePtr n)
{
    xmlChar *name, *text;

    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlStrEqual(n->name, BAD_CAST "param")) {
            name = xmlGetNoNsProp(n, BAD_CAST "name");
            text = xmlNodeGetContent(n);
            if (xmlStrEqual(name, BAD_CAST "pattern")) {
                test_pattern((const char *)text);
            }
            xmlFree(name);
            xmlFree(text);
        }
        test_patterns(n->children);
    }
}

/* ---------------------------------------------------------------- documents */

/* Documents with one slot "@" for the value under test. */
static const char *const article =
    "<article id=\"%s\" xml:lang=\"%s\" published=\"%s\" updated=\"%s\" "
    "translation=\"%s\">\n<title>T</title>\n<author ref=\"%s\"/>\n"
    "<related ref=\"%s\"/>\n<body>\n<p>x <a href=\"%s\">y</a></p>\n"
    "<figure><img src=\"%s\" alt=\"\"/></figure>\n"
    "<blockquote class=\"%s\">q</blockquote>\n</body>\n"
    "<signature date=\"%s\">S</signature>\n</article>\n";
static const char *const site =
    "<site default-lang=\"%s\">\n<title xml:lang=\"%s\">T</title>\n"
    "<url>%s</url>\n<email>%s</email>\n"
    "<language code=\"%s\" dir=\"ltr\" name=\"E\"/>\n"
    "<strings xml:lang=\"en\"><string key=\"%s\">s</string></strings>\n</site>\n";
static const char *const authors =
    "<authors>\n<author id=\"%s\">\n<name xml:lang=\"%s\">N</name>\n"
    "<photo src=\"%s\" alt=\"\"/>\n<link href=\"%s\">L</link>\n</author>\n"
    "</authors>\n";
static const char *const collection =
    "<collection id=\"%s\">\n<title xml:lang=\"en\">T</title>\n</collection>\n";

typedef struct {
    const char *kind;        /* slug, lang, date, url, list, siteurl, ... */
    const char *good;        /* a valid value */
} slot_t;

static const slot_t article_slots[] = {
    { "slug", "a-1" }, { "lang", "en" }, { "date", "2025-03-31" },
    { "date", "2025-04-01T10:00:00Z" }, { "slug", "pair" }, { "slug", "farid" },
    { "slug", "other" }, { "url", "https://example.org/x" }, { "url", "x.png" },
    { "list", "pull" }, { "date", "2025-03-31" }, { NULL, NULL },
};
static const slot_t site_slots[] = {
    { "lang", "en" }, { "lang", "fa" }, { "siteurl", "https://example.org" },
    { "email", "a@example.org" }, { "lang", "en" }, { "key", "more.on-topic_1" },
    { NULL, NULL },
};
static const slot_t author_slots[] = {
    { "slug", "farid" }, { "lang", "fa" }, { "url", "p.jpg" },
    { "url", "mailto:a@b" }, { NULL, NULL },
};
static const slot_t collection_slots[] = {
    { "slug", "news" }, { NULL, NULL },
};

/* Hostile and edge values (XML-escaped as they would be written) for each
 * kind of slot; the valid ones are there to show the fast path keeps them. */
static const char *const hostile[][2] = {
    { "slug", "Bad_Id" }, { "slug", "UPPER" }, { "slug", "-a" }, { "slug", "" },
    { "slug", " a" }, { "slug", "a&#9;" }, { "slug", "\xd9\x81" },
    { "slug", "authors" }, { "slug", "Authors" },
    { "slug", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
    { "slug", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" },
    { "lang", "EN" }, { "lang", "e" }, { "lang", "en-" }, { "lang", "en-x" },
    { "lang", "en-abcdefghi" }, { "lang", "ru" }, { "lang", "pt-br" },
    { "lang", " en" },
    { "date", "2025-13-45" }, { "date", "2025-1-1" }, { "date", "2025-02-29" },
    { "date", "2024-02-29" }, { "date", "2025-03-31T25:00:00" },
    { "date", "2025-03-31T09:30" }, { "date", "2025-03-31Z" },
    { "date", "2025-03-31 " }, { "date", "12025-03-31" },
    { "date", "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa5-03-31" },
    { "date", "2025-03-31T09:30:00.25+04:30" },
    { "url", "javascript:alert(1)" }, { "url", "JaVaScRiPt:alert(1)" },
    { "url", "java&#9;script:alert(1)" }, { "url", " javascript:x" },
    { "url", "data:text/html,x" }, { "url", "http://a&#160;b" },
    { "url", "http://a\xe2\x80\x83" "b" }, { "url", "http://a\xe2\x80\x8b" "b" },
    { "url", "http://a\xe3\x80\x80" "b" }, { "url", "http://a&#x85;b" },
    { "url", "http://a&#10;b" }, { "url", "" }, { "url", "http://" },
    { "url", "mailto:" }, { "url", "HTTPS://EXAMPLE.ORG" }, { "url", "#top" },
    { "url", "/a:b" }, { "url", "https://fa.wikipedia.org/wiki/\xd9\x81" },
    { "list", "pull Bad" }, { "list", "pull  wide" }, { "list", " " },
    { "list", "pull&#9;wide" },
    { "siteurl", "ftp://example.org" }, { "siteurl", "HTTP://example.org" },
    { "siteurl", "https://" }, { "siteurl", "https://a b" },
    { "siteurl", "https://a/b?c" }, { "siteurl", "https://a/b" },
    { "email", "a@b@c" }, { "email", "@b" }, { "email", "a b@c" },
    { "email", "a@" }, { "email", "\xd9\x81@\xd9\x81" },
    { "key", "Bad" }, { "key", ".a" }, { "key", "a.b_c-d" },
};

/* libxml2's regular expressions print a line for each U+FFFE they meet. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* The first error libxml2 reports, as the loader keeps it. */
typedef struct {
    int seen;
    int line;
    char msg[512];
} first_err_t;

static void keep_first(void *baton, xmlErrorPtr e)
{
    first_err_t *f = baton;

    if (!f->seen && e) {
        f->seen = 1;
        f->line = e->line;
        snprintf(f->msg, sizeof(f->msg), "%s", e->message ? e->message : "");
    }
}

static void test_doc(art_valid_t *v, xmlRelaxNGValidCtxtPtr *full,
                     xmlRelaxNGPtr schema, const char *xml)
{
    xmlDocPtr d1 = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR
                                 | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    xmlDocPtr d2 = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR
                                 | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    first_err_t e1 = { 0, 0, "" }, e2 = { 0, 0, "" };
    unsigned long before = art_valid_fallbacks();
    int r1, r2;
    char line[32];

    if (d1 == NULL || d2 == NULL) {
        check(0, "not well-formed: %s%s", xml, "");
        return;
    }
    r1 = art_valid_doc(v, d1, keep_first, &e1) != 0;
    if (*full == NULL) {
        *full = xmlRelaxNGNewValidCtxt(schema);
    }
    xmlRelaxNGSetValidStructuredErrors(*full, keep_first, &e2);
    r2 = xmlRelaxNGValidateDoc(*full, d2) != 0;
    if (r2) {
        xmlRelaxNGFreeValidCtxt(*full);
        *full = NULL;
    }
    check(r1 == r2, "verdicts differ (full schema: %s) on\n%s",
          r2 ? "refused" : "accepted", xml);
    snprintf(line, sizeof(line), "%d", e2.line);
    check(strcmp(e1.msg, e2.msg) == 0 && e1.line == e2.line,
          "first error differs (full schema: line %s) on\n%s", line, xml);
    /* U+200B is refused by the C checks on purpose (it was a space in
     * Unicode 3), so documents with it may take the slow path. */
    if (!r2 && strstr(xml, "\xe2\x80\x8b") == NULL) {
        check(art_valid_fallbacks() == before,
              "a valid document went to the full schema:\n%s%s", xml, "");
    }
    xmlFreeDoc(d1);
    xmlFreeDoc(d2);
}

/* Each slot of fmt filled with its valid value but one, which gets each
 * hostile value of its kind; and once all valid. */
static void test_docs(art_valid_t *v, xmlRelaxNGValidCtxtPtr *full,
                      xmlRelaxNGPtr schema, const char *fmt,
                      const slot_t *slots)
{
    const char *vals[16];
    char xml[4096];
    int n, s, i, h;

    for (n = 0; slots[n].kind; n++) {
    }
    for (s = -1; s < n; s++) {
        for (h = 0; h < (int)(sizeof(hostile) / sizeof(hostile[0])); h++) {
            if (s >= 0 && strcmp(hostile[h][0], slots[s].kind) != 0) {
                continue;
            }
            for (i = 0; i < n; i++) {
                vals[i] = i == s ? hostile[h][1] : slots[i].good;
            }
            snprintf(xml, sizeof(xml), fmt, vals[0], vals[1], vals[2], vals[3],
                     vals[4], vals[5], vals[6], vals[7], vals[8], vals[9],
                     vals[10]);
            test_doc(v, full, schema, xml);
            if (s < 0) {
                break;
            }
        }
    }
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "mod_articles/articles.rng";
    char *rng = slurp(path);
    const char *err = NULL;
    xmlDocPtr doc;
    xmlRelaxNGParserCtxtPtr pc;
    xmlRelaxNGPtr schema;
    xmlRelaxNGValidCtxtPtr full = NULL;
    art_valid_t *v;

    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    if (art_valid_init(rng, &err) != 0) {
        printf("art_valid_init: %s\n", err);
        return 1;
    }
    doc = xmlReadMemory(rng, (int)strlen(rng), path, NULL, XML_PARSE_NONET);
    test_patterns(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);

    pc = xmlRelaxNGNewMemParserCtxt(rng, (int)strlen(rng));
    schema = xmlRelaxNGParse(pc);
    xmlRelaxNGFreeParserCtxt(pc);
    v = art_valid_create();
    test_docs(v, &full, schema, article, article_slots);
    test_docs(v, &full, schema, site, site_slots);
    test_docs(v, &full, schema, authors, author_slots);
    test_docs(v, &full, schema, collection, collection_slots);

    if (full) {
        xmlRelaxNGFreeValidCtxt(full);
    }
    art_valid_destroy(v);
    xmlRelaxNGFree(schema);
    free(rng);
    printf("valid: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
