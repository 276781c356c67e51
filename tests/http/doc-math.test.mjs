// The line editor's live preview (web/assets/js/doc_math.js) computes a
// document's figures in the browser by the server's rules
// (src/finance/document.h): the same cases as tests/unit/test_document.c and
// tests/http/finance-invoices.test.mjs give the same amounts, under both
// rounding rules and in a currency without decimals, and an unreadable line
// gives no totals rather than wrong ones. Needs no server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { centsText, computeDocument, roundTo, scaled } from '../../web/assets/js/doc_math.js';

const rates = { 19: '19', 9: '9', 1: '0' };

describe('the line editor\'s preview arithmetic', () => {
  it('reads decimals exactly and refuses more places than allowed', () => {
    assert.equal(scaled('2.5', 4), 25000n);
    assert.equal(scaled('-33.333', 4), -333330n);
    assert.equal(scaled('1.23456', 4), null);
    assert.equal(scaled('abc', 4), null);
    assert.equal(scaled('', 4), null);
  });

  it('rounds half away from zero', () => {
    assert.equal(roundTo(5n, 3, 2), 1n); // 0.005 → 0.01
    assert.equal(roundTo(-5n, 3, 2), -1n); // −0.005 → −0.01
    assert.equal(roundTo(4n, 3, 2), 0n);
    assert.equal(centsText(-1n), '-0.01');
    assert.equal(centsText(151237n), '1512.37');
  });

  it('gives the figures the server gives: a discount, two rates and a reverse charge', () => {
    const fig = computeDocument([
      { quantity: '2.5', unit_price: '120.40', discount: '10', taxes: [19] },
      { quantity: '1', unit_price: '1000', taxes: [9] },
      { quantity: '3', unit_price: '33.333', taxes: [1] },
    ], rates);
    assert.deepEqual(fig.amounts, ['270.90', '1000.00', '100.00']);
    assert.deepEqual([fig.subtotal, fig.tax_total, fig.total], ['1370.90', '141.47', '1512.37']);
    assert.deepEqual(fig.taxes.map((x) => [x.tax_id, x.base, x.amount]),
      [[19, '270.90', '51.47'], [9, '1000.00', '90.00'], [1, '100.00', '0.00']]);
  });

  it('rounds taxes per document or per line as chosen', () => {
    const lines = [1, 2, 3].map(() => ({ quantity: '1', unit_price: '0.15', taxes: [9] }));
    assert.equal(computeDocument(lines, rates, { rule: 'document' }).tax_total, '0.04');
    const perLine = computeDocument(lines, rates, { rule: 'line' });
    assert.deepEqual([perLine.tax_total, perLine.total], ['0.03', '0.48']);
  });

  it('rounds to whole units in a currency without decimals', () => {
    const fig = computeDocument([{ quantity: '3', unit_price: '33.5', taxes: [19] }], rates, { places: 0 });
    assert.deepEqual(fig.amounts, ['101.00']);
    assert.equal(fig.tax_total, '19.00');
  });

  it('a negative price is a discount line; an unreadable line gives no totals', () => {
    const fig = computeDocument([{ quantity: '1', unit_price: '100' }, { quantity: '1', unit_price: '-0.005' }], rates);
    assert.deepEqual([fig.amounts[1], fig.total], ['-0.01', '99.99']);
    const bad = computeDocument([{ quantity: '1', unit_price: '10' }, { quantity: 'x', unit_price: '1' }], rates);
    assert.deepEqual([bad.amounts[1], bad.subtotal, bad.total], [null, null, null]);
  });
});
