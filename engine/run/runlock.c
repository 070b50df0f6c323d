/*
 * runlock.c — per-target run locks (contract in runlock.h).
 */
#include "runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct RunLock {
    int fd;
    char *path;
};

static char *lock_dir(void)
{
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (rt != NULL && rt[0] == '/')
        return xasprintf("%s/drill", rt);
    return xasprintf("/tmp/drill-locks-%ld", (long)getuid());
}

/* The target's identity: where its primary is and what it is called. */
char *runlock_target_path(const Topology *t)
{
    Buf key;
    buf_init(&key, 64 * 1024);
    for (size_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].role == ROLE_PRIMARY)
            buf_appendf(&key, "%s|%s|", t->nodes[i].conninfo ? t->nodes[i].conninfo : "",
                        t->nodes[i].data_directory ? t->nodes[i].data_directory : "");
    if (key.len == 0)
        buf_appends(&key, t->name ? t->name : "");
    char hash[65];
    sha256_hex(key.data, key.len, hash);
    buf_free(&key);
    char *dir = lock_dir();
    char *path = xasprintf("%s/target-%.16s.lock", dir, hash);
    free(dir);
    return path;
}

/* The holder's "pid N since TIME" line, for the refusal. */
static void read_holder(int fd, char *out, size_t outsz)
{
    ssize_t n = pread(fd, out, outsz - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    if (out[0] == '\0')
        snprintf(out, outsz, "another drill");
}

static int open_lock(const char *path, DrillError *err)
{
    if (dir_make_parents(path, 0700, "run locks", err) < 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        drill_error_set(err, DRILL_E_IO, "cannot open lock file %s: %s", path, strerror(errno));
    return fd;
}

int runlock_acquire(const Topology *t, RunLock **out, DrillError *err)
{
    *out = NULL;
    char *path = runlock_target_path(t);
    int fd = open_lock(path, err);
    if (fd < 0) {
        free(path);
        return DRILL_E_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[256];
        read_holder(fd, holder, sizeof holder);
        int rc = drill_error_set(err, DRILL_E_ABORTED,
                                 "another drill is running against topology \"%s\" (%s; lock "
                                 "%s)\n  hint: wait for it to finish; drills on one target "
                                 "never run concurrently", t->name, holder, path);
        close(fd);
        free(path);
        return rc;
    }
    char line[128], ts[40];
    time_format_utc_ms(time_utc_ms(), ts, sizeof ts);
    int n = snprintf(line, sizeof line, "pid %ld since %s\n", (long)getpid(), ts);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
        (void)0;   /* the holder line is informative only */
    RunLock *l = xcalloc(1, sizeof *l);
    l->fd = fd;
    l->path = path;
    *out = l;
    return 0;
}

const char *runlock_path(const RunLock *l) { return l->path; }

void runlock_release(RunLock *l)
{
    if (l == NULL)
        return;
    close(l->fd);   /* drops the flock */
    free(l->path);
    free(l);
}

bool runlock_is_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}
