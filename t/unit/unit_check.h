/* unit_check.h: the CHECK macro the unit tests share.
 *
 * CHECK(cond, fmt, ...) counts a pass, or counts a failure and prints
 * "FILE:LINE: message"; the test prints the totals and exits non-zero when
 * unit_failed is not 0.  Header-only: each test is one program.
 */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int unit_passed, unit_failed;

#define CHECK(cond, ...) unit_check((cond), __FILE__, __LINE__, __VA_ARGS__)

static void unit_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void unit_check(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        unit_passed++;
        return;
    }
    unit_failed++;
    printf("%s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

#endif
