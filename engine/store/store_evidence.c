/*
 * store_evidence.c — the evidence chain's links (store.h, evidence.h):
 * appending the next link in one write transaction, listing the chain, and
 * the chain step itself (evidence_chain_next).
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- evidence chain ---- */

static void row_link(StoreStmt *s, void *elem)
{
    EvidenceLink *p = elem;
    p->seq = stmt_col_int64(s, 0);
    p->run_id = stmt_col_int64(s, 1);
    store_copy_field(p->record_sha256, sizeof p->record_sha256, stmt_col_text(s, 2));
    store_copy_field(p->prev_sha256, sizeof p->prev_sha256, stmt_col_text(s, 3));
    store_copy_field(p->chain_sha256, sizeof p->chain_sha256, stmt_col_text(s, 4));
    p->sealed_utc_ms = stmt_col_int64(s, 5);
    p->format = stmt_col_int(s, 6);
}

/* Loads links with sql (?1 bound to arg); the caller holds the lock. */
int store_load_links(Store *st, const char *sql, int64_t arg, EvidenceLink **out, size_t *n,
                     DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    int rc = store_load_rows(st, sql, arg, sizeof **out, row_link, &rows, n, err);
    *out = rows;
    return rc;
}

void evidence_chain_next(const char *prev_sha256, const char *record_sha256, char out[65])
{
    char buf[2 * 64 + 2];
    snprintf(buf, sizeof buf, "%s\n%s", prev_sha256, record_sha256);
    sha256_hex(buf, strlen(buf), out);
}

static int insert_link(Store *st, const EvidenceLink *l, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st, "INSERT INTO evidence (" LINK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, l->seq);
    stmt_bind_int64(s, 2, l->run_id);
    store_bind_text(st, s, 3, l->record_sha256);
    store_bind_text(st, s, 4, l->prev_sha256);
    store_bind_text(st, s, 5, l->chain_sha256);
    stmt_bind_int64(s, 6, l->sealed_utc_ms);
    stmt_bind_int64(s, 7, l->format);
    if (stmt_step(s) != STMT_DONE)
        rc = store_fail(st, "sealing a run", err);
    stmt_free(s);
    return rc;
}

/* Reading the newest link and writing the next happen in one write
 * transaction, so two drills finishing together still form one chain. */
int store_evidence_append(Store *st, int64_t run_id, int format, const char *record_sha256,
                          EvidenceLink *out, DrillError *err)
{
    EvidenceLink *last = NULL;
    size_t n = 0;
    int rc = store_tx_open(st, "BEGIN IMMEDIATE", "sealing a run", err);
    if (rc != 0)
        return rc;
    rc = store_load_links(st, "SELECT " LINK_COLUMNS " FROM evidence"
                            " ORDER BY seq DESC LIMIT 1", 0, &last, &n, err);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->seq = n > 0 ? last->seq + 1 : 1;
        out->run_id = run_id;
        out->format = format;
        out->sealed_utc_ms = time_utc_ms();
        snprintf(out->record_sha256, sizeof out->record_sha256, "%s", record_sha256);
        snprintf(out->prev_sha256, sizeof out->prev_sha256, "%s",
                 n > 0 ? last->chain_sha256 : EVIDENCE_GENESIS);
        evidence_chain_next(out->prev_sha256, out->record_sha256, out->chain_sha256);
        rc = insert_link(st, out, err);
    }
    free(last);
    return store_tx_close(st, rc, "sealing a run", err);
}

int store_evidence_list(Store *st, EvidenceLink **out, size_t *n, DrillError *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = store_load_links(st, "SELECT " LINK_COLUMNS " FROM evidence ORDER BY seq",
                              0, out, n, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}
