/*
 * store_int.h — what the store's files share, private to engine/store (the
 * public contract is store.h): struct Store, the size limits, and the
 * helpers every file uses to fail, prepare, bind, read rows and open
 * transactions. Only the store_*.c files talk to sqlite3.
 *
 * The files, by concern:
 *   store_core.c      errors, transactions, binding (redaction, clamping)
 *   store_open.c      opening, configuring, migrating, the schema, integrity
 *   store_write.c     recording a run: its start, end and rows; the sticky
 *                     write error (store_write_error)
 *   store_read.c      queries: history, baselines, batches, running and
 *                     unsealed runs, artifacts; the row-reading helpers
 *   store_record.c    loading one whole run (RunRecord) and freeing it
 *   store_evidence.c  the evidence chain's links
 */
#ifndef DRILL_STORE_INT_H
#define DRILL_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "redact.h"
#include "store.h"

/* Texts are clamped here whatever the caller did: one runaway command output
 * must not bloat the evidence database. The drill source gets more room
 * because it is shown verbatim next to its SHA-256. */
#define STORE_TEXT_MAX ((size_t)64 * 1024)
#define STORE_SOURCE_MAX ((size_t)1024 * 1024)
/* Upper bound on rows loaded per table, so a damaged database cannot make a
 * report allocate without limit. */
#define STORE_ROWS_MAX 1000000
/* PRAGMA application_id marking a drill database ("DRIL"). */
#define STORE_APP_ID 0x4452494c
/* How long a write waits for another process's lock before failing. */
#define STORE_BUSY_MS 5000
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
#define LINK_COLUMNS "seq, run_id, record_sha256, prev_sha256, chain_sha256, sealed_ms, format"

/* The first failed write of a run's rows (store_write.c): later writes of
 * that run are refused with it, and store_write_error() reports it. */
typedef struct StoreSticky {
    bool set;
    int64_t run_id;
    DrillError error;
} StoreSticky;

struct Store {
    sqlite3 *db;
    char *path;
    const Redactor *redactor;   /* borrowed; NULL = keyword/URI forms only */
    pthread_mutex_t lock;
    /* Nesting of store_tx_open: only the outermost BEGINs and COMMITs, so a
     * caller can make several store calls one transaction (store_tx_begin). */
    int tx_depth;
    bool tx_failed;             /* an inner part failed: the outer one rolls back */
    StoreSticky sticky;         /* under lock */
};

/* ---- store_core.c ---- */

/* Fills err from the connection's last error, naming the file and the
 * action (what); returns the error code. */
int store_fail(Store *st, const char *what, DrillError *err);
/* Runs sql (no rows) or fails with what. */
int store_exec(Store *st, const char *sql, const char *what, DrillError *err);
/* Prepares sql into *out (NULL on failure). */
int store_prep(Store *st, const char *sql, sqlite3_stmt **out, DrillError *err);
/* Opens a transaction (begin: "BEGIN" or "BEGIN IMMEDIATE") or joins the
 * caller's, holding the lock until store_tx_close, which commits (outermost,
 * all parts succeeded) or rolls back, and returns rc or the commit's error. */
int store_tx_open(Store *st, const char *begin, const char *what, DrillError *err);
int store_tx_close(Store *st, int rc, const char *what, DrillError *err);
/* Length of s clamped to max bytes without splitting a UTF-8 sequence. */
size_t store_text_clamp_len(const char *s, size_t max);
/* Binds v redacted and clamped (to max, or STORE_TEXT_MAX); NULL binds NULL. */
void store_bind_text_max(Store *st, sqlite3_stmt *s, int i, const char *v, size_t max);
void store_bind_text(Store *st, sqlite3_stmt *s, int i, const char *v);
/* NaN binds NULL. */
void store_bind_real(sqlite3_stmt *s, int i, double v);

/* ---- store_read.c ---- */

/* Column i as a malloc'd text (a NUL inside shown as \0), or NULL. */
char *store_col_text(sqlite3_stmt *s, int i);
/* Column i as a real; NULL reads as NaN. */
double store_col_real(sqlite3_stmt *s, int i);
/* Copies a text column into a fixed field, cut on a UTF-8 boundary. */
void store_copy_field(char *dst, size_t dstsz, const unsigned char *src);
typedef void (*StoreRowFn)(sqlite3_stmt *s, void *elem);
/* Steps a bound statement to the end, appending one elsize-byte element per
 * row (filled by fn) to *arr; at most STORE_ROWS_MAX rows. Always finalizes
 * s. The caller holds the lock. */
int store_collect_rows(Store *st, sqlite3_stmt *s, size_t elsize, StoreRowFn fn, void **arr,
                       size_t *n, DrillError *err);
/* Prepares sql, binds ?1 = arg and collects its rows as above. */
int store_load_rows(Store *st, const char *sql, int64_t arg, size_t elsize, StoreRowFn fn,
                    void **arr, size_t *n, DrillError *err);

/* ---- store_evidence.c ---- */

/* Loads links with sql (?1 bound to arg); the caller holds the lock. */
int store_load_links(Store *st, const char *sql, int64_t arg, EvidenceLink **out, size_t *n,
                     DrillError *err);

#endif
