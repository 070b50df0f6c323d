/*
 * test_parse_fuzz.c — the parsers never crash and stay consistent on broken
 * input: every prefix of every fixture, and a few thousand random mutations
 * (fixed seed, so a failure reproduces). Run it under -DDRILL_SANITIZE=ON to
 * catch memory errors as well.
 *
 * Invariant checked besides "no crash": a parse succeeds exactly when it
 * reported no diagnostic, and every diagnostic has a message and a sane
 * position.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "diag.h"
#include "scenario.h"
#include "testutil.h"
#include "topology.h"
#include "util.h"
#include "validate.h"

#define MUTATIONS 20000

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic across libcs, unlike rand() */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static Topology *sandbox;
static size_t parses, accepted;

static bool diags_sane(const DiagList *dl, size_t len)
{
    for (size_t i = 0; i < diag_count(dl); i++) {
        const Diag *d = diag_get(dl, i);
        if (d->message == NULL || d->message[0] == '\0' || d->line < 0 || d->col < 0 ||
            (size_t)d->line > len + 2)
            return false;
    }
    return true;
}

static void parse_both(const char *text, size_t len)
{
    DiagList *dl = diag_list_new();
    Scenario *s = NULL;
    int rc = scenario_parse("fuzz.yaml", text, len, dl, &s);
    CHECK((rc == 0) == (diag_count(dl) == 0));
    CHECK((rc == 0) == (s != NULL));
    CHECK(diags_sane(dl, len));
    if (s != NULL) {
        accepted++;
        validate_against_topology(s, sandbox, dl);
        CHECK(diags_sane(dl, len));
    }
    scenario_free(s);
    diag_list_free(dl);

    dl = diag_list_new();
    Topology *t = NULL;
    rc = topology_parse("fuzz.yaml", text, len, dl, &t);
    CHECK((rc == 0) == (diag_count(dl) == 0));
    CHECK((rc == 0) == (t != NULL));
    CHECK(diags_sane(dl, len));
    if (t != NULL)
        accepted++;
    topology_free(t);
    diag_list_free(dl);
    parses += 2;
}

static const char interesting[] = ":-[]{}&*!|>\"'#$\n \t,?%@`\\0";

static void mutate(char *buf, size_t *len, size_t cap)
{
    int edits = 1 + (int)(rng() % 4);
    for (int e = 0; e < edits && *len > 0; e++) {
        size_t pos = rng() % *len;
        switch (rng() % 4) {
        case 0:   /* replace with a random byte */
            buf[pos] = (char)(rng() & 0xff);
            break;
        case 1:   /* replace with a YAML-significant character */
            buf[pos] = interesting[rng() % (sizeof interesting - 1)];
            break;
        case 2:   /* delete */
            memmove(buf + pos, buf + pos + 1, *len - pos - 1);
            (*len)--;
            break;
        default:  /* insert */
            if (*len < cap) {
                memmove(buf + pos + 1, buf + pos, *len - pos);
                buf[pos] = interesting[rng() % (sizeof interesting - 1)];
                (*len)++;
            }
        }
    }
}

typedef struct Corpus {
    char *text[256];
    size_t len[256];
    size_t n;
} Corpus;

static void corpus_add_dir(Corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL && c->n < 256;) {
        if (strstr(e->d_name, ".yaml") == NULL)
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        DrillError err;
        if (file_read_all(path, 1 << 20, &c->text[c->n], &c->len[c->n], &err) == 0)
            c->n++;
        free(path);
    }
    closedir(d);
}

static Corpus corpus;

TEST(prefixes)
{
    for (size_t i = 0; i < corpus.n; i++)
        for (size_t n = 0; n <= corpus.len[i]; n++)
            parse_both(corpus.text[i], n);
}

TEST(mutations)
{
    for (int i = 0; i < MUTATIONS; i++) {
        size_t k = rng() % corpus.n;
        size_t cap = corpus.len[k] + 16;
        char *buf = xmalloc(cap);
        memcpy(buf, corpus.text[k], corpus.len[k]);
        size_t len = corpus.len[k];
        mutate(buf, &len, cap);
        parse_both(buf, len);
        free(buf);
    }
}

/* Worst cases near the size limit parse without crashing and with sane
 * diagnostics. How fast they parse is printed for information only: speed is
 * measured by tests/bench/bench_parse.c, never asserted here (a loaded CI
 * machine or valgrind must not turn timing into a failure). */
static void check_fast(const char *what, const char *prefix, const char *unit,
                       const char *suffix)
{
    Buf b;
    buf_init(&b, 1024 * 1024);
    buf_appends(&b, prefix);
    while (b.len + strlen(unit) + strlen(suffix) < b.limit)
        buf_appends(&b, unit);
    buf_appends(&b, suffix);
    int64_t t0 = time_mono_us();
    parse_both(b.data, b.len);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("%-28s %7zu bytes: %lld ms\n", what, b.len, (long long)ms);
    buf_free(&b);
}

TEST(pathological)
{
    check_fast("unknown variables", "name: x\nfault:\n- kind: event\n  event: \"", "${x}", "\"\n");
    check_fast("many steps", "name: x\nfault:\n", "- {kind: sleep, duration: 1s}\n", "");
    check_fast("duplicate keys", "name: x\nvariables: {", "a: b, ", "}\n");
    check_fast("deep nesting", "name: ", "[", "");
    check_fast("duplicate node names", "name: t\nnodes:\n",
               "- {name: a, role: standby, conninfo: x, data_directory: /d, upstream: b}\n", "");
    check_fast("unknown keys", "name: x\n", "aaa: 1\n", "");
}

int main(void)
{
    const char *data = testutil_data_dir();
    const char *subdirs[] = {"valid", "invalid/drill", "invalid/topology", "invalid/validate"};
    for (size_t i = 0; i < 4; i++) {
        char *dir = xasprintf("%s/%s", data, subdirs[i]);
        corpus_add_dir(&corpus, dir);
        free(dir);
    }
    char *sb = xasprintf("%s/valid/topology-sandbox.yaml", data);
    DiagList *dl = diag_list_new();
    topology_load(sb, dl, &sandbox);
    diag_list_free(dl);
    free(sb);
    if (sandbox == NULL || corpus.n < 10) {
        fprintf(stderr, "fixtures not found under %s (set DRILL_TEST_DATA)\n", data);
        return 1;
    }
    RUN(prefixes);
    RUN(mutations);
    RUN(pathological);
    printf("%zu parses, %zu accepted, corpus of %zu files\n", parses, accepted, corpus.n);
    for (size_t i = 0; i < corpus.n; i++)
        free(corpus.text[i]);
    topology_free(sandbox);
    return harness_done();
}
