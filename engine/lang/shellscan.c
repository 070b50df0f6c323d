/*
 * shellscan.c — a small POSIX sh lexer that only tracks quoting contexts
 * (see shellscan.h). It is not a parser: what it cannot tell apart (a `case`
 * pattern's `)` inside `$( )`, several here-documents on one line) it may get
 * wrong, and the result is then a value that is split into words or not
 * expanded — never a value run as code, because values are not in the text.
 */
#include "shellscan.h"

#include <string.h>

enum {
    F_CODE,       /* top level */
    F_CMDSUB,     /* $( ... ) */
    F_BQ,         /* ` ... ` */
    F_DQ,         /* " ... " */
    F_SQ,         /* ' ... ' */
    F_PARAM,      /* ${ ... } */
    F_ARITH,      /* $(( ... )) */
    F_COMMENT,    /* # ... newline */
    F_HEREDOC,    /* body of <<WORD */
    F_HEREDOC_Q   /* body of <<'WORD' */
};

#define WORD_END " \t\n;&|<>()"

void shellscan_init(ShellScan *s)
{
    memset(s, 0, sizeof *s);
    s->kind[0] = F_CODE;
    s->depth = 1;
}

static int top(const ShellScan *s) { return s->kind[s->depth - 1]; }

static void push(ShellScan *s, int kind)
{
    if (s->depth == SHELLSCAN_DEPTH) {
        s->overflow = true;   /* sticky: every later reference is refused */
        return;
    }
    s->kind[s->depth] = (unsigned char)kind;
    s->paren[s->depth] = 0;
    s->depth++;
}

static void pop(ShellScan *s)
{
    if (s->depth > 1)
        s->depth--;
}

/* `$(`, `$((` and `${` open a frame wherever the shell expands them. */
static bool dollar_open(ShellScan *s, char c)
{
    if (c == '(' && top(s) == F_CMDSUB && s->prev == '(' && s->prev2 == '$' &&
        s->paren[s->depth - 1] == 0) {
        s->kind[s->depth - 1] = F_ARITH;   /* `$((`: arithmetic, not a subshell */
        return true;
    }
    if (s->prev != '$' || (c != '(' && c != '{'))
        return false;
    push(s, c == '(' ? F_CMDSUB : F_PARAM);
    return true;
}

/* Reads the WORD of `<<[-]WORD`; returns true while c belongs to it. */
static bool heredoc_word(ShellScan *s, char c)
{
    if (s->hd_state == 1) {
        if (c == '<') {           /* `<<<`: a here-string, no body */
            s->hd_state = 0;
            return true;
        }
        if (c == '-' && !s->hd_strip_tabs && s->delim_len == 0) {
            s->hd_strip_tabs = true;
            return true;
        }
        if (c == ' ' || c == '\t')
            return true;
        s->hd_state = 2;
    }
    if (s->hd_state != 2)
        return false;
    if (strchr(WORD_END, c) != NULL) {
        s->hd_state = 3;          /* the body starts at the next newline */
        return false;
    }
    if (c == '\'' || c == '"' || c == '\\')
        s->hd_quoted = true;
    else if (s->delim_len < SHELLSCAN_DELIM_MAX)
        s->delim[s->delim_len++] = c;
    return true;
}

static void code_char(ShellScan *s, char c)
{
    if (heredoc_word(s, c) || dollar_open(s, c))
        return;
    int *paren = &s->paren[s->depth - 1];
    bool word_start = s->prev == '\0' || strchr(WORD_END, s->prev) != NULL;
    switch (c) {
    case '\\': s->escaped = true; break;
    case '\'': push(s, F_SQ); break;
    case '"': push(s, F_DQ); break;
    case '`': top(s) == F_BQ ? pop(s) : push(s, F_BQ); break;
    case '#': if (word_start) push(s, F_COMMENT); break;
    case '(': (*paren)++; break;
    case ')':
        if (*paren > 0)
            (*paren)--;
        else if (top(s) == F_CMDSUB)
            pop(s);
        break;
    case '<':
        if (s->prev == '<' && s->prev2 != '<') {
            s->hd_state = 1;
            s->hd_strip_tabs = s->hd_quoted = false;
            s->delim_len = 0;
        }
        break;
    case '\n':
        if (s->hd_state == 3) {
            s->hd_state = 0;
            push(s, s->hd_quoted ? F_HEREDOC_Q : F_HEREDOC);
            s->line_len = 0;
            s->line_long = false;
        }
        break;
    default: break;
    }
}

/* A here-document body ends at a line that is exactly its WORD. */
static void heredoc_char(ShellScan *s, char c)
{
    if (c != '\n') {
        if (c == '\t' && s->hd_strip_tabs && s->line_len == 0)
            return;
        if (s->line_len < SHELLSCAN_DELIM_MAX + 1)
            s->line[s->line_len++] = c;
        else
            s->line_long = true;
        return;
    }
    if (!s->line_long && s->line_len == s->delim_len &&
        memcmp(s->line, s->delim, s->delim_len) == 0)
        pop(s);
    s->line_len = 0;
    s->line_long = false;
}

static void arith_char(ShellScan *s, char c)
{
    int *paren = &s->paren[s->depth - 1];
    if (dollar_open(s, c))
        return;
    if (c == '(')
        (*paren)++;
    else if (c == ')' && *paren > 0)
        (*paren)--;
    else if (c == ')' && *paren == 0)
        *paren = -1;      /* the first `)` of `))` */
    else if (c == ')' || *paren < 0)
        pop(s);
}

/* Inside "..." and ${...}: backslash escapes, nested expansions. */
static void quoted_char(ShellScan *s, char c, int frame)
{
    if (c == '\\')
        s->escaped = true;
    else if (dollar_open(s, c))
        return;
    else if (c == '`')
        push(s, F_BQ);
    else if (frame == F_DQ && c == '"')
        pop(s);
    else if (frame == F_PARAM && c == '}')
        pop(s);
    else if (frame == F_PARAM && (c == '"' || c == '\''))
        push(s, c == '"' ? F_DQ : F_SQ);
}

static void feed_char(ShellScan *s, char c)
{
    int frame = top(s);
    if (s->escaped) {
        s->escaped = false;
        c = 'a';           /* an escaped character is an ordinary one */
    } else if (frame == F_SQ) {
        if (c == '\'')
            pop(s);
    } else if (frame == F_COMMENT) {
        if (c == '\n') {
            pop(s);
            code_char(s, c);   /* a pending here-document starts after it */
        }
    } else if (frame == F_HEREDOC || frame == F_HEREDOC_Q) {
        heredoc_char(s, c);
    } else if (frame == F_ARITH) {
        arith_char(s, c);
    } else if (frame == F_DQ || frame == F_PARAM) {
        quoted_char(s, c, frame);
    } else {
        code_char(s, c);
    }
    s->prev2 = s->prev;
    s->prev = c;
}

void shellscan_feed(ShellScan *s, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        feed_char(s, text[i]);
}

ShellCtx shellscan_context(const ShellScan *s)
{
    if (s->overflow)
        return SHELL_TOO_DEEP;
    if (s->escaped || s->hd_state == 1 || s->hd_state == 2)
        return SHELL_LITERAL;   /* after a backslash, or as a here-document's WORD */
    switch (top(s)) {
    case F_DQ:
    case F_HEREDOC: return SHELL_QUOTED;
    case F_SQ:
    case F_HEREDOC_Q: return SHELL_LITERAL;
    case F_ARITH: return SHELL_ARITH;
    case F_PARAM: return SHELL_PARAM;
    case F_COMMENT: return SHELL_COMMENT;
    default: return SHELL_CODE;
    }
}
