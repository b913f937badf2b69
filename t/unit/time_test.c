/* time_test.c: the repository's dates and the site's zone (art_time.c).
 *
 * Dates with a zone are instants whatever the site's zone; a date alone is
 * midnight in the site's zone, a time without zone is its wall clock.  The
 * zones come from the system's tz database (tzdata), read by our own TZif
 * reader: Asia/Kabul (+04:30, no daylight saving), Europe/Berlin (both
 * edges of daylight saving: the skipped and the repeated hour) and
 * America/New_York (a negative offset); bad names and files are refused.
 * Expected instants are worked out by hand from the zones' published rules.
 *
 * Prints one line per failure and finally "time: N passed, M failed"; the
 * exit status is non-zero when anything failed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_pools.h>

#include "art_time.h"
#include "unit_check.h"


/* Seconds since 1970 of s in tz, or -1 when it does not parse. */
static long long secs(const char *s, const art_tz_t *tz)
{
    apr_time_t t;

    return art_time_parse(s, tz, &t) ? (long long)apr_time_sec(t) : -1;
}

/* 2026-12-06T00:00:00Z, and one hour. */
#define DEC6 1796515200LL
#define H 3600LL

static void test_parse(void)
{
    CHECK(secs("2026-12-06", NULL) == DEC6, "a date alone: UTC midnight");
    CHECK(secs("2026-12-06T00:00:00Z", NULL) == DEC6, "Z");
    CHECK(secs("2026-12-06T06:00:00+04:30", NULL) == DEC6 + 90 * 60,
          "+04:30 is subtracted");
    CHECK(secs("2026-12-06T06:00:00-05:00", NULL) == DEC6 + 11 * H,
          "-05:00 is added");
    CHECK(secs("2026-12-06T06:00", NULL) == DEC6 + 6 * H, "no seconds");
    CHECK(secs("2026-12-06T06:00:00.250Z", NULL) == DEC6 + 6 * H,
          "fractions dropped");
    CHECK(secs("2024-02-29", NULL) > 0, "29 February of a leap year");
    CHECK(secs("2026-02-29", NULL) == -1, "29 February of another year");
    CHECK(secs("2100-02-29", NULL) == -1, "a century is no leap year");
    CHECK(secs("2000-02-29", NULL) > 0, "but every 400th is");
    CHECK(secs("2026-13-01", NULL) == -1, "month 13");
    CHECK(secs("2026-04-31", NULL) == -1, "31 April");
    CHECK(secs("2026-12-06T25:00:00Z", NULL) == -1, "hour 25");
    CHECK(secs("2026-12-06T06:00:00+24:00", NULL) == -1, "offset +24:00");
    CHECK(secs("2026-12-06 06:00:00", NULL) == -1, "a space for T");
    CHECK(secs("2026-12-06T06:00:00+0430", NULL) == -1, "offset without colon");
    CHECK(secs("2026-12-6", NULL) == -1, "one-digit day");
    CHECK(secs("", NULL) == -1 && secs(NULL, NULL) == -1, "empty and NULL");
    CHECK(secs("2026-12-06Z", NULL) == -1, "a zone after a date alone");
}

static void test_zones(apr_pool_t *p)
{
    char *err = NULL;
    art_tz_t *kabul = art_tz_load(p, NULL, "Asia/Kabul", &err);
    art_tz_t *berlin = art_tz_load(p, NULL, "Europe/Berlin", &err);
    art_tz_t *ny = art_tz_load(p, NULL, "America/New_York", &err);

    CHECK(kabul && berlin && ny, "zones load from /usr/share/zoneinfo");
    if (!kabul || !berlin || !ny) {
        printf("  %s\n", err);
        return;
    }
    CHECK(art_tz_offset(kabul, DEC6) == 4 * H + 30 * 60, "Kabul is +04:30");
    CHECK(secs("2026-12-06", kabul) == DEC6 - (4 * H + 30 * 60),
          "a date alone is midnight in Kabul: 19:30 UTC the day before");
    CHECK(secs("2026-12-06T06:00:00", kabul) == DEC6 + 90 * 60,
          "a time without zone is Kabul's wall clock");
    CHECK(secs("2026-12-06T06:00:00Z", kabul) == DEC6 + 6 * H,
          "an explicit zone wins over the site's");
    /* Berlin: +01:00 in winter, +02:00 from 2026-03-29 01:00 UTC (02:00
     * local jumps to 03:00) until 2026-10-25 01:00 UTC (03:00 back to
     * 02:00). */
    CHECK(secs("2026-12-06", berlin) == DEC6 - H, "Berlin in winter");
    CHECK(secs("2026-07-01", berlin) == secs("2026-07-01T00:00:00+02:00",
                                              NULL), "Berlin in summer");
    CHECK(secs("2026-03-29T01:30:00", berlin)
          == secs("2026-03-29T00:30:00Z", NULL), "before the jump");
    CHECK(secs("2026-03-29T03:30:00", berlin)
          == secs("2026-03-29T01:30:00Z", NULL), "after the jump");
    CHECK(secs("2026-03-29T02:30:00", berlin)
          == secs("2026-03-29T01:30:00Z", NULL),
          "the skipped hour is read with the offset before the jump");
    CHECK(secs("2026-10-25T02:30:00", berlin)
          == secs("2026-10-25T00:30:00Z", NULL),
          "the repeated hour gives its first instant");
    CHECK(art_tz_offset(berlin, secs("2026-10-25T01:00:00Z", NULL)) == H
          && art_tz_offset(berlin, secs("2026-10-25T00:59:59Z", NULL))
             == 2 * H, "the offset changes at the transition itself");
    CHECK(secs("2026-12-06", ny) == DEC6 + 5 * H, "New York is -05:00");
    CHECK(art_tz_offset(NULL, DEC6) == 0, "no zone: UTC");
}

static void test_bad_zones(apr_pool_t *p)
{
    char *err = NULL;
    const char *dir = "/tmp";
    apr_file_t *f;
    char path[64];

    CHECK(art_tz_load(p, NULL, "Mars/Olympus", &err) == NULL && err
          && strstr(err, "unknown"), "an unknown zone is refused");
    err = NULL;
    CHECK(art_tz_load(p, NULL, "../../etc/passwd", &err) == NULL && err
          && strstr(err, "not a tz database name"), "a path out is refused");
    err = NULL;
    CHECK(art_tz_load(p, NULL, "/etc/passwd", &err) == NULL && err,
          "an absolute path is refused");
    err = NULL;
    CHECK(art_tz_load(p, NULL, "Asia", &err) == NULL && err,
          "a folder is no zone");
    /* A file that is not TZif, and a truncated TZif file. */
    snprintf(path, sizeof(path), "%s/art-time-test-%d", dir, (int)getpid());
    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                      | APR_FOPEN_TRUNCATE, APR_FPROT_OS_DEFAULT, p)
        == APR_SUCCESS) {
        apr_file_puts("TZif2 but nothing after", f);
        apr_file_close(f);
        err = NULL;
        CHECK(art_tz_load(p, dir, path + strlen(dir) + 1, &err) == NULL && err
              && strstr(err, "not a valid TZif"), "a truncated file is refused");
        apr_file_remove(path, p);
    }
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_parse();
    test_zones(p);
    test_bad_zones(p);
    apr_pool_destroy(p);
    apr_terminate();
    printf("time: %d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed != 0;
}
