/* tc_shlex.h: splits GUNICORN_CMD_ARGS into words as Gunicorn does (Python's
 * shlex.split: blanks separate, '...' and "..." quote, backslash escapes).
 * Ownership: tc_shlex_split returns a NULL-terminated array of heap strings
 * that tc_shlex_free releases. */
#ifndef TANDEM_TC_SHLEX_H
#define TANDEM_TC_SHLEX_H

#include <stddef.h>

/* 0 with *argv (n words), or -1 with a message in err (an unclosed quote,
 * a backslash at the end). */
int tc_shlex_split(const char *s, char ***argv, int *n, char *err, size_t errlen);
void tc_shlex_free(char **argv);

#endif
