/*
 * objectives.c — parsing, layering and formatting of run objectives.
 *
 * The YAML and command-line spellings go through one value parser, so a
 * target written in a drill file, a topology, $DRILL_OBJECTIVES or
 * --objective means the same thing and is refused with the same advice.
 */
#include "objectives.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "size.h"
#include "util.h"

const char *const objectives_keys[] = {"rto", "rpo", "rpo_transactions", "slot_retained_alert",
                                       NULL};

typedef enum ValueKind { KIND_DURATION, KIND_COUNT, KIND_SIZE } ValueKind;

static const ValueKind kinds[OBJ_COUNT] = {KIND_DURATION, KIND_DURATION, KIND_COUNT, KIND_SIZE};

static const char *const kind_nouns[] = {
    [KIND_DURATION] = "duration", [KIND_COUNT] = "number", [KIND_SIZE] = "size"};

static const char *const kind_hints[] = {
    [KIND_DURATION] = "write a number with a unit, largest unit first: 500ms, 30s, 2m, 1h, 1m30s "
                      "(at most 30 days), or none",
    [KIND_COUNT] = "write a whole number of transactions (0 = none may be lost), or none",
    [KIND_SIZE] = "write a whole number with a unit: 100B, 512kB, 64MB, 1GB (1kB = 1024B), or none",
};

void objectives_init(Objectives *o, ObjectiveOrigin origin)
{
    for (int i = 0; i < OBJ_COUNT; i++) {
        o->value[i] = OBJECTIVE_UNSET;
        o->origin[i] = origin;
        o->declared[i] = false;
    }
}

static int find_key(const char *name, size_t len)
{
    for (int i = 0; i < OBJ_COUNT; i++)
        if (strlen(objectives_keys[i]) == len && strncmp(objectives_keys[i], name, len) == 0)
            return i;
    return -1;
}

static int parse_count(const char *s, int64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* The value of objective `id` as text; `none` is OBJECTIVE_NONE. */
static int parse_value(ObjectiveId id, const char *s, int64_t *out)
{
    if (strcmp(s, "none") == 0) {
        *out = OBJECTIVE_NONE;
        return 0;
    }
    switch (kinds[id]) {
    case KIND_DURATION: return duration_parse_ms(s, out);
    case KIND_SIZE: return size_parse_bytes(s, out);
    case KIND_COUNT: return parse_count(s, out);
    }
    return -1;
}

void objectives_parse_yaml(YamlDoc *doc, const yaml_node_t *map, const char *where,
                           Objectives *o)
{
    if (!yamldoc_want_type(doc, where, map, YAML_MAPPING_NODE))
        return;
    yamldoc_check_keys(doc, map, objectives_keys, where);
    for (int i = 0; i < OBJ_COUNT; i++) {
        const yaml_node_t *v = yamldoc_get(doc, map, objectives_keys[i]);
        const char *s = v ? yamldoc_want_string(doc, objectives_keys[i], v) : NULL;
        if (s == NULL)
            continue;
        char clip[64];
        if (parse_value((ObjectiveId)i, s, &o->value[i]) < 0)
            yamldoc_error(doc, v, kind_hints[kinds[i]], "invalid %s \"%s\" for \"%s\"",
                          kind_nouns[kinds[i]], yamldoc_clip(s, clip), objectives_keys[i]);
    }
}

/* One NAME=VALUE of length len (not NUL-terminated: a piece of a list). */
static int parse_pair(const char *p, size_t len, const char *what, Objectives *o,
                      DrillError *err)
{
    const char *eq = memchr(p, '=', len);
    if (eq == NULL)
        return drill_error_set(err, DRILL_E_INVALID,
                               "%s: \"%.*s\" is not NAME=VALUE (e.g. rto=10m, rpo=none); "
                               "objectives: rto, rpo, rpo_transactions, slot_retained_alert",
                               what, (int)len, p);
    int id = find_key(p, (size_t)(eq - p));
    if (id < 0)
        return drill_error_set(err, DRILL_E_INVALID,
                               "%s: unknown objective \"%.*s\" (objectives: rto, rpo, "
                               "rpo_transactions, slot_retained_alert)",
                               what, (int)(eq - p), p);
    char *value = xstrndup(eq + 1, len - (size_t)(eq + 1 - p));
    int rc = parse_value((ObjectiveId)id, value, &o->value[id]);
    if (rc < 0)
        drill_error_set(err, DRILL_E_INVALID, "%s: invalid %s \"%s\" for %s: %s", what,
                        kind_nouns[kinds[id]], value, objectives_keys[id], kind_hints[kinds[id]]);
    free(value);
    return rc < 0 ? DRILL_E_INVALID : 0;
}

int objectives_parse_arg(const char *arg, const char *what, Objectives *o, DrillError *err)
{
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int rc = parse_pair(p, len, what, o, err);
        if (rc < 0)
            return rc;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

void objectives_apply(Objectives *dst, const Objectives *over, bool may_add)
{
    for (int i = 0; i < OBJ_COUNT; i++)
        if (over->value[i] != OBJECTIVE_UNSET && (may_add || dst->declared[i])) {
            dst->value[i] = over->value[i];
            dst->origin[i] = over->origin[i];
            dst->declared[i] = true;
        }
}

void objectives_finish(Objectives *o)
{
    for (int i = 0; i < OBJ_COUNT; i++) {
        if (o->value[i] == OBJECTIVE_UNSET)
            o->value[i] = OBJECTIVE_NONE;
        o->declared[i] = o->declared[i] || o->value[i] >= 0;
    }
}

void objectives_format(const Objectives *o, ObjectiveId id, char *out, size_t outsz)
{
    int64_t v = o->value[id];
    if (v < 0) {
        snprintf(out, outsz, "none");
        return;
    }
    switch (kinds[id]) {
    case KIND_DURATION: duration_format_ms(v, out, outsz); break;
    case KIND_SIZE: size_format_mb(v, out, outsz); break;
    case KIND_COUNT: snprintf(out, outsz, "%lld tx", (long long)v); break;
    }
}

void objectives_describe(const Objectives *o, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < OBJ_COUNT && len < outsz; i++) {
        if (o->value[i] < 0 && o->origin[i] == OBJ_FROM_DRILL)
            continue;
        char v[32];
        objectives_format(o, (ObjectiveId)i, v, sizeof v);
        int n = snprintf(out + len, outsz - len, "%s%s %s (%s)", len ? ", " : "",
                         objectives_keys[i], v, objectives_origin_name(o->origin[i]));
        len += n > 0 ? (size_t)n : 0;
    }
    if (out[0] == '\0')
        snprintf(out, outsz, "none");
}

const char *objectives_origin_name(ObjectiveOrigin origin)
{
    static const char *const names[] = {
        [OBJ_FROM_DRILL] = "drill file",
        [OBJ_FROM_TOPOLOGY] = "topology objectives",
        [OBJ_FROM_TOPOLOGY_DRILL] = "topology drill_objectives",
        [OBJ_FROM_ENV] = "$DRILL_OBJECTIVES",
        [OBJ_FROM_CLI] = "--objective",
    };
    return names[origin];
}
