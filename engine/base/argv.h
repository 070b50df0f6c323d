/*
 * argv.h — an owned, bounded, NULL-terminated argument vector: what drill's
 * command builders fill (v is ready for execv and exec.h's ExecRequest).
 */
#ifndef DRILL_ARGV_H
#define DRILL_ARGV_H

#include <stddef.h>

#define ARGV_MAX 64

/* Start empty: Argv a = {.n = 0}. argv_free leaves it empty and reusable. */
typedef struct Argv {
    char *v[ARGV_MAX + 1];
    size_t n;
} Argv;

/* Appends a copy of s. Beyond ARGV_MAX items, the item is dropped rather
 * than written past the array. */
void argv_add(Argv *a, const char *s);
void argv_addf(Argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends every item of a NULL-terminated list (NULL: none). */
void argv_add_list(Argv *a, char *const *list);
void argv_free(Argv *a);

#endif
