/*
 * test_size.c — the size syntax of the drill language ("64MB") and the
 * locale-independent MB formatting used in findings.
 */
#include <stdint.h>

#include "harness.h"
#include "size.h"

static int64_t bytes_of(const char *text)
{
    int64_t b = -42;
    return size_parse_bytes(text, &b) == 0 ? b : -1;
}

TEST(valid_sizes)
{
    CHECK_INT(bytes_of("0"), 0);
    CHECK_INT(bytes_of("0MB"), 0);
    CHECK_INT(bytes_of("100B"), 100);
    CHECK_INT(bytes_of("512kB"), 512 * 1024);
    CHECK_INT(bytes_of("64MB"), 64LL * 1024 * 1024);
    CHECK_INT(bytes_of("2GB"), 2LL * 1024 * 1024 * 1024);
    CHECK_INT(bytes_of("1TB"), 1024LL * 1024 * 1024 * 1024);
    CHECK_INT(bytes_of("1024TB"), SIZE_MAX_BYTES);
}

TEST(invalid_sizes)
{
    const char *bad[] = {"", "64", "1", "-1MB", "+1MB", "1.5MB", "MB", "64mb", "64 MB", " 64MB",
                         "64MB ", "64M", "64KB", "1MB1kB", "64MiB", "1025TB",
                         "99999999999999999999B", "0x10MB", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        int64_t b = 7;
        if (size_parse_bytes(bad[i], &b) != -1)
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
        CHECK_INT(size_parse_bytes(bad[i], &b), -1);
        CHECK_INT(b, 7);   /* untouched on error */
    }
    int64_t b;
    CHECK_INT(size_parse_bytes(NULL, &b), -1);
}

TEST(format_mb)
{
    char s[32];
    size_format_mb(64LL * 1024 * 1024, s, sizeof s);
    CHECK_STR(s, "64.0 MB");
    size_format_mb(67308736, s, sizeof s);
    CHECK_STR(s, "64.2 MB");
    size_format_mb(0, s, sizeof s);
    CHECK_STR(s, "0.0 MB");
    size_format_mb(-1572864, s, sizeof s);
    CHECK_STR(s, "-1.5 MB");
}

int main(void)
{
    RUN(valid_sizes);
    RUN(invalid_sizes);
    RUN(format_mb);
    return harness_done();
}
