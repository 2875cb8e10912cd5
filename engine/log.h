/*
 * log — structured log lines on stderr: one line per request, plus engine events.
 *
 * Lines are `ts level component key=value ...`, written with one write(2) each so
 * lines from several threads never interleave. Secrets are never passed here. A
 * message is always one line: control characters are escaped, and it is cut after
 * LOG_MAX_MESSAGE bytes.
 */
#ifndef SMALLAPPS_LOG_H
#define SMALLAPPS_LOG_H

#include <stdarg.h>

/* Bytes of a message kept on its line (log_message); the rest is counted, not written. */
#define LOG_MAX_MESSAGE 4096

void log_set_quiet(int quiet);
void log_message(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmessage(const char *component, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void log_request(const char *method, const char *path, int status, double ms, const char *user,
		 const char *id);

#endif
