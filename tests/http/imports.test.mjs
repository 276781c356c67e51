// Bulk imports (src/admin/import*.c, docs/internals/import.md): the
// template (an xlsx written by libxlsxwriter, read back by our own reader
// when uploaded), CSV and xlsx uploads (xlsx written part by part by
// Python's zipfile, tests/http/xlsx_write.py), the column mapping and each
// invalid setting, validation row by row before anything is written,
// all-or-nothing and "skip bad rows", duplicates in each mode, revert and
// revert refused after a later change, permissions (401, 403, a view_own
// importer), and malicious files refused.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  ROOT, startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors,
  uniq, waitFor, raiseSeats, addRole, addMember,
} from './harness.mjs';

const TEMPLATE = '/api/v1/imports/template';
const LIST = '/api/v1/imports';
const ONE = '/api/v1/imports/{id}';
const ERRORS = '/api/v1/imports/{id}/errors';
const VALIDATE = '/api/v1/imports/{id}/validate';
const CONFIRM = '/api/v1/imports/{id}/confirm';
const REVERT = '/api/v1/imports/{id}/revert';

/* A 422 naming exactly these fields (any code). */
function fe(r, fields) {
  assertFieldErrors(r, Object.fromEntries(fields.map((f) => [f, null])));
  assert.deepEqual([...new Set(r.body.errors.map((e) => e.field))].sort(), [...fields].sort(), r.text);
}

/* An xlsx from rows (tests/http/xlsx_write.py). */
function xlsx(spec) {
  const r = spawnSync('python3', [path.join(ROOT, 'tests/http/xlsx_write.py')],
    { input: JSON.stringify(spec), maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

describe('imports', () => {
  let srv;
  let admin;
  let staff;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    staff = await staffClient(srv);
    await raiseSeats(admin);
  });

  after(async () => {
    await srv?.stop();
  });

  async function upload(c, data, { entity = 'leads', filename = 'leads.csv' } = {}) {
    return c.req('POST', LIST, {
      query: { entity, filename }, raw: data, contentType: 'application/octet-stream',
    });
  }

  /* Waits until the import leaves the states given; returns it. */
  async function settle(c, id, busy) {
    let imp;
    await waitFor(async () => {
      const r = await c.req('GET', ONE, { params: { id } });
      assert.equal(r.status, 200, r.text);
      imp = r.body;
      return !busy.includes(imp.status);
    }, { timeout: 30000, what: `import ${id} to leave ${busy}` });
    return imp;
  }

  async function validate(c, id) {
    const r = await c.req('POST', VALIDATE, { params: { id }, body: {} });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.status, 'validating');
    return settle(c, id, ['validating']);
  }

  async function confirm(c, id) {
    const r = await c.req('POST', CONFIRM, { params: { id }, body: {} });
    assert.equal(r.status, 202, r.text);
    return settle(c, id, ['queued', 'running']);
  }

  async function leadsTagged(c, tag) {
    const r = await c.req('GET', '/api/v1/leads', { query: { q: tag, limit: 100, sort: 'id' } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  async function errorsOf(c, id) {
    const r = await c.req('GET', ERRORS, { params: { id } });
    assert.equal(r.status, 200, r.text);
    return r.body.data;
  }

  it('the template: an xlsx whose header maps itself, required marked, notes row skipped', async () => {
    const r = await admin.req('GET', TEMPLATE, { query: { entity: 'leads' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /spreadsheetml\.sheet/);
    assert.match(r.headers.get('content-disposition'), /leads-import-template\.xlsx/);
    // Uploaded as it is, the template is understood by our reader.
    const file = await templateBytes('leads');
    assert.equal(file.subarray(0, 2).toString(), 'PK');
    const up = await upload(admin, await templateBytes('leads'), { filename: 'template.xlsx' });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.body.format, 'xlsx');
    assert.equal(up.body.rows_total, 0, 'the notes row is not data');
    assert.equal(up.body.headers[0], 'Name *');
    assert.equal(up.body.mapping[0], 'name');
    assert.ok(up.body.mapping.includes('status'));
    assert.ok(up.body.mapping.includes('assigned_to'));
    assert.ok(up.body.mapping.every((m) => m !== null), JSON.stringify(up.body));
    // every importable entity: its template maps itself back
    for (const entity of ['clients', 'contacts', 'tasks', 'tickets', 'contracts', 'projects']) {
      const back = await upload(admin, await templateBytes(entity), { entity, filename: `${entity}.xlsx` });
      assert.equal(back.status, 201, `${entity}: ${back.text}`);
      assert.equal(back.body.rows_total, 0, entity);
      assert.ok(back.body.mapping.length > 0 && back.body.mapping.every((m) => m !== null), `${entity}: ${JSON.stringify(back.body)}`);
    }
    // each invalid entity
    fe(await admin.req('GET', TEMPLATE, { query: { entity: 'invoices' } }), ['entity']);
    fe(await admin.req('GET', TEMPLATE), ['entity']);
  });

  /* The template's bytes, fetched with the admin's cookie. */
  async function templateBytes(entity) {
    const res = await fetch(`${srv.base}${TEMPLATE}?entity=${entity}`, { headers: { Cookie: admin.cookieHeader() } });
    assert.equal(res.status, 200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('custom fields: in the template, mapped, validated by their own rules and imported', async () => {
    const slug = `vat_${uniq('s').replace(/[^a-z0-9]/gi, '').toLowerCase()}`.slice(0, 30);
    const def = await admin.req('POST', '/api/v1/custom_fields', {
      body: { entity: 'lead', slug, label: 'VAT code', type: 'select', options: ['RO', 'EU', 'None'] },
    });
    assert.equal(def.status, 201, def.text);
    const back = await upload(admin, await templateBytes('leads'), { filename: 'template.xlsx' });
    assert.ok(back.body.headers.includes('VAT code'), JSON.stringify(back.body.headers));
    assert.ok(back.body.mapping.includes(`custom_fields.${slug}`), JSON.stringify(back.body.mapping));
    const tag = uniq('cf');
    const up = await upload(admin, Buffer.from(`Name,VAT code\nOne ${tag},eu\nTwo ${tag},Mars\n`));
    assert.deepEqual(up.body.mapping, ['name', `custom_fields.${slug}`]);
    const v = await validate(admin, up.body.id);
    assert.equal(v.status, 'invalid');
    const errs = await errorsOf(admin, up.body.id);
    assert.deepEqual(errs.map((e) => [e.row, e.column]), [[3, 'VAT code']], JSON.stringify(errs));
    await admin.req('PATCH', ONE, { params: { id: up.body.id }, body: { skip_bad: true } });
    await validate(admin, up.body.id);
    const done = await confirm(admin, up.body.id);
    assert.equal(done.created, 1, JSON.stringify(done));
    const [lead] = await leadsTagged(admin, tag);
    assert.equal(lead.custom_fields[slug], 'EU');
  });

  it('a CSV (BOM, ";", quoted line breaks) validated, confirmed, written with activity, then reverted', async () => {
    const tag = uniq('csv');
    const csv = '\uFEFFName;Email;Status;Value;Notes;Tags\r\n'
      + `Ana ${tag};ana-${tag}@x.test;New;1250.50;"two\nlines; with ""quotes""";a, b\r\n`
      + `Ion ${tag};ion-${tag}@x.test;qualified;;;\r\n`;
    const up = await upload(admin, Buffer.from(csv));
    assert.equal(up.status, 201, up.text);
    assert.match(up.headers.get('location'), /\/api\/v1\/imports\/\d+$/);
    assert.equal(up.body.format, 'csv');
    assert.equal(up.body.rows_total, 2);
    assert.deepEqual(up.body.mapping, ['name', 'email', 'status', 'value', 'notes', 'tags']);
    assert.equal(up.body.status, 'uploaded');
    // confirm before validation: 409
    assertProblem(await admin.req('POST', CONFIRM, { params: { id: up.body.id }, body: {} }), 409);
    const v = await validate(admin, up.body.id);
    assert.equal(v.status, 'validated', JSON.stringify(v));
    assert.equal(v.errors, 0);
    assert.equal((await leadsTagged(admin, tag)).length, 0, 'validation writes nothing');
    const done = await confirm(admin, up.body.id);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, 2);
    assert.equal(done.rows_done, 3);
    const leads = await leadsTagged(admin, tag);
    assert.equal(leads.length, 2);
    assert.equal(leads[0].status, 'new');
    assert.equal(leads[0].value, '1250.50');
    assert.equal(leads[0].notes, 'two\nlines; with "quotes"');
    assert.deepEqual(leads[0].tags, ['a', 'b']);
    // an activity row per record (create) and one for the import
    const act = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: leads[0].id } });
    assert.equal(act.status, 200, act.text);
    assert.ok(act.body.data.some((a) => a.action === 'create'), act.text);
    const ia = await admin.req('GET', '/api/v1/activity', { query: { entity: 'import', entity_id: up.body.id } });
    assert.ok(ia.body.data.some((a) => a.action === 'import'), ia.text);
    // the history
    const l = await admin.req('GET', LIST, { query: { status: 'done' } });
    assert.equal(l.status, 200, l.text);
    assert.ok(l.body.data.some((i) => i.id === up.body.id));
    // revert: the records go, the import says so, twice is 409
    const rv = await admin.req('POST', REVERT, { params: { id: up.body.id }, body: {} });
    assert.equal(rv.status, 200, rv.text);
    assert.deepEqual(rv.body, { id: up.body.id, status: 'reverted', removed: 2, restored: 0 });
    assert.equal((await leadsTagged(admin, tag)).length, 0);
    assertProblem(await admin.req('POST', REVERT, { params: { id: up.body.id }, body: {} }), 409);
  });

  it('an xlsx (shared and inline strings, numbers, a merged range) imported', async () => {
    const tag = uniq('xl');
    const file = xlsx({
      rows: [
        ['name', 'company', 'email', 'value'],
        [`A ${tag}`, 'Merged SRL', { inline: `a-${tag}@x.test` }, 10],
        [`B ${tag}`, null, `b-${tag}@x.test`, 2.5],
      ],
      merge: 'B2:B3',
    });
    const up = await upload(admin, file, { filename: 'x.xlsx' });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.body.format, 'xlsx');
    assert.equal(up.body.rows_total, 2);
    assert.equal((await validate(admin, up.body.id)).status, 'validated');
    const done = await confirm(admin, up.body.id);
    assert.equal(done.created, 2, JSON.stringify(done));
    const leads = await leadsTagged(admin, tag);
    assert.deepEqual(leads.map((x) => [x.company, x.email, x.value]), [
      ['Merged SRL', `a-${tag}@x.test`, '10.00'],
      ['Merged SRL', `b-${tag}@x.test`, '2.50'],
    ]);
  });

  it('row errors are listed before anything is written; all or nothing, then skip bad rows', async () => {
    const tag = uniq('bad');
    const csv = 'name,email,status,assigned_to\n'
      + `Good ${tag},good-${tag}@x.test,new,\n`
      + `,nomail-${tag},weird,\n`
      + `Third ${tag},third-${tag}@x.test,won,nobody@nowhere.test\n`;
    const up = await upload(admin, Buffer.from(csv));
    assert.equal(up.status, 201, up.text);
    const v = await validate(admin, up.body.id);
    assert.equal(v.status, 'invalid');
    assert.equal(v.errors, 2);
    const errs = await errorsOf(admin, up.body.id);
    const byCol = Object.fromEntries(errs.map((e) => [`${e.row}:${e.column}`, e.reason]));
    assert.ok(byCol['3:name'], JSON.stringify(errs));
    assert.ok(byCol['3:email'], JSON.stringify(errs));
    assert.ok(byCol['3:status'], JSON.stringify(errs));
    assert.ok(byCol['4:assigned_to'], JSON.stringify(errs));
    assert.equal((await leadsTagged(admin, tag)).length, 0, 'nothing written by validation');
    // all or nothing refuses while rows are bad
    assertProblem(await admin.req('POST', CONFIRM, { params: { id: up.body.id }, body: {} }), 409);
    // skip bad rows: the good one is written, the bad ones listed
    const p = await admin.req('PATCH', ONE, { params: { id: up.body.id }, body: { skip_bad: true } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.skip_bad, true);
    assert.equal((await validate(admin, up.body.id)).status, 'invalid');
    const done = await confirm(admin, up.body.id);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, 1);
    assert.equal(done.errors, 2);
    const leads = await leadsTagged(admin, tag);
    assert.deepEqual(leads.map((x) => x.name), [`Good ${tag}`]);
  });

  it('duplicates by email: skip, update (and its revert restores), create', async () => {
    const tag = uniq('dup');
    const email = `dup-${tag}@x.test`;
    const made = await admin.req('POST', '/api/v1/leads', { body: { name: `Old ${tag}`, email, company: 'Old' } });
    assert.equal(made.status, 201, made.text);
    const csv = `name,email,company\nNew ${tag},${email.toUpperCase()},New\nOther ${tag},other-${tag}@x.test,New\n`;
    const run = async (mode) => {
      const up = await upload(admin, Buffer.from(csv));
      assert.equal(up.status, 201, up.text);
      const p = await admin.req('PATCH', ONE, { params: { id: up.body.id }, body: { dup_key: 'email', dup_mode: mode } });
      assert.equal(p.status, 200, p.text);
      assert.equal((await validate(admin, up.body.id)).status, 'validated');
      return confirm(admin, up.body.id);
    };
    const skip = await run('skip');
    assert.deepEqual([skip.created, skip.updated, skip.skipped], [1, 0, 1]);
    let leads = await leadsTagged(admin, tag);
    assert.equal(leads.find((x) => x.id === made.body.id).company, 'Old');
    const upd = await run('update');
    assert.deepEqual([upd.created, upd.updated, upd.skipped], [0, 2, 0], JSON.stringify(upd));
    leads = await leadsTagged(admin, tag);
    const old = leads.find((x) => x.id === made.body.id);
    assert.equal(old.company, 'New');
    assert.equal(old.name, `New ${tag}`);
    const rv = await admin.req('POST', REVERT, { params: { id: upd.id }, body: {} });
    assert.equal(rv.status, 200, rv.text);
    assert.equal(rv.body.restored, 2);
    const back = await admin.req('GET', '/api/v1/leads/{id}', { params: { id: made.body.id } });
    assert.equal(back.body.company, 'Old');
    assert.equal(back.body.name, `Old ${tag}`);
    const create = await run('create');
    assert.deepEqual([create.created, create.updated, create.skipped], [2, 0, 0]);
  });

  it('all or nothing: a row that fails at write time (changed since validation) rolls every row back', async () => {
    const tag = uniq('aon');
    const m = await addMember(srv, admin, {}, 'assignee');
    const up = await upload(admin, Buffer.from(`name,assigned_to\nFirst ${tag},\nSecond ${tag},${m.me.email}\nThird ${tag},\n`));
    assert.equal(up.status, 201, up.text);
    assert.equal((await validate(admin, up.body.id)).status, 'validated');
    // the member named on row 3 leaves before the import is confirmed
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: m.id }, body: {} });
    assert.ok([200, 204].includes(d.status), d.text);
    const done = await confirm(admin, up.body.id);
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.match(done.error, /nothing was written/);
    assert.equal(done.created, 0);
    const errs = await errorsOf(admin, up.body.id);
    assert.deepEqual(errs.map((e) => [e.row, e.column]), [[3, 'assigned_to']], JSON.stringify(errs));
    assert.equal((await leadsTagged(admin, tag)).length, 0, 'the first row was rolled back too');
  });

  it('a write that runs again after a crash continues after the rows it committed, never writing one twice', async () => {
    const tag = uniq('resume');
    const up = await upload(admin, Buffer.from(`name\nR1 ${tag}\nR2 ${tag}\nR3 ${tag}\nR4 ${tag}\n`));
    assert.equal(up.status, 201, up.text);
    const p = await admin.req('PATCH', ONE, { params: { id: up.body.id }, body: { skip_bad: true } });
    assert.equal(p.status, 200, p.text);
    assert.equal((await validate(admin, up.body.id)).status, 'validated');
    // What a node that died mid-write leaves: the import running, its
    // first batch (file rows 2 and 3) committed with rows_done, and its
    // job due again (its lease ran out). Those rows' records are made
    // here as the committed batch made them.
    for (const n of ['R1', 'R2']) {
      const r = await admin.req('POST', '/api/v1/leads', { body: { name: `${n} ${tag}` } });
      assert.equal(r.status, 201, r.text);
    }
    srv.sql(`UPDATE import SET status = 'running', rows_done = 3 WHERE id = ${up.body.id}`);
    srv.sql(`INSERT INTO job (org_id, kind, payload, status, attempts, run_at, scheduled_at, order_key, order_seq, created_at) VALUES (1, 'import_write', '{"import_id":${up.body.id}}', 'queued', 0, '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z', 'import:${up.body.id}', 0, '2000-01-01T00:00:00.000Z')`);
    const done = await settle(admin, up.body.id, ['queued', 'running']);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, 2);
    assert.equal(done.rows_done, 5);
    const names = (await leadsTagged(admin, tag)).map((x) => x.name).sort();
    assert.deepEqual(names, [`R1 ${tag}`, `R2 ${tag}`, `R3 ${tag}`, `R4 ${tag}`]);
  });

  it('revert is refused, per record, when a record changed since the import', async () => {
    const tag = uniq('chg');
    const up = await upload(admin, Buffer.from(`name\nA ${tag}\nB ${tag}\n`));
    await validate(admin, up.body.id);
    const done = await confirm(admin, up.body.id);
    assert.equal(done.created, 2);
    const [a] = await leadsTagged(admin, tag);
    const ch = await admin.req('PATCH', '/api/v1/leads/{id}', {
      params: { id: a.id }, body: { company: 'edited later' }, headers: { 'If-Match': `"${a.version}"` },
    });
    assert.equal(ch.status, 200, ch.text);
    const rv = await admin.req('POST', REVERT, { params: { id: up.body.id }, body: {} });
    assertProblem(rv, 409);
    assert.ok(rv.body.errors.some((e) => e.field === `records.${a.id}` && /changed since the import/.test(e.detail)), rv.text);
    assert.equal(rv.body.errors.length, 1);
    assert.equal((await leadsTagged(admin, tag)).length, 2, 'nothing reverted');
  });

  it('PATCH: each invalid field, and all at once', async () => {
    const up = await upload(admin, Buffer.from('name,email,phone\nX,x@x.test,1\n'));
    const id = up.body.id;
    const bad = async (body, fields) => fe(
      await admin.req('PATCH', ONE, { params: { id }, body }), fields);
    await bad({ mapping: { 9: 'name' } }, ['mapping.9']);
    await bad({ mapping: { 2: 'no_such_field' } }, ['mapping.2']);
    await bad({ mapping: { 2: 'name' } }, ['mapping.2']);
    await bad({ mapping: { 1: null } }, ['mapping']);
    await bad({ dup_key: 'value' }, ['dup_key']);
    await bad({ dup_key: 'company' }, ['dup_key']);
    await bad({ dup_mode: 'merge' }, ['dup_mode']);
    await bad({ dup_mode: 'skip' }, ['dup_key']);
    await bad({ skip_bad: 'yes' }, ['skip_bad']);
    await bad({ mapping: 'x' }, ['mapping']);
    assertProblem(await admin.req('PATCH', ONE, { params: { id }, body: { nope: 1 } }), 422);
    const all = await admin.req('PATCH', ONE, { params: { id }, body: { mapping: { 9: 'name', 2: 'zzz' }, dup_key: 'company' } });
    fe(all, ['mapping.9', 'mapping.2', 'dup_key']);
    // a good change: unmap the phone, key by email
    const ok = await admin.req('PATCH', ONE, { params: { id }, body: { mapping: { 3: null }, dup_key: 'email', dup_mode: 'skip' } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.mapping, ['name', 'email', null]);
    assert.equal(ok.body.dup_mode, 'skip');
    assertProblem(await admin.req('PATCH', ONE, { params: { id: 999999 }, body: {} }), 404);
  });

  it('upload: each invalid field, malicious and malformed files refused', async () => {
    fe(await upload(admin, Buffer.from('a\n1\n'), { entity: 'nope' }), ['entity']);
    fe(await admin.req('POST', LIST, { query: { entity: 'leads' }, raw: Buffer.alloc(0), contentType: 'text/csv' }), ['file']);
    fe(await upload(admin, Buffer.from('a\n'), { filename: 'a/b.csv' }), ['filename']);
    const refused = async (data, why) => {
      const r = await upload(admin, data, { filename: 'evil.xlsx' });
      fe(r, ['file']);
      assert.match(r.body.errors[0].detail, why, r.text);
    };
    await refused(xlsx({ rows: [['a']], evil: 'dtd' }), /DTD/);
    await refused(xlsx({ rows: [['a']], evil: 'bomb' }), /expands too much/);
    await refused(Buffer.from('PK\u0003\u0004 not a zip at all'), /not a valid xlsx/);
    await refused(Buffer.from('a,b\n"open,1\n'), /malformed CSV/);
    await refused(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xc3, 0x28, 0x0a]), /not UTF-8/);
    const many = `n\n${'x\n'.repeat(100001)}`;
    const big = await upload(admin, Buffer.from(many));
    assert.ok([413, 422].includes(big.status), big.text);
    // past the upload limit (max_upload_bytes, 32 MiB), not read: 413
    const over = await upload(admin, Buffer.alloc((32 << 20) + 1, 0x61));
    assertProblem(over, 413);
    assert.match(over.body.detail, /max_upload_bytes/);
  });

  it('401 and 403 on every route; a view_own importer assigns only themself and sees only their imports', async () => {
    const up = await upload(admin, Buffer.from('name\nX\n'));
    const id = up.body.id;
    const anon = client(srv.base);
    const routes = [
      ['GET', TEMPLATE, { query: { entity: 'leads' } }],
      ['GET', LIST, {}],
      ['POST', LIST, { query: { entity: 'leads' }, raw: Buffer.from('name\nx\n'), contentType: 'text/csv' }],
      ['GET', ONE, { params: { id } }],
      ['PATCH', ONE, { params: { id }, body: {} }],
      ['GET', ERRORS, { params: { id } }],
      ['POST', VALIDATE, { params: { id }, body: {} }],
      ['POST', CONFIRM, { params: { id }, body: {} }],
      ['POST', REVERT, { params: { id }, body: {} }],
    ];
    for (const [m, p, o] of routes) {
      assertProblem(await anon.req(m, p, o), 401);
      assertProblem(await staff.req(m, p, o), 403);
    }
    // imports without the right to create leads: 403
    const noLeads = await addRole(admin, uniq('imp-only '), { imports: ['view_own', 'create'] });
    const m1 = await addMember(srv, admin, { role_id: noLeads.id }, 'noleads');
    assertProblem(await upload(m1, Buffer.from('name\nx\n')), 403);
    // a view_own importer of leads
    const role = await addRole(admin, uniq('own-imp '), { imports: ['view_own', 'create'], leads: ['view_own', 'create'] });
    const m = await addMember(srv, admin, { role_id: role.id }, 'importer');
    const other = await addMember(srv, admin, {}, 'other');
    const tag = uniq('own');
    const csv = `name,assigned_to,owner_id\nMine ${tag},${m.me.email},${m.me.email}\nTheirs ${tag},${other.me.email},\n`;
    const mu = await upload(m, Buffer.from(csv));
    assert.equal(mu.status, 201, mu.text);
    const v = await validate(m, mu.body.id);
    assert.equal(v.status, 'invalid');
    const errs = await errorsOf(m, mu.body.id);
    assert.deepEqual(errs.map((e) => [e.row, e.column]), [[3, 'assigned_to']], JSON.stringify(errs));
    assert.match(errs[0].reason, /only yourself/);
    // their list has only theirs; the admin's import is 404 to them
    const l = await m.req('GET', LIST);
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(l.body.data.map((i) => i.id), [mu.body.id]);
    assertProblem(await m.req('GET', ONE, { params: { id } }), 404);
    assertProblem(await m.req('GET', ERRORS, { params: { id } }), 404);
    // updating duplicates needs edit rights
    fe(await m.req('PATCH', ONE, {
      params: { id: mu.body.id }, body: { dup_key: 'name', dup_mode: 'update' },
    }), ['dup_mode']);
    // revert needs imports.delete
    assertProblem(await m.req('POST', REVERT, { params: { id: mu.body.id }, body: {} }), 403);
  });
});
