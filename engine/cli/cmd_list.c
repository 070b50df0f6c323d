/*
 * cmd_list.c — `drill list`: the drills drill can find by name, where they
 * come from, and what they do.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "paths.h"
#include "scenario.h"
#include "util.h"

static void list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, (int (*)(const void *, const void *))strcmp);
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        DiagList *diags = diag_list_new();
        Scenario *s = NULL;
        if (scenario_load(path, diags, &s) == 0) {
            const char *desc = s->description ? s->description : "";
            int len = (int)strcspn(desc, "\n");
            printf("  %-22s %.*s\n", s->name, len, desc);
        } else {
            printf("  %-22s (invalid: run `drill validate %s`)\n", names[i], path);
        }
        (*count)++;
        scenario_free(s);
        diag_list_free(diags);
        free(path);
        free(names[i]);
    }
    free(names);
}

int cmd_list(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            puts("usage: drill list\n\nLists the drills found by name, per directory, in search\n"
                 "order: $DRILL_PATH, ./drills, the source tree, the installed share/drill/drills.");
            return DRILL_EXIT_OK;
        }
        return cli_usage("list", "unexpected argument \"%s\"", argv[1]);
    }
    char **dirs = paths_drill_dirs();
    size_t count = 0;
    for (char **d = dirs; *d != NULL; d++) {
        printf("%s:\n", *d);
        list_dir(*d, &count);
    }
    paths_list_free(dirs);
    if (count == 0)
        fputs("no drills found\n  hint: set DRILL_PATH to a directory of drill files\n", stderr);
    return DRILL_EXIT_OK;
}
