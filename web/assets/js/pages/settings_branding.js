// Settings → General: the logos for light and dark mode and the favicon.
// Each is uploaded on its own (PUT /api/v1/settings/branding/{kind}, the
// file as the body with its type); the server decodes it and answers 422
// with the reason when it refuses it, shown under the image. After a
// change the header and the favicon follow at once (brandingChanged).
import { h } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, loading, problemBox, serverText, toast } from '../ui.js';
import { formatNumber } from '../format.js';
import { brandingChanged } from '../branding.js';
import { t } from '../i18n.js';

const KINDS = () => [
  { kind: 'logo_light', label: t('brand.logo_light'), accept: 'image/png,image/svg+xml,.png,.svg',
    rules: t('brand.logo_light_rules'),
    preview: 'light' },
  { kind: 'logo_dark', label: t('brand.logo_dark'), accept: 'image/png,image/svg+xml,.png,.svg',
    rules: t('brand.logo_dark_rules'), preview: 'dark' },
  { kind: 'favicon', label: t('brand.favicon'), accept: 'image/png,image/x-icon,image/vnd.microsoft.icon,.png,.ico',
    rules: t('brand.favicon_rules'), preview: 'light' },
];

/* The type to send: the browser's, or one from the file name. */
function typeOf(file) {
  if (file.type) return file.type;
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return { png: 'image/png', svg: 'image/svg+xml', ico: 'image/x-icon' }[ext] || 'application/octet-stream';
}

function describe(img) {
  const kb = img.bytes < 1024 ? t('brand.bytes', { count: img.bytes }) : `${formatNumber(img.bytes / 1024, { min: 1, max: 1 })} KB`;
  return img.content_type === 'image/svg+xml' ? `SVG, ${kb}` : `PNG, ${img.width}×${img.height} px, ${kb}`;
}

/** The card; loads GET /api/v1/branding itself. */
export function brandingCard(signal) {
  const box = h('section', { class: 'card form settings-form branding-card', 'aria-labelledby': 'branding-title' },
    h('h2', { id: 'branding-title', class: 'section-title' }, t('brand.title')),
    h('p', { class: 'muted form-lead' }, t('brand.lead')),
    loading());
  load();
  return box;

  async function load() {
    let data;
    try {
      ({ data } = await api('GET', '/api/v1/branding', { signal }));
    } catch (err) {
      if (!isAbort(err)) box.lastChild.replaceWith(problemBox(err));
      return;
    }
    const rows = KINDS().map((k) => imageRow(k, data));
    box.lastChild.replaceWith(h('div', { class: 'branding-rows' }, rows.map((r) => r.el)));
    const paint = (d) => { for (const r of rows) r.paint(d); };
    for (const r of rows) r.onChange = (d) => { paint(d); brandingChanged(d); };
  }
}

/* One image: preview, what it is, Upload and Remove. */
function imageRow(k, initial) {
  const editable = can('settings', 'edit');
  const id = `branding-${k.kind}`;
  const preview = h('div', { class: ['branding-preview', `branding-preview-${k.preview}`], 'data-testid': `${id}-preview` });
  const info = h('p', { class: 'hint', id: `${id}-info` });
  const error = h('div', { class: 'form-messages', id: `${id}-error`, 'aria-live': 'polite' });
  const input = editable ? h('input', { type: 'file', id: `${id}-file`, accept: k.accept, class: 'visually-hidden',
    'aria-describedby': `${id}-rules` }) : null;
  const pick = editable ? h('label', { for: `${id}-file`, class: 'btn btn-sm' }, t('brand.upload')) : null;
  const remove = editable ? h('button', { type: 'button', class: 'btn btn-sm' }, t('brand.remove')) : null;
  const row = {
    onChange: null,
    el: h('div', { class: 'branding-row', dataset: { kind: k.kind } },
      h('div', { class: 'branding-text' },
        h('h3', { class: 'label' }, k.label),
        h('p', { class: 'hint', id: `${id}-rules` }, k.rules),
        info, error,
        editable ? h('div', { class: 'branding-actions' }, input, pick, remove) : null),
      preview),
    paint(data) {
      const img = data && data[k.kind];
      preview.replaceChildren(img ? h('img', { src: img.url, alt: t('brand.current_alt', { label: k.label }) })
        : h('span', { class: 'muted' }, 'Atrium’s own'));
      info.textContent = img ? t('brand.current', { what: describe(img) }) : t('brand.not_set');
      if (remove) remove.hidden = !img;
    },
  };
  row.paint(initial);
  if (!editable) return row;

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    error.replaceChildren();
    pick.classList.add('is-busy');
    try {
      const { data } = await api('PUT', `/api/v1/settings/branding/${k.kind}`, { raw: file, contentType: typeOf(file) });
      if (row.onChange) row.onChange(data);
      toast(t('brand.saved', { label: k.label }));
    } catch (err) {
      if (isAbort(err)) return;
      const e = err instanceof ApiError && err.fieldErrors.find((x) => x.field === k.kind);
      error.replaceChildren(e ? alertBox('error', t('brand.refused', { name: file.name }), `${serverText(e.detail, 'brand.refused_detail')}.`)
        : problemBox(err));
    } finally {
      pick.classList.remove('is-busy');
    }
  });
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog({ title: t('brand.remove_q', { label: k.label.toLowerCase() }), confirmLabel: t('brand.remove'),
      message: t('brand.remove_message') }))) return;
    error.replaceChildren();
    try {
      await api('DELETE', `/api/v1/settings/branding/${k.kind}`);
      const { data } = await api('GET', '/api/v1/branding');
      if (row.onChange) row.onChange(data);
      toast(t('brand.removed', { label: k.label }));
    } catch (err) {
      if (!isAbort(err)) error.replaceChildren(problemBox(err));
    }
  });
  return row;
}
