/* shellenv.c — see shellenv.h. */
#include "shellenv.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define IDENT_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

static bool argv_has_key(const Argv *a, const char *key, size_t n)
{
    for (size_t i = 1; i < a->n; i++)   /* a->v[0] is "env" */
        if (strncmp(a->v[i], key, n) == 0 && a->v[i][n] == '=')
            return true;
    return false;
}

/* The `${ROLE.FIELD}` value whose environment name is key (DRILL_ROLE_...). */
static const ScenarioVar *node_attr_var(const Scenario *sc, const char *key)
{
    const ScenarioVar *found = NULL;
    for (size_t i = 0; found == NULL && i < sc->nvars; i++) {
        if (!sc->vars[i].node_attr)
            continue;
        Buf b;
        buf_init(&b, 256);
        scenario_node_attr_env(&b, sc->vars[i].name);
        if (strcmp(b.data, key) == 0)
            found = &sc->vars[i];
        buf_free(&b);
    }
    return found;
}

/* Adds `ENV=VALUE` for one name the command mentions (n bytes at env), once.
 * A DRILL_VAR_ name that is no variable is left alone (the author's own). */
static int shell_env_add(const Scenario *sc, const char *env, size_t n, CaptureLookup lookup,
                         void *ud, Argv *a, DrillError *err)
{
    if (argv_has_key(a, env, n))
        return 0;
    char *key = xstrndup(env, n);
    bool capture = str_has_prefix(key, "DRILL_CAPTURE_");
    bool role = str_has_prefix(key, "DRILL_ROLE_");
    const char *name = key + strlen(capture ? "DRILL_CAPTURE_" : role ? "DRILL_ROLE_" : "DRILL_VAR_");
    const ScenarioVar *var = role ? node_attr_var(sc, key) : capture ? NULL : scenario_var(sc, name);
    char *pair = NULL;
    int rc = 0;
    if (var != NULL)
        pair = xasprintf("%s=%s", key, var->value);
    else if (capture && lookup == NULL)
        pair = xasprintf("%s=${capture.%s}", key, name);   /* dry run */
    else if (capture && lookup(ud, name) != NULL)
        pair = xasprintf("%s=%s", key, lookup(ud, name));
    else if (capture)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no value was captured as \"%s\" (the step "
                             "that captures it did not run or failed)", name);
    if (pair != NULL && a->n >= ARGV_MAX - 3)
        rc = drill_error_set(err, DRILL_E_INVALID, "the command uses more than %d values",
                             ARGV_MAX - 4);
    else if (pair != NULL)
        argv_add(a, pair);   /* one argv element: `env` splits it at the first = */
    free(pair);
    free(key);
    return rc;
}

int shellenv_argv(const Scenario *sc, const char *command, CaptureLookup lookup, void *ud,
                  Argv *a, DrillError *err)
{
    argv_add(a, "env");
    int rc = 0;
    for (const char *p = command; rc == 0 && (p = strstr(p, "DRILL_")) != NULL; p++) {
        if (p > command && strchr(IDENT_CHARS, p[-1]) != NULL)
            continue;
        size_t n = strspn(p, IDENT_CHARS);
        size_t prefix = str_has_prefix(p, "DRILL_VAR_") ? strlen("DRILL_VAR_")
                        : str_has_prefix(p, "DRILL_CAPTURE_") ? strlen("DRILL_CAPTURE_")
                        : str_has_prefix(p, "DRILL_ROLE_") ? strlen("DRILL_ROLE_") : n;
        if (n > prefix)
            rc = shell_env_add(sc, p, n, lookup, ud, a, err);
    }
    if (a->n == 1) {   /* no values: plain /bin/sh -c, as before */
        argv_free(a);
    }
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, command);
    return rc;
}
