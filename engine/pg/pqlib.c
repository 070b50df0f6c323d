/*
 * pqlib.c — loads libpq on first use (see pqlib.h for why).
 *
 * dlopen with RTLD_NOW: a libpq too old to have one of the functions fails
 * here, with its name, rather than later in the middle of a drill. The
 * handle is never closed: libpq stays loaded for the rest of the process,
 * as it would have been if linked.
 */
#define PQLIB_IMPLEMENTATION
#include "pqlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

PqLib pqlib;

static pthread_once_t pqlib_once = PTHREAD_ONCE_INIT;
static int pqlib_status = DRILL_E_PG;
static char pqlib_error[512];

/* Copies dlsym's object pointer into a function pointer: ISO C has no cast
 * between the two, POSIX guarantees they have the same representation. */
static int resolve(void *handle, const char *name, void *fn, size_t fnsize)
{
    void *sym = dlsym(handle, name);
    if (sym == NULL || fnsize != sizeof sym)
        return -1;
    memcpy(fn, &sym, sizeof sym);
    return 0;
}

static void pqlib_open(void)
{
    void *h = dlopen(PQLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        snprintf(pqlib_error, sizeof pqlib_error, "cannot load %s: %s; install libpq5",
                 PQLIB_SONAME, why ? why : "unknown error");
        return;
    }
#define PQLIB_RESOLVE(name)                                                                 \
    if (resolve(h, #name, &pqlib.name, sizeof pqlib.name) != 0) {                          \
        snprintf(pqlib_error, sizeof pqlib_error, "%s has no function %s; install a newer " \
                 "libpq5", PQLIB_SONAME, #name);                                            \
        return;                                                                             \
    }
    PQLIB_FUNCTIONS(PQLIB_RESOLVE)
#undef PQLIB_RESOLVE
    pqlib_status = 0;
}

int pqlib_load(DrillError *err)
{
    pthread_once(&pqlib_once, pqlib_open);
    if (pqlib_status != 0)
        return drill_error_set(err, pqlib_status, "%s", pqlib_error);
    return 0;
}
