// The bulk write path of imports (src/entity/entity_bulk.c,
// src/http/write_bulk.c, src/core/activity_bulk.c;
// docs/internals/write-bulk.md): creates are written 500 at a time with
// multi-row INSERTs, and must keep every guarantee of the per-record path.
// Here, over files larger than one batch (so several batches and a partial
// last one): the records equal what POST /api/v1/leads makes from the same
// values (fields, custom fields, defaults), search finds them, the
// maintained count follows; each has its `create` in its history and in the
// activity log for those who may see it and not for a view_own member who
// may not; one `lead.created` event per record, its payload and the
// activity diff equal (field by field, key order too) to what the
// per-record path writes for a POST; `atrium audit verify`
// passes; revert removes every record; a database-level refusal in the
// middle of a batch (a unique email taken after validation) writes nothing
// in all-or-nothing mode and only that row is refused with skip bad rows;
// a second row of the file with the same duplicate key sees the first
// (still queued); a write run again after a crash writes no row twice.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, adminClient, uniq, waitFor, raiseSeats, addRole, addMember,
} from './harness.mjs';

const LIST = '/api/v1/imports';
const ONE = '/api/v1/imports/{id}';
const ERRORS = '/api/v1/imports/{id}/errors';
const VALIDATE = '/api/v1/imports/{id}/validate';
const CONFIRM = '/api/v1/imports/{id}/confirm';
const REVERT = '/api/v1/imports/{id}/revert';

const N = 1203; // three batches of 500 and a partial one

describe('imports: the bulk write path', () => {
  let srv;
  let admin;
  let member; // leads view_own + create, activity and events view
  let slug;

  before(async () => {
    srv = await startServer({ env: { ATRIUM_MAX_BODY_BYTES: String(4 << 20) } });
    admin = await adminClient(srv);
    await raiseSeats(admin);
    const role = await addRole(admin, uniq('Bulk own '), {
      leads: ['view_own', 'create'], activity: ['view'], events: ['view'],
    });
    member = await addMember(srv, admin, { role_id: role.id }, 'bulkmember');
    slug = `ref_${uniq('s').replace(/[^a-z0-9]/gi, '').toLowerCase()}`.slice(0, 30);
    const def = await admin.req('POST', '/api/v1/custom_fields', {
      body: { entity: 'lead', slug, label: 'Reference', type: 'text' },
    });
    assert.equal(def.status, 201, def.text);
  });

  after(async () => { await srv?.stop(); });

  async function upload(data, { entity = 'leads' } = {}) {
    const r = await admin.req('POST', LIST, {
      query: { entity, filename: `${entity}.csv` }, raw: Buffer.from(data), contentType: 'text/csv',
    });
    assert.equal(r.status, 201, r.text);
    return r.body;
  }

  async function settle(id, busy) {
    let imp;
    await waitFor(async () => {
      const r = await admin.req('GET', ONE, { params: { id } });
      assert.equal(r.status, 200, r.text);
      imp = r.body;
      return !busy.includes(imp.status);
    }, { timeout: 120000, what: `import ${id} to leave ${busy}` });
    return imp;
  }

  async function run(id, patch = {}) {
    if (Object.keys(patch).length) {
      const p = await admin.req('PATCH', ONE, { params: { id }, body: patch });
      assert.equal(p.status, 200, p.text);
    }
    const v = await admin.req('POST', VALIDATE, { params: { id }, body: {} });
    assert.equal(v.status, 202, v.text);
    const val = await settle(id, ['validating']);
    assert.equal(val.status, 'validated', JSON.stringify(val));
    const c = await admin.req('POST', CONFIRM, { params: { id }, body: {} });
    assert.equal(c.status, 202, c.text);
    return settle(id, ['queued', 'running']);
  }

  /* Every record of entity whose search text holds tag, by id. */
  async function tagged(tag, path = '/api/v1/leads', c = admin) {
    const out = [];
    let cursor;
    for (;;) {
      const r = await c.req('GET', path, { query: { q: tag, limit: 200, sort: 'id', ...(cursor ? { cursor } : {}) } });
      assert.equal(r.status, 200, r.text);
      out.push(...r.body.data);
      if (!r.body.has_more) return out;
      cursor = r.body.next_cursor;
    }
  }

  const total = async () => {
    const maintained = await admin.req('GET', '/api/v1/leads', { query: { limit: 1 } });
    const counted = await admin.req('GET', '/api/v1/leads', { query: { limit: 1, count: 'true' } });
    assert.equal(maintained.status, 200, maintained.text);
    assert.equal(counted.status, 200, counted.text);
    assert.equal(maintained.body.total, counted.body.total, 'the maintained count equals the rows');
    return counted.body.total;
  };

  it('records equal the per-record path\'s; search, history, activity scope, events, count, audit verify, revert', async () => {
    const tag = uniq('bulk').toLowerCase();
    const statuses = ['new', 'contacted', 'qualified', 'won'];
    const row = (i) => ({
      name: `Lead ${tag} ${i}`,
      company: `Company ${i % 7}`,
      email: `l${i}-${tag}@example.test`,
      phone: `+40 721 ${String(i).padStart(6, '0')}`,
      status: statuses[i % statuses.length],
      value: `${i}.25`,
      tags: i % 3 ? 'a, b' : '',
      assigned_to: i % 10 === 0 ? member.me.email : '',
      ref: `R-${tag}-${i}`,
    });
    const lines = [`name,company,email,phone,status,value,tags,assigned_to,${slug}`];
    for (let i = 0; i < N; i++) {
      const r = row(i);
      lines.push([r.name, r.company, r.email, r.phone, r.status, r.value, `"${r.tags}"`, r.assigned_to, r.ref].join(','));
    }
    const before = await total();
    const up = await upload(`${lines.join('\n')}\n`);
    assert.equal(up.rows_total, N);
    const done = await run(up.id);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, N);
    assert.equal(done.errors, 0);

    // search finds them all (FTS5 on SQLite, pg_trgm on PostgreSQL), and
    // the maintained count moved by N
    const leads = await tagged(tag);
    assert.equal(leads.length, N);
    assert.equal(await total(), before + N);
    const byName = new Map(leads.map((l) => [l.name, l]));
    // by a searchable custom value too
    const viaCf = await tagged(`R-${tag}-1201`);
    assert.deepEqual(viaCf.map((l) => l.name), [`Lead ${tag} 1201`]);

    // The same values through POST /api/v1/leads: equal but for the id,
    // the times, and the values that name the row.
    for (const i of [0, 499, 500, 1000, 1202]) {
      const r = row(i);
      const imported = byName.get(r.name);
      assert.ok(imported, r.name);
      const body = {
        name: `${r.name} api`, company: r.company, email: `api-${r.email}`, phone: r.phone, status: r.status,
        value: r.value, tags: r.tags ? r.tags.split(', ') : [], custom_fields: { [slug]: `${r.ref}-api` },
      };
      if (r.assigned_to) body.assigned_to = member.id;
      const made = await admin.req('POST', '/api/v1/leads', { body });
      assert.equal(made.status, 201, made.text);
      const one = (await admin.req('GET', '/api/v1/leads/{id}', { params: { id: imported.id } })).body;
      const strip = (x) => {
        const y = { ...x, custom_fields: { ...x.custom_fields } };
        for (const k of ['id', 'created_at', 'updated_at', 'name', 'email']) delete y[k];
        delete y.custom_fields[slug];
        return y;
      };
      assert.deepEqual(strip(one), strip(made.body), `row ${i}`);
      assert.equal(one.custom_fields[slug], r.ref);
      assert.equal(one.version, 1);

      // its creation in its history, with what it was created with
      const hist = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: imported.id } });
      assert.equal(hist.status, 200, hist.text);
      const cr = hist.body.data.filter((a) => a.action === 'create');
      assert.equal(cr.length, 1, hist.text);
      assert.equal(cr[0].diff.name.to, r.name);
      assert.equal(cr[0].diff[`custom_fields.${slug}`].to, r.ref);
      assert.match(cr[0].actor_name, /\(import\)/);

      // one lead.created event, with the record as it was created
      const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'lead', entity_id: imported.id } });
      assert.equal(ev.status, 200, ev.text);
      const created = ev.body.data.filter((e) => e.action === 'created');
      assert.equal(created.length, 1, ev.text);
      assert.equal(created[0].entity_id, imported.id);

      // The texts the bulk path writes without jansson (write_created_text
      // / write_created_diff) say what the per-record path's json_dumps
      // says for the record made by POST: the event payload and the
      // activity diff, field by field and in the same key order.
      const payloadOf = (id) => {
        const q = srv.sql(`SELECT payload FROM event WHERE entity = 'lead' AND action = 'created' AND entity_id = ${id}`);
        assert.equal(q.status, 0, q.stderr);
        return JSON.parse(q.stdout);
      };
      const pi = payloadOf(imported.id);
      const pm = payloadOf(made.body.id);
      assert.deepEqual(Object.keys(pi), Object.keys(pm));
      for (const k of ['type', 'entity', 'action', 'before']) assert.deepEqual(pi[k], pm[k], k);
      assert.equal(pi.entity_id, imported.id);
      assert.deepEqual(Object.keys(pi.after), Object.keys(pm.after));
      assert.deepEqual(Object.keys(pi.after.custom_fields), Object.keys(pm.after.custom_fields));
      assert.deepEqual(strip(pi.after), strip(pm.after), `row ${i}: event after`);
      assert.deepEqual(pi.after, one, `row ${i}: the event's after is the record`);
      const mhist = await admin.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: made.body.id } });
      const mcr = mhist.body.data.filter((a) => a.action === 'create');
      assert.equal(mcr.length, 1, mhist.text);
      const stripDiff = (d) => {
        const y = { ...d };
        for (const k of ['name', 'email', `custom_fields.${slug}`]) delete y[k];
        return y;
      };
      assert.deepEqual(Object.keys(cr[0].diff), Object.keys(mcr[0].diff), `row ${i}: diff keys`);
      assert.deepEqual(stripDiff(cr[0].diff), stripDiff(mcr[0].diff), `row ${i}: activity diff`);
      assert.deepEqual(cr[0].diff.email, { to: r.email });

      // the view_own member sees the entry exactly when they see the lead
      const mine = i % 10 === 0;
      const seen = await member.req('GET', '/api/v1/leads/{id}', { params: { id: imported.id } });
      assert.equal(seen.status, mine ? 200 : 404, seen.text);
      const mh = await member.req('GET', '/api/v1/activity', { query: { entity: 'lead', entity_id: imported.id } });
      assert.equal(mh.status, 200, mh.text);
      assert.equal(mh.body.data.some((a) => a.action === 'create'), mine, `row ${i}: ${mh.text}`);
      const me = await member.req('GET', '/api/v1/events', { query: { entity: 'lead', entity_id: imported.id } });
      // events (whole records before and after) show only with the
      // entity's full view: none for a view_own member (event_log.c)
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.data.length, 0, `row ${i}: ${me.text}`);
    }
    // every record has exactly one create entry and one event (counted
    // in the database: the API pages them)
    const ids = leads.map((l) => l.id);
    const lo = Math.min(...ids);
    const hi = Math.max(...ids);
    const acts = srv.sql(`SELECT COUNT(*), COUNT(DISTINCT entity_id) FROM activity_log WHERE entity = 'lead' AND action = 'create' AND entity_id BETWEEN ${lo} AND ${hi} AND actor_name LIKE '%(import)'`);
    assert.equal(acts.stdout, `${N}|${N}`, acts.stderr);
    const evs = srv.sql(`SELECT COUNT(*), COUNT(DISTINCT entity_id) FROM event WHERE entity = 'lead' AND action = 'created' AND entity_id BETWEEN ${lo} AND ${hi}`);
    assert.equal(evs.stdout, `${N}|${N}`, evs.stderr);
    const tags = srv.sql(`SELECT COUNT(*), COUNT(DISTINCT record_id), MIN(row_no), MAX(row_no) FROM import_row WHERE import_id = ${up.id} AND action = 'created'`);
    assert.equal(tags.stdout, `${N}|${N}|2|${N + 1}`, tags.stderr);

    // the chain holds
    const verify = srv.cli(['audit', 'verify']);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);

    // revert removes every created record, and the count follows
    const rv = await admin.req('POST', REVERT, { params: { id: up.id }, body: {} });
    assert.equal(rv.status, 200, rv.text);
    assert.equal(rv.body.removed, N);
    assert.deepEqual((await tagged(`Lead ${tag}`)).map((l) => l.name).filter((x) => !x.endsWith(' api')), []);
    assert.equal(await total(), before + 5, 'only the five made through the API stay');
    const again = srv.cli(['audit', 'verify']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
  });

  it('staff lists and on_write hooks run per record: tasks with assignees, signed contracts numbered', async () => {
    const tag = uniq('hooks').toLowerCase();
    const lines = ['subject,assignees'];
    for (let i = 0; i < 520; i++) lines.push(`T${i} ${tag},"${i % 2 ? `admin@example.test, ${member.me.email}` : ''}"`);
    const done = await run((await upload(`${lines.join('\n')}\n`, { entity: 'tasks' })).id);
    assert.equal(done.created, 520, JSON.stringify(done));
    const tasks = await tagged(tag, '/api/v1/tasks');
    assert.equal(tasks.length, 520);
    const adminId = (await admin.req('GET', '/api/v1/auth/me')).body.staff?.id ?? 1;
    for (const t of tasks) {
      const i = Number(t.subject.slice(1).split(' ')[0]);
      assert.deepEqual([...t.assignees].sort((a, b) => a - b), i % 2 ? [adminId, member.id].sort((a, b) => a - b) : [], t.subject);
    }
    // the member sees the tasks they are assigned to (view_own arms read
    // the staff list's table): not given here (no tasks right), so only
    // the rows in the database
    const n = srv.sql(`SELECT COUNT(*) FROM task_assignees ta JOIN task t ON t.id = ta.record_id WHERE t.subject LIKE '% ${tag}' AND ta.staff_id = ${member.id}`);
    assert.equal(n.stdout, '260', n.stderr);
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: `Client ${tag}` } });
    assert.equal(cl.status, 201, cl.text);
    const cs = ['subject,client_id,signed'];
    for (let i = 0; i < 30; i++) cs.push(`K${i} ${tag},${cl.body.id},${i % 3 === 0 ? 'yes' : 'no'}`);
    const cd = await run((await upload(`${cs.join('\n')}\n`, { entity: 'contracts' })).id);
    assert.equal(cd.created, 30, JSON.stringify(cd));
    const contracts = await tagged(tag, '/api/v1/contracts');
    const signed = contracts.filter((c) => c.signed);
    assert.equal(signed.length, 10);
    assert.ok(signed.every((c) => typeof c.number === 'string' && c.number), JSON.stringify(signed));
    assert.equal(new Set(signed.map((c) => c.number)).size, 10, 'each its own number');
    assert.ok(contracts.filter((c) => !c.signed).every((c) => c.number === null));
    // the create row and the event carry the number the hook gave
    const h = await admin.req('GET', '/api/v1/activity', { query: { entity: 'contract', entity_id: signed[0].id } });
    assert.equal(h.body.data.find((a) => a.action === 'create')?.diff?.number?.to, signed[0].number, h.text);
    const ev = await admin.req('GET', '/api/v1/events', { query: { entity: 'contract', entity_id: signed[0].id } });
    assert.equal(ev.body.data.length, 1, ev.text);
  });

  /* A client, and a contacts file of n rows; row k (0-based) of it is
   * file row k + 2. */
  async function contacts(n, tag) {
    const cl = await admin.req('POST', '/api/v1/clients', { body: { company: `Client ${tag}` } });
    assert.equal(cl.status, 201, cl.text);
    const lines = ['first_name,last_name,email,client_id'];
    for (let i = 0; i < n; i++) lines.push(`C${i},${tag},c${i}-${tag}@example.test,${cl.body.id}`);
    return { csv: `${lines.join('\n')}\n`, client: cl.body.id };
  }

  it('all or nothing: a unique email taken after validation, in the middle of a batch, writes nothing', async () => {
    const tag = uniq('aonu').toLowerCase();
    const { csv, client } = await contacts(700, tag);
    const up = await upload(csv, { entity: 'contacts' });
    const v = await admin.req('POST', VALIDATE, { params: { id: up.id }, body: {} });
    assert.equal(v.status, 202, v.text);
    assert.equal((await settle(up.id, ['validating'])).status, 'validated');
    // row 600 of the file's email is taken before the confirm
    const taken = await admin.req('POST', '/api/v1/contacts', {
      body: { first_name: 'Taken', last_name: tag, email: `C598-${tag}@example.test`.toLowerCase(), client_id: client },
    });
    assert.equal(taken.status, 201, taken.text);
    const c = await admin.req('POST', CONFIRM, { params: { id: up.id }, body: {} });
    assert.equal(c.status, 202, c.text);
    const done = await settle(up.id, ['queued', 'running']);
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.match(done.error, /nothing was written/);
    assert.equal(done.created, 0);
    const errs = (await admin.req('GET', ERRORS, { params: { id: up.id } })).body.data;
    assert.deepEqual(errs.map((e) => [e.row, e.column]), [[600, 'email']], JSON.stringify(errs));
    const left = await tagged(tag, '/api/v1/contacts');
    assert.deepEqual(left.map((x) => x.first_name), ['Taken'], 'the first batch was rolled back too');
    const verify = srv.cli(['audit', 'verify']);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });

  it('skip bad rows: a unique email taken after validation refuses that row alone; its batch keeps the others', async () => {
    const tag = uniq('sbu').toLowerCase();
    const { csv, client } = await contacts(700, tag);
    const up = await upload(csv, { entity: 'contacts' });
    const p = await admin.req('PATCH', ONE, { params: { id: up.id }, body: { skip_bad: true } });
    assert.equal(p.status, 200, p.text);
    const v = await admin.req('POST', VALIDATE, { params: { id: up.id }, body: {} });
    assert.equal(v.status, 202, v.text);
    assert.equal((await settle(up.id, ['validating'])).status, 'validated');
    const taken = await admin.req('POST', '/api/v1/contacts', {
      body: { first_name: 'Taken', last_name: tag, email: `c250-${tag}@example.test`, client_id: client },
    });
    assert.equal(taken.status, 201, taken.text);
    const c = await admin.req('POST', CONFIRM, { params: { id: up.id }, body: {} });
    assert.equal(c.status, 202, c.text);
    const done = await settle(up.id, ['queued', 'running']);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, 699);
    assert.equal(done.errors, 1);
    const errs = (await admin.req('GET', ERRORS, { params: { id: up.id } })).body.data;
    assert.deepEqual(errs.map((e) => [e.row, e.column]), [[252, 'email']], JSON.stringify(errs));
    const all = await tagged(tag, '/api/v1/contacts');
    assert.equal(all.length, 700); // 699 imported and the one taken
    assert.ok(all.some((x) => x.first_name === 'C249') && all.some((x) => x.first_name === 'C251'), 'its neighbours stay');
    assert.equal(all.filter((x) => x.email === `c250-${tag}@example.test`).length, 1);
    // the activity rows and events of the refused row's batch are those of
    // the records kept: one each
    const ids = all.filter((x) => x.first_name !== 'Taken').map((x) => x.id);
    const n = srv.sql(`SELECT COUNT(*) FROM activity_log WHERE entity = 'contact' AND action = 'create' AND entity_id IN (${ids.join(',')})`);
    assert.equal(n.stdout, '699', n.stderr);
    const e = srv.sql(`SELECT COUNT(*) FROM event WHERE entity = 'contact' AND action = 'created' AND entity_id IN (${ids.join(',')})`);
    assert.equal(e.stdout, '699', e.stderr);
    const verify = srv.cli(['audit', 'verify']);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });

  it('a duplicate key repeated within the file finds the row still queued: update and skip modes', async () => {
    const tag = uniq('dupq').toLowerCase();
    const lines = ['name,email'];
    for (let i = 0; i < 20; i++) lines.push(`D${i} ${tag},d${i}-${tag}@example.test`);
    lines.push(`Again ${tag},D3-${tag.toUpperCase()}@EXAMPLE.TEST`);
    const csv = `${lines.join('\n')}\n`;
    const upd = await run((await upload(csv)).id, { dup_key: 'email', dup_mode: 'update' });
    assert.deepEqual([upd.created, upd.updated, upd.skipped], [20, 1, 0], JSON.stringify(upd));
    let leads = await tagged(tag);
    assert.equal(leads.length, 20);
    assert.ok(leads.some((l) => l.name === `Again ${tag}`));
    // skip: the file again; every row matches a record now
    const skip = await run((await upload(csv)).id, { dup_key: 'email', dup_mode: 'skip' });
    assert.deepEqual([skip.created, skip.updated, skip.skipped], [0, 0, 21], JSON.stringify(skip));
    // and a fresh file with a repeat inside one batch, skip mode
    const tag2 = uniq('dupr').toLowerCase();
    const csv2 = `name,email\nFirst ${tag2},x-${tag2}@example.test\nSecond ${tag2},X-${tag2}@example.test\n`;
    const s2 = await run((await upload(csv2)).id, { dup_key: 'email', dup_mode: 'skip' });
    assert.deepEqual([s2.created, s2.skipped], [1, 1], JSON.stringify(s2));
    leads = await tagged(tag2);
    assert.deepEqual(leads.map((l) => l.name), [`First ${tag2}`]);
  });

  it('a write run again after a crash, past a committed batch, writes no row twice', async () => {
    const tag = uniq('resb').toLowerCase();
    const lines = ['name'];
    for (let i = 0; i < 1100; i++) lines.push(`R${i} ${tag}`);
    const up = await upload(`${lines.join('\n')}\n`);
    const p = await admin.req('PATCH', ONE, { params: { id: up.id }, body: { skip_bad: true } });
    assert.equal(p.status, 200, p.text);
    const v = await admin.req('POST', VALIDATE, { params: { id: up.id }, body: {} });
    assert.equal(v.status, 202, v.text);
    assert.equal((await settle(up.id, ['validating'])).status, 'validated');
    // What a node that died after its first batch committed leaves: file
    // rows 2..501 written (made here as that batch made them), rows_done
    // 501, the import running and its job due again.
    for (let i = 0; i < 500; i += 100) {
      const csv = ['name', ...Array.from({ length: 100 }, (_, k) => `R${i + k} ${tag}`)].join('\n');
      const pre = await upload(`${csv}\n`);
      const d = await run(pre.id);
      assert.equal(d.created, 100, JSON.stringify(d));
    }
    srv.sql(`UPDATE import SET status = 'running', rows_done = 501 WHERE id = ${up.id}`);
    srv.sql(`INSERT INTO job (org_id, kind, payload, status, attempts, run_at, scheduled_at, order_key, order_seq, created_at) VALUES (1, 'import_write', '{"import_id":${up.id}}', 'queued', 0, '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z', 'import:${up.id}', 0, '2000-01-01T00:00:00.000Z')`);
    const done = await settle(up.id, ['queued', 'running']);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.created, 600);
    assert.equal(done.rows_done, 1101);
    const names = (await tagged(tag)).map((x) => x.name);
    assert.equal(names.length, 1100);
    assert.equal(new Set(names).size, 1100, 'no row twice');
  });
});
