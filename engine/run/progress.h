/*
 * progress.h — what the user sees on stderr while a drill runs: one line per
 * step, updated in place on a terminal, or one timestamped line per event
 * when stderr is a file or a pipe (cron, CI logs).
 */
#ifndef DRILL_PROGRESS_H
#define DRILL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "redact.h"

typedef struct Progress {
    FILE *out;
    bool tty;
    bool quiet;
    size_t total;
    const Redactor *redactor;   /* masks secrets in step messages; may be NULL */
} Progress;

/* mode: 0 auto, 1 tty, 2 lines, 3 quiet (RunOptions.progress). */
void progress_init(Progress *p, FILE *out, int mode, size_t total);
void progress_step_begin(Progress *p, size_t seq, const char *phase, const char *name);
void progress_step_end(Progress *p, size_t seq, const char *phase, const char *name,
                       const char *status, int64_t duration_us, const char *message);
void progress_note(Progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
