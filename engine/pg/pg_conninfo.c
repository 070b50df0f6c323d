/*
 * pg_conninfo.c — conninfo strings: parsing (PQconninfoParse, the first
 * libpq use of every path without a connection, so it loads libpq), setting
 * one keyword, the multi-host conninfo that follows the writable node, and
 * the "host:port" endpoint that names a conninfo in messages and evidence
 * instead of the conninfo itself (it may hold a password).
 *
 * No query and no connection here: pg_conn.c connects with what this builds.
 */
#include "pg.h"

#include <stdio.h>
#include <string.h>

#include "pg_int.h"
#include "util.h"

int pg_conninfo_parse(const char *conninfo, PQconninfoOption **opts, DrillError *err)
{
    *opts = NULL;
    /* Every path to libpq without a connection comes through here first. */
    int rc = pqlib_load(err);
    if (rc != 0)
        return rc;
    char *msg = NULL;
    *opts = PQconninfoParse(conninfo ? conninfo : "", &msg);
    if (*opts != NULL)
        return 0;
    char text[512];
    pg_copy_trimmed(msg ? msg : "out of memory", text, sizeof text);
    PQfreemem(msg);
    return drill_error_set(err, DRILL_E_INVALID, "invalid PostgreSQL conninfo: %s", text);
}

const char *pg_conninfo_value(const PQconninfoOption *opts, const char *key)
{
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, key) == 0)
            return o->val;
    return NULL;
}

/* Appends " key=value", quoting the value when conninfo syntax needs it. */
static void conninfo_add(Buf *b, const char *key, const char *val)
{
    buf_appendf(b, "%s%s=", b->len > 0 ? " " : "", key);
    if (*val != '\0' && strpbrk(val, " \t\n\r\f\v'\\") == NULL) {
        buf_appends(b, val);
        return;
    }
    buf_append(b, "'", 1);
    for (const char *p = val; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            buf_append(b, "\\", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "'", 1);
}

static int conninfo_finish(Buf *b, char **out, DrillError *err)
{
    if (b->truncated) {
        buf_free(b);
        return drill_error_set(err, DRILL_E_INVALID, "conninfo longer than %d bytes", CONNINFO_MAX);
    }
    *out = buf_steal(b);
    return 0;
}

static bool key_in(const char *key, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

/* The options re-emitted in key=value syntax, keys[i] set to vals[i] (NULL drops it). */
int pg_conninfo_rebuild(const PQconninfoOption *opts, const char *const *keys,
                            const char *const *vals, char **out, DrillError *err)
{
    Buf b;
    buf_init(&b, CONNINFO_MAX);
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        const char *v = o->val;
        for (size_t i = 0; keys[i] != NULL; i++)
            if (strcmp(o->keyword, keys[i]) == 0)
                v = vals[i];
        if (v != NULL)
            conninfo_add(&b, o->keyword, v);
    }
    return conninfo_finish(&b, out, err);
}

int pg_conninfo_set(const char *conninfo, const char *key, const char *value, char **out,
                    DrillError *err)
{
    *out = NULL;
    PQconninfoOption *opts = NULL;
    int rc = pg_conninfo_parse(conninfo, &opts, err);
    if (rc != 0)
        return rc;
    const char *const keys[] = {key, NULL};
    const char *const vals[] = {value, NULL};
    bool known = false;
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        known = known || strcmp(o->keyword, key) == 0;
    if (known)
        rc = pg_conninfo_rebuild(opts, keys, vals, out, err);
    else
        rc = drill_error_set(err, DRILL_E_INVALID, "unknown conninfo keyword \"%s\"", key);
    PQconninfoFree(opts);
    return rc;
}

int pg_conninfo_with_db(const char *conninfo, const char *dbname, char **out, DrillError *err)
{
    return pg_conninfo_set(conninfo, "dbname", dbname, out, err);
}

/* Adds one node's host and port to the comma lists of a multi-host conninfo. */
static int add_node(const PQconninfoOption *opts, size_t i, Buf *hosts, Buf *ports,
                    bool *any_port, DrillError *err)
{
    const char *host = pg_conninfo_value(opts, "host");
    const char *port = pg_conninfo_value(opts, "port");
    if (host == NULL || *host == '\0')
        host = pg_conninfo_value(opts, "hostaddr");
    host = host ? host : "";
    port = port ? port : "";
    if (strchr(host, ',') != NULL || strchr(port, ',') != NULL)
        return drill_error_set(err, DRILL_E_INVALID, "node conninfo #%zu already lists several "
                               "hosts or ports", i + 1);
    buf_appendf(hosts, "%s%s", i > 0 ? "," : "", host);
    buf_appendf(ports, "%s%s", i > 0 ? "," : "", port);
    *any_port = *any_port || *port != '\0';
    return 0;
}

/* Everything of the first node but its address and session targeting. */
static void add_common(Buf *b, const PQconninfoOption *first)
{
    static const char *const lead[] = {"user", "dbname", NULL};
    static const char *const skip[] = {"user", "dbname", "host", "hostaddr", "port",
                                       "target_session_attrs", "connect_timeout", NULL};
    for (const char *const *k = lead; *k != NULL; k++) {
        const char *v = pg_conninfo_value(first, *k);
        if (v != NULL)
            conninfo_add(b, *k, v);
    }
    for (const PQconninfoOption *o = first; o->keyword != NULL; o++)
        if (o->val != NULL && !key_in(o->keyword, skip))
            conninfo_add(b, o->keyword, o->val);
    conninfo_add(b, "target_session_attrs", "read-write");
    conninfo_add(b, "connect_timeout", "2");
}

int pg_conninfo_writable(const char *const *conninfos, size_t n, char **out, DrillError *err)
{
    *out = NULL;
    if (n == 0)
        return drill_error_set(err, DRILL_E_INVALID, "no node conninfo to build a writable one");
    Buf hosts, ports, b;
    buf_init(&hosts, CONNINFO_MAX);
    buf_init(&ports, CONNINFO_MAX);
    buf_init(&b, CONNINFO_MAX);
    PQconninfoOption *first = NULL;
    bool any_port = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        PQconninfoOption *opts = NULL;
        rc = pg_conninfo_parse(conninfos[i], &opts, err);
        if (rc == 0)
            rc = add_node(opts, i, &hosts, &ports, &any_port, err);
        if (i == 0)
            first = opts;
        else
            PQconninfoFree(opts);
    }
    if (rc == 0) {
        conninfo_add(&b, "host", hosts.data ? hosts.data : "");
        if (any_port)
            conninfo_add(&b, "port", ports.data);
        add_common(&b, first);
        b.truncated = b.truncated || hosts.truncated || ports.truncated;
        rc = conninfo_finish(&b, out, err);
    } else {
        buf_free(&b);
    }
    PQconninfoFree(first);
    buf_free(&hosts);
    buf_free(&ports);
    return rc;
}

/* Item i of a comma list (the last one when the list is shorter, as libpq
 * does for a single port shared by several hosts). */
void pg_list_item(const char *list, size_t i, char *out, size_t outsz)
{
    const char *p = list;
    for (size_t k = 0; k < i; k++) {
        const char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    size_t len = strcspn(p, ",");
    snprintf(out, outsz, "%.*s", (int)(len < outsz ? len : outsz - 1), p);
}

int pg_conninfo_endpoint(const char *conninfo, char *out, size_t outsz)
{
    PQconninfoOption *opts = NULL;
    snprintf(out, outsz, "(invalid conninfo)");
    if (pg_conninfo_parse(conninfo, &opts, NULL) != 0)
        return -1;
    const char *hosts = pg_conninfo_value(opts, "host");
    const char *ports = pg_conninfo_value(opts, "port");
    if (hosts == NULL || *hosts == '\0')
        hosts = pg_conninfo_value(opts, "hostaddr");
    hosts = hosts && *hosts ? hosts : "(default host)";
    ports = ports && *ports ? ports : "5432";
    Buf b;
    buf_init(&b, outsz > 0 ? outsz - 1 : 0);
    size_t count = 1;
    for (const char *p = hosts; *p != '\0'; p++)
        count += *p == ',';
    for (size_t i = 0; i < count; i++) {
        char h[128], p[16];
        pg_list_item(hosts, i, h, sizeof h);
        pg_list_item(ports, i, p, sizeof p);
        buf_appendf(&b, "%s%s:%s", i > 0 ? "," : "", h, *p ? p : "5432");
    }
    snprintf(out, outsz, "%s", b.data ? b.data : "");
    buf_free(&b);
    PQconninfoFree(opts);
    return 0;
}
