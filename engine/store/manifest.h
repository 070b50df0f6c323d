/*
 * manifest.h — SHA256SUMS manifests for the files a run emits (JUnit, HTML).
 *
 * Each file is listed in the SHA256SUMS of its own directory, in the format
 * `sha256sum -c` reads ("HEX  NAME"), so an auditor can check a folder of
 * archived reports with standard tools or with `drill verify --manifest`.
 * Recording a file replaces its previous line and keeps the others (several
 * drills usually write into one output directory); the manifest is rewritten
 * atomically.
 */
#ifndef DRILL_MANIFEST_H
#define DRILL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Largest manifest read back (bytes): a manifest is a list of hashes. */
#define MANIFEST_MAX_BYTES ((size_t)4 * 1024 * 1024)

/* Hashes `file` and records it in DIR/SHA256SUMS (DIR = the file's
 * directory). sha256 / bytes receive what was recorded (may be NULL). */
int manifest_record(const char *file, char sha256[65], int64_t *bytes, DrillError *err);

/* Checks every line of a manifest against the files next to it; prints one
 * "NAME: OK|FAILED|MISSING" line per entry to out. *nbad = entries not OK.
 * Returns 0 when the manifest could be read and parsed. */
int manifest_check(const char *manifest_path, FILE *out, size_t *nbad, DrillError *err);

#endif
