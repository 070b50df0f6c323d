/*
 * sqlscan.h — tells in which lexical context of PostgreSQL SQL a position of
 * a `query` (a `sql` step, a `wait_for` with `probe: sql`) lies, so that a
 * `${capture.NAME}` reference there can be bound or refused.
 *
 * drill never puts a captured value into SQL text: the reference becomes a
 * query parameter ($1, $2, ...) and the value travels beside the query
 * (PQexecParams), where the server reads it as data. That only works where a
 * parameter may stand — in plain SQL code. Inside a '...' literal, a "..."
 * identifier, a $tag$...$tag$ string or a comment, `$1` is just text: the
 * reference is refused there (with a hint), never pasted. The scanner also
 * says when the position is glued to a word (`x${capture.a}` would read as
 * the identifier `x$1`) and whether the SQL uses positional parameters of its
 * own (`$1`), which the bound ones would collide with. A wrong guess (e.g.
 * with standard_conforming_strings off) can cost an error from the server,
 * never a value run as SQL, because values are not in the text.
 */
#ifndef DRILL_SQLSCAN_H
#define DRILL_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define SQLSCAN_TAG_MAX 63   /* a longer $tag$ is refused: see SQL_TOO_LONG */

typedef enum SqlCtx {
    SQL_CODE,      /* plain SQL between tokens: a parameter may stand here */
    SQL_GLUED,     /* plain SQL right after a word character or a `$` */
    SQL_LITERAL,   /* inside '...' or E'...' */
    SQL_IDENT,     /* inside "..." */
    SQL_DOLLAR,    /* inside $tag$...$tag$ */
    SQL_COMMENT,   /* after -- or inside a (nested) block comment */
    SQL_TOO_LONG   /* after a dollar-quote tag longer than SQLSCAN_TAG_MAX */
} SqlCtx;

typedef struct SqlScan {
    int state;                         /* S_* in sqlscan.c */
    bool escapes;                      /* the literal is an E'...' (backslash escapes) */
    bool backslash;                    /* previous char was a backslash in an E'...' */
    bool overflow;                     /* sticky: every later reference is refused */
    bool positional;                   /* a `$1`-style parameter was seen in code */
    int comment_depth;                 /* nesting of block comments */
    char prev, prev2;                  /* previous chars (for comments, E'', words) */
    char tag[SQLSCAN_TAG_MAX + 3];     /* "$tag$" of the open dollar quote */
    size_t tag_len;
    size_t match;                      /* chars of the closing "$tag$" seen so far */
} SqlScan;

void sqlscan_init(SqlScan *s);
/* Advances over n bytes of SQL text. */
void sqlscan_feed(SqlScan *s, const char *text, size_t n);
/* The context at the current position. */
SqlCtx sqlscan_context(const SqlScan *s);
/* Has the text so far used a positional parameter ($1, $2, ...) in code? */
bool sqlscan_positional(const SqlScan *s);
/* Would a parameter written just before c be glued to it (`$1` + c)? */
bool sqlscan_glues(char c);

#endif
