/*
 * redact.c — masking secrets in text (contract in redact.h).
 */
#include "redact.h"

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

/* The password field of a .pgpass line (host:port:db:user:password, with
 * \: and \\ escapes), unescaped into out. */
static void pgpass_password(const char *line, char *out, size_t outsz)
{
    int field = 0;
    size_t k = 0;
    for (const char *p = line; *p != '\0' && *p != '\n'; p++) {
        if (*p == '\\' && (p[1] == ':' || p[1] == '\\')) {
            p++;
        } else if (*p == ':' && field < 4) {
            field++;
            continue;
        }
        if (field == 4 && k + 1 < outsz)
            out[k++] = *p;
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

/* Length of the value after "password=" (quoted '...' with \' escapes, or
 * up to whitespace / & / ; / quote). */
static size_t keyword_value_len(const char *v)
{
    size_t n = 0;
    if (v[0] == '\'') {
        for (n = 1; v[n] != '\0' && v[n] != '\''; n++)
            if (v[n] == '\\' && v[n + 1] != '\0')
                n++;
        return v[n] == '\'' ? n + 1 : n;
    }
    while (v[n] != '\0' && strchr(" \t\r\n&;\"'", v[n]) == NULL)
        n++;
    return n;
}

/* At s: "password=" -> bytes consumed (0 if not there), masked form appended. */
static size_t mask_keyword(Buf *b, const char *s)
{
    static const char kw[] = "password=";
    if (strncasecmp(s, kw, sizeof kw - 1) != 0)
        return 0;
    buf_append(b, s, sizeof kw - 1);
    buf_appends(b, REDACT_MASK);
    return sizeof kw - 1 + keyword_value_len(s + sizeof kw - 1);
}

/* At s: "://user:pass@" -> bytes consumed (0 if not there). */
static size_t mask_uri(Buf *b, const char *s)
{
    if (strncmp(s, "://", 3) != 0)
        return 0;
    size_t user = strcspn(s + 3, ":@/ \t\r\n");
    if (s[3 + user] != ':')
        return 0;
    size_t pass = strcspn(s + 4 + user, "@/ \t\r\n");
    if (s[4 + user + pass] != '@')
        return 0;
    buf_append(b, s, 4 + user);
    buf_appends(b, REDACT_MASK "@");
    return 4 + user + pass + 1;
}

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
        size_t used = mask_keyword(&b, s + i);
        if (used == 0)
            used = mask_uri(&b, s + i);
        if (used == 0)
            used = mask_secret(r, &b, s + i);
        if (used == 0) {
            buf_append(&b, s + i, 1);
            used = 1;
        }
        i += used;
    }
    return b.data != NULL ? buf_steal(&b) : xstrdup("");
}
