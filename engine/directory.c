/*
 * directory — LDAP sign-in (see directory.h).
 *
 * One sign-in: a connection (StartTLS when asked), a bind as the service account if
 * the file names one (else anonymous), a search of the person's entry under `base`
 * with `user_filter` (the login escaped as RFC 4515 says), exactly one entry or it is
 * refused, then a bind as that entry with the password typed — an empty password is
 * refused before, as LDAP would take it for an anonymous bind. Groups come from a
 * search under `group_base` with `group_filter` (the entry's DN in it, escaped), and
 * from the entry's `memberOf` (Active Directory) when `member_of = true`. Each group
 * DN found in `groups` gives its "app:role" grants.
 */
#define LDAP_DEPRECATED 0
#include "directory.h"

#include <ldap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "sandbox.h"

typedef struct group_map {
	char *dn;
	char **apps, **roles;
	size_t n;
} group_map;

struct directory {
	char *url, *ca_file, *base, *user_filter, *name_attr, *email_attr;
	char *group_base, *group_filter, *bind_dn, *bind_password;
	bool starttls, member_of;
	int timeout; /* seconds, for the connection and each operation */
	group_map *groups;
	size_t ngroups;
};

/* ------------------------------------------------------------------ the file */

static const char *const KEYS[] = {"url",	    "starttls",	 "ca_file",    "base",
				   "user_filter",   "name_attr", "email_attr", "group_base",
				   "group_filter",  "member_of", "groups",     "bind_dn",
				   "bind_password", "timeout",	 NULL};

static bool known_key(const char *k)
{
	for (size_t i = 0; KEYS[i]; i++)
		if (strcmp(KEYS[i], k) == 0)
			return true;
	return false;
}

/* A text key: *out set (owned) or left NULL when absent; false (err) when not text. */
static bool text_key(const defval *t, const char *key, bool required, char **out, const char *path,
		     char err[DIRECTORY_ERR])
{
	const defval *v = defval_get(t, key);
	if (!v && !required)
		return true;
	if (!v || v->kind != DV_STR || !v->s[0] || strlen(v->s) != v->len) {
		snprintf(err, DIRECTORY_ERR, "%.200s : « %s » doit être un texte non vide%s", path,
			 key, required ? " (obligatoire)" : "");
		return false;
	}
	*out = xstrdup(v->s);
	return true;
}

static bool bool_key(const defval *t, const char *key, bool *out, const char *path,
		     char err[DIRECTORY_ERR])
{
	const defval *v = defval_get(t, key);
	if (!v)
		return true;
	if (v->kind != DV_BOOL) {
		snprintf(err, DIRECTORY_ERR, "%.200s : « %s » doit valoir true ou false", path,
			 key);
		return false;
	}
	*out = v->b;
	return true;
}

/* groups = { ["cn=voirie,ou=groups,dc=ville,dc=fr"] = { "voirie:agent" }, ... } */
static bool read_groups(directory *d, const defval *g, const char *path, char err[DIRECTORY_ERR])
{
	if (!g)
		return true;
	if (g->kind != DV_TABLE || g->nitems || g->nbadkeys) {
		snprintf(err, DIRECTORY_ERR,
			 "%.200s : « groups » doit associer des DN de groupes à des listes "
			 "{ \"app:rôle\" }",
			 path);
		return false;
	}
	d->groups = xcalloc(g->nfields ? g->nfields : 1, sizeof *d->groups);
	for (size_t i = 0; i < g->nfields; i++) {
		const defval *l = g->fields[i].val;
		group_map *m = &d->groups[d->ngroups++];
		m->dn = xstrdup(g->fields[i].key);
		if (l->kind != DV_TABLE || l->nfields) {
			snprintf(err, DIRECTORY_ERR,
				 "%.200s : groups[\"%.200s\"] doit être une liste { \"app:rôle\" }",
				 path, m->dn);
			return false;
		}
		m->apps = xcalloc(l->nitems ? l->nitems : 1, sizeof *m->apps);
		m->roles = xcalloc(l->nitems ? l->nitems : 1, sizeof *m->roles);
		for (size_t k = 0; k < l->nitems; k++) {
			const defval *v = l->items[k];
			const char *colon = v->kind == DV_STR ? strchr(v->s, ':') : NULL;
			if (!colon || colon == v->s || !colon[1] || strchr(colon + 1, ':')) {
				snprintf(err, DIRECTORY_ERR,
					 "%.200s : groups[\"%.200s\"][%zu] : « app:rôle » attendu",
					 path, m->dn, k + 1);
				return false;
			}
			m->apps[m->n] = xstrndup(v->s, (size_t)(colon - v->s));
			m->roles[m->n++] = xstrdup(colon + 1);
		}
	}
	return true;
}

static bool read_conf(directory *d, const defval *t, const char *path, char err[DIRECTORY_ERR])
{
	for (size_t i = 0; i < t->nfields; i++)
		if (!known_key(t->fields[i].key)) {
			snprintf(err, DIRECTORY_ERR, "%.200s : clé inconnue « %s »", path,
				 t->fields[i].key);
			return false;
		}
	if (!text_key(t, "url", true, &d->url, path, err) ||
	    !text_key(t, "base", true, &d->base, path, err) ||
	    !text_key(t, "user_filter", true, &d->user_filter, path, err) ||
	    !text_key(t, "ca_file", false, &d->ca_file, path, err) ||
	    !text_key(t, "name_attr", false, &d->name_attr, path, err) ||
	    !text_key(t, "email_attr", false, &d->email_attr, path, err) ||
	    !text_key(t, "group_base", false, &d->group_base, path, err) ||
	    !text_key(t, "group_filter", false, &d->group_filter, path, err) ||
	    !text_key(t, "bind_dn", false, &d->bind_dn, path, err) ||
	    !text_key(t, "bind_password", false, &d->bind_password, path, err) ||
	    !bool_key(t, "starttls", &d->starttls, path, err) ||
	    !bool_key(t, "member_of", &d->member_of, path, err) ||
	    !read_groups(d, defval_get(t, "groups"), path, err))
		return false;
	const defval *to = defval_get(t, "timeout");
	d->timeout = 5;
	if (to && (to->kind != DV_INT || to->i < 1 || to->i > 60)) {
		snprintf(err, DIRECTORY_ERR,
			 "%.200s : « timeout » : un nombre de secondes de 1 à 60", path);
		return false;
	}
	if (to)
		d->timeout = (int)to->i;
	const char *pct = strstr(d->user_filter, "%s");
	if (!pct || strstr(pct + 2, "%s")) {
		snprintf(err, DIRECTORY_ERR,
			 "%.200s : « user_filter » doit contenir %%s une fois (l'identifiant)",
			 path);
		return false;
	}
	if (d->group_filter && (!d->group_base || !strstr(d->group_filter, "%s"))) {
		snprintf(err, DIRECTORY_ERR,
			 "%.200s : « group_filter » demande « group_base » et %%s (le DN de la "
			 "personne)",
			 path);
		return false;
	}
	if (strncmp(d->url, "ldap://", 7) != 0 && strncmp(d->url, "ldaps://", 8) != 0) {
		snprintf(err, DIRECTORY_ERR,
			 "%.200s : « url » : ldap://hôte:port ou ldaps://hôte:port", path);
		return false;
	}
	if (!d->name_attr)
		d->name_attr = xstrdup("cn");
	if (!d->email_attr)
		d->email_attr = xstrdup("mail");
	return true;
}

directory *directory_open(const char *data_dir, const char *stdlib_dir, char err[DIRECTORY_ERR])
{
	char path[4096], why[SANDBOX_ERR];
	sandbox *sb =
	    sandbox_data_file(data_dir, "annuaire.lua", stdlib_dir, path, sizeof path, why);
	if (!sb) {
		snprintf(err, DIRECTORY_ERR, "%.500s", why); /* "" when there is no file */
		return NULL;
	}
	directory *d = xcalloc(1, sizeof *d);
	bool ok = read_conf(d, sandbox_definition(sb), path, err);
	sandbox_close(sb);
	if (!ok) {
		directory_close(d);
		return NULL;
	}
	return d;
}

void directory_close(directory *d)
{
	if (!d)
		return;
	char **texts[] = {&d->url,	 &d->ca_file,	   &d->base,	   &d->user_filter,
			  &d->name_attr, &d->email_attr,   &d->group_base, &d->group_filter,
			  &d->bind_dn,	 &d->bind_password};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		free(*texts[i]);
	for (size_t i = 0; i < d->ngroups; i++) {
		for (size_t k = 0; k < d->groups[i].n; k++) {
			free(d->groups[i].apps[k]);
			free(d->groups[i].roles[k]);
		}
		free(d->groups[i].apps);
		free(d->groups[i].roles);
		free(d->groups[i].dn);
	}
	free(d->groups);
	free(d);
}

const char *directory_url(const directory *d)
{
	return d->url;
}

void directory_person_clear(directory_person *p)
{
	for (size_t i = 0; i < p->ngrants; i++) {
		free(p->apps[i]);
		free(p->roles[i]);
	}
	free(p->apps);
	free(p->roles);
	free(p->name);
	free(p->email);
	memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ a sign-in */

/* filter with its %s replaced by value, escaped as RFC 4515 asks. */
static char *filter_with(const char *filter, const char *val)
{
	buf b = BUF_INIT;
	const char *pct = strstr(filter, "%s");
	buf_add(&b, filter, (size_t)(pct - filter));
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p == '*' || *p == '(' || *p == ')' || *p == '\\' || *p < 0x20)
			buf_printf(&b, "\\%02x", *p);
		else
			buf_putc(&b, (char)*p);
	}
	buf_puts(&b, pct + 2);
	return buf_steal(&b);
}

static directory_rc rc_of(int lrc)
{
	return lrc == LDAP_INVALID_CREDENTIALS || lrc == LDAP_NO_SUCH_OBJECT ||
		       lrc == LDAP_INAPPROPRIATE_AUTH || lrc == LDAP_UNWILLING_TO_PERFORM
		   ? DIRECTORY_DENIED
		   : DIRECTORY_UNAVAILABLE;
}

static directory_rc fail(int lrc, const char *what, char why[DIRECTORY_ERR])
{
	snprintf(why, DIRECTORY_ERR, "annuaire : %s : %s", what, ldap_err2string(lrc));
	return rc_of(lrc);
}

static int simple_bind(LDAP *ld, const char *dn, const char *password)
{
	struct berval cred = {.bv_val = (char *)password, .bv_len = strlen(password)};
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* A connection, StartTLS when asked, bound as the service account (or anonymous). */
static directory_rc connect_to(const directory *d, LDAP **out, char why[DIRECTORY_ERR])
{
	LDAP *ld = NULL;
	int lrc = ldap_initialize(&ld, d->url);
	if (lrc != LDAP_SUCCESS)
		return fail(lrc, "adresse", why);
	int v3 = LDAP_VERSION3;
	struct timeval tv = {.tv_sec = d->timeout};
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (d->ca_file) {
		int zero = 0;
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->ca_file);
		ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	}
	if (d->starttls && (lrc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return fail(lrc, "StartTLS", why);
	}
	if (d->bind_dn &&
	    (lrc = simple_bind(ld, d->bind_dn, d->bind_password ? d->bind_password : "")) !=
		LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		snprintf(why, DIRECTORY_ERR, "annuaire : compte de service (bind_dn) : %s",
			 ldap_err2string(lrc));
		return DIRECTORY_UNAVAILABLE; /* the file's account, not the person's error */
	}
	*out = ld;
	return DIRECTORY_OK;
}

/* The first value of attr in entry e, or NULL; caller frees. */
static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *out = v && v[0] ? xstrndup(v[0]->bv_val, v[0]->bv_len) : NULL;
	ldap_value_free_len(v);
	return out;
}

/* The grants of group DN g, added to p (once each). */
static void add_group(const directory *d, const char *g, directory_person *p)
{
	for (size_t i = 0; i < d->ngroups; i++) {
		if (strcasecmp(d->groups[i].dn, g) != 0)
			continue;
		for (size_t k = 0; k < d->groups[i].n; k++) {
			bool have = false;
			for (size_t j = 0; j < p->ngrants && !have; j++)
				have = strcmp(p->apps[j], d->groups[i].apps[k]) == 0 &&
				       strcmp(p->roles[j], d->groups[i].roles[k]) == 0;
			if (have)
				continue;
			p->apps = xrealloc(p->apps, (p->ngrants + 1) * sizeof *p->apps);
			p->roles = xrealloc(p->roles, (p->ngrants + 1) * sizeof *p->roles);
			p->apps[p->ngrants] = xstrdup(d->groups[i].apps[k]);
			p->roles[p->ngrants++] = xstrdup(d->groups[i].roles[k]);
		}
	}
}

/* The person's entry: exactly one under base, its DN, name, e-mail and memberOf. */
static directory_rc find_person(const directory *d, LDAP *ld, const char *login, char **dn,
				directory_person *p, char why[DIRECTORY_ERR])
{
	char *filter = filter_with(d->user_filter, login);
	char member_of[] = "memberOf";
	char *attrs[] = {d->name_attr, d->email_attr, member_of, NULL};
	struct timeval tv = {.tv_sec = d->timeout};
	LDAPMessage *res = NULL;
	int lrc = ldap_search_ext_s(ld, d->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
				    &tv, 2, &res);
	free(filter);
	directory_rc rc = DIRECTORY_OK;
	if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED) {
		rc = fail(lrc, "recherche de la personne", why);
	} else if (ldap_count_entries(ld, res) != 1) {
		snprintf(why, DIRECTORY_ERR, "annuaire : %d entrée(s) pour cet identifiant",
			 ldap_count_entries(ld, res));
		rc = DIRECTORY_DENIED;
	} else {
		LDAPMessage *e = ldap_first_entry(ld, res);
		char *d_n = ldap_get_dn(ld, e);
		*dn = d_n ? xstrdup(d_n) : NULL;
		ldap_memfree(d_n);
		p->name = first_value(ld, e, d->name_attr);
		p->email = first_value(ld, e, d->email_attr);
		struct berval **groups =
		    d->member_of ? ldap_get_values_len(ld, e, "memberOf") : NULL;
		for (size_t i = 0; groups && groups[i]; i++) {
			char *g = xstrndup(groups[i]->bv_val, groups[i]->bv_len);
			add_group(d, g, p);
			free(g);
		}
		ldap_value_free_len(groups);
		rc = *dn ? DIRECTORY_OK : DIRECTORY_DENIED;
	}
	ldap_msgfree(res);
	return rc;
}

/* The groups whose group_filter names dn (searched as the person, after their bind). */
static directory_rc find_groups(const directory *d, LDAP *ld, const char *dn, directory_person *p,
				char why[DIRECTORY_ERR])
{
	if (!d->group_filter)
		return DIRECTORY_OK;
	char *filter = filter_with(d->group_filter, dn);
	char no_attrs[] = "1.1"; /* the DNs alone */
	char *attrs[] = {no_attrs, NULL};
	struct timeval tv = {.tv_sec = d->timeout};
	LDAPMessage *res = NULL;
	int lrc = ldap_search_ext_s(ld, d->group_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
				    NULL, &tv, 1000, &res);
	free(filter);
	directory_rc rc = DIRECTORY_OK;
	if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED)
		rc = fail(lrc, "recherche des groupes", why);
	for (LDAPMessage *e = rc == DIRECTORY_OK ? ldap_first_entry(ld, res) : NULL; e;
	     e = ldap_next_entry(ld, e)) {
		char *g = ldap_get_dn(ld, e);
		if (g)
			add_group(d, g, p);
		ldap_memfree(g);
	}
	ldap_msgfree(res);
	return rc;
}

directory_rc directory_check(const directory *d, const char *login, const char *password,
			     directory_person *out, char why[DIRECTORY_ERR])
{
	memset(out, 0, sizeof *out);
	why[0] = '\0';
	/* An empty password would be an anonymous bind, which LDAP accepts. */
	if (!login || !*login || !password || !*password) {
		snprintf(why, DIRECTORY_ERR, "annuaire : identifiant ou mot de passe vide");
		return DIRECTORY_DENIED;
	}
	LDAP *ld = NULL;
	char *dn = NULL;
	directory_rc rc = connect_to(d, &ld, why);
	if (rc == DIRECTORY_OK)
		rc = find_person(d, ld, login, &dn, out, why);
	if (rc == DIRECTORY_OK) {
		int lrc = simple_bind(ld, dn, password);
		if (lrc != LDAP_SUCCESS)
			rc = fail(lrc, "mot de passe", why);
	}
	/* The groups are read as the service account when there is one: a person may not be
	 * allowed to read them. */
	if (rc == DIRECTORY_OK && d->bind_dn && d->group_filter) {
		int lrc = simple_bind(ld, d->bind_dn, d->bind_password ? d->bind_password : "");
		if (lrc != LDAP_SUCCESS)
			rc = fail(lrc, "compte de service (bind_dn)", why);
		if (rc == DIRECTORY_DENIED) /* the file's account, not the person's error */
			rc = DIRECTORY_UNAVAILABLE;
	}
	if (rc == DIRECTORY_OK)
		rc = find_groups(d, ld, dn, out, why);
	free(dn);
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	if (rc != DIRECTORY_OK)
		directory_person_clear(out);
	return rc;
}
