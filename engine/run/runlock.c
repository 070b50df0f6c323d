/*
 * runlock.c — per-target run locks (contract in runlock.h).
 *
 * The lock directory may be in /tmp, where anyone can create a name first:
 * a directory or symlink planted there by another user would let them point
 * our lock file (which we open read-write and truncate) at any file we can
 * write. So the directory must be our own, private one, checked on the open
 * descriptor, and the lock file is opened relative to that descriptor,
 * never through a symlink.
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

static const char UNSAFE_HINT[] =
    "\n  hint: remove it, or set XDG_RUNTIME_DIR to a directory of your own "
    "(drill keeps its locks in $XDG_RUNTIME_DIR/drill)";

static char *lock_dir(void)
{
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (rt != NULL && rt[0] == '/')
        return xasprintf("%s/drill", rt);
    return xasprintf("/tmp/drill-locks-%ld", (long)geteuid());
}

/* The lock file's name in lock_dir: the target's identity (where its primary
 * is, else what it is called), hashed. */
static char *lock_name(const Topology *t)
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
    return xasprintf("target-%.16s.lock", hash);
}

char *runlock_target_path(const Topology *t)
{
    char *dir = lock_dir(), *name = lock_name(t);
    char *path = xasprintf("%s/%s", dir, name);
    free(dir);
    free(name);
    return path;
}

/* Refuses a lock directory that is not ours alone: whoever owns or can write
 * into it decides what our lock file name points to. */
static int check_lock_dir(const char *dir, const struct stat *st, DrillError *err)
{
    if (S_ISLNK(st->st_mode))
        return drill_error_set(err, DRILL_E_ABORTED, "lock directory %s is a symbolic link: "
                               "another user may have planted it%s", dir, UNSAFE_HINT);
    if (!S_ISDIR(st->st_mode))
        return drill_error_set(err, DRILL_E_ABORTED, "lock directory %s is not a directory%s",
                               dir, UNSAFE_HINT);
    if (st->st_uid != geteuid())
        return drill_error_set(err, DRILL_E_ABORTED, "lock directory %s is owned by uid %ld, "
                               "not you (uid %ld): another user may have planted it%s", dir,
                               (long)st->st_uid, (long)geteuid(), UNSAFE_HINT);
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return drill_error_set(err, DRILL_E_ABORTED, "lock directory %s is writable by other "
                               "users (mode %04o): they could plant links to your files "
                               "there\n  hint: chmod 700 %s", dir,
                               (unsigned)(st->st_mode & 07777), dir);
    return 0;
}

/* Says why dir could not be opened as a directory without following a link. */
static int lock_dir_open_error(const char *dir, int open_errno, DrillError *err)
{
    struct stat st;
    int rc = 0;
    if ((open_errno == ELOOP || open_errno == ENOTDIR) && lstat(dir, &st) == 0)
        rc = check_lock_dir(dir, &st, err);
    if (rc < 0)
        return rc;
    return drill_error_set(err, DRILL_E_IO, "cannot open lock directory %s: %s", dir,
                           strerror(open_errno));
}

/* Makes the lock directory (0700) when missing and opens it; the checks run
 * on the opened directory (fstat), so it cannot be swapped after them. */
static int open_lock_dir(const char *dir, DrillError *err)
{
    int rc = dir_make_parents(dir, 0700, "run locks", err);
    if (rc < 0)
        return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return drill_error_set(err, DRILL_E_IO, "cannot create lock directory %s: %s", dir,
                               strerror(errno));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return lock_dir_open_error(dir, errno, err);
    struct stat st;
    rc = fstat(fd, &st) != 0 ? drill_error_set(err, DRILL_E_IO, "cannot stat lock directory "
                                               "%s: %s", dir, strerror(errno))
                             : check_lock_dir(dir, &st, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Opens (creating) the lock file in the open directory: never through a
 * symlink (O_NOFOLLOW), and only a plain file with no other name, since the
 * holder line truncates it. */
static int open_lock_file(int dirfd, const char *name, const char *path, DrillError *err)
{
    int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ELOOP)
        return drill_error_set(err, DRILL_E_ABORTED, "lock file %s is a symbolic link: drill "
                               "never writes through one (another user may have planted "
                               "it)\n  hint: remove it", path);
    if (fd < 0)
        return drill_error_set(err, DRILL_E_IO, "cannot open lock file %s: %s", path,
                               strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = drill_error_set(err, DRILL_E_IO, "cannot stat lock file %s: %s", path,
                             strerror(errno));
    else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
        rc = drill_error_set(err, DRILL_E_ABORTED, "lock file %s is not a plain file with one "
                             "name (a device, a FIFO or a hard link to another file): drill "
                             "would truncate it\n  hint: remove it", path);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int open_lock(const Topology *t, const char *path, DrillError *err)
{
    char *dir = lock_dir(), *name = lock_name(t);
    int dirfd = open_lock_dir(dir, err);
    int fd = dirfd < 0 ? dirfd : open_lock_file(dirfd, name, path, err);
    if (dirfd >= 0)
        close(dirfd);
    free(dir);
    free(name);
    return fd;
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

int runlock_acquire(const Topology *t, RunLock **out, DrillError *err)
{
    *out = NULL;
    char *path = runlock_target_path(t);
    int fd = open_lock(t, path, err);
    if (fd < 0) {
        free(path);
        return fd;
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
    /* Only looks: still never through a symlink, and never blocking on
     * whatever else might sit at a recorded path. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}
