// Input hardening (issue 8, items 8, 10, 15, 16): passwords that repeat one
// non-ASCII character are weak; one-line fields refuse line breaks and
// control characters; sessions per member are capped; references to
// staff, departments and teams outside the caller's view are answered as
// any other invalid id; and the rest of what a new administrator tripped
// over (last sign-in, "Invited", ISO codes, lengths, the staff directory).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, staffClient, assertProblem, assertFieldErrors, uniq,
} from './harness.mjs';
import { addMember, addRole, raiseSeats } from './staff-helpers.mjs';

describe('input hardening', () => {
  let srv;
  let admin;

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
  });
  after(async () => { await srv?.stop(); });

  it('a password of one repeated emoji (or Cyrillic letter) is weak', async () => {
    for (const pw of ['😀'.repeat(15), 'Ж'.repeat(16), '😀😁'.repeat(8)]) {
      const r = await admin.req('POST', '/api/v1/staff', {
        body: { email: `${uniq('emoji')}@example.test`, name: 'Emoji Test', temporary_password: pw },
      });
      assertFieldErrors(r, { temporary_password: 'weak' });
    }
  });

  it('one-line fields refuse CR, LF and other control characters; multi-line fields keep line breaks', async () => {
    const evil = ['Ana\r\nBcc: victim@example.test', 'Ana\nPop', 'Ana\tPop', 'Ana\u0085Pop', 'Ana\u2028Pop', 'Ana\u007fPop'];
    for (const name of evil) {
      assertFieldErrors(await admin.req('POST', '/api/v1/staff', { body: { email: `${uniq('cr')}@example.test`, name } }),
        { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/leads', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/departments', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('POST', '/api/v1/roles', { body: { name } }), { name: 'invalid' });
      assertFieldErrors(await admin.req('PATCH', '/api/v1/settings/{group}', { params: { group: 'company' }, body: { company_name: name } }),
        { company_name: 'invalid' });
    }
    const ok = await admin.req('POST', '/api/v1/leads', { body: { name: `Multi ${uniq()}`, notes: 'line one\r\nline two\tend' } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.notes, 'line one\r\nline two\tend');
  });

  it('a member has at most 20 live sessions: signing in again ends the oldest', async () => {
    const m = await addMember(srv, admin, null, 'sess');
    const first = client(srv.base);
    await first.login(m.email, m.password);
    for (let i = 0; i < 20; i++) await client(srv.base).login(m.email, m.password);
    const n = srv.sql(`SELECT COUNT(*) FROM session WHERE staff_id = ${m.id}`).stdout;
    assert.equal(n, '20');
    assertProblem(await first.req('GET', '/api/v1/auth/me'), 401, 'unauthorized');
  });

  it('a staff id outside the directory (absent, deactivated) gets one answer, so none can be probed', async () => {
    const role = await addRole(admin, uniq('Sales '), { leads: ['view_own', 'create', 'edit'] });
    const sales = await addMember(srv, admin, role.id, 'probe');
    const gone = await addMember(srv, admin, null, 'gone');
    const d = await admin.req('POST', '/api/v1/staff/{id}/deactivate', { params: { id: gone.id } });
    assert.equal(d.status, 200, d.text);
    const answers = [];
    for (const id of [gone.id, 987654321]) {
      const r = await sales.req('POST', '/api/v1/leads', { body: { name: `Probe ${uniq()}`, assigned_to: id } });
      assertFieldErrors(r, { assigned_to: 'not_found' });
      answers.push(r.body.errors.find((e) => e.field === 'assigned_to').detail.replace(String(id), 'N'));
    }
    assert.equal(answers[0], answers[1], 'the same answer for a deactivated and an absent member');
    const ok = await sales.req('POST', '/api/v1/leads', { body: { name: `Mine ${uniq()}`, assigned_to: sales.id } });
    assert.equal(ok.status, 201, ok.text);
  });

  it('a department or team the caller cannot see is answered as one that does not exist', async () => {
    const dep = await admin.req('POST', '/api/v1/departments', { body: { name: `Hidden ${uniq()}` } });
    assert.equal(dep.status, 201, dep.text);
    const hrRole = await addRole(admin, uniq('HR '), { staff: ['view', 'create', 'edit'] });
    const hr = await addMember(srv, admin, hrRole.id, 'hrprobe');
    const answers = [];
    for (const id of [dep.body.id, 987654321]) {
      const r = await hr.req('POST', '/api/v1/staff', {
        body: { email: `${uniq('n')}@example.test`, name: 'New Hire', department_ids: [id] },
      });
      assertFieldErrors(r, { department_ids: 'not_found' });
      answers.push(r.body.errors[0].detail.replace(String(id), 'N'));
    }
    assert.equal(answers[0], answers[1]);
  });
});
