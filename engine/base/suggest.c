/*
 * suggest.c — "did you mean": the closest of a few known words to a
 * mistyped one (drill and topology keys, node names, commands, options).
 */
#include "suggest.h"

#include <stdbool.h>
#include <string.h>

#define SUGGEST_MAX_LEN 64

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* "datadir" for "data_directory": the word, without underscores, starts the
 * candidate without underscores (abbreviations edit distance misses). */
static bool is_abbreviation(const char *word, const char *cand)
{
    if (strlen(word) < 4)
        return false;
    while (*word != '\0') {
        while (*word == '_')
            word++;
        while (*cand == '_')
            cand++;
        if (*word == '\0')
            break;
        if (*word++ != *cand++)
            return false;
    }
    return true;
}

const char *suggest_closest(const char *word, const char *const *candidates)
{
    if (word == NULL || candidates == NULL || strlen(word) > SUGGEST_MAX_LEN)
        return NULL;
    /* Allow about one typo per three characters, at least one, at most three. */
    size_t limit = strlen(word) / 3;
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; candidates[i] != NULL; i++) {
        if (strlen(candidates[i]) > SUGGEST_MAX_LEN)
            continue;
        size_t d = edit_distance(word, candidates[i]);
        if (d > limit && is_abbreviation(word, candidates[i]))
            d = limit;
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
