/* routes.c — `atrium routes`: the route table as JSON (for the meta-test
 * and for operators writing proxy rules). */
#include "atrium.h"

#include <jansson.h>

#include "cmd/cmd.h"
#include "http/router.h"

int cmd_routes(int argc, char **argv)
{
	if (argc > 1) {
		fputs("usage: atrium routes\n\nPrints every route as JSON: "
		      "method, path, access (public, session, perm, contact, "
		      "operator), "
		      "module, "
		      "cap, reauth (always, or self: re-authentication\n"
		      "needed, always or on one's own {id}) and operator_org "
		      "(true: a perm route of the\ninstallation's, for members "
		      "of the operator organisation only).\n",
		      strcmp(argv[1], "--help") ? stderr : stdout);
		return strcmp(argv[1], "--help") ? 1 : 0;
	}
	struct app app = {0};
	cmd_kernel_init(&app);
	json_t *arr = json_array();
	for (int i = 0; i < app.nroutes; i++) {
		const struct route *rt = &app.routes[i];
		static const char *const acc[] = {
		    "none", "public", "session", "perm", "contact", "operator"};
		json_t *o = json_pack("{s:s,s:s,s:s}", "method",
				      http_method_name(rt->method), "path",
				      rt->path, "access", acc[rt->access]);
		if (rt->module) {
			json_object_set_new(o, "module",
					    json_string(rt->module));
			json_object_set_new(o, "cap",
					    json_string(perm_cap_name(rt->cap)));
		}
		if (rt->flags & (ROUTE_REAUTH | ROUTE_REAUTH_SELF))
			json_object_set_new(
				o, "reauth",
				json_string(rt->flags & ROUTE_REAUTH ? "always"
								     : "self"));
		if (rt->flags & ROUTE_OPERATOR_ORG)
			json_object_set_new(o, "operator_org", json_true());
		json_array_append_new(arr, o);
	}
	char *s = json_dumps(arr, JSON_INDENT(1));
	puts(s);
	free(s);
	json_decref(arr);
	cmd_kernel_fini(&app);
	return 0;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) {
		fprintf(stderr, "atrium: version takes no arguments\n");
		return 1;
	}
	if (argc > 1) {
		fputs("usage: atrium version\n\nPrints the version.\n", stdout);
		return 0;
	}
	printf("atrium %s\n", ATR_VERSION);
	return 0;
}
