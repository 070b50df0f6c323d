/* argv.c — see argv.h. */
#include "argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

void argv_add(Argv *a, const char *s)
{
    /* ARGV_MAX is far above what any builder produces; user lists are
     * bounded by the parser's size limits, and overflow is dropped rather
     * than written past the array. */
    if (a->n < ARGV_MAX)
        a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

void argv_addf(Argv *a, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    argv_add(a, buf);
}

void argv_add_list(Argv *a, char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        argv_add(a, *list);
}

void argv_free(Argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    a->n = 0;
    a->v[0] = NULL;
}
