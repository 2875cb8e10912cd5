/*
 * openapi_gov — the schemas of the governance answers in the OpenAPI document
 * (openapi.c): the dashboard (api_stats) and the GDPR register (api_registre), as
 * api_gov.c writes them. Only the JSON Schema keywords the rest of the document uses.
 */
#include "openapi.h"

#include <stdio.h>

#define TR(lg, fr, en) ((lg) == LANG_EN ? (en) : (fr))

static json_t *type(const char *t)
{
	return json_pack("{s:s}", "type", t);
}

static json_t *type_or_null(const char *t)
{
	return json_pack("{s:[s,s]}", "type", t, "null");
}

static json_t *ref(const char *name)
{
	char r[128];
	snprintf(r, sizeof r, "#/components/schemas/%s", name);
	return json_pack("{s:s}", "$ref", r);
}

/* An object with these properties (stolen), all required, nothing else. */
static json_t *object(json_t *props, const char *description)
{
	json_t *o = type("object"), *need = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(props, k, v) json_array_append_new(need, json_string(k));
	json_object_set_new(o, "properties", props);
	json_object_set_new(o, "required", need);
	json_object_set_new(o, "additionalProperties", json_false());
	if (description)
		json_object_set_new(o, "description", json_string(description));
	return o;
}

/* {"type": "object", "additionalProperties": values} (values stolen). */
static json_t *map_of(json_t *values, const char *description)
{
	json_t *o = type("object");
	json_object_set_new(o, "additionalProperties", values);
	json_object_set_new(o, "description", json_string(description));
	return o;
}

static json_t *days(lang lg)
{
	json_t *d = type_or_null("number");
	json_object_set_new(d, "description",
			    json_string(TR(lg, "Jours, une décimale ; null sans durée.",
					   "Days, one decimal; null without durations.")));
	return d;
}

static json_t *month_count(void)
{
	json_t *m = type("string");
	json_object_set_new(m, "pattern", json_string("^[0-9]{4}-[0-9]{2}$"));
	return object(json_pack("{s:o,s:o}", "month", m, "count", type("integer")), NULL);
}

static void stats_schemas(json_t *schemas, lang lg)
{
	json_object_set_new(schemas, "Duration",
			    object(json_pack("{s:o,s:o,s:o}", "count", type("integer"), "median",
					     days(lg), "p90", days(lg)),
				   TR(lg, "Médiane et 90e centile au rang le plus proche.",
				      "Median and 90th percentile by nearest rank.")));
	json_t *months = type("array");
	json_object_set_new(months, "items", month_count());
	json_object_set_new(months, "minItems", json_integer(12));
	json_object_set_new(months, "maxItems", json_integer(12));
	json_object_set_new(
	    months, "description",
	    json_string(TR(lg, "Les 12 mois jusqu'au mois courant (heure de Paris).",
			   "The 12 months up to the current one (Paris time).")));
	json_t *props = json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "total", type("integer"), "overdue", type("integer"),
	    "by_state",
	    map_of(type("integer"), TR(lg, "État → enregistrements.", "State → records.")),
	    "by_month", months, "time_in_state_days",
	    map_of(ref("Duration"), TR(lg, "État non final → séjours terminés.",
				       "Non-final state → completed stays.")),
	    "time_to_final_days", ref("Duration"), "by_choice",
	    map_of(map_of(type("integer"), TR(lg, "Valeur → enregistrements.", "Value → records.")),
		   TR(lg, "Champ de choix → valeurs, zéros compris.",
		      "Choice field → values, zeros included.")));
	json_object_set_new(schemas, "FormStats", object(props, NULL));
	json_t *at = type("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(
	    schemas, "Stats",
	    object(json_pack("{s:o,s:o,s:o}", "app", type("string"), "generated_at", at, "forms",
			     map_of(ref("FormStats"),
				    TR(lg, "Les formulaires dont l'appelant lit tout.",
				       "The forms whose every record the caller reads."))),
		   NULL));
}

static json_t *reader(void)
{
	json_t *scope = type("string");
	json_object_set_new(scope, "enum", json_pack("[s,s]", "all", "own"));
	return object(json_pack("{s:o,s:o,s:o}", "role", type("string"), "label", type("string"),
				"scope", scope),
		      NULL);
}

static void register_schemas(json_t *schemas, lang lg)
{
	json_t *readers = type("array");
	json_object_set_new(readers, "items", reader());
	json_t *field =
	    object(json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "form", type("string"), "form_title",
			     type("string"), "field", type("string"), "label", type("string"),
			     "type", type("string"), "readers", readers),
		   NULL);
	json_t *fields = type("array"), *recipients = type("array"), *warnings = type("array");
	json_object_set_new(fields, "items", field);
	json_object_set_new(recipients, "items", type("string"));
	json_t *w = type("string");
	json_object_set_new(w, "enum",
			    json_pack("[s,s]", "privacy_missing", "retention_days_missing"));
	json_object_set_new(warnings, "items", w);
	json_t *app =
	    object(json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "app", type("string"),
			     "title", type("string"), "owner", type_or_null("string"), "purpose",
			     type_or_null("string"), "legal_basis", type_or_null("string"),
			     "retention_days", type_or_null("integer"), "recipients", recipients,
			     "contact", type_or_null("string"), "personal_fields", fields,
			     "warnings", warnings),
		   NULL);
	json_t *apps = type("array"), *at = type("string");
	json_object_set_new(apps, "items", app);
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(
	    schemas, "Registre",
	    object(json_pack("{s:o,s:o}", "generated_at", at, "apps", apps),
		   TR(lg, "Le registre des traitements, d'après les définitions.",
		      "The record of processing activities, from the definitions.")));
}

void openapi_gov_schemas(json_t *schemas, lang lg)
{
	stats_schemas(schemas, lg);
	register_schemas(schemas, lg);
}
