/* color.c — see color.h. */
#include "color.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ColorMode color_mode = COLOR_AUTO;

int color_parse(const char *s, ColorMode *mode)
{
    static const char *const names[] = {"auto", "always", "never"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *mode = (ColorMode)i;
            return 0;
        }
    return -1;
}

void color_set_mode(ColorMode mode)
{
    color_mode = mode;
}

bool color_enabled(FILE *stream)
{
    if (color_mode != COLOR_AUTO)
        return color_mode == COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0')
        return false;
    const char *term = getenv("TERM");
    if (term != NULL && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(stream)) == 1;
}

const char *color_on(FILE *stream, const char *word)
{
    static const char *const good[] = {"passed", "ok", "met", NULL};
    static const char *const soft[] = {"skipped", "aborted", "not applied", NULL};
    if (word == NULL || !color_enabled(stream))
        return "";
    for (size_t i = 0; good[i] != NULL; i++)
        if (strcmp(word, good[i]) == 0)
            return "\033[32m";
    for (size_t i = 0; soft[i] != NULL; i++)
        if (strcmp(word, soft[i]) == 0)
            return "\033[33m";
    return "\033[1;31m";
}

const char *color_off(FILE *stream)
{
    return color_enabled(stream) ? "\033[0m" : "";
}
