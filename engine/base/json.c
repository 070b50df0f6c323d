/*
 * json.c — see json.h. A streaming writer into a bounded Buf: the caller
 * says what comes next, the writer adds the separators.
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>   /* isfinite: a macro */
#include <string.h>

static void escape_char(Buf *b, unsigned char c)
{
    static const char shorts[] = {'b', 't', 'n', 0, 'f', 'r'};  /* \b=8 .. \r=13 */
    if (c == '"' || c == '\\') {
        char esc[2] = {'\\', (char)c};
        buf_append(b, esc, 2);
    } else if (c >= 8 && c <= 13 && shorts[c - 8] != 0) {
        char esc[2] = {'\\', shorts[c - 8]};
        buf_append(b, esc, 2);
    } else if (c < 0x20 || c == 0x7F) {
        buf_appendf(b, "\\u%04x", c);
    } else {
        buf_append(b, (const char *)&c, 1);
    }
}

void json_escape(Buf *b, const char *s)
{
    buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p != '\0') {
        size_t n = utf8_seq_len(p);
        if (n == 1)
            escape_char(b, *p);
        else if (n > 1)
            buf_append(b, (const char *)p, n);
        else
            buf_appends(b, "\\ufffd");   /* invalid byte: one replacement each */
        p += n > 0 ? n : 1;
    }
    buf_append(b, "\"", 1);
}

/* Separator before a value (or a key) at the current level. */
static void before_value(JsonWriter *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->has_items[w->depth - 1])
        buf_append(&w->buf, ",", 1);
    if (w->depth > 0)
        w->has_items[w->depth - 1] = true;
}

static void open_level(JsonWriter *w, const char *brace)
{
    before_value(w);
    buf_appends(&w->buf, brace);
    if (w->depth >= JSON_MAX_DEPTH) {
        w->bad = true;
        return;
    }
    w->has_items[w->depth++] = false;
}

static void close_level(JsonWriter *w, const char *brace)
{
    if (w->depth == 0 || w->after_key)
        w->bad = true;
    else
        w->depth--;
    buf_appends(&w->buf, brace);
}

void json_begin(JsonWriter *w, const char *command)
{
    memset(w, 0, sizeof *w);
    buf_init(&w->buf, JSON_MAX_BYTES);
    json_object_begin(w);
    json_kv_int(w, "schema_version", JSON_SCHEMA_VERSION);
    json_kv_string(w, "command", command);
}

void json_object_begin(JsonWriter *w) { open_level(w, "{"); }
void json_object_end(JsonWriter *w) { close_level(w, "}"); }
void json_array_begin(JsonWriter *w) { open_level(w, "["); }
void json_array_end(JsonWriter *w) { close_level(w, "]"); }

void json_key(JsonWriter *w, const char *key)
{
    before_value(w);
    json_escape(&w->buf, key);
    buf_append(&w->buf, ":", 1);
    w->after_key = true;
}

void json_string(JsonWriter *w, const char *s)
{
    before_value(w);
    if (s == NULL)
        buf_appends(&w->buf, "null");
    else
        json_escape(&w->buf, s);
}

void json_int(JsonWriter *w, int64_t v)
{
    before_value(w);
    buf_appendf(&w->buf, "%" PRId64, v);
}

void json_number(JsonWriter *w, double v)
{
    if (!isfinite(v)) {
        json_null(w);
        return;
    }
    double a = v < 0 ? -v : v;   /* no libm: drill does not link it */
    if (a < 9e15 && (double)(int64_t)v == v) {
        json_int(w, (int64_t)v);
        return;
    }
    /* Fixed point by hand: %f would follow LC_NUMERIC. */
    before_value(w);
    if (a >= 9e15) {
        buf_appendf(&w->buf, "%s9e15", v < 0 ? "-" : "");   /* beyond any drill measure */
        return;
    }
    int64_t whole = (int64_t)a, frac = (int64_t)((a - (double)whole) * 1000.0 + 0.5);
    if (frac == 1000)
        whole++, frac = 0;
    char digits[4];
    snprintf(digits, sizeof digits, "%03" PRId64, frac);
    size_t k = 3;
    while (k > 0 && digits[k - 1] == '0')
        digits[--k] = '\0';
    buf_appendf(&w->buf, "%s%" PRId64 "%s%s", v < 0 ? "-" : "", whole, k ? "." : "", digits);
}

void json_bool(JsonWriter *w, bool v)
{
    before_value(w);
    buf_appends(&w->buf, v ? "true" : "false");
}

void json_null(JsonWriter *w)
{
    before_value(w);
    buf_appends(&w->buf, "null");
}

void json_kv_string(JsonWriter *w, const char *key, const char *s) { json_key(w, key); json_string(w, s); }
void json_kv_int(JsonWriter *w, const char *key, int64_t v) { json_key(w, key); json_int(w, v); }
void json_kv_number(JsonWriter *w, const char *key, double v) { json_key(w, key); json_number(w, v); }
void json_kv_bool(JsonWriter *w, const char *key, bool v) { json_key(w, key); json_bool(w, v); }

void json_kv_measure(JsonWriter *w, const char *key, double v)
{
    json_key(w, key);
    if (v < 0)
        json_null(w);
    else
        json_number(w, v);
}

static int close_document(JsonWriter *w, DrillError *err)
{
    json_object_end(w);
    if (w->bad || w->depth != 0)
        return drill_error_set(err, DRILL_E_INVALID, "internal error: unbalanced JSON document");
    if (w->buf.truncated)
        return drill_error_set(err, DRILL_E_IO, "the JSON document exceeds %zu bytes",
                               JSON_MAX_BYTES);
    buf_append(&w->buf, "\n", 1);
    return 0;
}

int json_finish(JsonWriter *w, FILE *out, DrillError *err)
{
    int rc = close_document(w, err);
    if (rc == 0 && (fwrite(w->buf.data, 1, w->buf.len, out) != w->buf.len || fflush(out) != 0))
        rc = drill_error_set(err, DRILL_E_IO, "cannot write the JSON output");
    json_free(w);
    return rc;
}

char *json_take(JsonWriter *w)
{
    if (close_document(w, NULL) < 0) {
        json_free(w);
        return NULL;
    }
    return buf_steal(&w->buf);
}

void json_free(JsonWriter *w)
{
    if (w != NULL)
        buf_free(&w->buf);
}
