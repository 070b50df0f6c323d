/*
 * harness.h — the tiny unit-test harness.
 *
 *   TEST(name) { CHECK(cond); CHECK_STR(a, b); CHECK_INT(a, b); }
 *   int main(void) { RUN(name); ...; return harness_done(); }
 *
 * Prints one line per failed check and a closing "N passed, N failed" line.
 */
#ifndef DRILL_HARNESS_H
#define DRILL_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_current_failed;

#define TEST(name) static void name(void)
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            harness_current_failed = 1;                                              \
        }                                                                            \
    } while (0)
#define CHECK_STR(a, b)                                                                    \
    do {                                                                                   \
        const char *ha_ = (a), *hb_ = (b);                                                 \
        if (ha_ == NULL || hb_ == NULL ? ha_ != hb_ : strcmp(ha_, hb_) != 0) {             \
            fprintf(stderr, "%s:%d: expected \"%s\"\n%*s got      \"%s\"\n", __FILE__,    \
                    __LINE__, hb_ ? hb_ : "(null)", 0, "", ha_ ? ha_ : "(null)");         \
            harness_current_failed = 1;                                                    \
        }                                                                                  \
    } while (0)
#define CHECK_INT(a, b)                                                                   \
    do {                                                                                  \
        long long ha_ = (long long)(a), hb_ = (long long)(b);                             \
        if (ha_ != hb_) {                                                                 \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, \
                    ha_, hb_);                                                            \
            harness_current_failed = 1;                                                   \
        }                                                                                 \
    } while (0)
#define RUN(name)                                                   \
    do {                                                            \
        harness_current_failed = 0;                                 \
        name();                                                     \
        if (harness_current_failed) {                               \
            harness_failed++;                                       \
            fprintf(stderr, "FAIL %s\n", #name);                    \
        } else {                                                    \
            harness_passed++;                                       \
        }                                                           \
    } while (0)

static inline int harness_done(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
