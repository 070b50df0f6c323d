/*
 * bench_spawn.c — cold-start cost of one command, measured on the command's
 * own process: posix_spawn + wait4 around it, no shell, no /usr/bin/time in
 * between (a shell-timed loop adds a fork, `date` processes and the timer's
 * own exec to every sample, which is most of a 10 ms budget). Runs the
 * command RUNS times (stdout/stderr to /dev/null) and prints medians, so one
 * descheduled run on a busy machine does not move the figure; the CPU time
 * (user + system from wait4's rusage) is the robust figure under load.
 * Not a ctest; tests/bench/run.sh runs it.
 *
 * Usage: bench_spawn RUNS CMD [ARG...]
 * Output: "wall_ms=W cpu_ms=C maxrss_kb=K runs=N" (W, C medians; K the max).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "util.h"

/* wait4() is BSD/GNU, not POSIX 2008; declared here rather than widening
 * the whole build's feature macros for one benchmark. */
pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru);

extern char **environ;

#define MAX_RUNS 1000

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double median_ms(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    int64_t m2 = n % 2 ? 2 * v[n / 2] : v[n / 2 - 1] + v[n / 2];
    return (double)m2 / 2000.0;
}

/* One run: fills wall and CPU microseconds and peak RSS; -1 if it failed. */
static int run_once(char **argv, int64_t *wall_us, int64_t *cpu_us, long *rss_kb)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int64_t t0 = time_mono_us();
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_spawn: %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    *wall_us = time_mono_us() - t0;
    *cpu_us = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
              ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    *rss_kb = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_spawn: %s exited with status %d\n", argv[0], status);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *end;
    long runs = argc > 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc < 3 || *end != '\0' || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench_spawn RUNS(1..%d) CMD [ARG...]\n", MAX_RUNS);
        return 2;
    }
    static int64_t walls[MAX_RUNS], cpus[MAX_RUNS];
    long maxrss = 0;
    for (long i = 0; i < runs; i++) {
        long rss;
        if (run_once(argv + 2, &walls[i], &cpus[i], &rss) != 0)
            return 1;
        maxrss = rss > maxrss ? rss : maxrss;
    }
    printf("wall_ms=%.2f cpu_ms=%.2f maxrss_kb=%ld runs=%ld\n", median_ms(walls, (int)runs),
           median_ms(cpus, (int)runs), maxrss, runs);
    return 0;
}
