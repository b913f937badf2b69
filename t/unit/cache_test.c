/* cache_test.c: the response cache (art_cache) without a server.
 *
 * What t/cache.t cannot see through httpd: that the byte budget holds and the
 * least recently used entry goes first, that an entry being served survives
 * its eviction until released, that entries of an older generation are
 * dropped when met, that inputs match by value (absent included) with header
 * names in any case, and that storing the same key and inputs replaces the
 * old entry instead of piling up.  Also that the hash behind the cache's
 * buckets and store fingerprints (art_hash64) still gives the values it gave
 * when they were first handed out: stores written by one release are read by
 * the next, so a faster hash must be the same function.  The ETag's hash
 * (art_hash64_wide) must see every bit of every byte, in its place.
 *
 * Prints one line per failure and finally "cache: N passed, M failed"; the
 * exit status is non-zero when anything failed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "art_cache.h"
#include "art_hash.h"
#include "unit_check.h"


/* The request being answered: a few headers and cookies by name. */
typedef struct fake_req_t {
    const char *accept_language;
    const char *cookie_lang;
    const char *method;
} fake_req_t;

static const char *fake_input(void *baton, char kind, const char *name)
{
    fake_req_t *r = baton;

    if (kind == ART_INPUT_HEADER && strcasecmp(name, "Accept-Language") == 0) {
        return r->accept_language;
    }
    if (kind == ART_INPUT_COOKIE && strcmp(name, "lang") == 0) {
        return r->cookie_lang;
    }
    if (kind == ART_INPUT_METHOD) {
        return r->method;
    }
    return NULL;
}

static art_cache_resp_t page(const char *body)
{
    static const char *headers[] = { "Content-Language", "en", "ETag", "\"1\"" };
    art_cache_resp_t r;

    memset(&r, 0, sizeof(r));
    r.status = 200;
    r.content_type = "text/html; charset=utf-8";
    r.mtime = 1;
    r.headers = headers;
    r.nheaders = 2;
    r.body = body;
    r.len = strlen(body);
    return r;
}

/* The body served for key, or NULL on a miss. */
static const char *get_body(art_cache_t *c, const char *key,
                            const art_cache_gen_t *gen, fake_req_t *req,
                            char *buf, size_t size)
{
    art_cache_entry_t *e = art_cache_lookup(c, key, strlen(key), gen,
                                            fake_input, req);
    const art_cache_resp_t *r;

    if (e == NULL) {
        return NULL;
    }
    r = art_cache_response(e);
    snprintf(buf, size, "%.*s", (int)r->len, r->body);
    art_cache_release(c, e);
    return buf;
}

static void test_basic(apr_pool_t *p)
{
    art_cache_t *c = art_cache_create(p, 1 << 20);
    art_cache_gen_t g1 = { 1, 1, 0, 0 }, g2 = { 2, 1, 0, 0 };
    art_cache_resp_t r = page("hello");
    fake_req_t req = { NULL, NULL, "GET" };
    const art_cache_resp_t *got;
    art_cache_entry_t *e;
    art_cache_stats_t st;
    char buf[64];

    CHECK(get_body(c, "/a", &g1, &req, buf, sizeof(buf)) == NULL, "empty: a miss");
    CHECK(art_cache_store(c, "/a", 2, &g1, NULL, &r), "stored");
    e = art_cache_lookup(c, "/a", 2, &g1, fake_input, &req);
    CHECK(e != NULL, "stored page found");
    if (e) {
        got = art_cache_response(e);
        CHECK(got->status == 200 && got->len == 5
              && memcmp(got->body, "hello", 5) == 0, "body kept");
        CHECK(strcmp(got->content_type, "text/html; charset=utf-8") == 0,
              "content type kept");
        CHECK(got->nheaders == 2 && strcmp(got->headers[2], "ETag") == 0
              && strcmp(got->headers[3], "\"1\"") == 0, "headers kept");
        art_cache_release(c, e);
    }
    CHECK(get_body(c, "/b", &g1, &req, buf, sizeof(buf)) == NULL,
          "another key: a miss");
    CHECK(get_body(c, "/a", &g2, &req, buf, sizeof(buf)) == NULL,
          "a newer snapshot: a miss");
    CHECK(get_body(c, "/a", &g1, &req, buf, sizeof(buf)) == NULL,
          "the old entry was dropped when met");
    art_cache_stats(c, &st);
    CHECK(st.entries == 0 && st.bytes == 0, "nothing held after the drop");

    /* A scheduled article went live: the same snapshot, a later moment. */
    CHECK(art_cache_store(c, "/a", 2, &g1, NULL, &r), "stored again");
    g2 = g1;
    g2.moment = 1000000;
    CHECK(get_body(c, "/a", &g2, &req, buf, sizeof(buf)) == NULL,
          "a later visibility moment: a miss");
    CHECK(get_body(c, "/a", &g1, &req, buf, sizeof(buf)) == NULL,
          "the entry of the earlier moment was dropped");
}

static void test_inputs(apr_pool_t *p)
{
    art_cache_t *c = art_cache_create(p, 1 << 20);
    art_cache_gen_t g = { 1, 1, 7, 0 };
    apr_array_header_t *fa = NULL, *none = NULL;
    art_cache_resp_t rfa = page("dari"), rnone = page("default");
    fake_req_t req = { "fa, en;q=0.5", "fa", "GET" };
    char buf[64];
    const char *b;

    art_cache_note(p, &fa, ART_INPUT_HEADER, "Accept-Language", "fa, en;q=0.5");
    art_cache_note(p, &fa, ART_INPUT_HEADER, "accept-language", "ignored");
    CHECK(fa->nelts == 1, "a repeated input is kept once");
    art_cache_note(p, &none, ART_INPUT_HEADER, "Accept-Language", NULL);
    CHECK(art_cache_store(c, "/", 1, &g, fa, &rfa), "variant fa stored");
    CHECK(art_cache_store(c, "/", 1, &g, none, &rnone), "variant absent stored");

    b = get_body(c, "/", &g, &req, buf, sizeof(buf));
    CHECK(b && strcmp(b, "dari") == 0, "the matching variant");
    req.accept_language = NULL;
    b = get_body(c, "/", &g, &req, buf, sizeof(buf));
    CHECK(b && strcmp(b, "default") == 0, "an absent header is a value too");
    req.accept_language = "de";
    CHECK(get_body(c, "/", &g, &req, buf, sizeof(buf)) == NULL,
          "an unseen value: a miss");

    /* Same key, same inputs: replaced, not added. */
    rfa = page("dari, again");
    CHECK(art_cache_store(c, "/", 1, &g, fa, &rfa), "variant fa stored again");
    req.accept_language = "fa, en;q=0.5";
    b = get_body(c, "/", &g, &req, buf, sizeof(buf));
    CHECK(b && strcmp(b, "dari, again") == 0, "the newer copy is served");
    {
        art_cache_stats_t st;
        art_cache_stats(c, &st);
        CHECK(st.entries == 2, "two variants, not three");
    }
}

static void test_eviction(apr_pool_t *p)
{
    /* Pages of 8 KB in a 64 KB cache: a handful fit, bookkeeping included. */
    art_cache_t *c = art_cache_create(p, 64 * 1024);
    art_cache_gen_t g = { 1, 1, 0, 0 };
    static char big[8 * 1024 + 1];
    art_cache_resp_t r;
    fake_req_t req = { NULL, NULL, "GET" };
    art_cache_entry_t *held = NULL;
    art_cache_stats_t st;
    char key[16], buf[16];
    int i, stored = 0;

    memset(big, 'x', sizeof(big) - 1);
    r = page(big);
    for (i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "/p%d", i);
        stored += art_cache_store(c, key, strlen(key), &g, NULL, &r);
        if (i == 0) {
            /* Serving /p0 while the rest push it out. */
            held = art_cache_lookup(c, "/p0", 3, &g, fake_input, &req);
            CHECK(held != NULL, "/p0 found");
        }
        else if (i == 5) {
            /* /p1 is read, so /p2 is now the least recently used after /p0. */
            (void)get_body(c, "/p1", &g, &req, buf, sizeof(buf));
        }
        else if (i == 8) {
            /* About seven pages fit: /p0 and then /p2 made room. */
            CHECK(get_body(c, "/p1", &g, &req, buf, sizeof(buf)) != NULL,
                  "a recently read page stays");
            CHECK(get_body(c, "/p2", &g, &req, buf, sizeof(buf)) == NULL,
                  "the least recently used page went");
            CHECK(get_body(c, "/p3", &g, &req, buf, sizeof(buf)) != NULL,
                  "the next one is still there");
        }
    }
    art_cache_stats(c, &st);
    CHECK(stored == 20, "every page stored");
    CHECK(st.bytes <= 64 * 1024, "the byte budget holds");
    CHECK(st.evictions > 0 && st.entries < 20, "old pages were evicted");
    CHECK(get_body(c, "/p19", &g, &req, buf, sizeof(buf)) != NULL,
          "the newest page stays");
    if (held) {
        const art_cache_resp_t *hr = art_cache_response(held);
        CHECK(hr->len == sizeof(big) - 1 && hr->body[0] == 'x'
              && hr->body[hr->len - 1] == 'x', "an evicted page still serves its reader");
        art_cache_release(c, held);
    }
    CHECK(get_body(c, "/p0", &g, &req, buf, sizeof(buf)) == NULL,
          "and is gone once released");

    r.len = 20 * 1024;
    {
        static char huge[20 * 1024];
        memset(huge, 'y', sizeof(huge));
        r.body = huge;
        CHECK(!art_cache_store(c, "/huge", 5, &g, NULL, &r),
              "a page over a quarter of the cache is not kept");
    }
}

/* Known answers, computed by art_hash.c as it was at 910e288 (before its word
 * loads were rewritten for speed): every tail length class (0, 1-7, 8, 9-15,
 * 16, longer with a tail), UTF-8, and the ETag's seed. */
static void test_hash_stable(void)
{
    static const struct {
        const char *s;
        apr_uint64_t h0, hetag;
    } kat[] = {
        { "", 0x35d99579946baac6ULL, 0x5b90acba104e3537ULL },
        { "a", 0x3ac90ac545b68adbULL, 0xdaf56f7ed05b8027ULL },
        { "abcdefg", 0x12a8cf13b8812322ULL, 0xfba7ad7b4199a9f4ULL },
        { "abcdefgh", 0xc710feded45f69f1ULL, 0x55d640bb98882020ULL },
        { "abcdefghijklmno", 0x147921e816fa0754ULL, 0xcf72504773e84352ULL },
        { "abcdefghijklmnop", 0x923858b0c7c493b0ULL, 0x2eb167f888242e4aULL },
        { "\xd8\xa7\xd9\x81\xd8\xba\xd8\xa7\xd9\x86\xd8\xb3\xd8\xaa\xd8\xa7\xd9\x86"
          " news 2026, 44 bytes long!", 0xea223c75e587aaddULL, 0xc09e44d32680d895ULL },
    };
    size_t i;

    for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        apr_size_t n = strlen(kat[i].s);

        CHECK(art_hash64(kat[i].s, n, 0) == kat[i].h0,
              "art_hash64 of a %d-byte string, seed 0, changed", (int)n);
        CHECK(art_hash64(kat[i].s, n, 0x61727469636c6573ULL) == kat[i].hetag,
              "art_hash64 of a %d-byte string, the ETag's seed, changed", (int)n);
    }
}

/* Every bit of a page counts, in its place: one flipped bit, two words
 * swapped between the lanes or within one, a byte more or less, each gives
 * another ETag; the same bytes always give the same one. */
static void test_hash_wide(void)
{
    unsigned char buf[1000], w[8];
    apr_uint64_t h, seed = 0x61727469636c6573ULL;
    size_t i, n, bad = 0;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)(i * 131 + (i >> 3));
    }
    h = art_hash64_wide(buf, sizeof(buf), seed);
    CHECK(h == art_hash64_wide(buf, sizeof(buf), seed), "the same bytes, another hash");
    CHECK(h != art_hash64_wide(buf, sizeof(buf), seed + 1), "the seed is not used");
    for (i = 0; i < sizeof(buf) * 8; i++) {
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
        bad += art_hash64_wide(buf, sizeof(buf), seed) == h;
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    CHECK(bad == 0, "%d of %d one-bit changes kept the hash", (int)bad,
          (int)sizeof(buf) * 8);
    /* words 0 and 1 (two lanes), then words 0 and 4 (one lane, two strides) */
    for (n = 1; n <= 4; n += 3) {
        memcpy(w, buf, 8);
        memcpy(buf, buf + 8 * n, 8);
        memcpy(buf + 8 * n, w, 8);
        CHECK(art_hash64_wide(buf, sizeof(buf), seed) != h,
              "words 0 and %d swapped, the same hash", (int)n);
        memcpy(buf + 8 * n, buf, 8);
        memcpy(buf, w, 8);
    }
    for (n = 0, bad = 0; n < 200; n++) {
        bad += art_hash64_wide(buf, 800 + n, seed) == art_hash64_wide(buf, 801 + n, seed);
    }
    CHECK(bad == 0, "%d lengths hashed as the next one", (int)bad);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_basic(p);
    test_inputs(p);
    test_eviction(p);
    test_hash_stable();
    test_hash_wide();
    apr_pool_destroy(p);
    apr_terminate();
    printf("cache: %d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed != 0;
}
