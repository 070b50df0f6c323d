/*
 * pg_pidfile.c — pg_pm_status (pg.h): what a local server's postmaster.pid
 * says about it, read without asking the server.
 *
 * Why: a connection attempt, even one the server refuses because it is
 * starting up, forks a backend on it. A readiness poll or a heartbeat trying
 * every 10 ms forked hundreds of them on the very server replaying WAL (447
 * connections to the restored primary and 321 to the standby in one
 * primary-wipe, measured with log_connections). The postmaster writes its
 * state into line 8 of postmaster.pid ("starting", "standby", "ready",
 * "stopping" — what `pg_ctl start -w` waits on), and a server in recovery
 * keeps standby.signal or recovery.signal in its data directory: reading
 * them costs the server nothing and is as precise as the poll.
 */
#include "pg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PIDFILE_STATUS_LINE 8   /* LOCK_FILE_LINE_PM_STATUS in PostgreSQL's pidfile.h */

static PgPmStatus status_of(const char *word)
{
    static const struct {
        const char *word;
        PgPmStatus status;
    } words[] = {{"starting", PG_PM_STARTING}, {"stopping", PG_PM_STOPPING},
                 {"ready", PG_PM_READY},       {"standby", PG_PM_STANDBY}};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strncmp(word, words[i].word, strlen(words[i].word)) == 0)
            return words[i].status;
    return PG_PM_UNKNOWN;
}

static bool signal_file(const char *data_directory, const char *name)
{
    char path[4096];
    return snprintf(path, sizeof path, "%s/%s", data_directory, name) < (int)sizeof path &&
           access(path, F_OK) == 0;
}

PgPmStatus pg_pm_status(const char *data_directory)
{
    if (data_directory == NULL)
        return PG_PM_UNKNOWN;
    char path[4096], buf[2048];
    if (snprintf(path, sizeof path, "%s/postmaster.pid", data_directory) >= (int)sizeof path)
        return PG_PM_UNKNOWN;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? PG_PM_ABSENT : PG_PM_UNKNOWN;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return PG_PM_UNKNOWN;   /* being written: ask the server */
    buf[n] = '\0';
    const char *line = buf;
    for (int i = 1; i < PIDFILE_STATUS_LINE && line != NULL; i++) {
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    PgPmStatus st = line != NULL ? status_of(line) : PG_PM_UNKNOWN;
    /* A hot standby's postmaster also says "ready": its signal file tells
     * it is still in recovery (the startup process removes it at the end). */
    if (st == PG_PM_READY && (signal_file(data_directory, "standby.signal") ||
                              signal_file(data_directory, "recovery.signal")))
        st = PG_PM_READ_ONLY;
    return st;
}

const char *pg_pm_status_name(PgPmStatus s)
{
    static const char *const names[] = {"unknown", "absent",  "starting",
                                        "stopping", "ready",   "standby (not accepting)",
                                        "in recovery (read-only)"};
    return (size_t)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

bool pg_pm_may_serve(PgPmStatus s, PgReadiness want)
{
    switch (s) {
    case PG_PM_ABSENT:
    case PG_PM_STARTING:
    case PG_PM_STOPPING:
    case PG_PM_STANDBY:   /* "up, won't accept connections" (hot_standby off) */
        return false;
    case PG_PM_READ_ONLY:
        return want == PG_READY_ACCEPTING;
    default:
        return true;
    }
}
