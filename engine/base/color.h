/*
 * color.h — whether human output may use ANSI colors, decided once per
 * process: --color always|never|auto; in auto mode a non-empty NO_COLOR
 * (https://no-color.org), TERM=dumb or a stream that is not a terminal turn
 * colors off. An explicit --color always wins over NO_COLOR (the user asked).
 * Machine output (--format json, reports) never carries colors.
 */
#ifndef DRILL_COLOR_H
#define DRILL_COLOR_H

#include <stdbool.h>
#include <stdio.h>

typedef enum ColorMode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } ColorMode;

/* "auto" | "always" | "never" -> mode; -1 when s is none of them. */
int color_parse(const char *s, ColorMode *mode);
void color_set_mode(ColorMode mode);
bool color_enabled(FILE *stream);

/* SGR sequences for a verdict or status word ("passed", "ok", "met" green;
 * "failed", "MISSED", "error", ... red; "skipped", "aborted" yellow), or ""
 * when colors are off for stream. color_off() is the matching reset. */
const char *color_on(FILE *stream, const char *word);
const char *color_off(FILE *stream);

#endif
