/* paths.c — see paths.h. */
#include "paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef DRILL_SOURCE_DIR
#define DRILL_SOURCE_DIR "."
#endif
#ifndef DRILL_INSTALL_DATADIR
#define DRILL_INSTALL_DATADIR "/usr/local/share/drill"
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

static void list_push(char ***list, size_t *n, char *item)
{
    if (!is_dir(item)) {
        free(item);
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*list)[i], item) == 0) {
            free(item);
            return;
        }
    }
    *list = xrealloc(*list, (*n + 2) * sizeof **list);
    (*list)[(*n)++] = item;
    (*list)[*n] = NULL;
}

char **paths_drill_dirs(void)
{
    char **list = xcalloc(1, sizeof *list);
    size_t n = 0;
    const char *env = getenv("DRILL_PATH");
    if (env != NULL && *env != '\0') {
        char *copy = xstrdup(env);
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save))
            list_push(&list, &n, xstrdup(d));
        free(copy);
    }
    list_push(&list, &n, xstrdup("drills"));
    list_push(&list, &n, xstrdup(DRILL_SOURCE_DIR "/drills"));
    list_push(&list, &n, xstrdup(DRILL_INSTALL_DATADIR "/drills"));
    return list;
}

void paths_list_free(char **list)
{
    if (list == NULL)
        return;
    for (char **p = list; *p != NULL; p++)
        free(*p);
    free(list);
}

char *paths_find_drill(const char *arg)
{
    if (strchr(arg, '/') != NULL || str_has_prefix(arg + (strlen(arg) > 5 ? strlen(arg) - 5 : 0), ".yaml"))
        return is_file(arg) ? xstrdup(arg) : NULL;
    char **dirs = paths_drill_dirs();
    char *found = NULL;
    for (char **d = dirs; *d != NULL && found == NULL; d++) {
        char *candidate = xasprintf("%s/%s.yaml", *d, arg);
        if (is_file(candidate))
            found = candidate;
        else
            free(candidate);
    }
    paths_list_free(dirs);
    return found;
}

char *paths_sandbox_script(void)
{
    const char *env = getenv("DRILL_FIXTURES_DIR");
    const char *candidates[] = {env, DRILL_SOURCE_DIR "/fixtures", DRILL_INSTALL_DATADIR "/fixtures"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (candidates[i] == NULL || *candidates[i] == '\0')
            continue;
        char *p = xasprintf("%s/sandbox.sh", candidates[i]);
        if (is_file(p))
            return p;
        free(p);
    }
    return NULL;
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
