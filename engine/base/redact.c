/*
 * redact.c — masking secrets in text (contract in redact.h).
 */
#include "redact.h"

#include <ctype.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

/* Bounded: a .pgpass with thousands of lines must not make every write slow. */
#define PGPASS_MAX_BYTES ((size_t)1024 * 1024)
#define REDACT_TEXT_MAX ((size_t)64 * 1024 * 1024)

struct Redactor {
    char *secret[REDACT_MAX_SECRETS];
    size_t n;
};

Redactor *redact_new(void) { return xcalloc(1, sizeof(Redactor)); }

void redact_free(Redactor *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->secret[i]);
    free(r);
}

size_t redact_count(const Redactor *r) { return r != NULL ? r->n : 0; }

void redact_add(Redactor *r, const char *secret)
{
    if (r == NULL || secret == NULL || secret[0] == '\0' || r->n >= REDACT_MAX_SECRETS)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->secret[i], secret) == 0)
            return;
    r->secret[r->n++] = xstrdup(secret);
}

/* The password field of a .pgpass line (host:port:db:user:password) as
 * libpq reads it: the line ends before its trailing CR/LF (a file edited on
 * Windows must still yield the real password, not one ending in \r), a
 * backslash escapes any character, and an unescaped ':' ends the field. */
static void pgpass_password(const char *line, char *out, size_t outsz)
{
    size_t len = strcspn(line, "\n");
    while (len > 0 && line[len - 1] == '\r')
        len--;
    int field = 0;
    size_t k = 0;
    for (size_t i = 0; i < len && field < 5; i++) {
        if (line[i] == '\\' && i + 1 < len)
            i++;
        else if (line[i] == ':') {
            field++;
            continue;
        }
        if (field == 4 && k + 1 < outsz)
            out[k++] = line[i];
    }
    out[k] = '\0';
}

static void add_pgpass(Redactor *r)
{
    const char *file = getenv("PGPASSFILE");
    char *path = NULL;
    if (file == NULL) {
        const struct passwd *pw = getpwuid(geteuid());
        const char *home = getenv("HOME") ? getenv("HOME") : (pw ? pw->pw_dir : NULL);
        if (home == NULL)
            return;
        path = xasprintf("%s/.pgpass", home);
    }
    char *text = NULL;
    size_t len = 0;
    if (access(file ? file : path, R_OK) == 0 &&
        file_read_all(file ? file : path, PGPASS_MAX_BYTES, &text, &len, NULL) == 0) {
        for (char *line = text; line != NULL && *line != '\0';) {
            char pw[512];
            if (*line != '#') {
                pgpass_password(line, pw, sizeof pw);
                redact_add(r, pw);
            }
            char *nl = strchr(line, '\n');
            line = nl != NULL ? nl + 1 : NULL;
        }
    }
    free(text);
    free(path);
}

void redact_add_environment(Redactor *r)
{
    redact_add(r, getenv("PGPASSWORD"));
    add_pgpass(r);
}

/* ---- password forms ------------------------------------------------------------ */

/* A password found by its form: the first `keep` bytes stay (the key and
 * what separates it from the value), the next `value` bytes are the secret. */
typedef struct Match {
    size_t keep;
    size_t value;
} Match;

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Bytes of the key "password" at s, any case, any of its letters possibly
 * percent-encoded (libpq decodes URI query keys: ?pass%77ord= is password=);
 * 0 if not there. Also found inside longer keys (PGPASSWORD, sslpassword). */
static size_t password_key_len(const char *s)
{
    static const char kw[] = "password";
    size_t n = 0;
    for (size_t i = 0; kw[i] != '\0'; i++) {
        int c = (unsigned char)s[n];
        size_t used = 1;
        if (c == '%' && hex_digit(s[n + 1]) >= 0 && hex_digit(s[n + 2]) >= 0) {
            c = hex_digit(s[n + 1]) * 16 + hex_digit(s[n + 2]);
            used = 3;
        }
        if (tolower(c) != kw[i])
            return 0;
        n += used;
    }
    return n;
}

/* Whether c may follow an escaped-quoted value (q: its quote character);
 * the other quote character closes an enclosing string. */
static bool ends_value(char c, char q)
{
    return c == '\0' || strchr(" \t\r\n;,)&", c) != NULL ||
           (c != q && (c == '\'' || c == '"'));
}

/* A value in plain quotes, 'pw' or "pw": up to the closing quote, skipping
 * backslash escapes (conninfo, JSON, shell) and doubled quotes (SQL 'p''w'). */
static size_t quoted_len(const char *v)
{
    size_t n = 1;
    while (v[n] != '\0') {
        if (v[n] == '\\' && v[n + 1] != '\0')
            n += 2;
        else if (v[n] == v[0] && v[n + 1] == v[0])
            n += 2;
        else if (v[n] == v[0])
            return n + 1;
        else
            n++;
    }
    return n;
}

/* A value quoted with escaped quotes, because it sits inside a quoted string
 * itself: ''pw'' or \'pw\' in a configuration value, '\''pw'\'' in a shell
 * command as drill prints it. The opening sequence may recur inside the value
 * (''p''w'' is p'w): the value ends at its first recurrence that the end of
 * the value follows. Unterminated: to the end of the text. */
static size_t escaped_quoted_len(const char *v, size_t open, char q)
{
    if (ends_value(v[open], q))
        return open;
    size_t n = open;
    for (; v[n] != '\0'; n++)
        if (strncmp(v + n, v, open) == 0 && ends_value(v[n + open], q))
            return n + open;
    return n;
}

/* A bare value: up to a blank, a URI '&', a ';' or a quote; a backslash
 * escapes the next byte (libpq: password=a\ b is "a b"). */
static size_t bare_len(const char *v)
{
    size_t n = 0;
    while (v[n] != '\0' && strchr(" \t\r\n&;\"'", v[n]) == NULL)
        n += v[n] == '\\' && v[n + 1] != '\0' ? 2 : 1;
    return n;
}

/* Bytes of the value at v: quoted (plainly or with escaped quotes) or bare. */
static size_t value_len(const char *v)
{
    size_t lead = strspn(v, "\\");
    char q = v[lead];
    if (q != '\'' && q != '"')
        return bare_len(v);
    size_t open = lead + strspn(v + lead, q == '\'' ? "'\\" : "\"\\");
    while (v[open - 1] == '\\')   /* '\pw': the backslash belongs to the value */
        open--;
    return open == 1 ? quoted_len(v) : escaped_quoted_len(v, open, q);
}

/* Whether an SQL string literal starts at v ('pw', E'pw', quotes possibly
 * escaped): the PASSWORD 'pw' of CREATE/ALTER ROLE. *prefix: its E. */
static bool sql_literal_at(const char *v, size_t *prefix)
{
    *prefix = (v[0] == 'E' || v[0] == 'e') ? 1 : 0;
    const char *q = v + *prefix + strspn(v + *prefix, "\\");
    return *q == '\'' || *q == '"';
}

/* At s, a password key and its value, in the forms commands print:
 *   password=pw, password = 'pw', PGPASSWORD="pw"   (conninfo, shell, URI query)
 *   "password": "pw"                                  (JSON)
 *   PASSWORD 'pw'                                     (SQL: CREATE/ALTER ROLE) */
static bool match_keyword(const char *s, Match *m)
{
    size_t n = password_key_len(s);
    if (n == 0)
        return false;
    bool quoted_key = s[n] == '"' || s[n] == '\'';
    n += quoted_key;
    size_t blanks = strspn(s + n, " \t");
    n += blanks;
    size_t prefix = 0;
    if (s[n] == '=' || (quoted_key && s[n] == ':'))
        n += 1 + strspn(s + n + 1, " \t");
    else if (blanks == 0 || quoted_key || !sql_literal_at(s + n, &prefix))
        return false;
    /* Already masked: the mask alone is the value, so that masking twice (a
     * message masked before it is cut, then by the store) changes nothing —
     * a bare value would run on into a following '}' or ')'. */
    if (prefix == 0 && strncmp(s + n, REDACT_MASK, sizeof REDACT_MASK - 1) == 0) {
        *m = (Match){n, sizeof REDACT_MASK - 1};
        return true;
    }
    *m = (Match){n, prefix + value_len(s + n + prefix)};
    return true;
}

/* At s: "://user:pw@" (URI form). */
static bool match_uri(const char *s, Match *m)
{
    if (strncmp(s, "://", 3) != 0)
        return false;
    size_t user = strcspn(s + 3, ":@/ \t\r\n");
    if (s[3 + user] != ':')
        return false;
    size_t pass = strcspn(s + 4 + user, "@/ \t\r\n");
    if (s[4 + user + pass] != '@')
        return false;
    *m = (Match){4 + user, pass};
    return true;
}

static bool match_form(const char *s, Match *m)
{
    return match_keyword(s, m) || match_uri(s, m);
}

bool redact_has_password(const char *text)
{
    Match m;
    for (size_t i = 0; text != NULL && text[i] != '\0'; i++)
        if (match_form(text + i, &m))
            return true;
    return false;
}

/* ---- masking -------------------------------------------------------------------- */

static size_t mask_secret(const Redactor *r, Buf *b, const char *s)
{
    for (size_t i = 0; r != NULL && i < r->n; i++) {
        size_t n = strlen(r->secret[i]);
        if (n >= REDACT_MIN_SECRET && strncmp(s, r->secret[i], n) == 0) {
            buf_appends(b, REDACT_MASK);
            return n;
        }
    }
    return 0;
}

char *redact_text(const Redactor *r, const char *s)
{
    if (s == NULL)
        return NULL;
    Buf b;
    buf_init(&b, REDACT_TEXT_MAX);
    for (size_t i = 0; s[i] != '\0';) {
        Match m;
        size_t used = 0;
        if (match_form(s + i, &m)) {
            buf_append(&b, s + i, m.keep);
            buf_appends(&b, REDACT_MASK);
            used = m.keep + m.value;
        } else {
            used = mask_secret(r, &b, s + i);
        }
        if (used == 0) {
            buf_append(&b, s + i, 1);
            used = 1;
        }
        i += used;
    }
    return b.data != NULL ? buf_steal(&b) : xstrdup("");
}
