// GDPR rights requests (/admin/gdpr): the register is the generic record
// list and form (the entity `gdpr`); this module adds the deadline cell of
// the list (days left, flagged within 7 days and when overdue) and the
// "Carry out the request" card of a request's page: export the subject's
// data (a zip made on the server's job runner, then downloaded by an
// administrator) and, for an erasure request, erase it (the password is
// asked again, and the subject's email typed again to confirm).
import { h, replace, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { me } from '../session.js';
import { alertBox, downloadBlob, modal, problemBox, toast } from '../ui.js';
import { control, errorMessage } from '../forms.js';
import { formatPlainDate, todayDate } from '../format.js';
import { t } from '../i18n.js';

const OPEN = new Set(['received', 'in_progress']);
const WARN_DAYS = 7;

/** Whole days from today to date (YYYY-MM-DD): negative when past. */
function daysLeft(date) {
  const a = Date.parse(`${todayDate()}T00:00:00Z`);
  const b = Date.parse(`${date}T00:00:00Z`);
  return Math.round((b - a) / 86400000);
}

/** The deadline with its days left, for the list and the card. */
export function deadlineCell(record) {
  const d = record.deadline;
  if (!d) return h('span', { class: 'muted', 'aria-label': t('common.empty') }, '—');
  const date = formatPlainDate(d);
  if (!OPEN.has(record.status)) return date;
  const n = daysLeft(d);
  const text = n < 0 ? t('gdpr.overdue', { count: -n }) : t('gdpr.days_left', { count: n });
  const kind = n < 0 ? 'badge-danger' : n <= WARN_DAYS ? 'badge-warn' : 'badge-off';
  return h('span', { class: 'nowrap', 'data-testid': 'gdpr-deadline' }, date, ' ',
    h('span', { class: ['badge', kind], 'data-state': n < 0 ? 'overdue' : n <= WARN_DAYS ? 'soon' : 'ok' }, text));
}

/* Asks for the subject's email again: resolves it, or null when cancelled. */
function confirmErase(record) {
  const dlg = modal({ title: t('gdpr.erase_q'), returnFocus: document.activeElement });
  const email = control({ name: 'confirm_email', label: t('gdpr.erase_type_email'), required: true,
    hint: t('gdpr.erase_type_hint', { email: record.subject_email }) });
  const form = h('form', { novalidate: true },
    alertBox('warning', t('gdpr.erase_warning'), t('gdpr.erase_warning_detail')), email.wrap);
  const ok = h('button', { type: 'submit', class: 'btn btn-danger' }, t('gdpr.erase'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  cancel.addEventListener('click', () => dlg.close(null));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = String(email.get() || '').trim();
    if (v.toLowerCase() !== String(record.subject_email).toLowerCase()) {
      email.setError(t('gdpr.erase_mismatch'));
      email.input.focus();
      return;
    }
    dlg.close(v);
  });
  ok.addEventListener('click', (ev) => { ev.preventDefault(); form.requestSubmit(); });
  dlg.body.appendChild(form);
  dlg.actions.append(cancel, ok);
  email.input.focus();
  return dlg.result;
}

/** The card of a request's page (null for a new one). */
export function gdprSection(entity, record, signal, onChange) {
  const admin = Boolean(me() && me().admin);
  const titleId = `gdpr-${record.id}-actions`;
  const messages = h('div', { class: 'form-messages', tabindex: '-1', 'aria-live': 'polite' });
  const body = h('div', { class: 'section-body' });
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId, 'data-testid': 'gdpr-actions' },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('gdpr.actions_title'))),
    messages, body);
  const path = `${entity.api}/${record.id}`;

  const fail = (err) => {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 422) {
      messages.replaceChildren(alertBox('error', t('gdpr.refused'), err.fieldErrors.map(errorMessage).join(' ')));
    } else {
      messages.replaceChildren(problemBox(err));
    }
    messages.focus();
  };

  /* Waits for the export job: the record is read again every 2 s while it
   * is queued (the page is left: the signal stops it). */
  async function waitExport() {
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      if (signal.aborted) return;
      const { data } = await api('GET', path, { signal });
      if (data.export_status !== 'queued') { onChange(); return; }
    }
  }

  function draw(rec) {
    const rows = [
      h('p', null, t('gdpr.deadline_label'), ' ', deadlineCell(rec)),
    ];
    if (rec.erased_at) {
      rows.push(alertBox('info', t('gdpr.erased'), [t('gdpr.erased_at'), ' ', timeEl(rec.erased_at)]));
    }
    const exportState = rec.export_status
      ? h('p', { 'data-testid': 'gdpr-export-state' }, t(`gdpr.export_${rec.export_status}`),
        rec.export_at ? [' ', timeEl(rec.export_at)] : null)
      : null;
    const buttons = h('div', { class: 'form-actions' });
    if (!rec.erased_at && rec.export_status !== 'queued') {
      const exp = h('button', { type: 'button', class: 'btn' }, t('gdpr.export'));
      exp.addEventListener('click', async () => {
        exp.disabled = true;
        messages.replaceChildren();
        try {
          await api('POST', `${path}/export`, { body: {}, signal });
          toast(t('gdpr.export_started'));
          onChange();
        } catch (err) { fail(err); exp.disabled = false; }
      });
      buttons.appendChild(exp);
    }
    if (rec.export_status === 'ready' && admin) {
      const dl = h('button', { type: 'button', class: 'btn btn-primary' }, t('gdpr.download'));
      dl.addEventListener('click', async () => {
        dl.disabled = true;
        try {
          const { data } = await api('GET', `${path}/export`, { blob: true, signal });
          downloadBlob(`gdpr-request-${rec.id}.zip`, data);
        } catch (err) { fail(err); } finally { dl.disabled = false; }
      });
      buttons.appendChild(dl);
    }
    if (rec.type === 'erasure' && !rec.erased_at && admin) {
      const er = h('button', { type: 'button', class: 'btn btn-danger-outline' }, t('gdpr.erase'));
      er.addEventListener('click', async () => {
        const email = await confirmErase(rec);
        if (!email) { er.focus(); return; }
        er.disabled = true;
        messages.replaceChildren();
        try {
          await api('POST', `${path}/erase`, { body: { confirm_email: email }, signal });
          toast(t('gdpr.erased'));
          onChange();
        } catch (err) { fail(err); er.disabled = false; }
      });
      buttons.appendChild(er);
    }
    replace(body, ...rows, exportState, buttons.childElementCount ? buttons : null);
    if (rec.export_status === 'queued') waitExport().catch(fail);
  }

  draw(record);
  return section;
}
