/*
 * log — structured log lines on stderr: one line per request, plus engine events.
 *
 * Lines are `ts level component key=value ...`, written with one write(2) each so
 * lines from several threads never interleave. Secrets are never passed here.
 */
#ifndef SMALLAPPS_LOG_H
#define SMALLAPPS_LOG_H

#include <stdarg.h>

void log_set_quiet(int quiet);
void log_message(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmessage(const char *component, const char *fmt, va_list ap);
void log_request(const char *method, const char *path, int status, double ms, const char *user,
                 const char *id);

#endif
