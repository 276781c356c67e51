// Several nodes behind HAProxy: a session made on one node works on every
// node, and a change made on one node (a role's permissions, a custom field,
// a setting) is seen by the others at once: nodes keep no state of their own
// but a field-set cache that checks a generation in the database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addMember, addRole, client, raiseSeats, uniq, waitFor } from '../http/harness.mjs';
import { sharedPg, startAtriumCluster } from './cluster.mjs';

/* A client on another base sharing c's session (cookies and CSRF token). */
function sameSession(c, base) {
  const o = client(base);
  for (const [k, v] of c.jar) o.setCookie(k, v);
  o.csrf = c.csrf;
  return o;
}

describe('cluster: sessions and caches across nodes', () => {
  let cl;
  let admin;

  before(async () => {
    cl = await startAtriumCluster({ pg: sharedPg() });
    admin = client(cl.base);
    await admin.login(cl.admin.email, cl.admin.password);
    await raiseSeats(admin);
  });

  after(async () => {
    await cl?.stop();
  });

  it('signs in through HAProxy; the session is served by every node (their request logs say which)', async () => {
    const served = new Map(cl.nodes.map((n) => [n.name, 0]));
    for (let i = 0; i < 24; i++) {
      const r = await admin.req('GET', '/api/v1/auth/me');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.staff.email, cl.admin.email);
      const rid = r.headers.get('x-request-id');
      const n = cl.nodeOf(rid);
      assert.ok(n, `request ${rid} is in one node's log`);
      // the node logged it as the signed-in member, not anonymous
      assert.match(n.output(), new RegExp(`req=${rid} GET /api/v1/auth/me route=\\S+ status=200 ms=\\S+ staff=\\d+`));
      served.set(n.name, served.get(n.name) + 1);
    }
    for (const [name, k] of served) assert.ok(k > 0, `${name} served some of the session's requests: ${[...served]}`);
    // an unsafe request with the session's CSRF token, on each node directly
    for (const n of cl.nodes) {
      const c = sameSession(admin, n.base);
      const r = await c.req('POST', '/api/v1/leads', { body: { name: uniq(`Lead on ${n.name} `) } });
      assert.equal(r.status, 201, `${n.name}: ${r.text}`);
    }
    // signing out on one node ends the session on all
    const out = sameSession(admin, cl.nodes[0].base);
    assert.equal((await out.req('POST', '/api/v1/auth/logout')).status, 204);
    for (const n of cl.nodes) {
      const r = await sameSession(admin, n.base).req('GET', '/api/v1/auth/me');
      assert.equal(r.status, 401, `${n.name} after sign-out: ${r.text}`);
    }
    await admin.login(cl.admin.email, cl.admin.password);
  });

  it('the client address behind HAProxy is the one HAProxy saw, never a forged X-Forwarded-For', async () => {
    // HAProxy (option forwardfor) adds its own X-Forwarded-For line after
    // the client's; the node (trust_proxy) must believe only that one
    for (const n of cl.nodes) {
      const c = client(cl.base);
      const r = await c.req('POST', '/api/v1/auth/login', {
        body: { email: cl.admin.email, password: cl.admin.password },
        headers: { 'X-Forwarded-For': '203.0.113.66' },
      });
      assert.equal(r.status, 200, r.text);
      const rows = await c.req('GET', '/api/v1/activity', { query: { action: 'login', limit: 1 } });
      assert.equal(rows.status, 200, rows.text);
      assert.equal(rows.body.data[0].ip, '127.0.0.1', `attempt ${n.name}: the login row's address`);
    }
  });

  it('an API token\'s rate limit holds across the nodes, not once per node', async () => {
    // not in the last seconds of a minute: the limit is a calendar minute's
    const sec = new Date().getUTCSeconds();
    if (sec >= 45) await new Promise((r) => { setTimeout(r, (61 - sec) * 1000); });
    const role = await addRole(admin, uniq('Cluster integration '), { leads: ['view'] });
    const integ = await addMember({ base: cl.base }, admin, { role_id: role.id }, 'clinteg');
    const re = await admin.req('POST', '/api/v1/auth/reauth', { body: { password: cl.admin.password } });
    assert.equal(re.status, 200, re.text);
    const limit = 20;
    const t = await admin.req('POST', '/api/v1/api-tokens', { body: { name: uniq('Cluster token '), staff_id: integ.id, rate_limit: limit } });
    assert.equal(t.status, 201, t.text);
    const minute = Math.floor(Date.now() / 60000);
    const codes = [];
    // one node after another: each sees a third of the requests
    for (let i = 0; i < 3 * limit; i++) {
      const r = await client(cl.nodes[i % 3].base).req('GET', '/api/v1/leads', { headers: { Authorization: `Bearer ${t.body.token}` } });
      codes.push(r.status);
    }
    assert.equal(Math.floor(Date.now() / 60000), minute, 'the requests fell in one minute');
    const ok = codes.filter((c) => c === 200).length;
    assert.ok(codes.every((c) => c === 200 || c === 429), `statuses ${codes}`);
    // before: each node admitted its 20, all 60 went through
    assert.ok(ok >= limit && ok <= limit + cl.nodes.length, `${ok} admitted of ${codes.length}, limit ${limit}: ${codes}`);
  });

  it('a role changed on node A: its member is refused on node B within a second', async () => {
    const role = await addRole(admin, uniq('Cluster readers '), { leads: ['view'] });
    const onA = sameSession(admin, cl.nodes[0].base);
    const member = await addMember({ base: cl.base }, admin, { role_id: role.id }, 'clmember');
    const onB = sameSession(member, cl.nodes[1].base);
    assert.equal((await onB.req('GET', '/api/v1/leads')).status, 200);
    const cur = await onA.req('GET', '/api/v1/roles/{id}', { params: { id: role.id } });
    assert.equal(cur.status, 200, cur.text);
    const p = await onA.req('PATCH', '/api/v1/roles/{id}', {
      params: { id: role.id }, body: { permissions: { clients: ['view'] } },
      headers: { 'If-Match': cur.headers.get('etag') },
    });
    assert.equal(p.status, 200, p.text);
    // polled, bounded by the promise: one second
    await waitFor(async () => (await onB.req('GET', '/api/v1/leads')).status === 403,
      { timeout: 1000, every: 20, what: 'node B refuses the lost permission' });
    // and grants the new one on node C
    const onC = sameSession(member, cl.nodes[2].base);
    await waitFor(async () => (await onC.req('GET', '/api/v1/clients')).status === 200,
      { timeout: 1000, every: 20, what: 'node C grants the new permission' });
  });

  it('a custom field defined on node A is accepted by nodes B and C once their field-set cache rechecks (each second); a setting at once', async () => {
    const onA = sameSession(admin, cl.nodes[0].base);
    const onB = sameSession(admin, cl.nodes[1].base);
    const onC = sameSession(admin, cl.nodes[2].base);
    // B and C use (and so cache) the lead field set before the change
    for (const c of [onB, onC]) assert.equal((await c.req('GET', '/api/v1/leads')).status, 200);
    const slug = uniq('cf').toLowerCase();
    const d = await onA.req('POST', '/api/v1/custom_fields', { body: { entity: 'lead', label: 'Cluster field', type: 'text', slug } });
    assert.equal(d.status, 201, d.text);
    for (const c of [onB, onC]) {
      await waitFor(async () => {
        const r = await c.req('POST', '/api/v1/leads', { body: { name: uniq('CF lead '), custom_fields: { [slug]: 'x' } } });
        assert.ok(r.status === 201 || r.status === 422, r.text);
        return r.status === 201;
        // the field-set cache checks the database's generation once a second;
        // the wait is bounded above that, for a loaded machine
      }, { timeout: 3000, every: 50, what: `${c.base} accepts the new field` });
    }
    // a settings change on A is what B answers next
    const name = uniq('Cluster Co ');
    const g = await onA.req('GET', '/api/v1/settings/{group}', { params: { group: 'company' } });
    assert.equal(g.status, 200, g.text);
    const s = await onA.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'company' }, body: { company_name: name }, headers: { 'If-Match': g.headers.get('etag') },
    });
    assert.equal(s.status, 200, s.text);
    await waitFor(async () => {
      const r = await onB.req('GET', '/api/v1/settings/{group}', { params: { group: 'company' } });
      return r.status === 200 && r.body.values?.company_name === name;
    }, { timeout: 1000, every: 20, what: 'node B answers the new setting' });
  });
});
