/* art_html.h: the plain text of body HTML (art_html.c). */
#ifndef ART_HTML_H
#define ART_HTML_H

#include <apr.h>

/* The plain text of a body the loader wrote, which the snapshot does not
 * keep: tags dropped (a block tag leaves a space, an inline one nothing),
 * white space runs made one space, the entities art_buf_append_html writes
 * decoded.  out needs len + 1 bytes; returns the text's length and
 * NUL-terminates it. */
apr_size_t art_html_text(const char *html, apr_size_t len, char *out);

#endif
