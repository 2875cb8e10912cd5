/*
 * openapi — GET /api/v1/openapi.json: an OpenAPI 3.1 document of the loaded apps the
 * caller may see, generated per request (SPEC 7). A door: it reads definitions and
 * access rules only, and writes jansson trees.
 */
#include "openapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "geo.h"
#include "tracking.h"

/*
 * An OpenAPI 3.1 document built per request from the loaded apps, with what
 * GET /api/v1/apps and GET /api/v1/apps/<app> show the same caller: the apps
 * app_visible lets them see (an anonymous caller sees the apps with a public form),
 * every form of those apps, and in each form the columns access_can_read_col lets
 * them read (a private field appears, flagged, only to its roles and admins).
 * Access is still decided per request; the 401/403 answers say so.
 *
 * Component names are "<app>.<form>.Record|Fields|FieldsPatch|Transition.<t>": ids
 * match [a-z][a-z0-9_-]*, so they never contain '.', '~' or '/' and every name is
 * unique and a valid JSON pointer token. Everything is a jansson tree owned by the
 * document; temporary strings live in the request's arena.
 */

typedef struct oa_doc {
	req *r;
	json_t *paths; /* borrowed from the document */
	json_t *schemas;
	json_t *tags;
	json_t *opids; /* operationIds used so far, as a set */
} oa_doc;

/* French or English text of the request's language; a conditional, so formats stay checked. */
#define OA_TR(o, fr, en) ((o)->r->lg == LANG_EN ? (en) : (fr))

/* {"$ref": "#/components/<kind>/<name>"}; new reference. */
static json_t *oa_ref(const oa_doc *o, const char *kind, const char *name)
{
	json_t *j = json_object();
	json_object_set_new(
	    j, "$ref", json_string(arena_printf(&o->r->mem, "#/components/%s/%s", kind, name)));
	return j;
}

/* {"application/json": {"schema": schema}}; steals schema. */
static json_t *oa_json_content(json_t *schema)
{
	json_t *mt = json_object(), *c = json_object();
	json_object_set_new(mt, "schema", schema);
	json_object_set_new(c, "application/json", mt);
	return c;
}

/* A response object; schema (stolen) may be NULL for an empty body. */
static json_t *oa_response(const char *description, json_t *schema)
{
	json_t *o = json_object();
	json_object_set_new(o, "description", json_string(description));
	if (schema)
		json_object_set_new(o, "content", oa_json_content(schema));
	return o;
}

/* A form with files also takes its fields as multipart/form-data, files as file parts. */
static void oa_multipart(json_t *body)
{
	json_t *c = json_object_get(body, "content");
	json_object_set_new(
	    c, "multipart/form-data",
	    json_pack("{s:{s:s, s:b}}", "schema", "type", "object", "additionalProperties", 1));
}

static bool form_has_files(const def_form *f)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->type == FT_FILE)
			return true;
	return false;
}

static json_t *oa_type(const char *type)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	return o;
}

/* A schema whose "type" is ["<type>", "null"]. */
static json_t *oa_type_or_null(const char *type)
{
	json_t *o = json_object(), *t = json_array();
	json_array_append_new(t, json_string(type));
	json_array_append_new(t, json_string("null"));
	json_object_set_new(o, "type", t);
	return o;
}

/* The error answers every operation may list, as components.responses. */
static const struct {
	int status;
	const char *name, *fr, *en;
} oa_errors[] = {
    {400, "BadRequest", "Requête invalide (corps, paramètre ou en-tête).",
     "Bad request (body, parameter or header)."},
    {401, "Unauthenticated", "Authentification requise, ou jeton invalide.",
     "Authentication required, or invalid token."},
    {403, "Forbidden",
     "Accès refusé (rôle, ou en-tête X-CSRF-Token absent avec le cookie de session).",
     "Forbidden (role, or X-CSRF-Token header missing with the session cookie)."},
    {404, "NotFound", "Introuvable, ou hors de ce que l'appelant peut lire.",
     "Not found, or outside what the caller may read."},
    {405, "MethodNotAllowed", "Méthode non autorisée.", "Method not allowed."},
    {409, "Conflict",
     "Conflit : version périmée, ou transition impossible dans l'état actuel (ou refusée par sa "
     "garde).",
     "Conflict: stale version, or transition not allowed from the current state (or refused by its "
     "guard)."},
    {413, "TooLarge", "Corps trop volumineux.", "Request body too large."},
    {415, "UnsupportedMediaType", "Envoyez Content-Type: application/json.",
     "Send Content-Type: application/json."},
    {422, "ValidationFailed", "Champs invalides : error.fields donne un message par champ.",
     "Invalid fields: error.fields holds one message per field."},
    {429, "TooManyRequests",
     "Trop de dépôts anonymes depuis cette adresse : réessayez après Retry-After secondes.",
     "Too many anonymous submissions from this address: try again after Retry-After seconds."},
    {500, "Internal", "Erreur interne ; error.id est aussi dans le journal du serveur.",
     "Internal error; error.id is also in the server log."},
    {503, "Unavailable",
     "Le code de l'application est suspendu après des dépassements répétés de son budget, ou "
     "trop de demandes l'attendent : réessayez après Retry-After secondes.",
     "The app's code is suspended after repeated budget overruns, or too many requests wait "
     "for it: try again after Retry-After seconds."},
};

/*
 * Adds an operation at paths[path][method] and returns it (borrowed). statuses is a
 * 0-terminated list of error answers, referenced from components.responses.
 * The operationId is "<app>_<form>_<verb>" made of [A-Za-z0-9_], suffixed when taken.
 */
static json_t *oa_operation(oa_doc *o, const char *path, const char *method, const char *tag,
			    const char *opid, const char *summary, const int *statuses)
{
	json_t *item = json_object_get(o->paths, path);
	if (!item) {
		item = json_object();
		json_object_set_new(o->paths, path, item);
	}
	json_t *op = json_object();
	json_object_set_new(item, method, op);
	char *id = arena_strdup(&o->r->mem, opid);
	for (char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	const char *unique = id;
	for (int n = 2; json_object_get(o->opids, unique); n++)
		unique = arena_printf(&o->r->mem, "%s_%d", id, n);
	json_object_set_new(o->opids, unique, json_true());
	json_object_set_new(op, "operationId", json_string(unique));
	json_object_set_new(op, "summary", json_string(summary));
	if (tag) {
		json_t *tags = json_array();
		json_array_append_new(tags, json_string(tag));
		json_object_set_new(op, "tags", tags);
	}
	json_t *resp = json_object();
	for (const int *s = statuses; *s; s++)
		for (size_t i = 0; i < sizeof oa_errors / sizeof *oa_errors; i++)
			if (oa_errors[i].status == *s)
				json_object_set_new(resp, arena_printf(&o->r->mem, "%d", *s),
						    oa_ref(o, "responses", oa_errors[i].name));
	json_object_set_new(op, "responses", resp);
	return op;
}

static void oa_add_response(json_t *op, int status, json_t *response)
{
	char k[8];
	snprintf(k, sizeof k, "%d", status);
	json_object_set_new(json_object_get(op, "responses"), k, response);
}

/* "a, b" from a non-empty list; arena string. */
static const char *oa_join(oa_doc *o, const def_strlist *l)
{
	buf b = BUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", l->v[i]);
	const char *s = arena_strdup(&o->r->mem, b.data ? b.data : "");
	buf_free(&b);
	return s;
}

/* A list of role ids for a description (empty: admins only); arena string. */
static const char *oa_roles(oa_doc *o, const def_strlist *l)
{
	return l->n ? oa_join(o, l) : OA_TR(o, "administrateurs seulement", "administrators only");
}

/* Appends a sentence to a schema's description. */
static void oa_describe(oa_doc *o, json_t *s, const char *text)
{
	const char *d = json_string_value(json_object_get(s, "description"));
	json_object_set_new(s, "description",
			    json_string(d ? arena_printf(&o->r->mem, "%s %s", d, text) : text));
}

/* field_schema plus what the API adds: private roles, editable_by; new reference. */
static json_t *oa_field_schema(oa_doc *o, const def_field *fd)
{
	json_t *s = api_field_schema(fd);
	if (fd->has_private) {
		oa_describe(
		    o, s,
		    fd->private_roles.n == 0
			? OA_TR(o, "Visible uniquement par les administrateurs.",
				"Visible only to administrators.")
			: arena_printf(
			      &o->r->mem,
			      OA_TR(
				  o,
				  "Visible uniquement par les rôles : %s (et les administrateurs).",
				  "Visible only to roles: %s (and administrators)."),
			      oa_roles(o, &fd->private_roles)));
		json_object_set_new(s, "x-smallapps-private-roles",
				    api_strlist_json(&fd->private_roles));
	}
	if (fd->has_editable_by)
		oa_describe(o, s,
			    arena_printf(&o->r->mem,
					 OA_TR(o, "Modifiable uniquement par : %s.",
					       "Writable only by: %s."),
					 oa_roles(o, &fd->editable_by)));
	return s;
}

/* Lets a field schema hold null too ("type" and, for choices, "enum"). */
static void oa_nullable(json_t *s)
{
	json_t *t = json_object_get(s, "type");
	bool has = false;
	size_t i;
	json_t *v;
	json_array_foreach(t, i, v) has = has || strcmp(json_string_value(v), "null") == 0;
	if (!has)
		json_array_append_new(t, json_string("null"));
	json_t *en = json_object_get(s, "enum");
	has = false;
	json_array_foreach(en, i, v) has = has || json_is_null(v);
	if (en && !has)
		json_array_append_new(en, json_null());
}

/* Whether the caller may send this field at all: not computed, readonly, or another role's private.
 */
static bool oa_writable(const def_field *fd, const actor *who)
{
	return def_type_holds_data(fd->type) && !fd->compute && !fd->readonly &&
	       access_can_read_col(fd, who);
}

/*
 * The object of writable fields of a form (or of a transition). With `required`,
 * what a create must carry: required, always visible, without a default. A field
 * shown under visible_if may be null (it is stored as NULL while hidden).
 */
static json_t *oa_input_schema(oa_doc *o, const def_field *fields, size_t n, const actor *who,
			       bool required, const char *title)
{
	json_t *s = oa_type("object");
	if (title)
		json_object_set_new(s, "title", json_string(title));
	json_t *props = json_object(), *reqd = json_array();
	for (size_t i = 0; i < n; i++) {
		const def_field *fd = &fields[i];
		if (!oa_writable(fd, who))
			continue;
		json_t *fs = oa_field_schema(o, fd);
		if (def_may_hide(fd)) {
			oa_nullable(fs);
			oa_describe(o, fs,
				    OA_TR(o, "Ignoré (enregistré vide) quand le champ est masqué.",
					  "Ignored (stored as null) while the field is hidden."));
		}
		json_object_set_new(props, fd->name, fs);
		if (required && fd->required && !def_may_hide(fd) && !fd->default_value)
			json_array_append_new(reqd, json_string(fd->name));
	}
	json_object_set_new(s, "properties", props);
	if (json_array_size(reqd))
		json_object_set_new(s, "required", reqd);
	else
		json_decref(reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

/* <app>.<form>.Record: the record as every answer writes it (api_record_write). */

/* Whether a transition of f asks for a quorum of approvals. */
static bool has_quorum(const def_form *f)
{
	for (size_t i = 0; f->workflow && i < f->workflow->ntransitions; i++)
		if (f->workflow->transitions[i].approvals)
			return true;
	return false;
}

/* The answer to an approval short of its quorum (SPEC 4.5). */
static json_t *approvals_schema(const oa_doc *o)
{
	json_t *a = oa_type("object"), *p = json_object();
	json_object_set_new(p, "transition", oa_type("string"));
	json_object_set_new(p, "count", oa_type("integer"));
	json_object_set_new(p, "required", oa_type("integer"));
	json_object_set_new(a, "properties", p);
	json_object_set_new(a, "required", json_pack("[sss]", "transition", "count", "required"));
	json_object_set_new(
	    a, "description",
	    json_string(OA_TR(o,
			      "Après une approbation qui n'atteint pas encore le quorum de la "
			      "transition : l'enregistrement n'a pas changé d'état.",
			      "After an approval short of the transition's quorum: the record "
			      "did not change state.")));
	return a;
}

static json_t *oa_record_schema(oa_doc *o, const def_form *f, const actor *who)
{
	json_t *s = oa_type("object");
	json_object_set_new(s, "title", json_string(f->title));
	json_t *p = json_object();
	json_object_set_new(p, "id", oa_type("integer"));
	if (f->workflow) {
		json_t *st = oa_type("string"), *en = json_array();
		for (size_t i = 0; i < f->workflow->nstates; i++)
			json_array_append_new(en, json_string(f->workflow->states[i].id));
		json_object_set_new(st, "enum", en);
		json_object_set_new(p, "state", st);
	} else {
		json_object_set_new(p, "state", oa_type("null"));
	}
	json_object_set_new(p, "version", oa_type("integer"));
	json_t *at = oa_type("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(p, "created_at", at);
	json_t *by = oa_type_or_null("string");
	json_object_set_new(by, "description",
			    json_string(OA_TR(o, "Identifiant ; null pour un dépôt anonyme.",
					      "Login; null for an anonymous submission.")));
	json_object_set_new(p, "created_by", by);
	at = oa_type_or_null("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(p, "updated_at", at);
	json_object_set_new(p, "updated_by", oa_type_or_null("string"));
	json_object_set_new(p, "overdue", oa_type("boolean"));
	at = oa_type_or_null("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(
	    at, "description",
	    json_string(
		OA_TR(o,
		      "Quand la durée de conservation a effacé ses données personnelles ; "
		      "null sinon.",
		      "When the retention period erased its personal data; null otherwise.")));
	json_object_set_new(p, "purged_at", at);
	json_t *fields = oa_type("object"), *fp = json_object();
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!access_can_read_col(fd, who))
			continue;
		/* Any stored value may be empty: hidden, a transition's field not yet set, a new
		 * field. */
		json_t *fs = oa_field_schema(o, fd);
		oa_nullable(fs);
		json_object_set_new(fp, fd->name, fs);
	}
	json_object_set_new(fields, "properties", fp);
	json_object_set_new(fields, "additionalProperties", json_false());
	json_object_set_new(p, "fields", fields);
	if (tracking_enabled(f)) {
		json_t *tu = oa_type("string");
		json_object_set_new(tu, "format", json_string("uri"));
		json_object_set_new(
		    tu, "description",
		    json_string(OA_TR(o,
				      "Dépôt anonyme (201) : la page de suivi, seul "
				      "moyen pour le déposant de suivre sa demande.",
				      "Anonymous submission (201): the tracking page, "
				      "the submitter's only way to follow the request.")));
		json_object_set_new(p, "tracking_url", tu);
	}
	if (has_quorum(f))
		json_object_set_new(p, "approvals", approvals_schema(o));
	json_object_set_new(s, "properties", p);
	json_t *reqd = json_array();
	static const char *const sys[] = {"id",		"state",      "version",    "created_at",
					  "created_by", "updated_at", "updated_by", "overdue",
					  "purged_at",	"fields"};
	for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
		json_array_append_new(reqd, json_string(sys[i]));
	json_object_set_new(s, "required", reqd);
	return s;
}

/* <app>.<form>.Transition.<t>: {"fields": {...}, "comment": "..."}. */
static json_t *oa_transition_schema(oa_doc *o, const def_transition *t, const actor *who)
{
	json_t *s = oa_type("object");
	json_object_set_new(s, "title", json_string(t->label));
	json_t *p = json_object(), *reqd = json_array();
	json_t *fields = oa_input_schema(o, t->fields, t->nfields, who, true, NULL);
	if (json_object_get(fields, "required"))
		json_array_append_new(reqd, json_string("fields"));
	json_object_set_new(p, "fields", fields);
	if (t->comment == COMMENT_REQUIRED) {
		json_t *c = oa_type("string");
		json_object_set_new(c, "minLength", json_integer(1));
		json_object_set_new(p, "comment", c);
		json_array_append_new(reqd, json_string("comment"));
	} else if (t->comment == COMMENT_OPTIONAL) {
		json_object_set_new(p, "comment", oa_type_or_null("string"));
	}
	json_object_set_new(s, "properties", p);
	if (json_array_size(reqd))
		json_object_set_new(s, "required", reqd);
	else
		json_decref(reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

static json_t *oa_param(const char *name, const char *in, bool required, const char *description,
			json_t *schema)
{
	json_t *p = json_object();
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "in", json_string(in));
	if (required)
		json_object_set_new(p, "required", json_true());
	if (description)
		json_object_set_new(p, "description", json_string(description));
	json_object_set_new(p, "schema", schema);
	return p;
}

/* The query parameters check_param accepts, for this form and caller. */
/* Field filters: any readable data column, unless a reserved parameter shadows it. */
static void oa_filter_params(oa_doc *o, const def_form *f, const actor *who, json_t *ps)
{
	json_t *s, *en;
	static const char *const reserved[] = {"limit", "after",   "sort", "q",
					       "state", "overdue", "lang"};
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		bool shadowed = false;
		for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
			shadowed = shadowed || strcmp(reserved[i], fd->name) == 0;
		if (shadowed || fd->type == FT_REPEAT || !access_can_read_col(fd, who))
			continue;
		const char *type = fd->type == FT_BOOLEAN				? "boolean"
				   : fd->type == FT_INTEGER || fd->type == FT_REFERENCE ? "integer"
				   : fd->type == FT_DECIMAL				? "number"
											: "string";
		s = oa_type(type);
		if (fd->noptions) {
			en = json_array();
			for (size_t i = 0; i < fd->noptions; i++)
				json_array_append_new(en, json_string(fd->options[i].value));
			json_object_set_new(s, "enum", en);
		}
		json_array_append_new(
		    ps,
		    oa_param(
			fd->name, "query", false,
			arena_printf(
			    &o->r->mem,
			    fd->type == FT_MULTICHOICE
				? OA_TR(
				      o,
				      "Filtre : « %s » contient cette valeur (16 filtres au plus).",
				      "Filter: \"%s\" contains this value (16 filters at most).")
				: OA_TR(o,
					"Filtre : « %s » vaut exactement cette valeur (16 filtres "
					"au plus).",
					"Filter: \"%s\" equals this value (16 filters at most)."),
			    fd->label),
			s));
	}
}

static json_t *oa_list_params(oa_doc *o, const def_form *f, const actor *who)
{
	json_t *ps = json_array();
	json_t *s = oa_type("integer");
	json_object_set_new(s, "minimum", json_integer(1));
	json_object_set_new(s, "maximum", json_integer(500));
	json_object_set_new(s, "default", json_integer(50));
	json_array_append_new(
	    ps, oa_param("limit", "query", false,
			 OA_TR(o, "Nombre d'enregistrements par page.", "Records per page."), s));
	json_array_append_new(
	    ps, oa_param("after", "query", false,
			 OA_TR(o, "Curseur : la valeur \"next\" de la page précédente.",
			       "Cursor: the \"next\" value of the previous page."),
			 oa_type("string")));
	s = oa_type("string");
	json_t *en = json_array();
	static const char *const sys[] = {"id", "created_at", "updated_at", "state"};
	for (int desc = 0; desc < 2; desc++) {
		for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
			json_array_append_new(
			    en,
			    json_string(arena_printf(&o->r->mem, "%s%s", desc ? "-" : "", sys[i])));
		for (size_t col = 0; col < f->ncols; col++)
			if (access_can_read_col(f->cols[col], who))
				json_array_append_new(en, json_string(arena_printf(
							      &o->r->mem, "%s%s", desc ? "-" : "",
							      f->cols[col]->name)));
	}
	json_object_set_new(s, "enum", en);
	json_object_set_new(
	    s, "default",
	    json_string(f->list.sort && *f->list.sort ? f->list.sort : "-created_at"));
	json_array_append_new(
	    ps, oa_param("sort", "query", false,
			 OA_TR(o, "Tri : un champ, précédé de \"-\" pour l'ordre décroissant.",
			       "Sort: a field, prefixed with \"-\" for descending order."),
			 s));
	/* Only the searched fields this caller may read are named. */
	def_strlist searched = {
	    .v = arena_alloc(&o->r->mem, (f->list.search.n + 1) * sizeof(char *))};
	for (size_t i = 0; i < f->list.search.n; i++) {
		int col = def_find_col(f, f->list.search.v[i]);
		if (col >= 0 && access_can_read_col(f->cols[col], who))
			searched.v[searched.n++] = f->list.search.v[i];
	}
	s = oa_type("string");
	json_object_set_new(s, "maxLength", json_integer(1000));
	json_array_append_new(
	    ps, oa_param("q", "query", false,
			 arena_printf(&o->r->mem,
				      OA_TR(o, "Texte cherché dans : %s.", "Text searched in: %s."),
				      searched.n ? oa_join(o, &searched) : "-"),
			 s));
	if (f->workflow) {
		s = oa_type("string");
		en = json_array();
		for (size_t i = 0; i < f->workflow->nstates; i++)
			json_array_append_new(en, json_string(f->workflow->states[i].id));
		json_object_set_new(s, "enum", en);
		json_array_append_new(
		    ps, oa_param("state", "query", false,
				 OA_TR(o, "Seulement les enregistrements dans cet état.",
				       "Only records in this state."),
				 s));
	}
	json_array_append_new(ps,
			      oa_param("overdue", "query", false,
				       OA_TR(o, "true : seulement les enregistrements en retard.",
					     "true: only overdue records."),
				       oa_type("boolean")));
	s = oa_type("string");
	en = json_array();
	json_array_append_new(en, json_string("fr"));
	json_array_append_new(en, json_string("en"));
	json_object_set_new(s, "enum", en);
	json_array_append_new(
	    ps, oa_param("lang", "query", false,
			 OA_TR(o, "Langue des messages.", "Language of the messages."), s));
	oa_filter_params(o, f, who, ps);
	return ps;
}

static json_t *oa_etag_headers(oa_doc *o)
{
	json_t *h = json_object(), *e = json_object();
	json_object_set_new(e, "description",
			    json_string(OA_TR(o, "Version de l'enregistrement, entre guillemets.",
					      "The record's version, quoted.")));
	json_object_set_new(e, "schema", oa_type("string"));
	json_object_set_new(h, "ETag", e);
	return h;
}

/* A 200/201 answer with one record and its ETag. */
static json_t *oa_record_response(oa_doc *o, const char *schema, const char *description,
				  bool location)
{
	json_t *resp = oa_response(description, oa_ref(o, "schemas", schema));
	json_t *h = oa_etag_headers(o);
	if (location) {
		json_t *l = json_object();
		json_object_set_new(l, "description",
				    json_string(OA_TR(o, "Adresse de l'enregistrement créé.",
						      "Address of the new record.")));
		json_object_set_new(l, "schema", oa_type("string"));
		json_object_set_new(h, "Location", l);
	}
	json_object_set_new(resp, "headers", h);
	return resp;
}

static json_t *oa_request_body(json_t *schema, bool required)
{
	json_t *b = json_object();
	json_object_set_new(b, "required", json_boolean(required));
	json_object_set_new(b, "content", oa_json_content(schema));
	return b;
}

/* {"fields": <ref>} or the bare object of fields: what read_body accepts. */
static json_t *oa_fields_body(oa_doc *o, const char *schema)
{
	json_t *wrapped = oa_type("object"), *p = json_object(), *reqd = json_array();
	json_object_set_new(p, "fields", oa_ref(o, "schemas", schema));
	json_object_set_new(wrapped, "properties", p);
	json_array_append_new(reqd, json_string("fields"));
	json_object_set_new(wrapped, "required", reqd);
	json_object_set_new(wrapped, "additionalProperties", json_false());
	json_t *any = json_array();
	json_array_append_new(any, wrapped);
	json_array_append_new(any, oa_ref(o, "schemas", schema));
	json_t *s = json_object();
	json_object_set_new(s, "anyOf", any);
	return s;
}

/* Schemas and paths of one form. */
/* The names a form's operations and schemas share. */
typedef struct oa_names {
	const def_app *app;
	const def_form *f;
	const actor *who;
	const char *pre;		  /* "<app>.<form>" */
	const char *rec, *fields, *patch; /* schema names */
	const char *base, *one;		  /* ".../records" and ".../records/{id}" */
	const char *opid;		  /* "<app>_<form>" */
	json_t *idp;			  /* the {id} path parameter list, owned by the document */
} oa_names;

/* {"<key>": [...items of schema ref...], other required keys}: a list answer's shape. */
static json_t *oa_array_of(oa_doc *o, const char *key, const char *ref, const char *also)
{
	json_t *s = oa_type("object"), *props = json_object(), *arr = oa_type("array");
	json_object_set_new(arr, "items", oa_ref(o, "schemas", ref));
	json_object_set_new(props, key, arr);
	json_t *reqd = json_array();
	json_array_append_new(reqd, json_string(key));
	if (also) {
		json_object_set_new(props, also, oa_type_or_null("string"));
		json_array_append_new(reqd, json_string(also));
	}
	json_object_set_new(s, "properties", props);
	json_object_set_new(s, "required", reqd);
	return s;
}

/* GET and POST on .../records. */
static void oa_collection_ops(oa_doc *o, const oa_names *n)
{
	arena *m = &o->r->mem;
	json_t *op =
	    oa_operation(o, n->base, "get", n->app->id, arena_printf(m, "%s_list", n->opid),
			 arena_printf(m, OA_TR(o, "Lister : %s", "List: %s"), n->f->title),
			 (const int[]){400, 401, 403, 500, 0});
	json_object_set_new(op, "parameters", oa_list_params(o, n->f, n->who));
	oa_add_response(op, 200,
			oa_response(OA_TR(o, "Une page d'enregistrements.", "A page of records."),
				    oa_array_of(o, "records", n->rec, "next")));
	op = oa_operation(o, n->base, "post", n->app->id, arena_printf(m, "%s_create", n->opid),
			  arena_printf(m, OA_TR(o, "Créer : %s", "Create: %s"), n->f->title),
			  (const int[]){400, 401, 403, 409, 413, 415, 422, 429, 500, 503, 0});
	json_t *ip = json_array();
	json_t *key = oa_type("string");
	json_object_set_new(key, "minLength", json_integer(1));
	json_object_set_new(key, "maxLength", json_integer(255));
	json_array_append_new(
	    ip,
	    oa_param("Idempotency-Key", "header", false,
		     OA_TR(o,
			   "Une clé choisie par le client (UUID, par exemple) : une nouvelle "
			   "tentative avec la même clé et le même corps, dans les 24 h, reçoit la "
			   "première réponse (en-tête Idempotent-Replayed) sans créer un second "
			   "enregistrement ; la même clé avec un autre corps donne 422 "
			   "idempotency_key_reused, et 409 si la première est encore en cours.",
			   "A key the client chooses (a UUID, say): a retry with the same key and "
			   "body within 24 h gets the first answer (Idempotent-Replayed header) "
			   "and makes no second record; the same key with another body answers "
			   "422 idempotency_key_reused, and 409 while the first is in progress."),
		     key));
	json_object_set_new(op, "parameters", ip);
	json_object_set_new(
	    op, "description",
	    json_string(arena_printf(m, OA_TR(o, "Rôles autorisés : %s.", "Allowed roles: %s."),
				     oa_roles(o, &n->f->access.create))));
	json_t *body = oa_request_body(oa_fields_body(o, n->fields), true);
	if (form_has_files(n->f))
		oa_multipart(body);
	json_object_set_new(op, "requestBody", body);
	oa_add_response(op, 201,
			oa_record_response(
			    o, n->rec, OA_TR(o, "Enregistrement créé.", "Record created."), true));
}

/* A 200 whose body is text of the given media type. */
static json_t *oa_text_response(const char *description, const char *media)
{
	json_t *r = json_object(), *content = json_object(), *m = json_object();
	json_object_set_new(r, "description", json_string(description));
	json_object_set_new(m, "schema", oa_type("string"));
	json_object_set_new(content, media, m);
	json_object_set_new(r, "content", content);
	return r;
}

/* GET .../export.csv, .../export.jsonl (the list's query, every page) and .../schema.json. */
/* GET …/records/{id}/files/{field}: one operation per form with file fields. */
static void oa_file_op(oa_doc *o, const oa_names *n)
{
	if (!form_has_files(n->f))
		return;
	arena *m = &o->r->mem;
	json_t *op = oa_operation(
	    o,
	    arena_printf(m, "/api/v1/apps/%s/%s/records/{id}/files/{field}", n->app->id, n->f->id),
	    "get", n->app->id, arena_printf(m, "%s_file", n->opid),
	    arena_printf(m, OA_TR(o, "Télécharger un fichier : %s", "Download a file: %s"),
			 n->f->title),
	    (const int[]){401, 404, 500, 503, 0});
	json_t *names = json_array();
	for (size_t i = 0; i < n->f->ncols; i++)
		if (n->f->cols[i]->type == FT_FILE)
			json_array_append_new(names, json_string(n->f->cols[i]->name));
	json_t *ps = json_array();
	json_array_append_new(ps, oa_param("id", "path", true, NULL, oa_type("integer")));
	json_array_append_new(ps,
			      oa_param("field", "path", true, NULL,
				       json_pack("{s:s, s:o}", "type", "string", "enum", names)));
	json_object_set_new(op, "parameters", ps);
	json_object_set_new(
	    op, "description",
	    json_string(OA_TR(o,
			      "Le contenu, avec le type lu à son dépôt, en pièce "
			      "jointe ; pour qui peut lire ce champ de cet "
			      "enregistrement (404 sinon).",
			      "The content, with the type read when it was sent, as an "
			      "attachment; for those who may read this field of this "
			      "record (404 otherwise).")));
	oa_add_response(
	    op, 200,
	    oa_text_response(OA_TR(o, "Le fichier.", "The file."), "application/octet-stream"));
}

static void oa_export_ops(oa_doc *o, const oa_names *n)
{
	arena *m = &o->r->mem;
	const char *dir = arena_printf(m, "/api/v1/apps/%s/%s", n->app->id, n->f->id);
	static const struct {
		const char *file, *verb, *media, *fr, *en;
	} ex[] = {
	    {"export.csv", "export_csv", "text/csv",
	     "Tous les enregistrements de la liste, pour un tableur français : UTF-8 avec BOM, "
	     "« ; », CRLF, libellés en tête, virgule décimale, JJ/MM/AAAA.",
	     "Every record of the list, for French spreadsheets: UTF-8 with a BOM, ';', CRLF, "
	     "labels as header, decimal comma, DD/MM/YYYY."},
	    {"export.jsonl", "export_jsonl", "application/jsonl",
	     "Tous les enregistrements de la liste, un par ligne, comme l'API les écrit.",
	     "Every record of the list, one a line, as the API writes them."},
	};
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
		json_t *op = oa_operation(
		    o, arena_printf(m, "%s/%s", dir, ex[i].file), "get", n->app->id,
		    arena_printf(m, "%s_%s", n->opid, ex[i].verb),
		    arena_printf(m, OA_TR(o, "Exporter : %s", "Export: %s"), n->f->title),
		    (const int[]){400, 401, 403, 500, 503, 0});
		json_t *ps = oa_list_params(o, n->f, n->who), *kept = json_array();
		for (size_t k = 0; k < json_array_size(ps); k++) {
			const char *pn =
			    json_string_value(json_object_get(json_array_get(ps, k), "name"));
			if (strcmp(pn, "limit") != 0 && strcmp(pn, "after") != 0)
				json_array_append(kept, json_array_get(ps, k));
		}
		json_decref(ps);
		json_array_append_new(
		    kept, oa_param("open_data", "query", false,
				   OA_TR(o,
					 "Données ouvertes : sans les champs personnels, privés ni "
					 "fichiers, ni les personnes (administrateurs et rôles qui "
					 "lisent tous les enregistrements).",
					 "Open data: without personal, private or file fields, nor "
					 "the people (admins and roles that read every record)."),
				   oa_type("boolean")));
		json_t *reps = json_array();
		for (size_t c = 0; i == 0 && c < n->f->ncols; c++)
			if (n->f->cols[c]->type == FT_REPEAT &&
			    access_can_read_col(n->f->cols[c], n->who))
				json_array_append_new(reps, json_string(n->f->cols[c]->name));
		if (json_array_size(reps))
			json_array_append_new(
			    kept,
			    oa_param("lines", "query", false,
				     OA_TR(o,
					   "Une ligne du CSV par ligne de ce groupe (repeat) : "
					   "N°, Ligne, puis ses champs.",
					   "A CSV row per line of this group (repeat): N°, "
					   "Ligne, then its fields."),
				     json_pack("{s:s, s:O}", "type", "string", "enum", reps)));
		json_decref(reps);
		json_object_set_new(op, "parameters", kept);
		json_object_set_new(op, "description", json_string(OA_TR(o, ex[i].fr, ex[i].en)));
		oa_add_response(op, 200,
				oa_text_response(OA_TR(o, "L'export, envoyé au fil de l'eau.",
						       "The export, streamed."),
						 ex[i].media));
	}
	json_t *op = oa_operation(
	    o, arena_printf(m, "%s/schema.json", dir), "get", n->app->id,
	    arena_printf(m, "%s_schema", n->opid),
	    arena_printf(m, OA_TR(o, "Schéma des données ouvertes : %s", "Open data schema: %s"),
			 n->f->title),
	    (const int[]){401, 403, 500, 0});
	oa_add_response(
	    op, 200,
	    oa_response(OA_TR(o,
			      "Le Table Schema (frictionless) de l'export en données "
			      "ouvertes.",
			      "The Table Schema (frictionless) of the open data export."),
			oa_type("object")));
}

/* GET, PATCH, DELETE on .../records/{id}, and its history. */
static void oa_item_ops(oa_doc *o, const oa_names *n)
{
	arena *m = &o->r->mem;
	json_t *op = oa_operation(o, n->one, "get", n->app->id, arena_printf(m, "%s_get", n->opid),
				  arena_printf(m, OA_TR(o, "Lire : %s", "Read: %s"), n->f->title),
				  (const int[]){401, 404, 500, 0});
	oa_add_response(
	    op, 200,
	    oa_record_response(o, n->rec, OA_TR(o, "L'enregistrement.", "The record."), false));
	op = oa_operation(o, n->one, "patch", n->app->id, arena_printf(m, "%s_update", n->opid),
			  arena_printf(m, OA_TR(o, "Modifier : %s", "Update: %s"), n->f->title),
			  (const int[]){400, 401, 403, 404, 409, 413, 415, 422, 500, 503, 0});
	json_t *hp = json_array();
	json_array_append_new(
	    hp, oa_param("If-Match", "header", false,
			 OA_TR(o, "Version attendue (\"3\") ; une autre version donne 409.",
			       "Expected version (\"3\"); another version answers 409."),
			 oa_type("string")));
	json_object_set_new(op, "parameters", hp);
	json_t *body = oa_request_body(oa_fields_body(o, n->patch), true);
	if (form_has_files(n->f))
		oa_multipart(body);
	json_object_set_new(op, "requestBody", body);
	oa_add_response(op, 200,
			oa_record_response(o, n->rec,
					   OA_TR(o, "Enregistrement modifié.", "Record updated."),
					   false));
	op = oa_operation(o, n->one, "delete", n->app->id, arena_printf(m, "%s_delete", n->opid),
			  arena_printf(m, OA_TR(o, "Supprimer : %s", "Delete: %s"), n->f->title),
			  (const int[]){401, 403, 404, 500, 0});
	oa_add_response(op, 204, oa_response(OA_TR(o, "Supprimé.", "Deleted."), NULL));
	const char *hist = arena_printf(m, "%s/history", n->one);
	op = oa_operation(o, hist, "get", n->app->id, arena_printf(m, "%s_history", n->opid),
			  arena_printf(m, OA_TR(o, "Historique : %s", "History: %s"), n->f->title),
			  (const int[]){401, 404, 500, 0});
	oa_add_response(op, 200,
			oa_response(OA_TR(o, "Lignes d'historique.", "History lines."),
				    oa_array_of(o, "history", "HistoryLine", NULL)));
	json_object_set(json_object_get(o->paths, hist), "parameters", n->idp);
}

/* POST .../records/{id}/transitions/<t>, with its body's schema. */
static void oa_transition_op(oa_doc *o, const oa_names *n, const def_transition *t)
{
	arena *m = &o->r->mem;
	const char *ts = arena_printf(m, "%s.Transition.%s", n->pre, t->id);
	json_object_set_new(o->schemas, ts, oa_transition_schema(o, t, n->who));
	const char *tp = arena_printf(m, "%s/transitions/%s", n->one, t->id);
	json_t *op = oa_operation(
	    o, tp, "post", n->app->id, arena_printf(m, "%s_transition_%s", n->opid, t->id),
	    arena_printf(m, "%s (%s → %s)", t->label, oa_join(o, &t->from), t->to),
	    (const int[]){400, 401, 403, 404, 409, 413, 415, 422, 500, 503, 0});
	const char *d = arena_printf(m, OA_TR(o, "Rôles autorisés : %s.", "Allowed roles: %s."),
				     oa_roles(o, &t->roles));
	if (t->after_days >= 0)
		d = arena_printf(m,
				 OA_TR(o, "%s Automatique après %d jours dans l'état.",
				       "%s Automatic after %d days in the state."),
				 d, t->after_days);
	json_object_set_new(op, "description", json_string(d));
	json_t *tsch = json_object_get(o->schemas, ts);
	oa_add_response(op, 200,
			oa_record_response(o, n->rec,
					   OA_TR(o, "Enregistrement après la transition.",
						 "The record after the transition."),
					   false));
	json_object_set_new(
	    op, "requestBody",
	    oa_request_body(oa_ref(o, "schemas", ts), json_object_get(tsch, "required") != NULL));
	json_object_set(json_object_get(o->paths, tp), "parameters", n->idp);
}

/* A draft (SPEC 4.2 `drafts`): its values as typed, text for what did not parse. */
static json_t *oa_draft_schema(oa_doc *o)
{
	json_t *s = oa_type("object"), *p = json_object(), *reqd = json_array();
	static const char *const names[] = {"id",	  "form",	"step",	  "created_at",
					    "updated_at", "expires_at", "fields", NULL};
	json_object_set_new(p, "id", oa_type("integer"));
	json_object_set_new(p, "form", oa_type("string"));
	json_object_set_new(p, "step", oa_type("integer"));
	json_object_set_new(p, "created_at", oa_type("string"));
	json_object_set_new(p, "updated_at", oa_type("string"));
	json_object_set_new(p, "expires_at", oa_type("string"));
	json_t *fields = oa_type("object");
	oa_describe(
	    o, fields,
	    OA_TR(o,
		  "Les valeurs saisies, sous leur forme de l'API ; une valeur qui ne se lit "
		  "pas selon son type reste le texte saisi.",
		  "The values typed, in their API form; a value that does not read as its "
		  "type stays the text typed."));
	json_object_set_new(p, "fields", fields);
	json_t *token = oa_type("string");
	oa_describe(o, token,
		    OA_TR(o,
			  "Brouillon anonyme, à sa création seulement : la clé de son lien "
			  "de reprise, donnée une fois.",
			  "An anonymous draft, when made only: the key of its resume link, "
			  "given once."));
	json_object_set_new(p, "token", token);
	json_object_set_new(p, "resume_url", oa_type("string"));
	for (size_t i = 0; names[i]; i++)
		json_array_append_new(reqd, json_string(names[i]));
	json_object_set_new(s, "properties", p);
	json_object_set_new(s, "required", reqd);
	return s;
}

/* GET/POST …/drafts, GET/PUT/DELETE …/drafts/{key}, POST …/drafts/{key}/submit. */
static void oa_draft_ops(oa_doc *o, const oa_names *n)
{
	if (n->f->drafts_days <= 0)
		return;
	arena *m = &o->r->mem;
	const char *ds = arena_printf(m, "%s.Draft", n->pre);
	json_object_set_new(o->schemas, ds, oa_draft_schema(o));
	const char *base = arena_printf(m, "/api/v1/apps/%s/%s/drafts", n->app->id, n->f->id);
	const char *one = arena_printf(m, "%s/{key}", base);
	const char *sub = arena_printf(m, "%s/submit", one);
	json_t *body = oa_type("object"), *bp = json_object();
	json_object_set_new(bp, "fields", oa_type("object"));
	json_object_set_new(bp, "step", oa_type("integer"));
	json_object_set_new(body, "properties", bp);
	json_t *op = oa_operation(
	    o, base, "get", n->app->id, arena_printf(m, "%s_drafts", n->opid),
	    arena_printf(m, OA_TR(o, "Mes brouillons : %s", "My drafts: %s"), n->f->title),
	    (const int[]){401, 403, 404, 500, 0});
	oa_add_response(
	    op, 200,
	    oa_response(OA_TR(o, "Les brouillons de l'appelant.", "The caller's drafts."),
			oa_array_of(o, "drafts", ds, NULL)));
	op = oa_operation(
	    o, base, "post", n->app->id, arena_printf(m, "%s_draft_create", n->opid),
	    arena_printf(m, OA_TR(o, "Enregistrer un brouillon : %s", "Save a draft: %s"),
			 n->f->title),
	    (const int[]){400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 0});
	json_object_set_new(
	    op, "description",
	    json_string(arena_printf(
		m,
		OA_TR(o,
		      "Sans contrôle des champs obligatoires ni des formats ; conservé %d jours "
		      "après le dernier enregistrement. Un brouillon n'est pas un "
		      "enregistrement (ni liste, ni export, ni statistiques).",
		      "No check of required fields or formats; kept %d days after its last "
		      "save. A draft is no record (no list, export or stats)."),
		n->f->drafts_days)));
	json_object_set_new(op, "requestBody", oa_request_body(json_incref(body), true));
	oa_add_response(op, 201,
			oa_response(OA_TR(o, "Brouillon enregistré.", "Draft saved."),
				    oa_ref(o, "schemas", ds)));
	json_t *kp = json_array();
	json_array_append_new(
	    kp, oa_param("key", "path", true,
			 OA_TR(o, "L'id du brouillon, ou la clé de son lien (anonyme).",
			       "The draft's id, or its link's key (anonymous)."),
			 oa_type("string")));
	op = oa_operation(
	    o, one, "get", n->app->id, arena_printf(m, "%s_draft_get", n->opid),
	    arena_printf(m, OA_TR(o, "Lire un brouillon : %s", "Read a draft: %s"), n->f->title),
	    (const int[]){401, 403, 404, 500, 0});
	oa_add_response(
	    op, 200,
	    oa_response(OA_TR(o, "Le brouillon.", "The draft."), oa_ref(o, "schemas", ds)));
	op = oa_operation(o, one, "put", n->app->id, arena_printf(m, "%s_draft_update", n->opid),
			  arena_printf(m,
				       OA_TR(o, "Enregistrer de nouveau un brouillon : %s",
					     "Save a draft again: %s"),
				       n->f->title),
			  (const int[]){400, 401, 403, 404, 413, 415, 422, 500, 503, 0});
	json_object_set_new(op, "requestBody", oa_request_body(body, true));
	oa_add_response(op, 200,
			oa_response(OA_TR(o, "Brouillon enregistré.", "Draft saved."),
				    oa_ref(o, "schemas", ds)));
	op = oa_operation(
	    o, one, "delete", n->app->id, arena_printf(m, "%s_draft_delete", n->opid),
	    arena_printf(m, OA_TR(o, "Supprimer un brouillon : %s", "Delete a draft: %s"),
			 n->f->title),
	    (const int[]){401, 403, 404, 500, 0});
	oa_add_response(op, 204, oa_response(OA_TR(o, "Supprimé.", "Deleted."), NULL));
	json_object_set_new(json_object_get(o->paths, one), "parameters", json_incref(kp));
	op = oa_operation(
	    o, sub, "post", n->app->id, arena_printf(m, "%s_draft_submit", n->opid),
	    arena_printf(m, OA_TR(o, "Envoyer un brouillon : %s", "Send a draft: %s"), n->f->title),
	    (const int[]){401, 403, 404, 409, 422, 429, 500, 503, 0});
	json_object_set_new(
	    op, "description",
	    json_string(OA_TR(o,
			      "Crée l'enregistrement avec les valeurs du brouillon, par le même "
			      "chemin qu'une création ; le brouillon est supprimé avec. En cas "
			      "d'erreurs (422), il est gardé.",
			      "Creates the record from the draft's values, by the same path as "
			      "a create; the draft is deleted with it. On errors (422) it is "
			      "kept.")));
	oa_add_response(op, 201,
			oa_record_response(
			    o, n->rec, OA_TR(o, "Enregistrement créé.", "Record created."), true));
	json_object_set_new(json_object_get(o->paths, sub), "parameters", kp);
}

/* Every operation and schema of one form, as this caller may use it. */
static void oa_form(oa_doc *o, const def_app *app, const def_form *f, const actor *who)
{
	arena *m = &o->r->mem;
	oa_names n = {.app = app, .f = f, .who = who};
	n.pre = arena_printf(m, "%s.%s", app->id, f->id);
	n.rec = arena_printf(m, "%s.Record", n.pre);
	n.fields = arena_printf(m, "%s.Fields", n.pre);
	n.patch = arena_printf(m, "%s.FieldsPatch", n.pre);
	n.base = arena_printf(m, "/api/v1/apps/%s/%s/records", app->id, f->id);
	n.one = arena_printf(m, "%s/{id}", n.base);
	n.opid = arena_printf(m, "%s_%s", app->id, f->id);
	json_object_set_new(o->schemas, n.rec, oa_record_schema(o, f, who));
	json_object_set_new(o->schemas, n.fields,
			    oa_input_schema(o, f->fields, f->nfields, who, true, f->title));
	json_object_set_new(o->schemas, n.patch,
			    oa_input_schema(o, f->fields, f->nfields, who, false, f->title));
	oa_collection_ops(o, &n);
	oa_export_ops(o, &n);
	oa_file_op(o, &n);
	n.idp = json_array();
	json_t *ids = oa_type("integer");
	json_object_set_new(ids, "minimum", json_integer(0));
	json_array_append_new(n.idp, oa_param("id", "path", true, NULL, ids));
	json_t *item = json_object();
	json_object_set_new(item, "parameters", n.idp);
	json_object_set_new(o->paths, n.one, item);
	oa_item_ops(o, &n);
	for (size_t i = 0; f->workflow && i < f->workflow->ntransitions; i++)
		oa_transition_op(o, &n, &f->workflow->transitions[i]);
	oa_draft_ops(o, &n);
}

/* GET /api/v1/apps/<app>/stats: the dashboard (the Stats schema). */
static void oa_stats_op(oa_doc *o, const def_app *app)
{
	arena *m = &o->r->mem;
	json_t *op = oa_operation(
	    o, arena_printf(m, "/api/v1/apps/%s/stats", app->id), "get", app->id,
	    arena_printf(m, "%s_stats", app->id),
	    arena_printf(m, OA_TR(o, "Tableau de bord : %s", "Dashboard: %s"), app->title),
	    (const int[]){401, 403, 405, 500, 503, 0});
	json_object_set_new(
	    op, "description",
	    json_string(OA_TR(o,
			      "Les formulaires dont l'appelant lit tous les enregistrements (tous "
			      "pour un administrateur) ; 403 s'il n'y en a aucun.",
			      "The forms whose every record the caller reads (all for an admin); "
			      "403 when there is none.")));
	oa_add_response(
	    op, 200,
	    oa_response(OA_TR(o, "Les chiffres.", "The figures."), oa_ref(o, "schemas", "Stats")));
}

/* components: securitySchemes, responses, and the schemas every app shares. */
/* HistoryLine: history_json */
static void oa_history_schema(oa_doc *o)
{
	json_t *reqd;
	json_t *hl = oa_type("object"), *hp = json_object();
	json_t *at = oa_type("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(hp, "at", at);
	json_object_set_new(hp, "actor", oa_type_or_null("string"));
	json_object_set_new(hp, "action", oa_type("string"));
	json_object_set_new(hp, "from", oa_type("string"));
	json_object_set_new(hp, "to", oa_type("string"));
	json_object_set_new(hp, "transition", oa_type("string"));
	json_object_set_new(hp, "comment", oa_type("string"));
	json_t *ch = oa_type("object"), *pair = oa_type("array");
	json_object_set_new(pair, "minItems", json_integer(2));
	json_object_set_new(pair, "maxItems", json_integer(2));
	json_object_set_new(ch, "additionalProperties", pair);
	json_object_set_new(
	    ch, "description",
	    json_string(OA_TR(o, "Champ → [avant, après], champs lisibles seulement.",
			      "Field → [before, after], readable fields only.")));
	json_object_set_new(hp, "changes", ch);
	json_object_set_new(hl, "properties", hp);
	reqd = json_array();
	json_array_append_new(reqd, json_string("at"));
	json_array_append_new(reqd, json_string("actor"));
	json_array_append_new(reqd, json_string("action"));
	json_array_append_new(reqd, json_string("changes"));
	json_object_set_new(hl, "required", reqd);
	json_object_set_new(o->schemas, "HistoryLine", hl);
}

/* GET /api/v1/geo/<kind>: public reference data, its parameters as api_geo.c reads them. */
static void oa_geo_ops(oa_doc *o)
{
	static const struct {
		const char *kind, *fr, *en;
		bool departement, region, deleguees;
	} kinds[] = {
	    {"communes", "Communes", "Communes", true, true, true},
	    {"departements", "Départements", "Départements", false, true, false},
	    {"regions", "Régions", "Regions", false, false, false},
	    {"epcis", "EPCI (intercommunalités)", "EPCI (groupings of communes)", true, true,
	     false},
	};
	json_t *entry = oa_type("object"), *props = json_object();
	static const char *const strings[] = {"code", "name", "label", "type", "departement"};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
		json_object_set_new(props, strings[i], oa_type("string"));
	json_object_set_new(props, "region", oa_type_or_null("string"));
	json_object_set_new(props, "epci", oa_type_or_null("string"));
	json_object_set_new(
	    props, "postal_codes",
	    json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string"));
	json_object_set_new(
	    props, "departements",
	    json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string"));
	json_object_set_new(entry, "properties", props);
	json_object_set_new(entry, "required", json_pack("[s, s, s]", "code", "name", "label"));
	json_object_set_new(o->schemas, "GeoEntry", entry);
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		json_t *op = oa_operation(
		    o, arena_printf(&o->r->mem, "/api/v1/geo/%s", kinds[i].kind), "get", NULL,
		    arena_printf(&o->r->mem, "geo_%s", kinds[i].kind),
		    OA_TR(o, kinds[i].fr, kinds[i].en), (const int[]){400, 404, 405, 500, 0});
		json_object_set_new(
		    op, "description",
		    json_string(OA_TR(
			o,
			"Découpage administratif officiel (@etalab/decoupage-administratif) : les "
			"entrées dont le code, le code postal (communes) ou le nom (sans casse ni "
			"accents, noms exacts d'abord, puis ceux qui commencent ainsi) correspond "
			"à q. "
			"Public, sans authentification.",
			"Official administrative divisions (@etalab/decoupage-administratif): the "
			"entries whose code, postal code (communes) or name (case and accents "
			"aside, "
			"exact names first, then those that start so) matches q. Public, no "
			"authentication.")));
		json_object_set_new(op, "security", json_pack("[{}]"));
		json_t *ps = json_array(), *s = oa_type("string");
		json_object_set_new(s, "minLength", json_integer(1));
		json_object_set_new(s, "maxLength", json_integer(GEO_TEXT_MAX));
		json_array_append_new(ps, oa_param("q", "query", true,
						   OA_TR(o, "Un nom, un code ou un code postal.",
							 "A name, a code or a postal code."),
						   s));
		if (kinds[i].departement)
			json_array_append_new(ps, oa_param("departement", "query", false,
							   OA_TR(o, "Dans ce département (ex. 34).",
								 "In this département (e.g. 34)."),
							   oa_type("string")));
		if (kinds[i].region)
			json_array_append_new(ps, oa_param("region", "query", false,
							   OA_TR(o, "Dans cette région (ex. 76).",
								 "In this region (e.g. 76)."),
							   oa_type("string")));
		if (kinds[i].deleguees)
			json_array_append_new(
			    ps,
			    oa_param("deleguees", "query", false,
				     OA_TR(o,
					   "Aussi les communes déléguées, associées et les "
					   "arrondissements municipaux.",
					   "Also delegated and associated communes and municipal "
					   "arrondissements."),
				     oa_type("boolean")));
		s = oa_type("integer");
		json_object_set_new(s, "minimum", json_integer(1));
		json_object_set_new(s, "maximum", json_integer(50));
		json_object_set_new(s, "default", json_integer(20));
		json_array_append_new(
		    ps, oa_param("limit", "query", false,
				 OA_TR(o, "Nombre de réponses.", "Number of answers."), s));
		json_object_set_new(op, "parameters", ps);
		json_t *res = oa_type("object"), *rp = json_object();
		json_object_set_new(rp, "results",
				    json_pack("{s:s, s:o}", "type", "array", "items",
					      oa_ref(o, "schemas", "GeoEntry")));
		json_object_set_new(rp, "source", oa_type("string"));
		json_object_set_new(res, "properties", rp);
		oa_add_response(op, 200,
				oa_response(OA_TR(o, "{\"results\": [...], \"source\": \"...\"}",
						  "{\"results\": [...], \"source\": \"...\"}"),
					    res));
	}
}

static json_t *oa_components(oa_doc *o)
{
	json_t *c = json_object(), *sec = json_object();
	json_t *bearer = json_object();
	json_object_set_new(bearer, "type", json_string("http"));
	json_object_set_new(bearer, "scheme", json_string("bearer"));
	json_object_set_new(bearer, "description",
			    json_string(OA_TR(o, "Jeton créé par `smallapps token create <login>`.",
					      "Token made by `smallapps token create <login>`.")));
	json_object_set_new(sec, "bearerAuth", bearer);
	json_t *cookie = json_object();
	json_object_set_new(cookie, "type", json_string("apiKey"));
	json_object_set_new(cookie, "in", json_string("cookie"));
	json_object_set_new(cookie, "name", json_string("sa_session"));
	json_object_set_new(
	    cookie, "description",
	    json_string(OA_TR(o,
			      "Cookie de session posé par /login. Toute requête autre que GET "
			      "ou HEAD doit aussi porter l'en-tête X-CSRF-Token avec le jeton "
			      "CSRF de la session (celui des formulaires des pages), sinon 403.",
			      "Session cookie set by /login. Every request other than GET or "
			      "HEAD must also carry the X-CSRF-Token header with the session's "
			      "CSRF token (the one in the pages' forms), else 403.")));
	json_object_set_new(sec, "cookieAuth", cookie);
	json_object_set_new(c, "securitySchemes", sec);

	json_t *resp = json_object();
	for (size_t i = 0; i < sizeof oa_errors / sizeof *oa_errors; i++)
		json_object_set_new(resp, oa_errors[i].name,
				    oa_response(OA_TR(o, oa_errors[i].fr, oa_errors[i].en),
						oa_ref(o, "schemas", "Error")));
	json_object_set_new(c, "responses", resp);

	/* Error: SPEC 7's {"error": {"code", "message", "fields"?, "id"?}} */
	json_t *e = oa_type("object"), *ep = json_object(), *codes = json_array();
	size_t ncodes;
	const api_error_text *codes_v = api_error_texts(&ncodes);
	for (size_t i = 0; i < ncodes; i++)
		json_array_append_new(codes, json_string(codes_v[i].code));
	json_t *code = oa_type("string");
	json_object_set_new(code, "enum", codes);
	json_object_set_new(ep, "code", code);
	json_t *msg = oa_type("string");
	json_object_set_new(
	    msg, "description",
	    json_string(OA_TR(o, "Dans la langue de la requête.", "In the request's language.")));
	json_object_set_new(ep, "message", msg);
	json_t *fm = oa_type("object");
	json_object_set_new(fm, "additionalProperties", oa_type("string"));
	json_object_set_new(
	    fm, "description",
	    json_string(OA_TR(o, "422 : un message par champ.", "422: one message per field.")));
	json_object_set_new(ep, "fields", fm);
	json_t *eid = oa_type("string");
	json_object_set_new(eid, "description",
			    json_string(OA_TR(o, "500 : identifiant aussi écrit dans le journal.",
					      "500: id also written to the log.")));
	json_object_set_new(ep, "id", eid);
	json_object_set_new(e, "properties", ep);
	json_t *reqd = json_array();
	json_array_append_new(reqd, json_string("code"));
	json_array_append_new(reqd, json_string("message"));
	json_object_set_new(e, "required", reqd);
	json_t *err = oa_type("object"), *errp = json_object();
	json_object_set_new(errp, "error", e);
	json_object_set_new(err, "properties", errp);
	reqd = json_array();
	json_array_append_new(reqd, json_string("error"));
	json_object_set_new(err, "required", reqd);
	json_object_set_new(o->schemas, "Error", err);

	oa_history_schema(o);
	openapi_gov_schemas(o->schemas, o->r->lg);
	json_object_set_new(c, "schemas", o->schemas);
	return c;
}

void openapi_get(req *r)
{
	oa_doc o = {.r = r,
		    .paths = json_object(),
		    .schemas = json_object(),
		    .tags = json_array(),
		    .opids = json_object()};
	json_t *doc = json_object();
	json_object_set_new(doc, "openapi", json_string("3.1.0"));
	json_t *info = json_object();
	json_object_set_new(info, "title", json_string("smallapps"));
	json_object_set_new(info, "version", json_string("1"));
	json_object_set_new(
	    info, "description",
	    json_string(OA_TR(&o, "API JSON des applications chargées que l'appelant peut voir.",
			      "JSON API of the loaded apps the caller may see.")));
	json_object_set_new(doc, "info", info);
	json_t *servers = json_array(), *srv = json_object();
	json_object_set_new(srv, "url", json_string(r->env->base_url));
	json_array_append_new(servers, srv);
	json_object_set_new(doc, "servers", servers);
	/* Either credential, or none: public forms take anonymous callers. */
	json_t *security = json_array(), *s1 = json_object(), *s2 = json_object();
	json_object_set_new(s1, "bearerAuth", json_array());
	json_object_set_new(s2, "cookieAuth", json_array());
	json_array_append_new(security, s1);
	json_array_append_new(security, s2);
	json_array_append_new(security, json_object());
	json_object_set_new(doc, "security", security);
	json_object_set_new(doc, "components", oa_components(&o));

	json_t *op = oa_operation(&o, "/api/v1/apps", "get", NULL, "apps_list",
				  OA_TR(&o, "Applications visibles", "Visible apps"),
				  (const int[]){401, 500, 0});
	oa_add_response(
	    op, 200,
	    oa_response(OA_TR(&o, "{\"apps\": [...]}", "{\"apps\": [...]}"), oa_type("object")));
	op = oa_operation(&o, "/api/v1/openapi.json", "get", NULL, "openapi",
			  OA_TR(&o, "Ce document", "This document"),
			  (const int[]){401, 405, 500, 0});
	oa_add_response(op, 200, oa_response("OpenAPI 3.1", oa_type("object")));
	op = oa_operation(
	    &o, "/api/v1/registre", "get", NULL, "registre",
	    OA_TR(&o, "Registre des traitements (RGPD)", "Record of processing activities (GDPR)"),
	    (const int[]){401, 403, 405, 500, 0});
	json_object_set_new(
	    op, "description",
	    json_string(OA_TR(&o, "Administrateurs seulement.", "Administrators only.")));
	oa_add_response(op, 200,
			oa_response(OA_TR(&o, "Le registre.", "The register."),
				    oa_ref(&o, "schemas", "Registre")));
	oa_geo_ops(&o);

	app_rt **apps;
	size_t n = registry_list(r->env->reg, &apps);
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		actor who;
		uc_actor(r->env, &r->user, app->id, &r->mem, &who);
		if (api_app_visible(app, &who)) {
			json_t *tag = json_object();
			json_object_set_new(tag, "name", json_string(app->id));
			json_object_set_new(tag, "description", json_string(app->title));
			json_array_append_new(o.tags, tag);
			op = oa_operation(
			    &o, arena_printf(&r->mem, "/api/v1/apps/%s", app->id), "get", app->id,
			    arena_printf(&r->mem, "%s_describe", app->id),
			    arena_printf(&r->mem, OA_TR(&o, "Description : %s", "Description: %s"),
					 app->title),
			    (const int[]){401, 404, 500, 0});
			oa_add_response(
			    op, 200,
			    oa_response(OA_TR(&o, "Formulaires, champs, états, transitions.",
					      "Forms, fields, states, transitions."),
					oa_type("object")));
			oa_stats_op(&o, app);
			for (size_t k = 0; k < app->nforms; k++)
				oa_form(&o, app, &app->forms[k], &who);
		}
		registry_release(apps[i]);
	}
	free(apps);
	json_object_set_new(doc, "tags", o.tags);
	json_object_set_new(doc, "paths", o.paths);
	json_decref(o.opids);
	req_json(r, 200, doc);
}
