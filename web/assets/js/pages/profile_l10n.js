// "Language and formats" on the member's own page: their overrides of the
// organisation's localization (PATCH /api/v1/auth/me/localization; an empty
// choice goes back to the organisation's, sent as null). A change of
// language draws the whole UI again in it.
import { h } from '../dom.js';
import { api, ApiError } from '../api.js';
import { adoptLocalization, localization } from '../session.js';
import { problemBox, toast } from '../ui.js';
import { clearErrors, control, showFieldErrors } from '../forms.js';
import { trackForm } from '../dirty.js';
import { t } from '../i18n.js';
import { formatDateTime, formatMoney } from '../format.js';
import { localizationFields } from './settings.js';

/** The section; returns {root}. */
export function localizationSection() {
  const id = 'profile-l10n-title';
  const l = localization() || { values: {}, overridden: [], organisation: {} };
  const controls = {};
  const grid = [];
  for (const d of localizationFields()) {
    const orgLabel = (d.labels && d.labels[l.organisation[d.key]]) || l.organisation[d.key] || '';
    const options = [['', t('profile.l10n.org_value', { value: orgLabel })],
      ...Object.entries(d.labels || {})];
    const c = control({ name: `my-${d.key}`, label: d.label, type: 'select', options, hint: d.hint });
    c.set(l.overridden.includes(d.key) ? l.values[d.key] : '');
    controls[d.key] = c;
    grid.push(c.wrap);
  }
  const sample = h('p', { class: 'muted', 'data-testid': 'l10n-sample' });
  const paintSample = () => {
    sample.textContent = t('profile.l10n.sample', { when: formatDateTime(new Date()), amount: formatMoney(1234.5) });
  };
  paintSample();
  const messages = h('div', { class: 'form-messages', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('profile.l10n.save'));
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': id },
    messages, h('div', { class: 'form-grid' }, grid), sample, h('div', { class: 'form-actions' }, save));
  const tracker = trackForm(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(controls, messages);
    const now = localization() || l;
    const body = {};
    for (const [k, c] of Object.entries(controls)) {
      const v = c.get() || null;
      const was = now.overridden.includes(k) ? now.values[k] : null;
      if (v !== was) body[k] = v;
    }
    if (!Object.keys(body).length) { toast(t('common.no_changes'), 'info'); return; }
    save.disabled = true;
    try {
      const before = now.values.language;
      const { data } = await api('PATCH', '/api/v1/auth/me/localization', { body });
      adoptLocalization(data);
      tracker.markClean();
      if (data.values.language !== before) { location.reload(); return; }
      paintSample();
      toast(t('profile.l10n.saved'), 'success');
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) showFieldErrors(err, controls, messages);
      else messages.replaceChildren(problemBox(err));
    } finally {
      save.disabled = false;
    }
  });
  const root = h('section', { class: 'card section profile-section', 'aria-labelledby': id },
    h('h2', { id, class: 'section-title' }, t('profile.l10n.title')),
    h('p', { class: 'muted' }, t('profile.l10n.lead')), form);
  return { root };
}
