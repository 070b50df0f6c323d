/*
 * exec_local.c — the local executor: fork + execvp of an argv (never a shell),
 * optionally as another OS user, with a deadline and bounded, concurrent
 * capture of stdout and stderr.
 *
 * Design decisions (see exec.h for the contract):
 *  - Everything the child needs (environment, user, groups, fd limit) is
 *    prepared before fork(): between fork and exec only async-signal-safe calls
 *    are made, because the parent may be multi-threaded (heartbeat).
 *  - A CLOEXEC "report" pipe carries a failed setup step or execvp errno back
 *    to the parent, so "could not start" (DRILL_E_EXEC) is never confused with
 *    a program that exited 127.
 *  - The child runs in its own process group. On timeout the whole group gets
 *    SIGTERM, then SIGKILL once the group is gone or EXEC_KILL_GRACE_MS has
 *    passed, whichever comes first: PostgreSQL tools get a chance to clean up,
 *    but nothing outlives the deadline by more than the grace.
 *  - After the direct child exits, output is drained for at most
 *    EXEC_LINGER_MS more: a background process it left holding stdout (e.g. a
 *    server started without a log file) must not stall the step.
 *  - SIGPIPE: writing stdin to a child that stopped reading must not kill
 *    drill. Rather than changing the process-wide disposition, SIGPIPE is
 *    blocked in the calling thread while stdin is written and a SIGPIPE raised
 *    by that write is consumed with sigtimedwait() before unblocking.
 *  - detach: double fork + setsid, so the server is re-parented to init and
 *    drill never has to reap it (no zombie); the grandchild's pid is reported
 *    through the report pipe.
 */

/* getgrouplist()/setgroups() and NSIG are not in POSIX but a correct switch to
 * another user needs the supplementary groups; glibc exposes them here. */
#define _DEFAULT_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "util.h"

extern char **environ;

#define EXEC_KILL_GRACE_MS 500   /* SIGTERM -> SIGKILL on timeout */
#define EXEC_LINGER_MS 200       /* drain after the direct child exited */
#define EXEC_TICK_MS 50          /* re-check child exit while pipes stay open */
#define EXEC_CHUNK 65536
#define EXEC_FD_MARGIN 64        /* fds opened by other threads after the scan */
#define EXEC_PWBUF_MAX (1 << 20)
#define EXEC_TIMEOUT_MAX_MS (366LL * 24 * 3600 * 1000)

/* ---- what the child needs, prepared before fork ------------------------ */

typedef struct RunUser {
    bool switch_user;
    char *name;
    char *home;
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    int ngroups;
} RunUser;

typedef struct Env {
    char **v;      /* NULL-terminated, every string owned */
    size_t n, cap;
} Env;

enum { SLOT_IN, SLOT_OUT, SLOT_ERR, SLOT_REPORT, SLOT_COUNT };

typedef struct ChildPlan {
    char *const *argv;
    char **envp;
    const char *cwd;
    const RunUser *user;
    int fd[SLOT_COUNT];   /* child ends; -1 = /dev/null (SLOT_REPORT always set) */
    int max_fd;
    bool detach;
} ChildPlan;

enum { REPORT_ERROR = 1, REPORT_PID = 2 };
enum { STAGE_STDIO, STAGE_PGID, STAGE_GROUPS, STAGE_SETGID, STAGE_SETUID, STAGE_CHDIR,
       STAGE_EXEC, STAGE_SETSID, STAGE_FORK };

/* Fixed-size and < PIPE_BUF, so each write is atomic. */
typedef struct ChildReport {
    int kind;
    int stage;
    int err;
    long pid;
} ChildReport;

/* ---- parent-side state of one run ------------------------------------- */

typedef struct Run {
    int pfd[SLOT_COUNT];   /* parent ends: IN write, OUT/ERR/REPORT read */
    int cfd[SLOT_COUNT];   /* child ends, closed in the parent after fork */
    pid_t pid;
    bool reaped;
    bool status_known;     /* false if waitpid failed (SIGCHLD set to SIG_IGN) */
    int status;
    int64_t deadline_us;   /* 0 = none */
    int (*cancelled)(void);
    bool was_cancelled;
    int64_t exited_us;
    const char *in_data;
    size_t in_len, in_off;
    Buf out, err;
} Run;

/* ===================================================================== */
/* Child side: async-signal-safe calls only, never returns.               */
/* ===================================================================== */

static void child_report(const ChildPlan *p, int kind, int stage, int e, long pid)
{
    ChildReport r;
    memset(&r, 0, sizeof r);   /* no uninitialised padding through the pipe */
    r.kind = kind;
    r.stage = stage;
    r.err = e;
    r.pid = pid;
    ssize_t w = write(p->fd[SLOT_REPORT], &r, sizeof r);
    (void)w;
}

static void child_fail(const ChildPlan *p, int stage)
{
    child_report(p, REPORT_ERROR, stage, errno, 0);
    _exit(127);
}

static void child_reset_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    /* Ignored signals survive exec; handled ones would run drill's handler
     * until exec. Both must go. Invalid/reserved numbers just fail. */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &dfl, NULL);
}

/* Moves fd out of 0..2 so dup2 onto the standard fds cannot clobber it. */
static int child_lift_fd(const ChildPlan *p, int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (nfd < 0)
        child_fail(p, STAGE_STDIO);
    return nfd;
}

static void child_stdio(ChildPlan *p)
{
    p->fd[SLOT_REPORT] = child_lift_fd(p, p->fd[SLOT_REPORT]);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = p->fd[i];
        if (fds[i] < 0)
            fds[i] = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
        if (fds[i] < 0)
            child_fail(p, STAGE_STDIO);
        fds[i] = child_lift_fd(p, fds[i]);
    }
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            child_fail(p, STAGE_STDIO);
    /* Close everything else (our pipe ends, fds of other threads that lack
     * CLOEXEC) so no stray descriptor keeps a pipe of drill open. */
    for (int fd = 3; fd <= p->max_fd; fd++)
        if (fd != p->fd[SLOT_REPORT])
            close(fd);
}

static void child_switch_user(const ChildPlan *p)
{
    if (!p->user->switch_user)
        return;
    /* Groups first, uid last: after setuid we can no longer change groups. */
    if (setgroups((size_t)p->user->ngroups, p->user->groups) != 0)
        child_fail(p, STAGE_GROUPS);
    if (setgid(p->user->gid) != 0)
        child_fail(p, STAGE_SETGID);
    if (setuid(p->user->uid) != 0)
        child_fail(p, STAGE_SETUID);
}

static void child_exec(ChildPlan *p)
{
    child_reset_signals();
    if (!p->detach && setpgid(0, 0) != 0)
        child_fail(p, STAGE_PGID);
    child_stdio(p);
    child_switch_user(p);
    if (p->cwd != NULL && chdir(p->cwd) != 0)
        child_fail(p, STAGE_CHDIR);
    environ = p->envp;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(p->argv[0], p->argv);
    child_fail(p, STAGE_EXEC);
}

/* Intermediate process of a detached start: new session, fork the real
 * process, report its pid, exit so the parent can reap us at once. */
static void child_detach(ChildPlan *p)
{
    if (setsid() < 0)
        child_fail(p, STAGE_SETSID);
    pid_t gc = fork();
    if (gc < 0)
        child_fail(p, STAGE_FORK);
    if (gc == 0)
        child_exec(p);
    child_report(p, REPORT_PID, 0, 0, (long)gc);
    _exit(0);
}

/* ===================================================================== */
/* Preparation (parent, before fork).                                     */
/* ===================================================================== */

static void run_user_free(RunUser *u)
{
    free(u->name);
    free(u->home);
    free(u->groups);
    memset(u, 0, sizeof *u);
}

/* getpw*_r with a growing buffer; returns 0 and fills *pw, or an errno-ish
 * value (ENOENT when the user does not exist). */
static int user_lookup(const char *name, uid_t uid, struct passwd *pw, char **bufp)
{
    size_t size = 4096;
    for (;;) {
        char *buf = xrealloc(*bufp, size);
        *bufp = buf;
        struct passwd *found = NULL;
        int rc = name != NULL ? getpwnam_r(name, pw, buf, size, &found)
                              : getpwuid_r(uid, pw, buf, size, &found);
        if (rc == ERANGE && size < EXEC_PWBUF_MAX) {
            size *= 2;
            continue;
        }
        if (rc != 0)
            return rc;
        return found == NULL ? ENOENT : 0;
    }
}

static bool user_is_current(const char *name)
{
    struct passwd pw;
    char *buf = NULL;
    bool same = user_lookup(NULL, geteuid(), &pw, &buf) == 0 && strcmp(pw.pw_name, name) == 0;
    free(buf);
    return same;
}

static void user_fill_groups(RunUser *u)
{
    int n = 32;
    long max = sysconf(_SC_NGROUPS_MAX);
    for (;;) {
        u->groups = xrealloc(u->groups, (size_t)n * sizeof(gid_t));
        int got = n;
        if (getgrouplist(u->name, u->gid, u->groups, &got) >= 0) {
            u->ngroups = got;
            return;
        }
        if (got <= n)
            got = n * 2;
        if (max > 0 && got > max) {
            /* More groups than the kernel accepts: keep the primary only. */
            u->groups[0] = u->gid;
            u->ngroups = 1;
            return;
        }
        n = got;
    }
}

/* Non-root user switching on a local node only explains: privilege escalation
 * (`become: sudo|runuser`) is a setting of SSH access, where the login user
 * and the server owner commonly differ. */
static int user_switch_unprivileged(const char *run_as, DrillError *err)
{
    struct passwd pw;
    char *buf = NULL;
    char *me = user_lookup(NULL, geteuid(), &pw, &buf) == 0 ? xstrdup(pw.pw_name)
                                                            : xasprintf("uid %ld", (long)geteuid());
    free(buf);
    drill_error_set(err, DRILL_E_EXEC,
                    "cannot run as user '%s': drill runs as '%s' and switching users needs "
                    "root (hint: run drill as root, or as '%s' itself; `become: sudo` exists for "
                    "nodes reached over SSH only)",
                    run_as, me, run_as);
    free(me);
    return DRILL_E_EXEC;
}

static int user_resolve(const char *run_as, RunUser *u, DrillError *err)
{
    memset(u, 0, sizeof *u);
    if (run_as == NULL || run_as[0] == '\0' || user_is_current(run_as))
        return 0;
    if (geteuid() != 0)
        return user_switch_unprivileged(run_as, err);
    struct passwd pw;
    char *buf = NULL;
    int rc = user_lookup(run_as, 0, &pw, &buf);
    if (rc != 0) {
        free(buf);
        return drill_error_set(err, DRILL_E_EXEC, "cannot run as user '%s': %s", run_as,
                               rc == ENOENT ? "no such user" : strerror(rc));
    }
    u->switch_user = true;
    u->name = xstrdup(pw.pw_name);
    u->home = xstrdup(pw.pw_dir);
    u->uid = pw.pw_uid;
    u->gid = pw.pw_gid;
    free(buf);
    user_fill_groups(u);
    return 0;
}

static void env_free(Env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    memset(e, 0, sizeof *e);
}

/* Sets "KEY=VALUE", replacing an existing KEY. Returns false if kv has no key. */
static bool env_put(Env *e, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return false;
    size_t klen = (size_t)(eq - kv) + 1;   /* include '=' */
    for (size_t i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], kv, klen) == 0) {
            free(e->v[i]);
            e->v[i] = xstrdup(kv);
            return true;
        }
    }
    if (e->n + 2 > e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = xstrdup(kv);
    e->v[e->n] = NULL;
    return true;
}

static void env_put_pair(Env *e, const char *key, const char *value)
{
    char *kv = xasprintf("%s=%s", key, value);
    env_put(e, kv);
    free(kv);
}

static int env_build(Env *e, const ExecRequest *req, const RunUser *u, DrillError *err)
{
    e->n = 0;
    e->cap = 64;
    e->v = xcalloc(e->cap, sizeof *e->v);   /* never NULL, always terminated */
    for (char **p = environ; p != NULL && *p != NULL; p++)
        env_put(e, *p);
    if (u->switch_user) {
        env_put_pair(e, "HOME", u->home);
        env_put_pair(e, "USER", u->name);
        env_put_pair(e, "LOGNAME", u->name);
    }
    for (size_t i = 0; req->env_extra != NULL && req->env_extra[i] != NULL; i++) {
        if (!env_put(e, req->env_extra[i])) {
            drill_error_set(err, DRILL_E_INVALID, "environment entry '%s' is not KEY=VALUE",
                            req->env_extra[i]);
            env_free(e);
            return DRILL_E_INVALID;
        }
    }
    return 0;
}

/* Highest open fd, so the child closes a tight range instead of looping to
 * a possibly huge RLIMIT_NOFILE (close_range is not POSIX). */
static int fd_highest(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        long m = sysconf(_SC_OPEN_MAX);
        return m > 0 && m <= 65536 ? (int)m - 1 : 65535;
    }
    int hi = 2;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (*end == '\0' && end != de->d_name && v > hi && v < INT_MAX)
            hi = (int)v;
    }
    closedir(d);
    return hi;
}

/* ===================================================================== */
/* Pipes, fork, report.                                                   */
/* ===================================================================== */

static void fd_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void run_close_all(Run *r)
{
    for (int i = 0; i < SLOT_COUNT; i++) {
        fd_close(&r->pfd[i]);
        fd_close(&r->cfd[i]);
    }
}

/* pipe2() is not POSIX; the window before FD_CLOEXEC is covered by every
 * child of this module closing all fds >= 3 anyway. */
static int pipe_cloexec(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static int run_open_pipes(Run *r, const ExecRequest *req, DrillError *err)
{
    for (int i = 0; i < SLOT_COUNT; i++) {
        bool want = i == SLOT_REPORT || (!req->detach && (i != SLOT_IN || req->stdin_data));
        if (!want)
            continue;
        int p[2];
        if (pipe_cloexec(p) != 0) {
            int e = errno;
            run_close_all(r);
            return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s': cannot create pipe: %s",
                                   req->argv[0], strerror(e));
        }
        /* stdin flows parent -> child; the others child -> parent. */
        r->pfd[i] = i == SLOT_IN ? p[1] : p[0];
        r->cfd[i] = i == SLOT_IN ? p[0] : p[1];
    }
    return 0;
}

/* Reads child reports until EOF (all write ends closed: exec succeeded or
 * the child exited). Returns true when an error was reported. */
static bool run_read_reports(Run *r, ChildReport *error, long *pid)
{
    bool failed = false;
    ChildReport rep;
    for (;;) {
        ssize_t n = read(r->pfd[SLOT_REPORT], &rep, sizeof rep);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof rep)
            break;
        if (rep.kind == REPORT_ERROR) {
            *error = rep;
            failed = true;
        } else if (rep.kind == REPORT_PID) {
            *pid = rep.pid;
        }
    }
    fd_close(&r->pfd[SLOT_REPORT]);
    return failed;
}

/* One waitpid; ECHILD (someone else reaped it, or SIGCHLD is SIG_IGN) counts
 * as reaped with an unknown status rather than looping forever. */
static bool run_reap(Run *r, int flags)
{
    if (r->reaped)
        return true;
    pid_t w = waitpid(r->pid, &r->status, flags);
    if (w == r->pid || (w < 0 && errno != EINTR)) {
        r->reaped = true;
        r->status_known = w == r->pid;
        r->exited_us = time_mono_us();
    }
    return r->reaped;
}

static void run_reap_blocking(Run *r)
{
    while (!run_reap(r, 0))
        ;
}

static bool run_reap_nohang(Run *r)
{
    return run_reap(r, WNOHANG);
}

static int run_fork(Run *r, ChildPlan *plan, DrillError *err)
{
    sigset_t all, old;
    sigfillset(&all);
    /* No signal handler of drill may run in the child before it resets them. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        if (plan->detach)
            child_detach(plan);
        child_exec(plan);
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (int i = 0; i < SLOT_COUNT; i++)
        fd_close(&r->cfd[i]);
    if (pid < 0) {
        run_close_all(r);
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s': fork failed: %s",
                               plan->argv[0], strerror(e));
    }
    r->pid = pid;
    if (!plan->detach)
        setpgid(pid, pid);   /* also in the child: whoever runs first wins */
    return 0;
}

static const char *exec_hint(int e)
{
    switch (e) {
    case ENOENT: return " (hint: check that it is installed and in PATH)";
    case EACCES: return " (hint: check that it is executable by the user running it)";
    case ENOEXEC: return " (hint: not an executable; scripts need a #! line)";
    default: return "";
    }
}

static int report_to_error(const ChildReport *rep, const ExecRequest *req,
                           const RunUser *u, DrillError *err)
{
    const char *prog = req->argv[0];
    const char *msg = strerror(rep->err);
    switch (rep->stage) {
    case STAGE_EXEC:
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s': %s%s", prog, msg,
                               exec_hint(rep->err));
    case STAGE_CHDIR:
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s': cannot change directory "
                               "to '%s': %s", prog, req->cwd ? req->cwd : "/", msg);
    case STAGE_GROUPS:
    case STAGE_SETGID:
    case STAGE_SETUID:
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s' as user '%s': %s failed: %s",
                               prog, u->name ? u->name : "?",
                               rep->stage == STAGE_GROUPS ? "setgroups"
                               : rep->stage == STAGE_SETGID ? "setgid" : "setuid", msg);
    default:
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s': process setup failed "
                               "(stage %d): %s", prog, rep->stage, msg);
    }
}

/* ===================================================================== */
/* The I/O loop.                                                          */
/* ===================================================================== */

static void run_drain(Run *r, int slot)
{
    char chunk[EXEC_CHUNK];
    ssize_t n = read(r->pfd[slot], chunk, sizeof chunk);
    if (n > 0)
        /* Past the limit buf_append drops bytes but we keep reading, so the
         * child never blocks on a full pipe. */
        buf_append(slot == SLOT_OUT ? &r->out : &r->err, chunk, (size_t)n);
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        fd_close(&r->pfd[slot]);
}

static void run_feed(Run *r)
{
    size_t left = r->in_len - r->in_off;
    if (left > 0) {
        ssize_t w = write(r->pfd[SLOT_IN], r->in_data + r->in_off,
                          left < EXEC_CHUNK ? left : EXEC_CHUNK);
        if (w > 0)
            r->in_off += (size_t)w;
        else if (w < 0 && errno != EINTR && errno != EAGAIN)
            r->in_off = r->in_len;   /* EPIPE: the child stopped reading */
    }
    if (r->in_off >= r->in_len)
        fd_close(&r->pfd[SLOT_IN]);   /* EOF for the child */
}

static int run_open_count(const Run *r)
{
    return (r->pfd[SLOT_IN] >= 0) + (r->pfd[SLOT_OUT] >= 0) + (r->pfd[SLOT_ERR] >= 0);
}

static void run_poll_once(Run *r, int timeout_ms)
{
    struct pollfd pfd[3];
    int slot[3];
    int n = 0;
    for (int i = SLOT_IN; i <= SLOT_ERR; i++) {
        if (r->pfd[i] < 0)
            continue;
        pfd[n].fd = r->pfd[i];
        pfd[n].events = i == SLOT_IN ? POLLOUT : POLLIN;
        pfd[n].revents = 0;
        slot[n++] = i;
    }
    if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
        return;   /* timeout or EINTR: the caller re-evaluates */
    for (int k = 0; k < n; k++) {
        if (pfd[k].revents == 0)
            continue;
        if (slot[k] == SLOT_IN)
            run_feed(r);
        else
            run_drain(r, slot[k]);
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Sends sig to the group; then waits until the group is gone (leader reaped,
 * no member left) or grace_ms passed. Returns true when the group is gone. */
static bool run_signal_group(Run *r, int sig, int64_t grace_ms)
{
    kill(-r->pid, sig);
    int64_t until = time_mono_us() + grace_ms * 1000;
    int64_t backoff = 100;
    for (;;) {
        if (run_reap_nohang(r) && kill(-r->pid, 0) != 0 && errno == ESRCH)
            return true;
        int64_t now = time_mono_us();
        if (now >= until)
            return false;
        sleep_us(min64(backoff, until - now));
        backoff = min64(backoff * 2, 20000);
    }
}

static void run_kill_group(Run *r)
{
    if (!run_signal_group(r, SIGTERM, EXEC_KILL_GRACE_MS))
        kill(-r->pid, SIGKILL);
    run_reap_blocking(r);
}

/* One step of the wait: how long to block (us) before re-checking. */
static int64_t run_slice_us(const Run *r, int64_t now, int64_t *backoff)
{
    int64_t slice;
    if (run_open_count(r) > 0) {
        slice = EXEC_TICK_MS * 1000;
    } else {
        /* Pipes closed but not yet reaped: the exit is usually microseconds
         * away, so poll waitpid with a short, growing sleep. */
        slice = *backoff;
        *backoff = min64(*backoff * 2, EXEC_TICK_MS * 1000);
    }
    if (r->deadline_us > 0)
        slice = min64(slice, r->deadline_us - now);
    if (r->reaped)
        slice = min64(slice, r->exited_us + EXEC_LINGER_MS * 1000 - now);
    return slice > 0 ? slice : 0;
}

/* Pumps I/O until the child exited and its output is drained (or the linger
 * passed), or the deadline hit. Returns true on timeout. */
static bool run_loop(Run *r)
{
    int64_t backoff = 50;
    for (;;) {
        run_reap_nohang(r);
        int open = run_open_count(r);
        int64_t now = time_mono_us();
        if (r->reaped && (open == 0 || now >= r->exited_us + EXEC_LINGER_MS * 1000))
            return false;
        if (r->deadline_us > 0 && now >= r->deadline_us && !r->reaped)
            return true;
        if (r->cancelled != NULL && !r->reaped && r->cancelled() != 0) {
            r->was_cancelled = true;
            return true;
        }
        if (open == 0 && r->deadline_us == 0 && r->cancelled == NULL) {
            run_reap_blocking(r);
            return false;
        }
        int64_t slice = run_slice_us(r, now, &backoff);
        if (open > 0)
            run_poll_once(r, (int)((slice + 999) / 1000));
        else
            sleep_us(slice);
    }
}

/* Runs run_loop with SIGPIPE blocked in this thread when we feed stdin;
 * a SIGPIPE our write raised is consumed instead of delivered. */
static bool run_loop_guarded(Run *r)
{
    if (r->pfd[SLOT_IN] < 0)
        return run_loop(r);
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    bool timed_out = run_loop(r);
    fd_close(&r->pfd[SLOT_IN]);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE) == 1) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return timed_out;
}

/* ===================================================================== */
/* Entry points.                                                          */
/* ===================================================================== */

static void run_init(Run *r, const ExecRequest *req)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < SLOT_COUNT; i++)
        r->pfd[i] = r->cfd[i] = -1;
    size_t limit = req->output_limit ? req->output_limit : EXEC_OUTPUT_LIMIT_DEFAULT;
    buf_init(&r->out, limit);
    buf_init(&r->err, limit);
    r->in_data = req->stdin_data;
    r->in_len = req->stdin_data ? strlen(req->stdin_data) : 0;
}

static void run_fill_result(Run *r, ExecResult *res, bool timed_out)
{
    res->timed_out = timed_out;
    if (!r->status_known) {
        res->exit_code = -1;
    } else if (WIFEXITED(r->status)) {
        res->exit_code = WEXITSTATUS(r->status);
    } else if (WIFSIGNALED(r->status)) {
        res->exit_code = -1;
        res->term_signal = WTERMSIG(r->status);
    }
    exec_result_take_output(res, &r->out, &r->err, (long)r->pid);
}

/* After a successful start: stream I/O, enforce the deadline, reap. */
static void run_attached(Run *r, const ExecRequest *req, ExecResult *res, int64_t start)
{
    if (r->pfd[SLOT_IN] >= 0)
        fcntl(r->pfd[SLOT_IN], F_SETFL, fcntl(r->pfd[SLOT_IN], F_GETFL) | O_NONBLOCK);
    /* Clamp absurd timeouts (~1 year) so the microsecond deadline cannot overflow. */
    if (req->timeout_ms > 0)
        r->deadline_us = start + min64(req->timeout_ms, EXEC_TIMEOUT_MAX_MS) * 1000;
    r->cancelled = req->cancelled;
    bool stopped = run_loop_guarded(r);
    run_close_all(r);
    if (stopped)
        run_kill_group(r);
    run_fill_result(r, res, stopped && !r->was_cancelled);
    res->cancelled = r->was_cancelled;
}

static int run_start(Run *r, const ExecRequest *req, const RunUser *u, Env *env,
                     DrillError *err)
{
    int rc = run_open_pipes(r, req, err);
    if (rc != 0)
        return rc;
    ChildPlan plan = {req->argv, env->v, req->cwd, u, {0}, fd_highest() + EXEC_FD_MARGIN,
                      req->detach};
    if (plan.cwd == NULL && u->switch_user)
        plan.cwd = "/";   /* root's cwd may be unreadable to the target user */
    memcpy(plan.fd, r->cfd, sizeof plan.fd);
    rc = run_fork(r, &plan, err);
    if (rc != 0)
        return rc;
    ChildReport rep = {0, 0, 0, 0};
    long detached_pid = 0;
    bool failed = run_read_reports(r, &rep, &detached_pid);
    if (failed || req->detach) {
        run_close_all(r);
        run_reap_blocking(r);   /* the failed child or the detach intermediate */
    }
    if (failed)
        return report_to_error(&rep, req, u, err);
    if (req->detach)
        r->pid = (pid_t)detached_pid;
    return 0;
}

static int local_run(Executor *ex, const ExecRequest *req, ExecResult *res, DrillError *err)
{
    (void)ex;
    RunUser user;
    int rc = user_resolve(req->run_as, &user, err);
    if (rc != 0)
        return rc;
    Env env;
    rc = env_build(&env, req, &user, err);
    if (rc != 0) {
        run_user_free(&user);
        return rc;
    }
    Run r;
    run_init(&r, req);
    int64_t start = time_mono_us();
    rc = run_start(&r, req, &user, &env, err);
    if (rc == 0 && req->detach) {
        res->exit_code = 0;   /* started; its exit status is never observed */
        res->pid = (long)r.pid;
    } else if (rc == 0) {
        run_attached(&r, req, res, start);
    }
    res->duration_us = time_mono_us() - start;
    buf_free(&r.out);
    buf_free(&r.err);
    env_free(&env);
    run_user_free(&user);
    return rc;
}

static void local_destroy(Executor *ex)
{
    free(ex);
}

static const ExecOps local_ops = {local_run, local_destroy};

Executor *exec_local_new(void)
{
    Executor *ex = xcalloc(1, sizeof *ex);
    ex->ops = &local_ops;
    return ex;
}
