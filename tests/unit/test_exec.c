/*
 * test_exec.c — the local executor against real processes: exit codes,
 * signals, separate and bounded capture without deadlock, timeouts that kill
 * the whole process group, start failures, stdin, environment, user switch,
 * detach, argv quoting, and no fd leak.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "exec.h"
#include "harness.h"
#include "testutil.h"
#include "util.h"

static Executor *ex;

/* A NULL-terminated argv of owned copies (string literals are const here). */
static char **av(const char *first, ...)
{
    char **v = xcalloc(16, sizeof *v);
    va_list ap;
    va_start(ap, first);
    size_t n = 0;
    for (const char *a = first; a != NULL && n < 15; a = va_arg(ap, const char *))
        v[n++] = xstrdup(a);
    va_end(ap);
    return v;
}

static void av_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* Runs argv with the given request fields; returns exec_run's code. */
static int run_req(ExecRequest *req, ExecResult *res, DrillError *err)
{
    drill_error_clear(err);
    return exec_run(ex, req, res, err);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* Gone or a zombie waiting for init: either way no longer running. */
static bool pid_is_dead(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], *stat = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (file_read_all(path, 4096, &stat, &len, NULL) != 0)
        return true;
    const char *close_paren = strrchr(stat, ')');
    bool zombie = close_paren != NULL && close_paren[1] == ' ' && close_paren[2] == 'Z';
    free(stat);
    return zombie;
}

TEST(exit_codes_propagate)
{
    const int codes[] = {0, 1, 42};
    for (size_t i = 0; i < 3; i++) {
        char script[32];
        snprintf(script, sizeof script, "exit %d", codes[i]);
        ExecResult res;
        CHECK_INT(testutil_sh(ex, script, 5000, 0, &res), 0);
        CHECK_INT(res.exit_code, codes[i]);
        CHECK_INT(res.term_signal, 0);
        CHECK(!res.timed_out);
        CHECK(res.out != NULL && res.err != NULL);
        CHECK(res.duration_us > 0);
        exec_result_clear(&res);
    }
}

TEST(signal_is_reported)
{
    ExecResult res;
    CHECK_INT(testutil_sh(ex, "kill -TERM $$", 5000, 0, &res), 0);
    CHECK_INT(res.exit_code, -1);
    CHECK_INT(res.term_signal, SIGTERM);
    CHECK(!res.timed_out);
    exec_result_clear(&res);
}

TEST(stdout_stderr_separate)
{
    ExecResult res;
    CHECK_INT(testutil_sh(ex, "echo out1; echo err1 >&2; echo out2; printf err2 >&2", 5000, 0,
                          &res), 0);
    CHECK_STR(res.out, "out1\nout2\n");
    CHECK_STR(res.err, "err1\nerr2");
    CHECK_INT(res.out_len, 10);
    CHECK_INT(res.err_len, 9);
    CHECK(!res.out_truncated && !res.err_truncated);
    exec_result_clear(&res);
}

TEST(big_interleaved_output_no_deadlock)
{
    /* 10 MB each, written alternately in 64 KB blocks by one process: a reader
     * that drained one stream at a time would deadlock on the other. */
    const char *script = "i=0; while [ $i -lt 160 ]; do "
                         "head -c 65536 /dev/zero; head -c 65536 /dev/zero >&2; "
                         "i=$((i+1)); done";
    ExecResult res;
    int64_t t0 = time_mono_us();
    CHECK_INT(testutil_sh(ex, script, 60000, 100000, &res), 0);
    CHECK_INT(res.exit_code, 0);
    CHECK(!res.timed_out);
    CHECK_INT(res.out_len, 100000);
    CHECK_INT(res.err_len, 100000);
    CHECK(res.out_truncated);
    CHECK(res.err_truncated);
    fprintf(stderr, "  20 MB interleaved: %lld ms\n", (long long)((time_mono_us() - t0) / 1000));
    exec_result_clear(&res);
}

TEST(default_output_limit)
{
    ExecResult res;
    CHECK_INT(testutil_sh(ex, "head -c 200000 /dev/zero", 10000, 0, &res), 0);
    CHECK_INT(res.out_len, EXEC_OUTPUT_LIMIT_DEFAULT);
    CHECK(res.out_truncated);
    exec_result_clear(&res);
}

TEST(timeout_kills_command)
{
    char **argv = av("sleep", "30", NULL);
    ExecRequest req = {.argv = argv, .timeout_ms = 200};
    ExecResult res;
    DrillError err;
    int64_t t0 = time_mono_us();
    CHECK_INT(run_req(&req, &res, &err), 0);
    int64_t ms = (time_mono_us() - t0) / 1000;
    CHECK(res.timed_out);
    /* Functional, not a speed target: it returned long before the 30 s sleep
     * ended (generous bound so a loaded machine or valgrind cannot fail it). */
    CHECK(ms >= 200 && ms < 10000);
    CHECK_INT(res.exit_code, -1);
    CHECK_INT(res.term_signal, SIGTERM);
    fprintf(stderr, "  sleep 30 / timeout 200 ms returned after %lld ms\n", (long long)ms);
    exec_result_clear(&res);
    av_free(argv);
}

TEST(timeout_kills_grandchildren)
{
    ExecResult res;
    int64_t t0 = time_mono_us();
    /* 2 s: the shell must have echoed before the timeout, also under
     * valgrind on a loaded machine (200 ms was not always enough). */
    CHECK_INT(testutil_sh(ex, "sleep 30 & echo $!; wait", 2000, 0, &res), 0);
    int64_t ms = (time_mono_us() - t0) / 1000;
    CHECK(res.timed_out);
    CHECK(ms < 10000);
    char *end;
    long gpid = strtol(res.out, &end, 10);
    CHECK(gpid > 1 && *end == '\n');
    if (gpid > 1)
        CHECK(pid_is_dead(gpid));
    exec_result_clear(&res);
}

TEST(timeout_escalates_to_sigkill)
{
    ExecResult res;
    int64_t t0 = time_mono_us();
    /* The trap must be set before TERM comes: 2 s, as above. */
    CHECK_INT(testutil_sh(ex, "trap '' TERM; while :; do sleep 0.05; done", 2000, 0, &res), 0);
    int64_t ms = (time_mono_us() - t0) / 1000;
    CHECK(res.timed_out);
    CHECK_INT(res.term_signal, SIGKILL);
    CHECK(ms >= 2450 && ms < 12000);   /* TERM, grace period, then KILL */
    exec_result_clear(&res);
}

/* A server started without redirecting its output keeps our stdout pipe
 * open after the command itself exited: the step must still finish. */
TEST(background_holder_does_not_stall)
{
    ExecResult res;
    int64_t t0 = time_mono_us();
    CHECK_INT(testutil_sh(ex, "sleep 5 & echo $!; exit 4", 10000, 0, &res), 0);
    int64_t ms = (time_mono_us() - t0) / 1000;
    CHECK(!res.timed_out);
    CHECK_INT(res.exit_code, 4);
    CHECK(ms < 4000);   /* well before the 5 s holder exits, even on a loaded machine */
    long bg = strtol(res.out, NULL, 10);
    CHECK(bg > 1 && !pid_is_dead(bg));   /* not a timeout: nothing was killed */
    if (bg > 1)
        kill((pid_t)bg, SIGKILL);
    fprintf(stderr, "  command with a background stdout holder returned after %lld ms\n",
            (long long)ms);
    exec_result_clear(&res);
}

TEST(missing_program_is_exec_error)
{
    char **argv = av("drill-no-such-program", "x", NULL);
    ExecRequest req = {.argv = argv, .timeout_ms = 5000};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_EXEC);
    CHECK_INT(err.code, DRILL_E_EXEC);
    CHECK(strstr(err.message, "cannot run 'drill-no-such-program': No such file or directory") !=
          NULL);
    CHECK(strstr(err.message, "hint") != NULL);
    CHECK_INT(res.exit_code, -1);
    CHECK(res.out != NULL && res.err != NULL);
    exec_result_clear(&res);
    /* A program that really exits 127 is not a start failure. */
    CHECK_INT(testutil_sh(ex, "exit 127", 5000, 0, &res), 0);
    CHECK_INT(res.exit_code, 127);
    exec_result_clear(&res);
    av_free(argv);
}

TEST(bad_cwd_is_exec_error)
{
    char **argv = av("true", NULL);
    ExecRequest req = {.argv = argv, .cwd = "/nonexistent/dir"};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_EXEC);
    CHECK(strstr(err.message, "/nonexistent/dir") != NULL);
    exec_result_clear(&res);
    av_free(argv);
}

TEST(cwd_is_applied)
{
    char **argv = av("pwd", NULL);
    ExecRequest req = {.argv = argv, .cwd = "/tmp"};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_STR(res.out, "/tmp\n");
    exec_result_clear(&res);
    av_free(argv);
}

TEST(stdin_is_delivered)
{
    char **argv = av("cat", NULL);
    ExecRequest req = {.argv = argv, .stdin_data = "hello\nworld\n", .timeout_ms = 5000};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_STR(res.out, "hello\nworld\n");
    exec_result_clear(&res);

    /* Larger than a pipe buffer, echoed back while we write: needs poll. */
    size_t n = 1 << 20;
    char *big = xmalloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    req.stdin_data = big;
    req.output_limit = 2 << 20;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_INT(res.out_len, n);
    exec_result_clear(&res);

    /* A child that never reads: our write gets EPIPE, drill must survive. */
    char **argv2 = av("true", NULL);
    req.argv = argv2;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_INT(res.exit_code, 0);
    free(big);
    exec_result_clear(&res);
    av_free(argv);
    av_free(argv2);
}

TEST(stdin_default_is_dev_null)
{
    char **argv = av("cat", NULL);
    ExecRequest req = {.argv = argv, .timeout_ms = 5000};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_INT(res.exit_code, 0);
    CHECK_INT(res.out_len, 0);
    exec_result_clear(&res);
    av_free(argv);
}

TEST(env_extra_is_seen)
{
    char **argv = av("/bin/sh", "-c", "echo \"$DRILL_A|$DRILL_B|$PATH\"", NULL);
    char **env = av("DRILL_A=one", "DRILL_B=two=2", "PATH=/usr/bin:/bin", NULL);
    ExecRequest req = {.argv = argv, .env_extra = env};
    ExecResult res;
    DrillError err;
    CHECK_INT(run_req(&req, &res, &err), 0);
    CHECK_STR(res.out, "one|two=2|/usr/bin:/bin\n");
    exec_result_clear(&res);

    char **bad = av("NOEQUALS", NULL);
    req.env_extra = bad;
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_INVALID);
    CHECK(strstr(err.message, "NOEQUALS") != NULL);
    exec_result_clear(&res);
    av_free(argv);
    av_free(env);
    av_free(bad);
}

TEST(signals_reset_in_child)
{
    /* An ignored SIGTERM in drill must not be inherited by commands. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGTERM, &ign, &old);
    ExecResult res;
    CHECK_INT(testutil_sh(ex, "kill -TERM $$; exit 3", 5000, 0, &res), 0);
    CHECK_INT(res.term_signal, SIGTERM);
    sigaction(SIGTERM, &old, NULL);
    exec_result_clear(&res);
}

TEST(run_as_user)
{
    char **argv = av("/bin/sh", "-c", "id -un; echo \"$HOME\"; pwd", NULL);
    ExecRequest req = {.argv = argv, .run_as = "postgres", .timeout_ms = 5000};
    ExecResult res;
    DrillError err;
    bool have_pg = getpwnam("postgres") != NULL;
    int rc = run_req(&req, &res, &err);
    if (geteuid() == 0 && have_pg) {
        CHECK_INT(rc, 0);
        struct passwd *pw = getpwnam("postgres");
        char *want = xasprintf("postgres\n%s\n/\n", pw ? pw->pw_dir : "?");
        CHECK_STR(res.out, want);
        free(want);
    } else if (geteuid() != 0) {
        CHECK_INT(rc, DRILL_E_EXEC);
        CHECK(strstr(err.message, "root") != NULL);
    } else {
        fprintf(stderr, "  (no postgres user: switch not exercised)\n");
    }
    exec_result_clear(&res);

    req.run_as = "drill-no-such-user";
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_EXEC);
    exec_result_clear(&res);

    /* Running as oneself is not a switch. */
    struct passwd *me = getpwuid(geteuid());
    req.run_as = me ? me->pw_name : NULL;
    char **argv2 = av("true", NULL);
    req.argv = argv2;
    CHECK_INT(run_req(&req, &res, &err), 0);
    exec_result_clear(&res);
    av_free(argv);
    av_free(argv2);
}

/* As root, the non-root refusal is checked in a child that drops to nobody. */
TEST(run_as_refused_when_unprivileged)
{
    struct passwd *nobody = getpwnam("nobody");
    if (geteuid() != 0 || nobody == NULL) {
        fprintf(stderr, "  (not root or no nobody user: covered by run_as_user)\n");
        return;
    }
    uid_t uid = nobody->pw_uid;
    gid_t gid = nobody->pw_gid;
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(gid) != 0 || setuid(uid) != 0)
            _exit(2);
        char **argv = av("true", NULL);
        ExecRequest req = {.argv = argv, .run_as = "postgres"};
        ExecResult res;
        DrillError err;
        int rc = exec_run(ex, &req, &res, &err);
        bool ok = rc == DRILL_E_EXEC && strstr(err.message, "needs root") != NULL &&
                  strstr(err.message, "'postgres'") != NULL;
        if (!ok)
            fprintf(stderr, "  got rc %d: %s\n", rc, err.message);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(detach_returns_at_once)
{
    char **argv = av("sleep", "30", NULL);
    ExecRequest req = {.argv = argv, .detach = true};
    ExecResult res;
    DrillError err;
    int64_t t0 = time_mono_us();
    CHECK_INT(run_req(&req, &res, &err), 0);
    /* "At once" against the command's 30 s: a wait for it would take 30 s;
     * valgrind on a loaded 2-core machine took 0.5-1 s just to fork. */
    CHECK((time_mono_us() - t0) < 10000000);
    CHECK(res.pid > 1);
    CHECK(res.pid > 1 && !pid_is_dead(res.pid));
    if (res.pid > 1)
        kill((pid_t)res.pid, SIGKILL);
    exec_result_clear(&res);

    char **missing = av("drill-no-such-program", NULL);
    req.argv = missing;
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_EXEC);
    exec_result_clear(&res);
    av_free(argv);
    av_free(missing);
}

TEST(invalid_request)
{
    ExecResult res;
    DrillError err;
    ExecRequest req = {.argv = NULL};
    CHECK_INT(run_req(&req, &res, &err), DRILL_E_INVALID);
    exec_result_clear(&res);
    exec_result_clear(NULL);
    exec_free(NULL);
}

TEST(argv_format_quotes)
{
    char **a1 = av("pg_ctl", "-D", "/var/lib/pg data", "-o", "it's", "", "a=b", NULL);
    char *s = exec_argv_format(a1);
    CHECK_STR(s, "pg_ctl -D '/var/lib/pg data' -o 'it'\\''s' '' a=b");
    free(s);
    s = exec_argv_format(NULL);
    CHECK_STR(s, "");
    free(s);
    char *big = xmalloc(20000);
    memset(big, 'a', 19999);
    big[19999] = '\0';
    char **a2 = av("echo", big, NULL);
    s = exec_argv_format(a2);
    CHECK(strlen(s) <= 8192);
    CHECK(strlen(s) > 3 && strcmp(s + strlen(s) - 3, "...") == 0);
    free(s);
    free(big);
    av_free(a1);
    av_free(a2);
}

TEST(no_fd_leak)
{
    int before = count_fds();
    for (int i = 0; i < 100; i++) {
        ExecResult res;
        char **argv = av("/bin/sh", "-c", "echo x; echo y >&2", NULL);
        ExecRequest req = {.argv = argv, .stdin_data = (i % 2) ? "in" : NULL, .timeout_ms = 5000};
        DrillError err;
        run_req(&req, &res, &err);
        exec_result_clear(&res);
        char **missing = av("drill-no-such-program", NULL);
        req.argv = missing;
        run_req(&req, &res, &err);
        exec_result_clear(&res);
        av_free(argv);
        av_free(missing);
    }
    CHECK_INT(count_fds(), before);
}

int main(void)
{
    ex = exec_local_new();
    RUN(exit_codes_propagate);
    RUN(signal_is_reported);
    RUN(stdout_stderr_separate);
    RUN(big_interleaved_output_no_deadlock);
    RUN(default_output_limit);
    RUN(timeout_kills_command);
    RUN(timeout_kills_grandchildren);
    RUN(timeout_escalates_to_sigkill);
    RUN(background_holder_does_not_stall);
    RUN(missing_program_is_exec_error);
    RUN(bad_cwd_is_exec_error);
    RUN(cwd_is_applied);
    RUN(stdin_is_delivered);
    RUN(stdin_default_is_dev_null);
    RUN(env_extra_is_seen);
    RUN(signals_reset_in_child);
    RUN(run_as_user);
    RUN(run_as_refused_when_unprivileged);
    RUN(detach_returns_at_once);
    RUN(invalid_request);
    RUN(argv_format_quotes);
    RUN(no_fd_leak);
    exec_free(ex);
    return harness_done();
}
