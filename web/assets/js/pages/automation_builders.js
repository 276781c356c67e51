// The trigger builder and the conditions builder of the automation form.
// Each keeps its state as the contract's JSON is shaped
// (docs/internals/automations.md), draws its controls from it, registers
// every control under the path a 422 names ("trigger.cron",
// "conditions.all[0].any[1].value") and gives the JSON back with read().
// Choosing another kind of record or type of trigger draws the part
// again with what still applies.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { box, partError, selectEl, valueInput } from './automation_parts.js';
import {
  EVENTS, articles, LIST_OPS, NO_VALUE, OPS, conditionPaths, cronWords, entityWords, fieldsOf, isDateField, orgZone, pathField,
  seesChanges, triggerEntities,
} from './automation_words.js';

export const CRON_PRESETS = [['0 7 * * *'], ['0 7 * * 1'], ['0 7 * * 1-5'], ['0 7 1 * *'], ['0 * * * *']];

/* ---- the trigger ------------------------------------------------------------ */

/** A trigger's state from its JSON (a new automation: a lead created). */
function triggerState(tr) {
  const x = tr || {};
  const off = Number(x.offset_days);
  return {
    type: x.type || 'event',
    entity: x.entity || (triggerEntities()[0] || {}).name || 'lead',
    event: x.event || 'created',
    field: x.field || '',
    to: x.to,
    offsetN: Number.isFinite(off) ? String(Math.abs(off)) : x.offset_days == null ? '0' : String(x.offset_days),
    offsetDir: off > 0 ? 'after' : 'before',
    cron: x.cron || '0 7 * * 1',
  };
}

/**
 * The trigger builder: {root, read(), entity(), trigger()}. onChange()
 * runs when what the other parts depend on changes (the kind of record,
 * the type, the event).
 */
export function triggerBuilder(initial, { reg, lookups, onChange }) {
  const s = triggerState(initial);
  const body = h('div', { class: 'form-grid auto-trigger' });
  const top = partError(t('auto.trigger'));
  const root = h('fieldset', { class: 'card section auto-part', 'data-testid': 'auto-trigger' },
    h('legend', { class: 'section-title' }, t('auto.trigger')), top.el, body);

  function read() {
    if (s.type === 'schedule') return { type: 'schedule', cron: s.cron.trim() };
    if (s.type === 'date') {
      const n = s.offsetN.trim();
      const num = /^\d+$/.test(n) ? Number(n) : null;
      return { type: 'date', entity: s.entity, field: s.field || undefined,
        offset_days: num === null ? (n === '' ? 0 : n) : (s.offsetDir === 'before' ? -num : num) };
    }
    const out = { type: 'event', entity: s.entity, event: s.event };
    if (s.event === 'field_changed') {
      if (s.field) out.field = s.field;
      if (s.to !== undefined && s.to !== '') out.to = s.to;
    }
    return out;
  }

  function draw() {
    reg.dropUnder('trigger');
    reg.set('trigger', top);
    const changed = () => { draw(); if (onChange) onChange(); };
    const type = box({ label: t('auto.trigger_type'), input: selectEl(['event', 'date', 'schedule'].map((x) => [x, t(`auto.type.${x}`)]), s.type),
      hint: t(`auto.type.${s.type}_hint`, { zone: orgZone() }) });
    type.input.addEventListener('change', () => { s.type = type.input.value; s.field = ''; s.to = undefined; changed(); });
    reg.set('trigger.type', type);
    const parts = [type.wrap];
    if (s.type !== 'schedule') {
      const ents = triggerEntities().map((e) => [e.name, e.plural]);
      const ent = box({ label: t('auto.records'), input: selectEl(ents, s.entity) });
      ent.input.addEventListener('change', () => { s.entity = ent.input.value; s.field = ''; s.to = undefined; changed(); });
      reg.set('trigger.entity', ent);
      parts.push(ent.wrap);
    }
    if (s.type === 'event') {
      const w = entityWords(s.entity);
      const ev = box({ label: t('auto.event'), input: selectEl(EVENTS.map((e) => [e, articles(t(`auto.event.${e}`, { one: w.one }))]), s.event) });
      ev.input.addEventListener('change', () => { s.event = ev.input.value; if (s.event !== 'field_changed') { s.field = ''; s.to = undefined; } changed(); });
      reg.set('trigger.event', ev);
      parts.push(ev.wrap);
      if (s.event === 'field_changed') {
        const fields = fieldsOf(s.entity);
        const fsel = box({ label: t('auto.field'), input: selectEl([['', '—'], ...fields.map((f) => [f.custom ? `custom_fields.${f.name}` : f.name, f.label])], s.field) });
        fsel.input.addEventListener('change', () => { s.field = fsel.input.value; s.to = undefined; draw(); });
        reg.set('trigger.field', fsel);
        parts.push(fsel.wrap);
        const f = pathField(s.entity, s.field);
        const v = valueInput(f, 'eq', s.to, lookups);
        const to = box({ label: t('auto.changes_to'), input: v.el, hint: t('auto.changes_to_hint') });
        v.el.addEventListener('change', () => { s.to = v.get(); });
        v.el.addEventListener('input', () => { s.to = v.get(); });
        reg.set('trigger.to', to);
        parts.push(to.wrap);
      }
    } else if (s.type === 'date') {
      const dates = fieldsOf(s.entity).filter(isDateField);
      const fsel = box({ label: t('auto.date_field'), input: selectEl([['', '—'], ...dates.map((f) => [f.name, f.label])], s.field),
        hint: dates.length ? null : t('auto.no_date_fields') });
      fsel.input.addEventListener('change', () => { s.field = fsel.input.value; });
      reg.set('trigger.field', fsel);
      const n = h('input', { class: 'input input-short', type: 'number', min: '0', max: '3650', step: '1', value: s.offsetN });
      n.addEventListener('input', () => { s.offsetN = n.value; });
      const dir = selectEl([['before', t('auto.days_before')], ['after', t('auto.days_after')]], s.offsetDir,
        { 'aria-label': t('auto.before_or_after') });
      dir.addEventListener('change', () => { s.offsetDir = dir.value; });
      const off = box({ label: t('auto.offset'), input: h('div', { class: 'auto-inline' }, n, dir), focusEl: n,
        hint: t('auto.offset_hint') });
      reg.set('trigger.offset_days', off);
      parts.push(fsel.wrap, off.wrap);
    } else {
      const words = h('p', { class: 'hint', 'aria-live': 'polite' });
      const cron = h('input', { class: 'input mono', type: 'text', autocomplete: 'off', spellcheck: 'false', value: s.cron });
      const presets = selectEl([['', t('auto.cron.custom')], ...CRON_PRESETS.map(([c]) => [c, cronWords(c)])],
        CRON_PRESETS.some(([c]) => c === s.cron) ? s.cron : '');
      const say = () => { words.textContent = cronWords(s.cron) || t('auto.cron.no_words'); };
      presets.addEventListener('change', () => { if (presets.value) { s.cron = presets.value; cron.value = s.cron; say(); } });
      cron.addEventListener('input', () => {
        s.cron = cron.value;
        presets.value = CRON_PRESETS.some(([c]) => c === s.cron.trim()) ? s.cron.trim() : '';
        say();
      });
      say();
      const pre = box({ label: t('auto.cron.preset'), input: presets });
      const c = box({ label: t('auto.cron.expression', { zone: orgZone() }), input: h('div', null, cron, words), focusEl: cron, hint: t('auto.cron.hint', { zone: orgZone() }) });
      reg.set('trigger.cron', c);
      parts.push(pre.wrap, c.wrap);
    }
    body.replaceChildren(...parts);
  }
  draw();
  return {
    root, read,
    trigger: read,
    entity: () => (s.type === 'schedule' ? null : s.entity),
  };
}

/* ---- conditions ------------------------------------------------------------- */

const MAX_DEPTH = 3;

/** A group's state from its JSON: {kind, items: [leaf | group]}. */
function groupState(g) {
  const kind = g && Array.isArray(g.any) ? 'any' : 'all';
  const items = (g && (g[kind] || [])) || [];
  return {
    kind,
    items: items.map((it) => (it && (it.all || it.any) ? groupState(it)
      : { field: (it && it.field) || '', op: (it && it.op) || 'eq', value: it ? it.value : undefined })),
  };
}

function groupJson(g) {
  return { [g.kind]: g.items.map((it) => (it.items ? groupJson(it) : leafJson(it))) };
}

function leafJson(l) {
  const out = { field: l.field, op: l.op };
  if (!NO_VALUE.has(l.op) && l.value !== undefined) out.value = l.value;
  return out;
}

/**
 * The conditions builder: {root, read(), redraw()}. getTrigger() gives
 * the trigger now (its entity decides the fields; a schedule has none).
 */
export function conditionsBuilder(initial, { reg, lookups, getTrigger }) {
  const top = groupState(initial);
  const body = h('div', { class: 'auto-conditions' });
  const root = h('fieldset', { class: 'card section auto-part', 'data-testid': 'auto-conditions' },
    h('legend', { class: 'section-title' }, t('auto.conditions')), body);

  function leafRow(l, path, label, parent, index, entity, trig) {
    const row = h('div', { class: 'auto-cond-row', dataset: { path } });
    const paint = () => {
      const groups = conditionPaths(entity).map((g) => ({ label: g.label, options: g.paths.map((p) => [p.path, p.label]) }));
      const fsel = box({ label: t('auto.cond.field', { n: label }), hiddenLabel: true,
        input: selectEl([['', t('auto.cond.choose_field')], ...groups], l.field) });
      const ops = OPS.filter((o) => seesChanges(trig) || !o.startsWith('changed'));
      const osel = box({ label: t('auto.cond.op', { n: label }), hiddenLabel: true,
        input: selectEl(ops.map((o) => [o, t(`auto.op.${o}`)]), l.op) });
      const f = pathField(entity, l.field);
      let v = null;
      if (!NO_VALUE.has(l.op)) {
        const vi = valueInput(f, l.op, l.value, lookups);
        const read = () => { l.value = vi.get(); };
        vi.el.addEventListener('input', read);
        vi.el.addEventListener('change', read);
        v = box({ label: t('auto.cond.value', { n: label }), hiddenLabel: true, input: vi.el });
      }
      fsel.input.addEventListener('change', () => { l.field = fsel.input.value; l.value = undefined; paint(); });
      osel.input.addEventListener('change', () => {
        const wasList = LIST_OPS.has(l.op);
        l.op = osel.input.value;
        if (wasList !== LIST_OPS.has(l.op) || NO_VALUE.has(l.op)) l.value = undefined;
        paint();
      });
      const remove = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('auto.cond.remove', { n: label }) }, t('common.remove'));
      remove.addEventListener('click', () => { parent.items.splice(index, 1); draw(); });
      const whole = partError(t('auto.cond.n', { n: label }), fsel.input);
      reg.set(path, whole);
      reg.set(`${path}.field`, fsel);
      reg.set(`${path}.op`, osel);
      if (v) reg.set(`${path}.value`, v);
      row.replaceChildren(h('span', { class: 'auto-cond-n muted' }, label), fsel.wrap, osel.wrap, v ? v.wrap : h('span'), remove,
        whole.el);
    };
    paint();
    return row;
  }

  function groupBox(g, path, depth, label, parent, index, entity, trig) {
    const kind = selectEl([['all', t('auto.group.all')], ['any', t('auto.group.any')]], g.kind,
      { 'aria-label': label ? t('auto.group.kind_n', { n: label }) : t('auto.group.kind') });
    kind.addEventListener('change', () => { g.kind = kind.value; draw(); });
    const err = partError(label ? t('auto.group.n', { n: label }) : t('auto.conditions'), kind);
    reg.set(path, err);
    reg.set(`${path}${path ? '.' : ''}${g.kind}`, err);
    const items = g.items.map((it, i) => {
      const p = `${path}.${g.kind}[${i}]`;
      const n = label ? `${label}.${i + 1}` : String(i + 1);
      return it.items ? groupBox(it, p, depth + 1, n, g, i, entity, trig) : leafRow(it, p, n, g, i, entity, trig);
    });
    const addLeaf = h('button', { type: 'button', class: 'btn btn-sm' }, t('auto.cond.add'));
    addLeaf.addEventListener('click', () => {
      g.items.push({ field: '', op: 'eq', value: undefined });
      draw();
      const added = root.querySelector(`[data-path="${path}.${g.kind}[${g.items.length - 1}]"] select`);
      if (added) added.focus();
    });
    const addGroup = depth < MAX_DEPTH ? h('button', { type: 'button', class: 'btn btn-sm' }, t('auto.cond.add_group')) : null;
    addGroup?.addEventListener('click', () => { g.items.push({ kind: g.kind === 'all' ? 'any' : 'all', items: [{ field: '', op: 'eq' }] }); draw(); });
    const remove = parent ? h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('auto.group.remove', { n: label }) }, t('auto.group.remove_short')) : null;
    remove?.addEventListener('click', () => { parent.items.splice(index, 1); draw(); });
    return h('div', { class: ['auto-group', parent ? 'auto-group-nested' : null], dataset: { path: path || 'conditions' } },
      h('div', { class: 'auto-group-head' }, label ? h('span', { class: 'auto-cond-n muted' }, label) : null,
        h('span', { class: 'label-inline' }, t('auto.group.match')), kind, remove),
      err.el,
      items.length ? h('div', { class: 'auto-group-items' }, items)
        : h('p', { class: 'muted' }, parent ? t('auto.group.empty') : t('auto.cond.always')),
      h('div', { class: 'auto-group-actions' }, addLeaf, addGroup));
  }

  function draw() {
    reg.dropUnder('conditions');
    const trig = getTrigger();
    if (trig.type === 'schedule') {
      const err = partError(t('auto.conditions'));
      reg.set('conditions', err);
      body.replaceChildren(h('p', { class: 'muted' }, t('auto.cond.none_for_schedule')), err.el);
      return;
    }
    body.replaceChildren(groupBox(top, 'conditions', 1, '', null, 0, trig.entity, trig));
  }
  draw();
  return {
    root,
    redraw: draw,
    read() {
      if (getTrigger().type === 'schedule' || !top.items.length) return {};
      return groupJson(top);
    },
  };
}
