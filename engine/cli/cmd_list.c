/*
 * cmd_list.c — `drill list`: the drills drill can find by name, where each
 * comes from (local, path, user, source, installed), which copies are
 * shadowed by an earlier directory, and what each drill does. The entries
 * come from paths_list_drills() so every output format shows the same list.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "paths.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill list [--names | --format json]\n\n"
         "Lists the drills `drill run NAME` and `drill validate NAME` find, sorted by\n"
         "name: NAME, ORIGIN and the first line of the drill's description. Directories\n"
         "are searched in this order; the first NAME.yaml found wins and the copies\n"
         "after it are shown \"(shadowed by ORIGIN)\":\n"
         "  local      ./drills\n"
         "  path       each directory of $DRILL_PATH (colon-separated)\n"
         "  user       ${XDG_CONFIG_HOME:-~/.config}/drill/drills\n"
         "  source     the source tree's drills/ (only for a binary in its build tree)\n"
         "  installed  share/drill/drills next to the installed binary (../share/drill)\n"
         "A DRILL argument containing '/' or ending in .yaml is a path, never searched.\n\n"
         "Options:\n"
         "      --names  print only the names `drill run` would use, one per line\n"
         "               (what shell completion reads)\n"
         "      --format text|json  json: {\"schema_version\": 1, \"drills\": [{name, path,\n"
         "               origin, valid, description, shadowed_by}]} on stdout, in search\n"
         "               order (shadowed_by: the origin of the copy that wins, or null)");
}

/* By name, then search order (entries sit in one array in search order, so
 * their addresses compare like it): the copy that wins comes first. */
static int cmp_entry(const void *a, const void *b)
{
    const DrillEntry *x = *(const DrillEntry *const *)a, *y = *(const DrillEntry *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x > y) - (x < y);
}

/* Descriptions are often one long line: the table shows their start, cut
 * at a word boundary, so each drill stays on one terminal line. */
#define DESC_WIDTH 60

static void print_description(const char *desc)
{
    size_t len = strlen(desc);
    if (len <= DESC_WIDTH) {
        puts(desc);
        return;
    }
    size_t cut = DESC_WIDTH - 3;
    while (cut > DESC_WIDTH / 2 && desc[cut] != ' ')
        cut--;
    printf("%.*s...\n", (int)cut, desc);
}

static void print_entry(const DrillEntryList *l, const DrillEntry *e)
{
    printf("%-22s %-10s ", e->name, paths_origin_name(e->origin));
    if (e->shadowed_by >= 0)
        printf("(shadowed by %s) ", paths_origin_name(l->items[e->shadowed_by].origin));
    if (e->description != NULL)
        print_description(e->description);
    else
        printf("(invalid: run `drill validate %s`)\n", e->path);
}

static void print_list(const DrillEntryList *l, bool names_only)
{
    const DrillEntry **order = xcalloc(l->count + 1, sizeof *order);
    for (size_t i = 0; i < l->count; i++)
        order[i] = &l->items[i];
    qsort(order, l->count, sizeof *order, cmp_entry);
    if (!names_only)
        printf("%-22s %-10s %s\n", "NAME", "ORIGIN", "DESCRIPTION");
    for (size_t i = 0; i < l->count; i++) {
        const DrillEntry *e = order[i];
        if (!names_only)
            print_entry(l, e);
        else if (e->shadowed_by < 0)
            puts(e->name);
    }
    free(order);
}

/* The same entries as the table, as one JSON document. */
static int print_json(const DrillEntryList *l)
{
    JsonWriter w;
    json_begin(&w, "list");
    json_key(&w, "drills");
    json_array_begin(&w);
    for (size_t i = 0; i < l->count; i++) {
        const DrillEntry *e = &l->items[i];
        json_object_begin(&w);
        json_kv_string(&w, "name", e->name);
        json_kv_string(&w, "path", e->path);
        json_kv_string(&w, "origin", paths_origin_name(e->origin));
        json_kv_bool(&w, "valid", e->description != NULL);
        json_kv_string(&w, "description", e->description);
        json_kv_string(&w, "shadowed_by", e->shadowed_by < 0 ? NULL
                           : paths_origin_name(l->items[e->shadowed_by].origin));
        json_object_end(&w);
    }
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("list", &err) : DRILL_EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"names", no_argument, NULL, 'N'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    bool names_only = false, json = false;
    int c;
    while ((c = cli_getopt("list", argc, argv, "h", opts)) != -1) {
        if (c == 'h') {
            help();
            return DRILL_EXIT_OK;
        }
        if (c == '?' || (c == 'F' && cli_parse_format("list", optarg, &json) != 0))
            return DRILL_EXIT_INVALID;
        json = json || c == 'J';
        names_only = names_only || c == 'N';
    }
    if (optind < argc)
        return cli_usage("list", "unexpected argument \"%s\"", argv[optind]);
    DrillEntryList *l = paths_list_drills();
    int rc = DRILL_EXIT_OK;
    if (json)
        rc = print_json(l);
    else
        print_list(l, names_only);
    if (l->count == 0)
        fputs("no drills found\n  hint: set DRILL_PATH to a directory of drill files\n", stderr);
    paths_entries_free(l);
    return rc;
}
