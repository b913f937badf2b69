/* art_valid.h: validating repository documents against the built-in schema.
 *
 * libxml2 2.9.14 compiles an XSD <param name="pattern"> into a regular
 * expression at every value it checks and frees it afterwards: about fifty
 * compilations per article, most of the cost of validating it.  So a document
 * is first validated against a copy of the schema without the patterns it
 * has C checks for, then every value those patterns govern is checked in C.
 * The C checks are sound (a value they accept, the pattern matches) but may
 * be stricter (an unusual Unicode character).  When either step fails, the
 * document is validated against the full schema, which decides: a document
 * is refused exactly when articles.rng refuses it, with libxml2's own
 * first message.
 *
 * The schemas are compiled once per process (art_valid_init); a context holds
 * one thread's libxml2 validation contexts.  No httpd header is used.
 */
#ifndef ART_VALID_H
#define ART_VALID_H

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

typedef struct art_valid_t art_valid_t;

/* A check of one value (NUL-terminated UTF-8): 1 when it surely matches. */
typedef int art_valid_check_fn(const xmlChar *v);

/* Compile the schema text rng twice (as it is, and without the patterns
 * checked in C).  Call once, from one thread, before any validation; 0 on
 * success, otherwise -1 with *err a static message. */
int art_valid_init(const char *rng, const char **err);

/* A context for one thread; NULL when out of memory. */
art_valid_t *art_valid_create(void);
void art_valid_destroy(art_valid_t *v);

/* Validate doc: 0 when the schema accepts it.  Otherwise non-zero, and the
 * full schema's errors went to fn (libxml2's structured error hook). */
int art_valid_doc(art_valid_t *v, xmlDocPtr doc, xmlStructuredErrorFunc fn,
                  void *baton);

/* The C check that stands for the XSD pattern text pattern, NULL when there
 * is none (that pattern then stays in the schema libxml2 checks). */
art_valid_check_fn *art_valid_pattern_check(const char *pattern);

/* How many documents this process has validated with the full schema; for
 * the tests. */
unsigned long art_valid_fallbacks(void);

#endif /* ART_VALID_H */
