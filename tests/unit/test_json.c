/*
 * test_json.c — the JSON writer (engine/base/json.c): separators, escaping of
 * control characters and invalid UTF-8, numbers, nesting errors and the
 * size limit.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"

static char *escaped(const char *s)
{
    Buf b;
    buf_init(&b, 4096);
    json_escape(&b, s);
    return buf_steal(&b);
}

TEST(escapes_specials_and_controls)
{
    char *e = escaped("a\"b\\c\n\t\r\b\f\x01\x1f\x7f/");
    CHECK_STR(e, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/\"");
    free(e);
    e = escaped(NULL);
    CHECK_STR(e, "\"\"");
    free(e);
}

TEST(keeps_valid_utf8_replaces_invalid)
{
    char *e = escaped("caf\xC3\xA9 \xE2\x9C\x94 \xF0\x9F\x98\x80");   /* é ✔ 😀 kept */
    CHECK_STR(e, "\"caf\xC3\xA9 \xE2\x9C\x94 \xF0\x9F\x98\x80\"");
    free(e);
    /* stray continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF */
    e = escaped("\x80|\xC3|\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80|\xFF");
    CHECK_STR(e, "\"\\ufffd|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
                 "\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\"");
    free(e);
}

TEST(document_shape)
{
    JsonWriter w;
    json_begin(&w, "test");
    json_key(&w, "runs");
    json_array_begin(&w);
    json_object_begin(&w);
    json_kv_int(&w, "id", -3);
    json_kv_number(&w, "x", 1.5);
    json_kv_number(&w, "y", 12345.0);
    json_kv_number(&w, "z", -0.25);
    json_kv_number(&w, "nan", 0.0 / 0.0);
    json_kv_bool(&w, "ok", true);
    json_kv_string(&w, "none", NULL);
    json_object_end(&w);
    json_array_begin(&w);
    json_array_end(&w);
    json_array_end(&w);
    char *doc = json_take(&w);
    CHECK_STR(doc, "{\"schema_version\":1,\"command\":\"test\",\"runs\":[{\"id\":-3,\"x\":1.5,\"y\":12345,"
                   "\"z\":-0.25,\"nan\":null,\"ok\":true,\"none\":null},[]]}\n");
    free(doc);
}

TEST(unbalanced_is_an_error)
{
    JsonWriter w;
    json_begin(&w, "test");
    json_key(&w, "a");
    json_array_begin(&w);   /* never closed */
    CHECK(json_take(&w) == NULL);
    json_begin(&w, "test");
    json_array_end(&w);     /* closes the top level too early */
    CHECK(json_take(&w) == NULL);
}

TEST(size_limit_is_an_error)
{
    JsonWriter w;
    json_begin(&w, "test");
    char *big = malloc(1024 * 1024 + 1);
    memset(big, 'x', 1024 * 1024);
    big[1024 * 1024] = '\0';
    json_key(&w, "list");
    json_array_begin(&w);
    for (int i = 0; i < 70; i++)   /* 70 MiB > JSON_MAX_BYTES */
        json_string(&w, big);
    json_array_end(&w);
    free(big);
    DrillError err = {0};
    FILE *devnull = fopen("/dev/null", "w");
    CHECK_INT(json_finish(&w, devnull, &err), DRILL_E_IO);
    CHECK(strstr(err.message, "exceeds") != NULL);
    fclose(devnull);
}

int main(void)
{
    RUN(escapes_specials_and_controls);
    RUN(keeps_valid_utf8_replaces_invalid);
    RUN(document_shape);
    RUN(unbalanced_is_an_error);
    RUN(size_limit_is_an_error);
    return harness_done();
}
