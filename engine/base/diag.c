/*
 * diag.c — the list of diagnostics a drill or topology file produced.
 *
 * Parsers report every problem they find instead of stopping at the first,
 * so a user fixes a file in one round trip. The list is capped (DIAG_MAX) so
 * a hostile file cannot make drill print megabytes of errors.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct DiagList {
    Diag *items;
    size_t n;
    size_t cap;
    size_t dropped;   /* diagnostics refused because the cap was reached */
};

DiagList *diag_list_new(void)
{
    return xcalloc(1, sizeof(DiagList));
}

static void diag_clear(Diag *d)
{
    free(d->file);
    free(d->message);
    free(d->hint);
}

void diag_list_free(DiagList *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        diag_clear(&list->items[i]);
    free(list->items);
    free(list);
}

static void diag_push(DiagList *list, const char *file, int line, int col, const char *hint,
                      char *message)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = xrealloc(list->items, list->cap * sizeof(Diag));
    }
    Diag *d = &list->items[list->n++];
    d->file = xstrdup(file ? file : "<input>");
    d->line = line < 0 ? 0 : line;
    d->col = col < 0 ? 0 : col;
    d->message = message;
    d->hint = xstrdup(hint);
}

void diag_add(DiagList *list, const char *file, int line, int col, const char *hint,
              const char *fmt, ...)
{
    if (list == NULL)
        return;
    if (list->n >= DIAG_MAX) {
        /* One extra entry says that the rest was dropped; it has no position. */
        if (list->dropped++ == 0)
            diag_push(list, file, 0, 0, "fix the problems above and run again",
                      xasprintf("too many errors; only the first %d are shown", DIAG_MAX));
        return;
    }
    /* Messages are bounded: they quote user input, which can be long. */
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    diag_push(list, file, line, col, hint, xstrdup(tmp));
}

size_t diag_count(const DiagList *list)
{
    return list ? list->n : 0;
}

const Diag *diag_get(const DiagList *list, size_t i)
{
    return (list != NULL && i < list->n) ? &list->items[i] : NULL;
}

static int diag_cmp(const void *pa, const void *pb)
{
    const Diag *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c != 0)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return 0;
}

/* Insertion sort: stable (equal positions keep the order they were found in)
 * and the list is at most DIAG_MAX + 1 long. */
static void diag_sort(Diag *items, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        Diag cur = items[i];
        size_t j = i;
        while (j > 0 && diag_cmp(&items[j - 1], &cur) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = cur;
    }
}

void diag_print(DiagList *list, FILE *out)
{
    if (list == NULL)
        return;
    /* The "too many errors" note stays last whatever its position. */
    size_t n = list->dropped ? list->n - 1 : list->n;
    diag_sort(list->items, n);
    for (size_t i = 0; i < list->n; i++) {
        const Diag *d = &list->items[i];
        if (d->line > 0)
            fprintf(out, "%s:%d:%d: error: %s\n", d->file, d->line, d->col, d->message);
        else
            fprintf(out, "%s: error: %s\n", d->file, d->message);
        if (d->hint != NULL)
            fprintf(out, "  hint: %s\n", d->hint);
    }
}
