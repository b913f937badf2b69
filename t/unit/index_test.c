/* index_test.c: the tokenizer (art_text) and the text index (art_index).
 *
 * Usage: index_test              tokenizer cases, then a small judged corpus
 *        index_test --bench N    build an index of N synthetic documents and
 *                                time searches and similar-document queries
 *
 * The tokenizer cases pin down each normalisation the search promises:
 * casing, punctuation, German ß and umlauts, Cyrillic and Greek case, the
 * Arabic and Persian forms of kaf and yeh, diacritics, tatweel, ZWNJ,
 * direction marks, presentation forms, Persian and Arabic-Indic digits, stop
 * words, one-letter terms, truncation and invalid UTF-8; and that every
 * shipped stop word is already in folded form and its list sorted.  Before
 * them, the plain text the index is built from (art_html_text): block tags
 * break words, inline ones do not, entities decoded, white space collapsed.
 *
 * The judged corpus is written below, English and Dari documents whose best
 * answer to each query is known by construction: a term in only one
 * document, a title match against an equal-length body match, documents in
 * Arabic letter forms found by a query in Persian forms.  Then language
 * isolation, pagination, ties, top terms, similar documents, and queries that
 * are empty, all punctuation, overlong or invalid.  The search memo
 * (art_snapshot_search with a memo) must answer every search of the judged
 * corpus as the index does, across versions.  Last, a generated corpus
 * checks both scoring paths (merge and accumulator) against BM25 computed
 * here.
 *
 * Prints one line per failure and finally "index: N passed, M failed"; the
 * exit status is non-zero when anything failed.  The benchmark is not a test:
 * it prints figures and always succeeds.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "art_html.h"
#include "art_index.h"
#include "art_memo.h"
#include "art_snapshot.h"
#include "art_text.h"

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    }
    else {
        failed++;
        printf("FAIL: %s\n", what);
    }
}

/* ---------------------------------------------------------------- tokenizer */

typedef struct {
    char out[4096];
    size_t len;
    int last_position;
} joined_t;

static void join_token(void *baton, const char *term, size_t len, int position)
{
    joined_t *j = baton;

    if (j->len + len + 2 >= sizeof(j->out)) {
        return;
    }
    if (j->len) {
        j->out[j->len++] = ' ';
    }
    memcpy(j->out + j->len, term, len);
    j->len += len;
    j->out[j->len] = '\0';
    j->last_position = position;
}

/* The terms of s, space-separated, in a static buffer per slot (two slots so
 * two results can be compared). */
static const char *toks(int slot, const char *s, size_t len, const char *lang)
{
    static joined_t j[2];

    j[slot].len = 0;
    j[slot].out[0] = '\0';
    j[slot].last_position = -1;
    art_text_tokenize(s, len, lang, join_token, &j[slot]);
    return j[slot].out;
}

static void tok_is(const char *s, const char *lang, const char *want)
{
    const char *got = toks(0, s, strlen(s), lang);
    char what[512];

    snprintf(what, sizeof(what),
             "tokenize \"%s\" (%s): got \"%s\", want \"%s\"", s,
             lang ? lang : "none", got, want);
    check(strcmp(got, want) == 0, what);
}

static void tok_same(const char *a, const char *b, const char *lang)
{
    const char *x = toks(0, a, strlen(a), lang);
    const char *y = toks(1, b, strlen(b), lang);
    char what[512];

    snprintf(what, sizeof(what), "\"%s\" (%s) and \"%s\" (%s) differ", a, x,
             b, y);
    check(*x && strcmp(x, y) == 0, what);
}

static void test_stoplists(void)
{
    static const char *const langs[] = {"en", "de", "fa", "ps"};
    int i, k, n;
    char what[256];

    for (i = 0; i < 4; i++) {
        const char *const *list = art_text_stopwords(langs[i], &n);
        int sorted = 1, folded = 1;

        check(list != NULL && n >= 60, "stop list present");
        for (k = 0; list && k < n; k++) {
            const char *got = toks(0, list[k], strlen(list[k]), NULL);

            if (strcmp(got, list[k]) != 0) {
                snprintf(what, sizeof(what),
                         "%s stop word \"%s\" folds to \"%s\"", langs[i],
                         list[k], got);
                check(0, what);
                folded = 0;
            }
            if (k > 0 && strcmp(list[k - 1], list[k]) >= 0) {
                snprintf(what, sizeof(what), "%s stop list unsorted at \"%s\"",
                         langs[i], list[k]);
                check(0, what);
                sorted = 0;
            }
            if (!art_text_is_stopword(langs[i], list[k], strlen(list[k]))) {
                folded = 0;
            }
        }
        snprintf(what, sizeof(what), "%s stop list sorted, folded, findable",
                 langs[i]);
        check(sorted && folded, what);
    }
    check(art_text_stopwords("xx", &n) == NULL && n == 0, "no list for xx");
    check(art_text_stopwords("en-GB", &n) != NULL, "en-GB uses en");
    check(art_text_stopwords(NULL, &n) == NULL, "no list for NULL");
}

/* The plain text of body HTML, which the index and the snippets share. */
static void html_is(const char *html, const char *want, const char *what)
{
    char out[512];
    apr_size_t n = art_html_text(html, strlen(html), out);

    check(n == strlen(out) && strcmp(out, want) == 0, what);
    if (strcmp(out, want) != 0) {
        printf("  got \"%s\", want \"%s\"\n", out, want);
    }
}

static void test_html_text(void)
{
    html_is("<p>end.</p><p>Next</p>", "end. Next", "a block tag is a word break");
    html_is("<p><em>Kabul</em>'s <strong>mar</strong>ket</p>", "Kabul's market",
            "inline tags join nothing and split nothing");
    html_is("<p>a <a href=\"https://x.org/?a=1&amp;b=2\">link</a></p>", "a link",
            "attributes are not text");
    html_is("<p>&lt;script&gt; &amp; &quot;q&quot; &#39;s&#39;</p>",
            "<script> & \"q\" 's'", "the entities the loader writes are decoded");
    html_is("<h2>Title</h2>\n  <p>one\n\ttwo</p>\n", "Title one two",
            "layout white space becomes one space");
    html_is("<ul><li>a</li><li>b</li></ul><br/>c", "a b c", "lists and breaks");
    html_is("<p>\xd8\xaf\xd8\xb1\xdb\x8c</p><p>\xda\xa9</p>", "\xd8\xaf\xd8\xb1\xdb\x8c \xda\xa9",
            "Persian text passes through");
    html_is("", "", "empty body");
    html_is("<p>  </p>", "", "white space only");
}

static void test_tokenizer(void)
{
    char big[200], what[128];
    const char *got;
    int i;

    tok_is("Hello, World! It's THE end-game.", "en", "hello world end game");
    tok_is("the cat and the hat", "en", "cat hat");
    tok_is("the cat and the hat", NULL, "the cat and the hat");
    tok_is("a 5 b 42 x7", "en", "5 42 x7");
    tok_is("Straße GROSSE Müller ÄRGER über Öl", "de",
           "strasse grosse muller arger ol");
    tok_is("Café naïve Ñandú", "en", "cafe naive nandu");
    tok_is("Łódź ŻÓŁW", NULL, "łodź żołw");
    tok_is("ПРИВЕТ Мир ЁЛКА", NULL, "привет мир ёлка");
    tok_is("ΑΘΗΝΑ Άρης λόγος", NULL, "αθηνα άρησ λόγοσ");
    tok_is("e\xcc\x81te\xcc\x81", NULL, "ete");
    tok_is("ab\xff" "cd \xd9", NULL, "ab cd");
    tok_is("\xe2\x80\x8f" "کتاب" "\xe2\x80\x8e", "fa", "کتاب");
    tok_is("کتاب در خانه است", "fa", "کتاب خانه");
    tok_is("کتاب په کور کې دی", "ps", "کتاب کور");
    tok_is("ﻛﺘﺎﺏ", "fa", "کتاب");
    tok_is("ﻻ ﻼم", NULL, "لا لام");
    tok_is("سال ۱۴۰۴ و ٢٠٢٥", "fa", "سال 1404 2025");
    tok_is("خبر،خبر؛خبر؟", "fa", "خبر خبر خبر");
    tok_is("\xf0\x9f\x98\x80news\xf0\x9f\x98\x80", "en", "news");
    tok_same("كتاب", "کتاب", "fa");
    tok_same("علي", "علی", "fa");
    tok_same("مصطفى", "مصطفی", "fa");
    tok_same("كِتَاب", "کتاب", "fa");
    tok_same("کـتاب", "کتاب", "fa");
    tok_same("می\xe2\x80\x8cشود", "میشود", "fa");
    tok_same("خانهٔ", "خانه", "fa");
    tok_same("مدرسة", "مدرسه", "fa");
    tok_same("أحمد", "احمد", "fa");
    tok_same("إسلام", "اسلام", "fa");
    tok_same("آب", "اب", "fa");
    tok_same("مؤمن", "مومن", "fa");
    tok_same("۱۴۰۴", "1404", "fa");
    tok_same("٢٠٢٥", "2025", "fa");

    memset(big, 'x', 100);
    big[100] = '\0';
    got = toks(0, big, 100, NULL);
    check(strlen(got) == ART_TEXT_TERM_MAX,
          "100 ASCII letters cut to 64 bytes");
    for (i = 0; i < 40; i++) {
        memcpy(big + 2 * i, "ж", 2);
    }
    got = toks(0, big, 80, NULL);
    check(strlen(got) == 64, "40 Cyrillic letters cut to 32 whole ones");
    big[0] = 'A';
    memcpy(big + 1, "ж", 2);
    for (i = 0; i < 39; i++) {
        memcpy(big + 3 + 2 * i, "ж", 2);
    }
    got = toks(0, big, 81, NULL);
    snprintf(what, sizeof(what), "odd cut lands on a boundary (%zu bytes)",
             strlen(got));
    check(strlen(got) == 63, what);

    {
        joined_t j;

        j.len = 0;
        j.last_position = -1;
        art_text_tokenize("the quick fox", 13, "en", join_token, &j);
        check(j.last_position == 2, "positions count stop words");
    }
    tok_is("", "en", "");
    tok_is("!!! ... ,,, ;;;", "en", "");
    check(*toks(0, "x", 0, "en") == '\0', "zero length reads nothing");
}

/* ---------------------------------------------------------------- judged */

typedef struct {
    const char *lang, *title, *body, *tag;
} judged_t;

static const judged_t corpus[] = {
    /* 0 */ {"en", "Budget talks in Kabul",
             "Ministers met to discuss the national budget and spending on "
             "schools.",
             "politics"},
    /* 1 */ {"en", "Football final",
             "The national team won the football final after extra time.",
             NULL},
    /* 2 */ {"en", "Schools reopen",
             "Girls returned to schools across the provinces as the budget for "
             "education grew.", NULL},
    /* 3 */ {"en", "Weather warning",
             "Heavy snow closed the Salang pass; the budget for road repairs "
             "is small.", NULL},
    /* 4 */ {"en", "Election results",
             "Counting continued as officials reported turnout in the "
             "election.",
             NULL},
    /* 5 */ {"en", "Wheat harvest",
             "Farmers expect a strong wheat harvest after spring rains.",
             "agriculture"},
    /* 6 */ {"en", "Earthquake in Herat",
             "An earthquake struck Herat province; rescue teams searched "
             "villages.",
             NULL},
    /* 7 */ {"en", "Road repairs",
             "Workers repaired the road to Bamyan before winter.", NULL},
    /* 8 and 9 have equal lengths; saffron is in 8's title, 9's body. */
    /* 8 */ {"en", "Saffron exports",
             "Traders in Herat sold crops abroad this year.", NULL},
    /* 9 */ {"en", "Crop exports",
             "Traders in Herat sold saffron abroad this year.", NULL},
    /* 10 */ {"fa", "بودجه ملی",
              "وزیران درباره بودجه ملی و مکتب‌ها گفتگو کردند.", NULL},
    /* 11 */ {"fa", "فوتبال",
              "تیم ملی در مسابقه نهایی فوتبال پیروز شد.", NULL},
    /* 12 */ {"fa", "زلزله در هرات",
              "زلزله ولایت هرات را لرزاند و تیم‌های امدادی به روستاها رفتند.",
              NULL},
    /* 13: Arabic letter forms and diacritics throughout. */
    /* 13 */ {"fa", "كتاب جديد",
              "نويسنده يك كِتَاب درباره تاريخ كابل نوشت.", NULL},
    /* 14 */ {"fa", "برداشت گندم",
              "دهقانان برداشت خوب گندم را پس از باران‌های بهاری انتظار دارند.",
              NULL},
    /* 15 and 16 are identical: ties break by id. */
    /* 15 */ {"en", "Identical twins", "Same words in both.", NULL},
    /* 16 */ {"en", "Identical twins", "Same words in both.", NULL},
};

#define NCORPUS ((int)(sizeof(corpus) / sizeof(corpus[0])))

static void judged_doc(void *baton, int i, art_index_doc_t *doc)
{
    static const char *tag[1];

    (void)baton;
    doc->lang = corpus[i].lang;
    doc->title = corpus[i].title;
    doc->body = corpus[i].body;
    tag[0] = corpus[i].tag;
    doc->tags = tag;
    doc->ntags = corpus[i].tag ? 1 : 0;
}

static int search(const art_index_t *ix, const char *lang, const char *q,
                  art_index_hit_t *hits, int limit, int *total)
{
    return art_index_search(ix, lang, q, strlen(q), limit, 0, hits, total);
}

static void first_is(const art_index_t *ix, const char *lang, const char *q,
                     int want)
{
    art_index_hit_t hits[10];
    int total, n = search(ix, lang, q, hits, 10, &total);
    char what[256];

    snprintf(what, sizeof(what), "%s query \"%s\": first %d, want %d", lang, q,
             n ? hits[0].doc : -1, want);
    check(n > 0 && hits[0].doc == want, what);
}

static void all_in_lang(const art_index_t *ix, const char *lang, const char *q)
{
    art_index_hit_t hits[20];
    int i, ok = 1, n = search(ix, lang, q, hits, 20, NULL);
    char what[256];

    for (i = 0; i < n; i++) {
        ok = ok && strcmp(corpus[hits[i].doc].lang, lang) == 0;
    }
    snprintf(what, sizeof(what), "%s query \"%s\" stays in %s", lang, q, lang);
    check(ok, what);
}

static void test_search(apr_pool_t *p)
{
    art_index_t *ix = art_index_build(p, NCORPUS, judged_doc, NULL);
    art_index_hit_t hits[40], all[10];
    const char *terms[ART_INDEX_TOP_TERMS];
    float w[ART_INDEX_TOP_TERMS];
    char *big;
    int n, total, i, ok;

    check(ix != NULL && art_index_ndocs(ix) == NCORPUS, "judged index built");
    if (ix == NULL) {
        return;
    }
    first_is(ix, "en", "budget", 0);
    first_is(ix, "en", "football final", 1);
    first_is(ix, "en", "Herat earthquake", 6);
    first_is(ix, "en", "EARTHQUAKE!!", 6);
    first_is(ix, "en", "wheat", 5);
    first_is(ix, "en", "agriculture", 5);
    first_is(ix, "en", "the road to Bamyan", 7);
    first_is(ix, "en", "saffron", 8);
    first_is(ix, "fa", "کتاب", 13);
    first_is(ix, "fa", "كتاب", 13);
    first_is(ix, "fa", "تاریخ کابل", 13);
    first_is(ix, "fa", "زلزله", 12);
    first_is(ix, "fa", "فوتبال", 11);
    first_is(ix, "fa", "بودجه", 10);
    first_is(ix, "fa", "گندم باران", 14);

    n = search(ix, "en", "saffron", hits, 10, &total);
    check(n == 2 && total == 2 && hits[1].doc == 9
          && hits[0].score > hits[1].score, "title match outranks body match");
    n = search(ix, "en", "budget", hits, 10, &total);
    check(n == 3 && total == 3, "budget matches three documents");
    ok = 1;
    for (i = 1; i < n; i++) {
        ok = ok && hits[i - 1].score >= hits[i].score;
    }
    check(ok, "scores descend");
    n = search(ix, "en", "identical", hits, 10, &total);
    check(n == 2 && hits[0].doc == 15 && hits[1].doc == 16
          && hits[0].score == hits[1].score, "equal scores ordered by id");

    all_in_lang(ix, "fa", "زلزله هرات فوتبال بودجه کتاب");
    all_in_lang(ix, "en", "budget herat earthquake football");
    n = search(ix, "fa", "Herat earthquake budget", hits, 10, &total);
    check(n == 0 && total == 0, "English words find nothing in fa");
    n = search(ix, "en", "زلزله", hits, 10, &total);
    check(n == 0 && total == 0, "Persian words find nothing in en");
    n = search(ix, "xx", "budget", hits, 10, &total);
    check(n == 0 && total == 0, "unknown language finds nothing");
    n = search(ix, NULL, "budget", hits, 10, &total);
    check(n == 0 && total == 0, "no language finds nothing");

    search(ix, "en", "budget", all, 10, NULL);
    n = art_index_search(ix, "en", "budget", 6, 1, 1, hits, &total);
    check(n == 1 && total == 3 && hits[0].doc == all[1].doc,
          "offset 1 limit 1");
    n = art_index_search(ix, "en", "budget", 6, 10, 2, hits, &total);
    check(n == 1 && hits[0].doc == all[2].doc, "last page is short");
    n = art_index_search(ix, "en", "budget", 6, 10, 5000, hits, &total);
    check(n == 0 && total == 3, "offset past the end");
    n = art_index_search(ix, "en", "budget", 6, 0, 0, hits, &total);
    check(n == 0 && total == 3, "limit 0 still counts");
    n = art_index_search(ix, "en", "budget", 6, 10, 2147483647, hits, &total);
    check(n == 0 && total == 3, "largest offset");
    n = art_index_search(ix, "en", "budget", 6, 2147483647, 0, hits, &total);
    check(n == 3 && total == 3, "largest limit");
    n = art_index_search(ix, "en", "budget", 6, -3, -7, hits, &total);
    check(n == 0 && total == 3, "negative limit and offset");

    n = search(ix, "en", "", hits, 10, &total);
    check(n == 0 && total == 0, "empty query");
    n = art_index_search(ix, "en", NULL, 0, 10, 0, hits, &total);
    check(n == 0 && total == 0, "NULL query");
    n = search(ix, "en", "!!! ??? ... ;;; <<>> \"\" ''", hits, 10, &total);
    check(n == 0 && total == 0, "punctuation only");
    n = search(ix, "en", "the and of to in", hits, 10, &total);
    check(n == 0 && total == 0, "stop words only");
    big = apr_palloc(p, 10241);
    for (i = 0; i < 10240; i += 2) {
        big[i] = 'a';
        big[i + 1] = ' ';
    }
    big[10240] = '\0';
    n = art_index_search(ix, "en", big, 10240, 10, 0, hits, &total);
    check(n == 0 && total == 0, "10 KB of \"a \"");
    for (i = 0; i + 7 <= 10240; i += 7) {
        memcpy(big + i, "budget ", 7);
    }
    n = art_index_search(ix, "en", big, 10240, 10, 0, hits, &total);
    check(n == 3 && total == 3 && hits[0].doc == all[0].doc,
          "10 KB of one word: the same answer");
    for (i = 0; i < 10240; i++) {
        big[i] = (char)(i * 131 % 256);
    }
    n = art_index_search(ix, "en", big, 10240, 10, 0, hits, &total);
    check(n >= 0 && n <= 10 && total >= n, "10 KB of every byte value");
    big[0] = '\0';
    n = art_index_search(ix, "en", "budget\0herat", 12, 10, 0, hits, &total);
    check(n == 6 && total == 6, "NUL inside a query separates terms");
    n = search(ix, "en", "budget football wheat election earthquake saffron "
               "road weather schools twins kabul herat bamyan snow harvest "
               "rains farmers ministers national team extra time girls "
               "provinces education heavy salang pass repairs small counting "
               "officials turnout villages rescue teams traders crops", hits,
               40, &total);
    check(n <= 40 && total <= NCORPUS, "more than 32 terms is bounded");

    n = art_index_top_terms(ix, 8, ART_INDEX_TOP_TERMS, terms, w);
    check(n > 0 && strcmp(terms[0], "saffron") == 0,
          "top term of 8 is saffron");
    ok = 1;
    for (i = 1; i < n; i++) {
        ok = ok && w[i - 1] >= w[i];
    }
    check(ok, "top terms best first");
    check(art_index_top_terms(ix, 8, 2, terms, NULL) == 2, "top terms k = 2");
    check(art_index_top_terms(ix, NCORPUS, 4, terms, w) == 0
          && art_index_top_terms(ix, -1, 4, terms, w) == 0,
          "top terms of no document");

    n = art_index_similar(ix, 8, 5, hits);
    check(n > 0 && hits[0].doc == 9, "similar to 8 is 9 first");
    ok = 1;
    for (i = 0; i < n; i++) {
        ok = ok && hits[i].doc != 8
             && strcmp(corpus[hits[i].doc].lang, "en") == 0;
    }
    check(ok, "similar to 8: English, never 8");
    n = art_index_similar(ix, 10, 5, hits);
    ok = n > 0 && hits[0].doc == 11;
    for (i = 0; i < n; i++) {
        ok = ok && hits[i].doc != 10
             && strcmp(corpus[hits[i].doc].lang, "fa") == 0;
    }
    check(ok, "similar to 10: 11 (ملی) first, Dari only, never 10");
    n = art_index_similar(ix, 15, 5, hits);
    check(n >= 1 && hits[0].doc == 16, "similar to a twin is the other twin");
    check(art_index_similar(ix, 99, 5, hits) == 0, "similar to no document");

    check(art_index_memory(ix) > 0, "memory counted");
    ix = art_index_build(p, 0, judged_doc, NULL);
    check(ix != NULL && search(ix, "en", "budget", hits, 10, &total) == 0
          && total == 0, "empty index");
}

/* ---------------------------------------------------------------- memo */

/* The search memo (art_snapshot_search with s->search_memo set) must give
 * exactly what the index gives without it, whatever was asked before: the
 * judged corpus is searched for each of its own words and titles, in three
 * languages and several windows, through a memo of 64 slots (so answers
 * keep replacing each other in shared slots), in two versions of the
 * corpus, a request of the older version after the newer, and through a
 * memo whose byte limit keeps emptying it.  Each answer is compared, hit by
 * hit and score by score, with the same search of a snapshot without a
 * memo. */

#define MEMO_QUERIES 256

/* Version 2 of the judged corpus: two documents rewritten. */
static void changed_doc(void *baton, int i, art_index_doc_t *doc)
{
    judged_doc(baton, i, doc);
    if (i == 3) {
        doc->title = "Saffron budget";
        doc->body = "Saffron farmers in Herat lost the budget for wells.";
    }
    if (i == 14) {
        doc->body = "زلزله ولایت بلخ را لرزاند.";
    }
}

static const struct {
    int limit, offset;
} memo_windows[] = { {10, 0}, {2, 0}, {2, 2}, {1, 1}, {0, 0} };

#define NWINDOWS ((int)(sizeof(memo_windows) / sizeof(memo_windows[0])))

/* The corpus's words and titles as queries, into q[]; how many. */
static int memo_queries(apr_pool_t *p, const char **q)
{
    int i, n = 0;

    for (i = 0; i < NCORPUS && n < MEMO_QUERIES; i++) {
        char *words = apr_pstrcat(p, corpus[i].title, " ", corpus[i].body,
                                  NULL), *last, *w;

        q[n++] = corpus[i].title;
        for (w = apr_strtok(words, " ", &last); w && n < MEMO_QUERIES;
             w = apr_strtok(NULL, " ", &last)) {
            q[n++] = w;
        }
    }
    return n;
}

/* Every query in every language and window, rounds times, through memo
 * snapshot m and plain snapshot s of the same version; how many answers
 * differed. */
static int memo_differs(const art_snapshot_t *m, const art_snapshot_t *s,
                        const char **q, int nq, int rounds)
{
    static const char *const langs[] = { "en", "fa", "xx" };
    art_index_hit_t got[10], want[10];
    int r, i, l, w, k, ng, nw, tg, tw, same, bad = 0;

    for (r = 0; r < rounds; r++) {
        for (i = 0; i < nq; i++) {
            for (l = 0; l < 3; l++) {
                for (w = 0; w < NWINDOWS; w++) {
                    int lim = memo_windows[w].limit, off = memo_windows[w].offset;

                    tg = tw = -1;
                    ng = art_snapshot_search(m, langs[l], q[i], strlen(q[i]),
                                             lim, off, got, &tg);
                    nw = art_snapshot_search(s, langs[l], q[i], strlen(q[i]),
                                             lim, off, want, &tw);
                    same = ng == nw && tg == tw;
                    for (k = 0; same && k < nw; k++) {
                        same = got[k].doc == want[k].doc
                               && got[k].score == want[k].score;
                    }
                    if (!same && bad++ < 3) {
                        printf("memo: %s \"%s\" limit %d offset %d: %d hits "
                               "of %d, want %d of %d\n", langs[l], q[i], lim,
                               off, ng, tg, nw, tw);
                    }
                }
            }
        }
    }
    return bad;
}

/* The memo's sets of two: entries whose hashes share a set are both kept
 * (0, 64 and 128 do in a memo of 64 slots), and a third replaces the one
 * used least recently. */
static void memo_take(art_memo_t *m, apr_uint32_t h, void **out)
{
    *out = art_memo_get(m, 1, h);
    art_memo_unlock(m);
}

static void test_memo_sets(apr_pool_t *p)
{
    art_memo_t *m = art_memo_create(p, 64, 0, free);
    void *a = malloc(8), *b = malloc(8), *c = malloc(8), *x, *y, *z;

    if (m == NULL || a == NULL || b == NULL || c == NULL) {
        check(0, "memo sets: memory");
        return;
    }
    art_memo_put(m, 1, 0, a, 8);
    art_memo_put(m, 1, 64, b, 8);
    memo_take(m, 0, &x);
    memo_take(m, 64, &y);
    check(x == a && y == b, "memo sets: two entries of one set are both kept");
    memo_take(m, 0, &x);
    art_memo_put(m, 1, 128, c, 8);
    memo_take(m, 0, &x);
    memo_take(m, 64, &y);
    memo_take(m, 128, &z);
    check(x == a && y == NULL && z == c,
          "memo sets: a third replaces the one used least recently");
}

static void test_memo(apr_pool_t *p)
{
    art_index_t *ix1 = art_index_build(p, NCORPUS, judged_doc, NULL);
    art_index_t *ix2 = art_index_build(p, NCORPUS, changed_doc, NULL);
    art_snapshot_t v1, v2, m;
    art_memo_t *big, *small, *tiny, *fresh;
    art_index_hit_t a[10], b[10];
    const char *q[MEMO_QUERIES];
    int nq = memo_queries(p, q), na, nb, ta, tb, i;
    /* In this order: each version in turn, then the older one again, then
     * the small memos. */
    static const struct {
        int version, memo;           /* memo: index in memos[] */
        const char *what;
    } phases[] = {
        { 1, 0, "memo: version 1, every word, language and window, twice" },
        { 2, 0, "memo: version 2 after version 1" },
        { 1, 0, "memo: a request of version 1 after version 2" },
        { 1, 1, "memo: through 64 slots, answers sharing slots" },
        { 1, 2, "memo: through a memo its byte limit keeps emptying" },
    };
    art_memo_t *memos[3];

    /* The module's size, where answers mostly stay; one where they keep
     * replacing each other; one its byte limit keeps emptying. */
    big = art_memo_create(p, 4096, 0, free);
    small = art_memo_create(p, 64, 0, free);
    tiny = art_memo_create(p, 64, 200, free);
    fresh = art_memo_create(p, 64, 0, free);
    check(ix1 && ix2 && big && small && tiny && fresh && nq > 100,
          "memo: two versions and four memos");
    if (!(ix1 && ix2 && big && small && tiny && fresh)) {
        return;
    }
    memos[0] = big;
    memos[1] = small;
    memos[2] = tiny;
    memset(&v1, 0, sizeof(v1));
    v1.text = ix1;
    v2 = v1;
    v2.text = ix2;

    /* Not vacuous: a snapshot claiming a version the memo holds is answered
     * from it, though its own index would say otherwise. */
    m = v1;
    m.search_memo = fresh;
    m.serial = 1;
    na = art_snapshot_search(&m, "en", "saffron", 7, 10, 0, a, &ta);
    nb = art_snapshot_search(&v2, "en", "saffron", 7, 10, 0, b, &tb);
    check(na != nb || ta != tb, "memo probe: saffron differs between versions");
    m.text = ix2;
    nb = art_snapshot_search(&m, "en", "saffron", 7, 10, 0, b, &tb);
    check(na == nb && ta == tb && memcmp(a, b, sizeof(*a) * (size_t)na) == 0,
          "memo probe: a kept answer is served");

    test_memo_sets(p);
    for (i = 0; i < (int)(sizeof(phases) / sizeof(phases[0])); i++) {
        const art_snapshot_t *plain = phases[i].version == 1 ? &v1 : &v2;

        m = *plain;
        m.search_memo = memos[phases[i].memo];
        m.serial = (apr_uint64_t)phases[i].version;
        check(memo_differs(&m, plain, q, nq, 2) == 0, phases[i].what);
    }
}

/* ---------------------------------------------------------------- scoring */

/* Long postings are scored term at a time, short ones by a merge; both must
 * give the BM25 this test computes itself, with the same float operations.
 * 6000 documents of 20 words from a 40-word vocabulary: one word has about
 * 2400 postings (merge), two words about 4800 (accumulator). */
#define REF_DOCS 6000
#define REF_WORDS 20
#define REF_VOCAB 40

static unsigned char ref_words[REF_DOCS][REF_WORDS];

static void ref_word(char *out, int w)
{
    out[0] = 'z';
    out[1] = 'q';
    out[2] = (char)('a' + w / 26);
    out[3] = (char)('a' + w % 26);
    out[4] = '\0';
}

static void ref_doc(void *baton, int i, art_index_doc_t *doc)
{
    static char body[REF_WORDS * 5 + 1];
    int k;

    (void)baton;
    for (k = 0; k < REF_WORDS; k++) {
        ref_word(body + 5 * k, ref_words[i][k]);
        body[5 * k + 4] = ' ';
    }
    body[REF_WORDS * 5] = '\0';
    doc->lang = "en";
    doc->title = NULL;
    doc->body = body;
    doc->tags = NULL;
    doc->ntags = 0;
}

static void ref_check(const art_index_t *ix, const int *qw, int nq)
{
    static float score[REF_DOCS];
    art_index_hit_t hits[10], want[10];
    int df[REF_VOCAB] = {0}, i, k, j, n, total, wtotal = 0, nwant = 0, ok;
    char q[64] = "", w[5], what[128];
    float norm = 1.2f * (1.0f - 0.75f + 0.75f * (REF_WORDS / 20.0f));

    for (i = 0; i < REF_DOCS; i++) {
        int seen[REF_VOCAB] = {0};

        for (k = 0; k < REF_WORDS; k++) {
            if (!seen[ref_words[i][k]]++) {
                df[ref_words[i][k]]++;
            }
        }
    }
    for (i = 0; i < REF_DOCS; i++) {
        int match = 0;

        score[i] = 0.0f;
        for (j = 0; j < nq; j++) {
            int tf = 0;
            float idf = (float)log(1.0 + (REF_DOCS - df[qw[j]] + 0.5)
                                   / (df[qw[j]] + 0.5));

            for (k = 0; k < REF_WORDS; k++) {
                tf += ref_words[i][k] == qw[j];
            }
            if (tf) {
                score[i] += idf * ((float)tf * 2.2f) / ((float)tf + norm);
                match = 1;
            }
        }
        if (!match) {
            continue;
        }
        wtotal++;
        /* Insertion into the best ten, score descending then id. */
        for (k = nwant < 10 ? nwant++ : 10; k > 0
             && (want[k - 1].score < score[i]); k--) {
            if (k < 10) {
                want[k] = want[k - 1];
            }
        }
        if (k < 10) {
            want[k].doc = i;
            want[k].score = score[i];
        }
    }
    for (j = 0; j < nq; j++) {
        ref_word(w, qw[j]);
        strcat(q, w);
        strcat(q, " ");
    }
    n = search(ix, "en", q, hits, 10, &total);
    ok = n == nwant && total == wtotal;
    for (i = 0; ok && i < n; i++) {
        ok = hits[i].doc == want[i].doc && hits[i].score == want[i].score;
    }
    snprintf(what, sizeof(what), "BM25 of \"%s\" as computed here (%d of %d)",
             q, total, wtotal);
    check(ok, what);
}

static void test_scoring(apr_pool_t *p)
{
    unsigned long long seed = 7;
    static const int one[] = {3}, two[] = {5, 11}, four[] = {1, 2, 3, 39};
    art_index_t *ix;
    int i, k;

    for (i = 0; i < REF_DOCS; i++) {
        for (k = 0; k < REF_WORDS; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            ref_words[i][k] = (unsigned char)((seed >> 33) % REF_VOCAB);
        }
    }
    ix = art_index_build(p, REF_DOCS, ref_doc, NULL);
    check(ix != NULL, "reference index built");
    if (ix == NULL) {
        return;
    }
    ref_check(ix, one, 1);
    ref_check(ix, two, 2);
    ref_check(ix, four, 4);
}

/* ---------------------------------------------------------------- benchmark */

#define BENCH_VOCAB 5000
#define BENCH_WORDS 800
#define BENCH_TITLE 8

static char *bench_vocab[BENCH_VOCAB];
static char bench_title[BENCH_TITLE * 12], bench_body[BENCH_WORDS * 12];
static size_t bench_bytes;

static unsigned long long bench_rand(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void bench_text(char *out, int words, unsigned long long *seed)
{
    char *o = out;
    int i;

    for (i = 0; i < words; i++) {
        const char *w = bench_vocab[bench_rand(seed) % BENCH_VOCAB];
        size_t n = strlen(w);

        memcpy(o, w, n);
        o += n;
        *o++ = ' ';
    }
    *o = '\0';
}

static void bench_doc(void *baton, int i, art_index_doc_t *doc)
{
    unsigned long long seed = 0x9E3779B97F4A7C15ULL ^ (unsigned long long)i;

    (void)baton;
    bench_text(bench_title, BENCH_TITLE, &seed);
    bench_text(bench_body, BENCH_WORDS, &seed);
    bench_bytes += strlen(bench_title) + strlen(bench_body);
    doc->lang = "en";
    doc->title = bench_title;
    doc->body = bench_body;
    doc->tags = NULL;
    doc->ntags = 0;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void bench(apr_pool_t *p, int ndocs)
{
    unsigned long long seed = 42;
    art_index_t *ix;
    art_index_hit_t hits[10];
    double t0, build, lat[1000], sim[1000];
    long long matched = 0;
    int i;

    for (i = 0; i < BENCH_VOCAB; i++) {
        int len = 3 + (int)(bench_rand(&seed) % 8), k;

        bench_vocab[i] = apr_palloc(p, len + 1);
        for (k = 0; k < len; k++) {
            bench_vocab[i][k] = (char)('a' + bench_rand(&seed) % 26);
        }
        bench_vocab[i][len] = '\0';
    }
    t0 = now_ms();
    ix = art_index_build(p, ndocs, bench_doc, NULL);
    build = now_ms() - t0;
    if (ix == NULL) {
        printf("bench: build failed\n");
        return;
    }
    for (i = 0; i < 1000; i++) {
        char q[32];
        int total;

        snprintf(q, sizeof(q), "%s %s",
                 bench_vocab[bench_rand(&seed) % BENCH_VOCAB],
                 bench_vocab[bench_rand(&seed) % BENCH_VOCAB]);
        t0 = now_ms();
        art_index_search(ix, "en", q, strlen(q), 10, 0, hits, &total);
        lat[i] = now_ms() - t0;
        matched += total;
        t0 = now_ms();
        art_index_similar(ix, (int)(bench_rand(&seed) % (unsigned)ndocs), 5,
                          hits);
        sim[i] = now_ms() - t0;
    }
    qsort(lat, 1000, sizeof(double), cmp_double);
    qsort(sim, 1000, sizeof(double), cmp_double);
    printf("bench: %d docs, %d words each from %d, %.1f MB of text\n", ndocs,
           BENCH_WORDS + BENCH_TITLE, BENCH_VOCAB, bench_bytes / 1048576.0);
    printf("bench: build %.0f ms\n", build);
    printf("bench: index memory %.1f MB (%.2f of the text bytes)\n",
           art_index_memory(ix) / 1048576.0,
           (double)art_index_memory(ix) / (double)bench_bytes);
    printf("bench: search (2 random words, top 10, %lld matches on average) "
           "p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", matched / 1000,
           lat[499], lat[989], lat[999]);
    printf("bench: similar (16 top terms, top 5) p50 %.3f ms, p99 %.3f ms, "
           "max %.3f ms\n", sim[499], sim[989], sim[999]);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    if (argc == 3 && strcmp(argv[1], "--bench") == 0 && atoi(argv[2]) > 0) {
        bench(p, atoi(argv[2]));
        apr_pool_destroy(p);
        apr_terminate();
        return 0;
    }
    test_stoplists();
    test_html_text();
    test_tokenizer();
    test_search(p);
    test_memo(p);
    test_scoring(p);
    printf("index: %d passed, %d failed\n", passed, failed);
    apr_pool_destroy(p);
    apr_terminate();
    return failed ? 1 : 0;
}
