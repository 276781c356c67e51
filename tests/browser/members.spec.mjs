// Staff lists in the UI (issue 12): a task's assignees and a project's members
// in the multi-select staff picker (pickers.js): members added from the
// select ("Me" first, those on the list not offered again), taken off with
// their button (by mouse and by keyboard), saved as a set, shown by name in
// the list, "Me" as the list's filter (the address says assignees=me); a
// member deactivated after being put on a task stays on its list, named, and
// a refusal of the server lands on the picker.
import { test, expect } from '@playwright/test';
import { addMember, guardPages, navLink, pageApi, signIn, stamp } from './common.mjs';

guardPages();

const sorted = (a) => [...a].sort((x, y) => x - y);

test('a task with several assignees: picked, taken off, saved, listed by name, filtered on Me', async ({ page, browser }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const me = (await call('GET', '/api/v1/auth/me')).body.staff;
  const ana = await addMember(page, browser, { name: `Ana ${tag}` });
  const bob = await addMember(page, browser, { name: `Bob ${tag}` });
  const cid = await addMember(page, browser, { name: `Cid ${tag}` });

  await page.goto('/admin/');
  await navLink(page, 'Tasks').click();
  await page.getByRole('link', { name: 'New task' }).click();
  await page.getByLabel(/^Subject( \*)?$/).fill(`Plan ${tag}`);
  const add = page.getByLabel('Assignees', { exact: true });
  const chosen = page.getByRole('list', { name: 'On the list: Assignees' });
  await expect(page.getByText('Nobody yet')).toBeVisible();
  await expect(add.locator('option').nth(1)).toHaveText(`Me (${me.name})`); // "Me" first
  await add.selectOption({ label: `Ana ${tag}` });
  await add.selectOption({ label: `Bob ${tag}` });
  await add.selectOption({ label: `Me (${me.name})` });
  await expect(chosen.getByRole('listitem')).toHaveCount(3);
  await expect(page.getByText('Nobody yet')).toBeHidden();
  await expect(add).toHaveValue(''); // ready for the next one
  await expect(add.locator('option', { hasText: `Ana ${tag}` })).toHaveCount(0); // not offered twice
  await chosen.getByRole('button', { name: `Remove Bob ${tag}` }).click();
  await expect(chosen.getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('status').filter({ hasText: `Bob ${tag} is off the list` })).toBeAttached();
  await expect(add.locator('option', { hasText: `Bob ${tag}` })).toHaveCount(1); // offered again
  await page.getByRole('button', { name: 'Create task' }).click();
  await expect(page).toHaveURL(/\/admin\/tasks(\?|$)/);

  const created = (await call('GET', `/api/v1/tasks?q=${encodeURIComponent(`Plan ${tag}`)}`)).body.data[0];
  expect(created.assignees).toEqual(sorted([me.id, ana.id]));
  const row = page.getByRole('row', { name: new RegExp(`Plan ${tag}`) });
  await expect(row).toContainText(`Ana ${tag}`); // names, not ids
  await expect(row).toContainText(me.name);

  // Edit: the form shows the list; Cid added, Ana taken off with the keyboard.
  await row.getByRole('link', { name: `Plan ${tag}` }).click();
  await expect(chosen.getByRole('listitem')).toHaveCount(2);
  await add.selectOption({ label: `Cid ${tag}` });
  const removeAna = chosen.getByRole('button', { name: `Remove Ana ${tag}` });
  await removeAna.focus();
  await page.keyboard.press('Enter');
  await expect(chosen.getByRole('listitem')).toHaveCount(2);
  // Focus went to the next member's button, not lost to the page.
  await expect(page.locator(':focus')).toHaveAttribute('aria-label', /^Remove /);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/admin\/tasks(\?|$)/);
  const saved = (await call('GET', `/api/v1/tasks/${created.id}`)).body;
  expect(saved.assignees).toEqual(sorted([me.id, cid.id]));
  const act = await call('GET', `/api/v1/activity?entity=task&entity_id=${created.id}&action=update`);
  expect(act.body.data[0].diff.assignees).toEqual({ from: sorted([me.id, ana.id]), to: sorted([me.id, cid.id]) });

  // "My tasks": the list's filter offers Me first, and the address says so.
  const other = await call('POST', '/api/v1/tasks', { subject: `Plan ${tag} theirs`, assignees: [bob.id] });
  expect(other.status).toBe(201);
  await page.goto(`/admin/tasks?q=${encodeURIComponent(`Plan ${tag}`)}`);
  await expect(page.getByRole('link', { name: `Plan ${tag} theirs` })).toBeVisible();
  await page.getByLabel('Assignees', { exact: true }).selectOption({ label: `Me (${me.name})` });
  await expect(page).toHaveURL(/assignees=me/);
  await expect(page.getByRole('link', { name: `Plan ${tag} theirs` })).toBeHidden();
  await expect(page.getByRole('link', { name: `Plan ${tag}`, exact: true })).toBeVisible();
});

test('a deactivated assignee stays named on the list; a member refused by the server is named on the picker', async ({ page, browser }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const dan = await addMember(page, browser, { name: `Dan ${tag}` });
  const eve = await addMember(page, browser, { name: `Eve ${tag}` });
  const t = await call('POST', '/api/v1/tasks', { subject: `Handover ${tag}`, assignees: [dan.id] });
  expect(t.status).toBe(201);
  expect((await call('POST', `/api/v1/staff/${dan.id}/deactivate`)).status).toBe(200);

  await page.goto(`/admin/tasks/${t.body.id}`);
  const chosen = page.getByRole('list', { name: 'On the list: Assignees' });
  await expect(chosen.getByRole('listitem')).toHaveText([new RegExp(`Dan ${tag} \\(inactive\\)`)]);
  const add = page.getByLabel('Assignees', { exact: true });
  await expect(add.locator('option', { hasText: `Dan ${tag}` })).toHaveCount(0); // not addable again
  // Eve is picked, then leaves before the save: the server's refusal is on the picker.
  await add.selectOption({ label: `Eve ${tag}` });
  expect((await call('POST', `/api/v1/staff/${eve.id}/deactivate`)).status).toBe(200);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(add).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#task-assignees-error')).toContainText(String(eve.id));
  await expect(add).toBeFocused();
  // Taking Eve off again saves; Dan is still there.
  await chosen.getByRole('button', { name: new RegExp(`Remove Eve ${tag}`) }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/admin\/tasks(\?|$)/);
  expect((await call('GET', `/api/v1/tasks/${t.body.id}`)).body.assignees).toEqual([dan.id]);
});

test('a project\'s members beside its manager, in the project form', async ({ page, browser }) => {
  const tag = stamp();
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/$/);
  const { call } = await pageApi(page);
  const fay = await addMember(page, browser, { name: `Fay ${tag}` });
  const gus = await addMember(page, browser, { name: `Gus ${tag}` });
  await page.goto('/admin/');
  await navLink(page, 'Projects').click();
  await page.getByRole('link', { name: 'New project' }).click();
  await page.getByLabel(/^Name( \*)?$/).fill(`Rollout ${tag}`);
  await page.getByLabel('Project manager', { exact: true }).selectOption({ label: `Fay ${tag}` });
  const add = page.getByLabel('Members', { exact: true });
  await expect(page.getByText('Everyone who works on the project; each of them sees it.')).toBeVisible();
  await add.selectOption({ label: `Fay ${tag}` });
  await add.selectOption({ label: `Gus ${tag}` });
  await expect(page.getByRole('list', { name: 'On the list: Members' }).getByRole('listitem')).toHaveCount(2);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/admin\/projects(\?|$)/);
  const p = (await call('GET', `/api/v1/projects?q=${encodeURIComponent(`Rollout ${tag}`)}`)).body.data[0];
  expect(p.assigned_to).toBe(fay.id);
  expect(p.members).toEqual(sorted([fay.id, gus.id]));
});
