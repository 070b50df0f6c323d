/*
 * test_redact.c — secrets are masked in every form drill may meet them:
 * conninfo keyword (quoted or not, any case, blanks around =), shell
 * PGPASSWORD="..." and '...', SQL PASSWORD '...', JSON "password": "...",
 * values quoted with escaped quotes (a configuration value's '' and \', a
 * shell command as drill prints it), percent-encoded URI query keys, URI
 * user:password@; bare known values from PGPASSWORD and .pgpass (its escapes,
 * CRLF line ends); short values are not searched as bare text; text without
 * secrets is unchanged; masking twice changes nothing. The forms are also what a topology's conninfo may not
 * hold (redact_has_password).
 */
#include <stdlib.h>

#include "harness.h"
#include "redact.h"
#include "testutil.h"
#include "util.h"

/* Also masked twice: a step message is masked before it is cut, then again
 * by the store and the progress; the second pass must change nothing. */
static void check_mask(const Redactor *r, const char *in, const char *want)
{
    char *got = redact_text(r, in);
    CHECK_STR(got, want);
    char *again = redact_text(r, got);
    CHECK_STR(again, want);
    free(again);
    free(got);
}

TEST(keyword_and_uri_forms)
{
    check_mask(NULL, "host=h password=abc user=u", "host=h password=******** user=u");
    check_mask(NULL, "PASSWORD='a b\\' c' x", "PASSWORD=******** x");
    check_mask(NULL, "password=a\\ b c", "password=******** c");
    check_mask(NULL, "postgresql://app:s3cr3t@db/x", "postgresql://app:********@db/x");
    check_mask(NULL, "ssh://host/path and a:b@c", "ssh://host/path and a:b@c");
    check_mask(NULL, "nothing secret here", "nothing secret here");
    char *n = redact_text(NULL, NULL);
    CHECK(n == NULL);
}

/* Form 1: the shell's quoted assignments; the quotes go with the value. */
TEST(shell_quoted_pgpassword)
{
    check_mask(NULL, "PGPASSWORD=\"pw one\" psql", "PGPASSWORD=******** psql");
    check_mask(NULL, "export PGPASSWORD='pw two'; psql", "export PGPASSWORD=********; psql");
    check_mask(NULL, "PGPASSWORD=\"a\\\"b\" x", "PGPASSWORD=******** x");
}

/* Form 2: SQL role passwords, any case, CREATE/ALTER, WITH, E'' strings;
 * the word password in prose or in a longer name is left alone. */
TEST(sql_role_password)
{
    check_mask(NULL, "ALTER ROLE app PASSWORD 'pw';", "ALTER ROLE app PASSWORD ********;");
    check_mask(NULL, "create user app with encrypted password 'it''s pw' login",
               "create user app with encrypted password ******** login");
    check_mask(NULL, "CREATE ROLE app WITH PASSWORD E'p\\'w';",
               "CREATE ROLE app WITH PASSWORD ********;");
    check_mask(NULL, "password authentication failed for user \"app\"",
               "password authentication failed for user \"app\"");
    check_mask(NULL, "SET password_encryption = 'scram-sha-256'",
               "SET password_encryption = 'scram-sha-256'");
}

/* Form 3: conninfo with blanks around =, bare or quoted. */
TEST(keyword_with_blanks)
{
    check_mask(NULL, "host=h password = pw user=u", "host=h password = ******** user=u");
    check_mask(NULL, "host=h password\t= 'p w' user=u", "host=h password\t= ******** user=u");
}

/* Form 4: JSON keys (and Python's single-quoted ones). */
TEST(json_password)
{
    check_mask(NULL, "{\"password\": \"p\\\"w\", \"user\": \"u\"}",
               "{\"password\": ********, \"user\": \"u\"}");
    check_mask(NULL, "{\"PGPASSWORD\" : \"pw\"}", "{\"PGPASSWORD\" : ********}");
    check_mask(NULL, "{'password': 'pw'}", "{'password': ********}");
}

/* Form 5: a password quoted inside a quoted configuration value, its quotes
 * escaped as '' or \' — or inside a shell command as drill prints it, each
 * quote written '\'' — is masked whole (p'w), never a prefix. */
TEST(escaped_quotes)
{
    check_mask(NULL, "primary_conninfo = 'host=x password=''p''w'' user=y'",
               "primary_conninfo = 'host=x password=******** user=y'");
    check_mask(NULL, "primary_conninfo = 'host=x password=\\'p\\'w\\' user=y'",
               "primary_conninfo = 'host=x password=******** user=y'");
    /* Closing where the configuration value closes: its quote goes too. */
    check_mask(NULL, "primary_conninfo = 'password=''pw'''", "primary_conninfo = 'password=********");
    check_mask(NULL, "password='' user=y", "password=******** user=y");
    /* psql -c "ALTER ROLE a PASSWORD 'p''w'" and echo password=''p''w'' user=y
     * in `sh -c '...'`. */
    check_mask(NULL, "sh -c 'psql -c \"ALTER ROLE a PASSWORD '\\''p'\\'''\\''w'\\''\"'",
               "sh -c 'psql -c \"ALTER ROLE a PASSWORD ********\"'");
    check_mask(NULL, "sh -c 'echo password='\\'''\\''p'\\'''\\''w'\\'''\\'' user=y'",
               "sh -c 'echo password=******** user=y'");
}

/* Form 7: URI query keys percent-encoded (libpq decodes them), and the
 * user:password@ form. */
TEST(percent_encoded_uri_key)
{
    check_mask(NULL, "postgresql://h/db?pass%77ord=pw&sslmode=require",
               "postgresql://h/db?pass%77ord=********&sslmode=require");
    check_mask(NULL, "postgresql://h/db?%70ASSWORD=pw", "postgresql://h/db?%70ASSWORD=********");
    check_mask(NULL, "postgresql://h/db?pass%7word=pw", "postgresql://h/db?pass%7word=pw");
    check_mask(NULL, "postgresql://u:p%40w@h1,h2/db", "postgresql://u:********@h1,h2/db");
}

/* What a topology's conninfo may not hold: every form, nothing else. */
TEST(has_password)
{
    static const char *const with[] = {
        "host=h password=x", "host=h password = x", "postgresql://h/db?pass%77ord=x",
        "postgresql://h/db?%70assword=x", "postgresql://u:x@h/db", "host=h sslpassword=x",
    };
    static const char *const without[] = {
        "host=h user=u passfile=/p", "postgresql://u@h:5432/db", "postgresql://[::1]:5432/db",
        "postgresql://h/db?passfile=/p", "",
    };
    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
        CHECK(redact_has_password(with[i]));
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++)
        CHECK(!redact_has_password(without[i]));
    CHECK(!redact_has_password(NULL));
}

TEST(known_values)
{
    Redactor *r = redact_new();
    redact_add(r, "hunter22");
    redact_add(r, "hunter22");   /* duplicate ignored */
    redact_add(r, "abc");        /* short: only the forms */
    redact_add(r, "");
    CHECK_INT(redact_count(r), 2);
    check_mask(r, "the password is hunter22, twice: hunter22", "the password is ********, twice: ********");
    check_mask(r, "abc stays", "abc stays");
    redact_free(r);
    redact_free(NULL);
}

/* Redactor with the secrets of a .pgpass file holding text (and PGPASSWORD). */
static Redactor *redactor_with_pgpass(const char *text, size_t len)
{
    CHECK(testutil_tmpdir() != NULL);
    char *pass = testutil_tmp_path("pgpass");
    CHECK_INT(file_write_atomic(pass, text, len, NULL), 0);
    setenv("PGPASSFILE", pass, 1);
    setenv("PGPASSWORD", "from-the-env", 1);
    Redactor *r = redact_new();
    redact_add_environment(r);
    unsetenv("PGPASSFILE");
    unsetenv("PGPASSWORD");
    free(pass);
    return r;
}

TEST(environment_and_pgpass)
{
    const char text[] = "# comment:x:x:x:notasecret\n"
                        "db:5432:*:app:pa\\:ss\\\\word\n"
                        "*:*:*:*:second-secret\n";
    Redactor *r = redactor_with_pgpass(text, sizeof text - 1);
    CHECK_INT(redact_count(r), 3);
    check_mask(r, "pa:ss\\word second-secret from-the-env notasecret",
               "******** ******** ******** notasecret");
    redact_free(r);
}

/* Form 6: a .pgpass written on Windows (CRLF): libpq's password has no \r,
 * so neither may the secret searched for. Also as libpq reads the field: a
 * backslash escapes any byte, an unescaped ':' ends it. */
TEST(pgpass_crlf)
{
    const char text[] = "db:5432:*:app:crlf-secret\r\n"
                        "*:*:*:*:esc\\aped:trailing\r\n";
    Redactor *r = redactor_with_pgpass(text, sizeof text - 1);
    CHECK_INT(redact_count(r), 3);
    check_mask(r, "crlf-secret, escaped", "********, ********");
    redact_free(r);
}

int main(void)
{
    RUN(keyword_and_uri_forms);
    RUN(shell_quoted_pgpassword);
    RUN(sql_role_password);
    RUN(keyword_with_blanks);
    RUN(json_password);
    RUN(escaped_quotes);
    RUN(percent_encoded_uri_key);
    RUN(has_password);
    RUN(known_values);
    RUN(environment_and_pgpass);
    RUN(pgpass_crlf);
    return harness_done();
}
