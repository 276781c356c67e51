/* webhook_int.h — what the webhooks module's files share.
 *
 *   webhook.c           endpoints: routes, the module descriptor, settings
 *   webhook_delivery.c  the outbox subscriber, the delivery job
 *   webhook_log.c       the delivery log routes, replay
 *   webhook_send.c      one HTTP attempt: Standard Webhooks signing, the
 *                       destination check (SSRF), libcurl
 *
 * Standard Webhooks (standardwebhooks.com): each message carries
 * `webhook-id` (stable across retries: receivers de-duplicate on it),
 * `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
 * ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", space-separated when a
 * rotated secret's overlap signs with both). Secrets are "whsec_" +
 * base64 of 24 random bytes; the HMAC key is the decoded bytes.
 */
#ifndef ATR_WEBHOOK_INT_H
#define ATR_WEBHOOK_INT_H

#include "atrium.h"

#include <jansson.h>

#include "http/http.h"
#include "jobs/jobs.h"

struct app;
struct db_conn;
struct req;

#define WH_SECRET_PREFIX "whsec_"
#define WH_SECRET_LEN 38 /* whsec_ + base64 of 24 bytes (32) */
#define WH_BODY_LOG_MAX 4096  /* bytes of a body kept in the log (debug) */
#define WH_RESPONSE_MAX 65536 /* bytes read from a receiver, at most */
#define WH_CONNECT_TIMEOUT_S 5
#define WH_TIMEOUT_S 15
#define WH_MAX_ATTEMPTS 15
#define WH_DEBUG_MS (24LL * 3600 * 1000) /* debug mode turns itself off */
#define WH_EVENTS "created", "updated", "deleted", "status_changed"

/* A new signing secret (out: WH_SECRET_LEN + 1 bytes); caller wipes. */
void webhook_secret_new(char out[WH_SECRET_LEN + 1]);

/* The webhook-signature value for one message under the secrets given
 * (1 or 2; NULL entries skipped): "v1,<sig>[ v1,<sig>]". Returns 0, or -1
 * when a secret is malformed. out: at least 100 bytes. */
int webhook_sign(const char *const secrets[2], const char *msg_id,
		 int64_t ts, const char *body, size_t body_len, char *out,
		 size_t out_len);

struct wh_attempt {
	long status;     /* HTTP status, 0 when no answer */
	int64_t ms;      /* how long it took */
	char error[256]; /* a category, never what the remote host said */
	char *response;  /* the first WH_BODY_LOG_MAX bytes (malloc'd) */
	bool refused;    /* refused before sending (destination check) */
};

/* Checks a URL's form for an endpoint: https, or http when the operator
 * allows private destinations; no credentials in it. 0, or -1 with the
 * reason in why. */
int webhook_url_check(const char *url, bool allow_private, char *why,
		      size_t why_len);

/* Sends one signed POST to url, after resolving its host and refusing
 * loopback, private, link-local and other non-public addresses unless
 * allow_private (the connection is pinned to the address checked, so
 * DNS cannot change it afterwards); no redirects, bounded timeouts and
 * response size. Fills res (caller frees res->response). 0 when the
 * receiver answered 2xx, -1 otherwise. No database connection may be held
 * across it. */
int webhook_post(const char *url, bool allow_private, const char *msg_id,
		 int64_t ts, const char *signature, const char *body,
		 size_t body_len, struct wh_attempt *res);

/* webhook_delivery.c */
int webhook_on_event(struct app *app, const struct event *ev,
		     struct atr_err *err);
int webhook_job(struct job_ctx *j, struct atr_err *err);
int64_t webhook_backoff_base(const struct app *app);
/* Queues a delivery of a test message to webhook id (a row and its job,
 * in the open transaction). 0 (*delivery_id set) or -1. */
int webhook_queue_test(struct db_conn *c, int64_t org, int64_t id,
		       int64_t *delivery_id);
/* webhook_log.c */
extern const struct route webhook_delivery_routes[];
/* The health report's webhook delivery rate (webhook_log.c). */
struct health_report;
int webhook_health(struct app *app, struct db_conn *c, int64_t org,
		   struct health_report *rep);

/* webhook.c: the permission module of an entity's records ("leads" for
 * "lead", "staff"), or NULL when the entity is not one webhooks serve. */
const char *webhook_entity_module(const char *entity);

#endif
