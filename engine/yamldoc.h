/*
 * yamldoc.h — strict YAML loading on top of libyaml's document API.
 *
 * libyaml alone accepts things drill must refuse: duplicate keys, unbounded
 * nesting, alias bombs, and YAML 1.1 booleans such as `yes`/`on` that silently
 * mean something else to other tools. yamldoc loads one document, enforces
 * limits, and gives 1-based positions for diagnostics.
 */
#ifndef DRILL_YAMLDOC_H
#define DRILL_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "diag.h"

#define YAMLDOC_MAX_BYTES (1024 * 1024)  /* a drill file larger than 1 MiB is refused */
#define YAMLDOC_MAX_DEPTH 32
#define YAMLDOC_MAX_NODES 100000

typedef struct YamlDoc YamlDoc;

/* Parses text; returns NULL (with diagnostics) on syntax errors, multiple
 * documents, aliases, or limits exceeded. Duplicate keys are reported but do
 * not prevent loading. */
YamlDoc *yamldoc_parse(const char *file, const char *text, size_t len, DiagList *diags);
void yamldoc_free(YamlDoc *doc);

yaml_node_t *yamldoc_root(YamlDoc *doc);
yaml_node_t *yamldoc_node(YamlDoc *doc, int index);   /* libyaml node index -> node */
const char *yamldoc_file(const YamlDoc *doc);

int yamldoc_line(const yaml_node_t *n);  /* 1-based */
int yamldoc_col(const yaml_node_t *n);   /* 1-based */
const char *yamldoc_scalar(const yaml_node_t *n);  /* NULL if not a scalar */
/* True when the scalar was written plain (unquoted): only plain scalars may be
 * booleans or numbers. */
bool yamldoc_is_plain(const yaml_node_t *n);

/* Closest candidate to `word` by edit distance (for "did you mean"), or NULL. */
const char *yamldoc_suggest(const char *word, const char *const *candidates);

#endif
