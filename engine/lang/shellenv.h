/*
 * shellenv.h — the argv a `shell` step runs. The parser has rewritten every
 * ${name} of its command into a reference to an environment variable
 * (DRILL_VAR_name, DRILL_CAPTURE_NAME, DRILL_ROLE_role_field for
 * ${ROLE.FIELD}: scenario_vars.c, scenario_roles.c, shellscan.h); this
 * builds `env DRILL_VAR_x=VALUE ... /bin/sh -c COMMAND`, so each value
 * reaches the shell as one argv element of `env`, as data, never as shell
 * text.
 */
#ifndef DRILL_SHELLENV_H
#define DRILL_SHELLENV_H

#include "argv.h"
#include "error.h"
#include "scenario.h"

/* Every DRILL_VAR_name (a variable of sc), DRILL_ROLE_ name (a ${ROLE.FIELD}
 * value of sc) and DRILL_CAPTURE_NAME (lookup)
 * the command mentions is passed once, as `NAME=VALUE`; a DRILL_VAR_ name
 * that is no variable is left alone (the author's own). Without any, a
 * plain `/bin/sh -c COMMAND`. With lookup NULL (dry runs) a capture shows
 * as ${capture.NAME}. Fails when a capture is missing or there are too
 * many values (a is still filled: what was built). */
int shellenv_argv(const Scenario *sc, const char *command, CaptureLookup lookup, void *ud,
                  Argv *a, DrillError *err);

#endif
