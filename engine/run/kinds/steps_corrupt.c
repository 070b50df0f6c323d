/*
 * steps_corrupt.c — what a disk does to a server: block_corrupt damages one
 * block of a relation on disk, the way a failing disk or controller does, so
 * a drill can show whether the cluster notices (data checksums) and how it
 * recovers; disk_fill leaves a filesystem (pg_wal's) almost full.
 *
 * A page a server holds in shared buffers would be written back over the
 * damage, and the server reads the file again only when the page is not in
 * memory: so the step makes the page current on disk (CHECKPOINT), stops
 * the server, inverts the bytes (every byte changes, whatever it held) and
 * starts the server again. The next read of the block meets the damage.
 */
#include "pg.h"
#include "steps_kinds.h"

/* Bytes inverted at most: enough for any page, small enough for a fixed
 * command line. */
#define CORRUPT_MAX_BYTES 512

typedef struct CorruptAt {
    PgRelationFile file;
    int64_t block, offset, bytes;
} CorruptAt;

/* Where the bytes go, checked against the relation as the server sees it. */
static StepStatus locate(const PlanStep *ps, int64_t deadline, CorruptAt *at, StepOutcome *o)
{
    const Step *s = ps->step;
    const char *relation = step_str(s, "relation", "");
    at->block = step_int(s, "block", 0);
    at->offset = step_int(s, "offset", 4096);
    at->bytes = step_int(s, "bytes", 16);
    PgConn *c = step_connect_database(ps, deadline, o);
    if (c == NULL)
        return o->status;
    DrillError err;
    int rc = pg_relation_file(c, relation, &at->file, &err);
    if (rc == 0)
        rc = pg_checkpoint(c, &err);
    pg_close(c);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "relation %s on %s: %s", relation, ps->node->name,
                        err.message);
    int64_t per_segment = (int64_t)1024 * 1024 * 1024 / at->file.block_size;
    if (at->block < 0 || at->block >= at->file.nblocks || at->block >= per_segment)
        return step_set(o, STEP_ERROR, "%s has %lld block(s): there is no block %lld to damage "
                        "(in its first segment)", relation, (long long)at->file.nblocks,
                        (long long)at->block);
    if (at->bytes < 1 || at->bytes > CORRUPT_MAX_BYTES || at->offset < 0 ||
        at->offset + at->bytes > at->file.block_size)
        return step_set(o, STEP_ERROR, "bytes %lld at offset %lld do not fit a %lld-byte block "
                        "(1-%d bytes)", (long long)at->bytes, (long long)at->offset,
                        (long long)at->file.block_size, CORRUPT_MAX_BYTES);
    return STEP_OK;
}

StepStatus step_block_corrupt(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    CorruptAt at;
    if (locate(ps, deadline, &at, o) != STEP_OK)
        return o->status;
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(n, "fast", step_remaining_ms(deadline), &a);
    step_run_argv(ctx, n, a.v, 0, deadline, o);
    argv_free(&a);
    if (o->status != STEP_OK)
        return o->status;
    cmd_flip_bytes(n, at.file.path, at.block * at.file.block_size + at.offset, at.bytes, &a);
    step_run_argv(ctx, n, a.v, 0, deadline, o);
    argv_free(&a);
    /* Started again whatever the flip did: the node must not be left down. */
    StepOutcome started;
    step_outcome_init(&started);
    steps_start_node(ctx, n, true, deadline, &started);
    bool up = started.status == STEP_OK;
    if (o->status == STEP_OK && !up)
        step_set(o, started.status, "%s", started.message);
    step_outcome_free(&started);
    if (o->status != STEP_OK)
        return o->status;
    return step_set(o, STEP_OK, "inverted %lld bytes at byte %lld of block %lld of %s (%s), "
                    "data_checksums %s; %s restarted so the block is read from disk",
                    (long long)at.bytes, (long long)at.offset, (long long)at.block,
                    step_str(ps->step, "relation", ""), at.file.path,
                    at.file.checksums ? "on" : "OFF (the damage will not be detected)", n->name);
}

char *block_corrupt_describe(const Plan *p, const PlanStep *ps)
{
    (void)p;
    const Step *s = ps->step;
    const Node *n = ps->node;
    Buf b;
    buf_init(&b, 64 * 1024);
    buf_appendf(&b, "SQL on %s: pg_relation_filepath('%s'), its size in blocks; CHECKPOINT\n",
                n->name, step_str(s, "relation", ""));
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(n, "fast", s->timeout_ms, &a);
    char *text = describe_argv(NULL, &a);
    buf_appendf(&b, "%s\n", text);
    free(text);
    cmd_flip_bytes(n, NULL, 0, step_int(s, "bytes", 16), &a);
    text = describe_argv(NULL, &a);
    buf_appendf(&b, "%s  (byte %lld of block %lld)\n", text, (long long)step_int(s, "offset", 4096),
                (long long)step_int(s, "block", 0));
    free(text);
    cmd_pg_ctl_start(n, &a);
    text = describe_argv(NULL, &a);
    buf_appendf(&b, "%s", text);
    free(text);
    return b.data;
}

/* disk_fill takes the space with a ballast file rather than with WAL: the
 * filesystem is full in one step at any size, and freeing it again is one
 * `rm` of a file drill owns (release), never a WAL file. */
static void disk_fill_argv(const Node *n, const Step *s, Argv *a)
{
    cmd_disk_fill(n, step_str(s, "path", "pg_wal"), step_size_bytes(s, "leave", 64 << 20),
                  step_size_bytes(s, "max_fill", (int64_t)1 << 30), step_bool(s, "release", false),
                  a);
}

StepStatus step_disk_fill(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    disk_fill_argv(ps->node, ps->step, &a);
    step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    return o->status;
}

char *disk_fill_describe(const Plan *p, const PlanStep *ps)
{
    (void)p;
    Argv a = {.n = 0};
    disk_fill_argv(ps->node, ps->step, &a);
    return describe_argv(NULL, &a);
}
