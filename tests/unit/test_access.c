/*
 * Access rules (SPEC 5): read scopes, private columns, editable_by, workflow states,
 * transitions and separation of duties — one form built by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "access.h"

static const char *create_roles[] = {"centre"};
static const char *private_roles[] = {"pharmacie"};
static const char *owner_only[] = {"owner"};
static const char *delete_roles[] = {"chef"};
static const char *pharma[] = {"pharmacie"};
static const char *from_soumise[] = {"soumise"};
static def_read_rule read_rules[] = {{"centre", false}, {"pharmacie", true}};

static def_field fields[3];
static const def_field *cols[3];
static def_state states[2];
static def_transition trans[1];
static def_workflow wf;
static def_form form;

static void build(void)
{
	memset(fields, 0, sizeof fields);
	fields[0] = (def_field){.name = "doses", .label = "Doses", .type = FT_INTEGER, .col = 0};
	fields[1] = (def_field){.name = "note", .label = "Note", .type = FT_TEXTAREA, .col = 1,
	                        .has_private = true, .private_roles = {private_roles, 1},
	                        .has_editable_by = true, .editable_by = {private_roles, 1}};
	fields[2] = (def_field){.name = "total", .label = "Total", .type = FT_INTEGER, .col = 2,
	                        .compute = 1};
	for (int i = 0; i < 3; i++)
		cols[i] = &fields[i];
	states[0] = (def_state){.id = "soumise", .label = "Soumise", .has_editable_by = true,
	                        .editable_by = {owner_only, 1}, .due_days = -1};
	states[1] = (def_state){.id = "validee", .label = "Validée", .due_days = -1};
	trans[0] = (def_transition){.id = "valider", .label = "Valider", .from = {from_soumise, 1},
	                            .to = "validee", .roles = {pharma, 1}, .self_approval = false,
	                            .after_days = -1};
	wf = (def_workflow){.initial = "soumise", .states = states, .nstates = 2,
	                    .transitions = trans, .ntransitions = 1};
	form = (def_form){.id = "commande", .title = "Commande", .fields = fields, .nfields = 3,
	                  .cols = cols, .ncols = 3, .workflow = &wf};
	form.access.create = (def_strlist){create_roles, 1};
	form.access.read = read_rules;
	form.access.nread = 2;
	form.access.has_delete = true;
	form.access.del = (def_strlist){delete_roles, 1};
}

static const char *r_centre[] = {"centre"};
static const char *r_pharma[] = {"pharmacie"};
static const char *r_chef[] = {"chef"};

static actor who(const char *login, const char **roles, size_t n, bool admin)
{
	return (actor){.login = login, .roles = roles, .nroles = n, .admin = admin};
}

static record rec_by(const char *owner, const char *state)
{
	record r = {0};
	r.created_by = (char *)owner;
	r.state = (char *)state;
	return r;
}

static void own_read_rule_compiles_to_an_owner_scope(void **st)
{
	(void)st;
	build();
	actor a = who("alice", r_centre, 1, false);
	store_scope sc = access_read_scope(&form, &a);
	assert_false(sc.none);
	assert_string_equal(sc.owner, "alice");
}

static void all_read_rule_wins_over_own(void **st)
{
	(void)st;
	build();
	const char *both[] = {"centre", "pharmacie"};
	actor a = who("paula", both, 2, false);
	store_scope sc = access_read_scope(&form, &a);
	assert_false(sc.none);
	assert_null(sc.owner);
}

static void no_rule_means_no_read_and_anonymous_reads_nothing(void **st)
{
	(void)st;
	build();
	actor a = who("chef", r_chef, 1, false);
	assert_true(access_read_scope(&form, &a).none);
	actor anon = who(NULL, NULL, 0, false);
	assert_true(access_read_scope(&form, &anon).none);
	actor adm = who("root", NULL, 0, true);
	store_scope sc = access_read_scope(&form, &adm);
	assert_false(sc.none);
	assert_null(sc.owner);
}

static void private_columns_are_hidden_and_unwritable_without_the_role(void **st)
{
	(void)st;
	build();
	actor c = who("alice", r_centre, 1, false), p = who("paula", r_pharma, 1, false);
	assert_false(access_can_read_col(&fields[1], &c));
	assert_true(access_can_read_col(&fields[1], &p));
	record r = rec_by("alice", "soumise");
	assert_false(access_can_write_col(&form, &fields[1], &c, &r));
	assert_true(access_can_write_col(&form, &fields[1], &p, &r));
}

static void computed_fields_are_never_written(void **st)
{
	(void)st;
	build();
	actor adm = who("root", NULL, 0, true);
	assert_false(access_can_write_col(&form, &fields[2], &adm, NULL));
}

static void state_editable_by_owner_follows_the_record(void **st)
{
	(void)st;
	build();
	actor alice = who("alice", r_centre, 1, false), bob = who("bob", r_centre, 1, false);
	record r = rec_by("alice", "soumise");
	assert_true(access_can_edit(&form, &alice, &r));
	assert_false(access_can_edit(&form, &bob, &r));
	record done = rec_by("alice", "validee");
	assert_false(access_can_edit(&form, &alice, &done)); /* no editable_by: frozen */
	record bogus = rec_by("alice", "inconnu");
	assert_false(access_can_edit(&form, &alice, &bogus));
}

static void create_needs_a_listed_role(void **st)
{
	(void)st;
	build();
	actor c = who("alice", r_centre, 1, false), p = who("paula", r_pharma, 1, false);
	actor anon = who(NULL, NULL, 0, false), adm = who("root", NULL, 0, true);
	assert_true(access_can_create(&form, &c));
	assert_false(access_can_create(&form, &p));
	assert_false(access_can_create(&form, &anon));
	assert_true(access_can_create(&form, &adm));
	static const char *pub[] = {"public"};
	form.access.create = (def_strlist){pub, 1};
	assert_true(access_can_create(&form, &anon));
}

static void delete_defaults_to_admins_only(void **st)
{
	(void)st;
	build();
	record r = rec_by("alice", "soumise");
	actor chef = who("c", r_chef, 1, false), alice = who("alice", r_centre, 1, false);
	assert_true(access_can_delete(&form, &chef, &r));
	assert_false(access_can_delete(&form, &alice, &r));
	form.access.has_delete = false;
	form.access.del = (def_strlist){NULL, 0};
	assert_false(access_can_delete(&form, &chef, &r));
	actor adm = who("root", NULL, 0, true);
	assert_true(access_can_delete(&form, &adm, &r));
}

static void self_approval_false_refuses_the_creator_even_with_the_role(void **st)
{
	(void)st;
	build();
	actor p = who("paula", r_pharma, 1, false), p2 = who("pierre", r_pharma, 1, false);
	record mine = rec_by("paula", "soumise");
	assert_false(access_can_trigger(&trans[0], &p, &mine));
	assert_true(access_can_trigger(&trans[0], &p2, &mine));
	actor c = who("alice", r_centre, 1, false);
	assert_false(access_can_trigger(&trans[0], &c, &mine));
}

static void reserved_roles_mean_what_they_say(void **st)
{
	(void)st;
	actor anon = who(NULL, NULL, 0, false), u = who("u", NULL, 0, false);
	record r = rec_by("u", NULL);
	assert_true(access_has_role(&anon, "public", NULL));
	assert_false(access_has_role(&anon, "user", NULL));
	assert_true(access_has_role(&u, "user", NULL));
	assert_true(access_has_role(&u, "owner", &r));
	assert_false(access_has_role(&anon, "owner", &r));
	assert_false(access_has_role(&u, "admin", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(own_read_rule_compiles_to_an_owner_scope),
		cmocka_unit_test(all_read_rule_wins_over_own),
		cmocka_unit_test(no_rule_means_no_read_and_anonymous_reads_nothing),
		cmocka_unit_test(private_columns_are_hidden_and_unwritable_without_the_role),
		cmocka_unit_test(computed_fields_are_never_written),
		cmocka_unit_test(state_editable_by_owner_follows_the_record),
		cmocka_unit_test(create_needs_a_listed_role),
		cmocka_unit_test(delete_defaults_to_admins_only),
		cmocka_unit_test(self_approval_false_refuses_the_creator_even_with_the_role),
		cmocka_unit_test(reserved_roles_mean_what_they_say),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
