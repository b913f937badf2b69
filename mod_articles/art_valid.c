/* art_valid.c: schema validation with the XSD patterns checked in C (see
 * art_valid.h).
 *
 * Which values a pattern governs is fixed by articles.rng: the table
 * attr_checks below names every attribute and element whose value is one of
 * its patterned types.  Names suffice because validating against the
 * stripped schema has already placed every attribute and element where the
 * schema allows it, and no name is patterned in one place and free in
 * another.  t/unit/valid_test.c compares every check with libxml2's own
 * regular expression of the pattern and whole documents with the full
 * schema's verdict and message.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "art_valid.h"

struct art_valid_t {
    xmlRelaxNGValidCtxtPtr stripped;
    xmlRelaxNGValidCtxtPtr full;
};

static xmlRelaxNGPtr schema_full;
static xmlRelaxNGPtr schema_stripped;
static unsigned long fallbacks;

/* ---------------------------------------------------------------- characters */

/* The next code point of the UTF-8 text at *s, moving *s past it; -1 on a
 * malformed sequence (libxml2 never hands one over, but a check must not
 * accept what it cannot read). */
static long next_cp(const xmlChar **s)
{
    const xmlChar *p = *s;
    long c = p[0];
    int n, i;

    if (c < 0x80) {
        *s = p + 1;
        return c;
    }
    if ((c & 0xe0) == 0xc0) {
        n = 1;
        c &= 0x1f;
    }
    else if ((c & 0xf0) == 0xe0) {
        n = 2;
        c &= 0x0f;
    }
    else if ((c & 0xf8) == 0xf0) {
        n = 3;
        c &= 0x07;
    }
    else {
        return -1;
    }
    for (i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return -1;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s = p + n + 1;
    return c;
}

/* Whether a [^...\p{Cc}\p{Z}] class might exclude c.  A superset of \p{Cc}
 * and \p{Z} in libxml2's Unicode tables (which predate U+180E and U+200B
 * leaving Zs) and in current Unicode, widened to whole blocks of format
 * characters, plus what is no XML character (libxml2's regular expressions
 * refuse U+FFFE): refusing too much only sends the document to the full
 * schema. */
static int blankish(long c)
{
    return c < 0 || c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0x1680
        || c == 0x180e || (c >= 0x2000 && c <= 0x200f)
        || (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f)
        || c == 0x3000 || (c >= 0xd800 && c <= 0xdfff) || c == 0xfeff
        || c == 0xfffe || c == 0xffff || c > 0x10ffff;
}

/* Moves *s over characters that are neither blankish nor in stop (ASCII);
 * returns the character it stopped at (0 at the end, -1 at a blankish one). */
static long skip_plain(const xmlChar **s, const char *stop)
{
    const xmlChar *p;
    long c;

    for (;;) {
        p = *s;
        if (*p == '\0') {
            return 0;
        }
        if (*p < 0x80 && strchr(stop, *p)) {
            return *p;
        }
        c = next_cp(s);
        if (blankish(c)) {
            *s = p;
            return -1;
        }
    }
}

static int lower_digit(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int digits(const xmlChar *s, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* Whether s starts with the ASCII letters of word in either case. */
static int prefix_nocase(const xmlChar *s, const char *word)
{
    for (; *word; word++, s++) {
        if ((*s | 0x20) != *word) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- patterns */

/* [a-z0-9][a-z0-9<more>]* */
static int ident(const xmlChar *v, const char *more)
{
    if (!lower_digit(*v)) {
        return 0;
    }
    for (v++; *v; v++) {
        if (!lower_digit(*v) && !strchr(more, *v)) {
            return 0;
        }
    }
    return 1;
}

/* [a-z0-9][a-z0-9\-]* */
static int check_slug(const xmlChar *v)
{
    return ident(v, "-");
}

/* [a-z0-9][a-z0-9\-_.]* */
static int check_key(const xmlChar *v)
{
    return ident(v, "-_.");
}

/* [a-z]{2,3}(-[a-z0-9]{2,8})* */
static int check_lang(const xmlChar *v)
{
    int n = 0;

    while (v[n] >= 'a' && v[n] <= 'z') {
        n++;
    }
    if (n < 2 || n > 3) {
        return 0;
    }
    v += n;
    while (*v == '-') {
        for (n = 0; lower_digit(v[1 + n]); n++) {
        }
        if (n < 2 || n > 8) {
            return 0;
        }
        v += 1 + n;
    }
    return *v == '\0';
}

/* [0-9]{4}-[0-9]{2}-[0-9]{2}, and the rest of the string at *end. */
static int date_part(const xmlChar *v, const xmlChar **end)
{
    if (!digits(v, 4) || v[4] != '-' || !digits(v + 5, 2) || v[7] != '-'
        || !digits(v + 8, 2)) {
        return 0;
    }
    *end = v + 10;
    return 1;
}

static int check_date(const xmlChar *v)
{
    return date_part(v, &v) && *v == '\0';
}

/* [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?
 * (Z|[+\-][0-9]{2}:[0-9]{2})? */
static int check_datetime(const xmlChar *v)
{
    if (!date_part(v, &v) || v[0] != 'T' || !digits(v + 1, 2) || v[3] != ':'
        || !digits(v + 4, 2) || v[6] != ':' || !digits(v + 7, 2)) {
        return 0;
    }
    v += 9;
    if (*v == '.') {
        if (!digits(v + 1, 1)) {
            return 0;
        }
        for (v++; *v >= '0' && *v <= '9'; v++) {
        }
    }
    if (*v == 'Z') {
        v++;
    }
    else if (*v == '+' || *v == '-') {
        if (!digits(v + 1, 2) || v[3] != ':' || !digits(v + 4, 2)) {
            return 0;
        }
        v += 6;
    }
    return *v == '\0';
}

/* ([hH][tT][tT][pP][sS]?://[^/?#\p{Cc}\p{Z}]+|[mM][aA][iI][lL][tT][oO]:
 * [^\p{Cc}\p{Z}])[^\p{Cc}\p{Z}]* */
static int check_url_abs(const xmlChar *v)
{
    if (prefix_nocase(v, "http")) {
        v += 4;
        if ((*v | 0x20) == 's') {
            v++;
        }
        if (v[0] != ':' || v[1] != '/' || v[2] != '/') {
            return 0;
        }
        v += 3;
        if (*v == '/' || *v == '?' || *v == '#') {
            return 0;
        }
    }
    else if (prefix_nocase(v, "mailto") && v[6] == ':') {
        v += 7;
    }
    else {
        return 0;
    }
    return *v != '\0' && skip_plain(&v, "") == 0;
}

/* [^:/?#\p{Cc}\p{Z}]*([/?#][^\p{Cc}\p{Z}]*)? */
static int check_url_rel(const xmlChar *v)
{
    long c = skip_plain(&v, ":/?#");

    if (c == 0) {
        return 1;
    }
    if (c == ':' || c < 0) {
        return 0;
    }
    v++;
    return skip_plain(&v, "") == 0;
}

/* https?://[^/?#\p{Cc}\p{Z}]+(/[^?#\p{Cc}\p{Z}]*)? */
static int check_site_url(const xmlChar *v)
{
    const xmlChar *host;
    long c;

    if (strncmp((const char *)v, "http", 4) != 0) {
        return 0;
    }
    v += 4;
    if (*v == 's') {
        v++;
    }
    if (strncmp((const char *)v, "://", 3) != 0) {
        return 0;
    }
    v += 3;
    host = v;
    c = skip_plain(&v, "/?#");
    if (v == host || (c != 0 && c != '/')) {
        return 0;
    }
    if (c == '/') {
        v++;
        return skip_plain(&v, "?#") == 0;
    }
    return 1;
}

/* [^@\p{Cc}\p{Z}]+@[^@\p{Cc}\p{Z}]+ */
static int check_email(const xmlChar *v)
{
    const xmlChar *start = v;

    if (skip_plain(&v, "@") != '@' || v == start) {
        return 0;
    }
    start = ++v;
    return skip_plain(&v, "@") == 0 && v != start;
}

/* The patterns of articles.rng that have a check, by their text. */
static const struct {
    const char *pattern;
    art_valid_check_fn *check;
} pattern_checks[] = {
    { "[a-z0-9][a-z0-9\\-]*", check_slug },
    { "[a-z0-9][a-z0-9\\-_.]*", check_key },
    { "[a-z]{2,3}(-[a-z0-9]{2,8})*", check_lang },
    { "[0-9]{4}-[0-9]{2}-[0-9]{2}", check_date },
    { "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?"
      "(Z|[+\\-][0-9]{2}:[0-9]{2})?", check_datetime },
    { "([hH][tT][tT][pP][sS]?://[^/?#\\p{Cc}\\p{Z}]+|[mM][aA][iI][lL][tT][oO]:"
      "[^\\p{Cc}\\p{Z}])[^\\p{Cc}\\p{Z}]*", check_url_abs },
    { "[^:/?#\\p{Cc}\\p{Z}]*([/?#][^\\p{Cc}\\p{Z}]*)?", check_url_rel },
    { "https?://[^/?#\\p{Cc}\\p{Z}]+(/[^?#\\p{Cc}\\p{Z}]*)?", check_site_url },
    { "[^@\\p{Cc}\\p{Z}]+@[^@\\p{Cc}\\p{Z}]+", check_email },
};

art_valid_check_fn *art_valid_pattern_check(const char *pattern)
{
    size_t i;

    for (i = 0; i < sizeof(pattern_checks) / sizeof(pattern_checks[0]); i++) {
        if (strcmp(pattern_checks[i].pattern, pattern) == 0) {
            return pattern_checks[i].check;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- types */

/* The schema's date: xsd:date with the date pattern or xsd:dateTime with
 * the date-time one.  The stripped schema has checked the xsd type; the two
 * patterns differ by the 'T', so a value matching one has that one's type. */
static int check_date_type(const xmlChar *v)
{
    return check_date(v) || check_datetime(v);
}

/* The schema's url: at most 4096 characters (the stripped schema checks
 * that) matching the absolute pattern, or 1 to 4096 matching the relative
 * one. */
static int check_url_type(const xmlChar *v)
{
    return check_url_abs(v) || (*v != '\0' && check_url_rel(v));
}

/* blockquote's class: a list of slugs, split where libxml2 splits lists. */
static int check_slug_list(const xmlChar *v)
{
    xmlChar tok[130];
    size_t n;
    int seen = 0;

    for (;;) {
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            v++;
        }
        if (*v == '\0') {
            return seen;
        }
        for (n = 0; v[n] && v[n] != ' ' && v[n] != '\t' && v[n] != '\n'
             && v[n] != '\r'; n++) {
            if (n + 1 >= sizeof(tok)) {
                return 0;
            }
            tok[n] = v[n];
        }
        tok[n] = '\0';
        if (!check_slug(tok)) {
            return 0;
        }
        seen = 1;
        v += n;
    }
}

/* Every attribute (is_attr) or element of articles.rng whose value
 * has a patterned type, by name: ids and refs are slugs (collection.id's
 * exceptions stay in the stripped schema), lang, default-lang and code are
 * lang.code. */
static const struct {
    const char *name;
    int is_attr;
    art_valid_check_fn *check;
} value_checks[] = {
    { "id", 1, check_slug },
    { "ref", 1, check_slug },
    { "translation", 1, check_slug },
    { "class", 1, check_slug_list },
    { "lang", 1, check_lang },
    { "default-lang", 1, check_lang },
    { "code", 1, check_lang },
    { "key", 1, check_key },
    { "published", 1, check_date_type },
    { "updated", 1, check_date_type },
    { "date", 1, check_date_type },
    { "href", 1, check_url_type },
    { "src", 1, check_url_type },
    { "url", 0, check_site_url },
    { "email", 0, check_email },
};

static art_valid_check_fn *value_check(const xmlChar *name, int is_attr)
{
    size_t i;

    for (i = 0; i < sizeof(value_checks) / sizeof(value_checks[0]); i++) {
        if (value_checks[i].is_attr == is_attr
            && value_checks[i].name[0] == name[0]
            && strcmp(value_checks[i].name, (const char *)name) == 0) {
            return value_checks[i].check;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- documents */

/* The value libxml2 validates for attribute a: its children's text. */
static int attr_ok(xmlAttrPtr a, art_valid_check_fn *check)
{
    xmlChar *s;
    int ok;

    if (a->children == NULL) {
        return check((const xmlChar *)"");
    }
    if (a->children->type == XML_TEXT_NODE && a->children->next == NULL) {
        return check(a->children->content);
    }
    s = xmlNodeListGetString(a->doc, a->children, 1);
    ok = s != NULL && check(s);
    xmlFree(s);
    return ok;
}

/* An element's text value: a single text node or none; anything else is
 * left to the full schema. */
static int content_ok(xmlNodePtr e, art_valid_check_fn *check)
{
    xmlNodePtr c = e->children;

    if (c == NULL) {
        return check((const xmlChar *)"");
    }
    if (c->type != XML_TEXT_NODE || c->next != NULL) {
        return 0;
    }
    return check(c->content);
}

/* Every patterned value of the tree under e; 1 when all surely match. */
static int values_ok(xmlNodePtr e)
{
    xmlAttrPtr a;
    art_valid_check_fn *check;

    for (; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE) {
            continue;
        }
        for (a = e->properties; a; a = a->next) {
            check = value_check(a->name, 1);
            if (check && !attr_ok(a, check)) {
                return 0;
            }
        }
        check = value_check(e->name, 0);
        if (check) {
            if (!content_ok(e, check)) {
                return 0;
            }
        }
        else if (e->children && !values_ok(e->children)) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- schemas */

static void ignore_error(void *baton, xmlErrorPtr e)
{
    (void)baton;
    (void)e;
}

static xmlRelaxNGPtr compile(xmlDocPtr rng)
{
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewDocParserCtxt(rng);
    xmlRelaxNGPtr s;

    if (pc == NULL) {
        return NULL;
    }
    s = xmlRelaxNGParse(pc);
    xmlRelaxNGFreeParserCtxt(pc);
    return s;
}

/* Removes from the RELAX NG tree under n the pattern params that have a C
 * check. */
static void strip_patterns(xmlNodePtr n)
{
    xmlNodePtr next;
    xmlChar *attr, *text;
    int strip;

    for (; n; n = next) {
        next = n->next;
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (!xmlStrEqual(n->name, BAD_CAST "param")) {
            strip_patterns(n->children);
            continue;
        }
        attr = xmlGetNoNsProp(n, BAD_CAST "name");
        text = xmlNodeGetContent(n);
        strip = attr && text && xmlStrEqual(attr, BAD_CAST "pattern")
            && art_valid_pattern_check((const char *)text);
        xmlFree(attr);
        xmlFree(text);
        if (strip) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
        }
    }
}

int art_valid_init(const char *rng, const char **err)
{
    xmlDocPtr doc;

    if (schema_full) {
        return 0;
    }
    doc = xmlReadMemory(rng, (int)strlen(rng), "articles.rng", NULL,
                        XML_PARSE_NONET);
    if (doc == NULL) {
        *err = "the built-in RELAX NG schema is not well-formed";
        return -1;
    }
    schema_full = compile(doc);
    if (schema_full) {
        strip_patterns(xmlDocGetRootElement(doc));
        schema_stripped = compile(doc);
    }
    xmlFreeDoc(doc);
    if (schema_full == NULL || schema_stripped == NULL) {
        *err = "the built-in RELAX NG schema does not compile";
        return -1;
    }
    return 0;
}

art_valid_t *art_valid_create(void)
{
    art_valid_t *v = calloc(1, sizeof(*v));

    return v;
}

void art_valid_destroy(art_valid_t *v)
{
    if (v) {
        if (v->stripped) {
            xmlRelaxNGFreeValidCtxt(v->stripped);
        }
        if (v->full) {
            xmlRelaxNGFreeValidCtxt(v->full);
        }
        free(v);
    }
}

/* Validate doc with *ctx (made from s when NULL); a context that failed a
 * document is dropped: it may keep states and errors behind.  -1 when out of
 * memory. */
static int validate(xmlRelaxNGValidCtxtPtr *ctx, xmlRelaxNGPtr s, xmlDocPtr doc,
                    xmlStructuredErrorFunc fn, void *baton)
{
    int rc;

    if (*ctx == NULL) {
        *ctx = xmlRelaxNGNewValidCtxt(s);
        if (*ctx == NULL) {
            return -1;
        }
    }
    xmlRelaxNGSetValidStructuredErrors(*ctx, fn, baton);
    rc = xmlRelaxNGValidateDoc(*ctx, doc);
    if (rc != 0) {
        xmlRelaxNGFreeValidCtxt(*ctx);
        *ctx = NULL;
    }
    return rc;
}

int art_valid_doc(art_valid_t *v, xmlDocPtr doc, xmlStructuredErrorFunc fn,
                  void *baton)
{
    if (validate(&v->stripped, schema_stripped, doc, ignore_error, NULL) == 0
        && values_ok(xmlDocGetRootElement(doc))) {
        return 0;
    }
    __atomic_add_fetch(&fallbacks, 1, __ATOMIC_RELAXED);
    return validate(&v->full, schema_full, doc, fn, baton);
}

unsigned long art_valid_fallbacks(void)
{
    return __atomic_load_n(&fallbacks, __ATOMIC_RELAXED);
}
