/* art_negotiate.h: choosing a language from an Accept-Language header.
 *
 * RFC 4647 basic filtering with RFC 9110 quality values: the most specific range
 * that matches a language decides its quality ("fa-af" falls back to "fa", "fa"
 * covers "fa-af", "*" stands for the default language); q=0 excludes; ties keep
 * the header's order.  Work is bounded: at most ART_NEG_MAX_RANGES ranges of a
 * header are read, each compared with every available language once.
 */
#ifndef ART_NEGOTIATE_H
#define ART_NEGOTIATE_H

#define ART_NEG_MAX_RANGES 64

/* Index into avail[0..n) of the best language for header, or -1 when nothing in
 * the header is acceptable (the caller then uses its default).  deflt is the
 * index "*" stands for. */
int art_negotiate(const char *header, const char *const *avail, int n, int deflt);

#endif
