/*
 * pg_ready.c — pg_wait_ready: polling a server until it accepts
 * connections, or until it is writable (not in recovery).
 *
 * Apart from pg_conn.c because it is a loop over connections with its own
 * budget per attempt and its own rule for which failure to report.
 */
#include "pg.h"

#include <inttypes.h>

#include "pg_int.h"
#include "util.h"

/* How long one readiness attempt may take: a black-holed host must not eat
 * the whole wait, while loopback answers (or refuses) within a millisecond. */
#define READY_ATTEMPT_MAX_MS 1000
#define READY_GATE_FALLBACK_US 1000000

/* One attempt. A server that answers but is still in recovery keeps its
 * session in *kept for the next attempt: asking it again costs a round trip,
 * while a new connection forks a backend on a server busy replaying WAL — at
 * a 10 ms poll, ~100 forks a second that slowed the very recovery being
 * waited for. A session on a hot standby sees pg_is_in_recovery() turn false
 * as soon as the promotion or the end of recovery happens. */
static int ready_once(const char *conninfo, PgReadiness want, int64_t budget_ms, PgConn **kept,
                      DrillError *err)
{
    PgConn *c = *kept;
    *kept = NULL;
    int rc = c != NULL ? 0 : pg_connect(conninfo, budget_ms, &c, err);
    if (rc != 0 || want == PG_READY_ACCEPTING) {
        pg_close(c);
        return rc;
    }
    bool recovery = true;
    pg_set_query_timeout(c, budget_ms);
    rc = pg_is_in_recovery(c, &recovery, err);
    if (rc == 0 && recovery) {
        *kept = c;
        return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: still in recovery (read-only)",
                               c->endpoint);
    }
    pg_close(c);
    return rc;
}

int pg_wait_ready(const char *conninfo, PgReadiness want, int64_t timeout_ms, int poll_ms,
                  DrillError *err)
{
    return pg_wait_ready_local(conninfo, NULL, want, timeout_ms, poll_ms, err);
}

/* A local server's postmaster.pid says it cannot serve yet: the attempt is
 * answered from the file (pg_pidfile.c says why). */
static int gated(const char *data_directory, PgReadiness want, DrillError *err)
{
    PgPmStatus st = pg_pm_status(data_directory);
    if (pg_pm_may_serve(st, want))
        return 0;
    return drill_error_set(err, DRILL_E_PG, "%s/postmaster.pid: %s", data_directory,
                           st == PG_PM_ABSENT ? "no server running" : pg_pm_status_name(st));
}

int pg_wait_ready_local(const char *conninfo, const char *data_directory, PgReadiness want,
                        int64_t timeout_ms, int poll_ms, DrillError *err)
{
    DrillError last = {0};
    PgConn *kept = NULL;
    int64_t last_ask = time_mono_us();
    int64_t period = (poll_ms > 0 ? poll_ms : 10) * 1000;
    int64_t deadline = time_mono_us() + (timeout_ms > 0 ? timeout_ms : 0) * 1000;
    for (;;) {
        int64_t tick = time_mono_us();
        int64_t budget = (deadline - tick + 999) / 1000;
        budget = budget < 1 ? 1 : budget > READY_ATTEMPT_MAX_MS ? READY_ATTEMPT_MAX_MS : budget;
        DrillError attempt = {0};
        /* A session kept on a standby answers for itself (a promotion shows
         * in pg_is_in_recovery() before the pid file says "ready"). */
        /* Once a second the server is asked anyway: a data_directory that
         * is not the server's costs precision, never the wait. */
        bool ask = tick - last_ask >= READY_GATE_FALLBACK_US;
        int rc = kept == NULL && data_directory != NULL && !ask
                     ? gated(data_directory, want, &attempt)
                     : 0;
        if (rc == 0 && kept == NULL)
            last_ask = tick;
        if (rc == 0)
            rc = ready_once(conninfo, want, budget, &kept, &attempt);
        if (rc == 0)
            return 0;
        if (rc == DRILL_E_INVALID)
            return drill_error_set(err, rc, "%s", attempt.message);
        /* An attempt cut short by the overall deadline says less than the
         * one before it ("still in recovery"): keep the informative one. */
        if (rc != DRILL_E_TIMEOUT || budget == READY_ATTEMPT_MAX_MS || last.message[0] == '\0')
            last = attempt;
        int64_t now = time_mono_us();
        if (now >= deadline) {
            pg_close(kept);
            return drill_error_set(err, DRILL_E_TIMEOUT, "not %s within %" PRId64 " ms; last "
                                   "attempt: %s", want == PG_READY_WRITABLE ? "writable" :
                                   "accepting connections", timeout_ms, last.message);
        }
        int64_t next = tick + period < deadline ? tick + period : deadline;
        if (next > now)
            sleep_us(next - now);
    }
}
