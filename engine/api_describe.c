/*
 * api_describe — the API's descriptions (SPEC 7): GET /api/v1/apps, GET
 * /api/v1/apps/<app> with each form's fields, JSON Schema, states and transitions, as
 * the caller may see them. The JSON Schema of a field is shared with openapi.c.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate_geo.h"

/* A file: sent as { name, data }, read back as { name, size, type, sha256, url }. */
static void file_schema(const def_field *fd, json_t *s)
{
	json_t *p = json_object();
	json_object_set_new(p, "name", json_pack("{s:s}", "type", "string"));
	json_object_set_new(p, "data",
			    json_pack("{s:s, s:s, s:b}", "type", "string", "contentEncoding",
				      "base64", "writeOnly", 1));
	json_object_set_new(p, "size", json_pack("{s:s, s:b}", "type", "integer", "readOnly", 1));
	json_object_set_new(p, "type", json_pack("{s:s, s:b}", "type", "string", "readOnly", 1));
	json_object_set_new(p, "sha256",
			    json_pack("{s:s, s:s, s:b}", "type", "string", "pattern",
				      "^[0-9a-f]{64}$", "readOnly", 1));
	json_object_set_new(p, "url", json_pack("{s:s, s:b}", "type", "string", "readOnly", 1));
	json_object_set_new(s, "properties", p);
	json_object_set_new(s, "required", json_pack("[s]", "name"));
	if (fd->accept.n) {
		json_t *a = json_array();
		for (size_t i = 0; i < fd->accept.n; i++)
			json_array_append_new(a, json_string(fd->accept.v[i]));
		json_object_set_new(s, "x-accept", a);
	}
	if (fd->max_size >= 0)
		json_object_set_new(s, "x-max-size", json_integer(fd->max_size));
}

/* A territory: its code's pattern, and a description naming the reference data, the
 * restriction and the route that finds codes by name. */
static void geo_schema(const def_field *fd, json_t *s)
{
	static const struct {
		const char *pattern, *what, *route;
	} kinds[GEO__KINDS] = {
	    [GEO_COMMUNE] = {"^[0-9][0-9AB][0-9]{3}$", "Code INSEE d'une commune", "communes"},
	    [GEO_DEPARTEMENT] = {"^(2A|2B|[0-9]{2,3})$", "Numéro de département", "departements"},
	    [GEO_REGION] = {"^[0-9]{2}$", "Code de région", "regions"},
	    [GEO_EPCI] = {"^[0-9]{9}$", "Numéro SIREN d'un EPCI", "epcis"},
	};
	geo_kind k = validate_geo_kind(fd->type);
	json_object_set_new(s, "pattern", json_string(kinds[k].pattern));
	buf b = BUF_INIT;
	if (fd->help)
		buf_printf(&b, "%s ", fd->help);
	buf_printf(&b, "%s (découpage administratif officiel, @etalab/decoupage-administratif %s",
		   kinds[k].what, geo_version());
	if (fd->geo_departement)
		buf_printf(&b, " ; dans le département %s", fd->geo_departement);
	if (fd->geo_region)
		buf_printf(&b, " ; dans la région %s", fd->geo_region);
	if (fd->geo_deleguees)
		buf_puts(&b,
			 " ; communes déléguées, associées et arrondissements municipaux compris");
	buf_printf(&b, "). Recherche par nom : GET /api/v1/geo/%s?q=", kinds[k].route);
	json_object_set_new(s, "description", json_string(buf_cstr(&b)));
	buf_free(&b);
}

/* A reference: a record's number, and a description naming the form it belongs to. */
static void reference_schema(const def_field *fd, json_t *s)
{
	json_object_set_new(s, "minimum", json_integer(1));
	buf b = BUF_INIT;
	if (fd->help)
		buf_printf(&b, "%s ", fd->help);
	buf_printf(&b,
		   "Numéro (id) d'un enregistrement du formulaire \"%s\" (%s) que la personne "
		   "peut lire ; affiché par son champ \"%s\".",
		   fd->ref_form_id, fd->ref_form ? fd->ref_form->title : fd->ref_form_id,
		   fd->ref_label);
	json_object_set_new(s, "description", json_string(buf_cstr(&b)));
	json_object_set_new(s, "x-reference", json_string(fd->ref_form_id));
	buf_free(&b);
}

/* The JSON type of a field's value. */
static const char *json_type_of(const def_field *fd)
{
	switch (fd->type) {
	case FT_INTEGER:
	case FT_REFERENCE:
		return "integer";
	case FT_DECIMAL:
		return "number";
	case FT_BOOLEAN:
		return "boolean";
	case FT_MULTICHOICE:
	case FT_REPEAT:
		return "array";
	case FT_FILE:
		return "object";
	default:
		return "string";
	}
}

/* A repeat: an array of line objects, each sub-field as a field is. */
static void repeat_schema(const def_field *fd, json_t *s)
{
	json_t *props = json_object(), *need = json_array();
	for (size_t i = 0; i < fd->nsub; i++) {
		json_object_set_new(props, fd->sub[i].name, api_field_schema(&fd->sub[i]));
		if (fd->sub[i].required)
			json_array_append_new(need, json_string(fd->sub[i].name));
	}
	json_t *items = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
				  "additionalProperties", 0);
	if (json_array_size(need))
		json_object_set_new(items, "required", need);
	else
		json_decref(need);
	json_object_set_new(s, "items", items);
	if (fd->has_min && fd->min > 0)
		json_object_set_new(s, "minItems", json_integer((json_int_t)fd->min));
	if (fd->has_max)
		json_object_set_new(s, "maxItems", json_integer((json_int_t)fd->max));
}

json_t *api_field_schema(const def_field *fd)
{
	json_t *s = json_object();
	json_t *types = json_array();
	json_array_append_new(types, json_string(json_type_of(fd)));
	if (fd->type == FT_MONEY)
		json_array_append_new(types, json_string("number"));
	if (!fd->required)
		json_array_append_new(types, json_string("null"));
	json_object_set_new(s, "type", types);
	json_object_set_new(s, "title", json_string(fd->label));
	if (fd->help)
		json_object_set_new(s, "description", json_string(fd->help));
	switch (fd->type) {
	case FT_TEXT:
	case FT_TEXTAREA:
		if (fd->min_length >= 0)
			json_object_set_new(s, "minLength", json_integer(fd->min_length));
		if (fd->max_length >= 0)
			json_object_set_new(s, "maxLength", json_integer(fd->max_length));
		break;
	case FT_INTEGER:
	case FT_DECIMAL:
		if (fd->has_min)
			json_object_set_new(s, "minimum", json_real(fd->min));
		if (fd->has_max)
			json_object_set_new(s, "maximum", json_real(fd->max));
		break;
	case FT_MONEY:
		json_object_set_new(s, "pattern", json_string("^-?[0-9]+(\\.[0-9]{1,2})?$"));
		break;
	case FT_REFERENCE:
		reference_schema(fd, s);
		break;
	case FT_DATE:
		json_object_set_new(s, "format", json_string("date"));
		break;
	case FT_DATETIME:
		json_object_set_new(s, "format", json_string("date-time"));
		break;
	case FT_EMAIL:
		json_object_set_new(s, "format", json_string("email"));
		break;
	case FT_URL:
		json_object_set_new(s, "format", json_string("uri"));
		break;
	case FT_POSTAL_CODE:
		json_object_set_new(s, "pattern", json_string("^[0-9]{5}$"));
		break;
	case FT_SIRET:
		json_object_set_new(s, "pattern", json_string("^[0-9 ]{14,17}$"));
		break;
	case FT_SIREN:
		json_object_set_new(s, "pattern", json_string("^[0-9 ]{9,11}$"));
		break;
	case FT_FILE:
		file_schema(fd, s);
		break;
	case FT_REPEAT:
		repeat_schema(fd, s);
		break;
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		geo_schema(fd, s);
		break;
	case FT_CHOICE:
	case FT_MULTICHOICE: {
		json_t *en = json_array();
		for (size_t i = 0; i < fd->noptions; i++)
			json_array_append_new(en, json_string(fd->options[i].value));
		if (fd->type == FT_CHOICE) {
			if (!fd->required)
				json_array_append_new(en, json_null());
			json_object_set_new(s, "enum", en);
		} else {
			json_t *items = json_object();
			json_object_set_new(items, "type", json_string("string"));
			json_object_set_new(items, "enum", en);
			json_object_set_new(s, "items", items);
			json_object_set_new(s, "uniqueItems", json_true());
			if (fd->has_min)
				json_object_set_new(s, "minItems",
						    json_integer((json_int_t)fd->min));
			if (fd->has_max)
				json_object_set_new(s, "maxItems",
						    json_integer((json_int_t)fd->max));
		}
		break;
	}
	default:
		break;
	}
	if (fd->compute || fd->readonly)
		json_object_set_new(s, "readOnly", json_true());
	return s;
}

static json_t *form_schema(const def_form *f, const actor *who)
{
	json_t *s = json_object();
	json_object_set_new(s, "$schema",
			    json_string("https://json-schema.org/draft/2020-12/schema"));
	json_object_set_new(s, "title", json_string(f->title));
	json_object_set_new(s, "type", json_string("object"));
	json_t *props = json_object(), *reqd = json_array();
	for (size_t i = 0; i < f->nfields; i++) {
		const def_field *fd = &f->fields[i];
		if (!def_type_holds_data(fd->type) || !access_can_read_col(fd, who))
			continue;
		json_object_set_new(props, fd->name, api_field_schema(fd));
		if (fd->required && !def_may_hide(fd) && !fd->compute && !fd->readonly)
			json_array_append_new(reqd, json_string(fd->name));
	}
	json_object_set_new(s, "properties", props);
	json_object_set_new(s, "required", reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

json_t *api_strlist_json(const def_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *field_json(const def_field *fd)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(fd->name));
	json_object_set_new(o, "type", json_string(def_type_name(fd->type)));
	json_object_set_new(o, "label", json_string(fd->label));
	json_object_set_new(o, "required", json_boolean(fd->required));
	if (fd->help)
		json_object_set_new(o, "help", json_string(fd->help));
	if (fd->personal)
		json_object_set_new(o, "personal", json_true());
	if (fd->compute || fd->readonly)
		json_object_set_new(o, "readonly", json_true());
	if (fd->noptions) {
		json_t *opts = json_array();
		for (size_t i = 0; i < fd->noptions; i++) {
			json_t *op = json_object();
			json_object_set_new(op, "value", json_string(fd->options[i].value));
			json_object_set_new(op, "label", json_string(fd->options[i].label));
			json_array_append_new(opts, op);
		}
		json_object_set_new(o, "options", opts);
	}
	/* a territory's restriction: what to pass to /api/v1/geo/... */
	if (fd->geo_departement)
		json_object_set_new(o, "departement", json_string(fd->geo_departement));
	if (fd->geo_region)
		json_object_set_new(o, "region", json_string(fd->geo_region));
	if (fd->geo_deleguees)
		json_object_set_new(o, "deleguees", json_true());
	/* a reference's target: where to list the records it may name */
	if (fd->type == FT_REFERENCE) {
		json_object_set_new(o, "form", json_string(fd->ref_form_id));
		json_object_set_new(o, "label_field", json_string(fd->ref_label));
	}
	/* a repeat: how many lines, and the fields of one */
	if (fd->type == FT_REPEAT) {
		json_object_set_new(o, "min", json_integer((json_int_t)fd->min));
		json_object_set_new(o, "max", json_integer((json_int_t)fd->max));
		json_t *subs = json_array();
		for (size_t i = 0; i < fd->nsub; i++)
			json_array_append_new(subs, field_json(&fd->sub[i]));
		json_object_set_new(o, "fields", subs);
	}
	return o;
}

static json_t *app_summary(const def_app *app, const actor *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(app->id));
	json_object_set_new(o, "title", json_string(app->title));
	if (app->description)
		json_object_set_new(o, "description", json_string(app->description));
	if (app->owner)
		json_object_set_new(o, "owner", json_string(app->owner));
	if (app->version)
		json_object_set_new(o, "version", json_string(app->version));
	json_t *forms = json_array();
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		json_t *fo = json_object();
		json_object_set_new(fo, "id", json_string(f->id));
		json_object_set_new(fo, "title", json_string(f->title));
		json_object_set_new(fo, "can_create", json_boolean(access_can_create(f, who)));
		json_object_set_new(fo, "can_read", json_boolean(access_can_read_any(f, who)));
		json_array_append_new(forms, fo);
	}
	json_object_set_new(o, "forms", forms);
	return o;
}

bool api_app_visible(const def_app *app, const actor *who)
{
	for (size_t i = 0; i < app->nforms; i++)
		if (access_can_create(&app->forms[i], who) ||
		    access_can_read_any(&app->forms[i], who))
			return true;
	return false;
}

void api_get_apps(req *r)
{
	app_rt **apps;
	size_t n = registry_list(r->env->reg, &apps);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		actor who;
		uc_actor(r->env, &r->user, apps[i]->def->id, &r->mem, &who);
		if (api_app_visible(apps[i]->def, &who))
			json_array_append_new(arr, app_summary(apps[i]->def, &who));
		registry_release(apps[i]);
	}
	free(apps);
	json_t *body = json_object();
	json_object_set_new(body, "apps", arr);
	req_json(r, 200, body);
}

void api_get_app(req *r, const def_app *app, const actor *who)
{
	json_t *o = app_summary(app, who);
	json_t *roles = json_object();
	for (size_t i = 0; i < app->nroles; i++)
		json_object_set_new(roles, app->roles[i].id, json_string(app->roles[i].label));
	json_object_set_new(o, "roles", roles);
	json_t *forms = json_object_get(o, "forms");
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		json_t *fo = json_array_get(forms, i);
		if (f->description)
			json_object_set_new(fo, "description", json_string(f->description));
		json_t *fields = json_array();
		for (size_t k = 0; k < f->nfields; k++)
			if (def_type_holds_data(f->fields[k].type) &&
			    access_can_read_col(&f->fields[k], who))
				json_array_append_new(fields, field_json(&f->fields[k]));
		json_object_set_new(fo, "fields", fields);
		json_object_set_new(fo, "schema", form_schema(f, who));
		if (f->workflow) {
			const def_workflow *w = f->workflow;
			json_t *states = json_array(), *trans = json_array();
			for (size_t s = 0; s < w->nstates; s++) {
				json_t *so = json_object();
				json_object_set_new(so, "id", json_string(w->states[s].id));
				json_object_set_new(so, "label", json_string(w->states[s].label));
				json_object_set_new(so, "final", json_boolean(w->states[s].final));
				if (w->states[s].due_days >= 0)
					json_object_set_new(so, "due_days",
							    json_integer(w->states[s].due_days));
				json_array_append_new(states, so);
			}
			for (size_t t = 0; t < w->ntransitions; t++) {
				const def_transition *tr = &w->transitions[t];
				json_t *to = json_object();
				json_object_set_new(to, "id", json_string(tr->id));
				json_object_set_new(to, "label", json_string(tr->label));
				json_object_set_new(to, "from", api_strlist_json(&tr->from));
				json_object_set_new(to, "to", json_string(tr->to));
				json_object_set_new(to, "roles", api_strlist_json(&tr->roles));
				json_t *tf = json_array();
				for (size_t k = 0; k < tr->nfields; k++)
					json_array_append_new(tf, field_json(&tr->fields[k]));
				json_object_set_new(to, "fields", tf);
				json_object_set_new(
				    to, "comment",
				    json_string(tr->comment == COMMENT_REQUIRED	  ? "required"
						: tr->comment == COMMENT_OPTIONAL ? "optional"
										  : "none"));
				if (tr->after_days >= 0)
					json_object_set_new(to, "after_days",
							    json_integer(tr->after_days));
				json_array_append_new(trans, to);
			}
			json_t *wo = json_object();
			json_object_set_new(wo, "initial", json_string(w->initial));
			json_object_set_new(wo, "states", states);
			json_object_set_new(wo, "transitions", trans);
			json_object_set_new(fo, "workflow", wo);
		}
	}
	req_json(r, 200, o);
}
