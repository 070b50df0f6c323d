/*
 * manifest.c — SHA256SUMS manifests (contract in manifest.h).
 */
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MANIFEST_NAME "SHA256SUMS"

/* Splits path into a malloc'd directory ("." when none) and its last part. */
static char *split_dir(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash != NULL ? slash + 1 : path;
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* "HEX  NAME" or "HEX *NAME" (binary mode); returns NAME or NULL. */
static const char *line_name(const char *line, size_t len)
{
    if (len < 67 || strspn(line, "0123456789abcdef") != 64 || line[64] != ' ' ||
        (line[65] != ' ' && line[65] != '*'))
        return NULL;
    return line + 66;
}

/* Appends to b the lines of the old manifest text, except the one for name. */
static void keep_other_lines(Buf *b, const char *old, const char *name)
{
    for (const char *p = old; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        const char *n = line_name(p, len);
        bool same = n != NULL && (size_t)(p + len - n) == strlen(name) &&
                    memcmp(n, name, strlen(name)) == 0;
        if (!same && len > 0) {
            buf_append(b, p, len);
            buf_appends(b, "\n");
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
}

static int read_manifest(const char *path, char **text, DrillError *err)
{
    size_t len = 0;
    *text = NULL;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;   /* the first file recorded in this directory */
    return file_read_all(path, MANIFEST_MAX_BYTES, text, &len, err);
}

int manifest_record(const char *file, char sha256[65], int64_t *bytes, DrillError *err)
{
    const char *base;
    char *dir = split_dir(file, &base);
    char hash[65];
    char *old = NULL;
    char *mpath = xasprintf("%s/%s", dir, MANIFEST_NAME);
    int rc = 0;
    if (strpbrk(base, "\n\\") != NULL)
        rc = drill_error_set(err, DRILL_E_INVALID, "cannot list \"%s\" in %s: the name holds "
                             "a newline or a backslash", file, mpath);
    if (rc == 0)
        rc = sha256_file_hex(file, hash, bytes, err);
    if (rc == 0)
        rc = read_manifest(mpath, &old, err);
    if (rc == 0) {
        Buf b;
        buf_init(&b, MANIFEST_MAX_BYTES);
        keep_other_lines(&b, old, base);
        buf_appendf(&b, "%s  %s\n", hash, base);
        rc = b.truncated ? drill_error_set(err, DRILL_E_IO, "%s would exceed %zu bytes", mpath,
                                           MANIFEST_MAX_BYTES)
                         : file_write_atomic(mpath, b.data, b.len, err);
        buf_free(&b);
    }
    if (rc == 0 && sha256 != NULL)
        memcpy(sha256, hash, 65);
    free(old);
    free(mpath);
    free(dir);
    return rc;
}

/* Checks one entry; returns true when the file matches. */
static bool check_entry(const char *dir, const char *hex, const char *name, FILE *out)
{
    char *path = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", dir, name);
    char hash[65];
    DrillError e;
    int rc = sha256_file_hex(path, hash, NULL, &e);
    bool ok = rc == 0 && strncmp(hash, hex, 64) == 0;
    fprintf(out, "%s: %s\n", name, ok ? "OK" : rc == DRILL_E_NOTFOUND ? "MISSING" : "FAILED");
    free(path);
    return ok;
}

int manifest_check(const char *manifest_path, FILE *out, size_t *nbad, DrillError *err)
{
    *nbad = 0;
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(manifest_path, MANIFEST_MAX_BYTES, &text, &len, err);
    if (rc < 0)
        return rc;
    const char *base;
    char *dir = split_dir(manifest_path, &base);
    size_t lineno = 0, entries = 0;
    for (char *p = text; rc == 0 && p != NULL && *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        lineno++;
        const char *name = line_name(p, strlen(p));
        if (name == NULL && *p != '\0')
            rc = drill_error_set(err, DRILL_E_INVALID, "%s:%zu: not a SHA256SUMS line "
                                 "(expected 64 hex digits, two spaces, a file name)",
                                 manifest_path, lineno);
        else if (name != NULL && !check_entry(dir, p, name, out))
            (*nbad)++;
        entries += name != NULL;
        p = nl != NULL ? nl + 1 : NULL;
    }
    if (rc == 0 && entries == 0)
        rc = drill_error_set(err, DRILL_E_INVALID, "%s lists no file", manifest_path);
    free(dir);
    free(text);
    return rc;
}
