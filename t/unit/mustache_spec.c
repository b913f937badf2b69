/* mustache_spec.c: runs the Mustache specification against art_mustache.
 *
 * Usage: mustache_spec [--required-only] [spec-dir]   (default t/mustache-spec)
 *
 * Each *.json file of the spec is read into Lua with the small JSON reader below;
 * every test compiles its template and partials, renders its data and compares the
 * output with "expected".  One line per failure, a summary per file, then
 * "mustache: N passed, M failed".  The exit status depends on the core files,
 * ~inheritance and the engine checks at the end of this file; the other optional
 * files (~dynamic-names, ~lambdas) are reported on their own line, and
 * --required-only skips them.  The spec gives lambdas in several languages but not
 * Lua, so the Lua versions are written here.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "art_buf.h"
#include "art_mustache.h"

typedef struct {
    int passed, failed;
} tally_t;

/* ------------------------------------------------------------------ helpers */

static void print_escaped(const char *s, size_t n)
{
    size_t i;

    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '"':  fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        default:
            if (c < 0x20) {
                printf("\\x%02x", c);
            }
            else {
                putchar(c);
            }
        }
    }
    putchar('"');
}

static char *read_file(apr_pool_t *p, const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = apr_palloc(p, size + 1);
    *n = fread(buf, 1, size, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static const art_tpl_t *resolve(void *baton, const char *name)
{
    return apr_hash_get((apr_hash_t *)baton, name, APR_HASH_KEY_STRING);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------------ JSON reader */

/* Just enough JSON to load the spec into Lua: objects and arrays become tables
 * (arrays from 1), numbers integers unless written with a fraction or exponent,
 * and null nil, so a null member is simply absent. */

#define JSON_MAX_DEPTH 200

typedef struct {
    lua_State *L;
    const char *p, *e;
    const char *err;
    int depth;
} json_reader_t;

static int json_value(json_reader_t *r);

static int json_fail(json_reader_t *r, const char *msg)
{
    if (!r->err) {
        r->err = msg;
    }
    return 0;
}

static void json_skip_space(json_reader_t *r)
{
    while (r->p < r->e && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n'
                           || *r->p == '\r')) {
        r->p++;
    }
}

static int json_literal(json_reader_t *r, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(r->e - r->p) < n || memcmp(r->p, word, n) != 0) {
        return json_fail(r, "bad literal");
    }
    r->p += n;
    return 1;
}

static int json_hex4(json_reader_t *r, unsigned *out)
{
    unsigned v = 0;
    int i;
    char c;

    if (r->e - r->p < 4) {
        return json_fail(r, "short \\u escape");
    }
    for (i = 0; i < 4; i++) {
        c = *r->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        }
        else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        }
        else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        }
        else {
            return json_fail(r, "bad \\u escape");
        }
    }
    *out = v;
    return 1;
}

static void json_put_utf8(luaL_Buffer *b, unsigned c)
{
    if (c < 0x80) {
        luaL_addchar(b, (char)c);
    }
    else if (c < 0x800) {
        luaL_addchar(b, (char)(0xC0 | (c >> 6)));
        luaL_addchar(b, (char)(0x80 | (c & 0x3F)));
    }
    else if (c < 0x10000) {
        luaL_addchar(b, (char)(0xE0 | (c >> 12)));
        luaL_addchar(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (c & 0x3F)));
    }
    else {
        luaL_addchar(b, (char)(0xF0 | (c >> 18)));
        luaL_addchar(b, (char)(0x80 | ((c >> 12) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (c & 0x3F)));
    }
}

/* r->p is just past the opening quote; pushes the string. */
static int json_string(json_reader_t *r)
{
    luaL_Buffer b;
    unsigned c, lo;
    char ch;

    luaL_buffinit(r->L, &b);
    for (;;) {
        if (r->p >= r->e) {
            return json_fail(r, "unterminated string");
        }
        ch = *r->p++;
        if (ch == '"') {
            break;
        }
        if (ch != '\\') {
            luaL_addchar(&b, ch);
            continue;
        }
        if (r->p >= r->e) {
            return json_fail(r, "unterminated string");
        }
        switch (ch = *r->p++) {
        case '"': case '\\': case '/': luaL_addchar(&b, ch); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u':
            if (!json_hex4(r, &c)) {
                return 0;
            }
            if (c >= 0xD800 && c < 0xDC00 && r->e - r->p >= 6 && r->p[0] == '\\'
                && r->p[1] == 'u') {
                r->p += 2;
                if (!json_hex4(r, &lo)) {
                    return 0;
                }
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            }
            json_put_utf8(&b, c);
            break;
        default:
            return json_fail(r, "bad escape");
        }
    }
    luaL_pushresult(&b);
    return 1;
}

static int json_number(json_reader_t *r)
{
    char buf[64], *end;
    const char *s = r->p;
    size_t n;
    int is_float = 0;

    while (r->p < r->e && strchr("+-0123456789.eE", *r->p)) {
        is_float |= *r->p == '.' || *r->p == 'e' || *r->p == 'E';
        r->p++;
    }
    n = r->p - s;
    if (n == 0 || n >= sizeof(buf)) {
        return json_fail(r, "bad number");
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (is_float) {
        lua_pushnumber(r->L, strtod(buf, &end));
    }
    else {
        lua_pushinteger(r->L, strtoll(buf, &end, 10));
    }
    if (*end) {
        lua_pop(r->L, 1);
        return json_fail(r, "bad number");
    }
    return 1;
}

static int json_object(json_reader_t *r)
{
    lua_State *L = r->L;

    lua_newtable(L);
    json_skip_space(r);
    if (r->p < r->e && *r->p == '}') {
        r->p++;
        return 1;
    }
    for (;;) {
        json_skip_space(r);
        if (r->p >= r->e || *r->p != '"') {
            return json_fail(r, "expected a member name");
        }
        r->p++;
        if (!json_string(r)) {
            return 0;
        }
        json_skip_space(r);
        if (r->p >= r->e || *r->p != ':') {
            return json_fail(r, "expected ':'");
        }
        r->p++;
        if (!json_value(r)) {
            return 0;
        }
        lua_rawset(L, -3);
        json_skip_space(r);
        if (r->p < r->e && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->e && *r->p == '}') {
            r->p++;
            return 1;
        }
        return json_fail(r, "expected ',' or '}'");
    }
}

static int json_array(json_reader_t *r)
{
    lua_State *L = r->L;
    lua_Integer i = 1;

    lua_newtable(L);
    json_skip_space(r);
    if (r->p < r->e && *r->p == ']') {
        r->p++;
        return 1;
    }
    for (;;) {
        if (!json_value(r)) {
            return 0;
        }
        lua_rawseti(L, -2, i++);
        json_skip_space(r);
        if (r->p < r->e && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->e && *r->p == ']') {
            r->p++;
            return 1;
        }
        return json_fail(r, "expected ',' or ']'");
    }
}

/* Push one value; on failure the caller's lua_settop cleans up. */
static int json_value(json_reader_t *r)
{
    int ok;

    if (++r->depth > JSON_MAX_DEPTH) {
        return json_fail(r, "nested too deeply");
    }
    luaL_checkstack(r->L, 4, "json nesting");
    json_skip_space(r);
    if (r->p >= r->e) {
        return json_fail(r, "unexpected end");
    }
    switch (*r->p) {
    case '{':
        r->p++;
        ok = json_object(r);
        break;
    case '[':
        r->p++;
        ok = json_array(r);
        break;
    case '"':
        r->p++;
        ok = json_string(r);
        break;
    case 't':
        ok = json_literal(r, "true");
        if (ok) {
            lua_pushboolean(r->L, 1);
        }
        break;
    case 'f':
        ok = json_literal(r, "false");
        if (ok) {
            lua_pushboolean(r->L, 0);
        }
        break;
    case 'n':
        ok = json_literal(r, "null");
        if (ok) {
            lua_pushnil(r->L);
        }
        break;
    default:
        ok = json_number(r);
        break;
    }
    r->depth--;
    return ok;
}

/* Push the value encoded in s[0, n); on a syntax error push nothing, set *err to a
 * static message and return 0. */
static int json_lua_push(lua_State *L, const char *s, size_t n, const char **err)
{
    json_reader_t r;
    int top = lua_gettop(L);

    r.L = L;
    r.p = s;
    r.e = s + n;
    r.err = NULL;
    r.depth = 0;
    if (json_value(&r)) {
        json_skip_space(&r);
        if (r.p == r.e) {
            return 1;
        }
        json_fail(&r, "trailing characters");
    }
    lua_settop(L, top);
    *err = r.err;
    return 0;
}

/* ------------------------------------------------------------------ spec files */

/* The spec's lambdas, in Lua. */
static const struct {
    const char *test;
    const char *code;
} lambdas[] = {
    { "Interpolation", "return function() return 'world' end" },
    { "Interpolation - Expansion", "return function() return '{{planet}}' end" },
    { "Interpolation - Alternate Delimiters",
      "return function() return '|planet| => {{planet}}' end" },
    { "Interpolation - Multiple Calls",
      "local calls = 0 return function() calls = calls + 1 return calls end" },
    { "Escaping", "return function() return '>' end" },
    { "Section",
      "return function(text) return text == '{{x}}' and 'yes' or 'no' end" },
    { "Section - Expansion",
      "return function(text) return text .. '{{planet}}' .. text end" },
    { "Section - Alternate Delimiters",
      "return function(text) return text .. '{{planet}} => |planet|' .. text end" },
    { "Section - Multiple Calls",
      "return function(text) return '__' .. text .. '__' end" },
    { "Inverted Section", "return function(text) return false end" },
    { NULL, NULL }
};

/* Replace data.lambda (the spec's per-language code) by its Lua version. */
static int set_lambda(lua_State *L, int data, const char *test)
{
    int i;

    for (i = 0; lambdas[i].test; i++) {
        if (strcmp(lambdas[i].test, test) == 0) {
            if (luaL_dostring(L, lambdas[i].code) != LUA_OK) {
                lua_pop(L, 1);
                return 0;
            }
            lua_setfield(L, data, "lambda");
            return 1;
        }
    }
    return 0;
}

static const char *table_string(lua_State *L, int t, const char *key, size_t *n)
{
    const char *s;

    lua_getfield(L, t, key);
    s = lua_tolstring(L, -1, n);
    lua_pop(L, 1);
    return s;
}

static void fail_line(const char *file, const char *test, const char *what,
                      const char *exp, size_t nexp, const char *got, size_t ngot)
{
    printf("FAIL %s: %s: %s\n  expected ", file, test, what);
    print_escaped(exp, nexp);
    printf("\n  got      ");
    print_escaped(got, ngot);
    putchar('\n');
}

/* Run one test; the test table is on top of the stack. */
static int run_test(lua_State *L, apr_pool_t *p, const char *file, int lambdas_file)
{
    int test = lua_gettop(L), data, top;
    const char *name, *tsrc, *exp, *psrc, *pname;
    size_t nt, nexp, np;
    apr_hash_t *partials = apr_hash_make(p);
    art_tpl_t *tpl;
    art_buf_t out;
    char *err = NULL;
    int ok;

    name = table_string(L, test, "name", &np);
    tsrc = table_string(L, test, "template", &nt);
    exp = table_string(L, test, "expected", &nexp);
    if (!name || !tsrc || !exp) {
        printf("FAIL %s: malformed test\n", file);
        return 0;
    }
    lua_getfield(L, test, "partials");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            pname = lua_tostring(L, -2);
            psrc = lua_tolstring(L, -1, &np);
            if (art_tpl_compile(p, pname, psrc, np, &tpl, &err) != APR_SUCCESS) {
                fail_line(file, name, "partial does not compile", exp, nexp,
                          err, strlen(err));
                return 0;
            }
            apr_hash_set(partials, apr_pstrdup(p, pname), APR_HASH_KEY_STRING, tpl);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);

    lua_getfield(L, test, "data");
    data = lua_gettop(L);
    if (lambdas_file && lua_istable(L, data) && !set_lambda(L, data, name)) {
        fail_line(file, name, "no Lua version of the lambda", exp, nexp, "", 0);
        return 0;
    }
    if (art_tpl_compile(p, "test", tsrc, nt, &tpl, &err) != APR_SUCCESS) {
        fail_line(file, name, "template does not compile", exp, nexp,
                  err, strlen(err));
        return 0;
    }
    art_buf_init(&out, p, 256);
    top = lua_gettop(L);
    if (art_tpl_render(tpl, L, data, resolve, partials, &out, &err) != APR_SUCCESS) {
        fail_line(file, name, "render error", exp, nexp, err, strlen(err));
        return 0;
    }
    if (lua_gettop(L) != top) {
        fail_line(file, name, "Lua stack not balanced", exp, nexp, "", 0);
        return 0;
    }
    ok = out.len == nexp && memcmp(out.data, exp, nexp) == 0;
    if (!ok) {
        fail_line(file, name, "wrong output", exp, nexp, out.data, out.len);
    }
    return ok;
}

static void run_file(lua_State *L, apr_pool_t *pool, const char *dir, const char *file,
                     tally_t *tally)
{
    apr_pool_t *p;
    const char *err = NULL;
    char *path, *json;
    size_t n;
    lua_Integer i, count;
    int root;

    apr_pool_create(&p, pool);
    path = apr_pstrcat(p, dir, "/", file, NULL);
    json = read_file(p, path, &n);
    if (!json || !json_lua_push(L, json, n, &err)) {
        printf("FAIL %s: cannot read: %s\n", path, json ? err : "cannot open");
        tally->failed++;
        apr_pool_destroy(p);
        return;
    }
    root = lua_gettop(L);
    lua_getfield(L, root, "tests");
    count = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
    for (i = 1; i <= count; i++) {
        lua_rawgeti(L, root + 1, i);
        if (run_test(L, p, file, strcmp(file, "~lambdas.json") == 0)) {
            tally->passed++;
        }
        else {
            tally->failed++;
        }
        lua_settop(L, root + 1);
        apr_pool_clear(p);
    }
    lua_settop(L, root - 1);
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------------ engine checks */

/* Behaviour the spec leaves to the implementation: error messages, limits, and how
 * Lua values (userdata views, metatables) are read. */

typedef struct {
    const char *src;
    const char *err;
} compile_case_t;

static const compile_case_t compile_cases[] = {
    { "<ul>\n{{#items}}\n<li>{{.}}</li>\n",
      "article.mustache:2: unclosed section 'items'" },
    { "{{#a}}\n{{/b}}",
      "article.mustache:2: close tag 'b' does not match 'a' opened at line 1" },
    { "x\n{{/a}}", "article.mustache:2: close tag 'a' without open section" },
    { "{{=<% =}}", "article.mustache:1: bad delimiter change '<%'" },
    { "a\nb {{name", "article.mustache:2: unclosed tag" },
    { "{{a..b}}", "article.mustache:1: bad name 'a..b'" },
    { "{{<layout}}{{$x}}", "article.mustache:1: unclosed block 'x'" },
    { "{{#a}}{{/a}}\n{{}}", "article.mustache:2: empty tag" },
    { NULL, NULL }
};

typedef struct {
    const char *what;
    const char *src;
    const char *data;           /* Lua code returning the data */
    const char *partials;       /* "name=source" pairs separated by '|' */
    apr_size_t limit;
    const char *expect;         /* the output, or the error text it must contain */
    int fails;
} render_case_t;

static const render_case_t render_cases[] = {
    { "userdata context through __index",
      "{{#article}}{{title}}|{{missing}}|{{x.y}}{{/article}}",
      "return { article = ud({ __index = function(_, k)"
      "  if k == 'title' then return 'T<' end end }) }",
      NULL, 0, "T&lt;||", 0 },
    { "userdata list through __len",
      "{{#l}}{{n}},{{/l}}{{^e}}empty{{/e}}",
      "return { l = ud({ __len = function() return 2 end,"
      "                  __index = function(_, i) return { n = i } end }),"
      "         e = ud({ __len = function() return 0 end }) }",
      NULL, 0, "1,2,empty", 0 },
    { "__tostring",
      "{{x}} {{{x}}} {{y}}",
      "return { x = setmetatable({}, { __tostring = function() return '<b>' end }),"
      "         y = { 1 } }",
      NULL, 0, "&lt;b&gt; <b> ", 0 },
    { "scalars",
      "{{i}} {{neg}} {{f}} {{g}} {{t}} {{b}} [{{n}}]",
      "return { i = 42, neg = math.mininteger, f = 2.0, g = 0.1, t = true, b = false }",
      NULL, 0, "42 -9223372036854775808 2 0.1 true false []", 0 },
    { "truthiness of tables and strings",
      "{{#e}}E{{/e}}{{^e}}e{{/e}}{{#m}}M{{/m}}{{#s}}S{{/s}}{{#z}}Z{{/z}}",
      "return { e = setmetatable({}, {}), m = { k = 1 }, s = '', z = 0 }",
      NULL, 0, "eMSZ", 0 },
    { "string contexts are not indexed",
      "{{#s}}[{{len}}]{{/s}}", "return { s = 'abc' }", NULL, 0, "[]", 0 },
    { "numeric segments",
      "{{items.2.t}} {{items.3.t}} {{m.7}}",
      "return { items = { { t = 'a' }, { t = 'b' } }, m = { ['7'] = 'seven' } }",
      NULL, 0, "b  seven", 0 },
    { "standalone partial indentation skips empty lines",
      "<div>\n  {{>p}}\n</div>\n", "return {}", "p=a\n\nb\n", 0,
      "<div>\n  a\n\n  b\n</div>\n", 0 },
    { "layout with a reindented block",
      "{{<layout}}\n{{$body}}\n<p>\n  {{x}}\n</p>\n{{/body}}\n{{/layout}}\n",
      "return { x = 'X' }",
      "layout=<body>\n  <main>\n    {{$body}}\n    {{/body}}\n  </main>\n</body>\n", 0,
      "<body>\n  <main>\n    <p>\n      X\n    </p>\n  </main>\n</body>\n", 0 },
    { "dynamic parent",
      "{{<*layout}}{{$t}}hi{{/t}}{{/*layout}}", "return { layout = 'l' }",
      "l=[{{$t}}{{/t}}]", 0, "[hi]", 0 },
    { "error raised by __index",
      "{{a.x}}",
      "return { a = setmetatable({}, { __index = function() error('boom') end }) }",
      NULL, 0, "boom", 1 },
    { "error raised by a lambda",
      "{{#f}}x{{/f}}", "return { f = function() error('lambda failed') end }",
      NULL, 0, "lambda failed", 1 },
    { "partial recursion",
      "{{>p}}", "return {}", "p=x{{>p}}", 0, "partial recursion too deep", 1 },
    { "block recursion",
      "{{<p}}{{$a}}{{$a}}x{{/a}}{{/a}}{{/p}}", "return {}", "p={{$a}}{{/a}}", 0,
      "template nesting too deep", 1 },
    { "names of many partials, each entered again on every item",
      "{{#l}}{{>p1}}{{>p2}}{{>p3}}{{>p4}}{{>p5}}{{>p6}}{{>p7}}{{>p8}}{{>p9}}"
      "{{>p10}}{{>p1}}{{>q}};{{/l}}",
      "return { l = { { a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7,"
      "                 a8 = 8, a9 = 9, a10 = 10, f = function() return '{{a3}}' end },"
      "               { a1 = 'x', a2 = 'y', a10 = 'z', f = 'F' } } }",
      "p1={{a1}}|p2={{a2}}|p3={{a3}}|p4={{a4}}|p5={{a5}}|p6={{a6}}|p7={{a7}}"
      "|p8={{a8}}|p9={{a9}}|p10={{a10}}.|q=<{{f}}{{a2}}>",
      0, "12345678910.1<32>;xyz.x<Fy>;", 0 },
    { "output limit",
      "{{#l}}0123456789{{/l}}",
      "local l = {} for i = 1, 1000 do l[i] = i end return { l = l }",
      NULL, 100, "output too large", 1 },
    { NULL, NULL, NULL, NULL, 0, NULL, 0 }
};

/* ud(mt): a full userdata with metatable mt, standing in for the module's views. */
static int make_userdata(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_newuserdatauv(L, 1, 0);
    lua_pushvalue(L, 1);
    lua_setmetatable(L, -2);
    return 1;
}

static apr_hash_t *compile_partials(apr_pool_t *p, const char *spec)
{
    apr_hash_t *h = apr_hash_make(p);
    char *list, *item, *last, *eq;
    art_tpl_t *t;
    char *err;

    if (!spec) {
        return h;
    }
    list = apr_pstrdup(p, spec);
    for (item = apr_strtok(list, "|", &last); item;
         item = apr_strtok(NULL, "|", &last)) {
        eq = strchr(item, '=');
        *eq = '\0';
        if (art_tpl_compile(p, item, eq + 1, strlen(eq + 1), &t, &err) == APR_SUCCESS) {
            apr_hash_set(h, item, APR_HASH_KEY_STRING, t);
        }
        else {
            printf("FAIL engine: partial %s: %s\n", item, err);
        }
    }
    return h;
}

static void engine_checks(lua_State *L, apr_pool_t *pool, tally_t *tally)
{
    const compile_case_t *cc;
    const render_case_t *rc;
    apr_pool_t *p;
    art_tpl_t *t;
    art_buf_t out;
    apr_status_t rv;
    char *err;
    int top, ok;

    apr_pool_create(&p, pool);
    for (cc = compile_cases; cc->src; cc++) {
        err = NULL;
        rv = art_tpl_compile(p, "article.mustache", cc->src, strlen(cc->src), &t, &err);
        ok = rv != APR_SUCCESS && err && strcmp(err, cc->err) == 0;
        if (!ok) {
            fail_line("engine", "compile error", "wrong message", cc->err,
                      strlen(cc->err), err ? err : "", err ? strlen(err) : 0);
        }
        tally->passed += ok;
        tally->failed += !ok;
        apr_pool_clear(p);
    }

    lua_register(L, "ud", make_userdata);
    for (rc = render_cases; rc->what; rc++) {
        ok = 0;
        err = NULL;
        if (luaL_dostring(L, rc->data) != LUA_OK) {
            printf("FAIL engine: %s: data: %s\n", rc->what, lua_tostring(L, -1));
            lua_pop(L, 1);
            tally->failed++;
            continue;
        }
        top = lua_gettop(L);
        if (art_tpl_compile(p, rc->what, rc->src, strlen(rc->src), &t, &err)
            != APR_SUCCESS) {
            fail_line("engine", rc->what, "does not compile", rc->expect,
                      strlen(rc->expect), err, strlen(err));
        }
        else {
            art_buf_init(&out, p, 64);
            out.limit = rc->limit;
            rv = art_tpl_render(t, L, -1, resolve, compile_partials(p, rc->partials),
                                &out, &err);
            if (lua_gettop(L) != top) {
                fail_line("engine", rc->what, "Lua stack not balanced", "", 0, "", 0);
            }
            else if (rc->fails) {
                ok = rv != APR_SUCCESS && err && strstr(err, rc->expect);
                if (!ok) {
                    fail_line("engine", rc->what, "expected an error", rc->expect,
                              strlen(rc->expect), err ? err : out.data,
                              err ? strlen(err) : out.len);
                }
            }
            else if (rv != APR_SUCCESS) {
                fail_line("engine", rc->what, "render error", rc->expect,
                          strlen(rc->expect), err, strlen(err));
            }
            else {
                ok = strlen(rc->expect) == out.len
                     && memcmp(rc->expect, out.data, out.len) == 0;
                if (!ok) {
                    fail_line("engine", rc->what, "wrong output", rc->expect,
                              strlen(rc->expect), out.data, out.len);
                }
            }
        }
        tally->passed += ok;
        tally->failed += !ok;
        lua_settop(L, top - 1);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

/* Renderers keep each template's names as Lua strings in the lua_State: a template
 * compiled where a freed one lived must not see the old names, and the cache must
 * survive being emptied after many templates. */
static void cache_checks(lua_State *L, apr_pool_t *pool, tally_t *tally)
{
    static const char *srcs[] = { "{{a}}{{#c}}{{a}}{{/c}}", "{{b}}{{#c}}{{b}}{{/c}}" };
    static const char *want[] = { "AA", "BB" };
    apr_pool_t *p;
    art_tpl_t *t;
    art_buf_t out;
    char *err, src[32], exp[32];
    int i, ok, bad = 0;

    if (luaL_dostring(L, "return { a = 'A', b = 'B', c = true, n = {} }") != LUA_OK) {
        printf("FAIL engine: name cache: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        tally->failed++;
        return;
    }
    for (i = 0; i < 600; i++) {
        apr_pool_create(&p, pool);
        if (i < 100) {
            strcpy(src, srcs[i % 2]);
            strcpy(exp, want[i % 2]);
        }
        else {
            snprintf(src, sizeof(src), "{{n.x%d}}{{a}}", i);
            strcpy(exp, "A");
        }
        art_buf_init(&out, p, 64);
        ok = art_tpl_compile(p, "cache", src, strlen(src), &t, &err) == APR_SUCCESS
             && art_tpl_render(t, L, -1, NULL, NULL, &out, &err) == APR_SUCCESS
             && strcmp(out.data, exp) == 0;
        if (!ok && !bad++) {
            fail_line("engine", "name cache", src, exp, strlen(exp), out.data, out.len);
        }
        apr_pool_destroy(p);
    }
    lua_pop(L, 1);
    tally->passed += !bad;
    tally->failed += !!bad;
}

/* A standalone partial that includes itself with a long indentation must stop on a
 * limit rather than build ever longer indentation strings. */
static void indent_check(lua_State *L, apr_pool_t *pool, tally_t *tally)
{
    apr_pool_t *p;
    apr_hash_t *h;
    art_tpl_t *t;
    art_buf_t out;
    char *src, *err = NULL;
    int ok;

    apr_pool_create(&p, pool);
    h = apr_hash_make(p);
    src = apr_palloc(p, 20001);
    memset(src, ' ', 20000);
    src[20000] = '\0';
    src = apr_pstrcat(p, src, "{{>p}}\nx\n", NULL);
    lua_newtable(L);
    ok = art_tpl_compile(p, "p", src, strlen(src), &t, &err) == APR_SUCCESS;
    if (ok) {
        apr_hash_set(h, "p", APR_HASH_KEY_STRING, t);
        art_buf_init(&out, p, 64);
        ok = art_tpl_render(t, L, -1, resolve, h, &out, &err) != APR_SUCCESS
             && strstr(err, "indentation too deep") != NULL;
    }
    if (!ok) {
        fail_line("engine", "indentation limit", "expected an error",
                  "indentation too deep", 20, err ? err : "", err ? strlen(err) : 0);
    }
    lua_pop(L, 1);
    tally->passed += ok;
    tally->failed += !ok;
    apr_pool_destroy(p);
}

/* art_tpl_link: a linked template uses the partials and parents its set had when
 * it was linked, and only with that set; with another resolver or baton it asks
 * the resolver as before. */
static void link_checks(lua_State *L, apr_pool_t *pool, tally_t *tally)
{
    static const struct {
        const char *name, *src;
        int set;                /* 1, 2: which set the partial is in */
    } partials[] = {
        { "p", "one", 1 }, { "q", "<{{$b}}{{/b}}>", 1 },
        { "p", "two", 2 }, { "q", "({{$b}}{{/b}})", 2 },
    };
    static const char main_src[] = "[{{>p}}]{{<q}}{{$b}}B{{/b}}{{/q}}";
    apr_pool_t *p;
    apr_hash_t *set[3];
    art_tpl_t *t, *pt;
    art_buf_t out;
    char *err;
    const char *got[4];
    size_t i;
    int ok;

    apr_pool_create(&p, pool);
    for (i = 0; i < 3; i++) {
        set[i] = apr_hash_make(p);
    }
    for (i = 0; i < sizeof(partials) / sizeof(partials[0]); i++) {
        if (art_tpl_compile(p, partials[i].name, partials[i].src,
                            strlen(partials[i].src), &pt, &err) == APR_SUCCESS) {
            apr_hash_set(set[partials[i].set], partials[i].name, APR_HASH_KEY_STRING,
                         pt);
        }
    }
    lua_newtable(L);
    ok = art_tpl_compile(p, "main", main_src, strlen(main_src), &t, &err)
         == APR_SUCCESS;
    if (ok) {
        art_tpl_link(t, resolve, set[1]);
        /* what set 1 had when linked stays, even once the set lost it */
        apr_hash_set(set[1], "p", APR_HASH_KEY_STRING, NULL);
        for (i = 0; i < 3; i++) {
            art_buf_init(&out, p, 64);
            got[i] = art_tpl_render(t, L, -1, resolve, set[i], &out, &err)
                     == APR_SUCCESS ? out.data : "(error)";
        }
        art_buf_init(&out, p, 64);
        got[3] = art_tpl_render(t, L, -1, NULL, NULL, &out, &err) == APR_SUCCESS
                 ? out.data : "(error)";
        ok = strcmp(got[1], "[one]<B>") == 0 && strcmp(got[2], "[two](B)") == 0
             && strcmp(got[0], "[]") == 0 && strcmp(got[3], "[]") == 0;
        if (!ok) {
            printf("FAIL engine: linked partials: got %s | %s | %s | %s\n", got[1],
                   got[2], got[0], got[3]);
        }
    }
    lua_pop(L, 1);
    tally->passed += ok;
    tally->failed += !ok;
    apr_pool_destroy(p);
}

/* HTML escaping as the spec defines it, byte by byte, to check the engine's
 * run-copying escaper against. */
static void reference_escape(art_buf_t *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':  art_buf_puts(b, "&amp;");  break;
        case '<':  art_buf_puts(b, "&lt;");   break;
        case '>':  art_buf_puts(b, "&gt;");   break;
        case '"':  art_buf_puts(b, "&quot;"); break;
        case '\'': art_buf_puts(b, "&#39;");  break;
        default:   art_buf_putc(b, s[i]);
        }
    }
}

/* Escaped and raw values, with NUL bytes inside and specials at both ends, written
 * into buffers that grow as they go, into one that already holds text, and up to
 * an output limit that they just fit or just miss; each render twice, the second
 * one into a buffer pre-sized from the first.  List s has every special byte at
 * every offset of values from 1 to 40 bytes long, so that each falls in a scanned
 * block and in the bytes after the last one, first, last and alone: the escaper
 * must find each. */
static void output_checks(lua_State *L, apr_pool_t *pool, tally_t *tally)
{
    static const char src[] = "{{v}}|{{{v}}}|{{#l}}{{.}}{{/l}}{{#s}}{{.}}|{{/s}}";
    apr_pool_t *p;
    art_tpl_t *t;
    art_buf_t want, out;
    const char *v;
    char *err;
    size_t nv, i;
    lua_Integer k;
    int round, ok = 1;

    apr_pool_create(&p, pool);
    if (luaL_dostring(L, "local v = '<a\\0b>&\"' .. string.rep('x\\0<y', 300) .. \"'\" "
                      "local s = {} "
                      "for len = 1, 40 do for pos = 1, len do "
                      "for c in ([[&<>\"']]):gmatch('.') do "
                      "s[#s + 1] = ('x'):rep(pos - 1) .. c .. ('y'):rep(len - pos) "
                      "end end end "
                      "return { v = v, l = { v, 'plain', '&' }, s = s }") != LUA_OK
        || art_tpl_compile(p, "out", src, strlen(src), &t, &err) != APR_SUCCESS) {
        printf("FAIL engine: output checks: setup\n");
        lua_settop(L, 0);
        tally->failed++;
        apr_pool_destroy(p);
        return;
    }
    lua_getfield(L, -1, "v");
    v = lua_tolstring(L, -1, &nv);
    art_buf_init(&want, p, 64);
    reference_escape(&want, v, nv);
    art_buf_putc(&want, '|');
    art_buf_append(&want, v, nv);
    art_buf_putc(&want, '|');
    reference_escape(&want, v, nv);
    art_buf_puts(&want, "plain&amp;");
    lua_pop(L, 1);
    lua_getfield(L, -1, "s");
    for (k = 1; k <= (lua_Integer)lua_rawlen(L, -1); k++) {
        lua_rawgeti(L, -1, k);
        v = lua_tolstring(L, -1, &nv);
        reference_escape(&want, v, nv);
        art_buf_putc(&want, '|');
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (round = 0; round < 2 && ok; round++) {
        /* grown as it goes (then pre-sized from the last render), and with room
         * to spare from the start */
        for (i = 0; i < 2 && ok; i++) {
            art_buf_init(&out, p, i ? 8 * want.len : 64);
            ok = art_tpl_render(t, L, -1, NULL, NULL, &out, &err) == APR_SUCCESS
                 && out.len == want.len && memcmp(out.data, want.data, want.len) == 0
                 && out.data[out.len] == '\0';
        }
        /* appended after what the buffer holds */
        art_buf_init(&out, p, 64);
        art_buf_puts(&out, "head:");
        ok = ok && art_tpl_render(t, L, -1, NULL, NULL, &out, &err) == APR_SUCCESS
             && out.len == want.len + 5 && memcmp(out.data, "head:", 5) == 0
             && memcmp(out.data + 5, want.data, want.len) == 0;
        /* a limit it just fits, and one byte less */
        for (i = 0; i < 2 && ok; i++) {
            art_buf_init(&out, p, 64);
            out.limit = want.len - i;
            ok = (art_tpl_render(t, L, -1, NULL, NULL, &out, &err) == APR_SUCCESS)
                 == (i == 0)
                 && (i == 0 ? out.len == want.len
                              && memcmp(out.data, want.data, want.len) == 0
                            : strstr(err, "output too large") != NULL
                              && out.len < want.len);
        }
    }
    if (!ok) {
        fail_line("engine", "escaping and output buffer", "wrong output", want.data,
                  want.len, out.data, out.len);
    }
    lua_pop(L, 1);
    tally->passed += ok;
    tally->failed += !ok;
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------------ main */

static int is_gating(const char *file)
{
    return file[0] != '~' || strcmp(file, "~inheritance.json") == 0;
}

int main(int argc, char **argv)
{
    const char *dir = "t/mustache-spec";
    int required_only = 0, nfiles = 0, i;
    char *files[64];
    tally_t gate = { 0, 0 }, optional = { 0, 0 }, file, engine = { 0, 0 };
    apr_pool_t *pool;
    struct dirent *de;
    lua_State *L;
    DIR *d;
    size_t n;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--required-only") == 0) {
            required_only = 1;
        }
        else {
            dir = argv[i];
        }
    }
    apr_initialize();
    apr_pool_create(&pool, NULL);
    L = luaL_newstate();
    luaL_openlibs(L);

    if (!(d = opendir(dir))) {
        fprintf(stderr, "mustache_spec: cannot open %s\n", dir);
        return 2;
    }
    while ((de = readdir(d)) != NULL && nfiles < 64) {
        n = strlen(de->d_name);
        if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0
            && !(required_only && !is_gating(de->d_name))) {
            files[nfiles++] = apr_pstrdup(pool, de->d_name);
        }
    }
    closedir(d);
    qsort(files, nfiles, sizeof(files[0]), cmp_names);

    for (i = 0; i < nfiles; i++) {
        file.passed = file.failed = 0;
        run_file(L, pool, dir, files[i], &file);
        printf("  %-22s %3d passed, %d failed%s\n", files[i], file.passed, file.failed,
               is_gating(files[i]) ? "" : " (optional)");
        if (is_gating(files[i])) {
            gate.passed += file.passed;
            gate.failed += file.failed;
        }
        else {
            optional.passed += file.passed;
            optional.failed += file.failed;
        }
    }
    engine_checks(L, pool, &engine);
    cache_checks(L, pool, &engine);
    indent_check(L, pool, &engine);
    link_checks(L, pool, &engine);
    output_checks(L, pool, &engine);
    printf("  %-22s %3d passed, %d failed\n", "engine checks", engine.passed,
           engine.failed);
    gate.passed += engine.passed;
    gate.failed += engine.failed;
    if (!required_only) {
        printf("optional: %d passed, %d failed\n", optional.passed, optional.failed);
    }
    printf("mustache: %d passed, %d failed\n", gate.passed, gate.failed);

    lua_close(L);
    apr_pool_destroy(pool);
    apr_terminate();
    return nfiles == 0 || gate.failed ? 1 : 0;
}
