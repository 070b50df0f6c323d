/* progress.c — see progress.h. */
#include "progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "util.h"

void progress_init(Progress *p, FILE *out, int mode, size_t total)
{
    p->out = out;
    p->quiet = mode == 3;
    p->tty = mode == 1 || (mode == 0 && isatty(fileno(out)));
    p->total = total;
}

static void stamp(Progress *p)
{
    char ts[40];
    time_format_utc_ms(time_utc_ms(), ts, sizeof ts);
    fprintf(p->out, "%s ", ts);
}

void progress_step_begin(Progress *p, size_t seq, const char *phase, const char *name)
{
    if (p->quiet)
        return;
    if (p->tty) {
        fprintf(p->out, "\r\033[K[%zu/%zu] %-9s %s ...", seq + 1, p->total, phase, name);
    } else {
        stamp(p);
        fprintf(p->out, "[%zu/%zu] %-9s %s: started\n", seq + 1, p->total, phase, name);
    }
    fflush(p->out);
}

void progress_step_end(Progress *p, size_t seq, const char *phase, const char *name,
                       const char *status, int64_t duration_us, const char *message)
{
    if (p->quiet)
        return;
    char dur[32];
    time_format_duration_ms(duration_us / 1000, dur, sizeof dur);
    bool ok = strcmp(status, "ok") == 0;
    if (p->tty)
        fputs("\r\033[K", p->out);
    else
        stamp(p);
    fprintf(p->out, "[%zu/%zu] %-9s %s: %s%s%s (%s)", seq + 1, p->total, phase, name,
            color_on(p->out, status), status, color_off(p->out), dur);
    if (!ok && message != NULL && *message != '\0') {
        char *clean = redact_text(p->redactor, message);
        fprintf(p->out, " — %s", clean);
        free(clean);
    }
    fputc('\n', p->out);
    fflush(p->out);
}

void progress_note(Progress *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    if (!p->tty)
        stamp(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}
