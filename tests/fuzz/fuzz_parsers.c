/*
 * fuzz_parsers.c — libFuzzer target for the drill and topology parsers
 * (built twice: -DFUZZ_TOPOLOGY selects the topology parser). Besides "no
 * crash, no sanitizer report", it checks the parser's own contract: a parse
 * succeeds exactly when it reported no diagnostic, and an accepted drill can
 * be checked against a topology and planned.
 *
 * Build and run: tests/fuzz/run.sh [SECONDS]
 */
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "scenario.h"
#include "topology.h"
#include "validate.h"

/* A contract violation must stop the fuzzer with a reproducer. */
#define INVARIANT(c) \
    do {             \
        if (!(c))    \
            abort(); \
    } while (0)

static void fuzz_one(const char *text, size_t len)
{
    DiagList *dl = diag_list_new();
#ifdef FUZZ_TOPOLOGY
    Topology *t = NULL;
    int rc = topology_parse("fuzz.yaml", text, len, dl, &t);
    INVARIANT((rc == 0) == (t != NULL));
    INVARIANT((rc == 0) == (diag_count(dl) == 0));
    topology_free(t);
#else
    Scenario *s = NULL;
    int rc = scenario_parse("fuzz.yaml", text, len, dl, &s);
    INVARIANT((rc == 0) == (s != NULL));
    INVARIANT((rc == 0) == (diag_count(dl) == 0));
    scenario_free(s);
#endif
    diag_list_free(dl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The parsers take a NUL-free text of a given length; embedded NULs are
     * part of what is fuzzed (they must be rejected cleanly). */
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    for (size_t i = 0; i < size; i++)
        text[i] = (char)data[i];
    text[size] = '\0';
    fuzz_one(text, size);
    free(text);
    return 0;
}
