// The "Files" card of a ticket's page: its attachments (GET
// /api/v1/tickets/ID/attachments), each a download link, and, for a member
// who may edit tickets, an upload (POST the file as the raw body) and a
// remove button. Files open as downloads only (the server says so).
import { h, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { confirmDialog, emptyState, loading, problemBox, toast } from '../ui.js';
import { errorMessage } from '../forms.js';
import { formatNumber } from '../format.js';
import { t } from '../i18n.js';

const size = (n) => (n >= 1048576 ? `${formatNumber(n / 1048576, { min: 1, max: 1 })} MB`
  : n >= 1024 ? `${formatNumber(n / 1024, { min: 0, max: 0 })} KB` : `${n} B`);

/** The section for ticket record. */
export function filesSection(entity, record, signal) {
  const titleId = `ticket-${record.id}-files`;
  const list = h('div', null, loading(t('files.loading')));
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('files.title'))), list);
  const editable = can(entity.module, 'edit');

  async function load() {
    try {
      const { data } = await api('GET', `${entity.api}/${record.id}/attachments`, { query: { limit: 200 }, signal });
      const rows = Array.isArray(data.data) ? data.data : [];
      list.replaceChildren(rows.length ? h('ul', { class: 'file-list' }, rows.map((f) => {
        const remove = editable ? h('button', { type: 'button', class: 'btn btn-sm btn-ghost' }, t('brand.remove')) : null;
        if (remove) {
          remove.addEventListener('click', async () => {
            const ok = await confirmDialog({ title: t('files.remove_q'), message: t('files.remove_message', { name: f.filename }),
              confirmLabel: t('brand.remove'), danger: true });
            if (!ok) return;
            try {
              await api('DELETE', f.url);
              toast(t('files.removed', { name: f.filename }));
              await load();
            } catch (err) { list.prepend(problemBox(err)); }
          });
        }
        return h('li', { class: 'file-item' },
          h('a', { href: f.url, download: f.filename }, f.filename),
          h('span', { class: 'muted small' }, ` ${size(f.bytes)} · `, timeEl(f.created_at)), remove);
      })) : emptyState(t('files.none')));
    } catch (err) {
      if (!isAbort(err)) list.replaceChildren(problemBox(err));
    }
  }

  if (editable) {
    const inputId = `ticket-${record.id}-file`;
    const errorId = `${inputId}-error`;
    const input = h('input', { id: inputId, type: 'file', class: 'input', 'aria-describedby': errorId });
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });
    const send = h('button', { type: 'submit', class: 'btn' }, t('files.upload'));
    const form = h('form', { class: 'form thread-form', novalidate: true },
      h('div', { class: 'field field-wide' }, h('label', { for: inputId, class: 'label' }, t('files.add')), input, error,
        h('p', { class: 'hint' }, t('files.hint'))),
      h('div', { class: 'form-actions' }, send));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const file = input.files && input.files[0];
      if (!file) { error.textContent = t('files.choose'); error.hidden = false; input.focus(); return; }
      send.disabled = true;
      try {
        await api('POST', `${entity.api}/${record.id}/attachments`,
          { query: { filename: file.name }, raw: file, contentType: file.type || 'application/octet-stream' });
        toast(t('files.added', { name: file.name }));
        input.value = '';
        await load();
      } catch (err) {
        if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
          error.textContent = err.fieldErrors.map(errorMessage).join(' ');
          error.hidden = false;
          input.focus();
        } else if (err instanceof ApiError && err.status === 413) {
          error.textContent = t('files.too_large');
          error.hidden = false;
        } else list.prepend(problemBox(err));
      } finally {
        send.disabled = false;
      }
    });
    section.appendChild(form);
  }
  load();
  return section;
}
