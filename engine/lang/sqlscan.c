/*
 * sqlscan.c — a small PostgreSQL lexer that only tracks lexical contexts
 * (see sqlscan.h): '...' (with '' doubling), E'...' (backslash escapes),
 * "..." (with "" doubling), $tag$...$tag$, -- comments and nested block
 * comments. It is not a parser: what it gets wrong costs a refused reference
 * or an error from the server, never a value run as SQL.
 */
#include "sqlscan.h"

#include <string.h>

enum {
    S_CODE,
    S_DOLLAR_OPEN,   /* after a `$` in code: a $tag$, a $1, or neither */
    S_LITERAL,       /* '...' */
    S_LITERAL_END,   /* after the ' that ends '...' (or starts '') */
    S_IDENT,         /* "..." */
    S_IDENT_END,     /* after the " that ends "..." (or starts "") */
    S_DOLLAR_BODY,   /* $tag$ ... */
    S_LINE_COMMENT,  /* -- ... newline */
    S_BLOCK_COMMENT  /* / * ... * / */
};

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define DIGITS "0123456789"

static bool is_in(char c, const char *set) { return c != '\0' && strchr(set, c) != NULL; }

/* Characters of an identifier or keyword (any byte of a UTF-8 sequence too). */
static bool is_word(char c)
{
    return is_in(c, LETTERS DIGITS "$") || (unsigned char)c >= 0x80;
}

bool sqlscan_glues(char c) { return is_word(c); }

void sqlscan_init(SqlScan *s)
{
    memset(s, 0, sizeof *s);
    s->state = S_CODE;
}

/* A char of plain code; returns the char to remember as the previous one. */
static char code_char(SqlScan *s, char c)
{
    if (c == '\'') {
        s->escapes = (s->prev == 'E' || s->prev == 'e') && !is_word(s->prev2);
        s->backslash = false;
        s->state = S_LITERAL;
    } else if (c == '"') {
        s->state = S_IDENT;
    } else if (c == '$' && !is_word(s->prev)) {
        s->state = S_DOLLAR_OPEN;
        s->tag[0] = '$';
        s->tag_len = 1;
    } else if (c == '-' && s->prev == '-') {
        s->state = S_LINE_COMMENT;
    } else if (c == '*' && s->prev == '/') {
        s->state = S_BLOCK_COMMENT;
        s->comment_depth = 1;
        return ' ';   /* so that a `/` right after does not also close it */
    }
    return c;
}

/* After `$`: `$tag$` opens a dollar quote, `$1` is a parameter. */
static char dollar_open_char(SqlScan *s, char c)
{
    if (c == '$') {
        s->tag[s->tag_len++] = '$';
        s->state = S_DOLLAR_BODY;
        s->match = 0;
        return c;
    }
    if (s->tag_len == 1 && is_in(c, DIGITS)) {
        s->positional = true;
        s->state = S_CODE;
        return c;
    }
    if (is_in(c, LETTERS) || (s->tag_len > 1 && is_in(c, DIGITS))) {
        if (s->tag_len > SQLSCAN_TAG_MAX)
            s->overflow = true;
        else
            s->tag[s->tag_len++] = c;
        return c;
    }
    s->state = S_CODE;   /* neither: the `$` was an ordinary char */
    return code_char(s, c);
}

/* The body of $tag$: it ends at the next "$tag$". */
static void dollar_body_char(SqlScan *s, char c)
{
    if (c == s->tag[s->match]) {
        if (++s->match == s->tag_len)
            s->state = S_CODE;
    } else {
        s->match = c == '$' ? 1 : 0;
    }
}

static void literal_char(SqlScan *s, char c)
{
    if (s->backslash)
        s->backslash = false;
    else if (s->escapes && c == '\\')
        s->backslash = true;
    else if (c == '\'')
        s->state = S_LITERAL_END;
}

/* Inside a block comment: nested openings and closings count. */
static char block_comment_char(SqlScan *s, char c)
{
    if (c == '*' && s->prev == '/') {
        s->comment_depth++;
        return ' ';
    }
    if (c == '/' && s->prev == '*') {
        if (--s->comment_depth == 0)
            s->state = S_CODE;
        return ' ';
    }
    return c;
}

static char feed_char(SqlScan *s, char c)
{
    switch (s->state) {
    case S_DOLLAR_OPEN: return dollar_open_char(s, c);
    case S_LITERAL: literal_char(s, c); return c;
    case S_LITERAL_END:
    case S_IDENT_END:
        if (c == (s->state == S_LITERAL_END ? '\'' : '"')) {   /* doubled: still inside */
            s->state = s->state == S_LITERAL_END ? S_LITERAL : S_IDENT;
            return c;
        }
        s->state = S_CODE;
        return code_char(s, c);
    case S_IDENT:
        if (c == '"')
            s->state = S_IDENT_END;
        return c;
    case S_DOLLAR_BODY: dollar_body_char(s, c); return c;
    case S_LINE_COMMENT:
        if (c == '\n')
            s->state = S_CODE;
        return ' ';
    case S_BLOCK_COMMENT: return block_comment_char(s, c);
    default: return code_char(s, c);
    }
}

void sqlscan_feed(SqlScan *s, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char prev = feed_char(s, text[i]);
        s->prev2 = s->prev;
        s->prev = prev;
    }
}

SqlCtx sqlscan_context(const SqlScan *s)
{
    if (s->overflow)
        return SQL_TOO_LONG;
    switch (s->state) {
    case S_DOLLAR_OPEN: return SQL_GLUED;
    case S_LITERAL: return SQL_LITERAL;
    case S_IDENT: return SQL_IDENT;
    case S_DOLLAR_BODY: return SQL_DOLLAR;
    case S_LINE_COMMENT:
    case S_BLOCK_COMMENT: return SQL_COMMENT;
    default: return is_word(s->prev) ? SQL_GLUED : SQL_CODE;
    }
}

bool sqlscan_positional(const SqlScan *s) { return s->positional; }
