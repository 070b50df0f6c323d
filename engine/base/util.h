/*
 * util.h — small shared helpers: checked allocation, bounded string buffers,
 * time, hex/SHA-256 and file reading. Every growing buffer has a size limit.
 */
#ifndef DRILL_UTIL_H
#define DRILL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Allocation that aborts the process on OOM: drill cannot do anything useful
 * without memory and error paths for every small strdup hide real bugs. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);          /* xstrdup(NULL) == NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing byte buffer with a hard limit; bytes past the limit are dropped
 * and `truncated` is set. Always NUL-terminated. */
typedef struct Buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    bool truncated;
} Buf;

void buf_init(Buf *b, size_t limit);
void buf_append(Buf *b, const char *data, size_t n);
void buf_appends(Buf *b, const char *s);
void buf_appendf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_steal(Buf *b);               /* returns data (never NULL), resets b */
void buf_free(Buf *b);

/* Clocks. Durations use the monotonic clock; evidence uses UTC wall time. */
int64_t time_mono_us(void);
int64_t time_utc_ms(void);
/* "2026-11-21T10:12:03.456Z" into out (at least 32 bytes). */
void time_format_utc_ms(int64_t utc_ms, char *out, size_t outsz);
/* Formats a duration in ms from integers ("1.234s", "250ms", "2m03.000s"), locale-free. */
void time_format_duration_ms(int64_t ms, char *out, size_t outsz);
void sleep_us(int64_t us);

/* SHA-256 (libcrypto) as 64 lowercase hex chars + NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Streaming SHA-256: new, update..., final (which frees). */
typedef struct Sha256 Sha256;
Sha256 *sha256_new(void);
/* Linked libcrypto version text, for the evidence. */
const char *crypto_library_version(void);
void sha256_update(Sha256 *h, const void *data, size_t len);
void sha256_final(Sha256 *h, char out[65]);
/* A random (version 4) UUID as 36 lowercase chars + NUL, from the kernel's
 * random source: 122 random bits, so two runs anywhere never share one.
 * DRILL_E_IO when no randomness is available. */
#define UUID_STR_SIZE 37
int uuid_new(char out[UUID_STR_SIZE], DrillError *err);
/* True when s is a UUID as uuid_new writes it (what a heartbeat row carries). */
bool uuid_is_valid(const char *s);
/* SHA-256 of a file's contents; *bytes (may be NULL) gets its size.
 * DRILL_E_NOTFOUND when it does not exist. */
int sha256_file_hex(const char *path, char out[65], int64_t *bytes, DrillError *err);

/* Reads a whole file (up to limit bytes; larger is an error). */
/* mkdir -p of the parent directories of path (not path itself); new ones get
 * `mode`. `what` names the file in errors ("the store"). */
int dir_make_parents(const char *path, mode_t mode, const char *what, DrillError *err);
int file_read_all(const char *path, size_t limit, char **out, size_t *len, DrillError *err);
/* Writes data to path atomically: a new temp file in the same directory
 * (PATH.tmp.PID, else PATH.tmp.PID.RANDOM; never an existing file or a
 * symlink someone planted there), fsync, rename. The file gets mode 0644
 * less the umask. */
int file_write_atomic(const char *path, const char *data, size_t len, DrillError *err);

bool str_eq(const char *a, const char *b);   /* NULL-safe */
bool str_has_prefix(const char *s, const char *prefix);
/* s with every `from` replaced by `to` (malloc'd; from must not be empty). */
char *str_replace_all(const char *s, const char *from, const char *to);
/* 1 to 63 of [a-z0-9_]: PostgreSQL's rule for slot names, also used for
 * names drill splices into configuration files or keys. */
bool str_is_pg_name(const char *s);




/* ---- UTF-8 ---- */
/* Length of the valid UTF-8 sequence at p (1-4), 0 if invalid. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
size_t utf8_seq_len(const unsigned char *p);
/* s's first n bytes (or up to a NUL) with each invalid byte replaced by
 * U+FFFD (malloc'd): for a PostgreSQL text column, which refuses them. */
char *utf8_valid_dup(const char *s, size_t n);

#endif
