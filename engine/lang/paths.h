/*
 * paths.h — where drill finds things: drills by name, the sandbox fixtures,
 * and the default sandbox state directory.
 *
 * Search order for a drill NAME (no slash, no .yaml suffix; anything else is
 * an explicit path and used as is):
 *   1. ./drills                          origin "local"
 *   2. $DRILL_PATH (colon-separated)     origin "path"
 *   3. ${XDG_CONFIG_HOME:-~/.config}/drill/drills   origin "user"
 *   4. the source tree's drills/, only when this binary runs from its build
 *      tree (never once installed)       origin "source"
 *   5. the installed share/drill/drills: found relative to the running
 *      binary (/proc/self/exe/../share/drill/drills), so any prefix and
 *      DESTDIR staging work, then the compile-time DRILL_DATADIR
 *                                        origin "installed"
 * The first directory holding NAME.yaml wins; the same name further down is
 * "shadowed" (drill list shows it).
 */
#ifndef DRILL_PATHS_H
#define DRILL_PATHS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum DrillOrigin {
    ORIGIN_LOCAL,
    ORIGIN_PATH,
    ORIGIN_USER,
    ORIGIN_SOURCE,
    ORIGIN_INSTALLED,
} DrillOrigin;

/* "local", "path", "user", "source", "installed". */
const char *paths_origin_name(DrillOrigin o);

/* One existing drill directory, in search order. */
typedef struct DrillDir {
    char *path;
    DrillOrigin origin;
} DrillDir;

/* The existing drill directories in search order, duplicates (same real
 * path) removed. *out is malloc'd; free with paths_dirs_free. */
int paths_drill_dirs(DrillDir **out, size_t *count);
void paths_dirs_free(DrillDir *dirs, size_t count);

/* One drill file found by name (what `drill list` prints, in any format). */
typedef struct DrillEntry {
    char *name;          /* file name without .yaml: what `drill run NAME` takes */
    char *path;
    DrillOrigin origin;
    char *description;   /* first line of `description:`; NULL if the file is invalid */
    int shadowed_by;     /* index of the entry `drill run NAME` uses instead, or -1 */
} DrillEntry;

typedef struct DrillEntryList {
    DrillEntry *items;
    size_t count;
} DrillEntryList;

/* Every NAME.yaml of every drill directory, in search order, sorted by name
 * within a directory; each file is parsed for its description. At most
 * PATHS_MAX_DRILLS entries. Never fails (unreadable directories are
 * skipped); free with paths_entries_free. */
#define PATHS_MAX_DRILLS 10000
DrillEntryList *paths_list_drills(void);
void paths_entries_free(DrillEntryList *list);

/* Resolves a drill argument: an explicit path (contains '/' or ends in
 * .yaml) is returned if it is a file; otherwise NAME.yaml is searched in the
 * drill directories. malloc'd or NULL. */
char *paths_find_drill(const char *name_or_path);

/* fixtures/sandbox.sh: $DRILL_FIXTURES_DIR, the source tree (build tree use),
 * the installed share/drill/fixtures. malloc'd or NULL. */
char *paths_sandbox_script(void);

/* Default sandbox state directory: /var/tmp/drill-sandbox as root (the
 * unprivileged server user must reach it), else
 * ${XDG_STATE_HOME:-~/.local/state}/drill/sandbox. $DRILL_SANDBOX_DIR overrides. */
char *paths_sandbox_dir(void);

#endif
