/*
 * rtext.c — sanitising and locale-free formatting for the reports (see
 * rtext.h). libxml2 2.9 passes control characters and invalid UTF-8 through
 * into its output, and a browser would render escape sequences as garbage,
 * so every text from a command or the store goes through rtext_clean().
 */
#include "rtext.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */
/* An unterminated OSC/DCS string is only swallowed up to this many bytes, so
 * a stray "ESC ]" cannot hide the rest of an output. */
#define ESC_STRING_MAX 4096

/* Length of the ECMA-48 sequence starting with ESC at s[0] (n bytes left). */
static size_t escape_len(const unsigned char *s, size_t n)
{
    if (n < 2)
        return n;
    size_t i = 2;
    if (s[1] == '[') { /* CSI: parameters, intermediates, one final byte */
        while (i < n && s[i] >= 0x20 && s[i] <= 0x3F)
            i++;
        return i < n && s[i] >= 0x40 && s[i] <= 0x7E ? i + 1 : i;
    }
    if (s[1] == ']' || s[1] == 'P' || s[1] == 'X' || s[1] == '^' || s[1] == '_') {
        /* OSC / DCS / SOS / PM / APC: a string ended by BEL or ESC \ */
        for (; i < n && i < ESC_STRING_MAX; i++) {
            if (s[i] == 0x07)
                return i + 1;
            if (s[i] == 0x1B)
                return i + 1 < n && s[i + 1] == '\\' ? i + 2 : i;
        }
        return 2;
    }
    i = 1; /* nF / Fp / Fe / Fs: intermediates then one final byte */
    while (i < n && s[i] >= 0x20 && s[i] <= 0x2F)
        i++;
    return i < n && s[i] >= 0x30 && s[i] <= 0x7E ? i + 1 : 1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid
 * (overlong, surrogate, above U+10FFFF, truncated). *cp gets the code point. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len;
    unsigned min;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        min = 0x80;
        *cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        min = 0x800;
        *cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        min = 0x10000;
        *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* Bytes to emit for the input at s: sets *out and *outlen to the bytes to copy
 * (possibly REPLACEMENT, possibly nothing) and returns how many input bytes
 * were consumed. */
static size_t next_clean(const unsigned char *s, size_t n, const char **out, size_t *outlen)
{
    *out = (const char *)s;
    *outlen = 0;
    if (s[0] == 0x1B)
        return escape_len(s, n);
    if (s[0] < 0x80) {
        bool ctrl = (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r') || s[0] == 0x7F;
        if (ctrl)
            *out = REPLACEMENT;
        *outlen = ctrl ? 3 : 1;
        return 1;
    }
    unsigned cp = 0;
    size_t len = utf8_len(s, n, &cp);
    /* C1 controls and the noncharacters XML 1.0 forbids are replaced too. */
    if (len == 0 || (cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
        *out = REPLACEMENT;
        *outlen = 3;
        return len ? len : 1;
    }
    *outlen = len;
    return len;
}

char *rtext_clean(const char *s, size_t max)
{
    if (s == NULL)
        s = "";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    Buf b;
    buf_init(&b, max + 64);
    while (i < n) {
        const char *piece;
        size_t plen;
        size_t used = next_clean(u + i, n - i, &piece, &plen);
        if (b.len + plen > max)
            break;
        buf_append(&b, piece, plen);
        i += used;
    }
    if (i < n)
        buf_appendf(&b, "\n[... %zu bytes truncated]", n - i);
    return buf_steal(&b);
}

void rtext_number(double v, char *out, size_t outsz)
{
    if (isnan(v)) {
        snprintf(out, outsz, "n/a");
        return;
    }
    if (isinf(v) || v >= 1e15 || v <= -1e15) {
        /* %.0e prints no decimal point, so it is locale-free too. */
        snprintf(out, outsz, "%.0e", v);
        return;
    }
    double scaled = v * 1000.0;
    int64_t m = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
    const char *sign = m < 0 ? "-" : "";
    uint64_t a = m < 0 ? (uint64_t)(-m) : (uint64_t)m;
    unsigned frac = (unsigned)(a % 1000);
    if (frac == 0) {
        snprintf(out, outsz, "%s%llu", sign, (unsigned long long)(a / 1000));
        return;
    }
    char digits[4];
    snprintf(digits, sizeof digits, "%03u", frac);
    for (int k = 2; k > 0 && digits[k] == '0'; k--)
        digits[k] = '\0';
    snprintf(out, outsz, "%s%llu.%s", sign, (unsigned long long)(a / 1000), digits);
}

void rtext_seconds(int64_t us, char *out, size_t outsz)
{
    int64_t ms = us > 0 ? (us + 500) / 1000 : 0;
    snprintf(out, outsz, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

void rtext_timestamp(int64_t utc_ms, char *out, size_t outsz)
{
    time_t secs = (time_t)(utc_ms >= 0 ? utc_ms / 1000 : 0);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL || strftime(out, outsz, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(out, outsz, "1970-01-01T00:00:00");
}
