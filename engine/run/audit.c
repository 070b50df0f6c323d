/*
 * audit.c — see audit.h. One function per node kind; each check adds one
 * finding (ok or not), its why and fix taken from the table below, so the
 * text a DBA reads about a check is written once.
 */
#include "audit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "evidence.h"
#include "store.h"
#include "nodeexec.h"
#include "pg.h"
#include "size.h"
#include "util.h"

#define AUDIT_CONNECT_MS 5000
#define AUDIT_BARMAN_MS 60000
#define AUDIT_LAG_WARN (16 * 1024 * 1024)    /* one WAL segment */
#define AUDIT_FINDINGS_MAX 512

typedef struct CheckText {
    const char *id, *why, *fix;
} CheckText;

static const CheckText texts[] = {
    {"reachable", "a node drill cannot reach cannot be recovered by a runbook that relies on it",
     "check the topology's conninfo / ssh block and that the server runs"},
    {"role", "the topology says one thing and the server another: drills and runbooks would "
     "act on the wrong node", "fix the topology's role, or the server"},
    {"slot_inactive", "an inactive slot pins WAL on the primary until pg_wal fills and the "
     "primary stops (drill: wal-disk-full), or until max_slot_wal_keep_size invalidates it",
     "bring its consumer back, or drop the slot (pg_drop_replication_slot)"},
    {"slot_limit", "with max_slot_wal_keep_size = -1 a stopped consumer's slot keeps WAL "
     "without bound: pg_wal fills and the primary stops (drill: wal-disk-full)",
     "set max_slot_wal_keep_size below what pg_wal's filesystem holds beside max_wal_size"},
    {"standby_lag", "a standby behind by N bytes loses them at a failover and needs them "
     "replayed before it can take over (measured in bytes, not by replay timestamp)",
     "find what slows the standby (network, I/O, replay conflicts)"},
    {"sync_single_point", "synchronous commit with one synchronous standby: when it is lost "
     "every commit waits (drill: sync-standby-lost); with none connected, commits hang now",
     "name two or more standbys (ANY 1 (a, b)), or accept the stall in the runbook"},
    {"sync_async", "asynchronous replication: a failover loses the commits the standby had not "
     "received (RPO > 0, drill: standby-failover)",
     "set synchronous_standby_names if acknowledged commits must survive a failover"},
    {"archiver_failing", "WAL archiving is failing: the archive has a hole from here on and "
     "point-in-time recovery past it is impossible",
     "see pg_stat_archiver.last_failed_wal and the server log; fix archive_command"},
    {"data_checksums", "without data checksums a damaged block is read as valid data "
     "(drill: block-corruption)", "initdb --data-checksums, or pg_checksums --enable offline"},
    {"rewind_possible", "pg_rewind needs wal_log_hints or data checksums: without them a failed "
     "old primary must be re-cloned in full", "set wal_log_hints = on (restart)"},
    {"full_page_writes", "full_page_writes = off risks torn pages after a crash: crash recovery "
     "and pg_rewind may not repair them", "set full_page_writes = on"},
    {"config_outside_pgdata", "configuration files outside the data directory are not in a "
     "backup of it (Barman's postgres method, pgBackRest): a restored node needs them by hand",
     "keep a copy in configuration management, or back them up beside the data"},
    {"standby_upstream", "a standby without primary_conninfo does not stream: it only "
     "replays what restore_command gives it, and lags", "set primary_conninfo"},
    {"standby_slot", "a standby without primary_slot_name can fall behind what the primary "
     "keeps and need a re-clone", "create a physical slot and set primary_slot_name"},
    {"standby_streaming", "a standby that does not stream right now is as old as its last "
     "received WAL", "see the standby's log (pg_stat_wal_receiver has no row)"},
    {"standby_restore_command", "without restore_command a standby that falls behind what its "
     "upstream keeps cannot fetch the missing WAL from the archive: it must be re-cloned",
     "set restore_command on the standby (barman-wal-restore, barman get-wal or pgbackrest "
     "archive-get)"},
    {"rehearsal_age", "a recovery not rehearsed within its schedule is a guess again: the "
     "topology, the data size or the tools may have changed since the last run that passed",
     "run the drill (drill run DRILL -t TOPOLOGY) or fix what makes it fail"},
    {"barman_check", "a failing `barman check` means the next backup or WAL archive may not "
     "exist when a restore needs it", "run barman check SERVER and fix each FAILED line"},
    {"pgbackrest_info", "a stanza pgBackRest does not report ok (no backup, a missing or "
     "mismatched repository) cannot be restored from (drill: primary-wipe-pgbackrest)",
     "run pgbackrest info and pgbackrest check for the stanza and fix what they report"},
    {"backup_age", "every hour since the newest backup is WAL a restore must replay: RTO grows "
     "with it, and a broken backup job shows here first", "fix the backup schedule; declare "
     "max_backup_age on the backup node to hold it to a limit"},
    {"backup_count", "with fewer backups than declared, one damaged backup set leaves nothing to "
     "restore (drill: backup-verify-pgbackrest)", "keep more full backups "
     "(repo1-retention-full) or declare min_backups to match"},
};

static const CheckText *text_of(const char *id)
{
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(texts[i].id, id) == 0)
            return &texts[i];
    return &texts[0];
}

const char *audit_severity_name(AuditSeverity s)
{
    static const char *const names[] = {"ok", "info", "warning", "critical"};
    return names[s];
}

size_t audit_count(const AuditReport *r, AuditSeverity s)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].severity == s;
    return n;
}

/* Room for one more finding; NULL once AUDIT_FINDINGS_MAX are held. */
static AuditFinding *finding_new(AuditReport *r)
{
    if (r->n == r->cap) {
        if (r->cap == AUDIT_FINDINGS_MAX)
            return NULL;
        r->cap = r->cap ? r->cap * 2 : 32;
        r->items = xrealloc(r->items, r->cap * sizeof *r->items);
    }
    return &r->items[r->n++];
}

static void add(AuditReport *r, const char *id, const Node *n, AuditSeverity sev,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(AuditReport *r, const char *id, const Node *n, AuditSeverity sev,
                const char *fmt, ...)
{
    AuditFinding *f = finding_new(r);
    if (f == NULL)
        return;
    const CheckText *t = text_of(id);
    snprintf(f->check, sizeof f->check, "%s", id);
    snprintf(f->node, sizeof f->node, "%s", n->name);
    f->severity = sev;
    f->why = t->why;
    f->fix = t->fix;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->value, sizeof f->value, fmt, ap);
    va_end(ap);
}

void audit_report_free(AuditReport *r)
{
    if (r == NULL)
        return;
    free(r->items);
    r->items = NULL;
    r->n = r->cap = 0;
}

typedef struct Settings {
    PgSetting *v;
    size_t n;
} Settings;

static const char *setting(const Settings *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return s->v[i].value;
    return "";
}

static bool on(const Settings *s, const char *name)
{
    return strcmp(setting(s, name), "on") == 0;
}

/* ---- checks every PostgreSQL node gets ---------------------------------- */

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void check_config_files(AuditReport *r, const Node *n, const Settings *s)
{
    const char *data = setting(s, "data_directory");
    const char *files[] = {"config_file", "hba_file", "ident_file"};
    Buf out;
    buf_init(&out, 4096);
    for (size_t i = 0; i < 3; i++)
        if (!under(setting(s, files[i]), data))
            buf_appendf(&out, "%s%s", out.len ? ", " : "", setting(s, files[i]));
    if (out.len > 0)
        add(r, "config_outside_pgdata", n, AUDIT_WARNING, "outside %s: %s", data, out.data);
    else
        add(r, "config_outside_pgdata", n, AUDIT_OK, "all in %s", data);
    buf_free(&out);
}

static void check_settings(AuditReport *r, const Node *n, const Settings *s)
{
    bool sums = on(s, "data_checksums"), hints = on(s, "wal_log_hints");
    add(r, "data_checksums", n, sums ? AUDIT_OK : AUDIT_WARNING, "data_checksums = %s",
        setting(s, "data_checksums"));
    add(r, "rewind_possible", n, sums || hints ? AUDIT_OK : AUDIT_WARNING,
        "wal_log_hints = %s, data_checksums = %s", setting(s, "wal_log_hints"),
        setting(s, "data_checksums"));
    add(r, "full_page_writes", n, on(s, "full_page_writes") ? AUDIT_OK : AUDIT_CRITICAL,
        "full_page_writes = %s", setting(s, "full_page_writes"));
    check_config_files(r, n, s);
}

/* ---- a primary ------------------------------------------------------------ */

static void check_slots(AuditReport *r, const Node *n, PgConn *c)
{
    PgSlot *slots = NULL;
    size_t ns = 0;
    DrillError err;
    if (pg_slots(c, &slots, &ns, &err) < 0) {
        add(r, "slot_inactive", n, AUDIT_WARNING, "cannot read pg_replication_slots: %s",
            err.message);
        return;
    }
    for (size_t i = 0; i < ns; i++) {
        char held[32];
        size_format_mb(slots[i].retained_bytes > 0 ? slots[i].retained_bytes : 0, held,
                       sizeof held);
        bool lost = strcmp(slots[i].wal_status, "lost") == 0;
        AuditSeverity sev = lost ? AUDIT_CRITICAL : slots[i].active ? AUDIT_OK : AUDIT_WARNING;
        add(r, "slot_inactive", n, sev, "slot %s: %s, holds %s of WAL, wal_status %s",
            slots[i].name, slots[i].active ? "active" : "INACTIVE", held,
            slots[i].wal_status[0] ? slots[i].wal_status : "none");
    }
    int64_t limit = -1;
    if (pg_slot_keep_limit(c, &limit, &err) == 0) {
        if (limit < 0)
            add(r, "slot_limit", n, ns > 0 ? AUDIT_WARNING : AUDIT_OK,
                "max_slot_wal_keep_size = -1 (unlimited), %zu slot(s)", ns);
        else
            add(r, "slot_limit", n, AUDIT_OK, "max_slot_wal_keep_size = %lld MB",
                (long long)(limit / 1048576));
    }
    free(slots);
}

static void check_replicas(AuditReport *r, const Node *n, PgConn *c)
{
    PgReplica *reps = NULL;
    size_t nr = 0;
    DrillError err;
    if (pg_replicas(c, &reps, &nr, &err) < 0)
        return;
    for (size_t i = 0; i < nr; i++) {
        const PgReplica *p = &reps[i];
        const char *addr = p->client_addr[0] ? p->client_addr : "local";
        if (p->lag_bytes < 0)   /* pg_receivewal replays nothing: no replay_lsn */
            add(r, "standby_lag", n, AUDIT_OK, "%s (%s): no replay position (a WAL receiver "
                "such as Barman's), state %s", p->application_name, addr, p->state);
        else
            add(r, "standby_lag", n, p->lag_bytes > AUDIT_LAG_WARN ? AUDIT_WARNING : AUDIT_OK,
                "%s (%s): %lld bytes behind (replay), state %s", p->application_name, addr,
                (long long)p->lag_bytes, p->state);
    }
    free(reps);
}

static void check_sync(AuditReport *r, const Node *n, PgConn *c, const Settings *s)
{
    const char *names = setting(s, "synchronous_standby_names");
    if (names[0] == '\0') {
        add(r, "sync_async", n, AUDIT_INFO, "synchronous_standby_names is empty");
        return;
    }
    int64_t k = 0;
    DrillError err;
    if (pg_sync_candidates(c, &k, &err) < 0)
        return;
    AuditSeverity sev = k == 0 ? AUDIT_CRITICAL : k == 1 ? AUDIT_WARNING : AUDIT_OK;
    add(r, "sync_single_point", n, sev, "synchronous_standby_names = '%s': %lld connected "
        "candidate(s)", names, (long long)k);
}

static void check_archiver(AuditReport *r, const Node *n, PgConn *c)
{
    int64_t failing = 0;
    DrillError err;
    if (pg_archiver_failing(c, &failing, &err) < 0)
        return;
    add(r, "archiver_failing", n, failing > 0 ? AUDIT_CRITICAL : AUDIT_OK,
        failing > 0 ? "the last archive attempt failed (%lld failures)"
                    : "no failing archive_command (%lld)", (long long)failing);
}

/* ---- a standby ------------------------------------------------------------ */

static void check_standby(AuditReport *r, const Node *n, PgConn *c, const Settings *s)
{
    bool upstream = strcmp(setting(s, "primary_conninfo"), "true") == 0;
    add(r, "standby_upstream", n, upstream ? AUDIT_OK : AUDIT_CRITICAL, "primary_conninfo %s",
        upstream ? "set" : "empty");
    const char *slot = setting(s, "primary_slot_name");
    add(r, "standby_slot", n, slot[0] ? AUDIT_OK : AUDIT_WARNING, "primary_slot_name = '%s'",
        slot);
    const char *restore = setting(s, "restore_command");
    add(r, "standby_restore_command", n, restore[0] ? AUDIT_OK : AUDIT_INFO,
        restore[0] ? "restore_command set" : "restore_command empty (streaming only)");
    PgReceiver rcv;
    DrillError err;
    if (pg_wal_receiver(c, &rcv, &err) < 0)
        return;
    bool streaming = rcv.present && strcmp(rcv.status, "streaming") == 0;
    add(r, "standby_streaming", n, streaming ? AUDIT_OK : AUDIT_CRITICAL, "WAL receiver %s",
        rcv.present ? rcv.status : "not running");
}

static void audit_pg_node(AuditReport *r, const Node *n)
{
    char *conninfo = NULL;
    PgConn *c = NULL;
    DrillError err;
    int rc = pg_conninfo_set(n->conninfo, "options", "-c default_transaction_read_only=on",
                             &conninfo, &err);
    if (rc == 0)
        rc = pg_connect(conninfo, AUDIT_CONNECT_MS, &c, &err);
    free(conninfo);
    if (rc < 0) {
        add(r, "reachable", n, AUDIT_CRITICAL, "%s", err.message);
        r->unreachable++;
        return;
    }
    Settings s = {NULL, 0};
    bool recovery = false;
    if (pg_audit_settings(c, &s.v, &s.n, &err) < 0 || pg_is_in_recovery(c, &recovery, &err) < 0) {
        add(r, "reachable", n, AUDIT_CRITICAL, "%s", err.message);
        r->unreachable++;
        free(s.v);
        pg_close(c);
        return;
    }
    bool primary_role = n->role == ROLE_PRIMARY;
    add(r, "role", n, primary_role == !recovery ? AUDIT_OK : AUDIT_CRITICAL,
        "topology role %s, server %s", node_role_name(n->role),
        recovery ? "in recovery (a standby)" : "a primary");
    check_settings(r, n, &s);
    if (!recovery) {
        check_slots(r, n, c);
        check_replicas(r, n, c);
        check_sync(r, n, c, &s);
        check_archiver(r, n, c);
    } else {
        check_standby(r, n, c, &s);
    }
    free(s.v);
    pg_close(c);
}

/* ---- a backup node ---------------------------------------------------------- */

/* Runs argv on the backup node as its OS user; < 0 (finding `reachable`
 * added) when it cannot run at all. */
static int backup_exec(AuditReport *r, const Node *n, Executor *local, char *const *argv,
                       ExecResult *res)
{
    Executor *remote = NULL;
    DrillError err;
    memset(res, 0, sizeof *res);
    int rc = node_exec_open(n, false, &remote, &err);
    if (rc == 0) {
        ExecRequest req = {.argv = argv, .run_as = n->os_user, .timeout_ms = AUDIT_BARMAN_MS};
        rc = exec_run(remote ? remote : local, &req, res, &err);
    }
    exec_free(remote);
    if (rc < 0) {
        add(r, "reachable", n, AUDIT_CRITICAL, "%s", err.message);
        r->unreachable++;
    }
    return rc;
}

static void audit_barman(AuditReport *r, const Node *n, Executor *local)
{
    Argv a = {.n = 0};
    argv_add(&a, "barman");
    argv_add(&a, "-c");
    argv_add(&a, n->barman_config);
    argv_add(&a, "check");
    argv_add(&a, n->barman_server);
    ExecResult res;
    if (backup_exec(r, n, local, a.v, &res) == 0) {
        /* The FAILED lines are the value; the OK ones say nothing. */
        Buf failed;
        buf_init(&failed, 2048);
        for (char *line = strtok(res.out, "\n"); line != NULL; line = strtok(NULL, "\n"))
            if (strstr(line, "FAILED") != NULL)
                buf_appendf(&failed, "%s%s", failed.len ? "; " : "", line + strspn(line, " \t"));
        bool ok = res.exit_code == 0 && !res.timed_out;
        add(r, "barman_check", n, ok ? AUDIT_OK : AUDIT_CRITICAL, "barman check %s: %s",
            n->barman_server, ok ? "OK" : failed.len ? failed.data : "failed");
        buf_free(&failed);
    }
    exec_result_clear(&res);
    argv_free(&a);
}

/* What the audit reads of `pgbackrest info --output=json` for one stanza:
 * its status, how many backup sets it has, when the newest one ended. A
 * scan for fixed keys of pgBackRest's documented output, not a JSON parser:
 * a value it cannot find stays unknown (-1). */
typedef struct RepoInfo {
    int status;              /* stanza status code: 0 ok */
    char message[128];       /* its message */
    int backups;             /* backup sets */
    int64_t newest_stop;     /* epoch seconds the newest backup ended; -1 none */
    char archive_max[32];    /* newest archived segment, "" unknown */
} RepoInfo;

static int64_t json_int_after(const char *p, const char *key)
{
    const char *k = strstr(p, key);
    return k != NULL ? strtoll(k + strlen(key), NULL, 10) : -1;
}

static void json_str_after(const char *p, const char *key, char *out, size_t size)
{
    const char *k = strstr(p, key);
    out[0] = '\0';
    if (k == NULL)
        return;
    k += strlen(key);
    size_t len = strcspn(k, "\"");
    snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), k);
}

static void repo_info_scan(const char *json, RepoInfo *ri)
{
    memset(ri, 0, sizeof *ri);
    ri->newest_stop = -1;
    ri->status = (int)json_int_after(json, "\"status\":{\"code\":");
    json_str_after(json, "\"message\":\"", ri->message, sizeof ri->message);
    for (const char *p = strstr(json, "\"timestamp\":{\"start\":"); p != NULL;
         p = strstr(p + 1, "\"timestamp\":{\"start\":")) {
        ri->backups++;
        int64_t stop = json_int_after(p, "\"stop\":");
        if (stop > ri->newest_stop)
            ri->newest_stop = stop;
    }
    json_str_after(json, "\"max\":\"", ri->archive_max, sizeof ri->archive_max);
}

static void audit_backup_objectives(AuditReport *r, const Node *n, const RepoInfo *ri)
{
    if (ri->newest_stop < 0) {
        add(r, "backup_age", n, AUDIT_CRITICAL, "stanza %s has no backup", n->pgbackrest_stanza);
    } else {
        int64_t age_ms = time_utc_ms() - ri->newest_stop * 1000;
        bool too_old = n->max_backup_age_ms > 0 && age_ms > n->max_backup_age_ms;
        add(r, "backup_age", n, too_old ? AUDIT_CRITICAL : n->max_backup_age_ms ? AUDIT_OK : AUDIT_INFO,
            "newest backup ended %.1f h ago (%s)", (double)age_ms / 3600000.0,
            n->max_backup_age_ms ? (too_old ? "older than max_backup_age" : "within max_backup_age")
                                 : "no max_backup_age declared");
    }
    bool few = n->min_backups > 0 && ri->backups < n->min_backups;
    if (n->min_backups > 0)
        add(r, "backup_count", n, few ? AUDIT_CRITICAL : AUDIT_OK, "%d backup set(s) (min_backups "
            "%d)", ri->backups, n->min_backups);
    else
        add(r, "backup_count", n, AUDIT_INFO, "%d backup set(s) (no min_backups declared)",
            ri->backups);
}

static void cmd_pgbackrest_info(const Node *n, Argv *a)
{
    argv_add(a, "pgbackrest");
    if (n->pgbackrest_config != NULL)
        argv_addf(a, "--config=%s", n->pgbackrest_config);
    argv_addf(a, "--stanza=%s", n->pgbackrest_stanza);
    argv_add(a, "--output=json");
    argv_add(a, "info");
}

/* Read-only: `pgbackrest info` only (`pgbackrest check` would switch WAL on
 * the primary). */
static void audit_pgbackrest(AuditReport *r, const Node *n, Executor *local)
{
    Argv a = {.n = 0};
    cmd_pgbackrest_info(n, &a);
    ExecResult res;
    if (backup_exec(r, n, local, a.v, &res) == 0) {
        RepoInfo ri;
        repo_info_scan(res.out ? res.out : "", &ri);
        bool ok = res.exit_code == 0 && !res.timed_out && ri.status == 0;
        if (!ok)
            add(r, "pgbackrest_info", n, AUDIT_CRITICAL, "pgbackrest info %s: %s",
                n->pgbackrest_stanza, ri.message[0] ? ri.message : "failed");
        else
            add(r, "pgbackrest_info", n, AUDIT_OK, "stanza %s: %s, %d backup set(s), newest "
                "archived WAL %s", n->pgbackrest_stanza, ri.message, ri.backups,
                ri.archive_max[0] ? ri.archive_max : "none");
        if (res.exit_code == 0 && !res.timed_out)
            audit_backup_objectives(r, n, &ri);
    }
    exec_result_clear(&res);
    argv_free(&a);
}

static void audit_backup_node(AuditReport *r, const Node *n, Executor *local)
{
    if (n->tool == TOOL_PGBACKREST)
        audit_pgbackrest(r, n, local);
    else
        audit_barman(r, n, local);
}

/* The Barman nodes are looked at in a thread of their own, beside the
 * PostgreSQL ones: `barman check` costs about a second of Python start-up
 * alone, the whole PostgreSQL side less. */
typedef struct BackupJob {
    const Topology *t;
    AuditReport r;
} BackupJob;

static void *backup_main(void *arg)
{
    BackupJob *j = arg;
    Executor *local = exec_local_new();
    for (size_t i = 0; i < j->t->nnodes; i++)
        if (j->t->nodes[i].role == ROLE_BACKUP)
            audit_backup_node(&j->r, &j->t->nodes[i], local);
    exec_free(local);
    return NULL;
}

/* Appends b's findings to a (node order: PostgreSQL nodes, then Barman). */
static void merge(AuditReport *a, const AuditReport *b)
{
    for (size_t i = 0; i < b->n; i++) {
        AuditFinding *f = finding_new(a);
        if (f != NULL)
            *f = b->items[i];
    }
    a->unreachable += b->unreachable;
}

int audit_run(const Topology *t, AuditReport *out, DrillError *err)
{
    memset(out, 0, sizeof *out);
    int64_t t0 = time_mono_us();
    BackupJob job = {.t = t};
    pthread_t th;
    if (pthread_create(&th, NULL, backup_main, &job) != 0)
        return drill_error_set(err, DRILL_E_NOMEM, "cannot start the audit's Barman thread");
    for (size_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].role != ROLE_BACKUP)
            audit_pg_node(out, &t->nodes[i]);
    pthread_join(th, NULL);
    merge(out, &job.r);
    audit_report_free(&job.r);
    out->duration_ms = (time_mono_us() - t0) / 1000;
    return 0;
}

void audit_rehearsals(Store *st, const Topology *t, AuditReport *r)
{
    Node target = {.name = t->name ? t->name : (char *)(uintptr_t)"topology"};
    int64_t now = time_utc_ms();
    for (size_t i = 0; i < t->nrehearse_every; i++) {
        const Rehearsal *h = &t->rehearse_every[i];
        int64_t id = 0, started = 0;
        DrillError err;
        if (store_last_passed(st, h->drill, t->name, &id, &started, &err) < 0) {
            add(r, "rehearsal_age", &target, AUDIT_CRITICAL, "%s: cannot read the store: %s",
                h->drill, err.message);
            continue;
        }
        int64_t age_h = (now - started) / 3600000, max_h = h->max_age_ms / 3600000;
        if (id == 0)
            add(r, "rehearsal_age", &target, AUDIT_CRITICAL, "%s: never passed on %s (due every "
                "%lld h)", h->drill, target.name, (long long)max_h);
        else
            add(r, "rehearsal_age", &target,
                now - started > h->max_age_ms ? AUDIT_CRITICAL : AUDIT_OK,
                "%s: last passed %lld h ago (run %lld), due every %lld h", h->drill,
                (long long)age_h, (long long)id, (long long)max_h);
    }
}

/* ---- the audit as a stored, sealed run -------------------------------------- */

static const char AUDIT_SOURCE[] =
    "# drill audit: built-in read-only checks of a topology (drill(1), audit).\n"
    "# PostgreSQL sessions with default_transaction_read_only; barman check.\n";

static int audit_begin(Store *st, const Topology *t, const char *topology_file, int64_t t0_utc,
                       int64_t *run_id, DrillError *err)
{
    char uuid[UUID_STR_SIZE], sha[65], host[256] = "";
    int rc = uuid_new(uuid, err);
    if (rc < 0)
        return rc;
    gethostname(host, sizeof host - 1);
    sha256_hex(AUDIT_SOURCE, sizeof AUDIT_SOURCE - 1, sha);
    RunInfo info = {.drill_name = "audit", .drill_file = "(built in: drill audit)",
                    .drill_sha256 = sha, .drill_source = AUDIT_SOURCE,
                    .topology_name = t->name, .topology_file = topology_file,
                    .hostname = host, .drill_version = DRILL_VERSION,
                    .started_utc_ms = t0_utc, .rto_target_ms = -1, .rpo_target_ms = -1,
                    .rpo_tx_target = -1, .pid = (int64_t)getpid(), .uuid = uuid};
    return store_run_begin(st, &info, run_id, err);
}

static void audit_step(Store *st, int64_t run_id, int seq, const AuditFinding *f, bool failed,
                       int64_t utc)
{
    char name[128], message[768];
    snprintf(name, sizeof name, "%s %s", f->check, f->node);
    snprintf(message, sizeof message, "%s: %s", audit_severity_name(f->severity), f->value);
    char *out = f->severity == AUDIT_OK ? NULL : xasprintf("why: %s\nfix: %s\n", f->why, f->fix);
    StepRecord s = {.phase = "audit", .seq = seq, .name = name, .kind = "audit",
                    .node = f->node, .command = "read-only check (drill audit)",
                    .status = failed ? "failed" : "ok", .exit_code = -1,
                    .started_utc_ms = utc, .ended_utc_ms = utc, .out = out,
                    .message = message};
    store_step_add(st, run_id, &s, NULL);
    if (f->severity >= AUDIT_WARNING) {
        char *detail = xasprintf("%s on %s (%s): %s. Why: %s. Fix: %s",
                                 audit_severity_name(f->severity), f->node, f->check, f->value,
                                 f->why, f->fix);
        store_event_add(st, run_id, "finding", utc, 0, detail, NULL);
        free(detail);
    }
    free(out);
}

int audit_record(Store *st, const Topology *t, const char *topology_file, const AuditReport *r,
                 bool strict, int exit_code, int64_t *run_id, DrillError *err)
{
    int64_t now = time_utc_ms(), t0 = now - r->duration_ms;
    int rc = audit_begin(st, t, topology_file, t0, run_id, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->n; i++) {
        const AuditFinding *f = &r->items[i];
        bool failed = f->severity == AUDIT_CRITICAL || (strict && f->severity == AUDIT_WARNING);
        audit_step(st, *run_id, (int)i, f, failed, now);
    }
    for (int sev = AUDIT_OK; sev <= AUDIT_CRITICAL; sev++) {
        char key[32];
        snprintf(key, sizeof key, "audit.%s", audit_severity_name((AuditSeverity)sev));
        store_measure_add(st, *run_id, key, (double)audit_count(r, (AuditSeverity)sev),
                          "findings", "drill audit findings of this severity", NULL);
    }
    store_measure_add(st, *run_id, "audit_ms", (double)r->duration_ms, "ms",
                      "wall time of the audit's checks", NULL);
    const char *verdict = exit_code == 0 ? "passed" : exit_code == 1 ? "failed" : "error";
    char message[256];
    snprintf(message, sizeof message, "%zu critical, %zu warning, %zu unreachable node(s)",
             audit_count(r, AUDIT_CRITICAL), audit_count(r, AUDIT_WARNING), r->unreachable);
    DrillError werr;
    if (store_write_error(st, *run_id, &werr) < 0) {
        verdict = "error";
        snprintf(message, sizeof message, "%s", werr.message);
    }
    RunEnd end = {.verdict = verdict, .exit_code = exit_code, .ended_utc_ms = time_utc_ms(),
                  .duration_us = r->duration_ms * 1000, .message = message};
    return evidence_finish(st, *run_id, &end, err);
}
