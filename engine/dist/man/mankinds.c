/*
 * mankinds.c — build-time generator of the drill-drill(5) man page: copies
 * the hand-written template and replaces its `.\" @STEPKINDS@` line with the
 * step-kind catalogue (engine/lang/stepkind.c) in roff, so the page lists exactly
 * the kinds and parameters the parser accepts and can never drift from it.
 *
 * usage: drill_mankinds TEMPLATE OUTPUT
 *        drill_mankinds --markdown   the README's "Step kinds" list, on stdout: one
 *                                    line per kind, its parameters by name only
 *                                    (checks/readme-kinds compares the two; the
 *                                    full reference is the man page)
 */
#include <stdio.h>
#include <string.h>

#include "stepkind.h"

#define MARKER ".\\\" @STEPKINDS@"

/* Writes TEXT as roff running text: backslashes escaped, a line never starts
 * with a control character ('.' or '\''), and a break point (\:) after each
 * '|' so long enum choice lists can wrap instead of overflowing the line. */
static void roff_text(FILE *out, const char *text)
{
    if (*text == '.' || *text == '\'')
        fputs("\\&", out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-')
            fputs("\\-", out);
        else if (*p == '|')
            fputs("|\\:", out);
        else
            fputc(*p, out);
    }
}

static void write_param(FILE *out, const ParamSpec *p)
{
    fputs(".TP\n.B ", out);
    roff_text(out, p->key);
    fputs("\n(", out);
    roff_text(out, stepkind_param_type_name(p));
    if (p->required)
        fputs(", required", out);
    if (p->default_text != NULL) {
        fputs(", default ", out);
        roff_text(out, p->default_text);
    }
    fputs(")\n", out);
    roff_text(out, p->help);
    fputs("\n", out);
}

static void write_kind(FILE *out, const StepKind *k)
{
    fputs(".TP\n.B ", out);
    roff_text(out, k->name);
    fputs(k->destructive ? "\n(destructive)\n" : k->read_only ? "\n(read-only)\n" : "\n", out);
    roff_text(out, k->summary);
    fprintf(out, "; node %s, default timeout %llds.\n", k->node_required ? "required" : "optional",
            (long long)(k->default_timeout_ms / 1000));
    if (k->params[0].key == NULL) {
        fputs("No parameters.\n", out);
        return;
    }
    fputs(".RS\n", out);
    for (const ParamSpec *p = k->params; p->key != NULL; p++)
        write_param(out, p);
    fputs(".RE\n", out);
}

/* One README list item: "- `name` **(destructive)** — summary. Parameters:
 * `key` (required), `key`, ..." (types, defaults and help are drill-drill(5)'s). */
static void write_markdown_kind(const StepKind *k)
{
    printf("- `%s`%s — %s.", k->name,
           k->destructive ? " **(destructive)**" : k->read_only ? " **(read-only)**" : "",
           k->summary);
    if (k->params[0].key == NULL) {
        puts(" No parameters.");
        return;
    }
    fputs(" Parameters:", stdout);
    for (const ParamSpec *p = k->params; p->key != NULL; p++)
        printf(" `%s`%s%s", p->key, p->required ? " (required)" : "", p[1].key != NULL ? "," : ".\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        for (size_t i = 0; i < stepkind_count(); i++)
            write_markdown_kind(stepkind_get((StepKindId)i));
        return 0;
    }
    if (argc != 3) {
        fputs("usage: drill_mankinds TEMPLATE OUTPUT\n", stderr);
        return 2;
    }
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
    if (in == NULL || out == NULL) {
        perror(in == NULL ? argv[1] : argv[2]);
        return 1;
    }
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        if (strncmp(line, MARKER, strlen(MARKER)) != 0) {
            fputs(line, out);
            continue;
        }
        found = 1;
        for (size_t i = 0; i < stepkind_count(); i++)
            write_kind(out, stepkind_get((StepKindId)i));
    }
    fclose(in);
    if (fclose(out) != 0 || !found) {
        fprintf(stderr, "drill_mankinds: %s\n", found ? "write failed" : "no @STEPKINDS@ marker");
        return 1;
    }
    return 0;
}
