/*
 * shellscan.h — tells in which shell quoting context a position of a `shell`
 * step's command text lies, so that a drill `${name}` reference there can be
 * rewritten into a reference to an environment variable of the right form
 * (or refused). drill never puts a value into shell text: values travel in
 * the environment (DRILL_VAR_name, DRILL_CAPTURE_name) and the shell expands
 * them as data. The scanner only decides between `"${DRILL_VAR_x}"` (plain
 * code), `${DRILL_VAR_x}` (inside double quotes or an unquoted here-document)
 * and an error (single quotes, quoted here-documents, arithmetic, a shell
 * `${...}`): a wrong guess can cost word splitting, never execution.
 */
#ifndef DRILL_SHELLSCAN_H
#define DRILL_SHELLSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define SHELLSCAN_DEPTH 32   /* nesting of quotes / $( ) / `` beyond this: refused */
#define SHELLSCAN_DELIM_MAX 64

typedef enum ShellCtx {
    SHELL_CODE,      /* unquoted: a word of its own */
    SHELL_QUOTED,    /* inside "..." or an unquoted here-document body: expanded, not split */
    SHELL_LITERAL,   /* inside '...' or a quoted here-document: never expanded */
    SHELL_ARITH,     /* inside $(( )): the shell would evaluate the value as arithmetic */
    SHELL_PARAM,     /* inside a shell ${...} (written $${...}) */
    SHELL_COMMENT,   /* after # */
    SHELL_TOO_DEEP   /* nesting beyond SHELLSCAN_DEPTH */
} ShellCtx;

typedef struct ShellScan {
    unsigned char kind[SHELLSCAN_DEPTH];   /* frame kinds (shellscan.c) */
    int paren[SHELLSCAN_DEPTH];            /* open ( inside a $( ) or $(( )) frame */
    size_t depth;                          /* frames in use, >= 1 */
    bool overflow;
    bool escaped;                          /* previous char was an unquoted backslash */
    char prev;                             /* previous char (for `#`, `$(`, `<<`) */
    char prev2;
    /* here-documents: `<<[-]WORD` is read, its body starts at the next newline */
    int hd_state;                          /* 0 none, 1 after <<, 2 in WORD, 3 pending */
    bool hd_strip_tabs, hd_quoted;
    char delim[SHELLSCAN_DELIM_MAX + 1];
    size_t delim_len;
    char line[SHELLSCAN_DELIM_MAX + 2];    /* current body line (for the delimiter) */
    size_t line_len;
    bool line_long;
} ShellScan;

void shellscan_init(ShellScan *s);
/* Advances over n bytes of literal command text. */
void shellscan_feed(ShellScan *s, const char *text, size_t n);
/* The context at the current position. */
ShellCtx shellscan_context(const ShellScan *s);

#endif
