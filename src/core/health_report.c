/* health_report.c — the health report modules fill (health_report.h). */
#include "atrium.h"

#include <math.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"

void health_report_init(struct health_report *rep, int64_t org,
			bool installation)
{
	memset(rep, 0, sizeof *rep);
	rep->org = org;
	rep->installation = installation || org == 0;
	rep->sections = json_object();
	rep->failed = json_array();
}

void health_report_free(struct health_report *rep)
{
	if (!rep)
		return;
	json_decref(rep->sections);
	json_decref(rep->failed);
	rep->sections = rep->failed = NULL;
}

struct hr_ind *hr_add(struct health_report *rep, const char *key,
		      const char *unit, const char *link)
{
	struct hr_ind *i =
		rep->n < HR_INDICATORS_MAX ? &rep->ind[rep->n++] : &rep->scratch;
	memset(i, 0, sizeof *i);
	atr_strlcpy(i->key, key, sizeof i->key);
	atr_strlcpy(i->unit, unit ? unit : "", sizeof i->unit);
	atr_strlcpy(i->link, link ? link : "", sizeof i->link);
	return i;
}

void hr_subject(struct hr_ind *i, const char *subject)
{
	atr_strlcpy(i->subject, subject ? subject : "", sizeof i->subject);
}

void hr_value(struct hr_ind *i, double v)
{
	i->known = isfinite(v);
	i->value = i->known ? v : 0;
}

void hr_thresholds(struct hr_ind *i, enum hr_op good_op, double good,
		   enum hr_op warn_op, double warning)
{
	i->good = (struct hr_threshold){good_op, good};
	i->warning = (struct hr_threshold){warn_op, warning};
}

void hr_force(struct hr_ind *i, enum hr_status s)
{
	i->forced = true;
	i->status = s;
}

static struct hr_fact *fact_slot(struct hr_ind *i, const char *key)
{
	if (i->nfacts == HR_FACTS_MAX)
		return NULL;
	struct hr_fact *f = &i->facts[i->nfacts++];
	memset(f, 0, sizeof *f);
	atr_strlcpy(f->key, key, sizeof f->key);
	return f;
}

void hr_fact(struct hr_ind *i, const char *key, int64_t v)
{
	struct hr_fact *f = fact_slot(i, key);
	if (f)
		f->i = v;
}

void hr_fact_text(struct hr_ind *i, const char *key, const char *v)
{
	struct hr_fact *f = fact_slot(i, key);
	if (f) {
		f->is_text = true;
		atr_strlcpy(f->s, v ? v : "", sizeof f->s);
	}
}

void hr_gauge(struct health_report *rep, const char *name, const char *help,
	      const char *lname, const char *lval, double v)
{
	if (rep->ngauges == HR_GAUGES_MAX || isnan(v))
		return;
	struct hr_gauge *g = &rep->gauges[rep->ngauges++];
	memset(g, 0, sizeof *g);
	atr_strlcpy(g->name, name, sizeof g->name);
	g->help = help;
	if (lname && lval) {
		atr_strlcpy(g->lname, lname, sizeof g->lname);
		atr_strlcpy(g->lval, lval, sizeof g->lval);
	}
	g->value = v;
}

void hr_section(struct health_report *rep, const char *name, json_t *v)
{
	json_object_set_new(rep->sections, name, v ? v : json_null());
}

bool hr_holds(enum hr_op op, double v, double t)
{
	switch (op) {
	case HR_LT:
		return v < t;
	case HR_LE:
		return v <= t;
	case HR_GT:
		return v > t;
	case HR_GE:
		return v >= t;
	case HR_EQ:
		return v == t;
	default:
		return false;
	}
}

enum hr_status hr_judge(const struct hr_ind *i)
{
	if (i->forced)
		return i->status;
	if (!i->known)
		return HR_UNKNOWN;
	if (hr_holds(i->warning.op, i->value, i->warning.value))
		return HR_WARNING;
	if (hr_holds(i->good.op, i->value, i->good.value))
		return HR_GOOD;
	if (i->good.op == HR_NONE && i->warning.op == HR_NONE)
		return HR_UNKNOWN;
	return HR_BETWEEN;
}

const char *hr_status_name(enum hr_status s)
{
	static const char *const names[] = {"unknown", "good", "between",
					    "warning"};
	return s >= HR_UNKNOWN && s <= HR_WARNING ? names[s] : "unknown";
}

const char *hr_op_name(enum hr_op op)
{
	static const char *const names[] = {"", "<", "<=", ">", ">=", "=="};
	return op >= HR_NONE && op <= HR_EQ ? names[op] : "";
}

void health_report_collect(struct app *app, struct db_conn *c,
			   struct health_report *rep)
{
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		if (mod->health && mod->health(app, c, rep->org, rep) < 0)
			json_array_append_new(rep->failed,
					      json_string(mod->name));
	}
}

static json_t *threshold_json(const struct hr_threshold *t)
{
	if (t->op == HR_NONE)
		return json_null();
	return json_pack("{s:s,s:f}", "op", hr_op_name(t->op), "value",
			 t->value);
}

json_t *health_report_json(const struct health_report *rep)
{
	json_t *a = json_array();
	for (int k = 0; k < rep->n; k++) {
		const struct hr_ind *i = &rep->ind[k];
		json_t *facts = json_object();
		for (int f = 0; f < i->nfacts; f++)
			json_object_set_new(
				facts, i->facts[f].key,
				i->facts[f].is_text
					? json_string(i->facts[f].s)
					: json_integer(i->facts[f].i));
		json_t *o = json_pack(
			"{s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:s,s:o}", "key", i->key,
			"subject", i->subject[0] ? json_string(i->subject)
						 : json_null(),
			"value", i->known ? json_real(i->value) : json_null(),
			"unit", i->unit, "status", hr_status_name(hr_judge(i)),
			"good", threshold_json(&i->good), "warning",
			threshold_json(&i->warning), "link", i->link, "facts",
			facts);
		json_array_append_new(a, o);
	}
	return json_pack("{s:s,s:o,s:O,s:O}", "scope",
			 rep->installation ? "installation" : "organisation",
			 "indicators", a, "sections", rep->sections, "failed",
			 rep->failed);
}

/* A label value as the exposition format quotes it. */
static void label_value(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(out, "\\%c", *s);
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else
			buf_addc(out, *s);
	}
}

void health_report_prom(const struct health_report *rep, struct buf *out)
{
	bool done[HR_GAUGES_MAX] = {0};
	for (int k = 0; k < rep->ngauges; k++) {
		if (done[k])
			continue;
		const struct hr_gauge *g = &rep->gauges[k];
		buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", g->name,
			   g->help ? g->help : g->name, g->name);
		for (int j = k; j < rep->ngauges; j++) {
			const struct hr_gauge *s = &rep->gauges[j];
			if (done[j] || strcmp(s->name, g->name) != 0)
				continue;
			done[j] = true;
			buf_adds(out, s->name);
			if (s->lname[0]) {
				buf_printf(out, "{%s=\"", s->lname);
				label_value(out, s->lval);
				buf_adds(out, "\"}");
			}
			if (isinf(s->value))
				buf_adds(out, s->value > 0 ? " +Inf\n"
							   : " -Inf\n");
			else
				buf_printf(out, " %.17g\n", s->value);
		}
	}
}
