// The "Conversation" card of a ticket's page: its replies and internal
// notes, oldest first (GET /api/v1/tickets/ID/replies), and, for a member
// who may edit tickets, a form to reply or add an internal note (POST; a
// reply marks the ticket answered). Bodies are plain text, shown as text.
import { h, timeEl } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { emptyState, loading, problemBox, toast } from '../ui.js';
import { errorMessage } from '../forms.js';
import { t } from '../i18n.js';

function entry(x) {
  return h('li', { class: ['thread-entry', x.internal ? 'thread-note' : null] },
    h('p', { class: 'thread-meta muted small' },
      h('strong', null, x.author_name || t('thread.someone')), ' · ', timeEl(x.created_at),
      x.internal ? h('span', { class: 'badge badge-off' }, t('thread.internal')) : null),
    h('p', { class: 'thread-body' }, x.body));
}

/** The section for ticket record; onChange() runs after a reply is saved. */
export function threadSection(entity, record, signal, onChange) {
  const path = `${entity.api}/${record.id}/replies`;
  const titleId = `ticket-${record.id}-thread`;
  const list = h('div', null, loading(t('thread.loading')));
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' }, h('h2', { id: titleId, class: 'section-title' }, t('thread.title'))),
    list);

  async function load() {
    try {
      const { data } = await api('GET', path, { query: { limit: 500 }, signal });
      const rows = Array.isArray(data.data) ? data.data : [];
      list.replaceChildren(rows.length ? h('ol', { class: 'thread' }, rows.map(entry))
        : emptyState(t('thread.none'), can(entity.module, 'edit') ? t('thread.first') : null));
    } catch (err) {
      if (!isAbort(err)) list.replaceChildren(problemBox(err));
    }
  }

  if (can(entity.module, 'edit')) {
    const textId = `ticket-${record.id}-reply`;
    const errorId = `${textId}-error`;
    const text = h('textarea', { id: textId, name: 'body', class: 'input', rows: 4, 'aria-describedby': errorId });
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });
    const noteId = `${textId}-internal`;
    const note = h('input', { id: noteId, type: 'checkbox', class: 'checkbox' });
    const send = h('button', { type: 'submit', class: 'btn btn-primary' }, t('thread.add_reply'));
    const form = h('form', { class: 'form thread-form', novalidate: true },
      h('div', { class: 'field field-wide' }, h('label', { for: textId, class: 'label' }, t('thread.reply')), text, error),
      h('div', { class: 'field field-wide' },
        h('label', { class: 'checkbox-label', for: noteId }, note, ` ${t('thread.note_label')}`)),
      h('div', { class: 'form-actions' }, send));
    note.addEventListener('change', () => { send.textContent = note.checked ? t('thread.add_note') : t('thread.add_reply'); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      text.removeAttribute('aria-invalid');
      send.disabled = true;
      try {
        await api('POST', path, { body: { body: text.value, internal: note.checked } });
        toast(note.checked ? t('thread.note_added') : t('thread.reply_added'));
        text.value = '';
        await load();
        if (onChange) onChange();
      } catch (err) {
        if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
          error.textContent = err.fieldErrors.map(errorMessage).join(' ');
          error.hidden = false;
          text.setAttribute('aria-invalid', 'true');
          text.focus();
        } else {
          list.prepend(problemBox(err));
        }
      } finally {
        send.disabled = false;
      }
    });
    section.appendChild(form);
  }
  load();
  return section;
}
