/*
 * yamldoc.c — strict YAML loading for the drill and topology languages.
 *
 * One pass of libyaml's event parser over the text:
 *  1. each event is checked for what libyaml would accept but drill refuses:
 *     more than one document, anchors/aliases, explicit tags, nesting deeper
 *     than YAMLDOC_MAX_DEPTH and more than YAMLDOC_MAX_NODES nodes. Aliases
 *     are refused outright (rather than resolved with an expansion budget)
 *     because a drill file gains nothing from them and a naive walk over a
 *     document with aliases can expand exponentially ("billion laughs").
 *  2. the same events build the node tree (what yaml_parser_load would do,
 *     without a second parse); then every mapping is checked for duplicate
 *     keys (libyaml does not) and non-scalar keys.
 * The second half of the file holds the typed field readers both parsers use.
 */
#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "duration.h"
#include "size.h"
#include "suggest.h"
#include "util.h"

struct YamlDoc {
    char *file;
    const char *text;     /* borrowed: the caller keeps it alive while parsing */
    size_t len;
    DiagList *diags;
    yaml_document_t doc;
    bool loaded;
    size_t *line_starts;  /* byte offset of each line, built on first use */
    size_t nlines;
};

/* ---- positions ---------------------------------------------------------- */

static bool is_utf8_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

static size_t bom_len(const char *text, size_t len)
{
    return (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
}

/* Line starts, with the same line breaks as libyaml: \n, \r\n and \r. */
static void build_lines(YamlDoc *doc)
{
    if (doc->line_starts != NULL)
        return;
    size_t cap = 64;
    doc->line_starts = xmalloc(cap * sizeof(size_t));
    doc->line_starts[0] = 0;
    doc->nlines = 1;
    for (size_t i = 0; i < doc->len; i++) {
        char c = doc->text[i];
        if (c == '\r' && i + 1 < doc->len && doc->text[i + 1] == '\n')
            i++;
        else if (c != '\n' && c != '\r')
            continue;
        if (doc->nlines == cap) {
            cap *= 2;
            doc->line_starts = xrealloc(doc->line_starts, cap * sizeof(size_t));
        }
        doc->line_starts[doc->nlines++] = i + 1;
    }
}

void yamldoc_offset_pos(YamlDoc *doc, size_t offset, int *line, int *col)
{
    build_lines(doc);
    if (offset > doc->len)
        offset = doc->len;
    size_t lo = 0, hi = doc->nlines;   /* last line start <= offset */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (doc->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    size_t start = doc->line_starts[lo];
    if (lo == 0)
        start += bom_len(doc->text, doc->len);
    int c = 1;   /* columns count characters, as libyaml's marks do */
    for (size_t i = start; i < offset; i++)
        if (!is_utf8_cont((unsigned char)doc->text[i]))
            c++;
    *line = (int)lo + 1;
    *col = c;
}

size_t yamldoc_mark_offset(YamlDoc *doc, yaml_mark_t m)
{
    build_lines(doc);
    size_t line = m.line;
    if (line >= doc->nlines)
        return doc->len;
    size_t i = doc->line_starts[line] + (line == 0 ? bom_len(doc->text, doc->len) : 0);
    for (size_t col = 0; col < m.column && i < doc->len; col++) {
        i++;
        while (i < doc->len && is_utf8_cont((unsigned char)doc->text[i]))
            i++;
    }
    return i;
}

const char *yamldoc_text(const YamlDoc *doc, size_t *len)
{
    *len = doc->len;
    return doc->text;
}

/* ---- checks on the events ------------------------------------------------- */

typedef struct ScanState {
    int depth;
    size_t nodes;
    int docs;
    bool ok;
    bool stop;
} ScanState;

static void report_parser_error(YamlDoc *doc, const yaml_parser_t *p)
{
    int line = 1, col = 1;
    if (p->error == YAML_READER_ERROR)
        yamldoc_offset_pos(doc, p->problem_offset, &line, &col);
    else if (p->error == YAML_SCANNER_ERROR || p->error == YAML_PARSER_ERROR) {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    char *hint = NULL;
    if (p->context != NULL)
        hint = xasprintf("%s that starts at line %d, column %d", p->context,
                         (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    yamldoc_error_at(doc, line, col, hint, "invalid YAML: %s",
                     p->problem ? p->problem : "cannot parse");
    free(hint);
}

static const char *const alias_hint =
    "write the value out in full: aliases are refused because expanding them can turn a "
    "small file into a huge one";

static void mark_error(YamlDoc *doc, yaml_mark_t m, const char *hint, const char *msg)
{
    yamldoc_error_at(doc, (int)m.line + 1, (int)m.column + 1, hint, "%s", msg);
}

/* Anchors and tags of a node event. */
static void scan_node_props(YamlDoc *doc, const yaml_event_t *ev, const yaml_char_t *anchor,
                            const yaml_char_t *tag, ScanState *st)
{
    if (anchor != NULL) {
        mark_error(doc, ev->start_mark, alias_hint, "YAML anchors (&name) are not supported");
        st->ok = false;
    }
    if (tag != NULL) {
        mark_error(doc, ev->start_mark, "remove the tag; quote the value if it is a string",
                   "YAML tags (!tag) are not supported");
        st->ok = false;
    }
    if (++st->nodes > YAMLDOC_MAX_NODES) {
        yamldoc_error_at(doc, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                         NULL, "more than %d YAML nodes", YAMLDOC_MAX_NODES);
        st->ok = false;
        st->stop = true;
    }
}

static void scan_event(YamlDoc *doc, const yaml_event_t *ev, ScanState *st)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++st->docs > 1) {
            mark_error(doc, ev->start_mark, "put each document in a file of its own",
                       "more than one YAML document in the file");
            st->ok = false;
            st->stop = true;
        }
        break;
    case YAML_ALIAS_EVENT:
        mark_error(doc, ev->start_mark, alias_hint, "YAML aliases (*name) are not supported");
        st->ok = false;
        break;
    case YAML_SCALAR_EVENT:
        scan_node_props(doc, ev, ev->data.scalar.anchor, ev->data.scalar.tag, st);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        scan_node_props(doc, ev, seq ? ev->data.sequence_start.anchor
                                     : ev->data.mapping_start.anchor,
                        seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag, st);
        if (!st->stop && ++st->depth > YAMLDOC_MAX_DEPTH) {
            yamldoc_error_at(doc, (int)ev->start_mark.line + 1,
                             (int)ev->start_mark.column + 1, NULL,
                             "nesting deeper than %d levels", YAMLDOC_MAX_DEPTH);
            st->ok = false;
            st->stop = true;
        }
        break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        st->depth--;
        break;
    default:
        break;
    }
}

/* ---- composing the node tree from the same events ------------------------- */

/* One open collection: its node, and for a mapping the key awaiting its value. */
typedef struct OpenNode {
    int node;
    int key;
} OpenNode;

typedef struct Composer {
    OpenNode open[YAMLDOC_MAX_DEPTH + 1];
    int nopen;
} Composer;

/* Attaches a new node to the collection it is in (as key, value or item). */
static bool compose_attach(YamlDoc *doc, Composer *c, int node)
{
    if (c->nopen == 0)
        return true;   /* the root: yaml_document_get_root_node() finds node 1 */
    OpenNode *parent = &c->open[c->nopen - 1];
    yaml_node_t *pn = yamldoc_node(doc, parent->node);
    if (pn->type == YAML_SEQUENCE_NODE)
        return yaml_document_append_sequence_item(&doc->doc, parent->node, node) != 0;
    if (parent->key == 0) {
        parent->key = node;
        return true;
    }
    int key = parent->key;
    parent->key = 0;
    return yaml_document_append_mapping_pair(&doc->doc, parent->node, key, node) != 0;
}

/* Adds the node an event describes, with the event's marks (positions in
 * errors); tags are not kept: scan_event refuses explicit ones. */
static bool compose_event(YamlDoc *doc, Composer *c, const yaml_event_t *ev)
{
    int node = 0;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        doc->loaded = yaml_document_initialize(&doc->doc, NULL, NULL, NULL, 1, 1) != 0;
        return doc->loaded;
    case YAML_SCALAR_EVENT:
        node = yaml_document_add_scalar(&doc->doc, NULL, ev->data.scalar.value,
                                        (int)ev->data.scalar.length, ev->data.scalar.style);
        break;
    case YAML_SEQUENCE_START_EVENT:
        node = yaml_document_add_sequence(&doc->doc, NULL, ev->data.sequence_start.style);
        break;
    case YAML_MAPPING_START_EVENT:
        node = yaml_document_add_mapping(&doc->doc, NULL, ev->data.mapping_start.style);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (c->nopen > 0)   /* libyaml balances them; checked all the same */
            yamldoc_node(doc, c->open[--c->nopen].node)->end_mark = ev->end_mark;
        return true;
    default:
        return true;
    }
    if (node == 0 || !compose_attach(doc, c, node))
        return false;
    yaml_node_t *n = yamldoc_node(doc, node);
    n->start_mark = ev->start_mark;
    n->end_mark = ev->end_mark;
    if (ev->type != YAML_SCALAR_EVENT)
        c->open[c->nopen++] = (OpenNode){node, 0};
    return true;
}

/* One pass of libyaml's event parser both checks the events (scan_event) and
 * builds the node tree (compose_event): yaml_parser_load() after a checking
 * pass parsed every file twice, half of `drill validate`'s parsing time. The
 * checks come first, so the composer only ever sees a single document no
 * deeper than YAMLDOC_MAX_DEPTH (its stack's size). */
static bool parse_document(YamlDoc *doc)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return false;
    yaml_parser_set_input_string(&p, (const unsigned char *)doc->text, doc->len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    ScanState st = {0, 0, 0, true, false};
    Composer c = {.nopen = 0};
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            report_parser_error(doc, &p);
            st.ok = false;
            break;
        }
        scan_event(doc, &ev, &st);
        if (!st.stop && !compose_event(doc, &c, &ev)) {
            yamldoc_error_at(doc, 1, 1, NULL, "out of memory while loading YAML");
            st.ok = false;
            st.stop = true;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end || st.stop)
            break;
    }
    yaml_parser_delete(&p);
    if (st.ok && (st.docs == 0 || yaml_document_get_root_node(&doc->doc) == NULL)) {
        yamldoc_error_at(doc, 1, 1, NULL, "the file is empty (no YAML document)");
        st.ok = false;
    }
    return st.ok;
}

typedef struct KeyRef {
    const char *key;
    const yaml_node_t *node;
} KeyRef;

static int keyref_cmp(const void *pa, const void *pb)
{
    const KeyRef *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c != 0)
        return c;
    /* Same key: earlier in the file first, so the later one is reported. */
    if (a->node->start_mark.index != b->node->start_mark.index)
        return a->node->start_mark.index < b->node->start_mark.index ? -1 : 1;
    return 0;
}

/* Reports duplicate keys; returns false when a key is not a scalar. */
static bool check_mapping(YamlDoc *doc, const yaml_node_t *map)
{
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    KeyRef *refs = xcalloc(n ? n : 1, sizeof(KeyRef));
    size_t nrefs = 0;
    bool ok = true;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yamldoc_node(doc, pr->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE) {
            yamldoc_error(doc, k, "keys are plain words such as `name`",
                          "a mapping key must be a scalar");
            ok = false;
            continue;
        }
        refs[nrefs++] = (KeyRef){(const char *)k->data.scalar.value, k};
    }
    qsort(refs, nrefs, sizeof(KeyRef), keyref_cmp);
    for (size_t i = 1; i < nrefs; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key) != 0)
            continue;
        size_t first = i - 1;
        while (first > 0 && strcmp(refs[first - 1].key, refs[i].key) == 0)
            first--;
        char clip[64];
        char *hint = xasprintf("first given at line %d, column %d", yamldoc_line(refs[first].node),
                               yamldoc_col(refs[first].node));
        yamldoc_error(doc, refs[i].node, hint, "duplicate key \"%s\"", yamldoc_clip(refs[i].key, clip));
        free(hint);
    }
    free(refs);
    return ok;
}

/* Walks the node array (no recursion needed: without aliases it is a tree). */
static bool check_nodes(YamlDoc *doc)
{
    bool ok = true;
    for (yaml_node_t *n = doc->doc.nodes.start; n < doc->doc.nodes.top; n++) {
        if (n->type == YAML_MAPPING_NODE && !check_mapping(doc, n))
            ok = false;
        if (n->type == YAML_SCALAR_NODE && strlen((const char *)n->data.scalar.value) !=
                                               n->data.scalar.length) {
            yamldoc_error(doc, n, "remove the \\0 escape", "a value contains a NUL character");
            ok = false;
        }
    }
    return ok;
}

YamlDoc *yamldoc_parse(const char *file, const char *text, size_t len, DiagList *diags)
{
    YamlDoc *doc = xcalloc(1, sizeof(YamlDoc));
    doc->file = xstrdup(file ? file : "<input>");
    doc->text = text ? text : "";
    doc->len = text ? len : 0;
    doc->diags = diags;
    bool ok;
    if (doc->len > YAMLDOC_MAX_BYTES) {
        yamldoc_error_at(doc, 0, 0, "split the file, or remove what it does not need",
                         "the file is larger than %d bytes", YAMLDOC_MAX_BYTES);
        ok = false;
    } else {
        ok = parse_document(doc) && check_nodes(doc);
    }
    if (!ok) {
        yamldoc_free(doc);
        return NULL;
    }
    return doc;
}

void yamldoc_free(YamlDoc *doc)
{
    if (doc == NULL)
        return;
    if (doc->loaded)
        yaml_document_delete(&doc->doc);
    free(doc->line_starts);
    free(doc->file);
    free(doc);
}

yaml_node_t *yamldoc_root(YamlDoc *doc) { return yaml_document_get_root_node(&doc->doc); }

yaml_node_t *yamldoc_node(YamlDoc *doc, int index)
{
    return yaml_document_get_node(&doc->doc, index);
}

const char *yamldoc_file(const YamlDoc *doc) { return doc->file; }

int yamldoc_line(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 1; }

int yamldoc_col(const yaml_node_t *n) { return n ? (int)n->start_mark.column + 1 : 1; }

const char *yamldoc_scalar(const yaml_node_t *n)
{
    return (n != NULL && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value
                                                      : NULL;
}

bool yamldoc_is_plain(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}


/* ---- diagnostics helpers -------------------------------------------------- */

DiagList *yamldoc_diags(YamlDoc *doc) { return doc->diags; }

static void verror_at(YamlDoc *doc, int line, int col, const char *hint, const char *fmt,
                      va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_add(doc->diags, doc->file, line, col, hint, "%s", msg);
}

void yamldoc_error_at(YamlDoc *doc, int line, int col, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(doc, line, col, hint, fmt, ap);
    va_end(ap);
}

void yamldoc_error(YamlDoc *doc, const yaml_node_t *at, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(doc, yamldoc_line(at), yamldoc_col(at), hint, fmt, ap);
    va_end(ap);
}

const char *yamldoc_type_name(const yaml_node_t *n)
{
    if (n == NULL)
        return "nothing";
    return n->type == YAML_MAPPING_NODE ? "mapping"
           : n->type == YAML_SEQUENCE_NODE ? "sequence"
                                           : "scalar";
}

const char *yamldoc_clip(const char *s, char buf[64])
{
    size_t n = 0, out = 0;
    /* Copy at most 40 bytes, replacing control characters, so messages stay one line. */
    for (; s[n] != '\0' && out < 40; n++)
        buf[out++] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
    /* Do not cut a UTF-8 sequence in half (out == n: the copy is byte for byte). */
    while (s[n] != '\0' && is_utf8_cont((unsigned char)s[n]) && out > 0) {
        n--;
        out--;
    }
    if (s[n] != '\0') {
        memcpy(buf + out, "...", 3);
        out += 3;
    }
    buf[out] = '\0';
    return buf;
}

bool yamldoc_is_null(const yaml_node_t *n)
{
    const char *v = yamldoc_scalar(n);
    return v != NULL && yamldoc_is_plain(n) &&
           (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
            strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

bool yamldoc_is_yaml11_bool(const yaml_node_t *n)
{
    static const char *const words[] = {"yes", "no", "on", "off", "y", "n", NULL};
    const char *v = yamldoc_scalar(n);
    if (v == NULL || !yamldoc_is_plain(n))
        return false;
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcasecmp(v, words[i]) == 0)
            return true;
    return false;
}

/* ---- field readers --------------------------------------------------------- */

yaml_node_t *yamldoc_get(YamlDoc *doc, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const char *k = yamldoc_scalar(yamldoc_node(doc, pr->key));
        if (k != NULL && strcmp(k, key) == 0)
            return yamldoc_node(doc, pr->value);
    }
    return NULL;
}

static char *join_words(const char *const *words, const char *sep)
{
    Buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; words[i] != NULL; i++) {
        if (i > 0)
            buf_appends(&b, sep);
        buf_appends(&b, words[i]);
    }
    return buf_steal(&b);
}

static bool in_list(const char *word, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(word, list[i]) == 0)
            return true;
    return false;
}

/* "did you mean `x`?" when something is close, else "LABEL: a, b, c". */
char *yamldoc_hint_for(const char *word, const char *const *candidates, const char *label)
{
    const char *s = suggest_closest(word, candidates);
    if (s != NULL)
        return xasprintf("did you mean `%s`?", s);
    char *all = join_words(candidates, ", ");
    char *hint = xasprintf("%s: %s", label, all);
    free(all);
    return hint;
}

size_t yamldoc_check_keys(YamlDoc *doc, const yaml_node_t *map, const char *const *allowed,
                          const char *where)
{
    size_t unknown = 0;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *k = yamldoc_node(doc, pr->key);
        const char *key = yamldoc_scalar(k);
        if (key == NULL || in_list(key, allowed))
            continue;
        char clip[64];
        char *hint = yamldoc_hint_for(key, allowed, "valid keys");
        yamldoc_error(doc, k, hint, "unknown key \"%s\" in %s", yamldoc_clip(key, clip), where);
        free(hint);
        unknown++;
    }
    return unknown;
}

void yamldoc_missing(YamlDoc *doc, const yaml_node_t *map, const char *key, const char *where,
                     const char *hint)
{
    yamldoc_error(doc, map, hint, "missing required key \"%s\" in %s", key, where);
}

bool yamldoc_want_type(YamlDoc *doc, const char *key, const yaml_node_t *v, yaml_node_type_t t)
{
    if (v != NULL && v->type == t)
        return true;
    const char *want = t == YAML_MAPPING_NODE ? "mapping"
                       : t == YAML_SEQUENCE_NODE ? "sequence"
                                                 : "scalar";
    if (yamldoc_is_null(v))
        yamldoc_error(doc, v, NULL, "\"%s\" has no value; expected a %s", key, want);
    else
        yamldoc_error(doc, v, NULL, "\"%s\" must be a %s, not a %s", key, want,
                      yamldoc_type_name(v));
    return false;
}

const char *yamldoc_want_string(YamlDoc *doc, const char *key, const yaml_node_t *v)
{
    if (!yamldoc_want_type(doc, key, v, YAML_SCALAR_NODE))
        return NULL;
    if (yamldoc_is_null(v)) {
        yamldoc_error(doc, v, "write a value, or quote it (\"\") for an empty string",
                      "\"%s\" has no value", key);
        return NULL;
    }
    if (yamldoc_is_yaml11_bool(v)) {
        const char *s = yamldoc_scalar(v);
        char *hint = xasprintf("write \"%s\" (quoted) for the string, or true/false", s);
        yamldoc_error(doc, v, hint, "unquoted %s is a YAML 1.1 boolean", s);
        free(hint);
        return NULL;
    }
    return yamldoc_scalar(v);
}

int yamldoc_want_bool(YamlDoc *doc, const char *key, const yaml_node_t *v, bool *out)
{
    if (!yamldoc_want_type(doc, key, v, YAML_SCALAR_NODE))
        return -1;
    const char *s = yamldoc_scalar(v);
    if (yamldoc_is_plain(v) && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s[0] == 't';
        return 0;
    }
    char clip[64];
    yamldoc_error(doc, v,
                  yamldoc_is_yaml11_bool(v)
                      ? "write true or false (YAML 1.1 booleans such as yes/no/on/off are "
                        "refused: other tools read them differently)"
                      : "write true or false (unquoted)",
                  "\"%s\" must be true or false, not %s%s%s", key,
                  yamldoc_is_plain(v) ? "" : "\"", yamldoc_clip(s, clip),
                  yamldoc_is_plain(v) ? "" : "\"");
    return -1;
}

int yamldoc_want_duration(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t *out)
{
    const char *s = yamldoc_want_string(doc, key, v);
    if (s == NULL)
        return -1;
    if (duration_parse_ms(s, out) == 0)
        return 0;
    char clip[64];
    yamldoc_error(doc, v,
                  "write a number with a unit, largest unit first: 500ms, 30s, 2m, 1h, 1m30s "
                  "(at most 30 days)",
                  "invalid duration \"%s\" for \"%s\"", yamldoc_clip(s, clip), key);
    return -1;
}

int yamldoc_want_size(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t *out)
{
    const char *s = yamldoc_want_string(doc, key, v);
    if (s == NULL)
        return -1;
    if (size_parse_bytes(s, out) == 0)
        return 0;
    char clip[64];
    yamldoc_error(doc, v, "write a whole number with a unit: 100B, 512kB, 64MB, 1GB (1kB = 1024B)",
                  "invalid size \"%s\" for \"%s\"", yamldoc_clip(s, clip), key);
    return -1;
}

int yamldoc_want_uint(YamlDoc *doc, const char *key, const yaml_node_t *v, int64_t max,
                      int64_t *out)
{
    const char *s = yamldoc_want_string(doc, key, v);
    if (s == NULL)
        return -1;
    bool digits = s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
    errno = 0;
    char *end = NULL;
    long long n = digits ? strtoll(s, &end, 10) : -1;
    if (digits && errno == 0 && *end == '\0' && n <= max) {
        *out = n;
        return 0;
    }
    char clip[64];
    char *hint = xasprintf("write a whole number from 0 to %lld, without quotes or sign",
                           (long long)max);
    yamldoc_error(doc, v, hint, "\"%s\" must be a non-negative integer, not \"%s\"", key,
                  yamldoc_clip(s, clip));
    free(hint);
    return -1;
}

const char *yamldoc_want_enum(YamlDoc *doc, const char *key, const yaml_node_t *v,
                              const char *choices)
{
    const char *s = yamldoc_want_string(doc, key, v);
    if (s == NULL)
        return NULL;
    /* Split "a|b|c" into words. */
    char *copy = xstrdup(choices);
    const char *words[64];
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(copy, "|", &save); w != NULL && n < 63;
         w = strtok_r(NULL, "|", &save))
        words[n++] = w;
    words[n] = NULL;
    bool ok = in_list(s, words);
    if (!ok) {
        const char *sug = suggest_closest(s, words);
        char *all = join_words(words, ", ");
        char *hint = sug ? xasprintf("did you mean `%s`? (one of: %s)", sug, all)
                         : xasprintf("one of: %s", all);
        char clip[64];
        yamldoc_error(doc, v, hint, "invalid value \"%s\" for \"%s\"", yamldoc_clip(s, clip),
                      key);
        free(hint);
        free(all);
    }
    free(copy);
    return ok ? s : NULL;
}

void yamldoc_list_free(char **list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

char **yamldoc_want_list(YamlDoc *doc, const char *key, const yaml_node_t *v, size_t *n)
{
    *n = 0;
    if (!yamldoc_want_type(doc, key, v, YAML_SEQUENCE_NODE))
        return NULL;
    size_t cap = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (cap == 0) {
        yamldoc_error(doc, v, NULL, "\"%s\" is empty", key);
        return NULL;
    }
    char **list = xcalloc(cap + 1, sizeof(char *));
    bool ok = true;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const char *s = yamldoc_want_string(doc, key, yamldoc_node(doc, *it));
        if (s == NULL)
            ok = false;
        else
            list[(*n)++] = xstrdup(s);
    }
    if (!ok) {
        yamldoc_list_free(list);
        *n = 0;
        return NULL;
    }
    return list;
}

int yamldoc_read_file(const char *path, DiagList *diags, char **text, size_t *len)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > YAMLDOC_MAX_BYTES) {
        diag_add(diags, path, 0, 0, "split the file, or remove what it does not need",
                 "the file is larger than %d bytes", YAMLDOC_MAX_BYTES);
        return DRILL_E_INVALID;
    }
    DrillError err = {0};
    if (file_read_all(path, YAMLDOC_MAX_BYTES + 1, text, len, &err) != 0) {
        diag_add(diags, path, 0, 0, NULL, "%s", err.message);
        return DRILL_E_IO;
    }
    return 0;
}

const char *yamldoc_library_version(void)
{
    return yaml_get_version_string();
}
