// The "Members" card of a department or team record: the staff whose
// record names it (GET /api/v1/staff?department_id=ID or team_id=ID).
// Membership is edited on the staff record, so this card links there.
import { h, timeEl } from '../dom.js';
import { api, isAbort } from '../api.js';
import { can } from '../session.js';
import { emptyState, loading, problemBox } from '../ui.js';
import { entityText } from '../entities.js';
import { t } from '../i18n.js';

export function membersSection(entity, record, signal) {
  const titleId = `${entity.key}-members-title`;
  const body = h('div', { class: 'table-wrap' }, loading(t('members.loading')));
  const count = h('span', { class: 'muted count' });
  const section = h('section', { class: 'card section form-width', 'aria-labelledby': titleId },
    h('div', { class: 'section-header' },
      h('h2', { id: titleId, class: 'section-title' }, `${t('members.title')} `, count),
      can('staff', 'edit') ? h('p', { class: 'muted small' }, t('members.change_hint')) : null),
    body);

  api('GET', '/api/v1/staff', { query: { [entity.members]: record.id, limit: 200, sort: 'name' }, signal })
    .then(({ data }) => {
      const rows = Array.isArray(data.data) ? data.data : [];
      const total = Number(data.total) || rows.length;
      count.textContent = `(${total})`;
      if (!rows.length) {
        body.replaceChildren(emptyState(entityText(entity, 'no_members'), t('members.add_hint')));
        return;
      }
      body.replaceChildren(h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, t('members.caption', { name: record[entity.titleField] || `#${record.id}` })),
        h('thead', null, h('tr', null, [t('field.name'), t('field.email'), t('staff.col.role'), t('field.status'), t('staff.col.last_login')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((s) => h('tr', null,
          h('td', null, h('a', { href: `/admin/staff/${s.id}`, class: 'row-link' }, s.name || s.email)),
          h('td', null, h('span', { class: 'truncate', title: s.email }, s.email)),
          h('td', null, s.role_name || h('span', { class: 'muted' }, '—')),
          h('td', null, h('span', { class: ['badge', s.active ? 'badge-on' : 'badge-off'] }, s.active ? t('staff.active') : t('staff.inactive'))),
          h('td', { class: 'nowrap' }, s.last_login ? timeEl(s.last_login, { dateOnly: true }) : h('span', { class: 'muted' }, t('staff.never'))))))));
      if (total > rows.length) body.appendChild(h('p', { class: 'muted pad' }, t('members.first_of', { shown: rows.length, total })));
    })
    .catch((err) => { if (!isAbort(err)) body.replaceChildren(problemBox(err)); });
  return section;
}
