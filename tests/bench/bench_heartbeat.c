/*
 * bench_heartbeat.c — the heartbeat writer's highest sustained commit rate and
 * its CPU cost: runs the real writer (engine/measure/heartbeat.h) against a server for
 * a while at a given interval, then prints acknowledged commits per second and
 * the process's CPU time (getrusage: user + system, all threads) as a share of
 * one core and per acknowledged commit (the share rises with the commit rate,
 * which depends on the server; the cost of one commit is the writer's own
 * figure and the steadier one on a busy machine). Not a ctest;
 * tests/bench/run.sh runs it against the sandbox.
 *
 * Usage: bench_heartbeat CONNINFO [INTERVAL_MS 1..1000] [SECONDS 1..600]
 * Output: one line "commits_per_s=N cpu_pct=P cpu_us_per_commit=U acked=A failed=F seconds=S".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "heartbeat.h"
#include "util.h"


static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
    long interval = 1, seconds = 10;
    if (argc < 2 || argc > 4 || (argc > 2 && parse_long(argv[2], 1, 1000, &interval) < 0) ||
        (argc > 3 && parse_long(argv[3], 1, 600, &seconds) < 0)) {
        fprintf(stderr, "usage: bench_heartbeat CONNINFO [INTERVAL_MS 1..1000] [SECONDS 1..600]\n");
        return 2;
    }
    Heartbeat *hb = NULL;
    DrillError err;
    /* A fresh run UUID per invocation, as a run gets: (run_uuid, seq) is the
     * table's key and seq restarts at 1. */
    char run_uuid[UUID_STR_SIZE];
    if (uuid_new(run_uuid, &err) != 0 ||
        heartbeat_start(argv[1], run_uuid, interval, 5000, &hb, &err) != 0) {
        fprintf(stderr, "bench_heartbeat: %s\n", err.message);
        return 1;
    }
    /* The sustained rate and its cost: counted from the first connection on
     * (loading libpq, connecting and creating the table happen once a run). */
    int64_t cpu0 = cpu_us(), t0 = time_mono_us();
    struct timespec ts = {.tv_sec = seconds, .tv_nsec = 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    heartbeat_stop(hb);
    int64_t wall = time_mono_us() - t0, cpu = cpu_us() - cpu0;
    HeartbeatStats st;
    heartbeat_stats(hb, &st);
    heartbeat_free(hb);
    printf("commits_per_s=%.0f cpu_pct=%.2f cpu_us_per_commit=%.1f acked=%lld failed=%lld "
           "seconds=%.2f\n", (double)st.acked * 1e6 / (double)wall, 100.0 * (double)cpu / (double)wall,
           st.acked > 0 ? (double)cpu / (double)st.acked : 0.0, (long long)st.acked, (long long)st.failed, (double)wall / 1e6);
    if (st.failed > 0)
        fprintf(stderr, "bench_heartbeat: last error: %s\n", st.last_error);
    return st.acked > 0 ? 0 : 1;
}
