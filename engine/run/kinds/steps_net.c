/*
 * steps_net.c — network_cut: a network partition, made on the node itself.
 *
 * The node is cut off from every other node of the topology — one command
 * per peer, by default a blackhole route to the peer's address, so packets
 * vanish the way they do behind a failed switch (no reset: TCP sessions
 * hang, as in a real partition) — while clients and drill, which are no
 * nodes, still reach it. That is what makes a split brain possible and what
 * a fencing step must handle.
 *
 * The undo (`restore: true`) runs each peer's restore command, which must be
 * idempotent (cleanup runs it whatever happened). Should drill never get to
 * it (killed, its host lost), a guard started on the node with the cut runs
 * the restore commands by itself after `auto_restore`; a restore stops it.
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "steps_kinds.h"

#define NET_PEERS_MAX 16

static const char *const default_cut[] = {
    "/bin/sh", "-c", "ip route replace blackhole \"$1\"", "drill-network-cut", "{peer}", NULL};
static const char *const default_restore[] = {
    "/bin/sh", "-c",
    "ip route del blackhole \"$1\" 2>/dev/null; "
    "! ip route show type blackhole | grep -qw -- \"$1\"",
    "drill-network-restore", "{peer}", NULL};

/* The address other hosts know node n by: its SSH host, else its conninfo's. */
static void node_address(const Node *n, char *out, size_t outsz)
{
    if (n->access == ACCESS_SSH && n->ssh.host != NULL) {
        snprintf(out, outsz, "%s", n->ssh.host);
        return;
    }
    out[0] = '\0';
    if (n->conninfo == NULL || pg_conninfo_endpoint(n->conninfo, out, outsz) < 0)
        return;
    char *colon = strrchr(out, ':');   /* "host:port" */
    if (colon != NULL)
        *colon = '\0';
}

static bool is_loopback(const char *a)
{
    return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 || strcmp(a, "localhost") == 0 ||
           a[0] == '/' || a[0] == '\0';
}

typedef struct Peers {
    char addr[NET_PEERS_MAX][128];
    const char *name[NET_PEERS_MAX];
    size_t n;
} Peers;

/* Every other node's address; an error when one cannot be cut off from n. */
static int peers_of(const Plan *p, const Node *n, Peers *out, char *why, size_t whysz)
{
    char self[128];
    node_address(n, self, sizeof self);
    out->n = 0;
    for (size_t i = 0; i < p->topology->nnodes; i++) {
        const Node *peer = &p->topology->nodes[i];
        if (peer == n)
            continue;
        char *a = out->addr[out->n];
        node_address(peer, a, sizeof out->addr[0]);
        if (is_loopback(a) || is_loopback(self) || strcmp(a, self) == 0) {
            snprintf(why, whysz, "%s (%s) and %s (%s) share a host or loopback: a network cut "
                     "between them needs separate hosts (the multi-host fixture)", n->name,
                     self[0] ? self : "local", peer->name, a[0] ? a : "local");
            return -1;
        }
        if (out->n == NET_PEERS_MAX) {
            snprintf(why, whysz, "more than %d peers", NET_PEERS_MAX);
            return -1;
        }
        out->name[out->n++] = peer->name;
    }
    return 0;
}

/* The node's command for one peer, {peer} replaced in every word. */
static void peer_argv(const Node *n, bool restore, const char *addr, Argv *a)
{
    char *const *cmd = restore ? n->network_restore_command : n->network_cut_command;
    const char *const *words = cmd != NULL ? (const char *const *)cmd
                                           : (restore ? default_restore : default_cut);
    for (size_t i = 0; words[i] != NULL; i++) {
        char *w = str_replace_all(words[i], "{peer}", addr);
        argv_add(a, w);
        free(w);
    }
}

/* The guard: a detached shell on the node that sleeps, then restores. Its
 * name (drill-network-guard NODE) lets a restore find and stop it. */
static void guard_argv(const Node *n, const Peers *peers, int64_t after_ms, bool stop, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    if (stop) {
        argv_add(a, "pkill -f -- \"[d]rill-network-guard $1( |$)\" && echo \"guard stopped\"; true");
        argv_add(a, "drill-network-guard-stop");
        argv_add(a, n->name);
        return;
    }
    Buf script;
    buf_init(&script, 16 * 1024);
    buf_appendf(&script, "sleep %lld", (long long)((after_ms + 999) / 1000));
    for (size_t i = 0; i < peers->n; i++) {
        Argv r = {.n = 0};
        peer_argv(n, true, peers->addr[i], &r);
        buf_appends(&script, "; ");
        for (size_t j = 0; j < r.n; j++) {
            if (j > 0)
                buf_appends(&script, " ");
            exec_shell_quote(&script, r.v[j]);
        }
        argv_free(&r);
    }
    argv_add(a, "setsid -f /bin/sh -c \"$1\" drill-network-guard \"$2\" "
                "> /dev/null 2>&1 < /dev/null && echo \"guard: network restored in $3 s "
                "unless drill restores it first\"");
    argv_add(a, "drill-network-guard-start");
    argv_add(a, script.data);
    argv_add(a, n->name);
    argv_addf(a, "%lld", (long long)((after_ms + 999) / 1000));
    buf_free(&script);
}

/* Runs one command on the node; false when it failed (o says why). */
static bool run_one(RunCtx *ctx, const Node *n, Argv *a, int64_t deadline, StepOutcome *o)
{
    bool ok = step_run_argv(ctx, n, a->v, 0, deadline, o) == 0 && o->status == STEP_OK;
    argv_free(a);
    return ok;
}

static StepStatus net_restore(RunCtx *ctx, const PlanStep *ps, const Peers *peers,
                              int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    guard_argv(ps->node, peers, 0, true, &a);
    bool ok = run_one(ctx, ps->node, &a, deadline, o);
    size_t failed = 0;
    for (size_t i = 0; i < peers->n; i++) {
        peer_argv(ps->node, true, peers->addr[i], &a);
        if (!run_one(ctx, ps->node, &a, deadline, o))
            failed++;
    }
    if (!ok || failed > 0)
        return step_set(o, STEP_FAILED, "%s: the network to %zu of %zu peer(s) may still be "
                        "cut (%s)", ps->node->name, failed, peers->n, o->message);
    return step_set(o, STEP_OK, "%s reaches its %zu peer(s) again", ps->node->name, peers->n);
}

StepStatus step_network_cut(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    Peers peers;
    char why[512];
    if (peers_of(ctx->plan, n, &peers, why, sizeof why) < 0)
        return step_set(o, STEP_ERROR, "%s", why);
    if (step_bool(ps->step, "restore", false))
        return net_restore(ctx, ps, &peers, deadline, o);
    Argv a = {.n = 0};
    int64_t guard_ms = step_duration_ms(ps->step, "auto_restore", 600000);
    if (guard_ms > 0) {
        guard_argv(n, &peers, guard_ms, false, &a);
        if (!run_one(ctx, n, &a, deadline, o))
            return o->status;
    }
    for (size_t i = 0; i < peers.n; i++) {
        peer_argv(n, false, peers.addr[i], &a);
        if (!run_one(ctx, n, &a, deadline, o)) {
            /* Half a partition is no fault to measure: undo what was cut. */
            StepOutcome undo;
            step_outcome_init(&undo);
            net_restore(ctx, ps, &peers, deadline, &undo);
            step_outcome_free(&undo);
            return step_set(o, o->status, "cutting %s off from %s (%s) failed: %s (set "
                            "network_cut_command in the topology to a command allowed to "
                            "change routes there)", n->name, peers.name[i], peers.addr[i],
                            o->message);
        }
    }
    Buf list;
    buf_init(&list, 4096);
    for (size_t i = 0; i < peers.n; i++)
        buf_appendf(&list, "%s%s (%s)", i ? ", " : "", peers.name[i], peers.addr[i]);
    StepStatus st = step_set(o, STEP_OK, "%s cut off from %s", n->name, list.data);
    buf_free(&list);
    return st;
}

char *network_cut_describe(const Plan *p, const PlanStep *ps)
{
    const Node *n = ps->node;
    Peers peers;
    char why[512];
    if (peers_of(p, n, &peers, why, sizeof why) < 0)
        return xasprintf("refused: %s", why);
    bool restore = step_bool(ps->step, "restore", false);
    Buf b;
    buf_init(&b, 64 * 1024);
    Argv a = {.n = 0};
    int64_t guard_ms = step_duration_ms(ps->step, "auto_restore", 600000);
    if (restore || guard_ms > 0) {
        guard_argv(n, &peers, guard_ms, restore, &a);
        char *text = describe_argv(NULL, &a);
        buf_appendf(&b, "%s\n", text);
        free(text);
    }
    for (size_t i = 0; i < peers.n; i++) {
        peer_argv(n, restore, peers.addr[i], &a);
        char *text = describe_argv(NULL, &a);
        buf_appendf(&b, "%s%s  (peer %s)", i ? "\n" : "", text, peers.name[i]);
        free(text);
    }
    return b.data;
}
