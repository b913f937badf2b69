/* art_time.h: the repository's dates, and the site's time zone.
 *
 * An article's `published` and `updated` are ISO 8601: a date-time with its
 * zone (2026-12-06T06:00:00+04:30, ...Z) is an instant; a date-time without a
 * zone, or a date alone (midnight), is a wall-clock time in the site's zone
 * (site.xml <timezone>, UTC when absent).  Since an article's time decides
 * when it goes live, the wall clock must map to the instant the newsroom
 * means, daylight saving included.
 *
 * Zones are read from the system's tz database (/usr/share/zoneinfo, the
 * tzdata package) by parsing the compiled TZif file ourselves when the site
 * is loaded: the only libc route to another zone's offsets is setenv("TZ")
 * with localtime_r, and the environment is process-wide and not thread-safe
 * in a threaded MPM.  A loaded zone is a table of transitions and offsets;
 * times past its last transition keep its last offset (Debian ships "fat"
 * files that list transitions to 2037).  No httpd header.
 */
#ifndef ART_TIME_H
#define ART_TIME_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct art_tz_t art_tz_t;

/* The zone name (an IANA name such as "Asia/Kabul") from the tz database
 * below dir (NULL: /usr/share/zoneinfo).  NULL with *err (in p) when the
 * name is malformed, absent or its file is not a TZif file. */
art_tz_t *art_tz_load(apr_pool_t *p, const char *dir, const char *name,
                      char **err);

/* Seconds east of UTC in force at the instant utc (seconds since 1970);
 * tz NULL is UTC. */
long art_tz_offset(const art_tz_t *tz, long long utc);

/* The instant of the wall-clock time local (seconds since 1970 as if the
 * wall clock were UTC) in tz.  A time that a jump forward skips is taken
 * with the offset before the jump; a repeated hour gives its first instant. */
long long art_tz_instant(const art_tz_t *tz, long long local);

/* Parse an ISO date or date-time (the forms articles.rng allows) into *out;
 * a date alone is midnight, and a time without zone is in tz (may be NULL:
 * UTC).  Returns 0 on anything else (a bad calendar date included). */
int art_time_parse(const char *s, const art_tz_t *tz, apr_time_t *out);

#endif
