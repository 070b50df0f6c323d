/* suite.c — see suite.h. Parsed with the strict yamldoc helpers. */
#include "suite.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "paths.h"
#include "util.h"
#include "yamldoc.h"

static const char *const suite_keys[] = {"suite", "description", "fail_fast", "drills", NULL};

/* Entries with a '/' are paths relative to the suite file's directory;
 * others are drill names or paths, resolved as on the command line. */
static char *resolve_entry(const char *suite_file, const char *entry)
{
    if (strchr(entry, '/') == NULL || entry[0] == '/')
        return paths_find_drill(entry);
    const char *slash = strrchr(suite_file, '/');
    char *rel = slash ? xasprintf("%.*s/%s", (int)(slash - suite_file), suite_file, entry)
                      : xstrdup(entry);
    char *path = paths_find_drill(rel);
    free(rel);
    return path;
}

static void parse_drill(YamlDoc *doc, Suite *s, const yaml_node_t *item)
{
    const char *entry = yamldoc_want_string(doc, "drills entry", item);
    if (entry == NULL)
        return;
    char *path = resolve_entry(s->file, entry);
    if (path == NULL) {
        char clip[64];
        yamldoc_error(doc, item, "give a drill name (see `drill list`) or a path relative to "
                      "the suite file", "no drill \"%s\"", yamldoc_clip(entry, clip));
        return;
    }
    s->drills[s->ndrills++] = path;
}

static void parse_drills(YamlDoc *doc, Suite *s, const yaml_node_t *v)
{
    if (!yamldoc_want_type(doc, "drills", v, YAML_SEQUENCE_NODE))
        return;
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0 || n > SUITE_MAX_DRILLS) {
        yamldoc_error(doc, v, "list the drills to run, e.g. `drills: [primary-wipe]`",
                      "drills must list 1 to %d drills, not %zu", SUITE_MAX_DRILLS, n);
        return;
    }
    s->drills = xcalloc(n, sizeof *s->drills);
    for (size_t i = 0; i < n; i++)
        parse_drill(doc, s, yamldoc_node(doc, v->data.sequence.items.start[i]));
}

static void parse_top(YamlDoc *doc, Suite *s, const yaml_node_t *root)
{
    yamldoc_check_keys(doc, root, suite_keys, "suite file");
    const yaml_node_t *v = yamldoc_get(doc, root, "suite");
    const char *str = v ? yamldoc_want_string(doc, "suite", v) : NULL;
    if (v == NULL)
        yamldoc_missing(doc, root, "suite", "suite file", "name the suite: `suite: monthly`");
    s->name = xstrdup(str);
    if ((v = yamldoc_get(doc, root, "description")) != NULL)
        s->description = xstrdup(yamldoc_want_string(doc, "description", v));
    if ((v = yamldoc_get(doc, root, "fail_fast")) != NULL)
        yamldoc_want_bool(doc, "fail_fast", v, &s->fail_fast);
    if ((v = yamldoc_get(doc, root, "drills")) != NULL)
        parse_drills(doc, s, v);
    else
        yamldoc_missing(doc, root, "drills", "suite file", "list the drills: `drills: [a, b]`");
}

static int suite_parse(Suite *s, const char *text, size_t len, DiagList *diags)
{
    size_t before = diag_count(diags);
    YamlDoc *doc = yamldoc_parse(s->file, text, len, diags);
    if (doc == NULL)
        return DRILL_E_INVALID;
    const yaml_node_t *root = yamldoc_root(doc);
    if (root->type != YAML_MAPPING_NODE)
        yamldoc_error(doc, root, "a suite file is a mapping that starts with `suite: NAME`",
                      "the top level must be a mapping, not a %s", yamldoc_type_name(root));
    else
        parse_top(doc, s, root);
    yamldoc_free(doc);
    return diag_count(diags) == before ? 0 : DRILL_E_INVALID;
}

int suite_load(const char *path, DiagList *diags, Suite **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = yamldoc_read_file(path, diags, &text, &len);
    if (rc != 0)
        return rc;
    Suite *s = xcalloc(1, sizeof *s);
    s->file = xstrdup(path);
    rc = suite_parse(s, text, len, diags);
    free(text);
    if (rc != 0) {
        suite_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void suite_free(Suite *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ndrills; i++)
        free(s->drills[i]);
    free(s->drills);
    free(s->file);
    free(s->name);
    free(s->description);
    free(s);
}

bool suite_file_looks_like(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(path, YAMLDOC_MAX_BYTES, &text, &len, NULL) < 0)
        return false;
    bool suite = strncmp(text, "suite:", 6) == 0 || strstr(text, "\nsuite:") != NULL;
    free(text);
    return suite;
}
