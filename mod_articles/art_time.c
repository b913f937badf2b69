/* art_time.c: ISO dates and the site's time zone (see art_time.h).
 *
 * The TZif reader follows RFC 8536: a version 1 block with 32-bit times,
 * then (version 2 and later) the same block again with 64-bit times, which
 * is the one used when present.  Only transitions and the offsets of their
 * types are kept; the footer's POSIX rule for times past the table is not
 * read (see art_time.h).
 */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "art_time.h"

#define TZ_MAX_FILE (256 * 1024)

struct art_tz_t {
    const char *name;
    long long *when;            /* transition instants, ascending */
    long *off;                  /* offset from each transition on */
    int n;
    long first;                 /* offset before the first transition */
};

static apr_uint32_t be32(const unsigned char *p)
{
    return ((apr_uint32_t)p[0] << 24) | ((apr_uint32_t)p[1] << 16)
           | ((apr_uint32_t)p[2] << 8) | p[3];
}

static long long be64(const unsigned char *p)
{
    return (long long)(((apr_uint64_t)be32(p) << 32) | be32(p + 4));
}

/* A name the tz database could hold and that cannot leave its folder. */
static int tz_name_ok(const char *name)
{
    const char *s;

    if (name[0] == '\0' || name[0] == '/' || strlen(name) > 64
        || strstr(name, "..")) {
        return 0;
    }
    for (s = name; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
              || (*s >= '0' && *s <= '9') || *s == '/' || *s == '_'
              || *s == '-' || *s == '+')) {
            return 0;
        }
    }
    return 1;
}

/* The data block at d (of version v: 4- or 8-byte times) into tz. */
static int tz_block(apr_pool_t *p, const unsigned char *d, apr_size_t left,
                    const unsigned char *hdr, int tsize, art_tz_t *tz)
{
    apr_uint32_t timecnt = be32(hdr + 32), typecnt = be32(hdr + 36);
    apr_size_t need = (apr_size_t)timecnt * (apr_size_t)(tsize + 1)
                      + (apr_size_t)typecnt * 6;
    const unsigned char *idx = d + (apr_size_t)timecnt * (apr_size_t)tsize;
    const unsigned char *types = idx + timecnt;
    apr_uint32_t i;

    if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || need > left) {
        return 0;
    }
    tz->n = (int)timecnt;
    tz->when = apr_palloc(p, sizeof(long long) * (timecnt + 1));
    tz->off = apr_palloc(p, sizeof(long) * (timecnt + 1));
    for (i = 0; i < timecnt; i++) {
        if (idx[i] >= typecnt) {
            return 0;
        }
        tz->when[i] = tsize == 8 ? be64(d + i * 8)
                                 : (long long)(apr_int32_t)be32(d + i * 4);
        tz->off[i] = (long)(apr_int32_t)be32(types + idx[i] * 6);
        if (i > 0 && tz->when[i] <= tz->when[i - 1]) {
            return 0;
        }
    }
    tz->first = (long)(apr_int32_t)be32(types);
    return 1;
}

/* The size of the version 1 data block that follows header hdr. */
static apr_size_t tz_v1_size(const unsigned char *hdr)
{
    return (apr_size_t)be32(hdr + 20) + be32(hdr + 24)       /* isut, isstd */
           + (apr_size_t)be32(hdr + 28) * 8                  /* leap */
           + (apr_size_t)be32(hdr + 32) * 5                  /* times, idx */
           + (apr_size_t)be32(hdr + 36) * 6 + be32(hdr + 40); /* types, chars */
}

art_tz_t *art_tz_load(apr_pool_t *p, const char *dir, const char *name,
                      char **err)
{
    const char *path;
    apr_file_t *f;
    apr_finfo_t fi;
    unsigned char *buf;
    apr_size_t len, v1;
    art_tz_t *tz;

    if (!tz_name_ok(name)) {
        *err = apr_psprintf(p, "time zone '%s' is not a tz database name "
                            "(such as Asia/Kabul)", name);
        return NULL;
    }
    path = apr_pstrcat(p, dir ? dir : "/usr/share/zoneinfo", "/", name, NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        *err = apr_psprintf(p, "time zone '%s' is unknown (no %s; is tzdata "
                            "installed?)", name, path);
        return NULL;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f)
        != APR_SUCCESS || fi.filetype != APR_REG || fi.size > TZ_MAX_FILE) {
        apr_file_close(f);
        *err = apr_psprintf(p, "time zone '%s': %s is not a zone file", name,
                            path);
        return NULL;
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(p, len + 1);
    if (apr_file_read_full(f, buf, len, &len) != APR_SUCCESS) {
        len = 0;
    }
    apr_file_close(f);
    tz = apr_pcalloc(p, sizeof(*tz));
    tz->name = apr_pstrdup(p, name);
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) {
        goto bad;
    }
    v1 = tz_v1_size(buf);
    if (buf[4] >= '2' && 44 + v1 + 44 <= len
        && memcmp(buf + 44 + v1, "TZif", 4) == 0) {
        const unsigned char *h2 = buf + 44 + v1;
        if (!tz_block(p, h2 + 44, len - (apr_size_t)(h2 + 44 - buf), h2, 8,
                      tz)) {
            goto bad;
        }
    }
    else if (!tz_block(p, buf + 44, len - 44, buf, 4, tz)) {
        goto bad;
    }
    return tz;
bad:
    *err = apr_psprintf(p, "time zone '%s': %s is not a valid TZif file", name,
                        path);
    return NULL;
}

long art_tz_offset(const art_tz_t *tz, long long utc)
{
    int lo = 0, hi;

    if (tz == NULL) {
        return 0;
    }
    if (tz->n == 0 || utc < tz->when[0]) {
        return tz->first;
    }
    /* The last transition at or before utc. */
    hi = tz->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (tz->when[mid] <= utc) {
            lo = mid;
        }
        else {
            hi = mid - 1;
        }
    }
    return tz->off[lo];
}

long long art_tz_instant(const art_tz_t *tz, long long local)
{
    long before, after;

    if (tz == NULL) {
        return local;
    }
    /* The offsets a day either side bracket any transition near local: a
     * wall time valid under the earlier offset is taken so (the first of a
     * repeated hour, and the old offset for a skipped one); otherwise the
     * later offset applies. */
    before = art_tz_offset(tz, local - 86400);
    after = art_tz_offset(tz, local + 86400);
    if (before == after) {
        return local - before;
    }
    if (art_tz_offset(tz, local - before) == before) {
        return local - before;
    }
    if (art_tz_offset(tz, local - after) == after) {
        return local - after;
    }
    return local - before;
}

static int digits(const char *s, int n, int *out)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic: exact
 * for any year). */
static long days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int art_time_parse(const char *s, const art_tz_t *tz, apr_time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, tzh = 0, tzm = 0, sign = 0, zoned = 0;
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    long long t;

    if (!s || strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-'
        || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1
        || d > mdays[mo - 1] + (mo == 2 && leap(y))) {
        return 0;
    }
    s += 10;
    if (*s == 'T') {
        if (!digits(s + 1, 2, &h) || s[3] != ':' || !digits(s + 4, 2, &mi)) {
            return 0;
        }
        s += 6;
        if (*s == ':') {
            if (!digits(s + 1, 2, &sec)) {
                return 0;
            }
            s += 3;
            if (*s == '.') {
                s++;
                while (*s >= '0' && *s <= '9') {
                    s++;
                }
            }
        }
        if (*s == 'Z') {
            s++;
            zoned = 1;
        }
        else if (*s == '+' || *s == '-') {
            sign = *s == '-' ? -1 : 1;
            if (!digits(s + 1, 2, &tzh) || s[3] != ':'
                || !digits(s + 4, 2, &tzm) || tzh > 23 || tzm > 59) {
                return 0;
            }
            s += 6;
            zoned = 1;
        }
    }
    if (*s != '\0' || h > 24 || mi > 59 || sec > 60
        || (h == 24 && (mi || sec))) {
        return 0;
    }
    t = (long long)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    if (zoned) {
        t -= sign * (tzh * 3600 + tzm * 60);
    }
    else {
        t = art_tz_instant(tz, t);
    }
    *out = apr_time_from_sec(t);
    return 1;
}
