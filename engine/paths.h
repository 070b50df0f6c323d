/*
 * paths.h — where drill finds things: shipped drills by name, the sandbox
 * fixtures, and the default sandbox state directory.
 *
 * Search order for a drill NAME (no slash, no .yaml): $DRILL_PATH (colon
 * separated directories), ./drills, the source tree's drills/ (build tree
 * use), then the installed share/drill/drills.
 */
#ifndef DRILL_PATHS_H
#define DRILL_PATHS_H

#include <stddef.h>

/* Resolves a drill argument: an existing path is returned as is; otherwise
 * NAME is searched as NAME.yaml in the drill directories. malloc'd or NULL. */
char *paths_find_drill(const char *name_or_path);

/* The drill directories in search order (NULL-terminated, malloc'd; free with
 * paths_list_free). Only existing directories are listed. */
char **paths_drill_dirs(void);
void paths_list_free(char **list);

/* fixtures/sandbox.sh: $DRILL_FIXTURES_DIR, source tree, install dir. malloc'd or NULL. */
char *paths_sandbox_script(void);

/* Default sandbox state directory: /var/tmp/drill-sandbox as root (the
 * unprivileged server user must reach it), else
 * ${XDG_STATE_HOME:-~/.local/state}/drill/sandbox. $DRILL_SANDBOX_DIR overrides. */
char *paths_sandbox_dir(void);

#endif
