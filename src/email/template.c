/* template.c — the email templates and their rendering.
 *
 * A template is a subject and a plain-text body with {{var}} substitution
 * only (no logic); {{company_name}} always comes from the settings. A
 * template needs every var it names. Lines of a body stay within 78
 * characters, so the message goes out as 7bit text where it can.
 */
#include "atrium.h"

#include <sodium.h>

#include "core/buf.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"

struct email_template {
	const char *name;
	const char *subject;
	const char *body; /* plain text; lines of at most 78 characters */
};

static const struct email_template templates[] = {
	{"invitation", "You are invited to {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "You have been invited to {{company_name}}. Open this link to choose\n"
	 "your password and sign in:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires_hours}} hours. If you did\n"
	 "not expect this invitation, you can ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"password_reset", "Reset your {{company_name}} password",
	 "Hello {{name}},\n"
	 "\n"
	 "Someone asked to reset the password of your {{company_name}}\n"
	 "account. Open this link to choose a new one:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires_hours}} hour(s). If you\n"
	 "did not ask for it, ignore this email: your password stays as it is.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_notice", "Security notice from {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "For your information: {{what}}.\n"
	 "\n"
	 "When: {{when}}\n"
	 "From address: {{ip}}\n"
	 "\n"
	 "If this was not you, tell your administrator at once.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"twofa_failures", "Wrong two-factor codes on your {{company_name}} account",
	 "Hello {{name}},\n"
	 "\n"
	 "{{count}} wrong two-factor codes were entered for your account,\n"
	 "the last at {{when}} from address {{ip}}.\n"
	 "\n"
	 "A code is asked only after the right password, so whoever typed\n"
	 "them may know your password. If it was not you, change your\n"
	 "password now and tell your administrator. Signing in is paused for\n"
	 "a while after each further wrong code.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"email_change_current",
	 "Confirm the new sign-in email of your {{company_name}} account",
	 "Hello {{name}},\n"
	 "\n"
	 "Someone signed in to your {{company_name}} account asked to change\n"
	 "its sign-in email from {{old_email}} to {{new_email}}.\n"
	 "The change happens only when it is confirmed from both addresses.\n"
	 "If it was you, open this link to confirm from this address:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires_hours}} hours. If it\n"
	 "was not you, do not open it: change your password and tell your\n"
	 "administrator.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"email_change_new", "Confirm your new {{company_name}} sign-in email",
	 "Hello {{name}},\n"
	 "\n"
	 "Open this link to confirm {{new_email}} as the new sign-in email of\n"
	 "your {{company_name}} account (now {{old_email}}):\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The change happens only when it is also confirmed from the current\n"
	 "address. The link works once and expires in {{expires_hours}} hours.\n"
	 "If you did not ask for this, ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"webhook_disabled", "Webhook '{{name}}' was turned off",
	 "Atrium turned off the webhook '{{name}}' of {{company_name}}:\n"
	 "{{reason}}.\n"
	 "\n"
	 "No more events are sent to it. Check the receiver, then turn the\n"
	 "webhook on again and replay the failed deliveries from its log\n"
	 "(Integrations > Webhooks).\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"test", "Test email from {{company_name}}",
	 "This is a test email from {{company_name}}.\n"
	 "\n"
	 "It was sent with the SMTP settings of Atrium. If you can read it,\n"
	 "those settings work and Atrium can send email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
};

static const struct email_template *template_find(const char *name)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(templates); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

/* Substitutes {{var}} in t from vars (strings and integers). Returns the
 * text, malloc'd; NULL with err when a var is missing or not a string or
 * an integer. Values are not expanded again. */
char *email_substitute(const char *t, const json_t *vars, const char *tname,
		       struct atr_err *err)
{
	struct buf b = BUF_INIT;
	const char *p = t;
	while (*p) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		char name[64];
		size_t n = (size_t)(close - open - 2);
		if (n == 0 || n >= sizeof name) {
			buf_add(&b, open, 2);
			p = open + 2;
			continue;
		}
		memcpy(name, open + 2, n);
		name[n] = 0;
		json_t *v = json_object_get(vars, name);
		if (json_is_string(v)) {
			buf_adds(&b, json_string_value(v));
		} else if (json_is_integer(v)) {
			buf_printf(&b, "%lld", (long long)json_integer_value(v));
		} else {
			atr_fail(err, ATR_E_INTERNAL,
				 "email template '%s' needs {{%s}} (a string or "
				 "an integer)",
				 tname, name);
			sodium_memzero(b.p, b.cap);
			buf_free(&b);
			return NULL;
		}
		p = close + 2;
	}
	return buf_detach(&b);
}

void email_body_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int email_render(struct db_conn *c, int64_t org, const char *template_name,
		 const json_t *vars, char **subject, char **body,
		 struct atr_err *err)
{
	*subject = *body = NULL;
	const struct email_template *t = template_find(template_name);
	if (!t)
		return atr_fail(err, ATR_E_INTERNAL,
				"no email template '%s'", template_name);
	char company[256];
	if (settings_get(c, org, "company_name", company, sizeof company) < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot read the company name: %s",
				db_errmsg(c));
	json_t *v = json_is_object(vars) ? json_deep_copy(vars) : json_object();
	json_object_set_new(v, "company_name", json_string(company));
	*subject = email_substitute(t->subject, v, t->name, err);
	*body = *subject ? email_substitute(t->body, v, t->name, err) : NULL;
	json_decref(v);
	if (!*body) {
		free(*subject);
		*subject = NULL;
		return -1;
	}
	return 0;
}

