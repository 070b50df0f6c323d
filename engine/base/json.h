/*
 * json.h — the one JSON writer behind every `--format json` output (run,
 * history, list, ...). It tracks nesting so commas and colons are always
 * right, escapes every string (control characters, and invalid UTF-8
 * replaced by U+FFFD so the output always parses), and bounds the document
 * (JSON_MAX_BYTES): a too-large document is an error, never cut JSON.
 *
 * Every document starts with "schema_version": JSON_SCHEMA_VERSION. Bump it
 * when a field changes meaning or disappears (adding fields does not).
 */
#ifndef DRILL_JSON_H
#define DRILL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "util.h"

#define JSON_SCHEMA_VERSION 1
#define JSON_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define JSON_MAX_DEPTH 32

typedef struct JsonWriter {
    Buf buf;
    int depth;
    bool has_items[JSON_MAX_DEPTH]; /* a value was written at this level */
    bool after_key;                 /* the next value completes a "key": */
    bool bad;                       /* misuse (depth) — reported by json_finish */
} JsonWriter;

/* Starts a document: the top-level object with its schema_version and the
 * "command" that printed it (the key of its definition in the installed
 * JSON Schema, drill-output.schema.json). */
void json_begin(JsonWriter *w, const char *command);
void json_object_begin(JsonWriter *w);
void json_object_end(JsonWriter *w);
void json_array_begin(JsonWriter *w);
void json_array_end(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);   /* NULL -> null */
void json_int(JsonWriter *w, int64_t v);
/* Integral values print as integers, others with up to 3 decimals; NaN and
 * infinities (not JSON) as null. Locale-independent. */
void json_number(JsonWriter *w, double v);
void json_bool(JsonWriter *w, bool v);
void json_null(JsonWriter *w);
/* "key": value shorthands. */
void json_kv_string(JsonWriter *w, const char *key, const char *s);
void json_kv_int(JsonWriter *w, const char *key, int64_t v);
void json_kv_number(JsonWriter *w, const char *key, double v);
void json_kv_bool(JsonWriter *w, const char *key, bool v);
/* A measure: null when negative (-1 is the store's "not measured"). */
void json_kv_measure(JsonWriter *w, const char *key, double v);
/* Closes the top-level object, writes the document and a newline to out,
 * and frees the writer. DRILL_E_INVALID on unbalanced nesting, DRILL_E_IO
 * when the document exceeded JSON_MAX_BYTES or could not be written. */
int json_finish(JsonWriter *w, FILE *out, DrillError *err);
/* The document text (for tests): closes it like json_finish; malloc'd. */
char *json_take(JsonWriter *w);
void json_free(JsonWriter *w);

/* Appends s as a JSON string literal (quotes included) to b. */
void json_escape(Buf *b, const char *s);

#endif
