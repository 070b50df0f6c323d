/* paths.c — see paths.h. */
#define _XOPEN_SOURCE 700 /* realpath(3) */
#include "paths.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "scenario.h"
#include "util.h"

/* Set by CMake; the defaults keep stand-alone builds (tests/fuzz) compiling. */
#ifndef DRILL_SOURCE_DIR
#define DRILL_SOURCE_DIR "."
#endif
#ifndef DRILL_BUILD_DIR
#define DRILL_BUILD_DIR "/nonexistent"
#endif
#ifndef DRILL_INSTALL_DATADIR
#define DRILL_INSTALL_DATADIR "/usr/local/share/drill"
#endif
/* share/drill relative to the installed binary's directory (GNUInstallDirs). */
#ifndef DRILL_BIN_TO_DATADIR
#define DRILL_BIN_TO_DATADIR "../share/drill"
#endif

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *paths_origin_name(DrillOrigin o)
{
    static const char *const names[] = {"local", "path", "user", "source", "installed"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

/* The running binary's real path (malloc'd), or NULL when /proc is missing. */
static char *self_exe(void)
{
    char buf[PATH_MAX];
    return realpath("/proc/self/exe", buf) != NULL ? xstrdup(buf) : NULL;
}

/* True when this binary lives under the build directory: only then does the
 * source tree count as a drill/fixture directory, so an installed drill never
 * picks up the checkout it was built from. */
static bool in_build_tree(void)
{
    char build[PATH_MAX];
    char *exe = self_exe();
    bool in = exe != NULL && realpath(DRILL_BUILD_DIR, build) != NULL &&
              str_has_prefix(exe, build) && exe[strlen(build)] == '/';
    free(exe);
    return in;
}

/* Installed share/drill candidates: relative to the binary first (any prefix,
 * DESTDIR staging), then the configured prefix. Fills out[0..1] (malloc'd). */
static size_t installed_datadirs(char *out[2])
{
    size_t n = 0;
    char *exe = self_exe();
    if (exe != NULL) {
        char *slash = strrchr(exe, '/');
        *slash = '\0';
        out[n++] = xasprintf("%s/%s", exe, DRILL_BIN_TO_DATADIR);
        free(exe);
    }
    out[n++] = xstrdup(DRILL_INSTALL_DATADIR);
    return n;
}

typedef struct DirList {
    DrillDir *items;
    char **real;  /* realpath of each item, for de-duplication */
    size_t count;
} DirList;

/* Appends PATH (taken) when it is an existing directory not listed yet. */
static void dirs_push(DirList *l, char *path, DrillOrigin origin)
{
    char buf[PATH_MAX];
    if (!is_dir(path) || realpath(path, buf) == NULL) {
        free(path);
        return;
    }
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->real[i], buf) == 0) {
            free(path);
            return;
        }
    l->items = xrealloc(l->items, (l->count + 1) * sizeof *l->items);
    l->real = xrealloc(l->real, (l->count + 1) * sizeof *l->real);
    l->items[l->count] = (DrillDir){path, origin};
    l->real[l->count++] = xstrdup(buf);
}

static char *user_drill_dir(void)
{
    const char *config = getenv("XDG_CONFIG_HOME");
    if (config != NULL && *config == '/')
        return xasprintf("%s/drill/drills", config);
    const char *home = getenv("HOME");
    return home != NULL && *home == '/' ? xasprintf("%s/.config/drill/drills", home) : NULL;
}

static void dirs_push_env_path(DirList *l)
{
    const char *env = getenv("DRILL_PATH");
    if (env == NULL || *env == '\0')
        return;
    char *copy = xstrdup(env);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save))
        dirs_push(l, xstrdup(d), ORIGIN_PATH);
    free(copy);
}

int paths_drill_dirs(DrillDir **out, size_t *count)
{
    DirList l = {0};
    dirs_push(&l, xstrdup("drills"), ORIGIN_LOCAL);
    dirs_push_env_path(&l);
    char *user = user_drill_dir();
    if (user != NULL)
        dirs_push(&l, user, ORIGIN_USER);
    if (in_build_tree())
        dirs_push(&l, xstrdup(DRILL_SOURCE_DIR "/drills"), ORIGIN_SOURCE);
    char *data[2];
    size_t n = installed_datadirs(data);
    for (size_t i = 0; i < n; i++) {
        dirs_push(&l, xasprintf("%s/drills", data[i]), ORIGIN_INSTALLED);
        free(data[i]);
    }
    for (size_t i = 0; i < l.count; i++)
        free(l.real[i]);
    free(l.real);
    *out = l.items;
    *count = l.count;
    return 0;
}

void paths_dirs_free(DrillDir *dirs, size_t count)
{
    if (dirs == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(dirs[i].path);
    free(dirs);
}

static bool is_drill_file_name(const char *name)
{
    size_t len = strlen(name);
    return len > 5 && strcmp(name + len - 5, ".yaml") == 0 && name[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The NAME.yaml file names of DIR, sorted; at most LIMIT. */
static char **dir_drill_files(const char *dir, size_t limit, size_t *count)
{
    char **names = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && n < limit && (e = readdir(d)) != NULL) {
        if (!is_drill_file_name(e->d_name))
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    if (d != NULL)
        closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    *count = n;
    return names;
}

/* The first line of the drill's description, or NULL when it does not load. */
static char *drill_description(const char *path)
{
    DiagList *diags = diag_list_new();
    Scenario *s = NULL;
    char *desc = NULL;
    if (scenario_load(path, diags, &s) == 0) {
        const char *d = s->description != NULL ? s->description : "";
        desc = xstrndup(d, strcspn(d, "\n"));
    }
    scenario_free(s);
    diag_list_free(diags);
    return desc;
}

static void entries_add(DrillEntryList *l, const DrillDir *dir, char *file)
{
    DrillEntry *e;
    l->items = xrealloc(l->items, (l->count + 1) * sizeof *l->items);
    e = &l->items[l->count];
    e->name = xstrndup(file, strlen(file) - 5);
    e->path = xasprintf("%s/%s", dir->path, file);
    e->origin = dir->origin;
    e->description = drill_description(e->path);
    e->shadowed_by = -1;
    for (size_t i = 0; i < l->count && e->shadowed_by < 0; i++)
        if (strcmp(l->items[i].name, e->name) == 0)
            e->shadowed_by = (int)i;
    l->count++;
    free(file);
}

DrillEntryList *paths_list_drills(void)
{
    DrillEntryList *l = xcalloc(1, sizeof *l);
    DrillDir *dirs;
    size_t ndirs;
    paths_drill_dirs(&dirs, &ndirs);
    for (size_t d = 0; d < ndirs; d++) {
        size_t n;
        char **files = dir_drill_files(dirs[d].path, PATHS_MAX_DRILLS - l->count, &n);
        for (size_t i = 0; i < n; i++)
            entries_add(l, &dirs[d], files[i]);
        free(files);
    }
    paths_dirs_free(dirs, ndirs);
    return l;
}

void paths_entries_free(DrillEntryList *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].name);
        free(l->items[i].path);
        free(l->items[i].description);
    }
    free(l->items);
    free(l);
}

static bool is_explicit_path(const char *arg)
{
    size_t len = strlen(arg);
    return strchr(arg, '/') != NULL || (len >= 5 && strcmp(arg + len - 5, ".yaml") == 0);
}

char *paths_find_drill(const char *arg)
{
    if (is_explicit_path(arg))
        return is_file(arg) ? xstrdup(arg) : NULL;
    DrillDir *dirs;
    size_t ndirs;
    paths_drill_dirs(&dirs, &ndirs);
    char *found = NULL;
    for (size_t i = 0; i < ndirs && found == NULL; i++) {
        char *candidate = xasprintf("%s/%s.yaml", dirs[i].path, arg);
        if (is_file(candidate))
            found = candidate;
        else
            free(candidate);
    }
    paths_dirs_free(dirs, ndirs);
    return found;
}

/* DIR/sandbox.sh (malloc'd) when it is a file, else NULL. */
static char *sandbox_script_in(const char *dir)
{
    char *p = xasprintf("%s/sandbox.sh", dir);
    if (is_file(p))
        return p;
    free(p);
    return NULL;
}

char *paths_sandbox_script(void)
{
    const char *env = getenv("DRILL_FIXTURES_DIR");
    char *found = NULL;
    if (env != NULL && *env != '\0')
        found = sandbox_script_in(env);
    if (found == NULL && in_build_tree())
        found = sandbox_script_in(DRILL_SOURCE_DIR "/fixtures");
    char *data[2];
    size_t n = installed_datadirs(data);
    for (size_t i = 0; i < n; i++) {
        if (found == NULL) {
            char *dir = xasprintf("%s/fixtures", data[i]);
            found = sandbox_script_in(dir);
            free(dir);
        }
        free(data[i]);
    }
    return found;
}

char *paths_sandbox_dir(void)
{
    const char *env = getenv("DRILL_SANDBOX_DIR");
    if (env != NULL && *env != '\0')
        return xstrdup(env);
    if (geteuid() == 0)
        return xstrdup("/var/tmp/drill-sandbox");
    const char *state = getenv("XDG_STATE_HOME");
    if (state != NULL && *state == '/')
        return xasprintf("%s/drill/sandbox", state);
    const char *home = getenv("HOME");
    return xasprintf("%s/.local/state/drill/sandbox", home != NULL ? home : "/tmp");
}
