/* art_text.c: the tokenizer behind the search index (see art_text.h).
 *
 * One pass over the bytes: each code point is decoded, classified as part of a
 * term, ignorable (it neither ends a term nor appears in it: diacritics,
 * tatweel, ZWNJ/ZWJ, direction marks, soft hyphen) or a separator, and folded
 * to its search form before it is appended to the term being built.  Only the
 * scripts the site publishes in are letters here: Latin (Basic, Latin-1,
 * Extended-A/B, IPA, Extended Additional), Greek, Cyrillic and Arabic with
 * its supplements and presentation forms; anything else separates terms.
 *
 * Folding is deliberately lossy where readers are inconsistent: Latin-1
 * accents are stripped (é→e, ä→a, so "Muller" finds "Müller"; "Mueller" is a
 * different word, as German transliteration is not guessed), ß and ẞ become
 * "ss", Arabic yeh and alef maqsura become Persian yeh, Arabic kaf becomes
 * Persian kaf, teh marbuta and heh with yeh above become heh, hamza-carrying
 * alefs and waw become their bare letters.  The same folding applies to every
 * language; Pashto ي and ی thereby merge, which costs precision only between
 * two spellings authors already mix.
 */
#include <string.h>
#include <stdlib.h>
#include <pthread.h>

#include "art_hash.h"
#include "art_text.h"

/* Classes returned by text_norm besides a code point. */
#define TEXT_SEP  0xFFFFFFFFu   /* ends a term */
#define TEXT_SKIP 0xFFFFFFFEu   /* removed without ending a term */

/* ---------------------------------------------------------------- stop list */

/* Lists written for this project, not copied from a published list; each entry
 * is stored in its folded form (what the tokenizer produces), sorted by bytes
 * so the lists read (and diff) well.  t/unit/index_test.c checks both properties.  Entries of one
 * letter are left out because one-letter terms are dropped anyway. */

/* Common English function words: articles, pronouns, auxiliaries,
 * prepositions and conjunctions. */
static const char *const text_stop_en[] = {
    "about", "above", "after", "again", "against", "all", "also", "am", "an",
    "and", "any", "are", "as", "at", "be", "because", "been", "before", "being",
    "below", "between", "both", "but", "by", "can", "could", "did", "do",
    "does", "doing", "down", "during", "each", "few", "for", "from", "further",
    "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "if", "in", "into", "is", "it", "its",
    "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not",
    "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "same", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "theirs", "them", "themselves",
    "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your", "yours", "yourself", "yourselves",
};

/* Common German function words: articles in all cases, pronouns, auxiliaries,
 * modal verbs, prepositions and conjunctions; umlauts folded (für → fur). */
static const char *const text_stop_de[] = {
    "aber", "alle", "allem", "allen", "aller", "alles", "als", "also", "am",
    "an", "ander", "andere", "anderen", "auch", "auf", "aus", "bei", "bin",
    "bis", "bist", "da", "damit", "dann", "das", "dass", "dem", "den", "denn",
    "der", "des", "dich", "die", "dies", "diese", "diesem", "diesen", "dieser",
    "dieses", "dir", "doch", "dort", "du", "durch", "ein", "eine", "einem",
    "einen", "einer", "eines", "er", "es", "etwas", "euch", "euer", "fur",
    "gegen", "gewesen", "hab", "habe", "haben", "hat", "hatte", "hier", "hin",
    "hinter", "ich", "ihm", "ihn", "ihnen", "ihr", "ihre", "im", "in", "indem",
    "ins", "ist", "jede", "jedem", "jeden", "jeder", "jedes", "jetzt", "kann",
    "kein", "keine", "konnen", "man", "mehr", "mein", "meine", "mich", "mir",
    "mit", "muss", "nach", "nicht", "nichts", "noch", "nun", "nur", "ob",
    "oder", "ohne", "sehr", "sein", "seine", "sich", "sie", "sind", "so",
    "soll", "sollte", "sondern", "uber", "um", "und", "uns", "unser", "unter",
    "viel", "vom", "von", "vor", "war", "waren", "warum", "was", "weil",
    "welche", "wenn", "wer", "werden", "wie", "wieder", "will", "wir", "wird",
    "wo", "wurde", "wurden", "zu", "zum", "zur", "zwischen",
};

/* Common Dari/Persian function words: prepositions, conjunctions, pronouns,
 * the present-tense prefix می, the plural suffix ها written apart, and forms
 * of the verbs to be, become and do; Arabic letter forms folded. */
static const char *const text_stop_fa[] = {
    "از", "است", "اما", "ان", "اند", "انها", "انکه", "او", "اگر", "اید",
    "ایشان", "ایم", "این", "اینها", "اینکه", "با", "باز", "باشد", "باید", "بر",
    "برای", "بسیار", "بلکه", "به", "بود", "بوده", "بی", "بین", "تا", "تنها",
    "تو", "توسط", "حتی", "خود", "خیلی", "دارد", "داشت", "در", "درباره", "دیگر",
    "دیگری", "را", "روی", "زیر", "زیرا", "سوی", "سپس", "شد", "شده", "شما",
    "شود", "شوند", "ضمن", "طبق", "طی", "فقط", "ما", "مانند", "من", "می", "میان",
    "نزد", "نه", "نیز", "نیست", "ها", "های", "هر", "هست", "هم", "همان", "همه",
    "همچنین", "همین", "هنوز", "هیچ", "وقتی", "ولی", "وی", "پس", "پیش", "چرا",
    "چنان", "چنین", "چه", "چون", "کجا", "کدام", "کرد", "کرده", "کند", "کنند",
    "کنیم", "که", "گردد", "یا", "یکی",
};

/* Common Pashto function words: postpositions and prepositions (په، له، ته،
 * کې، څخه), conjunctions, pronouns, and forms of the verbs to be and do. */
static const char *const text_stop_ps[] = {
    "او", "اوس", "باندې", "بلکې", "بیا", "تاسې", "تر", "ته", "خو", "خپل",
    "خپله", "دا", "دغه", "دغو", "دلته", "ده", "دوی", "دی", "دې", "زه", "سره",
    "شو", "شوی", "شوې", "لا", "لاندې", "له", "لپاره", "ما", "مخکې", "مونږ",
    "موږ", "مې", "نه", "نو", "هغه", "هغو", "هلته", "هم", "وروسته", "ولې", "وه",
    "وو", "وی", "ټول", "ټولو", "پر", "پسې", "په", "پورې", "ځکه", "څخه", "څه",
    "څوک", "چې", "ډېر", "کله", "که", "کوم", "کوی", "کړ", "کړی", "کړې", "کې",
    "کېږی", "یا", "یو", "یوه", "یې",
};

#define TEXT_NELTS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Each list is also held in an open-addressing set, so a term costs one hash
 * and usually one probe instead of a binary search: the check runs for every
 * term of every document.  The sets are built once, on first use, under
 * pthread_once because the loader tokenizes on several threads. */
#define TEXT_STOP_SLOTS 512      /* a power of two, over twice a list */

typedef struct {
    const char *const *list;
    int n;
    unsigned short slot[TEXT_STOP_SLOTS];   /* list index + 1, 0 for empty */
    unsigned char len[TEXT_STOP_SLOTS];     /* the entry's length in bytes */
} text_stopset_t;

static text_stopset_t text_stopsets[] = {
    { text_stop_en, TEXT_NELTS(text_stop_en), {0}, {0} },
    { text_stop_de, TEXT_NELTS(text_stop_de), {0}, {0} },
    { text_stop_fa, TEXT_NELTS(text_stop_fa), {0}, {0} },
    { text_stop_ps, TEXT_NELTS(text_stop_ps), {0}, {0} },
};

static pthread_once_t text_stop_once = PTHREAD_ONCE_INIT;

static unsigned text_stop_hash(const char *s, size_t len)
{
    return art_fnv32(s, len, ART_FNV32_INIT);
}

static void text_stop_init(void)
{
    int k, i;

    for (k = 0; k < TEXT_NELTS(text_stopsets); k++) {
        text_stopset_t *set = &text_stopsets[k];

        for (i = 0; i < set->n; i++) {
            size_t len = strlen(set->list[i]);
            unsigned j = text_stop_hash(set->list[i], len)
                         & (TEXT_STOP_SLOTS - 1);

            while (set->slot[j]) {
                j = (j + 1) & (TEXT_STOP_SLOTS - 1);
            }
            set->slot[j] = (unsigned short)(i + 1);
            set->len[j] = (unsigned char)len;
        }
    }
}

/* The set of lang's stop words, NULL when it has none. */
static const text_stopset_t *text_stopset(const char *lang)
{
    char a, b;

    if (lang == NULL || lang[0] == '\0' || lang[1] == '\0'
        || (lang[2] != '\0' && lang[2] != '-' && lang[2] != '_')) {
        return NULL;
    }
    a = (char)(lang[0] | 0x20);
    b = (char)(lang[1] | 0x20);
    pthread_once(&text_stop_once, text_stop_init);
    if (a == 'e' && b == 'n') {
        return &text_stopsets[0];
    }
    if (a == 'd' && b == 'e') {
        return &text_stopsets[1];
    }
    if (a == 'f' && b == 'a') {
        return &text_stopsets[2];
    }
    if (a == 'p' && b == 's') {
        return &text_stopsets[3];
    }
    return NULL;
}

const char *const *art_text_stopwords(const char *lang, int *n)
{
    const text_stopset_t *set = text_stopset(lang);

    *n = set ? set->n : 0;
    return set ? set->list : NULL;
}

static int text_stop_find(const text_stopset_t *set, const char *term,
                          size_t len)
{
    unsigned j = text_stop_hash(term, len) & (TEXT_STOP_SLOTS - 1);

    while (set->slot[j]) {
        if (set->len[j] == len
            && memcmp(set->list[set->slot[j] - 1], term, len) == 0) {
            return 1;
        }
        j = (j + 1) & (TEXT_STOP_SLOTS - 1);
    }
    return 0;
}

int art_text_is_stopword(const char *lang, const char *term, size_t len)
{
    const text_stopset_t *set = text_stopset(lang);

    return set != NULL && text_stop_find(set, term, len);
}

/* ---------------------------------------------------------------- letters */

/* Decode one UTF-8 sequence from at most avail bytes.  Invalid, overlong and
 * truncated sequences come back as TEXT_SEP with *n = 1 so the scan always
 * moves on. */
static unsigned text_utf8_next(const unsigned char *s, size_t avail, size_t *n)
{
    unsigned c;

    *n = 1;
    if (s[0] < 0x80) {
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        if (avail < 2 || (s[1] & 0xC0) != 0x80) {
            return TEXT_SEP;
        }
        c = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        if (c < 0x80) {
            return TEXT_SEP;
        }
        *n = 2;
        return c;
    }
    if ((s[0] & 0xF0) == 0xE0) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
            return TEXT_SEP;
        }
        c = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) {
            return TEXT_SEP;
        }
        *n = 3;
        return c;
    }
    if ((s[0] & 0xF8) == 0xF0) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (s[3] & 0xC0) != 0x80) {
            return TEXT_SEP;
        }
        /* Supplementary planes hold no script this site indexes. */
        *n = 4;
        return TEXT_SEP;
    }
    return TEXT_SEP;
}

size_t art_text_utf8_put(char *o, unsigned c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
}

/* Simple case folding for Latin, Greek and Cyrillic (with Greek accented
 * capitals and final sigma, the Cyrillic supplement pairs and Latin Extended
 * Additional); tag keys (art_tag_fold) use it too. */
unsigned art_text_fold_case(unsigned c)
{
    if (c >= 'A' && c <= 'Z') {
        return c + 32;
    }
    if (c < 0xC0) {
        return c;
    }
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)
        || (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        || (c >= 0x410 && c <= 0x42F)) {
        return c + 32;
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 80;
    }
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x138 && c != 0x149
        && c != 0x17F) {
        /* Latin Extended-A pairs upper/lower as even/odd, with a shift in the
         * middle of the block. */
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return (c & 1) ? c + 1 : c;
        }
        return (c & 1) ? c : c + 1;
    }
    if (c == 0x386) {
        return 0x3AC;
    }
    if (c >= 0x388 && c <= 0x38A) {
        return c + 37;
    }
    if (c == 0x38C) {
        return 0x3CC;
    }
    if (c == 0x38E || c == 0x38F) {
        return c + 63;
    }
    if (c == 0x3C2) {
        return 0x3C3;
    }
    /* Cyrillic blocks where capitals sit on even code points. */
    if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)
         || (c >= 0x4D0 && c <= 0x52F)) && (c & 1) == 0) {
        return c + 1;
    }
    if (c >= 0x4C1 && c <= 0x4CE && (c & 1)) {
        return c + 1;
    }
    if (c == 0x4C0) {
        return 0x4CF;
    }
    if (((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
        && (c & 1) == 0) {
        return c + 1;
    }
    return c;
}

/* Base letters of U+FE80..U+FEF4 (Arabic Presentation Forms-B): each letter
 * has as many consecutive forms as its count (isolated, final, and for
 * joining letters initial and medial). */
static const struct {
    unsigned short base;
    unsigned char forms;
} text_pfb[] = {
    {0x621, 1}, {0x622, 2}, {0x623, 2}, {0x624, 2}, {0x625, 2}, {0x626, 4},
    {0x627, 2}, {0x628, 4}, {0x629, 2}, {0x62A, 4}, {0x62B, 4}, {0x62C, 4},
    {0x62D, 4}, {0x62E, 4}, {0x62F, 2}, {0x630, 2}, {0x631, 2}, {0x632, 2},
    {0x633, 4}, {0x634, 4}, {0x635, 4}, {0x636, 4}, {0x637, 4}, {0x638, 4},
    {0x639, 4}, {0x63A, 4}, {0x641, 4}, {0x642, 4}, {0x643, 4}, {0x644, 4},
    {0x645, 4}, {0x646, 4}, {0x647, 4}, {0x648, 2}, {0x649, 2}, {0x64A, 4},
};

/* Presentation form to base letter; *second receives the alef of a lam-alef
 * ligature.  Forms-A letters not listed stay letters as they are. */
static unsigned text_presentation(unsigned c, unsigned *second)
{
    if (c >= 0xFE70 && c <= 0xFE7F) {
        return TEXT_SKIP;            /* spacing forms of the harakat */
    }
    if (c >= 0xFE80 && c <= 0xFEF4) {
        unsigned at = 0xFE80;
        int i;

        for (i = 0; i < TEXT_NELTS(text_pfb); i++) {
            if (c < at + text_pfb[i].forms) {
                return text_pfb[i].base;
            }
            at += text_pfb[i].forms;
        }
        return TEXT_SEP;
    }
    if (c >= 0xFEF5 && c <= 0xFEFC) {
        *second = 0x627;
        return 0x644;
    }
    if (c == 0xFEFF) {
        return TEXT_SKIP;            /* byte order mark */
    }
    if (c >= 0xFE70) {
        return TEXT_SEP;
    }
    /* Forms-A: the Persian letters that matter for matching. */
    if (c == 0xFB50 || c == 0xFB51) {
        return 0x627;
    }
    if (c >= 0xFB56 && c <= 0xFB59) {
        return 0x67E;
    }
    if (c >= 0xFB7A && c <= 0xFB7D) {
        return 0x686;
    }
    if (c == 0xFB8A || c == 0xFB8B) {
        return 0x698;
    }
    if (c >= 0xFB8E && c <= 0xFB91) {
        return 0x6A9;
    }
    if (c >= 0xFB92 && c <= 0xFB95) {
        return 0x6AF;
    }
    if (c >= 0xFBFC && c <= 0xFBFF) {
        return 0x6CC;
    }
    if (c == 0xFD3E || c == 0xFD3F) {
        return TEXT_SEP;             /* ornate parentheses */
    }
    return c;
}

/* Arabic block: letters folded to their Persian search form, digits to ASCII,
 * marks skipped, punctuation and signs separating. */
static unsigned text_arabic(unsigned c)
{
    if (c >= 0x660 && c <= 0x669) {
        return '0' + (c - 0x660);
    }
    if (c >= 0x6F0 && c <= 0x6F9) {
        return '0' + (c - 0x6F0);
    }
    switch (c) {
    case 0x64A: case 0x649:
        return 0x6CC;
    case 0x643:
        return 0x6A9;
    case 0x629: case 0x6C0:
        return 0x647;
    case 0x622: case 0x623: case 0x625: case 0x671: case 0x672: case 0x673:
        return 0x627;
    case 0x624:
        return 0x648;
    case 0x640: case 0x670: case 0x61C:
        return TEXT_SKIP;
    }
    if ((c >= 0x64B && c <= 0x65F) || (c >= 0x610 && c <= 0x61A)
        || (c >= 0x6D6 && c <= 0x6DC) || (c >= 0x6DF && c <= 0x6E8)
        || (c >= 0x6EA && c <= 0x6ED)) {
        return TEXT_SKIP;
    }
    if ((c >= 0x620 && c <= 0x63F) || (c >= 0x641 && c <= 0x64A)
        || c == 0x66E || c == 0x66F || (c >= 0x671 && c <= 0x6D3)
        || c == 0x6D5 || c == 0x6EE || c == 0x6EF
        || (c >= 0x6FA && c <= 0x6FC) || c == 0x6FF) {
        return c;
    }
    return TEXT_SEP;
}

/* The search form of c: a code point, TEXT_SKIP or TEXT_SEP.  A second code
 * point, when c expands to two (ß, lam-alef), goes to *second. */
static unsigned text_norm(unsigned c, unsigned *second)
{
    *second = 0;
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            return c;
        }
        if (c >= 'A' && c <= 'Z') {
            return c + 32;
        }
        return TEXT_SEP;
    }
    if (c < 0xC0) {
        return c == 0xAD ? TEXT_SKIP : TEXT_SEP;
    }
    if (c < 0x100) {
        /* Latin-1 letters: fold, then strip the accent (see the top). */
        static const char base[] =
            "aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0s"
            "aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y";
        unsigned b;

        if (c == 0xD7 || c == 0xF7) {
            return TEXT_SEP;
        }
        if (c == 0xDF) {
            *second = 's';
            return 's';
        }
        b = (unsigned char)base[c - 0xC0];
        return b ? b : art_text_fold_case(c);
    }
    if (c < 0x2B0) {
        return art_text_fold_case(c);    /* Latin Extended-A/B, IPA */
    }
    if (c >= 0x300 && c <= 0x36F) {
        return TEXT_SKIP;            /* combining accents of decomposed text */
    }
    if (c >= 0x370 && c <= 0x3FF) {
        if (c == 0x375 || c == 0x37E || c == 0x384 || c == 0x385
            || c == 0x387 || c == 0x3F6 || (c >= 0x378 && c <= 0x37A)
            || (c >= 0x380 && c <= 0x383) || c == 0x38B || c == 0x38D
            || c == 0x3A2 || c == 0x374) {
            return TEXT_SEP;
        }
        return art_text_fold_case(c);
    }
    if (c >= 0x400 && c <= 0x52F) {
        if (c == 0x482) {
            return TEXT_SEP;
        }
        if (c >= 0x483 && c <= 0x489) {
            return TEXT_SKIP;
        }
        return art_text_fold_case(c);
    }
    if (c >= 0x600 && c <= 0x6FF) {
        return text_arabic(c);
    }
    if (c >= 0x750 && c <= 0x77F) {
        return c;
    }
    if (c >= 0x8A0 && c <= 0x8FF) {
        return c <= 0x8C9 ? c : TEXT_SKIP;
    }
    if (c == 0x1E9E) {
        *second = 's';
        return 's';
    }
    if (c >= 0x1E00 && c <= 0x1FFF) {
        return art_text_fold_case(c);
    }
    if ((c >= 0x200C && c <= 0x200F) || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2060 && c <= 0x2069)) {
        return TEXT_SKIP;            /* joiners, direction marks, isolates */
    }
    if (c >= 0xFB50 && c <= 0xFEFF) {
        c = text_presentation(c, second);
        /* The base letter still needs the Persian folding (ﻛ → ك → ک). */
        return c >= 0x600 && c <= 0x6FF ? text_arabic(c) : c;
    }
    if (c >= 0xFF10 && c <= 0xFF19) {
        return '0' + (c - 0xFF10);
    }
    if (c >= 0xFF21 && c <= 0xFF3A) {
        return 'a' + (c - 0xFF21);
    }
    if (c >= 0xFF41 && c <= 0xFF5A) {
        return 'a' + (c - 0xFF41);
    }
    return TEXT_SEP;
}

/* text_norm of every code point below U+10000, looked up instead of
 * computed: a table of 128 KB filled once per process.  Code points whose
 * search form is two (ß, lam-alef) are marked for text_norm itself. */
#define TEXT_TAB_SEP  0xFFFFu
#define TEXT_TAB_SKIP 0xFFFEu
#define TEXT_TAB_SLOW 0xFFFDu

static unsigned short text_norm_tab[0x10000];
static pthread_once_t text_norm_once = PTHREAD_ONCE_INIT;

static void text_norm_init(void)
{
    unsigned c, second, v;

    for (c = 0; c < 0x10000; c++) {
        v = text_norm(c, &second);
        text_norm_tab[c] = (unsigned short)(v == TEXT_SEP ? TEXT_TAB_SEP
                                            : v == TEXT_SKIP ? TEXT_TAB_SKIP
                                            : second || v >= TEXT_TAB_SLOW
                                            ? TEXT_TAB_SLOW : v);
    }
}

/* text_norm(c, second), from the table (text_norm_init must have run). */
static inline unsigned text_norm_fast(unsigned c, unsigned *second)
{
    unsigned v;

    if (c >= 0x10000) {
        return text_norm(c, second);
    }
    v = text_norm_tab[c];
    *second = 0;
    if (v < TEXT_TAB_SLOW) {
        return v;
    }
    return v == TEXT_TAB_SEP ? TEXT_SEP : v == TEXT_TAB_SKIP ? TEXT_SKIP
           : text_norm(c, second);
}

/* ---------------------------------------------------------------- tokenizer */

typedef struct {
    char buf[ART_TEXT_TERM_MAX + 4];
    size_t len;
    int chars;          /* code points appended */
    int digits;         /* non-zero while every one is an ASCII digit */
    int full;           /* truncated: later characters are ignored */
} text_term_t;

static void text_term_add(text_term_t *t, unsigned c)
{
    char enc[4];
    size_t n;

    if (t->full) {
        return;
    }
    n = art_text_utf8_put(enc, c);
    if (t->len + n > ART_TEXT_TERM_MAX) {
        t->full = 1;
        return;
    }
    memcpy(t->buf + t->len, enc, n);
    t->len += n;
    t->chars++;
    if (c < '0' || c > '9') {
        t->digits = 0;
    }
}

/* The tokenizer behind both entry points: fn gets each term with its
 * position, span_fn (when not NULL) its byte range in the input instead. */
static void text_tokenize(const char *utf8, size_t len, const char *lang,
                          art_text_token_fn *fn, art_text_span_fn *span_fn,
                          void *baton)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, start = 0, end = 0;
    int position = 0;
    const text_stopset_t *stop = text_stopset(lang);
    text_term_t t;

    pthread_once(&text_norm_once, text_norm_init);
    t.len = 0;
    t.chars = 0;
    t.digits = 1;
    t.full = 0;
    for (;;) {
        unsigned c = TEXT_SEP, second = 0;
        size_t n = 0;

        if (i < len) {
            c = text_utf8_next(s + i, len - i, &n);
            i += n;
            if (c != TEXT_SEP) {
                c = text_norm_fast(c, &second);
            }
        }
        if (c == TEXT_SKIP) {
            continue;
        }
        if (c != TEXT_SEP) {
            if (t.chars == 0) {
                start = i - n;
            }
            end = i;
            text_term_add(&t, c);
            if (second) {
                text_term_add(&t, second);
            }
            continue;
        }
        if (t.chars > 0) {
            /* One letter says nothing on its own; a lone digit may (a
             * chapter, a count), so digit runs are kept at any length. */
            if ((t.chars > 1 || t.digits)
                && !(stop && text_stop_find(stop, t.buf, t.len))) {
                t.buf[t.len] = '\0';
                if (span_fn) {
                    span_fn(baton, t.buf, t.len, start, end);
                }
                else {
                    fn(baton, t.buf, t.len, position);
                }
            }
            position++;
            t.len = 0;
            t.chars = 0;
            t.digits = 1;
            t.full = 0;
        }
        if (i >= len) {
            break;
        }
    }
}

void art_text_tokenize(const char *utf8, size_t len, const char *lang,
                       art_text_token_fn *fn, void *baton)
{
    text_tokenize(utf8, len, lang, fn, NULL, baton);
}

void art_text_tokenize_spans(const char *utf8, size_t len, const char *lang,
                             art_text_span_fn *fn, void *baton)
{
    text_tokenize(utf8, len, lang, NULL, fn, baton);
}

/* text_utf8_next with the common cases inline: ASCII, and the two-byte
 * sequences of Latin-1, Greek, Cyrillic and Arabic. */
static inline unsigned text_next(const unsigned char *s, size_t avail,
                                 size_t *n)
{
    if (s[0] < 0x80) {
        *n = 1;
        return s[0];
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF && avail >= 2 && (s[1] & 0xC0) == 0x80) {
        *n = 2;
        return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    }
    return text_utf8_next(s, avail, n);
}

/* The terms are few and the text long: most of its words cannot be one of
 * them, which their first letter shows.  Such a word is only walked to its
 * end; the others are built as text_tokenize builds them and compared. */
void art_text_match_spans(const char *utf8, size_t len, const char *lang,
                          const char *const *terms, const size_t *lens,
                          int nterms, art_text_span_fn *fn, void *baton)
{
    const unsigned char *s = (const unsigned char *)utf8;
    const text_stopset_t *stop = text_stopset(lang);
    unsigned first[ART_TEXT_MATCH_MAX];
    size_t i = 0, start = 0, end = 0, n;
    int nfirst = 0, k;
    text_term_t t;

    pthread_once(&text_norm_once, text_norm_init);
    if (nterms > ART_TEXT_MATCH_MAX) {
        nterms = ART_TEXT_MATCH_MAX;
    }
    for (k = 0; k < nterms; k++) {
        first[nfirst++] = lens[k] ? text_utf8_next((const unsigned char *)
                                                   terms[k], lens[k], &n)
                                  : TEXT_SEP;
    }
    while (i < len) {
        unsigned c, second;

        c = text_next(s + i, len - i, &n);
        i += n;
        if (c == TEXT_SEP || (c = text_norm_fast(c, &second)) == TEXT_SEP
            || c == TEXT_SKIP) {
            continue;
        }
        /* A word starts at i - n with search form c. */
        for (k = 0; k < nfirst && first[k] != c; k++) {
        }
        if (k == nfirst) {
            while (i < len) {
                unsigned d = text_next(s + i, len - i, &n);

                if (d == TEXT_SEP) {
                    break;
                }
                d = text_norm_fast(d, &second);
                if (d == TEXT_SEP) {
                    break;
                }
                i += n;
            }
            continue;
        }
        start = i - n;
        end = i;
        t.len = 0;
        t.chars = 0;
        t.digits = 1;
        t.full = 0;
        text_term_add(&t, c);
        if (second) {
            text_term_add(&t, second);
        }
        while (i < len) {
            unsigned d = text_next(s + i, len - i, &n);

            if (d == TEXT_SEP || (d = text_norm_fast(d, &second)) == TEXT_SEP) {
                break;
            }
            i += n;
            if (d == TEXT_SKIP) {
                continue;
            }
            end = i;
            text_term_add(&t, d);
            if (second) {
                text_term_add(&t, second);
            }
        }
        if ((t.chars > 1 || t.digits)
            && !(stop && text_stop_find(stop, t.buf, t.len))) {
            for (k = 0; k < nterms; k++) {
                if (lens[k] == t.len && memcmp(terms[k], t.buf, t.len) == 0) {
                    t.buf[t.len] = '\0';
                    fn(baton, t.buf, t.len, start, end);
                    break;
                }
            }
        }
    }
}
