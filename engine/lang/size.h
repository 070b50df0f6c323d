/*
 * size.h — byte sizes in the drill language: "64MB", "512kB", "1GB", "100B".
 * PostgreSQL's spelling and meaning (kB, MB, GB, TB are powers of 1024), so
 * a drill's `64MB` is the same amount as `max_slot_wal_keep_size = 64MB`.
 * A bare "0" is allowed; other bare numbers are not (ambiguous unit).
 */
#ifndef DRILL_SIZE_H
#define DRILL_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define SIZE_MAX_BYTES ((int64_t)1 << 50)   /* 1 PB: far beyond any drill */

/* Returns 0 and sets *bytes, or -1 (leaving *bytes alone) if text is not
 * NUMBER UNIT with one unit of B, kB, MB, GB, TB, or exceeds SIZE_MAX_BYTES. */
int size_parse_bytes(const char *text, int64_t *bytes);

/* "64.0 MB" (one decimal, MiB-based like PostgreSQL's pg_size_pretty units);
 * integers only, so the output does not depend on the locale. */
void size_format_mb(int64_t bytes, char *out, size_t outsz);

#endif
