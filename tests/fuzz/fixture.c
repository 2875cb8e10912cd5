/*
 * fixture — the essai app for the pipeline targets, and the checks every accepted
 * record must pass (see fixture.h).
 */
#include "fixture.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "store.h"
#include "util.h"
#include "validate.h"

static registry *reg;
static app_rt *essai;

app_rt *fixture_essai(void)
{
	if (essai)
		return essai;
	const char *tmp = fuzz_tempdir("essai");
	/* The registry may keep these paths: they live as long as the process. */
	static char apps[1024], data[1024], src[1024], dst[1100];
	snprintf(apps, sizeof apps, "%s/apps", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(src, sizeof src, "%s/tests/apps/essai", fuzz_root());
	snprintf(dst, sizeof dst, "%s/essai", apps);
	FUZZ_CHECK(mkdir(apps, 0755) == 0 && mkdir(data, 0700) == 0, "mkdir in %s", tmp);
	fuzz_copy_tree(src, dst);
	char err[STORE_ERR_LEN] = "";
	store_backend *backend = store_backend_open(NULL, data, err); /* SQLite files */
	FUZZ_CHECK(backend != NULL, "store_backend_open: %s", err);
	registry_opts ro = {.apps_dir = apps,
			    .data_dir = data,
			    .backend = backend,
			    .stdlib_dir = fuzz_stdlib(),
			    .quiet = true};
	reg = registry_open(&ro);
	FUZZ_CHECK(reg && registry_scan(reg) >= 1, "essai did not load");
	essai = registry_get(reg, "essai"); /* the reference is held until exit */
	FUZZ_CHECK(essai != NULL, "essai is not served");
	return essai;
}

const def_form *fixture_form(const char *id)
{
	const def_form *f = def_find_form(fixture_essai()->def, id);
	FUZZ_CHECK(f != NULL, "tests/apps/essai has no form \"%s\" any more", id);
	return f;
}

static const char *const demandeur_roles[] = {"demandeur"};
static const actor demandeur = {.login = "dem1",
				.name = "Dem",
				.email = "dem1@example.fr",
				.roles = demandeur_roles,
				.nroles = 1};
static const actor admin = {.login = "admin", .name = "Admin", .admin = true};

const actor *fixture_demandeur(void)
{
	return &demandeur;
}

const actor *fixture_admin(void)
{
	return &admin;
}

pipe_ctx fixture_ctx(const def_form *f, const actor *who)
{
	return (pipe_ctx){
	    .app = fixture_essai(), .form = f, .who = who, .lg = LANG_FR, .now = util_now()};
}

/* ---- checks ---- */

static bool is_form_col(const def_form *f, size_t col)
{
	const def_field *fd = f->cols[col];
	return fd >= f->fields && fd < f->fields + f->nfields;
}

/* The kind a value of this type is stored as (record.h). */
static val_kind stored_kind(field_type t)
{
	switch (t) {
	case FT_INTEGER:
	case FT_BOOLEAN:
	case FT_MONEY:
		return VAL_INT;
	case FT_DECIMAL:
		return VAL_REAL;
	default:
		return VAL_TEXT;
	}
}

/* Controls (C0, DEL, C1) other than the line breaks and tabs a textarea keeps. */
static bool has_controls(const char *s, bool multiline)
{
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		if ((*u < 0x20 || *u == 0x7f) && !(multiline && (*u == '\n' || *u == '\t')))
			return true;
		if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			return true;
	}
	return false;
}

/* The same value, except that an unticked box (HTML) and no answer (API) both mean no. */
static bool same_value(const def_field *fd, const value *a, const value *b, bool door_html)
{
	if (value_equal(a, b))
		return true;
	if (door_html && fd->type == FT_BOOLEAN) {
		bool fa = a->kind == VAL_NULL || (a->kind == VAL_INT && a->i == 0);
		bool fb = b->kind == VAL_NULL || (b->kind == VAL_INT && b->i == 0);
		return fa && fb;
	}
	return false;
}

static const char *show(const value *v, char *out, size_t n)
{
	switch (v->kind) {
	case VAL_NULL:
		snprintf(out, n, "NULL");
		break;
	case VAL_INT:
		snprintf(out, n, "%lld", (long long)v->i);
		break;
	case VAL_REAL:
		snprintf(out, n, "%.17g", v->d);
		break;
	case VAL_TEXT:
		snprintf(out, n, "\"%s\"", v->s);
		break;
	}
	return out;
}

/* One value: its kind, its text, and its API form read back through the field's rules. */
static void check_value(const pipe_ctx *c, const def_field *fd, const value *v)
{
	char a[160], b[160], msg[VALIDATE_MSG];
	FUZZ_CHECK(v->kind == stored_kind(fd->type), "%s (%s) stored as kind %d", fd->name,
		   def_type_name(fd->type), (int)v->kind);
	if (v->kind == VAL_TEXT) {
		FUZZ_CHECK(fuzz_utf8_valid(v->s, strlen(v->s)), "%s: stored text is not UTF-8",
			   fd->name);
		FUZZ_CHECK(!has_controls(v->s, fd->type == FT_TEXTAREA),
			   "%s: stored text holds control characters: %s", fd->name,
			   show(v, a, sizeof a));
	}
	if (v->kind == VAL_REAL)
		FUZZ_CHECK(v->d == v->d && v->d - v->d == 0, "%s: stored %g", fd->name, v->d);
	json_t *j = validate_to_json(fd, v);
	FUZZ_CHECK(j != NULL, "%s: no API form for %s", fd->name, show(v, a, sizeof a));
	value back = {0};
	int rc = validate_parse_json(fd, j, &back, c->lg, msg);
	char *text = json_dumps(j, JSON_ENCODE_ANY);
	FUZZ_CHECK(rc == 0, "%s: the API form %s of %s does not parse back: %s", fd->name, text,
		   show(v, a, sizeof a), msg);
	FUZZ_CHECK(value_equal(v, &back), "%s: %s reads back from %s as %s", fd->name,
		   show(v, a, sizeof a), text, show(&back, b, sizeof b));
	/* Values set by on_create or compute are not the person's input: the rules are not
	 * theirs to meet (SPEC 4.7 checks before on_create). */
	if (!fd->readonly && !fd->compute) {
		rc = validate_check(fd, &back, util_local_days(c->now), c->lg, msg);
		FUZZ_CHECK(rc == 0, "%s: accepted %s fails its checks when sent again: %s",
			   fd->name, show(v, a, sizeof a), msg);
		FUZZ_CHECK(value_equal(v, &back), "%s: checking %s again changes it to %s",
			   fd->name, show(v, a, sizeof a), show(&back, b, sizeof b));
	}
	free(text);
	value_clear(&back);
	json_decref(j);
}

/* The edit form's inputs for r as a browser submits them (checkboxes, CRLF in textareas). */
static void html_pairs(const def_form *f, const actor *who, const record *r, buf *texts,
		       size_t *offsets, const char **names, size_t *n)
{
	*n = 0;
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		const value *v = &r->values[col];
		if (!is_form_col(f, col) || !access_can_write_col(f, fd, who, NULL) ||
		    v->kind == VAL_NULL)
			continue;
		if (fd->type == FT_MULTICHOICE) {
			json_t *arr = json_loads(v->s, 0, NULL);
			size_t i;
			json_t *e;
			json_array_foreach(arr, i, e)
			{
				names[*n] = fd->name;
				offsets[(*n)++] = texts->len;
				buf_add(texts, json_string_value(e), json_string_length(e) + 1);
			}
			json_decref(arr);
			continue;
		}
		buf one = BUF_INIT;
		validate_input_text(fd, v, &one);
		names[*n] = fd->name;
		offsets[(*n)++] = texts->len;
		for (size_t i = 0; i < one.len; i++) {
			if (fd->type == FT_TEXTAREA && one.data[i] == '\n')
				buf_putc(texts, '\r');
			buf_putc(texts, one.data[i]);
		}
		buf_add(texts, "", 1);
		buf_free(&one);
	}
}

/* Sends r back as the person would, and expects it accepted with the same values. */
static void resubmit(const pipe_ctx *c, const record *r, bool door_html)
{
	const def_form *f = c->form;
	write_in in = {0};
	json_t *obj = NULL;
	buf texts = BUF_INIT;
	size_t cap = f->ncols * 16 + 1, n = 0;
	size_t *offsets = calloc(cap, sizeof *offsets);
	const char **names = calloc(cap, sizeof *names);
	pipe_pair *pairs = calloc(cap, sizeof *pairs);
	FUZZ_CHECK(offsets && names && pairs, "out of memory");
	if (door_html) {
		html_pairs(f, c->who, r, &texts, offsets, names, &n);
		for (size_t i = 0; i < n; i++)
			pairs[i] = (pipe_pair){names[i], texts.data + offsets[i]};
		in.pairs = pairs;
		in.npairs = n;
	} else {
		obj = json_object();
		for (size_t col = 0; col < f->ncols; col++) {
			const def_field *fd = f->cols[col];
			if (is_form_col(f, col) && access_can_write_col(f, fd, c->who, NULL))
				json_object_set_new(obj, fd->name,
						    validate_to_json(fd, &r->values[col]));
		}
		in.json = obj;
	}
	record again;
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_create(c, &in, &again, &errs, err);
	FUZZ_CHECK(rc == PIPE_OK, "an accepted record sent back through the %s door is %s: %s %s",
		   door_html ? "HTML" : "API", rc == PIPE_INVALID ? "refused" : "an error",
		   errs.n ? errs.v[0].field : err, errs.n ? errs.v[0].message : "");
	for (size_t col = 0; col < f->ncols; col++) {
		char a[160], b[160];
		FUZZ_CHECK(same_value(f->cols[col], &r->values[col], &again.values[col], door_html),
			   "%s: %s comes back as %s through the %s door", f->cols[col]->name,
			   show(&r->values[col], a, sizeof a),
			   show(&again.values[col], b, sizeof b), door_html ? "HTML" : "API");
	}
	record_clear(&again);
	field_errors_clear(&errs);
	json_decref(obj);
	buf_free(&texts);
	free(offsets);
	free(names);
	free(pairs);
}

void fixture_check_accepted(const pipe_ctx *c, const record *r, bool door_html)
{
	const def_form *f = c->form;
	FUZZ_CHECK(r->nvalues == f->ncols, "record with %zu values for %zu columns", r->nvalues,
		   f->ncols);
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		const value *v = &r->values[col];
		if (!is_form_col(f, col)) {
			FUZZ_CHECK(v->kind == VAL_NULL, "%s: a transition field set on create",
				   fd->name);
			continue;
		}
		bool visible = pipeline_field_visible(f, r, fd);
		FUZZ_CHECK(visible || v->kind == VAL_NULL, "%s is hidden but stored", fd->name);
		bool fills = fd->required && visible && !fd->compute && !fd->readonly &&
			     access_can_write_col(f, fd, c->who, NULL);
		FUZZ_CHECK(!fills || (v->kind != VAL_NULL &&
				      !(fd->type == FT_BOOLEAN && v->kind == VAL_INT && v->i == 0)),
			   "%s is required and visible but empty", fd->name);
		if (v->kind != VAL_NULL)
			check_value(c, fd, v);
	}
	resubmit(c, r, door_html);
}

void fixture_check_refused(const field_errors *e)
{
	FUZZ_CHECK(e->n > 0, "refused without saying why");
	for (size_t i = 0; i < e->n; i++) {
		const char *m = e->v[i].message, *k = e->v[i].field;
		FUZZ_CHECK(k && m && m[0], "an error without a message (field %s)", k ? k : "?");
		FUZZ_CHECK(fuzz_utf8_valid(m, strlen(m)) && fuzz_utf8_valid(k, strlen(k)),
			   "an error message or field name that is not UTF-8");
	}
}
