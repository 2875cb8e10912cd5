/*
 * site — the installation's identity, from data/site.lua (SPEC 12): the collectivité's
 * name, its logo, its colour, its contacts. Read once at start (in the sandbox), checked
 * with clear errors; pages, mails and the personal-data notice take it from here.
 */
#ifndef SMALLAPPS_SITE_H
#define SMALLAPPS_SITE_H

#include <stdbool.h>
#include <stddef.h>

#define SITE_ERR 512

typedef struct site site;

/*
 * Reads data_dir/site.lua. NULL with err "" when there is none (the neutral look); NULL
 * with err naming the key and why when it cannot be used: an unknown key, a logo that is
 * not an SVG or PNG file of data/, a colour whose contrast with white is under 4.5:1.
 */
site *site_open(const char *data_dir, const char *stdlib_dir, char err[SITE_ERR]);
void site_close(site *s);

const char *site_name(const site *s);
/* The stylesheet that gives the pages the site's colour (":root{--primary:…}"). */
const char *site_css(const site *s);
/* The logo's bytes and type ("image/svg+xml", "image/png"); false without a logo. */
bool site_logo(const site *s, const char **type, const void **data, size_t *len);
/* A contact of `contacts` ("dpo", "accessibility", …), or NULL. */
const char *site_contact(const site *s, const char *key);

/* A value of the groups legal, accessibility or contacts ("legal", "publisher"), or
 * NULL; site_texts: every item of a list (accessibility.not_accessible), at most max
 * into out, their number returned. */
const char *site_text(const site *s, const char *group, const char *key);
size_t site_texts(const site *s, const char *group, const char *key, const char **out, size_t max);

/*
 * The automated accessibility checks a build passed: `make test` runs axe-core on every
 * page type in Chromium and writes data_dir/accessibilite-tests.json's model (tests/browser);
 * the statement page shows them with their date. False without a readable file.
 */
typedef struct site_checks {
	char date[11];	/* YYYY-MM-DD */
	char tool[64];	/* "axe-core 4.14.1" */
	int pages;	/* page types checked */
	int violations; /* violations found, all pages together */
} site_checks;
bool site_checks_read(const char *data_dir, site_checks *out);

/* The contrast ratio of colour "#rrggbb" with white (WCAG 2.1 relative luminance);
 * 0 for a colour that is not "#rrggbb". */
double site_contrast_with_white(const char *hex);

#endif
