// Custom fields (issue 11): definitions on any entity of the registry
// (every invalid field named, slugs that never change, the types and their
// hints), values on records under custom_fields (validated, defaulted,
// diffed in the activity log, in outbox events), filtered, sorted and
// searched through the list engine with an index of their own; only_admin
// fields invisible to everyone else everywhere (definitions, records,
// meta, filters, search, activity, events); changes that are safe for
// stored values (required with a fill value, type changes only where
// every value converts, with a preview; deactivation keeps; deletion
// needs confirmation and keeps the values in the activity entry); 401 and
// 403 on every route.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
} from './harness.mjs';

const DEFS = '/api/v1/custom_fields';
const DEF = '/api/v1/custom_fields/{id}';
const PREVIEW = '/api/v1/custom_fields/{id}/preview';
const TYPES = '/api/v1/custom_fields/types';

describe('custom fields', () => {
  let srv;
  let admin;
  let member; // leads view/create/edit, custom_fields view/create/edit/delete, activity and events view
  let outsider; // leads only

  const slug = (p = 'f') => uniq(p).toLowerCase().replace(/[^a-z0-9_]/g, '_');

  async function define(body, c = admin) {
    const r = await c.req('POST', DEFS, { body: { entity: 'lead', label: 'Field', type: 'text', slug: slug(), ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  async function patchDef(d, body, c = admin) {
    const cur = await c.req('GET', DEF, { params: { id: d.id } });
    return c.req('PATCH', DEF, { params: { id: d.id }, headers: { 'If-Match': cur.headers.get('etag') }, body });
  }

  async function lead(custom = {}, extra = {}) {
    const r = await admin.req('POST', '/api/v1/leads', { body: { name: uniq('Lead '), custom_fields: custom, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  const getLead = async (id, c = admin) => (await c.req('GET', '/api/v1/leads/{id}', { params: { id } })).body;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('CF role '), {
      leads: ['view', 'create', 'edit'], custom_fields: ['view', 'create', 'edit', 'delete'],
      activity: ['view'], events: ['view'],
    });
    member = await addMember(srv, admin, { role_id: role.id }, 'cfmember');
    const lonly = await addRole(admin, uniq('Leads only '), { leads: ['view'] });
    outsider = await addMember(srv, admin, { role_id: lonly.id }, 'cfoutsider');
  });
  after(async () => { await srv?.stop(); });

  it('GET /types: every type with its label and the spec\'s advice', async () => {
    const r = await admin.req('GET', TYPES);
    assert.equal(r.status, 200, r.text);
    const names = r.body.data.map((t) => t.type);
    assert.deepEqual(names.sort(), ['checkbox', 'date', 'datetime', 'email', 'link', 'money', 'multi_select',
      'number', 'phone', 'select', 'text', 'textarea', 'url'].sort());
    for (const t of r.body.data) { assert.ok(t.label); assert.ok(t.hint); }
    assert.match(r.body.data.find((t) => t.type === 'select').hint, /categor/i);
  });

  it('POST: defines a field; GET, the list, the activity row, an index of its own', async () => {
    const s = slug('industry');
    const r = await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: s, label: 'Industry', type: 'select', options: ['Wood', 'Metal', 'Glass'],
        help_text: 'What they make', bs_column: 6, position: 3 },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/api/v1/custom_fields/${r.body.id}`);
    assert.equal(r.headers.get('etag'), '"1"');
    const d = r.body;
    assert.deepEqual([d.entity, d.slug, d.label, d.type, d.bs_column, d.position, d.required, d.active, d.only_admin,
      d.searchable, d.decimals, d.ref_entity],
    ['lead', s, 'Industry', 'select', 6, 3, false, true, false, true, null, null]);
    assert.deepEqual(d.options, ['Wood', 'Metal', 'Glass']);
    const got = await admin.req('GET', DEF, { params: { id: d.id } });
    assert.equal(got.status, 200);
    assert.equal(got.body.records_with_value, 0);
    const list = await admin.req('GET', DEFS, { query: { entity: 'lead', sort: '-created_at' } });
    assert.equal(list.status, 200);
    assert.equal(list.body.data[0].id, d.id);
    assert.equal(typeof list.body.total, 'number');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'custom_field', entity_id: d.id } });
    assert.equal(act.body.data[0].action, 'create');
    assert.equal(act.body.data[0].diff.slug.to, s);
    const idx = srv.pg
      ? srv.sql(`SELECT indexname FROM pg_indexes WHERE indexname = 'cf_lead_${d.id}'`).stdout
      : srv.sql(`SELECT name FROM sqlite_master WHERE name = 'cf_lead_${d.id}'`).stdout;
    assert.match(idx, new RegExp(`cf_lead_${d.id}`));
    // The form reads it from the entity definitions.
    const meta = await admin.req('GET', '/api/v1/meta/entities');
    const f = meta.body.data.find((e) => e.name === 'lead').fields.find((x) => x.name === s);
    assert.equal(f.custom, true);
    assert.equal(f.width, 6);
    assert.equal(f.hint, 'What they make');
    assert.deepEqual(f.choices.map((c) => c.value), ['Wood', 'Metal', 'Glass']);
  });

  it('POST: every invalid field is named', async () => {
    assertFieldErrors(await admin.req('POST', DEFS, { body: {} }),
      { entity: 'required', slug: 'required', label: 'required', type: 'required' });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'nosuch', slug: 'Bad-Slug', label: '', type: 'blob', required: 'yes', bs_column: 13,
        position: -1, extra: 1, help_text: 'x'.repeat(501) },
    }), { entity: 'invalid', slug: 'invalid', label: null, type: null, required: null, bs_column: 'out_of_range',
      position: 'out_of_range', extra: 'unknown_field', help_text: null });
    assertFieldErrors(await admin.req('POST', DEFS, { body: { entity: 'lead', slug: slug(), label: 'x', type: 'select' } }),
      { options: 'required' });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'select', options: ['a', 'a'] },
    }), { options: 'duplicate' });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'text', options: ['a'], decimals: 2, ref_entity: 'client' },
    }), { options: 'not_allowed', decimals: 'not_allowed', ref_entity: 'not_allowed' });
    assertFieldErrors(await admin.req('POST', DEFS, { body: { entity: 'lead', slug: slug(), label: 'x', type: 'link' } }),
      { ref_entity: 'required' });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'link', ref_entity: 'nosuch' },
    }), { ref_entity: 'invalid' });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'number', decimals: 9, default: 'abc' },
    }), { decimals: 'out_of_range', default: null });
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'number', decimals: 1.5, position: '3', bs_column: 6.5 },
    }), { decimals: 'type', position: 'type', bs_column: 'type' });
    // 0 is a position and a number of decimals.
    const whole = await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug('whole'), label: 'Count', type: 'number', decimals: 0, position: 0, default: '3' },
    });
    assert.equal(whole.status, 201, whole.text);
    assert.deepEqual([whole.body.decimals, whole.body.position, whole.body.default], [0, 0, '3']);
    assertFieldErrors(await admin.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'select', options: ['a'], default: 'b' },
    }), { default: null });
    // A built-in field's name, and a slug already used.
    assertFieldErrors(await admin.req('POST', DEFS, { body: { entity: 'lead', slug: 'name', label: 'x', type: 'text' } }),
      { slug: 'taken' });
    const d = await define({});
    assertFieldErrors(await admin.req('POST', DEFS, { body: { entity: 'lead', slug: d.slug, label: 'x', type: 'text' } }),
      { slug: 'taken' });
    // The same slug on another entity is another field.
    const other = await admin.req('POST', DEFS, { body: { entity: 'client', slug: d.slug, label: 'x', type: 'text' } });
    assert.equal(other.status, 201, other.text);
  });

  it('records carry the values under custom_fields: validated, defaulted, required, diffed, in events', async () => {
    const code = await define({ slug: slug('code'), type: 'text', label: 'External code' });
    const budget = await define({ slug: slug('budget'), type: 'money', default: '100.00' });
    const tier = await define({ slug: slug('tier'), type: 'select', options: ['A', 'B'], required: true, default: 'B' });
    const when = await define({ slug: slug('renewal'), type: 'date' });
    const ref = await define({ slug: slug('referrer'), type: 'link', ref_entity: 'client' });
    const tags = await define({ slug: slug('interests'), type: 'multi_select', options: ['x', 'y', 'z'] });
    const bad = await admin.req('POST', '/api/v1/leads', {
      body: { name: 'x', custom_fields: { [budget.slug]: '1.234', [tier.slug]: 'C', [when.slug]: '2026-02-30',
        [ref.slug]: 999999, [tags.slug]: ['q'], nosuch: 1 } },
    });
    assertFieldErrors(bad, { [`custom_fields.${budget.slug}`]: null, [`custom_fields.${tier.slug}`]: null,
      [`custom_fields.${when.slug}`]: null, [`custom_fields.${ref.slug}`]: 'not_found',
      [`custom_fields.${tags.slug}`]: null, 'custom_fields.nosuch': 'unknown_field' });
    const l = await lead({ [code.slug]: 'EXT-1', [when.slug]: '2027-01-31', [tags.slug]: ['x', 'z'] });
    assert.equal(l.custom_fields[code.slug], 'EXT-1');
    assert.equal(l.custom_fields[budget.slug], '100.00', 'the default');
    assert.equal(l.custom_fields[tier.slug], 'B', 'a required field with a default');
    assert.deepEqual(l.custom_fields[tags.slug], ['x', 'z']);
    const upd = await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${l.version}"` }, body: { custom_fields: { [code.slug]: 'EXT-2', [tier.slug]: null } },
    });
    assertFieldErrors(upd, { [`custom_fields.${tier.slug}`]: 'required' });
    const ok = await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${l.version}"` }, body: { custom_fields: { [code.slug]: 'EXT-2' } },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.custom_fields[when.slug], '2027-01-31', 'values not sent are kept');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: l.id, action: 'update' } });
    assert.deepEqual(act.body.data[0].diff[`custom_fields.${code.slug}`], { from: 'EXT-1', to: 'EXT-2' });
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'lead', entity_id: l.id } });
    const updated = ev.body.data.find((e) => e.action === 'updated');
    assert.equal(updated.payload.after.custom_fields[code.slug], 'EXT-2');
  });

  it('lists filter, sort and search on custom fields (search through the index)', async () => {
    const color = await define({ slug: slug('color'), type: 'select', options: ['red', 'green', 'blue'] });
    const score = await define({ slug: slug('score'), type: 'number', decimals: 1 });
    const note = await define({ slug: slug('note'), type: 'text' });
    const word = uniq('zebrafinch');
    const a = await lead({ [color.slug]: 'red', [score.slug]: '7.5', [note.slug]: `likes ${word} a lot` });
    const b = await lead({ [color.slug]: 'green', [score.slug]: '3' });
    const c = await lead({ [color.slug]: 'red', [score.slug]: '9.1' });
    const q = async (query) => {
      const r = await admin.req('GET', '/api/v1/leads', { query });
      assert.equal(r.status, 200, r.text);
      return r.body.data.map((x) => x.id);
    };
    const reds = await q({ [`custom_fields.${color.slug}`]: 'red', sort: 'id' });
    assert.deepEqual(reds, [a.id, c.id]);
    assert.deepEqual(await q({ [`custom_fields.${score.slug}[gt]`]: '5', sort: `-custom_fields.${score.slug}` }), [c.id, a.id]);
    assert.deepEqual(await q({ [`custom_fields.${color.slug}[in]`]: 'green,blue' }), [b.id]);
    assert.deepEqual(await q({ q: word }), [a.id]);
    const bad = await admin.req('GET', '/api/v1/leads', { query: { [`custom_fields.${score.slug}[gt]`]: 'lots' } });
    assertProblem(bad, 400);
    // The search text follows an edit and a field made unsearchable.
    await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: a.id }, headers: { 'If-Match': `"${a.version}"` }, body: { custom_fields: { [note.slug]: null } },
    });
    assert.deepEqual(await q({ q: word }), []);
    const d = await lead({ [note.slug]: `${word} again` });
    assert.deepEqual(await q({ q: word }), [d.id]);
    assert.equal((await patchDef(note, { searchable: false })).status, 200);
    assert.deepEqual(await q({ q: word }), []);
  });

  it('only_admin: invisible to everyone else in definitions, records, meta, filters, search, activity and events', async () => {
    const secret = await define({ slug: slug('margin'), type: 'text', only_admin: true });
    const open = await define({ slug: slug('open'), type: 'text' });
    const word = uniq('okapi');
    const l = await lead({ [secret.slug]: word, [open.slug]: 'shown' });
    // Admin changes the reserved value: the diff has it, for admins only.
    const p = await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${l.version}"` },
      body: { custom_fields: { [secret.slug]: `${word}2`, [open.slug]: 'shown2' } },
    });
    assert.equal(p.status, 200, p.text);
    const adminAct = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: l.id, action: 'update' } });
    assert.ok(adminAct.body.data[0].diff[`custom_fields.${secret.slug}`]);

    const defs = await member.req('GET', DEFS, { query: { limit: 200 } });
    assert.equal(defs.status, 200);
    assert.ok(!defs.body.data.some((x) => x.id === secret.id));
    assert.equal((await member.req('GET', DEF, { params: { id: secret.id } })).status, 404);
    const rec = await getLead(l.id, member);
    assert.equal(rec.custom_fields[open.slug], 'shown2');
    assert.ok(!(secret.slug in rec.custom_fields));
    assert.ok(!JSON.stringify(rec).includes(word));
    const meta = await member.req('GET', '/api/v1/meta/entities');
    assert.ok(!meta.text.includes(secret.slug));
    assertProblem(await member.req('GET', '/api/v1/leads', { query: { [`custom_fields.${secret.slug}`]: `${word}2` } }), 400);
    assertProblem(await member.req('GET', '/api/v1/leads', { query: { sort: `custom_fields.${secret.slug}` } }), 400);
    const found = await member.req('GET', '/api/v1/leads', { query: { q: word } });
    assert.equal(found.body.data.length, 0, 'not found by a reserved value');
    const act = await member.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: l.id } });
    assert.equal(act.status, 200);
    assert.ok(act.body.data.length >= 2);
    assert.ok(!act.text.includes(word), 'the activity diff leaves the reserved value out');
    assert.ok(act.text.includes('shown2'));
    const one = await member.req('GET', '/api/v1/activity/{id}', { params: { id: act.body.data[0].id } });
    assert.ok(!one.text.includes(word));
    const csv = await member.req('GET', '/api/v1/activity/export', { query: { entity: 'lead', entity_id: l.id } });
    assert.equal(csv.status, 200);
    assert.ok(!csv.text.includes(word));
    const ev = await member.req('GET', '/api/v1/events', { query: { entity: 'lead', entity_id: l.id } });
    assert.equal(ev.status, 200, ev.text);
    assert.ok(ev.body.data.length >= 2);
    assert.ok(!ev.text.includes(word), 'events leave the reserved value out');
    const evx = await member.req('GET', '/api/v1/events/export', { query: { entity: 'lead', entity_id: l.id } });
    assert.ok(!evx.text.includes(word));
    // Setting it is refused as an unknown field; the stored value stays.
    const w = await member.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${p.body.version}"` }, body: { custom_fields: { [secret.slug]: 'x' } },
    });
    assertFieldErrors(w, { [`custom_fields.${secret.slug}`]: 'unknown_field' });
    const w2 = await member.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${p.body.version}"` }, body: { custom_fields: { [open.slug]: 'by member' } },
    });
    assert.equal(w2.status, 200, w2.text);
    assert.equal((await getLead(l.id)).custom_fields[secret.slug], `${word}2`, 'kept through a member\'s edit');
    // Definitions: a member cannot reserve a field, nor see the reserved one's activity.
    assertFieldErrors(await member.req('POST', DEFS, {
      body: { entity: 'lead', slug: slug(), label: 'x', type: 'text', only_admin: true },
    }), { only_admin: 'forbidden' });
    const dact = await member.req('GET', '/api/v1/activity', { query: { entity_id: secret.id } });
    assert.ok(!dact.body.data.some((x) => x.entity.startsWith('custom_field') && x.entity_id === secret.id));
    const aact = await admin.req('GET', '/api/v1/activity', { query: { entity: 'custom_field_admin', entity_id: secret.id } });
    assert.equal(aact.body.data[0].action, 'create');
  });

  it('making a field required asks for a fill value when records lack one; the preview counts them', async () => {
    const d = await define({ slug: slug('segment'), type: 'select', options: ['smb', 'enterprise'] });
    const has = await lead({ [d.slug]: 'smb' });
    const lacks = await lead({});
    const pv = await admin.req('POST', PREVIEW, { params: { id: d.id }, body: { required: true } });
    assert.equal(pv.status, 200, pv.text);
    assert.equal(pv.body.becomes_required, true);
    assert.ok(pv.body.missing >= 1);
    assert.equal(pv.body.with_value, 1);
    const no = await patchDef(d, { required: true });
    assertFieldErrors(no, { fill_value: 'required' });
    assert.match(no.body.errors.find((e) => e.field === 'fill_value').detail, new RegExp(`^${pv.body.missing} leads`));
    assertFieldErrors(await patchDef(d, { required: true, fill_value: 'huge' }), { fill_value: null });
    const before = await getLead(lacks.id);
    const yes = await patchDef(d, { required: true, fill_value: 'enterprise' });
    assert.equal(yes.status, 200, yes.text);
    assert.equal(yes.body.required, true);
    assert.equal(yes.body.changed_values.filled, pv.body.missing);
    const after = await getLead(lacks.id);
    assert.equal(after.custom_fields[d.slug], 'enterprise');
    assert.equal(after.version, before.version + 1, 'a filled record gets a new version');
    assert.equal((await getLead(has.id)).custom_fields[d.slug], 'smb');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'custom_field', entity_id: d.id, action: 'update' } });
    assert.equal(act.body.data[0].diff.required.to, true);
    assert.equal(act.body.data[0].diff.changed_values.to.filled, pv.body.missing);
    // The other tests' leads go without it.
    assert.equal((await patchDef(d, { required: false })).status, 200);
  });

  it('a type changes only when every value converts; the preview names those that do not', async () => {
    const d = await define({ slug: slug('size'), type: 'text' });
    const a = await lead({ [d.slug]: '12.5' });
    const b = await lead({ [d.slug]: 'large' });
    const pv = await admin.req('POST', PREVIEW, { params: { id: d.id }, body: { type: 'number', decimals: 2 } });
    assert.equal(pv.status, 200, pv.text);
    assert.equal(pv.body.with_value, 2);
    assert.equal(pv.body.convertible, 1);
    assert.equal(pv.body.not_convertible, 1);
    assert.deepEqual(pv.body.failures.map((f) => [f.id, f.value]), [[b.id, 'large']]);
    assert.ok(pv.body.failures[0].reason);
    const no = await patchDef(d, { type: 'number', decimals: 2 });
    assertFieldErrors(no, { type: 'not_convertible' });
    assert.equal((await getLead(a.id)).custom_fields[d.slug], '12.5', 'nothing converted');
    await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: b.id }, headers: { 'If-Match': `"${b.version}"` }, body: { custom_fields: { [d.slug]: '40' } },
    });
    const yes = await patchDef(d, { type: 'number', decimals: 2 });
    assert.equal(yes.status, 200, yes.text);
    assert.equal(yes.body.changed_values.converted, 2);
    assert.equal((await getLead(a.id)).custom_fields[d.slug], '12.50');
    const big = await admin.req('GET', '/api/v1/leads', { query: { [`custom_fields.${d.slug}[gte]`]: '40' } });
    assert.deepEqual(big.body.data.map((x) => x.id), [b.id]);
    // Back to text, and select -> multi-select; a link converts to nothing else.
    assert.equal((await patchDef(d, { type: 'text' })).status, 200);
    assert.equal((await getLead(a.id)).custom_fields[d.slug], '12.50');
    const s = await define({ slug: slug('kind'), type: 'select', options: ['p', 'q'] });
    const c = await lead({ [s.slug]: 'q' });
    assertFieldErrors(await patchDef(s, { options: ['p'] }), { type: 'not_convertible' });
    assert.equal((await patchDef(s, { type: 'multi_select' })).status, 200);
    assert.deepEqual((await getLead(c.id)).custom_fields[s.slug], ['q']);
    const link = await define({ slug: slug('lk'), type: 'link', ref_entity: 'client' });
    assertFieldErrors(await patchDef(link, { type: 'text' }), { type: 'not_convertible' });
    assertFieldErrors(await patchDef(link, { slug: 'other', entity: 'client' }), { slug: 'read_only', entity: 'read_only' });
  });

  it('deactivating hides and keeps; deleting with values needs confirmation and logs them', async () => {
    const d = await define({ slug: slug('legacy'), type: 'text' });
    const l = await lead({ [d.slug]: 'old value' });
    assert.equal((await patchDef(d, { active: false })).status, 200);
    assert.ok(!(d.slug in (await getLead(l.id)).custom_fields));
    assertFieldErrors(await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: l.id }, headers: { 'If-Match': `"${l.version}"` }, body: { custom_fields: { [d.slug]: 'x' } },
    }), { [`custom_fields.${d.slug}`]: 'unknown_field' });
    assert.equal((await patchDef(d, { active: true })).status, 200);
    assert.equal((await getLead(l.id)).custom_fields[d.slug], 'old value', 'kept while inactive');
    const got = await admin.req('GET', DEF, { params: { id: d.id } });
    assert.equal(got.body.records_with_value, 1);
    const no = await admin.req('DELETE', DEF, { params: { id: d.id } });
    assertProblem(no, 409);
    assert.match(no.body.detail, /1 leads/);
    const yes = await admin.req('DELETE', DEF, { params: { id: d.id }, query: { confirm: 'true' } });
    assert.equal(yes.status, 204, yes.text);
    assert.equal((await admin.req('GET', DEF, { params: { id: d.id } })).status, 404);
    const rec = await getLead(l.id);
    assert.ok(!(d.slug in rec.custom_fields));
    assert.ok(!srv.sql(`SELECT cf FROM lead WHERE id = ${l.id}`).stdout.includes(d.slug), 'removed from storage');
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'custom_field', entity_id: d.id, action: 'delete' } });
    assert.deepEqual(act.body.data[0].diff[`values.${l.id}`], { from: 'old value' });
    const idx = srv.pg
      ? srv.sql(`SELECT indexname FROM pg_indexes WHERE indexname = 'cf_lead_${d.id}'`).stdout
      : srv.sql(`SELECT name FROM sqlite_master WHERE name = 'cf_lead_${d.id}'`).stdout;
    assert.equal(idx.trim().replace(/indexname|-|\(0 rows\)/g, '').trim(), '');
    // Without values no confirmation is needed.
    const empty = await define({});
    assert.equal((await admin.req('DELETE', DEF, { params: { id: empty.id } })).status, 204);
  });

  it('PATCH: If-Match required (428), stale (412), every invalid field named, a no-op keeps the version', async () => {
    const d = await define({ slug: slug('pt') });
    assertProblem(await admin.req('PATCH', DEF, { params: { id: d.id }, body: { label: 'y' } }), 428);
    assertProblem(await admin.req('PATCH', DEF, { params: { id: d.id }, headers: { 'If-Match': '"9"' }, body: { label: 'y' } }), 412);
    assertFieldErrors(await patchDef(d, { label: '', bs_column: 0, type: 'nope', options: ['a'], wat: 1 }),
      { label: null, bs_column: 'out_of_range', type: null, wat: 'unknown_field' });
    const same = await patchDef(d, { label: d.label });
    assert.equal(same.status, 200);
    assert.equal(same.body.version, d.version);
    const ok = await patchDef(d, { label: 'Renamed', bs_column: 12, help_text: 'Help' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.version, d.version + 1);
    assert.equal(ok.headers.get('etag'), `"${d.version + 1}"`);
    assertProblem(await admin.req('PATCH', DEF, { params: { id: 999999 }, headers: { 'If-Match': '"1"' }, body: { label: 'x' } }), 404);
    assertProblem(await admin.req('POST', PREVIEW, { params: { id: 999999 }, body: {} }), 404);
    assertFieldErrors(await admin.req('POST', PREVIEW, { params: { id: d.id }, body: { bs_column: 40 } }), { bs_column: 'out_of_range' });
  });

  it('a new field reaches the records API at once, and every entity of the registry takes them', async () => {
    for (const entity of ['client', 'department', 'team']) {
      const d = await define({ entity, slug: slug('x'), type: 'checkbox' });
      const meta = await admin.req('GET', '/api/v1/meta/entities');
      assert.ok(meta.body.data.find((e) => e.name === entity).fields.some((f) => f.name === d.slug), entity);
    }
    const d = await define({ entity: 'client', slug: slug('vip'), type: 'checkbox' });
    const c = await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Co '), custom_fields: { [d.slug]: true } } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.custom_fields[d.slug], true);
    const l = await admin.req('GET', '/api/v1/clients', { query: { [`custom_fields.${d.slug}`]: 'true' } });
    assert.deepEqual(l.body.data.map((x) => x.id), [c.body.id]);
  });

  it('an entity takes at most 200 custom fields (422 too_many on entity)', async () => {
    const now = new Date().toISOString();
    const rows = Array.from({ length: 200 }, (_, i) => `(1, 'team', 'bulk_${i}', 'Bulk ${i}', 'text', 1, '${now}', '${now}')`);
    srv.sql(`INSERT INTO custom_field (org_id, entity, slug, label, type, created_by, created_at, updated_at) VALUES ${rows.join(', ')}`);
    assertFieldErrors(await admin.req('POST', DEFS, { body: { entity: 'team', slug: 'one_more', label: 'x', type: 'text' } }),
      { entity: 'too_many' });
    srv.sql("DELETE FROM custom_field WHERE entity = 'team' AND slug LIKE 'bulk_%'");
  });

  it('401 without a session and 403 without the permission, on every route', async () => {
    const d = await define({});
    const anon = client(srv.base);
    const routes = [
      ['GET', DEFS, {}], ['GET', TYPES, {}], ['POST', DEFS, { body: {} }], ['GET', DEF, { params: { id: d.id } }],
      ['PATCH', DEF, { params: { id: d.id }, body: {} }], ['POST', PREVIEW, { params: { id: d.id }, body: {} }],
      ['DELETE', DEF, { params: { id: d.id } }],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await outsider.req(m, p, o), 403);
    }
  });
});
