/*
 * suggest.h — the closest known word to a mistyped one, for "did you mean".
 */
#ifndef DRILL_SUGGEST_H
#define DRILL_SUGGEST_H

/* Closest of the NULL-terminated candidates to `word` by edit distance
 * (about one typo per three characters, at least one, at most three; an
 * abbreviation without underscores counts too), or NULL. */
const char *suggest_closest(const char *word, const char *const *candidates);

#endif
