/* error.c — see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int drill_error_set(DrillError *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int drill_error_wrap(DrillError *err, const char *fmt, ...)
{
    if (err == NULL)
        return DRILL_E_INVALID;
    char prefix[DRILL_ERROR_MSG_MAX];
    char old[DRILL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Truncation is intended: the message is bounded, the prefix matters most. */
    size_t plen = strnlen(prefix, sizeof prefix - 3);
    memcpy(err->message, prefix, plen);
    memcpy(err->message + plen, ": ", 2);
    size_t room = sizeof err->message - plen - 3;
    size_t olen = strnlen(old, room);
    memcpy(err->message + plen + 2, old, olen);
    err->message[plen + 2 + olen] = '\0';
    return err->code;
}

void drill_error_clear(DrillError *err)
{
    if (err == NULL)
        return;
    err->code = DRILL_OK;
    err->message[0] = '\0';
}

const char *drill_error_name(int code)
{
    switch (code) {
    case DRILL_OK: return "ok";
    case DRILL_E_NOMEM: return "out of memory";
    case DRILL_E_INVALID: return "invalid";
    case DRILL_E_IO: return "i/o";
    case DRILL_E_PG: return "postgresql";
    case DRILL_E_TIMEOUT: return "timeout";
    case DRILL_E_EXEC: return "exec";
    case DRILL_E_STORE: return "store";
    case DRILL_E_ABORTED: return "aborted";
    case DRILL_E_FAILED: return "failed";
    case DRILL_E_SSH: return "ssh";
    case DRILL_E_NOTFOUND: return "not found";
    default: return "error";
    }
}

int drill_exit_code(int code)
{
    switch (code) {
    case DRILL_OK: return DRILL_EXIT_OK;
    case DRILL_E_FAILED: return DRILL_EXIT_FAILED;
    case DRILL_E_INVALID:
    case DRILL_E_NOTFOUND: return DRILL_EXIT_INVALID;
    default: return DRILL_EXIT_ABORTED;
    }
}
