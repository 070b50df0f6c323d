/*
 * cmd_verify.c — `drill verify [RUN]`: integrity of stored evidence (a
 * SHA-256 chain over finished runs). The chain is not recorded yet by this
 * version, so verify says so plainly instead of pretending to check.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_verify(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: drill verify [RUN]\n\nRecomputes the evidence hash chain of stored runs.\n"
             "Not available in this version: runs are not yet hash-chained.");
        return DRILL_EXIT_OK;
    }
    fputs("drill verify: error: evidence hash chains are not recorded by this version of drill\n"
          "  hint: `drill history` and `drill report` work; verification comes with the\n"
          "  evidence-integrity feature\n", stderr);
    return DRILL_EXIT_INVALID;
}
