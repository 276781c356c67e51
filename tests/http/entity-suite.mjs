// entity-suite.mjs — the generic HTTP tests every registry entity gets
// (create, get, list, patch, delete, Idempotency-Key, 401, 403, activity log).
// leads.test.mjs and clients.test.mjs call entitySuite() with a description
// of the entity; entity-specific cases live in those files.
//
// cfg:
//   plural          'leads'                 (URL segment)
//   entityNames     ['lead', 'leads']       (accepted `entity` values in the activity log)
//   titleField      'name'                  required text field, searchable and sortable
//   valid(tag, ctx) a body with every field set (ctx.staffId, ctx.adminId)
//   echo(body)      the fields the response must echo (money normalised etc.)
//   minimal(tag, ctx) a body with only the required fields
//   setup(h)        optional: runs once the server is up (records the entity
//                   refers to, kept in h.ctx: ctx.clientId, ...)
//   defaults(ctx)   fields a minimal create gets by default
//   invalid         [{what, body(ctx) | patch, omit: [...], fields: {field: code|[codes]|null}}]
//   multiInvalid    {body, fields}
//   filter          {field, value, body(tag)}   an equality filter, and a create body that matches it
//                   (omit it for an entity without filterable fields)
//   owner           false when the entity has no owner_id (default true)
//   uniqueTitle     true when titleField is unique (idempotency tests vary it)
//   nonFilterable   a field that exists but is not filterable
//   nonSortable     a field that exists but is not sortable
//   clearable       an optional text field that null clears
//   update          {field, value} a PATCH that changes one field
//   invalidUpdate   {body, fields}
//   extra(h)        defines entity-specific describe/it blocks; h.admin, h.staff,
//                   h.ctx, h.create(body), h.list(query) are usable once tests run

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, ISO_MS, uniq,
} from './harness.mjs';

const MISSING_ID = 987654321;

export function entitySuite(cfg) {
  const COLL = `/api/v1/${cfg.plural}`;
  const ITEM = `/api/v1/${cfg.plural}/{id}`;
  const T = cfg.titleField;

  describe(`${cfg.plural} (generic entity API)`, () => {
    let srv;
    let admin;
    let staff;
    const ctx = {};

    /* Creates a record as admin; asserts 201 and returns the response. */
    async function create(body, headers) {
      const r = await admin.req('POST', COLL, { body, headers });
      assert.equal(r.status, 201, `create failed: ${r.status} ${r.text}`);
      return r;
    }

    async function get(id) {
      return admin.req('GET', ITEM, { params: { id } });
    }

    // Totals are counted on request (count=true); the suite asks for them.
    async function list(query) {
      const r = await admin.req('GET', COLL, { query: { count: 'true', ...query } });
      assert.equal(r.status, 200, `list ${JSON.stringify(query)}: ${r.status} ${r.text}`);
      return r.body;
    }

    const h = { ctx, create, list, get, COLL, ITEM };

    before(async () => {
      srv = await startServer();
      admin = await adminClient(srv);
      staff = await staffClient(srv);
      ctx.adminId = admin.me.id;
      ctx.staffId = staff.me.id;
      assert.ok(Number.isInteger(ctx.adminId) && Number.isInteger(ctx.staffId));
      Object.assign(h, { srv, admin, staff });
      if (cfg.setup) await cfg.setup(h);
    });
    after(async () => {
      await srv?.stop();
    });

    describe('create', () => {
      it('a minimal record: 201, Location, ETag, defaults, owner_id = creator', async () => {
        const tag = uniq('min');
        const body = cfg.minimal(tag, ctx);
        const r = await create(body);
        const rec = r.body;
        assert.ok(Number.isInteger(rec.id) && rec.id > 0, `id is a positive integer: ${rec.id}`);
        const loc = r.headers.get('location') || '';
        assert.ok(loc.endsWith(`/api/v1/${cfg.plural}/${rec.id}`), `Location: ${loc}`);
        assert.ok(Number.isInteger(rec.version), 'version is an integer');
        assert.equal(r.headers.get('etag'), `"${rec.version}"`);
        assert.match(rec.created_at, ISO_MS);
        assert.match(rec.updated_at, ISO_MS);
        assert.equal(rec.created_by, ctx.adminId);
        if (cfg.owner !== false) assert.equal(rec.owner_id, ctx.adminId, 'owner_id defaults to the creator');
        for (const [k, v] of Object.entries(body)) assert.deepEqual(rec[k], v, `echoes ${k}`);
        for (const [k, v] of Object.entries(cfg.defaults(ctx))) assert.deepEqual(rec[k], v, `default ${k}`);
      });

      it('a full record echoes every field', async () => {
        const tag = uniq('full');
        const body = cfg.valid(tag, ctx);
        const r = await create(body);
        const expected = cfg.echo(body);
        for (const [k, v] of Object.entries(expected)) assert.deepEqual(r.body[k], v, `echoes ${k}`);
        const again = await get(r.body.id);
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, r.body, 'GET returns what POST returned');
      });

      for (const c of cfg.invalid) {
        it(`invalid: ${c.what} → 422 naming ${Object.keys(c.fields).join(', ')}`, async () => {
          const tag = uniq('bad');
          let body = c.body ? c.body(ctx, tag) : { ...cfg.valid(tag, ctx), ...(c.patch || {}) };
          if (c.omit) {
            body = { ...body };
            for (const k of c.omit) delete body[k];
          }
          const r = await admin.req('POST', COLL, { body });
          assertFieldErrors(r, c.fields);
          const found = await list({ q: tag });
          assert.equal(found.total, 0, 'nothing was created');
        });
      }

      it('several invalid fields are all listed in one response', async () => {
        const r = await admin.req('POST', COLL, { body: cfg.multiInvalid.body(ctx) });
        assertFieldErrors(r, cfg.multiInvalid.fields);
        assert.ok(r.body.errors.length >= Object.keys(cfg.multiInvalid.fields).length);
      });

      it('an empty object lists the required field', async () => {
        const r = await admin.req('POST', COLL, { body: {} });
        assertFieldErrors(r, { [T]: 'required' });
      });
    });

    describe('get', () => {
      it('is 200 with ETag "<version>"', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('get'), ctx));
        const r = await get(rec.id);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('etag'), `"${rec.version}"`);
        assert.deepEqual(r.body, rec);
      });

      it('is 404 for a missing id', async () => {
        assertProblem(await get(MISSING_ID), 404, 'not-found');
      });

      it('is 404 for a non-numeric id', async () => {
        assertProblem(await get('abc'), 404, 'not-found');
      });
    });

    describe('list', () => {
      let tag;
      let made;

      before(async () => {
        // Three records whose titles sort differently from their ids.
        tag = uniq('lst');
        made = [];
        for (const t of ['bravo', 'alpha', 'charlie']) {
          made.push((await create(cfg.minimal(`${tag} ${t}`, ctx))).body);
        }
      });

      it('has data, total, limit (default 25) and offset (default 0)', async () => {
        const r = await admin.req('GET', COLL);
        assert.equal(r.status, 200);
        assert.ok(Array.isArray(r.body.data));
        assert.equal(r.body.limit, 25);
        assert.equal(r.body.offset, 0);
        assert.ok(Number.isInteger(r.body.total) && r.body.total >= 3);
        assert.ok(r.body.data.length <= 25);
      });

      it('limit has a hard maximum of 200', async () => {
        const have = (await list({})).total;
        const need = 205 - have;
        for (let i = 0; i < need; i += 8) {
          await Promise.all(Array.from({ length: Math.min(8, need - i) },
            (_, j) => create(cfg.minimal(`${uniq('bulk')} ${i + j}`, ctx))));
        }
        const full = await list({ limit: 200 });
        assert.ok(full.total >= 205);
        assert.equal(full.data.length, 200, 'limit=200 returns 200 records');
        const r = await admin.req('GET', COLL, { query: { limit: 1000 } });
        if (r.status === 400) {
          assertProblem(r, 400, 'malformed');
        } else {
          assert.equal(r.status, 200);
          assert.ok(r.body.data.length <= 200, `capped: got ${r.body.data.length}`);
          assert.ok(r.body.limit <= 200, `reported limit is capped: ${r.body.limit}`);
        }
      });

      it('a non-numeric limit is 400', async () => {
        const r = await admin.req('GET', COLL, { query: { limit: 'abc' } });
        assertProblem(r, 400, 'malformed');
      });

      it('the default order is -id (newest first)', async () => {
        const b = await list({ q: tag });
        assert.equal(b.total, 3);
        assert.deepEqual(b.data.map((x) => x.id), made.map((x) => x.id).sort((x, y) => y - x));
        const all = await list({ limit: 50 });
        const ids = all.data.map((x) => x.id);
        assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'unfiltered list is newest first too');
      });

      it('offset and limit page through the results', async () => {
        const b = await list({ q: tag, limit: 1, offset: 1 });
        assert.equal(b.total, 3);
        assert.equal(b.limit, 1);
        assert.equal(b.offset, 1);
        assert.equal(b.data.length, 1);
        const newestFirst = made.map((x) => x.id).sort((x, y) => y - x);
        assert.equal(b.data[0].id, newestFirst[1]);
        const past = await list({ q: tag, offset: 3 });
        assert.equal(past.total, 3);
        assert.deepEqual(past.data, []);
      });

      it(`sort=${T} is ascending, sort=-${T} descending`, async () => {
        const asc = await list({ q: tag, sort: T });
        assert.deepEqual(asc.data.map((x) => x[T]), ['alpha', 'bravo', 'charlie'].map((t) => `${tag} ${t}`));
        const desc = await list({ q: tag, sort: `-${T}` });
        assert.deepEqual(desc.data.map((x) => x[T]), ['charlie', 'bravo', 'alpha'].map((t) => `${tag} ${t}`));
      });

      it('sort=id is oldest first', async () => {
        const b = await list({ q: tag, sort: 'id' });
        assert.deepEqual(b.data.map((x) => x.id), made.map((x) => x.id).sort((x, y) => x - y));
      });

      it('q finds a case-insensitive substring', async () => {
        const up = await list({ q: `${tag} ALPHA`.toUpperCase() });
        assert.deepEqual(up.data.map((x) => x.id), [made[1].id]);
        const mid = await list({ q: tag.slice(2, 8) });
        assert.ok(mid.total >= 3, 'a substring from the middle matches');
        assert.ok(made.every((m) => mid.data.some((x) => x.id === m.id)));
        const none = await list({ q: `${tag}-nothing-like-this` });
        assert.equal(none.total, 0);
        assert.deepEqual(none.data, []);
      });

      if (cfg.filter) it(`filter ${cfg.filter.field}=${cfg.filter.value}`, async () => {
        const ftag = uniq('flt');
        const hit = (await create(cfg.filter.body(ftag, ctx))).body;
        const miss = (await create(cfg.minimal(`${ftag} other`, ctx))).body;
        assert.notDeepEqual(miss[cfg.filter.field], cfg.filter.value, 'the other record differs');
        const b = await list({ q: ftag, [cfg.filter.field]: cfg.filter.value });
        assert.deepEqual(b.data.map((x) => x.id), [hit.id]);
        assert.equal(b.total, 1);
        const all = await list({ [cfg.filter.field]: cfg.filter.value, limit: 200 });
        assert.ok(all.data.length > 0);
        for (const x of all.data) assert.deepEqual(x[cfg.filter.field], cfg.filter.value);
      });

      if (cfg.owner !== false) it('filter owner_id', async () => {
        const b = await list({ q: tag, owner_id: ctx.adminId });
        assert.equal(b.total, 3);
        const none = await list({ q: tag, owner_id: ctx.staffId });
        assert.equal(none.total, 0);
      });

      it('an unknown query key is 400', async () => {
        const r = await admin.req('GET', COLL, { query: { colour: 'red' } });
        assertProblem(r, 400, 'malformed');
      });

      it(`a filter on the non-filterable field ${cfg.nonFilterable} is 400`, async () => {
        const r = await admin.req('GET', COLL, { query: { [cfg.nonFilterable]: 'x' } });
        assertProblem(r, 400, 'malformed');
      });

      it(`sort on the non-sortable field ${cfg.nonSortable} is 400`, async () => {
        const r = await admin.req('GET', COLL, { query: { sort: cfg.nonSortable } });
        assertProblem(r, 400, 'malformed');
      });
    });

    describe('patch', () => {
      it('without If-Match is 428 and changes nothing', async () => {
        const { body: rec } = await create(cfg.valid(uniq('p428'), ctx));
        const r = await admin.req('PATCH', ITEM, { params: { id: rec.id }, body: { [cfg.update.field]: cfg.update.value } });
        assertProblem(r, 428, 'precondition-required');
        assert.deepEqual((await get(rec.id)).body, rec);
      });

      it('with a stale If-Match is 412 and changes nothing', async () => {
        const { body: rec } = await create(cfg.valid(uniq('p412'), ctx));
        const ok = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [T]: `${rec[T]} v2` }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assert.equal(ok.status, 200, ok.text);
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [cfg.update.field]: cfg.update.value }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assertProblem(r, 412, 'precondition-failed');
        assert.deepEqual((await get(rec.id)).body, ok.body);
      });

      it('with the right If-Match is 200, bumps version and ETag, keeps other fields', async () => {
        const { body: rec, headers } = await create(cfg.valid(uniq('p200'), ctx));
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [cfg.update.field]: cfg.update.value }, headers: { 'If-Match': headers.get('etag') },
        });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body[cfg.update.field], cfg.update.value);
        assert.equal(r.body.version, rec.version + 1);
        assert.equal(r.headers.get('etag'), `"${rec.version + 1}"`);
        assert.notEqual(r.headers.get('etag'), headers.get('etag'));
        assert.match(r.body.updated_at, ISO_MS);
        assert.ok(r.body.updated_at >= rec.updated_at);
        assert.equal(r.body.created_at, rec.created_at);
        assert.equal(r.body.created_by, rec.created_by);
        for (const [k, v] of Object.entries(rec)) {
          if (['version', 'updated_at', cfg.update.field].includes(k)) continue;
          assert.deepEqual(r.body[k], v, `unchanged ${k}`);
        }
        const g = await get(rec.id);
        assert.deepEqual(g.body, r.body);
        assert.equal(g.headers.get('etag'), `"${rec.version + 1}"`);
      });

      it(`null clears the optional field ${cfg.clearable}`, async () => {
        const { body: rec } = await create(cfg.valid(uniq('pnull'), ctx));
        assert.notEqual(rec[cfg.clearable], null);
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [cfg.clearable]: null }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body[cfg.clearable], null);
        assert.equal((await get(rec.id)).body[cfg.clearable], null);
      });

      it(`null on the required field ${T} is 422`, async () => {
        const { body: rec } = await create(cfg.minimal(uniq('preq'), ctx));
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [T]: null }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assertFieldErrors(r, { [T]: null });
      });

      it('an invalid field is 422 and changes nothing', async () => {
        const { body: rec } = await create(cfg.valid(uniq('pinv'), ctx));
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: cfg.invalidUpdate.body, headers: { 'If-Match': `"${rec.version}"` },
        });
        assertFieldErrors(r, cfg.invalidUpdate.fields);
        assert.deepEqual((await get(rec.id)).body, rec);
      });

      it('an unknown field is 422 unknown_field', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('punk'), ctx));
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { colour: 'red' }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assertFieldErrors(r, { colour: 'unknown_field' });
      });

      it('read-only fields cannot be written', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('pro'), ctx));
        const r = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { id: 1, version: 99, created_by: ctx.staffId }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assert.equal(r.status, 422, r.text);
        assert.deepEqual((await get(rec.id)).body, rec);
      });

      it('a missing id is 404', async () => {
        const r = await admin.req('PATCH', ITEM, {
          params: { id: MISSING_ID }, body: { [T]: 'x' }, headers: { 'If-Match': '"1"' },
        });
        assertProblem(r, 404, 'not-found');
      });
    });

    describe('delete', () => {
      it('is 204, then GET is 404', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('del'), ctx));
        const r = await admin.req('DELETE', ITEM, { params: { id: rec.id } });
        assert.equal(r.status, 204, r.text);
        assert.equal(r.text, '');
        assertProblem(await get(rec.id), 404, 'not-found');
        const again = await admin.req('DELETE', ITEM, { params: { id: rec.id } });
        assertProblem(again, 404, 'not-found');
      });

      it('with the right If-Match is 204', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('delm'), ctx));
        const r = await admin.req('DELETE', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` } });
        assert.equal(r.status, 204, r.text);
      });

      it('with a stale If-Match is 412 and the record stays', async () => {
        const { body: rec } = await create(cfg.minimal(uniq('del412'), ctx));
        const up = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [T]: `${rec[T]} v2` }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assert.equal(up.status, 200);
        const r = await admin.req('DELETE', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` } });
        assertProblem(r, 412, 'precondition-failed');
        assert.equal((await get(rec.id)).status, 200);
      });
    });

    describe('Idempotency-Key', () => {
      it('the same key and body return the first response and create one record', async () => {
        const tag = uniq('idem');
        const key = uniq('key-');
        const body = cfg.minimal(tag, ctx);
        const a = await admin.req('POST', COLL, { body, headers: { 'Idempotency-Key': key } });
        const b = await admin.req('POST', COLL, { body, headers: { 'Idempotency-Key': key } });
        assert.equal(a.status, 201, a.text);
        assert.equal(b.status, a.status);
        assert.equal(b.body.id, a.body.id);
        assert.deepEqual(b.body, a.body);
        assert.equal((await list({ q: tag })).total, 1);
      });

      it('the same key with another body is 409', async () => {
        const tag = uniq('idem');
        const key = uniq('key-');
        const a = await admin.req('POST', COLL, { body: cfg.minimal(`${tag} one`, ctx), headers: { 'Idempotency-Key': key } });
        assert.equal(a.status, 201, a.text);
        const b = await admin.req('POST', COLL, { body: cfg.minimal(`${tag} two`, ctx), headers: { 'Idempotency-Key': key } });
        assertProblem(b, 409, 'conflict');
        assert.equal((await list({ q: tag })).total, 1);
      });

      it('different keys create different records', async () => {
        const tag = uniq('idem');
        const body = cfg.minimal(tag, ctx);
        // A unique title cannot repeat: the second record gets its own.
        const body2 = cfg.uniqueTitle ? cfg.minimal(`${tag} b`, ctx) : body;
        const a = await admin.req('POST', COLL, { body, headers: { 'Idempotency-Key': uniq('key-') } });
        const b = await admin.req('POST', COLL, { body: body2, headers: { 'Idempotency-Key': uniq('key-') } });
        assert.equal(a.status, 201);
        assert.equal(b.status, 201);
        assert.notEqual(a.body.id, b.body.id);
        assert.equal((await list({ q: tag })).total, 2);
      });
    });

    /* Every route of the entity, for the 401 and 403 checks. */
    function routes(rec) {
      return [
        ['GET', COLL, {}],
        ['POST', COLL, { body: cfg.minimal(uniq('deny'), ctx) }],
        ['GET', ITEM, { params: { id: rec.id } }],
        ['PATCH', ITEM, { params: { id: rec.id }, body: { [T]: 'denied' }, headers: { 'If-Match': `"${rec.version}"` } }],
        ['DELETE', ITEM, { params: { id: rec.id }, headers: { 'If-Match': `"${rec.version}"` } }],
      ];
    }

    describe('anonymous', () => {
      let rec;
      before(async () => {
        rec = (await create(cfg.minimal(uniq('anon'), ctx))).body;
      });
      for (const [method, pattern] of [['GET', COLL], ['POST', COLL], ['GET', ITEM], ['PATCH', ITEM], ['DELETE', ITEM]]) {
        it(`${method} ${pattern} is 401`, async () => {
          const route = routes(rec).find(([m, p]) => m === method && p === pattern);
          const r = await client(srv.base).req(method, pattern, route[2]);
          assertProblem(r, 401, 'unauthorized');
        });
      }
      it('left the record alone', async () => {
        assert.deepEqual((await get(rec.id)).body, rec);
        assert.equal((await list({ q: 'deny' })).total, 0);
      });
    });

    describe('plain staff member (no permission)', () => {
      let rec;
      before(async () => {
        rec = (await create(cfg.minimal(uniq('staff'), ctx))).body;
      });
      for (const [method, pattern] of [['GET', COLL], ['POST', COLL], ['GET', ITEM], ['PATCH', ITEM], ['DELETE', ITEM]]) {
        it(`${method} ${pattern} is 403`, async () => {
          const route = routes(rec).find(([m, p]) => m === method && p === pattern);
          const r = await staff.req(method, pattern, route[2]);
          assertProblem(r, 403, 'forbidden');
        });
      }
      it('left the record alone', async () => {
        assert.deepEqual((await get(rec.id)).body, rec);
        assert.equal((await list({ q: 'deny' })).total, 0);
      });
    });

    describe('activity log', () => {
      it('records create, update (with a from/to diff) and delete by the admin', async () => {
        const tag = uniq('act');
        const { body: rec } = await create(cfg.valid(tag, ctx));
        const up = await admin.req('PATCH', ITEM, {
          params: { id: rec.id }, body: { [cfg.update.field]: cfg.update.value }, headers: { 'If-Match': `"${rec.version}"` },
        });
        assert.equal(up.status, 200, up.text);
        const del = await admin.req('DELETE', ITEM, { params: { id: rec.id } });
        assert.equal(del.status, 204);

        const r = await admin.req('GET', '/api/v1/activity', { query: { entity_id: rec.id, limit: 200 } });
        assert.equal(r.status, 200, r.text);
        const rows = r.body.data.filter((x) => cfg.entityNames.includes(x.entity) && x.entity_id === rec.id);
        const byAction = (a) => rows.filter((x) => x.action === a);
        assert.equal(byAction('create').length, 1, `one create row: ${JSON.stringify(rows)}`);
        assert.equal(byAction('update').length, 1, 'one update row');
        assert.equal(byAction('delete').length, 1, 'one delete row');
        for (const row of rows) {
          assert.equal(row.actor_id, ctx.adminId, `${row.action} by the admin`);
          assert.match(row.at, ISO_MS);
        }

        const c = byAction('create')[0];
        assert.deepEqual(c.diff[T], { to: rec[T] }, `create diff has only 'to': ${JSON.stringify(c.diff)}`);

        const u = byAction('update')[0];
        assert.deepEqual(u.diff[cfg.update.field], { from: rec[cfg.update.field], to: cfg.update.value },
          `update diff: ${JSON.stringify(u.diff)}`);
        const others = Object.keys(u.diff).filter((k) => ![cfg.update.field, 'version', 'updated_at'].includes(k));
        assert.deepEqual(others, [], 'the update diff names only the changed field');
        assert.equal(u.request_id, up.headers.get('x-request-id'), 'the row carries the request id');

        const d = byAction('delete')[0];
        assert.deepEqual(d.diff[T], { from: rec[T] }, `delete diff has only 'from': ${JSON.stringify(d.diff)}`);
      });
    });

    if (cfg.extra) describe(`${cfg.plural}: specific`, () => cfg.extra(h));
  });
}
