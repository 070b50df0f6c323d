/*
 * test_duration.c — the duration syntax of the drill language.
 */
#include <stdint.h>

#include "harness.h"
#include "duration.h"

static int64_t ms_of(const char *text)
{
    int64_t ms = -42;
    return duration_parse_ms(text, &ms) == 0 ? ms : -1;
}

TEST(valid_durations)
{
    CHECK_INT(ms_of("0"), 0);
    CHECK_INT(ms_of("0s"), 0);
    CHECK_INT(ms_of("500ms"), 500);
    CHECK_INT(ms_of("30s"), 30000);
    CHECK_INT(ms_of("2m"), 120000);
    CHECK_INT(ms_of("1h"), 3600000);
    CHECK_INT(ms_of("1m30s"), 90000);
    CHECK_INT(ms_of("1h2m3s4ms"), 3723004);
    CHECK_INT(ms_of("1s500ms"), 1500);
    CHECK_INT(ms_of("90s"), 90000);
    CHECK_INT(ms_of("720h"), 720LL * 3600000);   /* exactly 30 days */
    CHECK_INT(ms_of("7d"), 7LL * 86400000);
    CHECK_INT(ms_of("1d12h"), 36LL * 3600000);
    CHECK_INT(ms_of("30d"), 720LL * 3600000);
    /* Schedules and ages (drill fleet --max-age, rehearse_every) go further. */
    int64_t ms = 0;
    CHECK_INT(duration_parse_ms_upto("90d", DURATION_SCHEDULE_MAX_MS, &ms), 0);
    CHECK_INT(ms, 90LL * 86400000);
    CHECK_INT(duration_parse_ms_upto("400d", DURATION_SCHEDULE_MAX_MS, &ms), 0);
    CHECK_INT(duration_parse_ms_upto("401d", DURATION_SCHEDULE_MAX_MS, &ms), -1);
    CHECK_INT(duration_parse_ms("31d", &ms), -1);   /* a step or objective: 30 days at most */
}

TEST(invalid_durations)
{
    const char *bad[] = {"", "30", "1", "-1s", "+1s", "1.5s", "s", "ms", "d", "1 s", " 1s",
                         "1s ", "30s1m", "1s1s", "1ms1s", "1m1h", "1S", "1sec", "721h", "1h1d", "31d", "1D",
                         "99999999999999999999s", "1h99999999m", "0x10s", "1m 30s", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        int64_t ms = 7;
        if (duration_parse_ms(bad[i], &ms) != -1)
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
        CHECK_INT(duration_parse_ms(bad[i], &ms), -1);
        CHECK_INT(ms, 7);   /* untouched on error */
    }
    int64_t ms;
    CHECK_INT(duration_parse_ms(NULL, &ms), -1);
}

int main(void)
{
    RUN(valid_durations);
    RUN(invalid_durations);
    return harness_done();
}
