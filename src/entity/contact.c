/* contact.c — the contact entity: a person at a client (the people the
 * client portal signs in: src/portal/). The email is unique in the
 * organisation whatever its letter case, since it will be a sign-in
 * name. */
#include "atrium.h"

#include "http/perm.h"
#include "core/module.h"
#include "entity/entity.h"

static const struct field contact_fields[] = {
	{.name = "first_name", .type = FT_TEXT, .max = 100,
	 .flags = F_REQUIRED | F_PERSONAL | F_SEARCH | F_SORT | F_LIST},
	{.name = "last_name", .type = FT_TEXT, .max = 100,
	 .flags = F_PERSONAL | F_SEARCH | F_SORT | F_LIST},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_REQUIRED | F_FILTER | F_LIST},
	{.name = "email", .type = FT_EMAIL, .max = 254,
	 .flags = F_REQUIRED | F_UNIQUE | F_PERSONAL | F_FILTER | F_SEARCH |
		  F_SORT | F_LIST},
	{.name = "phone", .type = FT_PHONE, .max = 50,
	 .flags = F_PERSONAL | F_SEARCH | F_LIST},
	{.name = "position", .type = FT_TEXT, .max = 100,
	 .flags = F_FILTER | F_SEARCH | F_SORT | F_LIST,
	 .hint = "Their job title, e.g. Purchasing manager."},
	{.name = "is_primary", .type = FT_BOOL, .label = "Primary contact",
	 .def = "false",
	 .flags = F_FILTER | F_LIST,
	 .hint = "The person to address first at this client."},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "notes", .type = FT_TEXT, .max = 10000,
	 .flags = F_PERSONAL | F_MULTILINE | F_WIDE},
	/* The client portal (src/portal/): whether the contact may sign in
	 * at all (off ends their sessions at once), then which kinds of
	 * their client's records they see there. */
	{.name = "portal_access", .type = FT_BOOL, .label = "Portal access",
	 .def = "false", .flags = F_FILTER | F_LIST,
	 .hint = "May sign in to the client portal. Turning it off signs "
		 "them out at once."},
	{.name = "portal_tickets", .type = FT_BOOL, .label = "Portal: tickets",
	 .def = "true", .flags = F_FILTER,
	 .hint = "Sees, opens and answers their client's tickets."},
	{.name = "portal_contracts", .type = FT_BOOL,
	 .label = "Portal: contracts", .def = "true", .flags = F_FILTER,
	 .hint = "Sees their client's contracts."},
	{.name = "portal_projects", .type = FT_BOOL,
	 .label = "Portal: projects", .def = "true", .flags = F_FILTER,
	 .hint = "Sees their client's projects."},
};

const struct entity entity_contact = {
	.name = "contact",
	.plural = "contacts",
	.label = "Contacts",
	.schema = SCHEMA(contact_fields),
	.title_field = "first_name",
	.ui_sort = "first_name",
};

static const struct route contact_routes[] = {
	ENTITY_ROUTES(entity_contact, "contacts"),
	{0},
};

static const struct perm_module contact_perms[] = {
    {"contacts", "Contacts", PB_ALL, "contact", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const contact_entities[] = {&entity_contact,
							 NULL};

const struct module module_contacts = {
	.name = "contacts",
	.perms = contact_perms,
	.routes = contact_routes,
	.entities = contact_entities,
};
