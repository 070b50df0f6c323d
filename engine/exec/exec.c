/*
 * exec.c — the executor-independent half of exec.h: dispatch through the
 * executor's ops table, result cleanup, and shell-quoting an argv for evidence
 * and dry runs (and remote command lines). The local (fork/exec) executor lives
 * in exec_local.c, the SSH one in exec_ssh.c.
 */
#include "exec.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A formatted command line is evidence, not data: cap it so a huge argument
 * (an inline SQL script, say) cannot bloat the store or a report. */
#define EXEC_FORMAT_MAX 8192

int exec_run(Executor *ex, const ExecRequest *req, ExecResult *result, DrillError *err)
{
    if (result != NULL) {
        memset(result, 0, sizeof *result);
        result->exit_code = -1;
    }
    if (ex == NULL || ex->ops == NULL || ex->ops->run == NULL || req == NULL ||
        result == NULL || req->argv == NULL || req->argv[0] == NULL || req->argv[0][0] == '\0')
        return drill_error_set(err, DRILL_E_INVALID,
                               "exec_run: missing executor, request, result or program name");
    int rc = ex->ops->run(ex, req, result, err);
    /* The contract promises out/err are never NULL after exec_run, even when
     * the command could not be started, so callers can print them blindly. */
    if (result->out == NULL)
        result->out = xstrdup("");
    if (result->err == NULL)
        result->err = xstrdup("");
    return rc;
}

void exec_free(Executor *ex)
{
    if (ex == NULL)
        return;
    if (ex->ops != NULL && ex->ops->destroy != NULL)
        ex->ops->destroy(ex);
    else
        free(ex);
}

void exec_result_take_output(ExecResult *res, Buf *out, Buf *err, long pid)
{
    res->out_truncated = out->truncated;
    res->err_truncated = err->truncated;
    res->out_len = out->len;
    res->err_len = err->len;
    res->out = buf_steal(out);
    res->err = buf_steal(err);
    res->pid = pid;
}

void exec_result_clear(ExecResult *r)
{
    if (r == NULL)
        return;
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
}

/* Characters that never need quoting in a POSIX shell word. */
static bool exec_char_is_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_@%+=:,./-", c) != NULL;
}

void exec_shell_quote(Buf *b, const char *arg)
{
    bool safe = arg[0] != '\0';
    for (const char *p = arg; *p != '\0' && safe; p++)
        safe = exec_char_is_safe(*p);
    if (safe) {
        buf_appends(b, arg);
        return;
    }
    buf_append(b, "'", 1);
    for (const char *p = arg; *p != '\0' && !b->truncated; p++) {
        if (*p == '\'')
            buf_appends(b, "'\\''");
        else
            buf_append(b, p, 1);
    }
    buf_append(b, "'", 1);
}

char *exec_argv_format(char *const *argv)
{
    Buf b;
    buf_init(&b, EXEC_FORMAT_MAX);
    for (size_t i = 0; argv != NULL && argv[i] != NULL && !b.truncated; i++) {
        if (i > 0)
            buf_append(&b, " ", 1);
        exec_shell_quote(&b, argv[i]);
    }
    if (b.truncated) {
        /* Cut back and mark the elision so nobody pastes a half command. */
        b.len = EXEC_FORMAT_MAX - 3;
        b.data[b.len] = '\0';
        b.truncated = false;
        buf_appends(&b, "...");
    }
    return buf_steal(&b);
}
