// Unsaved changes. A form registers once it shows what was loaded
// (trackForm); it has unsaved changes while its controls hold something
// else. Leaving the page then asks first: a link or Back/Forward (the
// router's leave guard, app.js), signing out, and closing or reloading the
// tab (the browser's own "leave site?" question).

const tracked = new Set();

/** What a form's controls hold, as a string to compare. */
function snapshot(form) {
  const values = [];
  for (const el of form.elements) {
    if (el.tagName === 'BUTTON' || el.tagName === 'FIELDSET' || el.tagName === 'OUTPUT') continue;
    if (el.type === 'checkbox' || el.type === 'radio') values.push(el.checked);
    else if (el.tagName === 'SELECT' && el.multiple) values.push([...el.selectedOptions].map((o) => o.value));
    else values.push(el.value);
  }
  return JSON.stringify(values);
}

/**
 * Starts watching a form, with what it holds now as the saved state.
 * Returns {markClean()} to call after a save that keeps the form on the
 * page (its values are then the saved ones). A form that leaves the page
 * is forgotten.
 */
export function trackForm(form) {
  const entry = { form, saved: snapshot(form) };
  tracked.add(entry);
  return {
    markClean() { entry.saved = snapshot(form); },
    isDirty: () => entry.form.isConnected && snapshot(entry.form) !== entry.saved,
  };
}

/** Whether a form on the page holds changes that were not saved. */
export function hasUnsavedChanges() {
  for (const entry of [...tracked]) {
    if (!entry.form.isConnected) { tracked.delete(entry); continue; }
    if (snapshot(entry.form) !== entry.saved) return true;
  }
  return false;
}

/** Forgets every form (another member signed in: nothing of the page is theirs). */
export function forgetForms() { tracked.clear(); }

// Closing or reloading the tab, or leaving for another site.
window.addEventListener('beforeunload', (ev) => {
  if (!hasUnsavedChanges()) return;
  ev.preventDefault();
  ev.returnValue = '';
});
