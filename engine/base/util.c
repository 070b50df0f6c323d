/* util.c — see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
    fputs("drill: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom();
    return q;
}

char *xstrdup(const char *s)
{
    return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void buf_init(Buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->truncated = false;
}

void buf_append(Buf *b, const char *data, size_t n)
{
    if (b->len + n > b->limit) {
        n = b->limit > b->len ? b->limit - b->len : 0;
        b->truncated = true;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_appends(Buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_appendf(Buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_append(b, big, (size_t)n);
    free(big);
}

char *buf_steal(Buf *b)
{
    if (b->data == NULL)
        buf_append(b, "", 0);
    char *p = b->data;
    size_t limit = b->limit;
    buf_init(b, limit);
    return p;
}

void buf_free(Buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_utc_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_utc_ms(int64_t utc_ms, char *out, size_t outsz)
{
    time_t secs = (time_t)(utc_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outsz, "%s.%03dZ", base, (int)(utc_ms % 1000));
}

void time_format_duration_ms(int64_t ms, char *out, size_t outsz)
{
    const char *sign = ms < 0 ? "-" : "";
    if (ms < 0)
        ms = -ms;
    if (ms < 1000)
        snprintf(out, outsz, "%s%lldms", sign, (long long)ms);
    else if (ms < 60000)
        snprintf(out, outsz, "%s%lld.%03llds", sign, (long long)(ms / 1000),
                 (long long)(ms % 1000));
    else
        snprintf(out, outsz, "%s%lldm%02lld.%03llds", sign, (long long)(ms / 60000),
                 (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

void sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void hex_encode(const unsigned char *md, unsigned int mdlen, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_encode(md, mdlen, out);
}

struct Sha256 {
    EVP_MD_CTX *ctx;
};

Sha256 *sha256_new(void)
{
    Sha256 *h = xcalloc(1, sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        fputs("drill: cannot initialise SHA-256 (libcrypto)\n", stderr);
        abort();
    }
    return h;
}

void sha256_update(Sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_final(Sha256 *h, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(h->ctx, md, &mdlen);
    hex_encode(md, mdlen, out);
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int sha256_file_hex(const char *path, char out[65], int64_t *bytes, DrillError *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return drill_error_set(err, errno == ENOENT ? DRILL_E_NOTFOUND : DRILL_E_IO,
                               "cannot read %s: %s", path, strerror(errno));
    Sha256 *h = sha256_new();
    char buf[64 * 1024];
    size_t n;
    int64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(h, buf, n);
        total += (int64_t)n;
    }
    int bad = ferror(f);
    fclose(f);
    sha256_final(h, out);
    if (bytes != NULL)
        *bytes = total;
    return bad ? drill_error_set(err, DRILL_E_IO, "error reading %s", path) : 0;
}

int file_read_all(const char *path, size_t limit, char **out, size_t *len, DrillError *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return drill_error_set(err, DRILL_E_IO, "cannot open %s: %s", path, strerror(errno));
    Buf b;
    buf_init(&b, limit);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !b.truncated)
        buf_append(&b, chunk, n);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || b.truncated) {
        buf_free(&b);
        return drill_error_set(err, DRILL_E_IO,
                               rerr ? "cannot read %s" : "%s is larger than %zu bytes", path,
                               limit);
    }
    *len = b.len;
    *out = buf_steal(&b);
    return 0;
}

/* Tries for a temporary file beside path before giving up: only names that
 * already exist are skipped, and past the first they are random. */
#define TEMP_NAME_TRIES 16

/* Opens a new file at tmp, never one already there: O_EXCL refuses any
 * existing name, a symlink (even dangling) included, and O_NOFOLLOW says so
 * again, so a file or link planted at the name is never written through.
 * 0644 (less the umask) is the mode reports have always had: rename keeps it. */
static int temp_open(const char *tmp)
{
    return open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

/* The i-th temporary name for path: PATH.tmp.PID, then PATH.tmp.PID.RANDOM
 * (mkstemp-style), so neither a leftover of a killed drill whose pid came
 * back nor a name planted by someone else blocks the write. */
static char *temp_name(const char *path, int i)
{
    if (i == 0)
        return xasprintf("%s.tmp.%ld", path, (long)getpid());
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)time_mono_us() ^ (uint32_t)i;   /* a fresh name; O_EXCL keeps it safe */
    return xasprintf("%s.tmp.%ld.%08x", path, (long)getpid(), (unsigned)r);
}

/* Creates a fresh temporary file beside path: its fd, its name in *tmp. */
static int temp_create(const char *path, char **tmp, DrillError *err)
{
    for (int i = 0; i < TEMP_NAME_TRIES; i++) {
        *tmp = temp_name(path, i);
        int fd = temp_open(*tmp);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            int rc = drill_error_set(err, DRILL_E_IO, "cannot create %s: %s", *tmp,
                                     strerror(errno));
            free(*tmp);
            *tmp = NULL;
            return rc;
        }
        free(*tmp);
    }
    *tmp = NULL;
    return drill_error_set(err, DRILL_E_IO, "cannot create a temporary file beside %s: %d "
                           "names %s.tmp.%ld* already exist\n  hint: remove them", path,
                           TEMP_NAME_TRIES, path, (long)getpid());
}

/* Writes all of data to fd: 0, else the errno that stopped it. */
static int write_all(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        if (w == 0)
            return EIO;
        off += (size_t)w;
    }
    return 0;
}

int file_write_atomic(const char *path, const char *data, size_t len, DrillError *err)
{
    char *tmp = NULL;
    int fd = temp_create(path, &tmp, err);
    if (fd < 0)
        return fd;
    int e = write_all(fd, data, len);
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)   /* atomic: readers see old or new, whole */
        e = errno;
    if (e != 0) {
        /* Best effort: the error that matters is already being reported. */
        (void)unlink(tmp);
        drill_error_set(err, DRILL_E_IO, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return e != 0 ? DRILL_E_IO : 0;
}

bool str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool str_is_pg_name(const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    return len > 0 && len < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

char *str_replace_all(const char *s, const char *from, const char *to)
{
    Buf b;
    buf_init(&b, 65536);   /* command words and templates: far below this */
    size_t n = strlen(from);
    for (const char *p; n > 0 && (p = strstr(s, from)) != NULL; s = p + n) {
        buf_append(&b, s, (size_t)(p - s));
        buf_appends(&b, to);
    }
    buf_appends(&b, s);
    return buf_steal(&b);
}

int dir_make_parents(const char *path, mode_t mode, const char *what, DrillError *err)
{
    char *p = xstrdup(path);
    int rc = 0;
    /* Skip a leading '/' (the root exists); "" has no parent to make. */
    char *from = p[0] == '/' ? p + 1 : p;
    for (char *slash = strchr(from, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            rc = drill_error_set(err, DRILL_E_IO, "cannot create directory %s for %s: %s", p,
                                 what, strerror(errno));
            break;
        }
        *slash = '/';
    }
    free(p);
    return rc;
}

const char *crypto_library_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

int uuid_new(char out[UUID_STR_SIZE], DrillError *err)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return drill_error_set(err, DRILL_E_IO, "cannot read random bytes for a run id: %s",
                                   strerror(errno));
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    snprintf(out, UUID_STR_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

bool uuid_is_valid(const char *s)
{
    if (s == NULL || strlen(s) != UUID_STR_SIZE - 1)
        return false;
    for (int i = 0; i < UUID_STR_SIZE - 1; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at p (1-4), 0 if invalid. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
size_t utf8_seq_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;   /* also stops at the NUL terminator */
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* A copy of s's first n bytes (n stops at a NUL) with every byte that is
 * not part of a valid UTF-8 sequence replaced by U+FFFD. */
char *utf8_valid_dup(const char *s, size_t n)
{
    Buf b;
    buf_init(&b, n * 3 + 1);
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end && *p != '\0') {
        size_t k = utf8_seq_len(p);
        if (k == 0 || (size_t)(end - p) < k)
            buf_appends(&b, "\xEF\xBF\xBD");
        else
            buf_append(&b, (const char *)p, k);
        p += k > 0 && (size_t)(end - p) >= k ? k : 1;
    }
    return buf_steal(&b);
}
