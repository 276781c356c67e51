/* pipeline.h — what the server glue hands the pipeline, and back. */
#ifndef ATR_PIPELINE_H
#define ATR_PIPELINE_H

#include "http/http.h"

struct pipeline_input {
	const char *method;
	const char *path;  /* decoded path, no query */
	const char *query; /* raw query string after '?', or NULL */
	const char *body;
	size_t body_len;
	bool body_too_large;
	bool uri_too_long;
};

/* Runs the request through every step and the handler. Afterwards r holds
 * status, out/raw, ctype and headers; the database connection is back in
 * the pool. */
void pipeline_run(struct req *r, const struct pipeline_input *in);
/* Frees what the request owns (body, out, arena). */
void req_free(struct req *r);

#endif
