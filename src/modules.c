/* modules.c — the modules this binary contains (core/module.h), as git's
 * commands[] lists its commands. Order is meaningful: it is the order of
 * the permission matrix, of the settings groups and of the route table,
 * and init runs in it (records, the engine of every entity, after the
 * permission rows exist and before the entity modules are used). */
#include "atrium.h"

#include "core/module.h"

extern const struct module module_ops, module_web, module_records,
	module_auth, module_passwords, module_twofa,
	module_twofa_admin, module_sessions, module_account, module_leads,
	module_clients, module_contacts, module_contracts, module_projects, module_tasks,
	module_tickets, module_ticket_attachments,
	module_departments, module_teams, module_staff,
	module_staff_lifecycle, module_roles, module_settings, module_branding,
	module_localization,
	module_activity, module_email, module_directory, module_api_tokens,
	module_webhooks, module_webhook_deliveries, module_event_log,
	module_custom_fields, module_pipe_log, module_portal,
	module_portal_account, module_portal_staff, module_portal_tickets,
	module_portal_docs,
	module_taxes, module_payment_modes,
	module_jobs, module_scheduler;

const struct module *const atrium_modules[] = {
	&module_ops,
	&module_web,
	&module_records,
	&module_auth,
	&module_passwords,
	&module_twofa,
	&module_twofa_admin,
	&module_sessions,
	&module_account,
	&module_leads,
	&module_clients,
	&module_contacts,
	&module_contracts,
	&module_projects,
	&module_tasks,
	&module_tickets,
	&module_ticket_attachments,
	&module_departments,
	&module_teams,
	&module_staff,
	&module_staff_lifecycle,
	&module_roles,
	&module_settings,
	&module_branding,
	&module_custom_fields,
	&module_localization,
	&module_taxes,
	&module_payment_modes,
	&module_activity,
	&module_email,
	&module_directory,
	&module_api_tokens,
	&module_webhooks,
	&module_webhook_deliveries,
	&module_event_log,
	&module_pipe_log,
	&module_portal,
	&module_portal_account,
	&module_portal_staff,
	&module_portal_tickets,
	&module_portal_docs,
	/* After every module whose jobs or tasks need its start (libcurl,
	 * ...): stop runs in reverse, so the runner and the scheduler stop
	 * first. */
	&module_jobs,
	&module_scheduler,
	NULL,
};
