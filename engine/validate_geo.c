/*
 * validate_geo — territory fields (see validate_geo.h): their restriction, their input,
 * their check and their display, with messages in the request's language that name what
 * the person typed and the restriction it missed.
 */
#include "validate_geo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Picks the message of the language; both arms are literals, so formats stay checked. */
#define L(fr, en) (lg == LANG_EN ? (en) : (fr))

#define QUOTE_MAX 60 /* bytes of what was typed that a message repeats */

geo_kind validate_geo_kind(field_type t)
{
	switch (t) {
	case FT_DEPARTEMENT:
		return GEO_DEPARTEMENT;
	case FT_REGION:
		return GEO_REGION;
	case FT_EPCI:
		return GEO_EPCI;
	default:
		return GEO_COMMUNE;
	}
}

geo_scope validate_geo_scope(const def_field *f)
{
	return (geo_scope){f->geo_departement, f->geo_region, f->geo_deleguees};
}

/* The words for each kind, for the messages of input_error. */
static const struct {
	const char *none_fr, *none_en, *many_fr, *many_en, *several_fr, *several_en, *pick_fr,
	    *pick_en, *one_fr, *one_en, *confirm_fr, *confirm_en, *how_fr, *how_en;
} words[GEO__KINDS] = {
    [GEO_COMMUNE] = {"Aucune commune", "No commune", "Trop de communes", "Too many communes",
		     "Plusieurs communes correspondent", "Several communes match",
		     "choisissez la bonne ci-dessous", "choose the right one below",
		     "Une commune correspond", "One commune matches",
		     "confirmez-la ci-dessous, ou saisissez-en une autre",
		     "confirm it below, or type another one",
		     "son nom, son code postal ou son code INSEE",
		     "its name, postal code or INSEE code"},
    [GEO_DEPARTEMENT] = {"Aucun département", "No département", "Trop de départements",
			 "Too many départements", "Plusieurs départements correspondent",
			 "Several départements match", "choisissez le bon ci-dessous",
			 "choose the right one below", "Un département correspond",
			 "One département matches",
			 "confirmez-le ci-dessous, ou saisissez-en un autre",
			 "confirm it below, or type another one", "son nom ou son numéro",
			 "its name or number"},
    [GEO_REGION] = {"Aucune région", "No region", "Trop de régions", "Too many regions",
		    "Plusieurs régions correspondent", "Several regions match",
		    "choisissez la bonne ci-dessous", "choose the right one below",
		    "Une région correspond", "One region matches",
		    "confirmez-la ci-dessous, ou saisissez-en une autre",
		    "confirm it below, or type another one", "son nom ou son code",
		    "its name or code"},
    [GEO_EPCI] = {"Aucun EPCI", "No EPCI", "Trop d'EPCI", "Too many EPCI",
		  "Plusieurs EPCI correspondent", "Several EPCI match",
		  "choisissez le bon ci-dessous", "choose the right one below",
		  "Un EPCI correspond", "One EPCI matches",
		  "confirmez-le ci-dessous, ou saisissez-en un autre",
		  "confirm it below, or type another one", "son nom ou son numéro SIREN",
		  "its name or SIREN number"},
};

/* At most QUOTE_MAX bytes of s, cut on a character boundary, "…" when cut. */
static void quote(const char *s, char out[QUOTE_MAX + 4])
{
	size_t n = strlen(s);
	if (n <= QUOTE_MAX) {
		memcpy(out, s, n + 1);
		return;
	}
	n = QUOTE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	snprintf(out, QUOTE_MAX + 4, "%.*s\xe2\x80\xa6", (int)n, s);
}

/* " du département de l'Hérault (34)", " de la région Occitanie", or nothing. */
static void scope_phrase(const geo_scope *s, lang lg, buf *b)
{
	geo_ref e;
	if (s->departement && geo_find(GEO_DEPARTEMENT, s->departement, &e)) {
		buf_puts(b, L(" du département ", " in the département "));
		if (lg == LANG_EN)
			buf_puts(b, geo_name(e));
		else
			geo_put_of(e, b);
		buf_printf(b, " (%s)", geo_code(e));
	} else if (s->region && geo_find(GEO_REGION, s->region, &e)) {
		buf_puts(b, L(" de la région ", " in the region "));
		buf_puts(b, geo_name(e));
	}
}

/* The message for what was typed when it names no single entry. */
static int input_error(geo_kind k, const geo_scope *s, geo_match m, size_t n, const char *typed,
		       lang lg, char *msg)
{
	char q[QUOTE_MAX + 4];
	quote(typed, q);
	buf b = BUF_INIT;
	if (m == GEO_SEVERAL) {
		bool one = n == 1;
		buf_printf(&b, L("%s à « %s » : %s.", "%s “%s”: %s."),
			   one ? L(words[k].one_fr, words[k].one_en)
			       : L(words[k].several_fr, words[k].several_en),
			   q,
			   one ? L(words[k].confirm_fr, words[k].confirm_en)
			       : L(words[k].pick_fr, words[k].pick_en));
	} else if (m == GEO_TOO_MANY) {
		buf_printf(
		    &b, L("%s correspondent à « %s » : précisez %s.", "%s match “%s”: give %s."),
		    L(words[k].many_fr, words[k].many_en), q, L(words[k].how_fr, words[k].how_en));
	} else {
		buf_puts(&b, L(words[k].none_fr, words[k].none_en));
		scope_phrase(s, lg, &b);
		buf_printf(&b,
			   L(" ne correspond à « %s » : saisissez %s.", " matches “%s”: type %s."),
			   q, L(words[k].how_fr, words[k].how_en));
	}
	snprintf(msg, VALIDATE_MSG, "%s", buf_cstr(&b));
	buf_free(&b);
	return -1;
}

int validate_geo_parse_form(const def_field *f, const char *const *in, size_t nin, value *out,
			    lang lg, char msg[VALIDATE_MSG])
{
	*out = (value){VAL_NULL, 0, 0, NULL};
	msg[0] = '\0';
	const char *s = NULL;
	for (size_t i = 0; i < nin && !s; i++)
		if (in[i] && in[i][strspn(in[i], " \t\r\n")])
			s = in[i];
	if (!s)
		return 0;
	if (!util_utf8_valid(s, strlen(s))) {
		snprintf(
		    msg, VALIDATE_MSG, "%s",
		    L("Le texte saisi n'est pas valide (UTF-8).", "The text is not valid UTF-8."));
		return -1;
	}
	geo_kind k = validate_geo_kind(f->type);
	geo_scope sc = validate_geo_scope(f);
	geo_ref c[VALIDATE_GEO_CHOICES];
	size_t n;
	geo_match m = geo_resolve(k, s, &sc, c, VALIDATE_GEO_CHOICES, &n);
	if (m != GEO_ONE)
		return input_error(k, &sc, m, n, s, lg, msg);
	value_set_text(out, geo_code(c[0]));
	return 0;
}

/* A commune déléguée, associée or arrondissement where only current communes go. */
static int not_current(geo_ref e, lang lg, char *msg)
{
	geo_ref p;
	buf b = BUF_INIT, pl = BUF_INIT;
	const char *t = geo_commune_type(e);
	bool arr = t && strcmp(t, "arrondissement-municipal") == 0,
	     assoc = t && strcmp(t, "commune-associee") == 0;
	geo_label(e, &b);
	if (geo_parent(e, &p))
		geo_label(p, &pl);
	snprintf(msg, VALIDATE_MSG,
		 L("%s est %s : indiquez sa commune, %s, code %s.",
		   "%s is %s: give its commune, %s, code %s."),
		 buf_cstr(&b),
		 arr	 ? L("un arrondissement municipal", "a municipal arrondissement")
		 : assoc ? L("une commune associée", "an associated commune")
			 : L("une commune déléguée", "a delegated commune"),
		 buf_cstr(&pl), geo_code(p));
	buf_free(&b);
	buf_free(&pl);
	return -1;
}

/* A known code outside the restriction. */
static int out_of_scope(geo_ref e, const geo_scope *s, geo_fit fit, lang lg, char *msg)
{
	if (fit == GEO_NOT_CURRENT)
		return not_current(e, lg, msg);
	static const char *const subject_fr[] = {
	    "Cette commune n'est pas", "Ce département n'est pas", "Cette région n'est pas",
	    "Cet EPCI n'a aucune commune"};
	static const char *const subject_en[] = {"This commune is not", "This département is not",
						 "This region is not", "This EPCI has no commune"};
	buf b = BUF_INIT;
	buf_puts(&b, L(subject_fr[e.kind], subject_en[e.kind]));
	geo_ref r;
	if (fit == GEO_OUT_DEPARTEMENT && geo_find(GEO_DEPARTEMENT, s->departement, &r)) {
		buf_puts(&b, L(" dans le département ", " in the département "));
		if (lg == LANG_EN)
			buf_puts(&b, geo_name(r));
		else
			geo_put_of(r, &b);
		buf_printf(&b, " (%s).", geo_code(r));
	} else if (geo_find(GEO_REGION, s->region ? s->region : "", &r)) {
		buf_printf(&b, L(" dans la région %s.", " in the region %s."), geo_name(r));
	} else {
		buf_puts(&b, L(" dans le territoire demandé.", " in the territory asked for."));
	}
	snprintf(msg, VALIDATE_MSG, "%s", buf_cstr(&b));
	buf_free(&b);
	return -1;
}

int validate_geo_check(const def_field *f, value *v, lang lg, char msg[VALIDATE_MSG])
{
	static const char *const unknown_fr[] = {
	    "un code de commune (code INSEE, par exemple 34301)",
	    "un numéro de département (par exemple 34 ou 2A)", "un code de région (par exemple 76)",
	    "le numéro SIREN d'un EPCI (par exemple 200066355)"};
	static const char *const unknown_en[] = {
	    "a commune code (INSEE code, for example 34301)",
	    "a département number (for example 34 or 2A)", "a region code (for example 76)",
	    "the SIREN number of an EPCI (for example 200066355)"};
	msg[0] = '\0';
	if (v->kind != VAL_TEXT || !v->s)
		return -1;
	/* Corsica's codes as people type them: "2a004" */
	char code[16];
	geo_kind k = validate_geo_kind(f->type);
	geo_ref e;
	bool known = strlen(v->s) < sizeof code;
	if (known) {
		memcpy(code, v->s, strlen(v->s) + 1);
		for (char *c = code; *c; c++)
			if ((*c == 'a' || *c == 'b') && c > code && c[-1] == '2')
				*c = (char)(*c - 'a' + 'A');
		known = geo_find(k, code, &e);
	}
	if (!known) {
		char q[QUOTE_MAX + 4];
		quote(v->s, q);
		snprintf(msg, VALIDATE_MSG, L("« %s » n'est pas %s.", "“%s” is not %s."), q,
			 L(unknown_fr[k], unknown_en[k]));
		return -1;
	}
	geo_scope sc = validate_geo_scope(f);
	geo_fit fit = geo_in_scope(e, &sc);
	if (fit != GEO_IN)
		return out_of_scope(e, &sc, fit, lg, msg);
	if (strcmp(code, v->s) != 0)
		value_set_text(v, code);
	return 0;
}

/* The entry of a stored code, when the value is one. */
static bool stored(const def_field *f, const value *v, geo_ref *e)
{
	return v->kind == VAL_TEXT && v->s && geo_find(validate_geo_kind(f->type), v->s, e);
}

void validate_geo_display(const def_field *f, const value *v, buf *out)
{
	geo_ref e;
	if (stored(f, v, &e))
		geo_label(e, out);
	else if (v->kind == VAL_TEXT && v->s)
		buf_puts(out, v->s);
}

void validate_geo_input_text(const def_field *f, const value *v, buf *out)
{
	geo_ref e;
	geo_scope sc = validate_geo_scope(f);
	if (stored(f, v, &e))
		geo_input_text(e, &sc, out);
	else if (v->kind == VAL_TEXT && v->s)
		buf_puts(out, v->s);
}

size_t validate_geo_choices(const def_field *f, const char *typed, geo_ref *out, size_t max)
{
	geo_scope sc = validate_geo_scope(f);
	size_t n;
	if (!typed ||
	    geo_resolve(validate_geo_kind(f->type), typed, &sc, out, max, &n) != GEO_SEVERAL)
		return 0;
	return n;
}

void validate_geo_filter(const def_field *f, const char *want, value *out)
{
	geo_kind k = validate_geo_kind(f->type);
	geo_scope sc = validate_geo_scope(f);
	geo_ref e, c[1];
	size_t n;
	if (!geo_find(k, want, &e) && geo_resolve(k, want, &sc, c, 1, &n) == GEO_ONE)
		value_set_text(out, geo_code(c[0]));
	else
		value_set_text(out, want);
}
