/* template.c — the email templates and their rendering.
 *
 * A template is a subject and a plain-text body with {{var}} substitution
 * only (no logic); {{company_name}} always comes from the settings. A
 * template needs every var it names. Lines of a body stay within 78
 * characters, so the message goes out as 7bit text where it can.
 *
 * Each template is written in every language of the UI (English and
 * Romanian); a message is rendered in its recipient's: the language of
 * the member with that sign-in email, else the organisation's
 * (core/l10n.h). Values that depend on the reader are made here:
 * {{when}} (given as ISO 8601 UTC) is shown in the recipient's date format
 * and time zone, {{expires}} says {{expires_hours}} in words with the
 * language's plural, and the short phrases callers pass in {{what}} and
 * {{ip}} are English text that, as gettext's msgids do, is the key of its
 * translation (phrases[]; one not listed stays as given).
 */
#include "atrium.h"

#include <sodium.h>

#include "core/l10n.h"
#include "core/buf.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"

struct email_template {
	const char *name;
	const char *lang;
	const char *subject;
	const char *body; /* plain text; lines of at most 78 characters */
};

static const struct email_template templates[] = {
	{"membership_added", "en", "You were added to {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "You were added to {{company_name}}. Sign in as usual, with the\n"
	 "email and password you already have, and choose {{company_name}}\n"
	 "in the organisation menu at the top of the page:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "If you did not expect this, tell the administrators of\n"
	 "{{company_name}}.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"invitation", "en", "You are invited to {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "You have been invited to {{company_name}}. Open this link to choose\n"
	 "your password and sign in:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires}}. If you did not\n"
	 "expect this invitation, you can ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"password_reset", "en", "Reset your {{company_name}} password",
	 "Hello {{name}},\n"
	 "\n"
	 "Someone asked to reset the password of your {{company_name}}\n"
	 "account. Open this link to choose a new one:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires}}. If you did not ask\n"
	 "for it, ignore this email: your password stays as it is.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_notice", "en", "Security notice from {{company_name}}",
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
	{"new_signin", "en", "New sign-in to your {{company_name}} account",
	 "Hello {{name}},\n"
	 "\n"
	 "There was a new sign-in to your {{company_name}} account from an\n"
	 "address it was not used from before.\n"
	 "\n"
	 "When: {{when}}\n"
	 "From address: {{ip}}\n"
	 "\n"
	 "If it was not you, change your password and sign out your other\n"
	 "sessions now:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"twofa_failures", "en", "Wrong two-factor codes on your {{company_name}} account",
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
	{"email_change_current", "en",
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
	 "The link works once and expires in {{expires}}. If it was not you,\n"
	 "do not open it: change your password and tell your administrator.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"email_change_new", "en", "Confirm your new {{company_name}} sign-in email",
	 "Hello {{name}},\n"
	 "\n"
	 "Open this link to confirm {{new_email}} as the new sign-in email of\n"
	 "your {{company_name}} account (now {{old_email}}):\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The change happens only when it is also confirmed from the current\n"
	 "address. The link works once and expires in {{expires}}. If you did\n"
	 "not ask for this, ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"webhook_disabled", "en", "Webhook '{{name}}' was turned off",
	 "Atrium turned off the webhook '{{name}}' of {{company_name}}:\n"
	 "{{reason}}.\n"
	 "\n"
	 "No more events are sent to it. Check the receiver, then turn the\n"
	 "webhook on again and replay the failed deliveries from its log\n"
	 "(Integrations > Webhooks).\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"portal_invitation", "en", "Your {{company_name}} client portal",
	 "Hello {{name}},\n"
	 "\n"
	 "{{company_name}} invites you to its client portal, where you can\n"
	 "follow and answer your support tickets and see your contracts and\n"
	 "projects. Open this link to choose your password:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Then sign in with {{email}}. The link works once and expires in\n"
	 "{{expires}}. If you did not expect this, ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"portal_reset", "en", "Set your {{company_name}} client portal password",
	 "Hello {{name}},\n"
	 "\n"
	 "Someone asked for a new password for your {{company_name}} client\n"
	 "portal account ({{email}}). Open this link to choose one:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires}}. If you did not ask\n"
	 "for it, ignore this email: your password stays as it is.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"ticket_reply", "en", "[Ticket #{{ticket_id}}] {{subject}}",
	 "Hello {{name}},\n"
	 "\n"
	 "{{author}} replied to your request \"{{subject}}\":\n"
	 "\n"
	 "{{body}}\n"
	 "\n"
	 "Answer this email to reply; keep [Ticket #{{ticket_id}}] in the\n"
	 "subject.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"invoice_sent", "en", "Invoice {{number}} from {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "Please find attached invoice {{number}} of {{total}}.\n"
	 "{{due}}\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"credit_note_sent", "en", "Credit note {{number}} from {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "Please find attached credit note {{number}} of {{total}}, which\n"
	 "reverses invoice {{invoice}}.\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"proposal_sent", "en", "Proposal {{number}} from {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "Please find attached our proposal {{number}}, {{subject}},\n"
	 "of {{total}}.\n"
	 "{{valid}}\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"test", "en", "Test email from {{company_name}}",
	 "This is a test email from {{company_name}}.\n"
	 "\n"
	 "It was sent with the SMTP settings of Atrium. If you can read it,\n"
	 "those settings work and Atrium can send email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_overdue", "en", "Security check overdue: {{what}}",
	 "Hello {{name}},\n"
	 "\n"
	 "A row of the security checklist of {{company_name}} is overdue:\n"
	 "\n"
	 "  {{what}}\n"
	 "  due since {{when}}\n"
	 "  items found now: {{count}}\n"
	 "\n"
	 "Open the checklist to see what it needs, and mark the review done\n"
	 "once it is:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"membership_added", "ro", "Ați fost adăugat(ă) la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Ați fost adăugat(ă) la {{company_name}}. Autentificați-vă ca de\n"
	 "obicei, cu e-mailul și parola pe care le aveți, și alegeți\n"
	 "{{company_name}} din meniul organizațiilor din partea de sus:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Dacă nu vă așteptați la acest lucru, anunțați administratorii\n"
	 "{{company_name}}.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"invitation", "ro", "Invitație la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Ați fost invitat(ă) la {{company_name}}. Deschideți acest link pentru\n"
	 "a vă alege parola și a vă autentifica:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Linkul funcționează o singură dată și expiră în {{expires}}. Dacă nu\n"
	 "așteptați această invitație, puteți ignora acest e-mail.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"password_reset", "ro", "Resetarea parolei {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Cineva a cerut resetarea parolei contului dumneavoastră\n"
	 "{{company_name}}. Deschideți acest link pentru a alege una nouă:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Linkul funcționează o singură dată și expiră în {{expires}}. Dacă nu\n"
	 "ați cerut-o, ignorați acest e-mail: parola rămâne cea de acum.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_notice", "ro", "Notificare de securitate de la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Spre informare: {{what}}.\n"
	 "\n"
	 "Când: {{when}}\n"
	 "De la adresa: {{ip}}\n"
	 "\n"
	 "Dacă nu ați fost dumneavoastră, anunțați imediat administratorul.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"new_signin", "ro", "Autentificare nouă în contul {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Contul dumneavoastră {{company_name}} a fost accesat de la o adresă\n"
	 "de la care nu a mai fost folosit.\n"
	 "\n"
	 "Când: {{when}}\n"
	 "De la adresa: {{ip}}\n"
	 "\n"
	 "Dacă nu ați fost dumneavoastră, schimbați-vă parola și închideți\n"
	 "celelalte sesiuni acum:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"twofa_failures", "ro",
	 "Coduri de autentificare în doi pași greșite pe contul {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Pentru contul dumneavoastră s-au introdus {{count}} coduri de\n"
	 "autentificare în doi pași greșite, ultimul la {{when}} de la adresa\n"
	 "{{ip}}.\n"
	 "\n"
	 "Codul se cere numai după parola corectă, deci cine le-a introdus\n"
	 "poate să vă cunoască parola. Dacă nu ați fost dumneavoastră,\n"
	 "schimbați parola acum și anunțați administratorul. Autentificarea\n"
	 "este suspendată o vreme după fiecare cod greșit în plus.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"email_change_current", "ro",
	 "Confirmați noua adresă de autentificare a contului {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Cineva autentificat în contul dumneavoastră {{company_name}} a cerut\n"
	 "schimbarea adresei de e-mail de autentificare din {{old_email}}\n"
	 "în {{new_email}}.\n"
	 "Schimbarea are loc numai după confirmarea de la ambele adrese.\n"
	 "Dacă ați fost dumneavoastră, deschideți acest link pentru a confirma\n"
	 "de la această adresă:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Linkul funcționează o singură dată și expiră în {{expires}}. Dacă nu\n"
	 "ați fost dumneavoastră, nu îl deschideți: schimbați parola și\n"
	 "anunțați administratorul.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"email_change_new", "ro",
	 "Confirmați noua adresă de autentificare {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Deschideți acest link pentru a confirma {{new_email}} ca nouă adresă\n"
	 "de e-mail de autentificare a contului dumneavoastră {{company_name}}\n"
	 "(acum {{old_email}}):\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Schimbarea are loc numai după ce este confirmată și de la adresa\n"
	 "actuală. Linkul funcționează o singură dată și expiră în {{expires}}.\n"
	 "Dacă nu ați cerut acest lucru, ignorați acest e-mail.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"webhook_disabled", "ro", "Webhookul „{{name}}” a fost dezactivat",
	 "Atrium a dezactivat webhookul „{{name}}” al {{company_name}}:\n"
	 "{{reason}}.\n"
	 "\n"
	 "Nu i se mai trimit evenimente. Verificați receptorul, apoi activați\n"
	 "din nou webhookul și retrimiteți livrările eșuate din jurnalul său\n"
	 "(Integrări > Webhookuri).\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"portal_invitation", "ro", "Portalul clienților {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "{{company_name}} vă invită în portalul clienților, unde puteți urmări\n"
	 "și răspunde la tichetele de suport și vă puteți vedea contractele și\n"
	 "proiectele. Deschideți acest link pentru a vă alege parola:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Apoi autentificați-vă cu {{email}}. Linkul funcționează o singură\n"
	 "dată și expiră în {{expires}}. Dacă nu vă așteptați la acest mesaj,\n"
	 "ignorați-l.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"portal_reset", "ro", "Parola portalului clienților {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Cineva a cerut o parolă nouă pentru contul dumneavoastră din\n"
	 "portalul clienților {{company_name}} ({{email}}). Deschideți acest\n"
	 "link pentru a o alege:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "Linkul funcționează o singură dată și expiră în {{expires}}. Dacă nu\n"
	 "ați cerut-o, ignorați acest e-mail: parola rămâne cea de acum.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"ticket_reply", "ro", "[Ticket #{{ticket_id}}] {{subject}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "{{author}} a răspuns la solicitarea dumneavoastră „{{subject}}”:\n"
	 "\n"
	 "{{body}}\n"
	 "\n"
	 "Răspundeți la acest e-mail pentru a continua conversația; păstrați\n"
	 "[Ticket #{{ticket_id}}] în subiect.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"invoice_sent", "ro", "Factura {{number}} de la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Vă transmitem atașat factura {{number}}, în valoare de {{total}}.\n"
	 "{{due}}\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"credit_note_sent", "ro",
	 "Factura de stornare {{number}} de la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Vă transmitem atașat factura de stornare {{number}}, în valoare de\n"
	 "{{total}}, care stornează factura {{invoice}}.\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"proposal_sent", "ro", "Oferta {{number}} de la {{company_name}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Vă transmitem atașat oferta noastră {{number}}, {{subject}},\n"
	 "în valoare de {{total}}.\n"
	 "{{valid}}\n"
	 "\n"
	 "{{message}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"test", "ro", "E-mail de test de la {{company_name}}",
	 "Acesta este un e-mail de test de la {{company_name}}.\n"
	 "\n"
	 "A fost trimis cu setările SMTP din Atrium. Dacă îl puteți citi,\n"
	 "setările funcționează și Atrium poate trimite e-mailuri.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_overdue", "ro", "Verificare de securitate întârziată: {{what}}",
	 "Bună ziua, {{name}},\n"
	 "\n"
	 "Un rând din lista de verificare a securității {{company_name}}\n"
	 "este întârziat:\n"
	 "\n"
	 "  {{what}}\n"
	 "  scadent din {{when}}\n"
	 "  elemente găsite acum: {{count}}\n"
	 "\n"
	 "Deschideți lista de verificare pentru a vedea ce trebuie făcut și\n"
	 "marcați verificarea ca efectuată după aceea:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
};

/* The short phrases callers pass in {{what}} and {{ip}}, by their English
 * text; a phrase ending in a space is a prefix (the rest follows as
 * given: an address). */
static const struct {
	const char *en, *ro;
} phrases[] = {
	{"two-factor authentication was turned on",
	 "autentificarea în doi pași a fost activată"},
	{"two-factor authentication was turned off",
	 "autentificarea în doi pași a fost dezactivată"},
	{"a recovery code was used to sign in",
	 "un cod de recuperare a fost folosit la autentificare"},
	{"new recovery codes were generated",
	 "au fost generate coduri de recuperare noi"},
	{"an administrator reset your two-factor authentication",
	 "un administrator v-a resetat autentificarea în doi pași"},
	{"an operator reset your two-factor authentication",
	 "un operator v-a resetat autentificarea în doi pași"},
	{"your password was reset", "parola dumneavoastră a fost resetată"},
	{"your password was changed", "parola dumneavoastră a fost schimbată"},
	{"the sign-in email of your account was changed to ",
	 "adresa de e-mail de autentificare a contului dumneavoastră a fost "
	 "schimbată în "},
	{"the server console", "consola serverului"},
	/* The security checklist's rows (admin/security_check.c). */
	{"2FA active for all administrators",
	 "2FA activ pentru toți administratorii"},
	{"Accounts deactivated on employee departure",
	 "Conturi dezactivate la plecarea angajaților"},
	{"Inactive API tokens revoked", "Tokenuri API inactive revocate"},
	{"Activity log reviewed", "Jurnalul de activitate verificat"},
	{"SMTP credentials rotated", "Credențiale SMTP schimbate"},
	{"Roles audited (excessive permissions)",
	 "Roluri auditate (permisiuni excesive)"},
	{"Active users without sign-in for more than 90 days",
	 "Utilizatori activi fără autentificare de peste 90 de zile"},
};

/* Template name in lang, else in English; NULL when there is none. */
static const struct email_template *template_find(const char *name,
						  const char *lang)
{
	const struct email_template *en = NULL;
	for (size_t i = 0; i < ATR_ARRAY_LEN(templates); i++) {
		if (strcmp(templates[i].name, name))
			continue;
		if (!strcmp(templates[i].lang, lang))
			return &templates[i];
		if (!strcmp(templates[i].lang, "en"))
			en = &templates[i];
	}
	return en;
}

/* Phrase v in lang (new string), or NULL when it stays as given. */
static json_t *phrase(const char *v, const char *lang)
{
	if (!v || strcmp(lang, "ro"))
		return NULL;
	for (size_t i = 0; i < ATR_ARRAY_LEN(phrases); i++) {
		size_t n = strlen(phrases[i].en);
		bool prefix = n && phrases[i].en[n - 1] == ' ';
		if (prefix ? !strncmp(v, phrases[i].en, n)
			   : !strcmp(v, phrases[i].en))
			return json_sprintf("%s%s", phrases[i].ro,
					    prefix ? v + n : "");
	}
	return NULL;
}

/* "24 hours", "1 hour"; "24 de ore", "5 ore", "o oră". */
static json_t *hours_text(json_int_t n, const char *lang)
{
	if (!strcmp(lang, "ro")) {
		if (n == 1)
			return json_string("o oră");
		json_int_t m = n % 100;
		return json_sprintf("%lld %sore", (long long)n,
				    n == 0 || (m >= 20) ? "de " : "");
	}
	return json_sprintf("%lld hour%s", (long long)n, n == 1 ? "" : "s");
}

/* The values that depend on the reader, made for l (see the top). */
static void localise_vars(json_t *v, const struct l10n *l)
{
	const char *lang = l->val[L10N_LANGUAGE];
	static const char *const said[] = {"what", "ip"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(said); i++) {
		json_t *t = phrase(json_string_value(json_object_get(v, said[i])),
				   lang);
		if (t)
			json_object_set_new(v, said[i], t);
	}
	const char *when = json_string_value(json_object_get(v, "when"));
	int64_t ms = when ? atr_iso_ms(when) : -1;
	if (ms >= 0) {
		char out[128];
		l10n_format_datetime(l, ms, out, sizeof out);
		json_object_set_new(v, "when", json_string(out));
	}
	json_t *h = json_object_get(v, "expires_hours");
	if (json_is_integer(h))
		json_object_set_new(v, "expires",
				    hours_text(json_integer_value(h), lang));
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

int email_render(struct db_conn *c, int64_t org, const char *to,
		 const char *template_name, const json_t *vars, char **subject,
		 char **body, struct atr_err *err)
{
	*subject = *body = NULL;
	struct l10n l;
	if ((to ? l10n_load_email(c, org, to, &l) : l10n_load(c, org, 0, &l)) <
	    0)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot read the localization settings: %s",
				db_errmsg(c));
	const struct email_template *t =
		template_find(template_name, l.val[L10N_LANGUAGE]);
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
	localise_vars(v, &l);
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

