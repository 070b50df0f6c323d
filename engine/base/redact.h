/*
 * redact.h — keeping secrets out of everything drill writes.
 *
 * drill never needs a password itself (libpq reads ~/.pgpass, PGPASSFILE or
 * PGPASSWORD), but commands it runs may print one, and conninfo strings may
 * carry one. A Redactor knows the secret values in play — PGPASSWORD and
 * the passwords of the .pgpass file libpq would use (a topology's conninfo
 * may not hold one at all) — and rewrites text before it reaches the store (hence the
 * JUnit and HTML reports, rendered from it) or the progress output:
 *   * `password=VALUE` (conninfo keyword form, quoted or not) -> password=********
 *   * `scheme://user:VALUE@` (URI form)                       -> scheme://user:********@
 *   * any known secret value                                  -> ********
 * Values shorter than REDACT_MIN_SECRET bytes are not searched for as bare
 * text (a one-letter password would blank every occurrence of that letter);
 * they are still removed from the keyword and URI forms.
 */
#ifndef DRILL_REDACT_H
#define DRILL_REDACT_H

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
 * (PGPASSFILE, else ~/.pgpass). */
void redact_add_environment(Redactor *r);
/* Number of secrets known (for tests and the run's log). */
size_t redact_count(const Redactor *r);

/* A malloc'd copy of s with secrets masked; NULL for NULL. r may be NULL
 * (then only the keyword and URI forms are masked). */
char *redact_text(const Redactor *r, const char *s);

#endif
