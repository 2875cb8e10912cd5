/*
 * api_geo — GET /api/v1/geo/{communes,departements,regions,epcis}?q=… (SPEC 7): the
 * administrative divisions of geo.h as JSON, for a form's suggestions or a client that
 * has a name or a postal code and needs the code a territory field stores.
 *
 * Public reference data: anyone may ask, signed in or not, as a public form needs it.
 * A door: it reads the query and writes JSON, geo.h does the finding. Hostile input
 * first: q is required and bounded, every other parameter is checked against the kind
 * (unknown ones are 400, so a typo never widens an answer).
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "util.h"

#define GEO_API_LIMIT 20 /* answers by default */
#define GEO_API_MAX   50 /* and at most */

static const struct {
	const char *route;
	geo_kind kind;
	bool departement, region, deleguees; /* the filters that make sense for the kind */
} routes[] = {
    {"communes", GEO_COMMUNE, true, true, true},
    {"departements", GEO_DEPARTEMENT, false, true, false},
    {"regions", GEO_REGION, false, false, false},
    {"epcis", GEO_EPCI, true, true, false},
};

static const char *tr(const req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

/* One answer: what every kind has, then what its kind adds. New reference. */
static json_t *entry_json(geo_ref e)
{
	buf label = BUF_INIT;
	geo_label(e, &label);
	json_t *o = json_pack("{s:s, s:s, s:s}", "code", geo_code(e), "name", geo_name(e), "label",
			      buf_cstr(&label));
	buf_free(&label);
	geo_ref d, reg, epci;
	if (e.kind == GEO_COMMUNE) {
		json_object_set_new(o, "type", json_string(geo_commune_type(e)));
		geo_departement_of(e, &d);
		json_object_set_new(o, "departement", json_string(geo_code(d)));
	}
	if (e.kind == GEO_COMMUNE || e.kind == GEO_DEPARTEMENT)
		json_object_set_new(
		    o, "region", geo_region_of(e, &reg) ? json_string(geo_code(reg)) : json_null());
	if (e.kind == GEO_COMMUNE) {
		json_object_set_new(
		    o, "epci", geo_epci_of(e, &epci) ? json_string(geo_code(epci)) : json_null());
		json_t *cps = json_array();
		char cp[6];
		for (size_t i = 0; i < geo_postal_count(e); i++) {
			geo_postal_code(e, i, cp);
			json_array_append_new(cps, json_string(cp));
		}
		json_object_set_new(o, "postal_codes", cps);
	}
	if (e.kind == GEO_EPCI) {
		json_object_set_new(o, "type", json_string(geo_epci_type(e)));
		geo_ref deps[8];
		size_t n = geo_epci_departements(e, deps, 8);
		json_t *a = json_array();
		for (size_t i = 0; i < n && i < 8; i++)
			json_array_append_new(a, json_string(geo_code(deps[i])));
		json_object_set_new(o, "departements", a);
	}
	return o;
}

/* The query's parameters into q, scope and limit; the 400's message, or NULL. */
static const char *read_query(req *r, size_t route, const char **q, geo_scope *s, int *limit)
{
	for (size_t i = 0; i < r->query.n; i++) {
		const char *k = r->query.v[i].name, *v = r->query.v[i].value;
		geo_ref e;
		if (!util_utf8_valid(k, strlen(k)) || !util_utf8_valid(v, strlen(v)))
			return tr(r, "paramètre invalide (UTF-8)", "invalid parameter (UTF-8)");
		if (strcmp(k, "q") == 0) {
			*q = v;
		} else if (strcmp(k, "departement") == 0 && routes[route].departement) {
			if (!geo_find(GEO_DEPARTEMENT, v, &e))
				return tr(
				    r, "departement : numéro de département inconnu (ex. 34, 2A)",
				    "departement: unknown département number (e.g. 34, 2A)");
			s->departement = v;
		} else if (strcmp(k, "region") == 0 && routes[route].region) {
			if (!geo_find(GEO_REGION, v, &e))
				return tr(r, "region : code de région inconnu (ex. 76)",
					  "region: unknown region code (e.g. 76)");
			s->region = v;
		} else if (strcmp(k, "deleguees") == 0 && routes[route].deleguees) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return tr(r, "deleguees doit valoir true ou false",
					  "deleguees must be true or false");
			s->deleguees = strcmp(v, "true") == 0;
		} else if (strcmp(k, "limit") == 0) {
			char *end = NULL;
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 1 || n > GEO_API_MAX)
				return tr(r, "limit doit être un entier entre 1 et 50",
					  "limit must be an integer between 1 and 50");
			*limit = (int)n;
		} else if (strcmp(k, "lang") != 0) { /* lang: the router's */
			return tr(r, "paramètre de requête inconnu", "unknown query parameter");
		}
	}
	if (!*q || !(*q)[strspn(*q, " \t")])
		return tr(r, "q est obligatoire : un nom, un code ou un code postal",
			  "q is required: a name, a code or a postal code");
	if (strlen(*q) > GEO_TEXT_MAX)
		return tr(r, "q est trop long (200 octets au plus)",
			  "q is too long (200 bytes at most)");
	return NULL;
}

void api_geo(req *r, const char *what)
{
	size_t route = 0;
	while (route < sizeof routes / sizeof *routes && strcmp(routes[route].route, what) != 0)
		route++;
	if (route == sizeof routes / sizeof *routes) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	const char *q = NULL;
	geo_scope scope = {0};
	int limit = GEO_API_LIMIT;
	const char *bad = read_query(r, route, &q, &scope, &limit);
	if (bad) {
		api_error(r, 400, "bad_request", bad, NULL);
		return;
	}
	geo_ref found[GEO_API_MAX];
	size_t n = geo_search(routes[route].kind, q, &scope, found, (size_t)limit);
	json_t *results = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(results, entry_json(found[i]));
	char source[96];
	snprintf(source, sizeof source, "@etalab/decoupage-administratif %s", geo_version());
	req_json(r, 200, json_pack("{s:o, s:s}", "results", results, "source", source));
}
