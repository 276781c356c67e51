/* gdpr_erase_int.h — what the erasure's two files share: the engine
 * (gdpr_erase.c: the records, the activity log's personal parts, the
 * copies, the subject's security records) and the request's handler
 * (gdpr_erase_api.c: load, archives, one transaction, the wipe).
 * Internal to src/gdpr.
 */
#ifndef ATR_GDPR_ERASE_INT_H
#define ATR_GDPR_ERASE_INT_H

#include "gdpr/gdpr_int.h"

#define VALUES_MAX 64

extern const struct entity entity_lead, entity_contact, entity_ticket;

struct erase {
	struct req *r;
	enum db_dialect d;
	const char *now;
	const char *values[VALUES_MAX]; /* in the arena, lower case */
	int nvalues;
	json_t *summary;
	/* A record retention rule's erasure (gdpr_erase_record): what its
	 * activity rows name instead of a request, and the records erased
	 * as `entity = .. AND entity_id IN (..)` terms; NULL for a request. */
	const json_t *cause;
	const char *about;
};

/* Adds v (lower case, in the arena) to the values whose copies go, when
 * it has at least min bytes. */
void ge_add_value(struct erase *e, const char *v, size_t min);
/* "(1, 2, 3)" of the rows' ids, or NULL when there are none. */
const char *ge_id_list(struct erase *e, const json_t *rows);
/* Runs sql with binds, adding the rows it changed to the summary under
 * key. 0 or -1. */
int ge_exec_counted(struct erase *e, const char *key, const char *sql,
		    const char *const *binds, int nb);
/* The records of en named by rows: their personal fields erased, with
 * their activity rows. 0 or -1. */
int ge_records(struct erase *e, const struct entity *en, const json_t *rows,
	       const char *key);
/* The copies of what found names (log entries, events, emails, ...). */
int ge_copies(struct erase *e, const json_t *found);
/* The erasure's values from what gdpr_find found. */
void ge_collect_values(struct erase *e, const json_t *found);
/* The subject's security records (sign-in addresses, sessions, throttle
 * rows, request addresses). 0 or -1. */
int ge_security(struct erase *e, const json_t *found);

#endif
