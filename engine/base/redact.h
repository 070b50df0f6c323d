/*
 * redact.h — keeping secrets out of everything drill writes.
 *
 * drill never needs a password itself (libpq reads ~/.pgpass, PGPASSFILE or
 * PGPASSWORD), but commands it runs may print one, and conninfo strings may
 * carry one. A Redactor knows the secret values in play — PGPASSWORD and
 * the passwords of the .pgpass file libpq would use (a topology's conninfo
 * may not hold one at all) — and rewrites text before it reaches the store (hence the
 * JUnit and HTML reports, rendered from it) or the progress output. Found by
 * their form, whatever the value:
 *   * `password=VALUE`, also `password = VALUE` and keys ending in password
 *     (PGPASSWORD=, sslpassword=), the key possibly percent-encoded as libpq
 *     decodes URI query keys (`?pass%77ord=`)            -> password=********
 *   * JSON `"password": VALUE` (also "PGPASSWORD")       -> "password": ********
 *   * SQL `PASSWORD 'VALUE'` (CREATE/ALTER ROLE, any case) -> PASSWORD ********
 *   * `scheme://user:VALUE@` (URI form)                  -> scheme://user:********@
 * VALUE is bare (up to a blank, &, ; or a quote), quoted ('...', "...", with
 * backslash escapes and SQL's doubled '') or quoted with escaped quotes
 * because it sits in a quoted string itself: ''p''w'' or \'p\'w\' in a
 * configuration value (primary_conninfo = '... password=''p''w'' ...'),
 * '\''pw'\'' in a shell command as drill prints it. The whole value and its
 * quotes are masked, never a prefix. And by value:
 *   * any known secret value                             -> ********
 * Values shorter than REDACT_MIN_SECRET bytes are not searched for as bare
 * text (a one-letter password would blank every occurrence of that letter);
 * they are still removed from the forms above.
 */
#ifndef DRILL_REDACT_H
#define DRILL_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MASK "********"
#define REDACT_MIN_SECRET 4
#define REDACT_MAX_SECRETS 256

typedef struct Redactor Redactor;

Redactor *redact_new(void);
void redact_free(Redactor *r);   /* NULL ok */
/* Adds a secret value (copied); empty / duplicate values are ignored. */
void redact_add(Redactor *r, const char *secret);
/* Adds PGPASSWORD and the passwords of the .pgpass file libpq would read
 * (PGPASSFILE, else ~/.pgpass), read as libpq reads them (CRLF line ends,
 * backslash escapes). */
void redact_add_environment(Redactor *r);
/* Number of secrets known (for tests and the run's log). */
size_t redact_count(const Redactor *r);

/* A malloc'd copy of s with secrets masked; NULL for NULL. r may be NULL
 * (then only the forms are masked). */
char *redact_text(const Redactor *r, const char *s);

/* Whether text holds a password in a form redact_text masks without knowing
 * the value (keyword, JSON, SQL or URI form). A conninfo that does is refused:
 * what is refused and what is masked cannot drift apart. NULL: false. */
bool redact_has_password(const char *text);

#endif
