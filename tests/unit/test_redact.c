/*
 * test_redact.c — secrets are masked in every form drill may meet them:
 * conninfo keyword (quoted or not, any case), URI user:password@, bare known
 * values from PGPASSWORD and .pgpass (with its \: escapes); short values are
 * not searched as bare text; text without secrets is unchanged.
 */
#include <stdlib.h>

#include "harness.h"
#include "redact.h"
#include "testutil.h"
#include "util.h"

static void check_mask(const Redactor *r, const char *in, const char *want)
{
    char *got = redact_text(r, in);
    CHECK_STR(got, want);
    free(got);
}

TEST(keyword_and_uri_forms)
{
    check_mask(NULL, "host=h password=abc user=u", "host=h password=******** user=u");
    check_mask(NULL, "PASSWORD='a b\\' c' x", "PASSWORD=******** x");
    check_mask(NULL, "postgresql://app:s3cr3t@db/x", "postgresql://app:********@db/x");
    check_mask(NULL, "ssh://host/path and a:b@c", "ssh://host/path and a:b@c");
    check_mask(NULL, "nothing secret here", "nothing secret here");
    char *n = redact_text(NULL, NULL);
    CHECK(n == NULL);
}

TEST(known_values)
{
    Redactor *r = redact_new();
    redact_add(r, "hunter22");
    redact_add(r, "hunter22");   /* duplicate ignored */
    redact_add(r, "abc");        /* short: only keyword/URI forms */
    redact_add(r, "");
    CHECK_INT(redact_count(r), 2);
    check_mask(r, "the password is hunter22, twice: hunter22", "the password is ********, twice: ********");
    check_mask(r, "abc stays", "abc stays");
    redact_free(r);
    redact_free(NULL);
}

TEST(environment_and_pgpass)
{
    CHECK(testutil_tmpdir() != NULL);
    char *pass = testutil_tmp_path("pgpass");
    const char text[] = "# comment:x:x:x:notasecret\n"
                        "db:5432:*:app:pa\\:ss\\\\word\n"
                        "*:*:*:*:second-secret\n";
    CHECK_INT(file_write_atomic(pass, text, sizeof text - 1, NULL), 0);
    setenv("PGPASSFILE", pass, 1);
    setenv("PGPASSWORD", "from-the-env", 1);
    Redactor *r = redact_new();
    redact_add_environment(r);
    CHECK_INT(redact_count(r), 3);
    check_mask(r, "pa:ss\\word second-secret from-the-env notasecret",
               "******** ******** ******** notasecret");
    redact_free(r);
    unsetenv("PGPASSFILE");
    unsetenv("PGPASSWORD");
    free(pass);
}

int main(void)
{
    RUN(keyword_and_uri_forms);
    RUN(known_values);
    RUN(environment_and_pgpass);
    return harness_done();
}
