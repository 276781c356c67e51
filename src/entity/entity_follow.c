/* entity_follow.c — records made by another record's write: a create of
 * one entity inside the transaction of a change to another (entity.h,
 * entity_record_create).
 *
 * It runs the same steps as POST /api/v1/<plural> through the write path,
 * minus what belongs to the outer request (the Idempotency-Key, the
 * transaction, the response): the calling write's transaction commits or
 * rolls back both records together.
 */
#include "atrium.h"

#include "core/activity.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/write.h"

int entity_record_create(struct req *r, const struct entity *e,
			 const json_t *body, json_t **out)
{
	/* The checks and hooks read the body and the method from the
	 * request: lend them this create's, and give the request its own
	 * back whatever happens. */
	json_t *own_body = r->body;
	enum http_method own_method = r->method;
	json_t *diff = NULL;
	int rc = -1;
	*out = NULL;
	r->body = json_deep_copy(body);
	r->method = HTTP_POST;
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		goto out;
	validate_body(r->body, fs->body, V_CREATE, &r->err);
	entity_check_body(r, e);
	if (r->err.kind != ATR_E_NONE || entity_create_row(r, e, out) < 0)
		goto out;
	int64_t id = json_integer_value(json_object_get(*out, "id"));
	diff = write_diff(NULL, *out);
	if (activity_from_req(r, "create", e->name, id, diff) < 0)
		goto out;
	if (outbox_emit(r->db, r->who.org_id, e->name, id, "created", NULL,
			*out) < 0 ||
	    write_count_add(r->db, r->who.org_id, e->name, 1) < 0) {
		req_db_error(r);
		goto out;
	}
	rc = 0;
out:
	json_decref(r->body);
	r->body = own_body;
	r->method = own_method;
	json_decref(diff);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		if (r->err.kind == ATR_E_NONE)
			req_db_error(r);
	}
	return rc;
}

int entity_record_update(struct req *r, const struct entity *e, int64_t id,
			 const json_t *patch, json_t **out)
{
	json_t *own_body = r->body;
	enum http_method own_method = r->method;
	int64_t own_id = r->id;
	json_t *before = NULL, *after = NULL, *diff = NULL;
	int rc = -1;
	*out = NULL;
	r->body = json_deep_copy(patch);
	r->method = HTTP_PATCH;
	r->id = id;
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		goto out;
	validate_body(r->body, fs->body, V_PATCH, &r->err);
	entity_check_body(r, e);
	if (r->err.kind != ATR_E_NONE)
		goto out;
	int found = entity_record_load(r, e, true, &before);
	if (found < 0)
		goto out;
	if (found == 0) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
			 e->name, (long long)id);
		goto out;
	}
	int w = entity_update_row(r, e, before, &after);
	if (w < 0)
		goto out;
	if (w == 0) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
			 e->name, (long long)id);
		goto out;
	}
	if (!after) { /* nothing changes */
		*out = json_incref(before);
		rc = 0;
		goto out;
	}
	diff = write_diff(before, after);
	if (activity_from_req(r, "update", e->name, id, diff) < 0)
		goto out;
	if (outbox_emit(r->db, r->who.org_id, e->name, id, "updated", before,
			after) < 0) {
		req_db_error(r);
		goto out;
	}
	*out = json_incref(after);
	rc = 0;
out:
	json_decref(r->body);
	r->body = own_body;
	r->method = own_method;
	r->id = own_id;
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	if (rc < 0 && r->err.kind == ATR_E_NONE)
		req_db_error(r);
	return rc;
}

int entity_record_check(struct req *r, const struct entity *e, int64_t id,
			const json_t *body)
{
	json_t *own_body = r->body;
	enum http_method own_method = r->method;
	int64_t own_id = r->id;
	r->body = json_deep_copy(body);
	r->method = id ? HTTP_PATCH : HTTP_POST;
	r->id = id;
	int rc = -1;
	const struct field_set *fs = entity_fields(r, e);
	if (fs) {
		validate_body(r->body, fs->body, id ? V_PATCH : V_CREATE,
			      &r->err);
		entity_check_body(r, e);
		rc = r->err.kind == ATR_E_NONE ? 0 : -1;
	}
	json_decref(r->body);
	r->body = own_body;
	r->method = own_method;
	r->id = own_id;
	return rc;
}

int entity_record_delete(struct req *r, const struct entity *e, int64_t id,
			 json_t **out)
{
	int64_t own_id = r->id;
	json_t *before = NULL, *diff = NULL;
	int rc = -1;
	*out = NULL;
	r->id = id;
	int found = entity_record_load(r, e, true, &before);
	if (found <= 0) {
		if (found == 0)
			atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				 e->name, (long long)id);
		goto out;
	}
	struct db_stmt *st = db_prepare(r->db, entity_sql_of(e)->del);
	if (!st)
		goto out;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int d = db_step(st);
	db_reset(st);
	if (d < 0)
		goto out;
	if (d == 0) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
			 e->name, (long long)id);
		goto out;
	}
	if (e->on_delete && e->on_delete(r, e, before) < 0)
		goto out;
	diff = write_diff(before, NULL);
	if (activity_from_req(r, "delete", e->name, id, diff) < 0)
		goto out;
	if (outbox_emit(r->db, r->who.org_id, e->name, id, "deleted", before,
			NULL) < 0 ||
	    write_count_add(r->db, r->who.org_id, e->name, -1) < 0) {
		req_db_error(r);
		goto out;
	}
	*out = json_incref(before);
	rc = 0;
out:
	r->id = own_id;
	json_decref(before);
	json_decref(diff);
	if (rc < 0 && r->err.kind == ATR_E_NONE)
		req_db_error(r);
	return rc;
}
