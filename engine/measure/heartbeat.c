/*
 * heartbeat.c — the heartbeat writer thread (see heartbeat.h).
 *
 * One thread owns one PgConn (libpq is thread-safe as long as a connection
 * is used by a single thread). Every `interval` it makes one attempt: connect
 * if needed (creating the table again, since a restored primary may have lost
 * it), then insert one row in autocommit. A session to a server that is still
 * read-only (in recovery, about to be promoted) is kept and the insert tried
 * again on it: promotion makes it writable in place, and reconnecting every
 * interval would fork a backend each time on a server busy replaying WAL,
 * slowing down the very recovery being measured. Each attempt consumes a sequence
 * number, so a failed insert's seq is never reused: its row may or may not
 * have committed, and it is not counted as acknowledged either way.
 *
 * Shared state (acks, failures, stats) is guarded by one mutex; the runner
 * reads snapshots while the thread keeps writing.
 */
#include "heartbeat.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg.h"
#include "util.h"

/* Failure times kept; past it failures are counted, not kept (at a 10 ms
 * interval that is almost three hours of continuous outage). */
#define HEARTBEAT_MAX_FAILURES (1u << 20)
/* Bounds one reconnect attempt: a black-holed host must not stall the cadence
 * for long, while loopback refuses or accepts within a millisecond. */
#define HEARTBEAT_ATTEMPT_MS 1000
/* Server-side and client-side bound of one insert, so stop() stays prompt
 * even when the server hangs. */
#define HEARTBEAT_QUERY_MS 2000
/* After a cancel at that bound, how long the answer may take (loopback or a
 * LAN answers a cancel within milliseconds). */
#define HEARTBEAT_CANCEL_GRACE_MS 500
/* Intervals the cadence may fall behind and still catch up (at most this
 * many attempts back to back). */
#define HEARTBEAT_MAX_CATCHUP 4
/* How long a read-only session is kept before a fresh connection is tried
 * anyway: with a multi-host conninfo another node may have become the
 * writable one meanwhile. */
#define HEARTBEAT_READ_ONLY_KEEP_US 500000

struct Heartbeat {
    char *conninfo;            /* with statement_timeout added */
    char run_uuid[UUID_STR_SIZE];
    int64_t interval_us;
    char **gate;               /* local data directories of every host, or NULL */
    size_t ngate;
    int64_t last_connect_us;   /* mono time of the last connection attempt */
    PgConn *conn;              /* owned by the thread once it runs */
    bool table_ready;          /* the table exists on conn's server */
    int64_t read_only_since;   /* mono_us conn first refused a write, 0 if it has not */
    pthread_t thread;
    bool joinable;
    atomic_bool running;
    pthread_mutex_t mu;        /* guards everything below and stop */
    pthread_cond_t wake;       /* signalled by stop() to cut the sleep short */
    bool stop;
    HeartbeatAck *acks;        /* the newest acks; older ones are in spill */
    size_t nacks, cap_acks, max_acks;
    FILE *spill;               /* tmpfile(): private, gone when closed */
    size_t nspilled;
    char endpoints[HEARTBEAT_ENDPOINTS_MAX][64]; /* servers that acknowledged, by index */
    size_t nendpoints;
    int64_t *failures;         /* mono_us of each failed attempt */
    size_t nfail, cap_fail;
    HeartbeatStats stats;
};

static int64_t time_utc_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Appends to a growing array capped at max elements; false once full. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max)
{
    if (n < *cap)
        return true;
    if (n >= max)
        return false;
    size_t cap2 = *cap ? *cap * 2 : 1024;
    cap2 = cap2 > max ? max : cap2;
    *arr = xrealloc(*arr, cap2 * elem);
    *cap = cap2;
    return true;
}

/* The memory buffer is full: its older half goes to the spill file. The
 * writer holds mu meanwhile (a few ms for 24 MB into the page cache, once
 * every ~1.5 hours at 10 ms). False when the file cannot take it. */
static bool spill_half(Heartbeat *hb)
{
    size_t half = hb->nacks / 2;
    if (half == 0 || hb->nspilled + half > HEARTBEAT_SPILL_MAX)
        return false;
    if (hb->spill == NULL && (hb->spill = tmpfile()) == NULL)
        return false;
    if (fwrite(hb->acks, sizeof *hb->acks, half, hb->spill) != half ||
        fflush(hb->spill) != 0)
        return false;
    memmove(hb->acks, hb->acks + half, (hb->nacks - half) * sizeof *hb->acks);
    hb->nacks -= half;
    hb->nspilled += half;
    hb->stats.acks_spilled += (int64_t)half;
    return true;
}

/* Reads spilled acks [from, from + n) into out; the caller holds mu. */
static int spill_read(Heartbeat *hb, size_t from, size_t n, HeartbeatAck *out)
{
    size_t want = n * sizeof *out, got = 0;
    int fd = fileno(hb->spill);
    while (got < want) {
        ssize_t r = pread(fd, (char *)out + got, want - got,
                          (off_t)(from * sizeof *out + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* The index of endpoint in hb->endpoints, added when new (hb->mu held). */
static uint8_t endpoint_intern(Heartbeat *hb, const char *endpoint)
{
    for (size_t i = 0; i < hb->nendpoints; i++)
        if (strcmp(hb->endpoints[i], endpoint) == 0)
            return (uint8_t)i;
    if (hb->nendpoints == HEARTBEAT_ENDPOINTS_MAX)
        return HEARTBEAT_ENDPOINT_UNKNOWN;
    snprintf(hb->endpoints[hb->nendpoints], sizeof hb->endpoints[0], "%s", endpoint);
    return (uint8_t)hb->nendpoints++;
}

int heartbeat_endpoint_index(Heartbeat *hb, const char *endpoint)
{
    int found = -1;
    pthread_mutex_lock(&hb->mu);
    for (size_t i = 0; i < hb->nendpoints && found < 0; i++)
        if (strcmp(hb->endpoints[i], endpoint) == 0)
            found = (int)i;
    pthread_mutex_unlock(&hb->mu);
    return found;
}

static void record_ack(Heartbeat *hb, HeartbeatAck *ack, const char *endpoint,
                       const char *warning)
{
    pthread_mutex_lock(&hb->mu);
    ack->endpoint = endpoint_intern(hb, endpoint);
    if (ack->sync_wait_cancelled) {
        hb->stats.acked_sync_wait_cancelled++;
        snprintf(hb->stats.last_warning, sizeof hb->stats.last_warning, "%s", warning);
    }
    void *arr = hb->acks;
    bool room = grow(&arr, &hb->cap_acks, hb->nacks, sizeof *hb->acks, hb->max_acks);
    hb->acks = arr;
    if (!room)
        room = spill_half(hb);
    if (room)
        hb->acks[hb->nacks++] = *ack;
    else
        hb->stats.acks_dropped++;
    hb->stats.acked++;
    pthread_mutex_unlock(&hb->mu);
}

static void record_failure(Heartbeat *hb, int64_t mono_us, const DrillError *err)
{
    pthread_mutex_lock(&hb->mu);
    void *arr = hb->failures;
    if (grow(&arr, &hb->cap_fail, hb->nfail, sizeof *hb->failures, HEARTBEAT_MAX_FAILURES)) {
        hb->failures = arr;
        hb->failures[hb->nfail++] = mono_us;
    }
    hb->stats.failed++;
    /* Truncated on purpose: the full message went to nobody, the gist is enough here. */
    snprintf(hb->stats.last_error, sizeof hb->stats.last_error, "%.*s",
             (int)sizeof hb->stats.last_error - 1, err->message);
    pthread_mutex_unlock(&hb->mu);
}

/* Connects (if needed) and makes sure the table exists: a restored or
 * promoted node may not have it, and without it every insert would fail. */
static int hb_prepare(Heartbeat *hb, int64_t timeout_ms, DrillError *err)
{
    if (hb->conn == NULL) {
        int rc = pg_connect(hb->conninfo, timeout_ms, &hb->conn, err);
        if (rc != 0)
            return rc;
        /* statement_timeout does not cover a COMMIT's wait for a
         * synchronous standby (the server disables it before committing): at
         * the client's bound drill cancels, and such a COMMIT comes back as
         * what it is, committed locally with a WARNING, as an application
         * that cancels would be told. */
        pg_set_query_timeout(hb->conn, HEARTBEAT_QUERY_MS);
        pg_set_cancel_grace(hb->conn, HEARTBEAT_CANCEL_GRACE_MS);
        hb->table_ready = false;
        hb->read_only_since = 0;
    }
    if (!hb->table_ready && pg_heartbeat_setup(hb->conn, err) != 0)
        return DRILL_E_PG;
    hb->table_ready = true;
    return 0;
}

/* After a failed attempt: keep a live session whose server only refused the
 * write for being read-only (SQLSTATE 25006), for a while; any other failure
 * means a fresh connection is the way back. */
static void hb_after_failure(Heartbeat *hb, int64_t mono)
{
    bool read_only = hb->conn != NULL && strcmp(pg_last_sqlstate(hb->conn), "25006") == 0;
    if (read_only && hb->read_only_since == 0)
        hb->read_only_since = mono;
    if (read_only && mono - hb->read_only_since < HEARTBEAT_READ_ONLY_KEEP_US &&
        pg_conn_alive(hb->conn))
        return;
    pg_close(hb->conn);
    hb->conn = NULL;
}

#define HEARTBEAT_GATE_FALLBACK_US 1000000

/* Without a session: whether any node may take a write, by its pid file.
 * If not, err says what each one is doing. */
static bool hb_gate_open(Heartbeat *hb, DrillError *err)
{
    char states[192] = "";
    size_t used = 0;
    for (size_t i = 0; i < hb->ngate; i++) {
        PgPmStatus st = pg_pm_status(hb->gate[i]);
        if (st == PG_PM_READY || st == PG_PM_UNKNOWN)
            return true;
        int w = snprintf(states + used, sizeof states - used, "%s%s", i > 0 ? ", " : "",
                         pg_pm_status_name(st));
        used += w > 0 && (size_t)w < sizeof states - used ? (size_t)w : 0;
    }
    drill_error_set(err, DRILL_E_PG, "no node can take a write yet (postmaster.pid: %s)",
                    states);
    return false;
}

/* One attempt: (re)connect if needed, then insert row seq. */
static void hb_attempt(Heartbeat *hb, int64_t seq)
{
    DrillError err = {0};
    bool fresh = hb->conn == NULL;
    /* Once a second the server is asked anyway: a data_directory that is not
     * the server's (a wrong topology) costs precision, never the measurement. */
    int64_t now = time_mono_us();
    if (fresh && hb->ngate > 0 && now - hb->last_connect_us < HEARTBEAT_GATE_FALLBACK_US &&
        !hb_gate_open(hb, &err)) {
        pthread_mutex_lock(&hb->mu);
        hb->stats.gated++;
        pthread_mutex_unlock(&hb->mu);
        record_failure(hb, time_mono_us(), &err);
        return;
    }
    if (fresh)
        hb->last_connect_us = now;
    int rc = hb_prepare(hb, HEARTBEAT_ATTEMPT_MS, &err);
    if (fresh && hb->conn != NULL) {
        pthread_mutex_lock(&hb->mu);
        hb->stats.reconnects++;
        pthread_mutex_unlock(&hb->mu);
    }
    PgHeartbeatAck pa = {0};
    int64_t sent = time_mono_us();
    if (rc == 0)
        rc = pg_heartbeat_insert(hb->conn, hb->run_uuid, seq, time_utc_us(), &pa, &err);
    int64_t mono = time_mono_us();
    if (rc != 0) {
        hb_after_failure(hb, mono);
        record_failure(hb, mono, &err);
        return;
    }
    hb->read_only_since = 0;
    /* A COMMIT that waited out the bound for its synchronous standby: the
     * writes stalled from the moment it was sent (a failure then, for RTO),
     * even though it finally came back "committed" (an ack, for RPO). */
    if (pa.warned)
        record_failure(hb, sent, &(DrillError){.code = DRILL_E_PG,
                                                .message = "COMMIT waited for the synchronous "
                                                           "standby until cancelled"});
    HeartbeatAck ack = {.seq = seq, .client_utc_us = time_utc_us(), .mono_us = mono,
                        .server_ts_us = pa.server_ts_us, .lsn = pa.lsn,
                        .sync_wait_cancelled = pa.warned, .sent_mono_us = sent};
    record_ack(hb, &ack, pg_endpoint(hb->conn), pa.warning);
}

/* Sleeps until the monotonic deadline or until stop() signals; true if stopping. */
static bool hb_sleep_until(Heartbeat *hb, int64_t deadline_us)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_us / 1000000),
                          .tv_nsec = (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&hb->mu);
    while (!hb->stop && time_mono_us() < deadline_us)
        if (pthread_cond_timedwait(&hb->wake, &hb->mu, &ts) != 0)
            break;
    bool stop = hb->stop;
    pthread_mutex_unlock(&hb->mu);
    return stop;
}

static void *hb_main(void *arg)
{
    Heartbeat *hb = arg;
    int64_t next = time_mono_us();
    for (int64_t seq = 1;; seq++) {
        pthread_mutex_lock(&hb->mu);
        bool stop = hb->stop;
        if (!stop)
            hb->stats.attempts++;
        pthread_mutex_unlock(&hb->mu);
        if (stop)
            break;
        hb_attempt(hb, seq);
        /* Keep the cadence: a commit that took a little longer than one
         * interval is caught up by starting the next one at once, so the rate
         * holds; after a longer stall (an outage) start afresh instead of
         * firing a burst of catch-up attempts. */
        int64_t now = time_mono_us();
        next += hb->interval_us;
        if (next < now - HEARTBEAT_MAX_CATCHUP * hb->interval_us)
            next = now;
        if (hb_sleep_until(hb, next))
            break;
    }
    pg_close(hb->conn);
    hb->conn = NULL;
    atomic_store(&hb->running, false);
    return NULL;
}

static void hb_init_sync(Heartbeat *hb)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   /* sleeps follow time_mono_us() */
    pthread_cond_init(&hb->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&hb->mu, NULL);
}

/* $DRILL_HEARTBEAT_BUFFER (acks, at least 16) lets tests fill the memory
 * buffer in seconds; HEARTBEAT_MAX_ACKS otherwise. */
static size_t buffer_acks(void)
{
    const char *v = getenv("DRILL_HEARTBEAT_BUFFER");
    char *end = NULL;
    long long n = v != NULL ? strtoll(v, &end, 10) : 0;
    if (v == NULL || end == v || *end != '\0' || n < 16 || n > (long long)HEARTBEAT_MAX_ACKS)
        return HEARTBEAT_MAX_ACKS;
    return (size_t)n;
}

static void gate_free(Heartbeat *hb)
{
    for (size_t i = 0; i < hb->ngate; i++)
        free(hb->gate[i]);
    free(hb->gate);
    hb->gate = NULL;
    hb->ngate = 0;
}

int heartbeat_start(const char *conninfo, const char *run_uuid, int64_t interval_ms,
                    int64_t connect_timeout_ms, Heartbeat **out, DrillError *err)
{
    return heartbeat_start_gated(conninfo, NULL, 0, run_uuid, interval_ms, connect_timeout_ms,
                                 out, err);
}

int heartbeat_start_gated(const char *conninfo, const char *const *local_dirs, size_t ndirs,
                          const char *run_uuid, int64_t interval_ms, int64_t connect_timeout_ms,
                          Heartbeat **out, DrillError *err)
{
    *out = NULL;
    if (!uuid_is_valid(run_uuid))
        return drill_error_set(err, DRILL_E_INVALID, "heartbeat: \"%s\" is not a run UUID",
                               run_uuid ? run_uuid : "(null)");
    char *ci = NULL;
    char opt[64];
    snprintf(opt, sizeof opt, "-c statement_timeout=%d", HEARTBEAT_QUERY_MS);
    int rc = pg_conninfo_set(conninfo, "options", opt, &ci, err);
    if (rc != 0)
        return drill_error_wrap(err, "heartbeat");
    Heartbeat *hb = xcalloc(1, sizeof *hb);
    hb->conninfo = ci;
    snprintf(hb->run_uuid, sizeof hb->run_uuid, "%s", run_uuid);
    hb->interval_us = (interval_ms > 0 ? interval_ms : 10) * 1000;
    hb->max_acks = buffer_acks();
    if (ndirs > 0) {
        hb->gate = xcalloc(ndirs, sizeof *hb->gate);
        for (size_t i = 0; i < ndirs; i++)
            hb->gate[i] = xstrdup(local_dirs[i]);
        hb->ngate = ndirs;
    }
    rc = hb_prepare(hb, connect_timeout_ms, err);
    if (rc != 0) {
        pg_close(hb->conn);
        gate_free(hb);
        free(ci);
        free(hb);
        return drill_error_wrap(err, "heartbeat: first connection");
    }
    hb_init_sync(hb);
    atomic_init(&hb->running, true);
    if (pthread_create(&hb->thread, NULL, hb_main, hb) != 0) {
        heartbeat_free(hb);
        return drill_error_set(err, DRILL_E_IO, "heartbeat: cannot start the writer thread");
    }
    hb->joinable = true;
    *out = hb;
    return 0;
}

void heartbeat_stop(Heartbeat *hb)
{
    if (hb == NULL)
        return;
    pthread_mutex_lock(&hb->mu);
    hb->stop = true;
    pthread_cond_signal(&hb->wake);
    pthread_mutex_unlock(&hb->mu);
    if (hb->joinable) {
        pthread_join(hb->thread, NULL);
        hb->joinable = false;
    }
    atomic_store(&hb->running, false);
}

void heartbeat_free(Heartbeat *hb)
{
    if (hb == NULL)
        return;
    heartbeat_stop(hb);
    pg_close(hb->conn);   /* only set when the thread never ran */
    pthread_cond_destroy(&hb->wake);
    pthread_mutex_destroy(&hb->mu);
    free(hb->acks);
    if (hb->spill != NULL)
        fclose(hb->spill);
    free(hb->failures);
    free(hb->conninfo);
    gate_free(hb);
    free(hb);
}

bool heartbeat_running(const Heartbeat *hb)
{
    return hb != NULL && atomic_load(&hb->running);
}

int heartbeat_acks_range(Heartbeat *hb, size_t from, size_t max, HeartbeatAck **out, size_t *n,
                         DrillError *err)
{
    pthread_mutex_lock(&hb->mu);
    size_t total = hb->nspilled + hb->nacks;
    size_t count = from < total ? total - from : 0;
    count = count > max ? max : count;
    HeartbeatAck *a = xmalloc((count ? count : 1) * sizeof *a);
    /* [from, from + count) may straddle the spill file and the memory buffer. */
    size_t from_spill = from < hb->nspilled ? hb->nspilled - from : 0;
    from_spill = from_spill > count ? count : from_spill;
    int rc = from_spill > 0 ? spill_read(hb, from, from_spill, a) : 0;
    int saved = errno;
    if (rc == 0 && count > from_spill)
        memcpy(a + from_spill, hb->acks + (from + from_spill - hb->nspilled),
               (count - from_spill) * sizeof *a);
    pthread_mutex_unlock(&hb->mu);
    errno = saved;
    if (rc < 0) {
        free(a);
        a = NULL;
        count = 0;
        rc = drill_error_set(err, DRILL_E_IO, "heartbeat: cannot read back the acknowledged "
                             "heartbeats spilled to a temporary file: %s", strerror(errno));
    }
    *out = a;
    *n = count;
    return rc;
}

int heartbeat_acks(Heartbeat *hb, HeartbeatAck **out, size_t *n, DrillError *err)
{
    return heartbeat_acks_range(hb, 0, SIZE_MAX, out, n, err);
}

int64_t heartbeat_first_failure_after(Heartbeat *hb, int64_t mono_us)
{
    int64_t found = -1;
    pthread_mutex_lock(&hb->mu);
    size_t lo = 0, hi = hb->nfail;   /* failure times only grow: binary search */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hb->failures[mid] < mono_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < hb->nfail)
        found = hb->failures[lo];
    pthread_mutex_unlock(&hb->mu);
    return found;
}

/* The first spilled ack after after_mono_us (ack times only grow: binary
 * search with one read per probe); the caller holds mu. */
static int spill_first_after(Heartbeat *hb, int64_t after_mono_us, HeartbeatAck *out)
{
    size_t lo = 0, hi = hb->nspilled;
    HeartbeatAck a;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (spill_read(hb, mid, 1, &a) < 0)
            return -1;
        if (a.mono_us <= after_mono_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hb->nspilled ? spill_read(hb, lo, 1, out) : -1;
}

int heartbeat_first_ack_after(Heartbeat *hb, int64_t after_mono_us, HeartbeatAck *out)
{
    int rc = -1;
    pthread_mutex_lock(&hb->mu);
    if (hb->nspilled > 0 && (hb->nacks == 0 || hb->acks[0].mono_us > after_mono_us) &&
        spill_first_after(hb, after_mono_us, out) == 0) {
        pthread_mutex_unlock(&hb->mu);
        return 0;
    }
    size_t lo = 0, hi = hb->nacks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hb->acks[mid].mono_us <= after_mono_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < hb->nacks) {
        *out = hb->acks[lo];
        rc = 0;
    }
    pthread_mutex_unlock(&hb->mu);
    return rc;
}

int heartbeat_first_clean_ack_after(Heartbeat *hb, int64_t after_mono_us, HeartbeatAck *out)
{
    int rc = heartbeat_first_ack_after(hb, after_mono_us, out);
    while (rc == 0 && out->sync_wait_cancelled)
        rc = heartbeat_first_ack_after(hb, out->mono_us, out);
    return rc;
}

bool heartbeat_ack_stalled(const Heartbeat *hb, const HeartbeatAck *ack)
{
    int64_t bound = 10 * hb->interval_us > HEARTBEAT_STALL_US ? 10 * hb->interval_us
                                                               : HEARTBEAT_STALL_US;
    return ack->mono_us - ack->sent_mono_us > bound;
}

int heartbeat_first_stalled_ack(Heartbeat *hb, int64_t after_mono_us, int64_t until_mono_us,
                                HeartbeatAck *out)
{
    int64_t t = after_mono_us;
    while (heartbeat_first_ack_after(hb, t, out) == 0 && out->mono_us <= until_mono_us) {
        if (heartbeat_ack_stalled(hb, out))
            return 0;
        t = out->mono_us;
    }
    return -1;
}

void heartbeat_stats(Heartbeat *hb, HeartbeatStats *out)
{
    pthread_mutex_lock(&hb->mu);
    *out = hb->stats;
    pthread_mutex_unlock(&hb->mu);
}
