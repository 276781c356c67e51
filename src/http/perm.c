/* perm.c (http) — the permission registry and the decision (perm.h). */
#include "atrium.h"

#include "core/module.h"
#include "http/http.h"
#include "http/perm.h"

/* Every module's permission rows, in module-table order; built once by
 * perm_init, read-only afterwards. */
static struct perm_module modules[PERM_MODULES_MAX];
static int nmodules;

void perm_init(const struct module *const *mods)
{
	nmodules = 0;
	for (int i = 0; mods[i]; i++) {
		for (const struct perm_module *p = mods[i]->perms; p && p->name;
		     p++) {
			if (nmodules == PERM_MODULES_MAX)
				die("more than %d permission modules; raise "
				    "PERM_MODULES_MAX",
				    PERM_MODULES_MAX);
			for (int k = 0; k < nmodules; k++)
				if (!strcmp(modules[k].name, p->name))
					die("permission module '%s' is "
					    "declared twice",
					    p->name);
			modules[nmodules++] = *p;
		}
	}
}

int perm_module_count(void)
{
	return nmodules;
}

const struct perm_module *perm_module_at(int i)
{
	return i >= 0 && i < perm_module_count() ? &modules[i] : NULL;
}

int perm_module_index(const char *name)
{
	if (!name)
		return -1;
	int n = perm_module_count();
	for (int i = 0; i < n; i++)
		if (strcmp(perm_module_at(i)->name, name) == 0)
			return i;
	return -1;
}

const char *perm_cap_name(enum perm_cap cap)
{
	switch (cap) {
	case CAP_VIEW:
		return "view";
	case CAP_CREATE:
		return "create";
	case CAP_EDIT:
		return "edit";
	case CAP_DELETE:
		return "delete";
	}
	return "?";
}

static const struct {
	unsigned bit;
	const char *name;
} bit_names[] = {
	{PB_VIEW, "view"},     {PB_VIEW_OWN, "view_own"}, {PB_CREATE, "create"},
	{PB_EDIT, "edit"},     {PB_DELETE, "delete"},
};

unsigned perm_bit_parse(const char *s)
{
	for (size_t i = 0; s && i < ATR_ARRAY_LEN(bit_names); i++)
		if (strcmp(bit_names[i].name, s) == 0)
			return bit_names[i].bit;
	return 0;
}

const char *perm_bit_name(unsigned bit)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(bit_names); i++)
		if (bit_names[i].bit == bit)
			return bit_names[i].name;
	return "?";
}

enum perm_grant perm_view_scope(const struct principal *p, const char *module)
{
	if (p->admin)
		return PERM_ALL;
	int m = perm_module_index(module);
	if (m < 0)
		return PERM_DENY;
	uint8_t b = p->perms.bits[m];
	if (b & PB_VIEW)
		return PERM_ALL;
	if (b & PB_VIEW_OWN)
		return PERM_OWN;
	return PERM_DENY;
}

void perm_parent_scope(struct principal *p)
{
	int n = perm_module_count();
	int m = perm_module_index("merchants");
	unsigned g = p->admin ? PB_ALL : m >= 0 ? p->perms.bits[m] : 0;
	unsigned mask = ((g & PB_VIEW) ? PB_VIEW | PB_VIEW_OWN : 0) |
			(g & (PB_CREATE | PB_EDIT));
	for (int i = 0; i < n; i++) {
		const struct perm_module *pm = perm_module_at(i);
		unsigned own = p->admin ? pm->caps : p->perms.bits[i];
		p->perms.bits[i] =
		    (pm->flags & PERM_PARENT_SCOPE) ? (uint8_t)(own & mask) : 0;
	}
	p->admin = false;
}

enum perm_grant perm_check(const struct principal *p, const char *module,
			   enum perm_cap cap)
{
	if (p->admin)
		return PERM_ALL;
	int m = perm_module_index(module);
	if (m < 0)
		return PERM_DENY; /* deny by default */
	uint8_t b = p->perms.bits[m];
	switch (cap) {
	case CAP_VIEW:
		return perm_view_scope(p, module);
	case CAP_CREATE:
		return (b & PB_CREATE) ? PERM_ALL : PERM_DENY;
	case CAP_EDIT:
		return (b & PB_EDIT) ? PERM_ALL : PERM_DENY;
	case CAP_DELETE:
		return (b & PB_DELETE) ? PERM_ALL : PERM_DENY;
	}
	return PERM_DENY;
}
