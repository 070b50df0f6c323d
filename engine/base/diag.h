/*
 * diag.h — diagnostics for the drill and topology languages.
 *
 * A DiagList collects every problem found in a file (parsing does not stop at
 * the first one). Each diagnostic prints as
 *     FILE:LINE:COL: error: what is wrong
 *       hint: how to fix it
 * with 1-based line and column.
 */
#ifndef DRILL_DIAG_H
#define DRILL_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef struct Diag {
    char *file;
    int line;      /* 1-based; 0 when the problem has no position */
    int col;       /* 1-based */
    char *message;
    char *hint;    /* may be NULL */
} Diag;

typedef struct DiagList DiagList;

DiagList *diag_list_new(void);
void diag_list_free(DiagList *list);

/* Adds a diagnostic; hint may be NULL. Lists are capped (DIAG_MAX) so a
 * pathological file cannot produce unbounded output; the cap is reported. */
void diag_add(DiagList *list, const char *file, int line, int col, const char *hint,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));

size_t diag_count(const DiagList *list);
const Diag *diag_get(const DiagList *list, size_t i);
/* Prints all diagnostics, sorted by file, line, col. */
void diag_print(DiagList *list, FILE *out);

#define DIAG_MAX 200

#endif
