/*
 * api — JSON API handlers (see api.h, SPEC 7).
 *
 * Hostile input first: bodies must be JSON objects in valid UTF-8 with the right
 * Content-Type, query parameters are checked one by one (unknown ones are 400, so a
 * typo never silently widens a result). What may be read or written, and how, is the
 * use-case layer's: the same calls as the HTML pages make.
 *
 * Record answers (list, read, create, patch) are written by the streaming writer
 * (api_record_write, jsonw.h), the rest through jansson; api_record_json stays for
 * code that wants a json_t, and tests/unit/test_jsonw.c holds the two to the same bytes.
 */
#include "api.h"

#include "download.h"
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "openapi.h"
#include "util.h"

/* Answers one record (GET, create, patch) through the streaming writer. */
static void send_record(req *r, int status, const def_form *f, const record *rec, const actor *who,
			const api_extra *x)
{
	buf b = BUF_INIT;
	jsonw w;
	buf_reserve(&b, 2048);
	jsonw_init(&w, &b);
	api_record_write_extra(&w, f, rec, who, x);
	req_json_buf(r, status, &b);
}

/* ---- records ---- */

/* One API call on records: the use-case call, its result, and the body it reads. */
typedef struct api_ctx {
	const def_form *form;
	uc_call call;
	uc_result res;
	json_t *body; /* the parsed body, kept while the call runs (in points into it) */
	write_in in;
	bool creating, deleting;
	const def_transition *trigger; /* a transition's call: which one */
	uc_idem idem; /* a create's Idempotency-Key (call.idem points here when given) */
} api_ctx;

static void api_ctx_cleanup(void *p)
{
	api_ctx *c = p;
	uc_result_clear(&c->res);
	json_decref(c->body);
}

static bool parse_int64(const char *s, int64_t *out)
{
	if (!s || !*s || strlen(s) > 18)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

/* Reading the query string of a list, parameter by parameter (unknown ones are 400). */
typedef struct query_check {
	req *r;
	api_ctx *c;
	uc_list_query *q;
	store_eq *eq;
	const char *bad; /* first problem, for the 400 */
} query_check;

static const char *tr(const req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

static bool check_param(query_check *qc, const char *key, const char *val)
{
	req *r = qc->r;
	uc_list_query *q = qc->q;
	if (!util_utf8_valid(val, strlen(val)) || !util_utf8_valid(key, strlen(key))) {
		qc->bad = tr(r, "paramètre invalide (UTF-8)", "invalid parameter (UTF-8)");
		return false;
	}
	int64_t n;
	if (strcmp(key, "limit") == 0) {
		if (!parse_int64(val, &n) || n < 1 || n > 500) {
			qc->bad = tr(r, "limit doit être un entier entre 1 et 500",
				     "limit must be an integer between 1 and 500");
			return false;
		}
		q->limit = (int)n;
	} else if (strcmp(key, "after") == 0) {
		q->after = val;
	} else if (strcmp(key, "sort") == 0) {
		q->sort = val;
	} else if (strcmp(key, "q") == 0) {
		q->q = val;
	} else if (strcmp(key, "state") == 0) {
		if (!qc->c->form->workflow || def_find_state(qc->c->form->workflow, val) < 0) {
			qc->bad = tr(r, "état inconnu", "unknown state");
			return false;
		}
		q->state = val;
	} else if (strcmp(key, "overdue") == 0) {
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
			qc->bad = tr(r, "overdue doit valoir true ou false",
				     "overdue must be true or false");
			return false;
		}
		q->overdue_only = strcmp(val, "true") == 0;
	} else if (strcmp(key, "lang") != 0) { /* lang: the router's */
		int col = def_find_col(qc->c->form, key);
		if (col < 0 || !access_can_read_col(qc->c->form->cols[col], &qc->c->call.who) ||
		    q->neq == 16) {
			qc->bad = tr(r, "paramètre de requête inconnu", "unknown query parameter");
			return false;
		}
		qc->eq[q->neq].col = col;
		qc->eq[q->neq].value = val;
		q->neq++;
	}
	return true;
}

/* The list answer being written while the store reads the rows. */
typedef struct list_out {
	buf b;
	jsonw w;
	const def_form *form;
	const actor *who;
} list_out;

static void list_row(void *arg, const record *rec)
{
	list_out *lo = arg;
	api_record_write(&lo->w, lo->form, rec, lo->who);
}

/* The 400 message for a list query the store refused, in the request's language. */
static const char *bad_query_message(store_bad why, lang lg)
{
	bool en = lg == LANG_EN;
	switch (why) {
	case STORE_BAD_STATE:
		return en ? "unknown state" : "état inconnu";
	case STORE_BAD_FILTER:
		return en ? "invalid filter (a yes/no field takes true or false)"
			  : "filtre invalide (un champ oui/non prend true ou false)";
	case STORE_BAD_SEARCH:
		return en ? "search text too long" : "texte de recherche trop long";
	case STORE_BAD_SORT:
		return en ? "unknown sort field" : "champ de tri inconnu";
	case STORE_BAD_CURSOR:
		return en ? "invalid cursor: pass back the \"next\" value of the previous page, "
			    "with the same sort"
			  : "curseur invalide : renvoyez la valeur \"next\" de la page précédente, "
			    "avec le même tri";
	case STORE_BAD_LIMIT:
		return en ? "limit must be an integer between 1 and 500"
			  : "limit doit être un entier entre 1 et 500";
	default:
		return NULL;
	}
}

static void internal_error(req *r, const char *detail);

static void list_records(req *r, api_ctx *c)
{
	uc_list_query q = {.limit = 50};
	store_eq eq[16];
	query_check qc = {.r = r, .c = c, .q = &q, .eq = eq};
	for (size_t i = 0; i < r->query.n && !qc.bad; i++)
		check_param(&qc, r->query.v[i].name, r->query.v[i].value);
	if (qc.bad) {
		api_error(r, 400, "bad_request", qc.bad, NULL);
		return;
	}
	q.eq = eq;
	/* Rows go from the store straight into the answer: no copy of the page, no json_t. */
	list_out lo = {.b = BUF_INIT, .form = c->form, .who = &c->call.who};
	size_t guess = (size_t)q.limit * 1024;
	buf_reserve(&lo.b, guess < 65536 ? guess : 65536);
	jsonw_init(&lo.w, &lo.b);
	jsonw_object_begin(&lo.w);
	jsonw_key(&lo.w, "records");
	jsonw_array_begin(&lo.w);
	char *next = NULL;
	uc_status st = uc_list_each(&c->call, &q, list_row, &lo, &next, &c->res);
	if (st != UC_OK) {
		buf_free(&lo.b);
		free(next);
		if (st == UC_BAD_QUERY)
			api_error(r, 400, "bad_request", bad_query_message(c->res.bad, r->lg),
				  NULL);
		else
			internal_error(r, c->res.msg);
		return;
	}
	jsonw_array_end(&lo.w);
	jsonw_key(&lo.w, "next");
	jsonw_str(&lo.w, next);
	jsonw_object_end(&lo.w);
	free(next);
	req_json_buf(r, 200, &lo.b);
}

/* A JSON body: checks its media type and encoding, parses it; NULL once answered. */
static json_t *read_json(req *r)
{
	const char *ct = req_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		api_error(r, 415, "unsupported_media_type", NULL, NULL);
		return NULL;
	}
	if (!util_utf8_valid(r->body.data ? r->body.data : "", r->body.len)) {
		api_error(
		    r, 400, "bad_request",
		    tr(r, "Le corps n'est pas en UTF-8 valide.", "The body is not valid UTF-8."),
		    NULL);
		return NULL;
	}
	json_error_t je;
	json_t *j =
	    json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s %s (%d:%d)",
			 tr(r, "JSON mal formé :", "Malformed JSON:"), je.text, je.line, je.column);
		api_error(r, 400, "bad_request", msg, NULL);
		return NULL;
	}
	return j;
}

json_t *api_json_body(req *r)
{
	return read_json(r);
}

/*
 * A file value in JSON, { "name", "data" }: its content decoded into an upload of the
 * request. A value that is not base64 is left without one: the pipeline says why.
 */
static void decode_file(req *r, const def_field *fd, const json_t *fields)
{
	const json_t *v = json_object_get(fields, fd->name);
	const json_t *data = json_object_get(v, "data");
	if (fd->type != FT_FILE || !json_is_string(data))
		return;
	bool bad = false;
	upload *u = upload_from_base64(r->env->upload_dir, fd->name,
				       json_string_value(json_object_get(v, "name")),
				       json_string_value(data), json_string_length(data), &bad);
	if (u)
		upload_list_add(&r->uploads, u);
	else if (!bad)
		log_message("upload", "%s: %s", r->env->upload_dir, strerror(errno));
}

/* A multipart body (files): its parts read as the HTML form's; false when answered. */
static bool read_multipart(req *r, api_ctx *c)
{
	req_kvs kv;
	if (req_parse_form(r, &kv) != 0) {
		api_error(r, 400, "bad_request",
			  tr(r, "Corps multipart/form-data mal formé.",
			     "Malformed multipart/form-data body."),
			  NULL);
		return false;
	}
	pipe_pair *pp = arena_alloc(&r->mem, (kv.n ? kv.n : 1) * sizeof *pp);
	for (size_t i = 0; i < kv.n; i++)
		pp[i] = (pipe_pair){kv.v[i].name, kv.v[i].value};
	c->in = (write_in){.pairs = pp, .npairs = kv.n, .files = &r->uploads};
	return true;
}

/* The body of a create or patch: {"fields": {...}} with "confirm": true once the warn
 * hook's warnings were seen, or the bare object of fields. */
static json_t *read_body(req *r, bool *confirm)
{
	json_t *j = read_json(r);
	if (!j)
		return NULL;
	json_t *fields = json_is_object(j) ? json_object_get(j, "fields") : NULL;
	json_t *conf = fields ? json_object_get(j, "confirm") : NULL;
	if (fields && json_is_object(fields) && (!conf || json_is_boolean(conf)) &&
	    json_object_size(j) == 1 + (conf != NULL)) {
		*confirm = json_is_true(conf);
		json_incref(fields);
		json_decref(j);
		return fields;
	}
	if (!json_is_object(j) || fields) {
		json_decref(j);
		api_error(
		    r, 400, "bad_request",
		    tr(r,
		       "Le corps doit être un objet {\"fields\": {...}}, avec au besoin "
		       "\"confirm\": true.",
		       "The body must be an object {\"fields\": {...}}, with \"confirm\": true "
		       "if need be."),
		    NULL);
		return NULL;
	}
	return j;
}

static json_t *errors_json(const field_errors *e)
{
	json_t *o = json_object();
	for (size_t i = 0; i < e->n; i++)
		json_object_set_new(o, e->v[i].field, json_string(e->v[i].message));
	return o;
}

static void internal_error(req *r, const char *detail)
{
	log_message("error", "id=%s %s", r->id, detail ? detail : "");
	api_error(r, 500, "internal", NULL, NULL);
}

/* Who is refused: an anonymous caller is told to authenticate. */
static void refuse(req *r, api_ctx *c, const char *msg)
{
	if (c->call.who.login)
		api_error(r, 403, "forbidden", msg && *msg ? msg : NULL, NULL);
	else
		api_error(r, 401, "unauthenticated", NULL, NULL);
}

/* A record this caller cannot see: 404, or 401 for an anonymous caller who may read nothing. */
static void not_found(req *r, api_ctx *c)
{
	store_scope sc = access_read_scope(c->form, &c->call.who);
	if (!c->call.who.login && sc.none)
		api_error(r, 401, "unauthenticated", NULL, NULL);
	else
		api_error(r, 404, "not_found", NULL, NULL);
}

static void retry_after(req *r, int seconds)
{
	char s[16];
	snprintf(s, sizeof s, "%d", seconds > 0 ? seconds : 1);
	req_add_header(r, "Retry-After", s);
}

/* Every result but success, the same way for every call. */
static void answer_failure(req *r, api_ctx *c)
{
	uc_result *res = &c->res;
	const char *msg = res->msg[0] ? res->msg : NULL;
	switch (res->status) {
	case UC_INVALID:
		api_error(r, 422, "validation_failed", NULL, errors_json(&res->errs));
		break;
	case UC_WARN:
		api_error_as(r, 422, "confirmation_required", NULL, "warnings",
			     errors_json(&res->errs));
		break;
	case UC_FORBIDDEN:
		refuse(r, c, msg);
		break;
	case UC_NOT_FOUND:
		not_found(r, c);
		break;
	case UC_CONFLICT:
	case UC_GUARD:
		api_error(r, 409, "conflict", msg, NULL);
		break;
	case UC_TOO_MANY:
		retry_after(r, res->retry_after);
		api_error(r, 429, "too_many_requests", msg, NULL);
		break;
	case UC_UNAVAILABLE:
		retry_after(r, res->retry_after);
		api_error(r, 503, "unavailable", NULL, NULL);
		break;
	case UC_BAD_QUERY:
		api_error(r, 400, "bad_request", bad_query_message(res->bad, r->lg), NULL);
		break;
	case UC_IDEM_REUSED:
		api_error(r, 422, "idempotency_key_reused", msg, NULL);
		break;
	default:
		internal_error(r, msg);
		break;
	}
}

/* The answer to a write, once its result is known (at once, or once the parked request resumes). */
static void answer_write(req *r)
{
	api_ctx *c = r->cleanup_arg;
	uc_result *res = &c->res;
	if (res->status != UC_OK) {
		answer_failure(r, c);
		return;
	}
	if (c->deleting) {
		r->status = 204;
		r->content_type = NULL;
		return;
	}
	if (res->replayed)
		req_add_header(r, "Idempotent-Replayed", "true");
	if (res->replayed && res->replay_status) {
		/* A retry under the same Idempotency-Key: the first answer, as it was. */
		if (res->replay_location)
			req_add_header(r, "Location", arena_strdup(&r->mem, res->replay_location));
		buf b = BUF_INIT;
		buf_puts(&b, res->replay_body ? res->replay_body : "{}");
		req_json_buf(r, res->replay_status, &b);
		return;
	}
	char etag[32], track[512];
	const char *tracking = NULL, *location = NULL;
	snprintf(etag, sizeof etag, "\"%lld\"", (long long)res->rec.version);
	req_add_header(r, "ETag", etag);
	if (c->creating) {
		/* An anonymous submitter cannot read the record back: they follow its tracking
		 * page. */
		if (res->tracking[0] && !res->creator_can_read) {
			snprintf(track, sizeof track, "%s/suivi/%s", r->env->base_url,
				 res->tracking);
			tracking = track;
			location = arena_printf(&r->mem, "/suivi/%s", res->tracking);
		} else {
			location =
			    arena_printf(&r->mem, "/api/v1/apps/%s/%s/records/%lld",
					 c->call.app->def->id, c->form->id, (long long)res->rec.id);
		}
		req_add_header(r, "Location", location);
	}
	api_extra x = {.tracking = tracking};
	if (res->approvals_needed && res->approvals < res->approvals_needed) {
		x.quorum = c->trigger;
		x.approvals = res->approvals;
	}
	send_record(r, c->creating ? 201 : 200, c->form, &res->rec, &c->call.who, &x);
	if (c->creating && c->call.idem && !res->replayed)
		uc_idem_answer(&c->call, r->status, location, buf_cstr(&r->out));
}

static void after(req *r, api_ctx *c, uc_status st)
{
	if (st != UC_PENDING)
		answer_write(r);
	(void)c;
}

/* An Idempotency-Key as RFC drafts and common APIs take it: 1 to 255 visible ASCII. */
static bool idem_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 255)
		return false;
	for (; *k; k++)
		if (*k < 0x21 || *k > 0x7e)
			return false;
	return true;
}

static void create_record(req *r, api_ctx *c)
{
	/* A refusal needs no body: it is decided before reading one. */
	if (c->call.unavailable) { /* rights that could not be read are not a refusal */
		retry_after(r, 2);
		api_error(r, 503, "unavailable", NULL, NULL);
		return;
	}
	if (!access_can_create(c->form, &c->call.who)) {
		refuse(r, c, NULL);
		return;
	}
	const char *key = req_header(r, "Idempotency-Key");
	if (key && !idem_key_ok(key)) {
		api_error(r, 400, "bad_request",
			  tr(r, "Idempotency-Key : 1 à 255 caractères ASCII visibles.",
			     "Idempotency-Key: 1 to 255 visible ASCII characters."),
			  NULL);
		return;
	}
	c->creating = true;
	if (r->multipart) {
		if (!read_multipart(r, c))
			return;
		after(r, c, uc_create(&c->call, &c->in, &c->res));
		return;
	}
	if (!(c->body = read_body(r, &c->in.confirm)))
		return;
	c->in.json = c->body;
	c->in.files = &r->uploads;
	for (size_t col = 0; col < c->form->ncols; col++)
		decode_file(r, c->form->cols[col], c->body);
	if (key) {
		uc_idem_make(&c->call.who, key, c->body, &c->idem);
		c->call.idem = &c->idem;
	}
	after(r, c, uc_create(&c->call, &c->in, &c->res));
}

static bool parse_if_match(const char *h, int64_t *v)
{
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	char tmp[32];
	size_t n = strlen(h);
	if (n >= sizeof tmp)
		return false;
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		memcpy(tmp, h + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, h, n + 1);
	}
	return parse_int64(tmp, v);
}

static void patch_record(req *r, api_ctx *c, int64_t id)
{
	const char *im = req_header(r, "If-Match");
	int64_t expect = -1;
	if (im && !parse_if_match(im, &expect)) {
		api_error(r, 400, "bad_request",
			  tr(r, "If-Match : version attendue (ex. \"3\")",
			     "If-Match: expected version (e.g. \"3\")"),
			  NULL);
		return;
	}
	if (r->multipart) {
		if (read_multipart(r, c))
			after(r, c, uc_edit(&c->call, id, expect, &c->in, &c->res));
		return;
	}
	if (!(c->body = read_body(r, &c->in.confirm)))
		return;
	c->in.json = c->body;
	c->in.files = &r->uploads;
	for (size_t col = 0; col < c->form->ncols; col++)
		decode_file(r, c->form->cols[col], c->body);
	after(r, c, uc_edit(&c->call, id, expect, &c->in, &c->res));
}

/* POST …/records/<id>/transitions/<t>  body {"fields": {...}, "comment": "..."} (both optional). */
static void trigger_transition(req *r, api_ctx *c, int64_t id, const char *tid)
{
	c->body = r->body.len ? read_json(r) : json_object();
	if (!c->body)
		return;
	json_t *fields = json_object_get(c->body, "fields");
	json_t *comment = json_object_get(c->body, "comment");
	size_t known = (fields != NULL) + (comment != NULL);
	if (!json_is_object(c->body) || json_object_size(c->body) != known ||
	    (fields && !json_is_object(fields)) ||
	    (comment && !json_is_string(comment) && !json_is_null(comment))) {
		api_error(r, 400, "bad_request",
			  tr(r, "Le corps doit être {\"fields\": {...}, \"comment\": \"...\"}.",
			     "The body must be {\"fields\": {...}, \"comment\": \"...\"}."),
			  NULL);
		return;
	}
	if (!fields) {
		fields = json_object();
		json_object_set_new(c->body, "fields", fields);
	}
	c->in.json = fields;
	c->trigger = c->form->workflow ? def_find_transition(c->form, tid) : NULL;
	after(r, c,
	      uc_trigger(&c->call, id, tid, -1, &c->in,
			 json_is_string(comment) ? json_string_value(comment) : NULL, &c->res));
}

/* GET …/records/<id>/files/<field>: the content, for those who may read the field there. */
static void get_file(req *r, api_ctx *c, int64_t id, const char *field)
{
	uc_file f;
	if (uc_file_open(&c->call, id, field, &f, &c->res) != UC_OK)
		answer_failure(r, c);
	else
		download_answer(r, &f);
}

static json_t *history_json(const store_history_line *h, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "at", json_string(h[i].at));
		json_object_set_new(o, "actor", h[i].actor ? json_string(h[i].actor) : json_null());
		json_object_set_new(o, "action", json_string(h[i].action));
		if (h[i].from_state)
			json_object_set_new(o, "from", json_string(h[i].from_state));
		if (h[i].to_state)
			json_object_set_new(o, "to", json_string(h[i].to_state));
		if (h[i].transition)
			json_object_set_new(o, "transition", json_string(h[i].transition));
		if (h[i].comment)
			json_object_set_new(o, "comment", json_string(h[i].comment));
		json_object_set_new(o, "changes",
				    h[i].changes ? json_incref(h[i].changes) : json_object());
		json_array_append_new(arr, o);
	}
	return arr;
}

static void get_history(req *r, api_ctx *c, int64_t id)
{
	store_history_line *h = NULL;
	size_t n = 0;
	if (uc_read(&c->call, id, &c->res) != UC_OK) {
		answer_failure(r, c);
		return;
	}
	if (uc_history(&c->call, &c->res.rec, &h, &n) != UC_OK) {
		internal_error(r, "history read failed");
		return;
	}
	json_t *body = json_object();
	json_object_set_new(body, "history", history_json(h, n));
	store_history_free(h, n);
	req_json(r, 200, body);
}

static void get_record(req *r, api_ctx *c, int64_t id)
{
	if (uc_read(&c->call, id, &c->res) != UC_OK) {
		answer_failure(r, c);
		return;
	}
	char etag[32];
	snprintf(etag, sizeof etag, "\"%lld\"", (long long)c->res.rec.version);
	req_add_header(r, "ETag", etag);
	send_record(r, 200, c->form, &c->res.rec, &c->call.who, NULL);
}

static void method_not_allowed(req *r)
{
	api_error(r, 405, "method_not_allowed", NULL, NULL);
}

static bool is(const req *r, const char *method)
{
	return strcmp(r->method, method) == 0;
}

/* /api/v1/apps/<app>/<form>/records[/<id>[/history | /transitions/<t>]] */
/*
 * GET /api/v1/apps/<app>/<form>/export.csv, export.jsonl (the list's query, without
 * limit and after; open_data=true|1 for open data), schema.json.
 */
static void export_records(req *r, api_ctx *c, const char *what)
{
	if (!is(r, "GET")) {
		method_not_allowed(r);
		return;
	}
	if (!access_can_read_any(c->form, &c->call.who)) {
		refuse(r, c, NULL);
		return;
	}
	if (strcmp(what, "schema.json") == 0) {
		req_json(r, 200, export_table_schema(c->call.app->def, c->form));
		return;
	}
	uc_list_query q = {.limit = 1};
	store_eq eq[16];
	query_check qc = {.r = r, .c = c, .q = &q, .eq = eq};
	bool open_data = false;
	const def_field *lines = NULL;
	for (size_t i = 0; i < r->query.n && !qc.bad; i++) {
		const char *k = r->query.v[i].name, *v = r->query.v[i].value;
		if (strcmp(k, "open_data") == 0)
			open_data = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
		else if (strcmp(k, "lines") == 0 && strcmp(what, "export.csv") == 0)
			qc.bad =
			    (lines = export_lines_field(c->form, &c->call.who, v))
				? NULL
				: tr(r, "lines : aucun groupe de lignes (repeat) lisible de ce nom",
				     "lines: no readable group of lines (repeat) of that name");
		else if (strcmp(k, "limit") == 0 || strcmp(k, "after") == 0)
			qc.bad = tr(r, "un export n'a ni limit ni after",
				    "an export takes neither limit nor after");
		else
			check_param(&qc, k, v);
	}
	if (qc.bad) {
		api_error(r, 400, "bad_request", qc.bad, NULL);
		return;
	}
	q.eq = eq;
	export_format fmt = strcmp(what, "export.csv") == 0 ? EXPORT_CSV : EXPORT_JSONL;
	uc_status st = export_answer(r, &c->call, &q, fmt, open_data, lines, "api", &c->res);
	if (st == UC_BAD_QUERY)
		api_error(r, 400, "bad_request", bad_query_message(c->res.bad, r->lg), NULL);
	else if (st != UC_OK)
		answer_failure(r, c);
}

/* POST …/drafts/<key>/submit: the draft sent as a create (201, or 422 and the draft kept). */
static void submit_draft(req *r, api_ctx *c, const char *key)
{
	if (!is(r, "POST")) {
		method_not_allowed(r);
		return;
	}
	uc_draft *d = arena_alloc(&r->mem, sizeof *d);
	if (uc_draft_get(&c->call, key, d, &c->res) != UC_OK) {
		answer_failure(r, c);
		return;
	}
	/* The body keeps the values while the create runs; the draft is done with. */
	c->body = json_incref(d->fields);
	int64_t id = d->id;
	uc_draft_clear(d);
	d->id = id;
	c->in.json = c->body;
	c->creating = true;
	after(r, c, uc_draft_submit(&c->call, d, &c->in, &c->res));
}

static void records(req *r, api_ctx *c, const char **seg, int nseg)
{
	if (nseg == 4) {
		if (is(r, "GET")) {
			if (!access_can_read_any(c->form, &c->call.who))
				refuse(r, c, NULL);
			else
				list_records(r, c);
		} else if (is(r, "POST")) {
			create_record(r, c);
		} else {
			method_not_allowed(r);
		}
		return;
	}
	int64_t id;
	if (!parse_int64(seg[4], &id) || nseg > 7 ||
	    (nseg == 7 && strcmp(seg[5], "transitions") != 0 && strcmp(seg[5], "files") != 0) ||
	    (nseg == 6 && strcmp(seg[5], "history") != 0)) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (nseg == 7 && seg[5][0] == 'f') {
		if (is(r, "GET"))
			get_file(r, c, id, seg[6]);
		else
			method_not_allowed(r);
	} else if (nseg == 7) {
		if (!is(r, "POST")) {
			/* Known to this caller or not, the method is wrong either way; but a record
			 * they may not read stays 404 (ids leak nothing). */
			if (uc_read(&c->call, id, &c->res) != UC_OK)
				answer_failure(r, c);
			else if (!c->form->workflow || !def_find_transition(c->form, seg[6]))
				api_error(r, 404, "not_found", NULL, NULL);
			else
				method_not_allowed(r);
			return;
		}
		trigger_transition(r, c, id, seg[6]);
	} else if (nseg == 6) {
		if (is(r, "GET"))
			get_history(r, c, id);
		else
			api_error(r, 404, "not_found", NULL, NULL);
	} else if (is(r, "GET")) {
		get_record(r, c, id);
	} else if (is(r, "PATCH")) {
		patch_record(r, c, id);
	} else if (is(r, "DELETE")) {
		c->deleting = true;
		after(r, c, uc_delete(&c->call, id, &c->res));
	} else if (uc_read(&c->call, id, &c->res) != UC_OK) {
		answer_failure(r, c);
	} else {
		method_not_allowed(r);
	}
}

void api_dispatch(req *r, const char **seg, int nseg)
{
	bool get = is(r, "GET");
	if (nseg == 1 && strcmp(seg[0], "registre") == 0) {
		api_registre(r);
		return;
	}
	if (nseg == 2 && strcmp(seg[0], "geo") == 0) {
		api_geo(r, seg[1]);
		return;
	}
	if (nseg == 1 && (strcmp(seg[0], "openapi.json") == 0 || strcmp(seg[0], "apps") == 0)) {
		if (!get)
			method_not_allowed(r);
		else if (seg[0][0] == 'o')
			openapi_get(r);
		else
			api_get_apps(r);
		return;
	}
	if (nseg < 2 || strcmp(seg[0], "apps") != 0) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	app_rt *app = registry_get(r->env->reg, seg[1]);
	if (!app) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	r->app = app; /* released when the request ends */
	api_ctx *c = arena_alloc(&r->mem, sizeof *c);
	const def_form *form = nseg >= 3 ? def_find_form(app->def, seg[2]) : NULL;
	req_call(r, &c->call, app, form, answer_write);
	c->form = form;
	r->cleanup = api_ctx_cleanup;
	r->cleanup_arg = c;
	if (nseg == 2) {
		if (!get)
			method_not_allowed(r);
		else if (!api_app_visible(app->def, &c->call.who) && !c->call.who.login)
			api_error(r, 401, "unauthenticated", NULL, NULL);
		else
			api_get_app(r, app->def, &c->call.who);
		return;
	}
	if (form && nseg == 4 &&
	    (strcmp(seg[3], "export.csv") == 0 || strcmp(seg[3], "export.jsonl") == 0 ||
	     strcmp(seg[3], "schema.json") == 0)) {
		export_records(r, c, seg[3]);
		return;
	}
	/* (a form may be called "stats": its records are under .../stats/records) */
	if (nseg == 3 && strcmp(seg[2], "stats") == 0) {
		api_stats(r, &c->call);
		return;
	}
	if (form && nseg >= 4 && strcmp(seg[3], "drafts") == 0) {
		if (nseg == 6 && strcmp(seg[5], "submit") == 0)
			submit_draft(r, c, seg[4]);
		else
			api_drafts(r, &c->call, seg + 4, nseg - 4);
		return;
	}
	if (!form || nseg < 4 || strcmp(seg[3], "records") != 0) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	records(r, c, seg, nseg);
}
