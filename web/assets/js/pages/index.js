// Every page module of the admin UI, in one list: each declares its routes
// ([pattern, handler, options]) and its navigation rows (`nav`: an array, or
// a function called once the member and the entity definitions are known).
// Adding a page: its module with `routes` and `nav`, and one row here. The
// generic record pages come last: their /admin/:entity routes match only
// what no page claimed.
import * as auth from './auth.js';
import * as dashboard from './dashboard.js';
import * as staff from './staff.js';
import * as roles from './roles.js';
import * as settings from './settings.js';
import * as billingConfig from './billing_config.js';
import * as profile from './profile.js';
import * as twofa from './twofa.js';
import * as utilities from './utilities.js';
import * as emailQueue from './email_queue.js';
import * as pipeLog from './pipe_log.js';
import * as logArchives from './log_archives.js';
import * as jobs from './jobs.js';
import * as activity from './activity.js';
import * as systemLog from './system_log.js';
import * as apiTokens from './api_tokens.js';
import * as webhooks from './webhooks.js';
import * as customFields from './custom_fields.js';
import * as finance from './finance.js';
import * as financeCurrencies from './finance_currencies.js';
import * as integrationLogs from './integration_logs.js';
import * as invoices from './invoices.js';
import * as creditNotes from './credit_notes.js';
import * as payments from './payments.js';
import * as proposals from './proposals.js';
import * as notifications from './notifications.js';
import * as automations from './automations.js';
import * as vault from './vault.js';
import * as security from './security.js';
import * as health from './health.js';
import * as excelImport from './excel_import.js';
import * as backups from './backups.js';
import * as operatorOrgs from './operator_orgs.js';
import * as records from './records.js';

export const PAGES = [auth, dashboard, staff, roles, settings, billingConfig, profile, twofa, utilities, emailQueue, pipeLog, logArchives, jobs,
  activity, apiTokens, webhooks, customFields, finance, financeCurrencies, integrationLogs, invoices, creditNotes, payments, proposals,
  notifications, automations, vault, security, systemLog, health, excelImport, backups, operatorOrgs, records];

/** The navigation rows of every page (those known now). */
export function navRows() {
  return PAGES.flatMap((p) => (typeof p.nav === 'function' ? p.nav() : p.nav || []));
}
