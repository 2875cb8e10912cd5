/*
 * cli_help — what `smallapps help [CMD]`, `smallapps CMD --help` and an unknown option
 * print: every command's usage, one command's, and the options a command takes.
 */
#ifndef SMALLAPPS_CLI_HELP_H
#define SMALLAPPS_CLI_HELP_H

#include <stdbool.h>
#include <stdio.h>

/* Every command, and what every command shares (storage flags, environment). */
void cli_usage(FILE *f);
/* One command's usage and options; false (nothing printed) for an unknown command. */
bool cli_command_usage(FILE *f, const char *cmd);
/* On stderr: opt is not an option of cmd; the nearest option (one or two typos, or a
 * prefix), then the options cmd takes. */
void cli_unknown_option(const char *cmd, const char *opt);

#endif
