/*
 * bench_exec.c — overhead of one local exec_run of /bin/true (mean over N runs),
 * next to a bare fork + execv + waitpid baseline, so the cost of drill's own
 * machinery (pipes, fd scan, report pipe, poll loop) is visible. Not a ctest.
 *
 * Built with -DDRILL_BENCH=ON (tests/bench/run.sh does); by hand, from the
 * repo root after a normal CMake build in BUILD:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iengine tests/bench/bench_exec.c \
 *      BUILD/libdrill_engine.a -lcrypto -o /tmp/bench_exec && /tmp/bench_exec [N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "util.h"

static int64_t bench_baseline(long n)
{
    int64_t t0 = time_mono_us();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char *const argv[] = {NULL};
            execv("/bin/true", argv);
            _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    return time_mono_us() - t0;
}

static int64_t bench_exec_run(Executor *ex, char **argv, long n, int64_t timeout_ms,
                              const char *in)
{
    int64_t t0 = time_mono_us();
    for (long i = 0; i < n; i++) {
        ExecRequest req = {.argv = argv, .timeout_ms = timeout_ms, .stdin_data = in};
        ExecResult res;
        DrillError err;
        if (exec_run(ex, &req, &res, &err) != 0 || res.exit_code != 0) {
            fprintf(stderr, "bench: run %ld failed: %s\n", i, err.message);
            exit(1);
        }
        exec_result_clear(&res);
    }
    return time_mono_us() - t0;
}

int main(int argc, char **argv)
{
    long n = 1000;
    if (argc > 1) {
        char *end;
        n = strtol(argv[1], &end, 10);
        if (*end != '\0' || n <= 0 || n > 1000000) {
            fprintf(stderr, "usage: bench_exec [runs 1..1000000]\n");
            return 2;
        }
    }
    char *cmd[] = {xstrdup("/bin/true"), NULL};
    Executor *ex = exec_local_new();
    int64_t base = bench_baseline(n);
    int64_t plain = bench_exec_run(ex, cmd, n, 0, NULL);
    int64_t deadline = bench_exec_run(ex, cmd, n, 10000, NULL);
    int64_t with_in = bench_exec_run(ex, cmd, n, 10000, "x");
    printf("runs: %ld\n", n);
    printf("fork+execv+waitpid baseline: %lld us/run\n", (long long)(base / n));
    printf("exec_run /bin/true:          %lld us/run\n", (long long)(plain / n));
    printf("  with timeout 10 s:         %lld us/run\n", (long long)(deadline / n));
    printf("  with timeout + stdin:      %lld us/run\n", (long long)(with_in / n));
    exec_free(ex);
    free(cmd[0]);
    return 0;
}
