/* leftovers.c — see leftovers.h. */
#define _DEFAULT_SOURCE 1

#include "leftovers.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "util.h"

#define LEFTOVERS_MAX 256
#define ENVIRON_MAX (256 * 1024)   /* a process's environment read at most */

typedef struct Leftover {
    pid_t pid, pgrp;
    char comm[32];
} Leftover;

/* pgrp, session and comm from /proc/PID/stat; comm is in parentheses and
 * may hold blanks or ')' itself, so the fields are read after the last ')'. */
static bool read_stat(pid_t pid, pid_t *pgrp, pid_t *session, char *comm, size_t commsz)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (open == NULL || close == NULL || close < open)
        return false;
    snprintf(comm, commsz, "%.*s", (int)(close - open - 1), open + 1);
    char state;
    int ppid, pg, sid;
    if (sscanf(close + 1, " %c %d %d %d", &state, &ppid, &pg, &sid) != 4 || state == 'Z')
        return false;
    *pgrp = pg;
    *session = sid;
    return true;
}

/* Whether the process's environment holds exactly `entry` (NAME=VALUE). */
static bool environ_has(pid_t pid, const char *entry)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;   /* gone, or not ours to read: not ours to stop either */
    char *buf = xmalloc(ENVIRON_MAX + 1);
    size_t n = 0;
    ssize_t r;
    while (n < ENVIRON_MAX && (r = read(fd, buf + n, ENVIRON_MAX - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = '\0';
    bool found = false;
    for (size_t i = 0; i < n && !found; i += strlen(buf + i) + 1)
        found = strcmp(buf + i, entry) == 0;
    free(buf);
    return found;
}

static size_t find(const char *run_uuid, Leftover *out, size_t max)
{
    char entry[128];
    snprintf(entry, sizeof entry, "DRILL_RUN_UUID=%s", run_uuid);
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *e;
    pid_t self = getpid();
    while (n < max && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == self)
            continue;
        Leftover l = {.pid = (pid_t)pid};
        pid_t sid;
        /* A session of its own (sid == pgrp): a server or daemon, kept. */
        if (read_stat(l.pid, &l.pgrp, &sid, l.comm, sizeof l.comm) && sid != l.pgrp &&
            environ_has(l.pid, entry))
            out[n++] = l;
    }
    closedir(d);
    return n;
}

static void signal_groups(const Leftover *l, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++)
        if (kill(-l[i].pgrp, sig) != 0)
            kill(l[i].pid, sig);
}

/* Waits until none of them is left, at most ms; true when none is. */
static bool wait_gone(const char *run_uuid, int64_t ms)
{
    Leftover l[LEFTOVERS_MAX];
    int64_t until = time_mono_us() + ms * 1000;
    while (find(run_uuid, l, LEFTOVERS_MAX) > 0) {
        if (time_mono_us() >= until)
            return false;
        sleep_us(100000);
    }
    return true;
}

int leftovers_stop(const char *run_uuid, char *what, size_t whatsz)
{
    what[0] = '\0';
    if (run_uuid == NULL || run_uuid[0] == '\0')
        return 0;
    Leftover l[LEFTOVERS_MAX];
    size_t n = find(run_uuid, l, LEFTOVERS_MAX);
    size_t used = 0;
    for (size_t i = 0; i < n && used < whatsz; i++) {
        int w = snprintf(what + used, whatsz - used, "%s%s (pid %d)", i > 0 ? ", " : "",
                         l[i].comm, (int)l[i].pid);
        used += w > 0 ? (size_t)w : 0;
    }
    if (n == 0)
        return 0;
    signal_groups(l, n, SIGTERM);
    if (!wait_gone(run_uuid, LEFTOVERS_GRACE_MS)) {
        size_t still = find(run_uuid, l, LEFTOVERS_MAX);
        signal_groups(l, still, SIGKILL);
        wait_gone(run_uuid, 5000);
    }
    return (int)n;
}
