/* embedded.h — files compiled into the binary by tools/embed.c
 * (migrations/, web/, and openapi.json). Static data; nothing to free. */
#ifndef ATR_EMBEDDED_H
#define ATR_EMBEDDED_H

#include <stdbool.h>
#include <stddef.h>

struct embedded_file {
	const char *name; /* e.g. "migrations/sqlite/0001_core.sql" */
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t size;
	const char *etag; /* "\"<16 hex digits>\"": a hash of the bytes */
};

extern const struct embedded_file embedded_files[];

/* Returns the file with exactly this name, or NULL. */
const struct embedded_file *embedded_find(const char *name);
/* True when p points into an embedded file (static for the process). */
bool embedded_owns(const void *p);

#endif
