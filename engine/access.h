/*
 * access — who may do what (SPEC 5), decided in one place for every door.
 *
 * An actor is the person behind a request (or a test, or the CLI) with the roles
 * they hold in one app. Reserved roles: `public` (everyone), `user` (anyone logged
 * in), `owner` (the record's creator), `admin` (global admins may do everything).
 * The read rule compiles to a store_scope, the single predicate used by lists,
 * counts and look-ups by id, so a list never shows what the record page refuses.
 * Pure functions; thread-safe.
 */
#ifndef SMALLAPPS_ACCESS_H
#define SMALLAPPS_ACCESS_H

#include <stdbool.h>

#include "def.h"
#include "record.h"
#include "store.h"

typedef struct actor {
	const char *login; /* NULL: anonymous */
	const char *name;
	const char *email;
	bool admin;
	const char *const *roles; /* roles granted in this app */
	size_t nroles;
} actor;

/* Holds `role` (reserved ones included; `owner` needs the record, NULL = no). */
bool access_has_role(const actor *a, const char *role, const record *r);
bool access_has_any(const actor *a, const def_strlist *roles, const record *r);

bool access_can_create(const def_form *f, const actor *a);
store_scope access_read_scope(const def_form *f, const actor *a);
bool access_can_read_any(const def_form *f, const actor *a);
/* May see this column's value (private fields). */
bool access_can_read_col(const def_field *fd, const actor *a);
/*
 * What a person holding `role` reads of column fd (the GDPR register, SPEC 11): none,
 * their own records, or all. role is a declared role, or a reserved one: "public" (an
 * anonymous person), "user" (signed in, no role in the app); a person with a declared
 * role is signed in too. Admins read everything.
 */
typedef enum { ACCESS_REACH_NONE, ACCESS_REACH_OWN, ACCESS_REACH_ALL } access_reach;
access_reach access_role_reach(const def_form *f, const def_field *fd, const char *role);
/* May edit the record at all (workflow state's editable_by, or access.update). */
bool access_can_edit(const def_form *f, const actor *a, const record *r);
/* May write this column (r NULL on create): not computed/readonly, private and editable_by
 * respected. */
bool access_can_write_col(const def_form *f, const def_field *fd, const actor *a, const record *r);
bool access_can_delete(const def_form *f, const actor *a, const record *r);
/* Role check for a transition (roles, owner, admin, self_approval); not the state. */
bool access_can_trigger(const def_transition *t, const actor *a, const record *r);
/* Why access_can_trigger says no, so the refusal can say it. */
typedef enum {
	ACCESS_TRIGGER_OK,
	ACCESS_TRIGGER_ROLE,
	ACCESS_TRIGGER_SELF_APPROVAL
} access_trigger;
access_trigger access_trigger_check(const def_transition *t, const actor *a, const record *r);

#endif
