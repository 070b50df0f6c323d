/*
 * harness.h — the tiny unit-test harness.
 *
 *   TEST(name) { CHECK(cond); CHECK_STR(a, b); CHECK_INT(a, b); }
 *   int main(void) { RUN(name); ...; return harness_done(); }
 *
 * Prints one line per failed check and a closing "N passed, N failed" line.
 *
 * It cannot pass by accident: every TEST registers itself before main (a
 * constructor), every CHECK is counted, and
 *   - a test that made no check at all fails (its body was lost);
 *   - harness_done fails when no test ran, or when the number run differs
 *     from the number declared (a RUN line lost, or a test run twice).
 * tests/checks/honest.sh proves each of these.
 */
#ifndef DRILL_HARNESS_H
#define DRILL_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_current_failed;
static int harness_declared; /* TESTs in this program, counted before main */
static long harness_checks;  /* CHECKs evaluated so far */

/* Declares test `name` and registers it (harness_declared) before main runs. */
#define TEST(name)                                                     \
    static void name(void);                                            \
    __attribute__((constructor)) static void harness_declare_##name(void) \
    {                                                                  \
        harness_declared++;                                            \
    }                                                                  \
    static void name(void)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        harness_checks++;                                                            \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            harness_current_failed = 1;                                              \
        }                                                                            \
    } while (0)
#define CHECK_STR(a, b)                                                                    \
    do {                                                                                   \
        const char *ha_ = (a), *hb_ = (b);                                                 \
        harness_checks++;                                                                  \
        if (ha_ == NULL || hb_ == NULL ? ha_ != hb_ : strcmp(ha_, hb_) != 0) {             \
            fprintf(stderr, "%s:%d: expected \"%s\"\n%*s got      \"%s\"\n", __FILE__,    \
                    __LINE__, hb_ ? hb_ : "(null)", 0, "", ha_ ? ha_ : "(null)");         \
            harness_current_failed = 1;                                                    \
        }                                                                                  \
    } while (0)
#define CHECK_INT(a, b)                                                                   \
    do {                                                                                  \
        long long ha_ = (long long)(a), hb_ = (long long)(b);                             \
        harness_checks++;                                                                 \
        if (ha_ != hb_) {                                                                 \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, \
                    ha_, hb_);                                                            \
            harness_current_failed = 1;                                                   \
        }                                                                                 \
    } while (0)
/* Runs one test; a test that evaluated no CHECK fails. */
#define RUN(name)                                                           \
    do {                                                                    \
        long harness_before_ = harness_checks;                              \
        harness_current_failed = 0;                                         \
        name();                                                             \
        if (harness_checks == harness_before_) {                            \
            fprintf(stderr, "%s: made no check\n", #name);                  \
            harness_current_failed = 1;                                     \
        }                                                                   \
        if (harness_current_failed) {                                       \
            harness_failed++;                                               \
            fprintf(stderr, "FAIL %s\n", #name);                            \
        } else {                                                            \
            harness_passed++;                                               \
        }                                                                   \
    } while (0)

/* The closing line and the exit status: 0 only when every declared test ran
 * once and passed. */
static inline int harness_done(void)
{
    int ran = harness_passed + harness_failed;
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    if (ran == 0) {
        fprintf(stderr, "harness: no test ran\n");
        return 1;
    }
    if (ran != harness_declared) {
        fprintf(stderr, "harness: %d tests ran, %d declared\n", ran, harness_declared);
        return 1;
    }
    return harness_failed ? 1 : 0;
}

#endif
