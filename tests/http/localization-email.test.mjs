// Emails in their recipient's language and time zone, with the logo (issue
// 11): with the
// organisation in Romanian and Europe/Bucharest, a password-reset link and
// a security notice reach a member in Romanian, with the time in the
// organisation's date format and zone and the hours in words; a member who
// chose English gets English. Mail goes to the SMTP sink on loopback, which
// decodes the quoted-printable body.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, client, adminClient, addMember, raiseSeats, startSmtpSink, configureSmtp,
} from './harness.mjs';
import { png, pngSize } from './images.mjs';

describe('emails in the recipient\'s language', () => {
  let srv;
  let admin;
  let sink;

  before(async () => {
    srv = await startServer();
    sink = await startSmtpSink(srv.dir);
    admin = await adminClient(srv);
    await raiseSeats(admin);
    await configureSmtp(admin, sink);
    const r = await admin.req('PATCH', '/api/v1/settings/{group}', {
      params: { group: 'localization' },
      body: { language: 'ro', timezone: 'Europe/Bucharest', date_format: 'DD.MM.YYYY' },
    });
    assert.equal(r.status, 200, r.text);
  });
  after(async () => {
    await srv?.stop();
    await sink?.stop();
  });

  it('a member of a Romanian organisation gets the security notice and the reset link in Romanian', async () => {
    // addMember changes the temporary password: a security notice.
    const m = await addMember(srv, admin, {}, 'rolang');
    const notice = await sink.waitFor(m.me.email, (x) => /Notificare de securitate/.test(x.subject || ''),
      { what: 'the Romanian notice' });
    assert.match(notice.body, /Spre informare: parola dumneavoastră a fost schimbată\./);
    assert.match(notice.body, /Când: \d\d\.\d\d\.\d{4} \d\d:\d\d \(Europe\/Bucharest\)/);
    const when = /Când: (\d\d)\.(\d\d)\.(\d{4}) (\d\d):(\d\d)/.exec(notice.body);
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Bucharest', year: 'numeric', month: '2-digit', day: '2-digit',
    }).format(new Date()).split('/'); // dd/mm/yyyy now, in Bucharest
    assert.deepEqual([when[1], when[2], when[3]], local, 'today in Bucharest');
    const anon = client(srv.base);
    const f = await anon.req('POST', '/api/v1/auth/password/forgot', { body: { email: m.me.email } });
    assert.equal(f.status, 202, f.text);
    const reset = await sink.waitFor(m.me.email, (x) => /Resetarea parolei/.test(x.subject || ''), { what: 'the reset link' });
    assert.match(reset.body, /^Bună ziua, /);
    assert.match(reset.body, /expiră în o oră/);
    assert.match(reset.body, /\/reset-password#token=|#token=/);
  });

  it('with a PNG logo, mail is text and HTML, the logo inline above the same (escaped) text', async () => {
    const logo = png(120, 40);
    const up = await admin.req('PUT', '/api/v1/settings/branding/{kind}', { params: { kind: 'logo_light' }, raw: logo, contentType: 'image/png' });
    assert.equal(up.status, 200, up.text);
    try {
      const to = `logo-${Date.now()}@example.test`;
      const r = await admin.req('POST', '/api/v1/settings/smtp/test', { body: { to } });
      assert.equal(r.status, 200, r.text);
      const m = await sink.waitFor(to, () => true, { what: 'the test email' });
      assert.match(m.content_type, /^multipart\/alternative; boundary="atrium-alt-[0-9a-f]{16}"/);
      assert.match(m.body, /E-mail de test|test email/i, 'the text part, as before');
      assert.match(m.raw, /Content-Type: multipart\/related/);
      assert.match(m.raw, /Content-Type: text\/html; charset=utf-8/);
      assert.match(m.raw, /src=3D"cid:logo@atrium"|src="cid:logo@atrium"/);
      assert.match(m.raw, /Content-ID: <logo@atrium>\r?\nContent-Disposition: inline; filename="logo.png"/);
      const b64 = /Content-ID: <logo@atrium>\r?\n[^\n]*\r?\n\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n--atrium-rel-/.exec(m.raw);
      assert.ok(b64, 'the logo part');
      const sent = Buffer.from(b64[1].replace(/\s/g, ''), 'base64');
      assert.deepEqual(pngSize(sent), { width: 120, height: 40 }, 'the logo as stored (a PNG re-encoded by Atrium)');
      assert.equal(m.defects.length, 0, `well-formed: ${m.defects}`);
    } finally {
      await admin.req('DELETE', '/api/v1/settings/branding/{kind}', { params: { kind: 'logo_light' } });
    }
  });

  it('a member who chose English gets English, with the time in their own zone', async () => {
    const m = await addMember(srv, admin, {}, 'enlang');
    const r = await m.req('PATCH', '/api/v1/auth/me/localization', { body: { language: 'en', timezone: 'America/New_York' } });
    assert.equal(r.status, 200, r.text);
    const anon = client(srv.base);
    await anon.req('POST', '/api/v1/auth/password/forgot', { body: { email: m.me.email } });
    const reset = await sink.waitFor(m.me.email, (x) => /^Reset your/.test(x.subject || ''), { what: 'the English reset link' });
    assert.match(reset.body, /^Hello /);
    assert.match(reset.body, /expires in 1 hour\./);
    const ch = await m.req('POST', '/api/v1/auth/password/change', {
      body: { current_password: `Temp-${m.me.email.split('@')[0]}-password-changed`, new_password: 'An-entirely-new-pass-4471' },
    });
    assert.equal(ch.status, 200, ch.text);
    const notice = await sink.waitFor(m.me.email, (x) => /Security notice/.test(x.subject || '') && /America\/New_York/.test(x.body || ''),
      { what: 'the English notice' });
    assert.match(notice.body, /For your information: your password was changed\./);
  });
});
