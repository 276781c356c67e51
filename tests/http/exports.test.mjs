// Exports: ?format=csv|xlsx on any list route answers the whole selection
// as a file — the same search, filters, sort and view scope as the list,
// exactly the fields the caller is given (only_admin custom fields too),
// formula-looking cells neutralised, xlsx typed, bounded parameters, and an
// activity row per export.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServer, client, adminClient, assertProblem, uniq, raiseSeats, addRole, addMember,
} from './harness.mjs';

const LEADS = '/api/v1/leads';

/* RFC 4180 rows of a CSV download (its bytes: a UTF-8 BOM, then UTF-8). */
function parseCsv(bytes) {
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a UTF-8 BOM');
  const s = bytes.subarray(3).toString('utf8');
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && s[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += ch;
  }
  assert.equal(cell, '', 'the last line ends with CRLF');
  return rows;
}

/* The first sheet of an xlsx (a real zip: read with unzip) as rows of
 * {ref, type, value, style}. */
function sheetOf(bytes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'atrium-xlsx-'));
  try {
    const f = path.join(dir, 'x.xlsx');
    writeFileSync(f, bytes);
    execFileSync('unzip', ['-tq', f]); // a valid archive
    const xml = execFileSync('unzip', ['-p', f, 'xl/worksheets/sheet1.xml']).toString();
    const rows = [];
    for (const m of xml.matchAll(/<row r="(\d+)"[^>]*>(.*?)<\/row>/g)) {
      const cells = {};
      for (const c of m[2].matchAll(/<c r="([A-Z]+)\d+"((?: [a-z]+="[^"]*")*)>(.*?)<\/c>/g)) {
        const type = /t="([^"]+)"/.exec(c[2])?.[1] || 'n';
        const style = /s="([^"]+)"/.exec(c[2])?.[1] || null;
        const raw = /<t[^>]*>(.*?)<\/t>|<v>(.*?)<\/v>/.exec(c[3]);
        const value = (raw?.[1] ?? raw?.[2] ?? '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
        cells[c[1]] = { type, value, style };
      }
      rows[Number(m[1]) - 1] = cells;
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('exports of list views', () => {
  let srv;
  let admin;
  let tag;
  let member;
  let secret;
  let open;
  const made = [];

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    tag = uniq('exp');
    const def = async (body) => {
      const r = await admin.req('POST', '/api/v1/custom_fields', { body: { entity: 'lead', label: 'Field', type: 'text', ...body } });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    secret = await def({ slug: uniq('margin'), only_admin: true });
    open = await def({ slug: uniq('tier') });
    const role = await addRole(admin, uniq('own-'), { leads: ['view_own', 'create'] });
    member = await addMember(srv, admin, { role_id: role.id }, 'exporter');
    const rows = [
      { name: `${tag} a`, company: '=HYPERLINK("http://evil.test")', status: 'new', value: '1250.50', tags: ['vip', 'north'], custom_fields: { [secret.slug]: 'hidden-margin', [open.slug]: 'gold' } },
      { name: `${tag} b`, company: 'Beta, "Steel" Ltd', notes: 'line one\r\nline "two"', status: 'won', value: '99.99' },
      { name: `${tag} c`, company: '+40 Gamma', status: 'new' },
    ];
    for (const body of rows) {
      const r = await admin.req('POST', LEADS, { body });
      assert.equal(r.status, 201, r.text);
      made.push(r.body);
    }
    const mine = await member.req('POST', LEADS, { body: { name: `${tag} mine`, status: 'new' } });
    assert.equal(mine.status, 201, mine.text);
    made.push(mine.body);
  });
  after(async () => { await srv?.stop(); });

  it('CSV: the list\'s selection in its order, every field, custom fields as columns, cells neutralised', async () => {
    const q = { q: tag, 'status[ne]': 'won', sort: '-id' };
    const page = await admin.req('GET', LEADS, { query: q });
    const r = await admin.req('GET', LEADS, { query: { ...q, format: 'csv' }, binary: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(r.headers.get('content-disposition'), /^attachment; filename\*=UTF-8''leads-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.equal(r.headers.get('x-export-rows'), '3');
    const rows = parseCsv(r.bytes);
    const [head, ...body] = rows;
    assert.deepEqual(body.map((x) => Number(x[head.indexOf('id')])), page.body.data.map((x) => x.id));
    assert.ok(head.includes(`custom_fields.${secret.slug}`), 'an admin gets only_admin fields');
    const a = body.find((x) => x[head.indexOf('name')] === `${tag} a`);
    assert.equal(a[head.indexOf('company')], '\'=HYPERLINK("http://evil.test")');
    assert.equal(a[head.indexOf('tags')], 'vip; north');
    assert.equal(a[head.indexOf('value')], '1250.50');
    assert.equal(a[head.indexOf(`custom_fields.${open.slug}`)], 'gold');
    assert.equal(a[head.indexOf(`custom_fields.${secret.slug}`)], 'hidden-margin');
    const c = body.find((x) => x[head.indexOf('name')] === `${tag} c`);
    assert.equal(c[head.indexOf('company')], '\'+40 Gamma');
    // a quoted cell with a comma, quotes and a line break survives
    const all = parseCsv((await admin.req('GET', LEADS, { query: { q: tag, status: 'won', format: 'csv' }, binary: true })).bytes);
    assert.equal(all[1][all[0].indexOf('company')], 'Beta, "Steel" Ltd');
    assert.equal(all[1][all[0].indexOf('notes')], 'line one\r\nline "two"');
  });

  it('a view_own member exports only what they see, without only_admin fields', async () => {
    const r = await member.req('GET', LEADS, { query: { q: tag, format: 'csv' }, binary: true });
    assert.equal(r.status, 200, r.text);
    const [head, ...body] = parseCsv(r.bytes);
    assert.deepEqual(body.map((x) => Number(x[head.indexOf('id')])), [made[3].id]);
    assert.ok(head.includes(`custom_fields.${open.slug}`));
    assert.ok(!head.includes(`custom_fields.${secret.slug}`));
    assert.ok(!r.bytes.toString().includes('hidden-margin'));
    const x = await member.req('GET', LEADS, { query: { q: tag, format: 'xlsx' }, binary: true });
    assert.equal(x.status, 200);
    const sheet = sheetOf(x.bytes);
    assert.equal(sheet.length, 2);
    assert.ok(!Object.values(sheet[0]).some((cell) => cell.value.includes(secret.slug)));
  });

  it('ids of members and of records are followed by their names, only those the caller may see', async () => {
    const t = uniq('names');
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: `Client ${t}` } });
    assert.equal(cl.status, 201, cl.text);
    const hiddenCl = await admin.req('POST', '/api/v1/clients', { body: { company: `Hidden ${t}` } });
    assert.equal(hiddenCl.status, 201, hiddenCl.text);
    const c1 = await admin.req('POST', '/api/v1/contacts', { body: { first_name: 'Ana', last_name: t, email: `ana.${t}@example.test`, client_id: cl.body.id, owner_id: member.id } });
    assert.equal(c1.status, 201, c1.text);
    const c2 = await admin.req('POST', '/api/v1/contacts', { body: { first_name: 'Ion', last_name: t, email: `ion.${t}@example.test`, client_id: hiddenCl.body.id } });
    assert.equal(c2.status, 201, c2.text);
    const task = await admin.req('POST', '/api/v1/tasks', { body: { subject: `Task ${t}`, assignees: [admin.me.id, member.id] } });
    assert.equal(task.status, 201, task.text);

    for (const format of ['csv', 'xlsx']) {
      const r = await admin.req('GET', '/api/v1/contacts', { query: { q: t, sort: 'id', format }, binary: true });
      assert.equal(r.status, 200, r.text);
      let rows;
      if (format === 'csv') rows = parseCsv(r.bytes);
      else {
        const sheet = sheetOf(r.bytes);
        const cols = Object.keys(sheet[0]);
        rows = sheet.map((row) => cols.map((k) => row[k]?.value ?? ''));
      }
      const [head, ...body] = rows;
      const at = (name) => { const i = head.indexOf(name); assert.ok(i >= 0, `${format}: column ${name} in ${head}`); return i; };
      assert.equal(at('client_id_name'), at('client_id') + 1, 'the names follow their ids');
      assert.equal(at('owner_id_name'), at('owner_id') + 1);
      assert.equal(body[0][at('client_id_name')], `Client ${t}`);
      assert.equal(body[0][at('owner_id_name')], member.record.name);
      assert.equal(body[1][at('client_id_name')], `Hidden ${t}`);
      assert.equal(body[1][at('owner_id_name')], admin.me.name, 'the creator owns it when nobody is named');
    }
    const tasks = parseCsv((await admin.req('GET', '/api/v1/tasks', { query: { q: t, format: 'csv' }, binary: true })).bytes);
    const ti = tasks[0].indexOf('assignees_name');
    assert.equal(ti, tasks[0].indexOf('assignees') + 1);
    assert.deepEqual(tasks[1][ti].split('; ').sort(), [admin.me.name, member.record.name].sort(), 'several members, each named');

    // A member who may see contacts but not clients: the client's id, no name.
    const role = await addRole(admin, uniq('contacts-only-'), { contacts: ['view'] });
    const reader = await addMember(srv, admin, { role_id: role.id }, 'reader');
    const r = await reader.req('GET', '/api/v1/contacts', { query: { q: t, sort: 'id', format: 'csv' }, binary: true });
    assert.equal(r.status, 200, r.text);
    const [head, ...body] = parseCsv(r.bytes);
    assert.equal(body[0][head.indexOf('client_id')], String(cl.body.id));
    assert.equal(body[0][head.indexOf('client_id_name')], '', 'no client view: no name');
    assert.equal(body[0][head.indexOf('owner_id_name')], member.record.name, 'members are named for everyone, as in pickers');
    assert.ok(!r.bytes.toString().includes(`Client ${t}`));
  });

  it('xlsx: a real workbook, header row, numbers and money as numbers, instants as dates, text never a formula', async () => {
    const r = await admin.req('GET', LEADS, { query: { q: tag, sort: 'id', format: 'xlsx' }, binary: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.match(r.headers.get('content-disposition'), /leads-\d{4}-\d{2}-\d{2}\.xlsx/);
    assert.equal(r.bytes.subarray(0, 2).toString(), 'PK');
    const sheet = sheetOf(r.bytes);
    assert.equal(sheet.length, 5, 'a header and four leads');
    const col = (name) => Object.entries(sheet[0]).find(([, v]) => v.value === name)?.[0];
    const first = sheet[1];
    assert.equal(first[col('id')].type, 'n');
    assert.equal(Number(first[col('id')].value), made[0].id);
    assert.equal(first[col('value')].type, 'n');
    assert.equal(Number(first[col('value')].value), 1250.5);
    assert.equal(first[col('created_at')].type, 'n', 'an instant is a spreadsheet date number');
    assert.ok(first[col('created_at')].style, 'with a date format');
    assert.equal(first[col('company')].type, 'inlineStr');
    assert.equal(first[col('company')].value, '=HYPERLINK("http://evil.test")');
    assert.equal(first[col('tags')].value, 'vip; north');
  });

  it('every list route exports; an export is logged in the activity log', async () => {
    for (const p of ['/api/v1/staff', '/api/v1/activity', '/api/v1/tasks', '/api/v1/invoices', '/api/v1/automations', '/api/v1/jobs',
      '/api/v1/webhook-deliveries', '/api/v1/vault/entries', '/api/v1/currencies']) {
      const r = await admin.req('GET', p, { query: { format: 'csv' }, binary: true });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.ok(parseCsv(r.bytes).length >= 1, p);
    }
    const x = await admin.req('GET', LEADS, { query: { q: tag, status: 'new', format: 'xlsx' }, binary: true });
    assert.equal(x.status, 200);
    const log = await admin.req('GET', '/api/v1/activity', { query: { action: 'export', entity: 'leads', limit: 1 } });
    assert.equal(log.status, 200, log.text);
    const e = log.body.data[0];
    assert.equal(e.actor_id, admin.me?.id ?? e.actor_id);
    assert.deepEqual(e.diff, { list: LEADS, format: 'xlsx', rows: 3, filters: `q=${tag}&status=new` });
    assert.ok(e.request_id);
  });

  it('an empty selection is a header-less file, not an error', async () => {
    const r = await admin.req('GET', LEADS, { query: { q: uniq('nothing'), format: 'csv' }, binary: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-export-rows'), '0');
    assert.equal(r.bytes.toString('hex'), 'efbbbf0d0a');
  });

  it('bad parameters are 400 naming them; the list\'s own checks still apply', async () => {
    const bad = async (query, detail) => {
      const r = await admin.req('GET', LEADS, { query });
      assertProblem(r, 400);
      assert.match(r.body.detail, detail);
    };
    await bad({ format: 'pdf' }, /format must be json, csv or xlsx/);
    for (const k of ['limit', 'offset', 'cursor']) await bad({ format: 'csv', [k]: '5' }, new RegExp(`\\(no ${k}\\)`));
    await bad({ format: 'csv', bogus: '1' }, /unknown query parameter 'bogus'/);
    assertProblem(await member.req('GET', LEADS, { query: { format: 'csv', [`custom_fields.${secret.slug}`]: 'x' } }), 400);
    const j = await admin.req('GET', LEADS, { query: { q: tag, format: 'json' } });
    assert.equal(j.status, 200);
    assert.equal(j.body.data.length, 4);
  });

  it('401 without a session; 403 without view permission', async () => {
    assertProblem(await client(srv.base).req('GET', LEADS, { query: { format: 'csv' }, binary: true }), 401);
    const role = await addRole(admin, uniq('no-leads-'), { tasks: ['view'] });
    const other = await addMember(srv, admin, { role_id: role.id }, 'noleads');
    assertProblem(await other.req('GET', LEADS, { query: { format: 'xlsx' } }), 403);
    assertProblem(await member.req('GET', '/api/v1/staff', { query: { format: 'csv' }, binary: true }), 403);
  });
});
