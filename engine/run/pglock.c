/* pglock.c — see pglock.h. */
#include "pglock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "util.h"

#define LOCK_CONNECT_MS 5000

struct PgLock {
    PgConn *conn;
    bool lost;
};

static const Node *primary_of(const Topology *t)
{
    const Node *n = topology_find(t, "primary");
    return n != NULL && n->role == ROLE_PRIMARY && n->conninfo != NULL ? n : NULL;
}

/* A session on the primary named app_name (NULL: the conninfo's name). */
static int connect_primary(const Node *n, const char *app_name, PgConn **c, DrillError *err)
{
    char *conninfo = NULL;
    int rc = app_name != NULL
                 ? pg_conninfo_set(n->conninfo, "application_name", app_name, &conninfo, err)
                 : 0;
    if (rc == 0)
        rc = pg_connect(conninfo != NULL ? conninfo : n->conninfo, LOCK_CONNECT_MS, c, err);
    free(conninfo);
    if (rc == 0)
        pg_set_query_timeout(*c, LOCK_CONNECT_MS);
    return rc;
}

/* "pid 123 (application_name "x", client 127.0.0.1, connected since T)". */
static void describe_holder(PgConn *c, char *out, size_t outsz)
{
    PgLockHolder h;
    bool found = false;
    DrillError e;
    if (pg_drill_lock_holder(c, &h, &found, &e) < 0 || !found) {
        snprintf(out, outsz, "a session drill cannot identify");
        return;
    }
    snprintf(out, outsz, "pid %s (application_name \"%s\", client %s, connected since %s)",
             h.pid, h.application_name, h.client_addr, h.backend_start);
}

static int refuse(const Node *n, PgConn *c, DrillError *err)
{
    char who[512];
    describe_holder(c, who, sizeof who);
    return drill_error_set(err, DRILL_E_ABORTED,
                           "another drill holds drill's advisory lock on primary %s: %s; "
                           "nothing was touched\n  hint: wait for it to finish (pg_locks: "
                           "locktype advisory, classid %d, objid %d)",
                           n->name, who, PG_DRILL_LOCK_CLASS, PG_DRILL_LOCK_OBJECT);
}

int pglock_acquire(const Topology *t, int64_t run_id, PgLock **out, DrillError *err)
{
    *out = NULL;
    const Node *n = primary_of(t);
    if (n == NULL)
        return 0;
    char app[64];
    snprintf(app, sizeof app, "drill-lock run %lld", (long long)run_id);
    PgConn *c = NULL;
    bool granted = false;
    int rc = connect_primary(n, app, &c, err);
    if (rc == 0)
        rc = pg_drill_lock_try(c, &granted, err);
    if (rc == 0 && !granted)
        rc = refuse(n, c, err);
    else if (rc < 0) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        rc = drill_error_set(err, DRILL_E_PG, "cannot take drill's advisory lock on primary "
                             "%s: %s", n->name, why);
    }
    if (rc < 0) {
        pg_close(c);
        return rc;
    }
    PgLock *l = xcalloc(1, sizeof *l);
    l->conn = c;
    *out = l;
    return 0;
}

bool pglock_lost(PgLock *l)
{
    if (l == NULL || l->lost || pg_conn_alive(l->conn))
        return false;
    l->lost = true;
    return true;
}

void pglock_release(PgLock *l)
{
    if (l == NULL)
        return;
    pg_close(l->conn);
    free(l);
}

int pglock_probe(const Topology *t, char *why, size_t whysz, DrillError *err)
{
    const Node *n = primary_of(t);
    snprintf(why, whysz, "topology has no primary with a conninfo: no lock to check");
    if (n == NULL)
        return 0;
    PgConn *c = NULL;
    PgLockHolder h;
    bool found = false;
    int rc = connect_primary(n, NULL, &c, err);
    if (rc == 0)
        rc = pg_drill_lock_holder(c, &h, &found, err);
    if (rc == 0 && found)
        describe_holder(c, why, whysz);
    else if (rc == 0)
        snprintf(why, whysz, "free on primary %s", n->name);
    pg_close(c);
    return rc < 0 ? rc : found ? 1 : 0;
}

/* ---- the unfinished-drill marker ---- */

/* Connects to the primary for one marker call; 1 when there is no primary to
 * ask (nothing to do). */
static int marker_conn(const Topology *t, PgConn **c, DrillError *err)
{
    const Node *n = primary_of(t);
    if (n == NULL)
        return 1;
    return connect_primary(n, "drill-marker", c, err);
}

int pgmark_set(const Topology *t, const char *key, const PgMarker *m, DrillError *err)
{
    PgConn *c = NULL;
    int rc = marker_conn(t, &c, err);
    if (rc == 0)
        rc = pg_marker_set(c, key, m, err);
    pg_close(c);
    return rc < 0 ? rc : 0;
}

int pgmark_find(const Topology *t, const char *key, PgMarker *m, DrillError *err)
{
    memset(m, 0, sizeof *m);
    PgConn *c = NULL;
    bool found = false;
    int rc = marker_conn(t, &c, err);
    if (rc == 0)
        rc = pg_marker_get(c, key, m, &found, err);
    pg_close(c);
    return rc < 0 ? rc : found ? 1 : 0;
}

int pgmark_clear(const Topology *t, const char *key, DrillError *err)
{
    PgConn *c = NULL;
    int rc = marker_conn(t, &c, err);
    if (rc == 0)
        rc = pg_marker_clear(c, key, err);
    pg_close(c);
    return rc < 0 ? rc : 0;
}
