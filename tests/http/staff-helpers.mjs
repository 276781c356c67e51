// staff-helpers.mjs — members, roles and seats for the tests that need a
// cast of members with different grants (hardening-*.test.mjs).

import assert from 'node:assert/strict';
import { client, uniq } from './harness.mjs';

/* A member with the given role and a password of their own. */
export async function addMember(srv, admin, roleId, label, extra = {}) {
  const tag = uniq(label);
  const email = `${tag}@example.test`;
  const temp = `Temp-${tag}-password`;
  const r = await admin.req('POST', '/api/v1/staff', {
    body: { email, name: `${label} ${tag}`, ...(roleId ? { role_id: roleId } : {}), temporary_password: temp, ...extra },
  });
  assert.equal(r.status, 201, `adding ${label}: ${r.status} ${r.text}`);
  const c = client(srv.base);
  await c.login(email, temp);
  const password = `${temp}-changed`;
  const ch = await c.req('POST', '/api/v1/auth/password/change', { body: { current_password: temp, new_password: password } });
  assert.equal(ch.status, 200, `password change of ${label}: ${ch.status} ${ch.text}`);
  c.id = r.body.id;
  c.email = email;
  c.password = password;
  c.record = r.body;
  return c;
}

export async function addRole(admin, name, permissions, extra = {}) {
  const r = await admin.req('POST', '/api/v1/roles', { body: { name, permissions, ...extra } });
  assert.equal(r.status, 201, `role ${name}: ${r.status} ${r.text}`);
  return r.body;
}

/* The seat limit raised as the operator does it (harness.raiseSeats:
 * `atrium org seats`; the settings API shows seats read-only). */
export { raiseSeats } from './harness.mjs';

