/*
 * duration.c — parse drill durations ("500ms", "30s", "2m", "1h", "1m30s").
 *
 * Units must come from largest to smallest and each at most once, so "30s1m"
 * (almost certainly a typo) is refused. Bare numbers other than "0" are
 * refused because their unit would be a guess.
 */
#include "duration.h"

#include <stdio.h>
#include <string.h>

#define DURATION_MAX_MS ((int64_t)30 * 24 * 3600 * 1000)

static const struct {
    const char *unit;
    int64_t ms;
} units[] = {{"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}};

/* Rank of a unit from largest (0) to smallest (4); "ms" must be tried before "m". */
static int unit_rank(int64_t ms)
{
    return ms == 86400000 ? 0 : ms == 3600000 ? 1 : ms == 60000 ? 2 : ms == 1000 ? 3 : 4;
}

static int match_unit(const char *p, int64_t *unit_ms, size_t *unit_len)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].unit);
        if (strncmp(p, units[i].unit, n) == 0) {
            *unit_ms = units[i].ms;
            *unit_len = n;
            return 0;
        }
    }
    return -1;
}

int duration_parse_ms(const char *text, int64_t *ms)
{
    return duration_parse_ms_upto(text, DURATION_MAX_MS, ms);
}

int duration_parse_ms_upto(const char *text, int64_t max_ms, int64_t *ms)
{
    if (text == NULL || *text == '\0')
        return -1;
    if (strcmp(text, "0") == 0) {
        *ms = 0;
        return 0;
    }
    const char *p = text;
    int64_t total = 0;
    int last_rank = -1;
    while (*p != '\0') {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (*p - '0');
            if (n > max_ms)
                return -1;
        }
        int64_t unit_ms;
        size_t unit_len;
        if (match_unit(p, &unit_ms, &unit_len) != 0)
            return -1;
        int rank = unit_rank(unit_ms);
        if (rank <= last_rank)
            return -1;
        last_rank = rank;
        p += unit_len;
        if (n > (max_ms - total) / unit_ms)
            return -1;
        total += n * unit_ms;
    }
    *ms = total;
    return 0;
}

void duration_format_ms(int64_t ms, char *out, size_t outsz)
{
    /* Largest first, as duration_parse_ms requires. */
    static const struct {
        const char *unit;
        int64_t ms;
    } order[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0] && ms > 0 && len < outsz; i++) {
        int64_t n = ms / order[i].ms;
        ms %= order[i].ms;
        int w = n > 0 ? snprintf(out + len, outsz - len, "%lld%s", (long long)n, order[i].unit) : 0;
        len += w > 0 ? (size_t)w : 0;
    }
    if (out[0] == '\0')
        snprintf(out, outsz, "0");
}
