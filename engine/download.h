/*
 * download — a file field's content as an HTTP answer, for both doors.
 *
 * Streamed from the store in chunks (a 50 MB file never sits in memory), with the
 * type read from the content at upload, as an attachment under its name (RFC 6266,
 * filename* in UTF-8) so that no browser shows it inline on the site's origin.
 */
#ifndef SMALLAPPS_DOWNLOAD_H
#define SMALLAPPS_DOWNLOAD_H

#include "req.h"
#include "usecase.h"

/* Answers 200 with f's content; takes what f holds (f is left empty). */
void download_answer(req *r, uc_file *f);

#endif
