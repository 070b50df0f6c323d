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

/* Parses text; returns NULL (with diagnostics) on syntax errors, an empty
 * file, multiple documents, anchors/aliases, explicit tags, non-scalar keys,
 * NUL characters in values, or limits exceeded. Duplicate keys are reported
 * but do not prevent loading. */
YamlDoc *yamldoc_parse(const char *file, const char *text, size_t len, DiagList *diags);
void yamldoc_free(YamlDoc *doc);

yaml_node_t *yamldoc_root(YamlDoc *doc);
/* Linked libyaml version, for the evidence ("0.2.5"). */
const char *yamldoc_library_version(void);
yaml_node_t *yamldoc_node(YamlDoc *doc, int index);   /* libyaml node index -> node */
const char *yamldoc_file(const YamlDoc *doc);

int yamldoc_line(const yaml_node_t *n);  /* 1-based */
int yamldoc_col(const yaml_node_t *n);   /* 1-based */
const char *yamldoc_scalar(const yaml_node_t *n);  /* NULL if not a scalar */
/* True when the scalar was written plain (unquoted): only plain scalars may be
 * booleans or numbers. */
bool yamldoc_is_plain(const yaml_node_t *n);

/* Reads a language file for parsing: refuses files over YAMLDOC_MAX_BYTES
 * (DRILL_E_INVALID) and unreadable ones (DRILL_E_IO), both reported in diags. */
int yamldoc_read_file(const char *path, DiagList *diags, char **text, size_t *len);

/* ---- Helpers shared by the drill and topology parsers (scenario.c, topology.c).
 * Each checker reports its own problem at the offending node (to the DiagList
 * given to yamldoc_parse) and returns NULL / -1 / false when the value is
 * unusable, so parsers just skip the field and go on to find more problems. */

DiagList *yamldoc_diags(YamlDoc *doc);
/* Adds an error positioned at node `at` (1:1 when at is NULL). */
void yamldoc_error(YamlDoc *doc, const yaml_node_t *at, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, at an explicit 1-based position. */
void yamldoc_error_at(YamlDoc *doc, int line, int col, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

const char *yamldoc_type_name(const yaml_node_t *n);  /* "mapping", "sequence", "scalar" */
/* A plain empty scalar, `~` or `null`: a key written without a value. */
bool yamldoc_is_null(const yaml_node_t *n);
/* A plain (unquoted) YAML 1.1 boolean that is not `true`/`false`: yes, no, on,
 * off, y, n in any case. Other tools read these as booleans, drill refuses them. */
bool yamldoc_is_yaml11_bool(const yaml_node_t *n);
/* Shortens user text for messages (at most ~40 chars, "..." appended). */
const char *yamldoc_clip(const char *s, char buf[64]);

/* Value of `key` in mapping `map` (the first occurrence), or NULL. */
yaml_node_t *yamldoc_get(YamlDoc *doc, const yaml_node_t *map, const char *key);
/* Reports every key of `map` not in `allowed` (NULL-terminated), with "did you
 * mean"; `where` names the mapping in messages ("step", "node"). Returns the
 * number of unknown keys. */
size_t yamldoc_check_keys(YamlDoc *doc, const yaml_node_t *map, const char *const *allowed,
                          const char *where);
/* Reports `missing required key "KEY" in WHERE` at the mapping. */
void yamldoc_missing(YamlDoc *doc, const yaml_node_t *map, const char *key, const char *where,
                     const char *hint);

/* Typed readers; `key` names the value in messages. */
bool yamldoc_want_type(YamlDoc *doc, const char *key, const yaml_node_t *v, yaml_node_type_t t);
const char *yamldoc_want_string(YamlDoc *doc, const char *key, const yaml_node_t *v);
int yamldoc_want_bool(YamlDoc *doc, const char *key, const yaml_node_t *v, bool *out);
int yamldoc_want_duration(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t *out);
int yamldoc_want_size(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t *out);
/* Non-negative decimal integer no larger than max. */
int yamldoc_want_uint(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t max,
                      int64_t *out);
/* One of "a|b|c"; returns the value or NULL. */
const char *yamldoc_want_enum(YamlDoc *doc, const char *key, const yaml_node_t *v,
                              const char *choices);
/* A sequence of strings: NULL-terminated copy (caller frees with
 * yamldoc_list_free), or NULL on error. Items are returned as written. */
char **yamldoc_want_list(YamlDoc *doc, const char *key, const yaml_node_t *v, size_t *n);
void yamldoc_list_free(char **list);
/* Hint text: "did you mean `x`?" when a candidate is close, else "LABEL: a, b, c".
 * Caller frees. */
char *yamldoc_hint_for(const char *word, const char *const *candidates, const char *label);

/* 1-based line/col of a byte offset into the parsed text, and the byte offset
 * of a libyaml mark: used to point at a `${var}` inside a scalar. The text
 * given to yamldoc_parse must still be alive. */
void yamldoc_offset_pos(YamlDoc *doc, size_t offset, int *line, int *col);
size_t yamldoc_mark_offset(YamlDoc *doc, yaml_mark_t m);
const char *yamldoc_text(const YamlDoc *doc, size_t *len);

#endif
