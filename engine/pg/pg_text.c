/*
 * pg_text.c — the text conversions of engine/pg that need no libpq: libpq
 * messages made one line, decimal integers, server/library version numbers
 * ("15.18") and LSNs ("0/3000148", pg.h's pg_lsn_format / pg_lsn_parse).
 *
 * Apart so that every other pg file (connection, queries, heartbeat) shares
 * one strict parser instead of its own strtoll/strtoul call.
 */
#include "pg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* libpq messages end in "\n" and some span lines ("...failed: Connection
 * refused\n\tIs the server running..."): drill's messages are one line, so
 * whitespace runs holding a newline become one space and the end is trimmed. */
void pg_copy_trimmed(const char *msg, char *out, size_t outsz)
{
    size_t n = 0;
    for (const char *p = msg ? msg : ""; *p != '\0' && n + 1 < outsz; p++) {
        size_t ws = strspn(p, " \t\r\n");
        if (ws > 0 && memchr(p, '\n', ws) != NULL) {
            out[n++] = ' ';
            p += ws - 1;
            continue;
        }
        out[n++] = *p;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, outsz, "unknown error");
}

int pg_parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* 150018 -> "15.18"; 90624 -> "9.6.24" (before 10 the scheme had 3 parts). */
void pg_version_format(int v, char *out, size_t outsz)
{
    if (v >= 100000)
        snprintf(out, outsz, "%d.%d", v / 10000, v % 10000);
    else
        snprintf(out, outsz, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

void pg_lsn_format(uint64_t lsn, char *out, size_t outsz)
{
    snprintf(out, outsz, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

/* One half of "HI/LO": 1 to 8 hex digits, nothing else (strtoul alone would
 * accept signs and blanks). */
static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

int pg_lsn_parse(const char *text, uint64_t *lsn)
{
    if (text == NULL)
        return -1;
    const char *slash = strchr(text, '/');
    uint32_t hi = 0, lo = 0;
    if (slash == NULL || parse_hex32(text, (size_t)(slash - text), &hi) != 0 ||
        parse_hex32(slash + 1, strlen(slash + 1), &lo) != 0)
        return -1;
    *lsn = (uint64_t)hi << 32 | lo;
    return 0;
}
