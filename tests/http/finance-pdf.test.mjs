// Documents as PDFs and by email (issue 13, PDF): GET .../pdf of invoices,
// credit notes and contracts in the organisation's language and formats
// (Romanian here, with its diacritics), read back with poppler's pdftotext;
// POST .../send queues the email with the PDF attached, which a real SMTP
// server receives; the invoice becomes `sent`. 401, 403 and every invalid
// field.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  startServer, client, adminClient, assertProblem, assertFieldErrors, uniq, addRole, addMember, raiseSeats,
  startSmtpSink, configureSmtp, recordCoverage,
} from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-pdf-'));

/* The text of a PDF (bytes) as pdftotext -layout writes it. */
function pdfText(bytes) {
  const f = path.join(tmp, `${uniq('d')}.pdf`);
  fs.writeFileSync(f, bytes);
  if (process.env.KEEP_PDF) fs.copyFileSync(f, `/tmp/sample-${Date.now()}.pdf`);
  const r = spawnSync('pdftotext', ['-layout', f, '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pdftotext: ${r.stderr}`);
  return r.stdout;
}

function pdfPages(bytes) {
  const f = path.join(tmp, `${uniq('p')}.pdf`);
  fs.writeFileSync(f, bytes);
  const r = spawnSync('pdfinfo', [f], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pdfinfo: ${r.stderr}`);
  return Number(/Pages:\s+(\d+)/.exec(r.stdout)[1]);
}

/* GET a PDF: the bytes, checked as a PDF download. */
async function getPdf(c, url, id) {
  const res = await fetch(`${c.base}${url.replace('{id}', id)}`, { headers: { Cookie: c.cookieHeader() } });
  // Read as bytes, outside the JSON client: recorded for the route meta-test by hand.
  recordCoverage('GET', url, url.replace('{id}', id), res.status);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.match(res.headers.get('content-disposition') || '', /^attachment; filename\*=UTF-8''/);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  return { bytes, disposition: res.headers.get('content-disposition') };
}

/* The first application/pdf attachment of a raw message. */
function attachedPdf(raw) {
  const at = raw.indexOf('Content-Type: application/pdf');
  assert.ok(at >= 0, 'the message has a PDF attachment');
  const head = raw.indexOf('\r\n\r\n', at);
  const end = raw.indexOf('\r\n--', head);
  return Buffer.from(raw.slice(head + 4, end).replace(/\s+/g, ''), 'base64');
}

describe('documents as PDF and by email', () => {
  let srv;
  let admin;
  let sink;
  let outsider;
  let viewer; // invoices view only
  let clientId;
  let contactEmail;
  let vat;
  let rc;
  let inv; // an issued invoice

  const INV_PDF = '/api/v1/invoices/{id}/pdf';
  const INV_SEND = '/api/v1/invoices/{id}/send';
  const CN_PDF = '/api/v1/credit_notes/{id}/pdf';
  const CN_SEND = '/api/v1/credit_notes/{id}/send';
  const CT_PDF = '/api/v1/contracts/{id}/pdf';

  async function ok(method, url, body, params) {
    const r = await admin.req(method, url, { body, params });
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  }

  before(async () => {
    srv = await startServer();
    admin = await adminClient(srv);
    await raiseSeats(admin);
    sink = await startSmtpSink(tmp);
    await configureSmtp(admin, sink);
    await ok('PATCH', '/api/v1/settings/{group}', {
      language: 'ro', date_format: 'DD.MM.YYYY', thousands_separator: 'period', decimal_separator: 'comma', default_currency: 'RON',
    }, { group: 'localization' });
    await ok('PATCH', '/api/v1/settings/{group}', {
      company_name: 'Compania Țesătoria Șerban SRL', address: 'Str. Mărășești 12\nBrașov', vat_number: 'RO12345678', registration_number: 'J08/123/2020',
    }, { group: 'company' });
    await ok('POST', '/api/v1/payment_modes', { name: 'Transfer bancar', description: 'IBAN RO49 AAAA 1B31 0075 9384 0000', show_on_documents: true });
    await ok('POST', '/api/v1/custom_fields', { entity: 'invoice', slug: 'nr_comanda_client', label: 'Nr. comandă client', type: 'text', show_on_pdf: true });
    const cl = await ok('POST', '/api/v1/clients', { company: 'Societatea Ștefănescu și Fiii SRL', vat_number: 'RO87654321', address: 'Bd. Unirii 1', city: 'București' });
    clientId = cl.id;
    contactEmail = `${uniq('ana')}@example.test`;
    await ok('POST', '/api/v1/contacts', { client_id: clientId, first_name: 'Ana', last_name: 'Ionescu', email: contactEmail });
    vat = await ok('POST', '/api/v1/taxes', { name: 'TVA 19%', rate: '19' });
    rc = await ok('POST', '/api/v1/taxes', { name: 'Taxare inversă', rate: '0', reverse_charge: true, legal_note: 'Taxare inversă conform art. 331 din Codul fiscal' });
    const contact = (await admin.req('GET', '/api/v1/contacts', { query: { client_id: clientId } })).body.data[0];
    const draft = await ok('POST', '/api/v1/invoices', {
      client_id: clientId,
      contact_id: contact.id,
      due_date: '2027-01-31',
      notes: 'Vă mulțumim!',
      custom_fields: { nr_comanda_client: 'PO-4412' },
      lines: [
        { description: 'Consultanță tehnică — analiză și proiectare', quantity: '2.5', unit: 'ore', unit_price: '1200', discount: '10', taxes: [vat.id] },
        { description: 'Servicii intracomunitare', quantity: 1, unit_price: '1000', taxes: [rc.id] },
      ],
    });
    inv = draft;
    viewer = await addMember(srv, admin, { role_id: (await addRole(admin, uniq('Viewer '), { invoices: ['view'], credit_notes: ['view'], contracts: ['view'], proposals: ['view'] })).id }, 'viewer');
    outsider = await addMember(srv, admin, { role_id: (await addRole(admin, uniq('Leads '), { leads: ['view'] })).id }, 'outsider');
  });
  after(async () => {
    await sink?.stop();
    await srv?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a draft invoice: the draft mark, Romanian words, diacritics and the organisation\'s formats', async () => {
    const { bytes, disposition } = await getPdf(admin, INV_PDF, inv.id);
    assert.match(disposition, new RegExp(`invoice-${inv.id}-draft\\.pdf$`));
    const text = pdfText(bytes);
    for (const s of ['Factură', 'CIORNĂ', 'Compania Țesătoria Șerban SRL', 'Brașov', 'RO12345678', 'J08/123/2020',
      'Societatea Ștefănescu și Fiii SRL', 'București', 'RO87654321', 'Ana Ionescu',
      'Consultanță tehnică — analiză și proiectare', 'Servicii intracomunitare', '31.01.2027',
      // 2.5 × 1,200 − 10% = 2,700.00; 19% = 513.00; + 1,000.00 reverse charge
      '2.700,00', '513,00', '4.213,00', 'Taxare inversă conform art. 331 din Codul fiscal',
      'Transfer bancar', 'IBAN RO49 AAAA 1B31 0075 9384 0000', 'Nr. comandă client', 'PO-4412', 'Vă mulțumim!', 'Pagina 1 din 1']) {
      assert.ok(text.includes(s), `the PDF shows '${s}':\n${text}`);
    }
  });

  it('issued: the number, in the file name too', async () => {
    inv = await ok('POST', '/api/v1/invoices/{id}/issue', undefined, { id: inv.id });
    const { bytes, disposition } = await getPdf(viewer, INV_PDF, inv.id);
    assert.ok(disposition.endsWith(encodeURIComponent(inv.number).replace(/%2F/g, '%2F') + '.pdf') ||
      disposition.includes(`${inv.number.replace(/\//g, '-')}.pdf`), disposition);
    const text = pdfText(bytes);
    assert.ok(text.includes(inv.number), text);
    assert.ok(!text.includes('CIORNĂ'));
  });

  it('send: the contact receives the invoice with its PDF, and the invoice is sent', async () => {
    const r = await admin.req('POST', INV_SEND, { params: { id: inv.id }, body: { message: 'Plata prin transfer, vă rog.' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'sent');
    assert.equal(r.body.sent_to, contactEmail);
    assert.ok(r.body.sent_at);
    const m = await sink.waitFor(contactEmail, (x) => x.subject.includes(inv.number));
    assert.equal(m.subject, `Factura ${inv.number} de la Compania Țesătoria Șerban SRL`);
    assert.match(m.raw, /Content-Type: multipart\/mixed/);
    const text = pdfText(attachedPdf(m.raw));
    assert.ok(text.includes(inv.number) && text.includes('Societatea Ștefănescu și Fiii SRL'), text);
    const log = await admin.req('GET', '/api/v1/activity', { query: { entity: 'invoice', entity_id: inv.id } });
    assert.ok(log.body.data.some((a) => a.diff?.sent_to?.to === contactEmail), JSON.stringify(log.body.data.map((a) => a.diff)));
    // to another address, given
    const other = `${uniq('acct')}@example.test`;
    const r2 = await admin.req('POST', INV_SEND, { params: { id: inv.id }, body: { to: other } });
    assert.equal(r2.status, 200, r2.text);
    await sink.waitFor(other);
  });

  it('send: refused for a draft, without a recipient, with a bad address; 401 and 403', async () => {
    const bare = (await admin.req('POST', '/api/v1/clients', { body: { company: uniq('Bare ') } })).body;
    const d = await ok('POST', '/api/v1/invoices', { client_id: bare.id, lines: [{ description: 'x', quantity: 1, unit_price: 5 }] });
    assertProblem(await admin.req('POST', INV_SEND, { params: { id: d.id }, body: {} }), 409);
    await ok('POST', '/api/v1/invoices/{id}/issue', undefined, { id: d.id });
    assertFieldErrors(await admin.req('POST', INV_SEND, { params: { id: d.id }, body: {} }), { to: 'required' });
    assertFieldErrors(await admin.req('POST', INV_SEND, { params: { id: d.id }, body: { to: 'not-an-address', message: 'x'.repeat(2001), cc: 1 } }),
      { to: null, message: null, cc: 'unknown_field' });
    const anon = client(srv.base);
    for (const [m, p] of [['GET', INV_PDF], ['POST', INV_SEND], ['GET', CN_PDF], ['POST', CN_SEND], ['GET', CT_PDF]]) {
      assertProblem(await anon.req(m, p, { params: { id: inv.id }, body: m === 'POST' ? {} : undefined }), 401);
      assertProblem(await outsider.req(m, p, { params: { id: inv.id }, body: m === 'POST' ? {} : undefined }), 403);
    }
    assertProblem(await viewer.req('POST', INV_SEND, { params: { id: inv.id }, body: {} }), 403);
    assertProblem(await admin.req('GET', INV_PDF, { params: { id: 987654 } }), 404);
  });

  it('a credit note: its PDF names the invoice it reverses, and it is sent', async () => {
    const cn = await ok('POST', '/api/v1/credit_notes', { invoice_id: inv.id, reason: 'Retur parțial' });
    const issued = await ok('POST', '/api/v1/credit_notes/{id}/issue', undefined, { id: cn.id });
    const text = pdfText((await getPdf(admin, CN_PDF, cn.id)).bytes);
    for (const s of ['Factură de stornare', issued.number, inv.number, 'Retur parțial', '4.213,00']) {
      assert.ok(text.includes(s), `the credit note shows '${s}':\n${text}`);
    }
    const r = await admin.req('POST', CN_SEND, { params: { id: cn.id }, body: {} });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.sent_to, contactEmail);
    const m = await sink.waitFor(contactEmail, (x) => x.subject.includes(issued.number));
    assert.match(m.body, new RegExp(`stornează factura ${inv.number.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('a proposal: its PDF, and emailed once sent', async () => {
    const p = await ok('POST', '/api/v1/proposals', {
      subject: 'Modernizarea rețelei', client_id: clientId, open_till: '2027-02-28',
      lines: [{ description: 'Echipamente de rețea', quantity: 3, unit_price: '850', taxes: [vat.id] }],
    });
    const draftText = pdfText((await getPdf(viewer, '/api/v1/proposals/{id}/pdf', p.id)).bytes);
    for (const s of ['Ofertă', 'CIORNĂ', 'Modernizarea rețelei', '28.02.2027', '2.550,00', '3.034,50']) {
      assert.ok(draftText.includes(s), `the proposal shows '${s}':\n${draftText}`);
    }
    assertProblem(await admin.req('POST', '/api/v1/proposals/{id}/email', { params: { id: p.id }, body: {} }), 409);
    const sent = await ok('POST', '/api/v1/proposals/{id}/send', undefined, { id: p.id });
    const to = `${uniq('buyer')}@example.test`;
    const r = await admin.req('POST', '/api/v1/proposals/{id}/email', { params: { id: p.id }, body: { to } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.sent_to, to);
    assert.equal(r.body.status, 'sent');
    const m = await sink.waitFor(to);
    assert.equal(m.subject, `Oferta ${sent.number} de la Compania Țesătoria Șerban SRL`);
    assert.match(m.body, /valabilă până la 28\.02\.2027/);
    assert.ok(pdfText(attachedPdf(m.raw)).includes(sent.number));
    for (const [mth, path] of [['GET', '/api/v1/proposals/{id}/pdf'], ['POST', '/api/v1/proposals/{id}/email']]) {
      assertProblem(await client(srv.base).req(mth, path, { params: { id: p.id }, body: mth === 'POST' ? {} : undefined }), 401);
      assertProblem(await outsider.req(mth, path, { params: { id: p.id }, body: mth === 'POST' ? {} : undefined }), 403);
    }
    assertProblem(await viewer.req('POST', '/api/v1/proposals/{id}/email', { params: { id: p.id }, body: {} }), 403);
  });

  it('a signed contract: its number, term and value', async () => {
    const ct = await ok('POST', '/api/v1/contracts', {
      subject: 'Mentenanță anuală', client_id: clientId, value: '12000', currency: 'RON', start_date: '2027-01-01', end_date: '2027-12-31', signed: true,
      description: 'Intervenții în 24 de ore.',
    });
    const text = pdfText((await getPdf(viewer, CT_PDF, ct.id)).bytes);
    for (const s of ['Contract', ct.number, 'Mentenanță anuală', '01.01.2027', '31.12.2027', '12.000,00', 'Intervenții în 24 de ore.', 'Societatea Ștefănescu și Fiii SRL']) {
      assert.ok(text.includes(s), `the contract shows '${s}':\n${text}`);
    }
  });

  it('100 lines run over several pages, every line present', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => ({ description: `Linia ${i + 1} — piesă de schimb`, quantity: 1, unit_price: '10', taxes: [vat.id] }));
    const big = await ok('POST', '/api/v1/invoices', { client_id: clientId, lines });
    const { bytes } = await getPdf(admin, INV_PDF, big.id);
    const pages = pdfPages(bytes);
    assert.ok(pages > 1, `pages: ${pages}`);
    const text = pdfText(bytes);
    let at = 0;
    for (let i = 1; i <= 100; i++) {
      const k = text.indexOf(`Linia ${i} —`, at);
      assert.ok(k >= at, `line ${i} in order`);
      at = k;
    }
    assert.ok(text.includes(`Pagina ${pages} din ${pages}`));
  });
});
