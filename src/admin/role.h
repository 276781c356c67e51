/* role.h — the spec's role templates (role.c), for the reports that
 * compare a role with the template it was made from (the role audit,
 * security_audit.c). A role remembers its template by name (role.template,
 * migration 0040), set when it is created from one. */
#ifndef ATR_ROLE_H
#define ATR_ROLE_H

#include "atrium.h"

int role_template_count(void);
/* The template's name ("Sales Agent"), or NULL past the end. */
const char *role_template_name(int t);
/* The index of the template named name (exactly), or -1. */
int role_template_find(const char *name);
/* The PB_* bits template t grants on the permission module at index mod
 * (http/perm.h); 0 for a module it does not name. */
unsigned role_template_bits(int t, int mod);

#endif
