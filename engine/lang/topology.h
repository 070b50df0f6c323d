/*
 * topology.h — the topology language: which nodes a drill acts on and how
 * to reach them. Parsed with the same strict YAML loader as drills.
 *
 * Passwords never live in a topology: use ~/.pgpass, PGPASSFILE or the
 * environment.
 */
#ifndef DRILL_TOPOLOGY_H
#define DRILL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "objectives.h"

#define TOPOLOGY_MAX_NODES 1000   /* larger topologies are refused */

typedef enum NodeRole { ROLE_PRIMARY, ROLE_STANDBY, ROLE_BACKUP } NodeRole;
typedef enum AccessKind { ACCESS_LOCAL, ACCESS_SSH } AccessKind;
/* What a backup node runs: Barman (default) or pgBackRest. */
typedef enum BackupTool { TOOL_BARMAN, TOOL_PGBACKREST } BackupTool;

const char *node_role_name(NodeRole r);    /* "primary", "standby", "backup" */
const char *backup_tool_name(BackupTool t); /* "barman", "pgbackrest" */

typedef struct SshAccess {
    char *host;              /* required for ssh */
    int port;                /* default 22 */
    char *user;              /* default: current user */
    char *identity_file;     /* NULL: ssh-agent / default keys */
    char *known_hosts;       /* default ~/.ssh/known_hosts */
    bool accept_new_hostkey; /* trust on first use, recorded; default false */
    char *become;            /* how to run as os_user when it differs from user:
                                "sudo" (default: sudo -n -u OS_USER --), "runuser"
                                (runuser -u OS_USER --, the ssh user is root) or "none" */
} SshAccess;

typedef struct Node {
    char *name;
    NodeRole role;
    AccessKind access;
    SshAccess ssh;
    char *os_user;          /* OS user that owns the server / runs barman; NULL = current */
    /* PostgreSQL nodes (primary, standby): */
    char *conninfo;         /* libpq conninfo, no password */
    char *data_directory;
    char *config_directory; /* postgresql.conf lives here (Debian: /etc/postgresql/15/main,
                               with data_directory = ... in it): pg_ctl -D this; NULL =
                               data_directory */
    char *bin_directory;    /* default /usr/lib/postgresql/15/bin */
    char *log_file;         /* pg_ctl -l; default DATA_DIRECTORY/../NAME.log */
    char **start_command;   /* argv overriding `pg_ctl start`; NULL-terminated or NULL */
    char **stop_command;    /* argv overriding `pg_ctl stop`; NULL-terminated or NULL;
                               `{mode}` in a word becomes the stop mode (fast, immediate,
                               smart) */
    char **network_cut_command;     /* argv cutting this host off from one peer (network_cut);
                                       `{peer}` in a word becomes the peer's address; NULL =
                                       `ip route replace blackhole {peer}` */
    char **network_restore_command; /* argv undoing it, idempotent; NULL = `ip route del` */
    char *slot_name;        /* standby: slot it streams through on its upstream */
    char *upstream;         /* standby: node it streams from (default: the primary) */
    /* Backup nodes: */
    BackupTool tool;        /* `tool: barman|pgbackrest`; default barman */
    /* pgBackRest (tool: pgbackrest): */
    char *pgbackrest_config; /* pgbackrest --config FILE, the same path on the database hosts
                                (a restore runs there); NULL = pgBackRest's default
                                /etc/pgbackrest/pgbackrest.conf */
    char *pgbackrest_stanza; /* --stanza */
    int64_t max_backup_age_ms; /* `max_backup_age: 26h`: drill audit's backup_age; 0 = none */
    int min_backups;           /* `min_backups: 2`: drill audit's backup_count; 0 = none */
    /* Barman (tool: barman): */
    char *barman_config;    /* barman -c FILE */
    char *barman_server;    /* server name in that config */
    char *barman_slot;      /* barman's slot on the primary (default: barman) */
    char *recover_ssh_command; /* barman recover --remote-ssh-command, {user} {host} {port}
                                  of the target; default "ssh -p {port} -o BatchMode=yes
                                  {user}@{host}" */
    char *wal_restore_host; /* how database hosts reach this node over SSH for
                               barman-wal-restore; default ssh.host */
    int line, col;
} Node;

/* `drill_objectives: {DRILL: {...}}`: one drill's targets on this topology. */
typedef struct DrillObjectives {
    char *drill;              /* the drill's `name:` */
    Objectives objectives;    /* UNSET where silent */
} DrillObjectives;

#define TOPOLOGY_MAX_DRILL_OBJECTIVES 1000

/* `rehearse_every: {DRILL: DURATION}`: the drill must have passed on this
 * target within DURATION (`drill audit`, check rehearsal_age). */
typedef struct Rehearsal {
    char *drill;
    int64_t max_age_ms;
} Rehearsal;

typedef struct Topology {
    char *file;
    char *name;
    Node *nodes;
    size_t nnodes;
    char *system_identifier;  /* pin of the primary's system_identifier, or NULL */
    bool allow_destructive;   /* destructive drills allowed without --yes */
    Objectives objectives;    /* `objectives:` for every drill; UNSET where silent */
    DrillObjectives *drill_objectives;
    size_t ndrill_objectives;
    Rehearsal *rehearse_every;     /* `rehearse_every: {DRILL: 168h}` (drill audit) */
    size_t nrehearse_every;
} Topology;

int topology_load(const char *path, DiagList *diags, Topology **out);
int topology_parse(const char *file, const char *text, size_t len, DiagList *diags,
                   Topology **out);
void topology_free(Topology *t);

/* Layers this topology's objectives for drill `drill` onto *o: first
 * `objectives:` (retargets what the drill declares), then
 * `drill_objectives: {DRILL: ...}` (may add objectives; objectives.h). */
void topology_objectives_apply(const Topology *t, const char *drill, Objectives *o);

/* A node by name, else the first node with that role ("primary", "standby",
 * "backup"); NULL if none. */
/* The data directory of a node on this host, or NULL (an SSH node, or none
 * set): where drill may read postmaster.pid instead of asking the server. */
const char *topology_local_data_directory(const Node *n);
const Node *topology_find(const Topology *t, const char *name_or_role);

#endif
