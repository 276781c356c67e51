/* problem.c — one table maps error kinds to status, type and title. */
#include "atrium.h"

#include "http/problem.h"

static const struct {
	int status;
	const char *type;
	const char *title;
} kinds[ATR_E__COUNT] = {
	[ATR_E_NONE] = {500, "internal", "internal error"},
	[ATR_E_BAD_REQUEST] = {400, "malformed", "malformed request"},
	[ATR_E_INVALID] = {422, "validation", "invalid request fields"},
	[ATR_E_UNAUTHORIZED] = {401, "unauthorized", "authentication required"},
	[ATR_E_FORBIDDEN] = {403, "forbidden", "not allowed"},
	[ATR_E_NOT_FOUND] = {404, "not-found", "not found"},
	[ATR_E_METHOD] = {405, "method-not-allowed", "method not allowed"},
	[ATR_E_CONFLICT] = {409, "conflict", "conflict"},
	[ATR_E_PRECONDITION] = {412, "precondition-failed",
				"the record has changed"},
	[ATR_E_TOO_LARGE] = {413, "too-large", "request too large"},
	[ATR_E_MEDIA_TYPE] = {415, "unsupported-media-type",
			      "unsupported media type"},
	[ATR_E_PRECOND_REQ] = {428, "precondition-required",
			       "If-Match required"},
	[ATR_E_RATE_LIMITED] = {429, "rate-limited", "too many requests"},
	[ATR_E_INTERNAL] = {500, "internal", "internal error"},
	[ATR_E_UNAVAILABLE] = {503, "unavailable", "service unavailable"},
	[ATR_E_STORAGE] = {507, "insufficient-storage",
			   "insufficient storage"},
	/* A 403 the client can recover from: ask for the password (and the
	 * code) again, POST /api/v1/auth/reauth, retry. */
	[ATR_E_REAUTH] = {403, "reauth-required",
			  "confirm your password to continue"},
	/* The operator suspended the organisation: nothing its members do
	 * helps until it is resumed (auth/org.h). */
	[ATR_E_SUSPENDED] = {403, "org-suspended", "organisation suspended"},
};

int problem_status(enum atr_ekind kind)
{
	return kind < ATR_E__COUNT ? kinds[kind].status : 500;
}

json_t *problem_json(const struct atr_err *err, const char *instance,
		     const char *request_id)
{
	enum atr_ekind k = err->kind < ATR_E__COUNT ? err->kind
						    : ATR_E_INTERNAL;
	json_t *p = json_object();
	json_object_set_new(
		p, "type",
		json_sprintf("https://atrium.dev/problems/%s", kinds[k].type));
	/* RFC 9457: the title names the type and never varies; the detail
	 * says what happened this time. 500s never leak internals. */
	json_object_set_new(p, "title", json_string(kinds[k].title));
	json_object_set_new(p, "status", json_integer(kinds[k].status));
	if (k == ATR_E_INVALID)
		json_object_set_new(
			p, "detail",
			json_sprintf("%d field%s invalid", err->nfields,
				     err->nfields == 1 ? " is" : "s are"));
	else if (err->msg[0] && k != ATR_E_INTERNAL && k != ATR_E_NONE)
		json_object_set_new(p, "detail", json_string(err->msg));
	if (instance)
		json_object_set_new(p, "instance", json_string(instance));
	if (request_id)
		json_object_set_new(p, "request_id", json_string(request_id));
	if (err->nfields) {
		json_t *arr = json_array();
		for (int i = 0; i < err->nfields; i++)
			json_array_append_new(
				arr, json_pack("{s:s,s:s,s:s}", "field",
					       err->fields[i].field, "code",
					       err->fields[i].code, "detail",
					       err->fields[i].detail));
		json_object_set_new(p, "errors", arr);
	}
	return p;
}
