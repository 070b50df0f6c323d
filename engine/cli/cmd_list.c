/*
 * cmd_list.c — `drill list`: the drills drill can find by name, where they
 * come from, and what they do.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "paths.h"
#include "scenario.h"
#include "util.h"

/* One entry: the human line, or an object in the JSON document. */
static void list_entry(JsonWriter *w, const char *path, const char *file, const Scenario *s)
{
    const char *desc = s && s->description ? s->description : "";
    int len = (int)strcspn(desc, "\n");
    if (w == NULL && s != NULL)
        printf("  %-22s %.*s\n", s->name, len, desc);
    else if (w == NULL)
        printf("  %-22s (invalid: run `drill validate %s`)\n", file, path);
    if (w == NULL)
        return;
    char *first = xstrndup(desc, (size_t)len);
    json_object_begin(w);
    json_kv_string(w, "name", s ? s->name : NULL);
    json_kv_string(w, "file", path);
    json_kv_bool(w, "valid", s != NULL);
    json_kv_string(w, "description", s ? first : NULL);
    json_object_end(w);
    free(first);
}

static void list_dir(const char *dir, size_t *count, JsonWriter *w)
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
        scenario_load(path, diags, &s);
        list_entry(w, path, names[i], s);
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
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: drill list [--format text|json]\n\nLists the drills found by name, per "
                 "directory, in search\n"
                 "order: $DRILL_PATH, ./drills, the source tree, the installed share/drill/drills.\n"
                 "--format json: {\"schema_version\": 1, \"directories\": [{\"path\", \"drills\":\n"
                 "[{name, file, valid, description}]}]} on stdout.");
            return DRILL_EXIT_OK;
        }
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (cli_parse_format("list", argv[++i], &json) != 0)
                return DRILL_EXIT_INVALID;
            continue;
        }
        return cli_usage("list", "unexpected argument \"%s\"", argv[i]);
    }
    JsonWriter w;
    if (json) {
        json_begin(&w);
        json_key(&w, "directories");
        json_array_begin(&w);
    }
    char **dirs = paths_drill_dirs();
    size_t count = 0;
    for (char **d = dirs; *d != NULL; d++) {
        if (json) {
            json_object_begin(&w);
            json_kv_string(&w, "path", *d);
            json_key(&w, "drills");
            json_array_begin(&w);
        } else {
            printf("%s:\n", *d);
        }
        list_dir(*d, &count, json ? &w : NULL);
        if (json) {
            json_array_end(&w);
            json_object_end(&w);
        }
    }
    paths_list_free(dirs);
    if (count == 0)
        fputs("no drills found\n  hint: set DRILL_PATH to a directory of drill files\n", stderr);
    DrillError err;
    if (json)
        json_array_end(&w);
    return json && json_finish(&w, stdout, &err) < 0 ? cli_fail("list", &err) : DRILL_EXIT_OK;
}
