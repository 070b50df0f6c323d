/*
 * size.c — parse drill sizes ("64MB", "512kB"). One number, one unit, no
 * spaces or decimals: the same rules as durations (duration.c), so a typo is
 * refused rather than guessed. Unit names are case-sensitive like
 * PostgreSQL's ("64mb" is an error there too).
 */
#include "size.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t bytes;
} units[] = {{"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024LL * 1024 * 1024},
             {"TB", 1024LL * 1024 * 1024 * 1024}};

int size_parse_bytes(const char *text, int64_t *bytes)
{
    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    if (strcmp(text, "0") == 0) {
        *bytes = 0;
        return 0;
    }
    const char *p = text;
    int64_t n = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > SIZE_MAX_BYTES)
            return -1;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(p, units[i].unit) == 0) {
            if (n > SIZE_MAX_BYTES / units[i].bytes)
                return -1;
            *bytes = n * units[i].bytes;
            return 0;
        }
    return -1;
}

void size_format_mb(int64_t bytes, char *out, size_t outsz)
{
    const int64_t mb = 1024 * 1024;
    const char *sign = bytes < 0 ? "-" : "";
    int64_t b = bytes < 0 ? -bytes : bytes;
    int64_t tenths = (b * 10 + mb / 2) / mb;
    snprintf(out, outsz, "%s%lld.%lld MB", sign, (long long)(tenths / 10), (long long)(tenths % 10));
}
