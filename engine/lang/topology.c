/*
 * topology.c — the topology language: YAML document -> Topology.
 *
 * Node keys are exactly the fields of Node (topology.h). As in the drill
 * parser, every problem is reported with its position and parsing goes on;
 * checks that involve several nodes (unique names, one primary, upstreams)
 * run after all nodes are read.
 */
#include "topology.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "redact.h"
#include "util.h"
#include "yamldoc.h"

#define DEFAULT_BIN_DIRECTORY "/usr/lib/postgresql/15/bin"

static const char *const top_keys[] = {"name", "allow_destructive", "system_identifier",
                                       "objectives", "drill_objectives", "rehearse_every",
                                       "nodes", NULL};
static const char *const node_keys[] = {
    "name",          "role",          "access",        "ssh",           "os_user",
    "conninfo",      "data_directory", "bin_directory", "log_file",      "start_command",
    "stop_command",  "slot_name",     "upstream",      "barman_config", "barman_server",
    "barman_slot",   "config_directory", "recover_ssh_command", "wal_restore_host",
    "network_cut_command", "network_restore_command", "tool", "pgbackrest_config",
    "pgbackrest_stanza", "max_backup_age", "min_backups", NULL};
static const char *const ssh_keys[] = {"host",        "port",        "user", "identity_file",
                                       "known_hosts", "accept_new_hostkey", "become", NULL};
static const char *const role_names[] = {"primary", "standby", "backup", NULL};
static const char *const tool_names[] = {"barman", "pgbackrest", NULL};

const char *backup_tool_name(BackupTool t)
{
    return (t >= TOOL_BARMAN && t <= TOOL_PGBACKREST) ? tool_names[t] : "?";
}

const char *node_role_name(NodeRole r)
{
    return (r >= ROLE_PRIMARY && r <= ROLE_BACKUP) ? role_names[r] : "?";
}

/* Where the values checked across nodes were written. */
typedef struct NodePos {
    const yaml_node_t *map, *name, *role, *upstream;
    bool ok;    /* name and role were read */
} NodePos;

typedef struct Ctx {
    YamlDoc *doc;
    Topology *t;
    NodePos *pos;
} Ctx;

/* ---- field helpers ---------------------------------------------------------- */

/* Copies an optional string field; NULL when absent or invalid. */
static char *opt_string(Ctx *c, const yaml_node_t *map, const char *key)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, key);
    return v ? xstrdup(yamldoc_want_string(c->doc, key, v)) : NULL;
}

static char **opt_list(Ctx *c, const yaml_node_t *map, const char *key)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, key);
    size_t n;
    return v ? yamldoc_want_list(c->doc, key, v, &n) : NULL;
}

static bool is_name(const char *s, const char *allowed, size_t max)
{
    return s[0] != '\0' && s[0] != '-' && strlen(s) <= max && strspn(s, allowed) == strlen(s);
}

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* ---- ssh ----------------------------------------------------------------------- */

static void parse_ssh(Ctx *c, const yaml_node_t *map, SshAccess *ssh)
{
    ssh->port = 22;
    if (!yamldoc_want_type(c->doc, "ssh", map, YAML_MAPPING_NODE))
        return;
    yamldoc_check_keys(c->doc, map, ssh_keys, "ssh");
    if (yamldoc_get(c->doc, map, "host") == NULL)
        yamldoc_missing(c->doc, map, "host", "ssh", "add `host: NAME-OR-ADDRESS`");
    ssh->host = opt_string(c, map, "host");
    ssh->user = opt_string(c, map, "user");
    ssh->identity_file = opt_string(c, map, "identity_file");
    ssh->known_hosts = opt_string(c, map, "known_hosts");
    const yaml_node_t *v;
    int64_t port;
    if ((v = yamldoc_get(c->doc, map, "port")) != NULL &&
        yamldoc_want_uint(c->doc, "port", v, 65535, &port) == 0) {
        if (port == 0)
            yamldoc_error(c->doc, v, "a TCP port is 1 to 65535", "\"port\" must not be 0");
        else
            ssh->port = (int)port;
    }
    if ((v = yamldoc_get(c->doc, map, "accept_new_hostkey")) != NULL)
        yamldoc_want_bool(c->doc, "accept_new_hostkey", v, &ssh->accept_new_hostkey);
    const char *become = "sudo";
    if ((v = yamldoc_get(c->doc, map, "become")) != NULL)
        become = yamldoc_want_enum(c->doc, "become", v, "sudo|runuser|none");
    ssh->become = xstrdup(become != NULL ? become : "sudo");
}

/* ---- one node -------------------------------------------------------------------- */

static void parse_node_identity(Ctx *c, const yaml_node_t *map, Node *n, NodePos *pos)
{
    const yaml_node_t *v;
    bool have_name = false, have_role = false;
    if ((v = yamldoc_get(c->doc, map, "name")) == NULL) {
        yamldoc_missing(c->doc, map, "name", "node", "add `name: pg1`");
    } else if ((n->name = xstrdup(yamldoc_want_string(c->doc, "name", v))) != NULL) {
        char clip[64];
        have_name = is_name(n->name, NAME_CHARS, 63);
        if (!have_name)
            yamldoc_error(c->doc, v, "use letters, digits, _ and - (at most 63)",
                          "invalid node name \"%s\"", yamldoc_clip(n->name, clip));
        pos->name = v;
    }
    if ((v = yamldoc_get(c->doc, map, "role")) == NULL) {
        yamldoc_missing(c->doc, map, "role", "node", "add `role: primary`, standby or backup");
    } else {
        const char *r = yamldoc_want_enum(c->doc, "role", v, "primary|standby|backup");
        have_role = r != NULL;
        n->role = !r ? ROLE_PRIMARY : r[0] == 'p' ? ROLE_PRIMARY : r[0] == 's' ? ROLE_STANDBY
                                                                               : ROLE_BACKUP;
        pos->role = v;
    }
    pos->ok = have_name && have_role;
}

static void parse_node_access(Ctx *c, const yaml_node_t *map, Node *n)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, "access");
    const char *a = v ? yamldoc_want_enum(c->doc, "access", v, "local|ssh") : "local";
    n->access = (a != NULL && strcmp(a, "ssh") == 0) ? ACCESS_SSH : ACCESS_LOCAL;
    const yaml_node_t *ssh = yamldoc_get(c->doc, map, "ssh");
    n->ssh.port = 22;
    if (ssh != NULL && a != NULL && n->access == ACCESS_LOCAL)
        yamldoc_error(c->doc, ssh, "add `access: ssh`, or remove `ssh:`",
                      "\"ssh\" is given but access is local");
    else if (ssh == NULL && n->access == ACCESS_SSH)
        yamldoc_missing(c->doc, map, "ssh", "node", "access: ssh needs `ssh: {host: ...}`");
    if (ssh != NULL)
        parse_ssh(c, ssh, &n->ssh);
}

/* Values drill writes into configuration files (postgresql.auto.conf) or
 * command lines: one line each, no control characters. */
static char *opt_line(Ctx *c, const yaml_node_t *map, const char *key)
{
    char *v = opt_string(c, map, key);
    for (const char *p = v; p != NULL && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            yamldoc_error(c->doc, yamldoc_get(c->doc, map, key),
                          "write it on one line, without control characters",
                          "\"%s\" contains a control character (byte %d)", key,
                          (int)(unsigned char)*p);
            break;
        }
    return v;
}

static char *opt_path(Ctx *c, const yaml_node_t *map, const char *key)
{
    char *v = opt_line(c, map, key);
    if (v != NULL && v[0] != '/')
        yamldoc_error(c->doc, yamldoc_get(c->doc, map, key), "write the full path, starting with /",
                      "\"%s\" must be an absolute path", key);
    return v;
}

/* recover_ssh_command: the words barman runs to reach the target, with
 * {user}, {host} and {port} of the target node; nothing else in braces. */
static void check_ssh_template(Ctx *c, const yaml_node_t *map, const char *tmpl)
{
    static const char *const known[] = {"{user}", "{host}", "{port}", NULL};
    for (const char *p = strchr(tmpl, '{'); p != NULL; p = strchr(p + 1, '{')) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strncmp(p, known[i], strlen(known[i])) == 0;
        if (!ok) {
            yamldoc_error(c->doc, yamldoc_get(c->doc, map, "recover_ssh_command"),
                          "placeholders are {user}, {host} and {port} (of the recovered node)",
                          "unknown placeholder in \"recover_ssh_command\"");
            return;
        }
    }
}

/* Keys of one backup tool given on a node that is not a backup node of that
 * tool: each one reported where it was written. */
static void refuse_keys(Ctx *c, const yaml_node_t *map, const char *const *keys, bool allowed,
                        const char *hint, const char *what)
{
    for (size_t i = 0; keys[i] != NULL && !allowed; i++)
        if (yamldoc_get(c->doc, map, keys[i]) != NULL)
            yamldoc_error(c->doc, yamldoc_get(c->doc, map, keys[i]), hint,
                          "\"%s\" is only for %s", keys[i], what);
}

/* max_backup_age / min_backups: what `drill audit` holds the newest backup
 * and the number of backups to. Barman checks both itself
 * (last_backup_maximum_age, minimum_redundancy in barman.conf). */
static void parse_backup_objectives(Ctx *c, const yaml_node_t *map, Node *n)
{
    const yaml_node_t *v;
    if ((v = yamldoc_get(c->doc, map, "max_backup_age")) != NULL) {
        const char *text = yamldoc_want_string(c->doc, "max_backup_age", v);
        if (text != NULL && (duration_parse_ms_upto(text, DURATION_SCHEDULE_MAX_MS,
                                                    &n->max_backup_age_ms) != 0 ||
                             n->max_backup_age_ms <= 0))
            yamldoc_error(c->doc, v, "write a duration such as 26h or 8d",
                          "invalid max_backup_age \"%s\"", text);
    }
    if ((v = yamldoc_get(c->doc, map, "min_backups")) != NULL) {
        const char *text = yamldoc_want_string(c->doc, "min_backups", v);
        char *end = NULL;
        long k = text ? strtol(text, &end, 10) : 0;
        if (text != NULL && (end == text || *end != '\0' || k < 1 || k > 10000))
            yamldoc_error(c->doc, v, "write a whole number from 1 to 10000",
                          "invalid min_backups \"%s\"", text);
        else
            n->min_backups = (int)k;
    }
}

static void parse_node_tool(Ctx *c, const yaml_node_t *map, Node *n)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, "tool");
    const char *tool = v ? yamldoc_want_enum(c->doc, "tool", v, "barman|pgbackrest") : "barman";
    n->tool = (tool != NULL && strcmp(tool, "pgbackrest") == 0) ? TOOL_PGBACKREST : TOOL_BARMAN;
    if (v != NULL && n->role != ROLE_BACKUP)
        yamldoc_error(c->doc, v, "the backup tool is said on the backup node",
                      "\"tool\" is only for backup nodes");
    n->pgbackrest_config = opt_path(c, map, "pgbackrest_config");
    n->pgbackrest_stanza = opt_line(c, map, "pgbackrest_stanza");
    parse_backup_objectives(c, map, n);
    bool pgbackrest = n->role == ROLE_BACKUP && n->tool == TOOL_PGBACKREST;
    static const char *const pgbackrest_keys[] = {"pgbackrest_config", "pgbackrest_stanza", NULL};
    refuse_keys(c, map, pgbackrest_keys, pgbackrest,
                "add `tool: pgbackrest` to the backup node, or remove it",
                "a backup node with `tool: pgbackrest`");
    static const char *const objective_keys[] = {"max_backup_age", "min_backups", NULL};
    refuse_keys(c, map, objective_keys, pgbackrest,
                n->role == ROLE_BACKUP ? "Barman checks these itself: set last_backup_maximum_age "
                                         "and minimum_redundancy in its configuration (barman "
                                         "check, drill audit's barman_check)"
                                       : "put it on the backup node",
                "a backup node with `tool: pgbackrest`");
    static const char *const barman_keys[] = {"barman_config", "barman_server", "barman_slot", NULL};
    refuse_keys(c, map, barman_keys, n->role != ROLE_BACKUP || n->tool == TOOL_BARMAN,
                "this backup node runs pgBackRest: remove the Barman keys",
                "a Barman backup node (`tool: barman`, the default)");
}

static void parse_node_barman(Ctx *c, const yaml_node_t *map, Node *n)
{
    n->barman_config = opt_path(c, map, "barman_config");
    n->barman_server = opt_line(c, map, "barman_server");
    n->barman_slot = opt_string(c, map, "barman_slot");
    n->recover_ssh_command = opt_line(c, map, "recover_ssh_command");
    if (n->recover_ssh_command != NULL)
        check_ssh_template(c, map, n->recover_ssh_command);
    n->wal_restore_host = opt_line(c, map, "wal_restore_host");
    static const char *const barman_only[] = {"recover_ssh_command", "wal_restore_host", NULL};
    refuse_keys(c, map, barman_only, n->role == ROLE_BACKUP && n->tool == TOOL_BARMAN,
                "it describes how to reach Barman: put it on a Barman backup node",
                "a Barman backup node");
}

static void parse_node_pg(Ctx *c, const yaml_node_t *map, Node *n)
{
    const yaml_node_t *v;
    n->conninfo = opt_string(c, map, "conninfo");
    /* libpq would send it: a password in a topology ends up in logs, stores and
     * reports. Refused in every form redaction finds (redact.h): `password=`,
     * also with blanks or as a percent-encoded URI query key (?pass%77ord=,
     * which libpq decodes), and `user:secret@` in URIs. */
    if (n->conninfo && redact_has_password(n->conninfo))
        yamldoc_error(c->doc, yamldoc_get(c->doc, map, "conninfo"),
                      "put the password in ~/.pgpass or a file named by PGPASSFILE",
                      "conninfo must not contain a password");
    n->data_directory = opt_path(c, map, "data_directory");
    n->config_directory = opt_path(c, map, "config_directory");
    n->bin_directory = opt_string(c, map, "bin_directory");
    n->log_file = opt_string(c, map, "log_file");
    n->start_command = opt_list(c, map, "start_command");
    n->stop_command = opt_list(c, map, "stop_command");
    n->network_cut_command = opt_list(c, map, "network_cut_command");
    n->network_restore_command = opt_list(c, map, "network_restore_command");
    n->slot_name = opt_string(c, map, "slot_name");
    char clip[64];
    if (n->slot_name && !is_name(n->slot_name, "abcdefghijklmnopqrstuvwxyz0123456789_", 63))
        yamldoc_error(c->doc, yamldoc_get(c->doc, map, "slot_name"),
                      "PostgreSQL slot names use a-z, 0-9 and _ (at most 63)",
                      "invalid slot name \"%s\"", yamldoc_clip(n->slot_name, clip));
    n->upstream = opt_string(c, map, "upstream");
    if ((v = yamldoc_get(c->doc, map, "upstream")) != NULL && n->role != ROLE_STANDBY)
        yamldoc_error(c->doc, v, "only a standby streams from an upstream",
                      "\"upstream\" is only for standby nodes");
}

/* Fills defaults and checks what the role needs. */
static void check_node_role(Ctx *c, const yaml_node_t *map, Node *n)
{
    static const char *const pg_need[] = {"conninfo", "data_directory", NULL};
    static const char *const barman_need[] = {"barman_config", "barman_server", NULL};
    static const char *const pgbackrest_need[] = {"pgbackrest_stanza", NULL};
    const char *const *need = n->role != ROLE_BACKUP      ? pg_need
                              : n->tool == TOOL_PGBACKREST ? pgbackrest_need
                                                           : barman_need;
    for (size_t i = 0; need[i] != NULL; i++) {
        if (yamldoc_get(c->doc, map, need[i]) != NULL)
            continue;
        char *hint = xasprintf("a %s node needs `%s`", node_role_name(n->role), need[i]);
        yamldoc_missing(c->doc, map, need[i], "node", hint);
        free(hint);
    }
    if (n->bin_directory == NULL)
        n->bin_directory = xstrdup(DEFAULT_BIN_DIRECTORY);
    if (n->role == ROLE_BACKUP && n->tool == TOOL_BARMAN && n->barman_slot == NULL)
        n->barman_slot = xstrdup("barman");
    if (n->role != ROLE_BACKUP && n->log_file == NULL && n->data_directory && n->name) {
        /* DATA_DIRECTORY/../NAME.log, written without ".." */
        size_t len = strlen(n->data_directory);
        while (len > 1 && n->data_directory[len - 1] == '/')
            len--;
        while (len > 0 && n->data_directory[len - 1] != '/')
            len--;
        while (len > 1 && n->data_directory[len - 1] == '/')
            len--;
        n->log_file = xasprintf("%.*s/%s.log", (int)(len > 1 ? len : 0), n->data_directory,
                                n->name);
    }
}

static void parse_node(Ctx *c, const yaml_node_t *map, Node *n, NodePos *pos)
{
    pos->map = map;
    n->line = yamldoc_line(map);
    n->col = yamldoc_col(map);
    if (!yamldoc_want_type(c->doc, "node", map, YAML_MAPPING_NODE))
        return;
    yamldoc_check_keys(c->doc, map, node_keys, "node");
    parse_node_identity(c, map, n, pos);
    parse_node_access(c, map, n);
    n->os_user = opt_string(c, map, "os_user");
    parse_node_pg(c, map, n);
    parse_node_tool(c, map, n);
    parse_node_barman(c, map, n);
    if (pos->ok)
        check_node_role(c, map, n);
}

/* ---- checks across nodes ------------------------------------------------------- */

static void check_names(Ctx *c)
{
    const Topology *t = c->t;
    for (size_t i = 0; i < t->nnodes; i++) {
        const Node *n = &t->nodes[i];
        if (!c->pos[i].ok)
            continue;
        for (size_t j = 0; j < i; j++)
            if (c->pos[j].ok && strcmp(t->nodes[j].name, n->name) == 0) {
                char *hint = xasprintf("first given at line %d, column %d",
                                       yamldoc_line(c->pos[j].name), yamldoc_col(c->pos[j].name));
                yamldoc_error(c->doc, c->pos[i].name, hint, "duplicate node name \"%s\"", n->name);
                free(hint);
                break;
            }
        /* `node: standby` must not silently mean a node that is not a standby. */
        for (int r = ROLE_PRIMARY; r <= ROLE_BACKUP; r++)
            if (strcmp(n->name, role_names[r]) == 0 && n->role != (NodeRole)r)
                yamldoc_error(c->doc, c->pos[i].name, "pick a name that is not a role name",
                              "node \"%s\" is named after a role it does not have", n->name);
    }
}

static void check_primaries(Ctx *c)
{
    const char *first = NULL;
    for (size_t i = 0; i < c->t->nnodes; i++) {
        const Node *n = &c->t->nodes[i];
        if (!c->pos[i].ok || n->role != ROLE_PRIMARY)
            continue;
        if (first != NULL)
            yamldoc_error(c->doc, c->pos[i].role,
                          "a topology describes one cluster: at most one primary",
                          "more than one primary (\"%s\" and \"%s\")", first, n->name);
        else
            first = n->name;
    }
}

static void check_upstreams(Ctx *c)
{
    const Topology *t = c->t;
    const char **names = xcalloc(t->nnodes + 1, sizeof(char *));
    size_t nn = 0;
    for (size_t i = 0; i < t->nnodes; i++)
        if (c->pos[i].ok)
            names[nn++] = t->nodes[i].name;
    for (size_t i = 0; i < t->nnodes; i++) {
        const Node *n = &t->nodes[i];
        const yaml_node_t *v = yamldoc_get(c->doc, c->pos[i].map, "upstream");
        if (!c->pos[i].ok || n->upstream == NULL || v == NULL)
            continue;
        bool found = false;
        for (size_t j = 0; j < nn; j++)
            found = found || strcmp(names[j], n->upstream) == 0;
        char clip[64];
        if (strcmp(n->upstream, n->name) == 0) {
            yamldoc_error(c->doc, v, "name the node it streams from",
                          "node \"%s\" cannot be its own upstream", n->name);
        } else if (!found) {
            char *hint = yamldoc_hint_for(n->upstream, names, "nodes");
            yamldoc_error(c->doc, v, hint, "upstream \"%s\" is not a node of this topology",
                          yamldoc_clip(n->upstream, clip));
            free(hint);
        }
    }
    free(names);
}

static void parse_nodes(Ctx *c, const yaml_node_t *key, const yaml_node_t *seq)
{
    if (yamldoc_is_null(seq) || (seq->type == YAML_SEQUENCE_NODE &&
                                 seq->data.sequence.items.top == seq->data.sequence.items.start)) {
        yamldoc_error(c->doc, yamldoc_is_null(seq) ? key : seq, "list at least one node",
                      "\"nodes\" is empty");
        return;
    }
    if (!yamldoc_want_type(c->doc, "nodes", seq, YAML_SEQUENCE_NODE))
        return;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n > TOPOLOGY_MAX_NODES) {
        yamldoc_error(c->doc, seq, NULL, "more than %d nodes", TOPOLOGY_MAX_NODES);
        return;
    }
    c->t->nodes = xcalloc(n, sizeof(Node));
    c->pos = xcalloc(n, sizeof(NodePos));
    c->t->nnodes = n;
    for (size_t i = 0; i < n; i++)
        parse_node(c, yamldoc_node(c->doc, seq->data.sequence.items.start[i]), &c->t->nodes[i],
                   &c->pos[i]);
    check_names(c);
    check_primaries(c);
    check_upstreams(c);
}

/* ---- top level --------------------------------------------------------------- */

/* A map keyed by drill names (drill_objectives, rehearse_every): alloc(c,
 * n) is given its number of pairs, then fn runs for each pair whose key is
 * a valid drill name. Nothing runs (reported) when it is no map or holds
 * more than TOPOLOGY_MAX_DRILL_OBJECTIVES drills. */
typedef void DrillMapAlloc(Ctx *c, size_t n);
typedef void DrillMapEntry(Ctx *c, const char *drill, const yaml_node_t *value);
static void drill_map_each(Ctx *c, const char *what, const yaml_node_t *map, DrillMapAlloc *alloc,
                           DrillMapEntry *fn)
{
    if (!yamldoc_want_type(c->doc, what, map, YAML_MAPPING_NODE))
        return;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n > TOPOLOGY_MAX_DRILL_OBJECTIVES) {
        yamldoc_error(c->doc, map, "split the topology", "more than %d drills in %s",
                      TOPOLOGY_MAX_DRILL_OBJECTIVES, what);
        return;
    }
    alloc(c, n ? n : 1);
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *k = yamldoc_node(c->doc, pr->key);
        const char *name = yamldoc_scalar(k);
        char clip[64];
        if (name != NULL && is_name(name, "abcdefghijklmnopqrstuvwxyz0123456789-", 63))
            fn(c, name, yamldoc_node(c->doc, pr->value));
        else
            yamldoc_error(c->doc, k, "use the drill's `name:` (a-z, 0-9, -), as `drill list` "
                          "shows it", "invalid drill name \"%s\" in %s",
                          yamldoc_clip(name ? name : "", clip), what);
    }
}

/* drill_objectives: {primary-wipe: {rto: 2m}, pitr-drop: {rto: none}} */
static void objectives_alloc(Ctx *c, size_t n)
{
    c->t->drill_objectives = xcalloc(n, sizeof *c->t->drill_objectives);
}

static void objectives_entry(Ctx *c, const char *name, const yaml_node_t *value)
{
    char where[128];
    DrillObjectives *d = &c->t->drill_objectives[c->t->ndrill_objectives++];
    d->drill = xstrdup(name);
    objectives_init(&d->objectives, OBJ_FROM_TOPOLOGY_DRILL);
    snprintf(where, sizeof where, "drill_objectives.%s", name);
    objectives_parse_yaml(c->doc, value, where, &d->objectives);
}

/* rehearse_every: {primary-wipe: 168h, pitr-drop: 720h} */
static void rehearse_alloc(Ctx *c, size_t n)
{
    c->t->rehearse_every = xcalloc(n, sizeof *c->t->rehearse_every);
}

static void rehearse_entry(Ctx *c, const char *name, const yaml_node_t *value)
{
    const char *text = yamldoc_scalar(value);
    int64_t ms = 0;
    char clip[64];
    if (text == NULL || duration_parse_ms_upto(text, DURATION_SCHEDULE_MAX_MS, &ms) != 0 ||
        ms <= 0) {
        yamldoc_error(c->doc, value, "write a duration: 7d, 36h, 90d (at most 400d)",
                      "invalid age \"%s\" for %s in rehearse_every",
                      yamldoc_clip(text ? text : "", clip), name);
        return;
    }
    Rehearsal *r = &c->t->rehearse_every[c->t->nrehearse_every++];
    r->drill = xstrdup(name);
    r->max_age_ms = ms;
}

void topology_objectives_apply(const Topology *t, const char *drill, Objectives *o)
{
    objectives_apply(o, &t->objectives, false);
    for (size_t i = 0; i < t->ndrill_objectives; i++)
        if (str_eq(t->drill_objectives[i].drill, drill))
            objectives_apply(o, &t->drill_objectives[i].objectives, true);
}

static void parse_top(Ctx *c, const yaml_node_t *root)
{
    const yaml_node_t *v;
    yamldoc_check_keys(c->doc, root, top_keys, "topology");
    if ((v = yamldoc_get(c->doc, root, "name")) == NULL)
        yamldoc_missing(c->doc, root, "name", "topology", "add `name: my-cluster`");
    else
        c->t->name = xstrdup(yamldoc_want_string(c->doc, "name", v));
    if ((v = yamldoc_get(c->doc, root, "allow_destructive")) != NULL)
        yamldoc_want_bool(c->doc, "allow_destructive", v, &c->t->allow_destructive);
    /* Kept as text: a 64-bit identifier does not survive a trip through a double. */
    if ((v = yamldoc_get(c->doc, root, "system_identifier")) != NULL) {
        const char *s = yamldoc_want_string(c->doc, "system_identifier", v);
        if (s != NULL && (strlen(s) > 20 || strspn(s, "0123456789") != strlen(s)))
            yamldoc_error(c->doc, v,
                          "copy it from `select system_identifier from pg_control_system()`",
                          "\"system_identifier\" must be a string of digits");
        else if (s != NULL)
            c->t->system_identifier = xstrdup(s);
    }
    if ((v = yamldoc_get(c->doc, root, "objectives")) != NULL)
        objectives_parse_yaml(c->doc, v, "objectives", &c->t->objectives);
    if ((v = yamldoc_get(c->doc, root, "drill_objectives")) != NULL)
        drill_map_each(c, "drill_objectives", v, objectives_alloc, objectives_entry);
    if ((v = yamldoc_get(c->doc, root, "rehearse_every")) != NULL)
        drill_map_each(c, "rehearse_every", v, rehearse_alloc, rehearse_entry);
    const yaml_node_t *key = NULL;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++)
        if (key == NULL && str_eq(yamldoc_scalar(yamldoc_node(c->doc, pr->key)), "nodes"))
            key = yamldoc_node(c->doc, pr->key);
    if ((v = yamldoc_get(c->doc, root, "nodes")) == NULL)
        yamldoc_missing(c->doc, root, "nodes", "topology", "list the nodes under `nodes:`");
    else
        parse_nodes(c, key, v);
}

int topology_parse(const char *file, const char *text, size_t len, DiagList *diags,
                   Topology **out)
{
    *out = NULL;
    DiagList *own = diags ? NULL : diag_list_new();
    DiagList *dl = diags ? diags : own;
    size_t before = diag_count(dl);
    Topology *t = xcalloc(1, sizeof(Topology));
    objectives_init(&t->objectives, OBJ_FROM_TOPOLOGY);
    t->file = xstrdup(file ? file : "<input>");
    YamlDoc *doc = yamldoc_parse(t->file, text, text ? len : 0, dl);
    if (doc != NULL) {
        Ctx c = {doc, t, NULL};
        const yaml_node_t *root = yamldoc_root(doc);
        if (root->type != YAML_MAPPING_NODE)
            yamldoc_error(doc, root, "a topology file is a mapping that starts with `name: ...`",
                          "the top level must be a mapping, not a %s", yamldoc_type_name(root));
        else
            parse_top(&c, root);
        free(c.pos);
        yamldoc_free(doc);
    }
    bool ok = doc != NULL && diag_count(dl) == before;
    diag_list_free(own);
    if (!ok) {
        topology_free(t);
        return DRILL_E_INVALID;
    }
    *out = t;
    return 0;
}

int topology_load(const char *path, DiagList *diags, Topology **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = yamldoc_read_file(path, diags, &text, &len);
    if (rc != 0)
        return rc;
    rc = topology_parse(path, text, len, diags, out);
    free(text);
    return rc;
}

static void node_clear(Node *n)
{
    char **strs[] = {&n->name, &n->ssh.host, &n->ssh.user, &n->ssh.identity_file,
                     &n->ssh.known_hosts, &n->ssh.become, &n->os_user, &n->conninfo,
                     &n->data_directory, &n->bin_directory, &n->log_file, &n->slot_name, &n->upstream,
                     &n->barman_config, &n->barman_server, &n->barman_slot,
                     &n->config_directory, &n->recover_ssh_command, &n->wal_restore_host,
                     &n->pgbackrest_config, &n->pgbackrest_stanza};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    yamldoc_list_free(n->start_command);
    yamldoc_list_free(n->stop_command);
    yamldoc_list_free(n->network_cut_command);
    yamldoc_list_free(n->network_restore_command);
}

void topology_free(Topology *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nnodes; i++)
        node_clear(&t->nodes[i]);
    free(t->nodes);
    for (size_t i = 0; i < t->ndrill_objectives; i++)
        free(t->drill_objectives[i].drill);
    free(t->drill_objectives);
    for (size_t i = 0; i < t->nrehearse_every; i++)
        free(t->rehearse_every[i].drill);
    free(t->rehearse_every);
    free(t->file);
    free(t->name);
    free(t->system_identifier);
    free(t);
}

const Node *topology_find(const Topology *t, const char *name_or_role)
{
    if (t == NULL || name_or_role == NULL)
        return NULL;
    for (size_t i = 0; i < t->nnodes; i++)
        if (str_eq(t->nodes[i].name, name_or_role))
            return &t->nodes[i];
    for (size_t i = 0; i < t->nnodes; i++)
        if (strcmp(node_role_name(t->nodes[i].role), name_or_role) == 0)
            return &t->nodes[i];
    return NULL;
}

const char *topology_local_data_directory(const Node *n)
{
    return n != NULL && n->access == ACCESS_LOCAL ? n->data_directory : NULL;
}
