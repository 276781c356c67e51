// Settings → General: the logos for light and dark mode and the favicon.
// Each is uploaded on its own (PUT /api/v1/settings/branding/{kind}, the
// file as the body with its type); the server decodes it and answers 422
// with the reason when it refuses it, shown under the image. After a
// change the header and the favicon follow at once (brandingChanged).
import { h } from '../dom.js';
import { api, ApiError, isAbort } from '../api.js';
import { can } from '../session.js';
import { alertBox, confirmDialog, loading, problemBox, sentence, toast } from '../ui.js';
import { brandingChanged } from '../branding.js';

const KINDS = [
  { kind: 'logo_light', label: 'Logo for light mode', accept: 'image/png,image/svg+xml,.png,.svg',
    rules: 'PNG at most 300 px wide (and 600 px high), or SVG. Shown on light backgrounds, in emails and on documents.',
    preview: 'light' },
  { kind: 'logo_dark', label: 'Logo for dark mode', accept: 'image/png,image/svg+xml,.png,.svg',
    rules: 'The same rules; shown in the dark theme. Without it, the light logo is used there too.', preview: 'dark' },
  { kind: 'favicon', label: 'Favicon', accept: 'image/png,image/x-icon,image/vnd.microsoft.icon,.png,.ico',
    rules: 'A 32×32 PNG, or an ICO holding one 32×32 image. Shown in the browser tab.', preview: 'light' },
];

/* The type to send: the browser's, or one from the file name. */
function typeOf(file) {
  if (file.type) return file.type;
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return { png: 'image/png', svg: 'image/svg+xml', ico: 'image/x-icon' }[ext] || 'application/octet-stream';
}

function describe(img) {
  const kb = img.bytes < 1024 ? `${img.bytes} bytes` : `${(img.bytes / 1024).toFixed(1)} KB`;
  return img.content_type === 'image/svg+xml' ? `SVG, ${kb}` : `PNG, ${img.width}×${img.height} px, ${kb}`;
}

/** The card; loads GET /api/v1/branding itself. */
export function brandingCard(signal) {
  const box = h('section', { class: 'card form settings-form branding-card', 'aria-labelledby': 'branding-title' },
    h('h2', { id: 'branding-title', class: 'section-title' }, 'Logos and favicon'),
    h('p', { class: 'muted form-lead' }, 'Shown in the header, on the sign-in page and in the browser tab. '
      + 'At most 256 KB each. Every file is checked by decoding it; an SVG with scripts, event handlers or '
      + 'references to other files is refused.'),
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
    const rows = KINDS.map((k) => imageRow(k, data));
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
  const pick = editable ? h('label', { for: `${id}-file`, class: 'btn btn-sm' }, 'Upload…') : null;
  const remove = editable ? h('button', { type: 'button', class: 'btn btn-sm' }, 'Remove') : null;
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
      preview.replaceChildren(img ? h('img', { src: img.url, alt: `${k.label} (current)` })
        : h('span', { class: 'muted' }, 'Atrium’s own'));
      info.textContent = img ? `Current: ${describe(img)}.` : 'Not set: Atrium’s own is used.';
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
      toast(`${k.label} saved.`);
    } catch (err) {
      if (isAbort(err)) return;
      const e = err instanceof ApiError && err.fieldErrors.find((x) => x.field === k.kind);
      error.replaceChildren(e ? alertBox('error', `${file.name} was not accepted`, `${sentence(e.detail)}.`)
        : problemBox(err));
    } finally {
      pick.classList.remove('is-busy');
    }
  });
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog({ title: `Remove the ${k.label.toLowerCase()}?`, confirmLabel: 'Remove',
      message: 'Atrium’s own image is shown instead.' }))) return;
    error.replaceChildren();
    try {
      await api('DELETE', `/api/v1/settings/branding/${k.kind}`);
      const { data } = await api('GET', '/api/v1/branding');
      if (row.onChange) row.onChange(data);
      toast(`${k.label} removed.`);
    } catch (err) {
      if (!isAbort(err)) error.replaceChildren(problemBox(err));
    }
  });
  return row;
}
