// Config vars: names listed, values masked until revealed one at a time.
// Changes (add, change, remove) are collected and sent as one PATCH, which
// makes one new release without a build; its output is shown.
import { api } from '../api';
import { actionOutput } from '../dialog';
import { fill, h } from '../dom';
import type { Page } from '../router';
import { envHeader } from './nav';

const kNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

// GET .../config/KEY answers {"value": "..."}, {"KEY": "..."} or the bare string.
function valueOf(answer: unknown, key: string): string {
  if (typeof answer === 'string') return answer;
  const record = (answer ?? {}) as Record<string, unknown>;
  return String(record.value ?? record[key] ?? '');
}

export const configPage: Page = async (main, { app, env }) => {
  const table = h('tbody');
  const result = h('div', { class: 'result-slot' });
  const pendingList = h('ul', { class: 'pending' });
  const applyButton = h('button', { type: 'button', 'data-action': 'apply', disabled: true }, 'Apply changes');
  const discardButton = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Discard');
  const nameInput = h('input', { name: 'name', placeholder: 'NAME', autocomplete: 'off', 'aria-label': 'New variable name', required: true });
  const valueInput = h('input', { name: 'value', placeholder: 'value', autocomplete: 'off', 'aria-label': 'New variable value' });
  const addForm = h('form', { class: 'add-var', 'data-form': 'add-var' }, nameInput, valueInput, h('button', { type: 'submit', class: 'secondary' }, 'Add / change'));
  const set = new Map<string, string>();
  const unset = new Set<string>();
  let names: string[] = [];

  function renderPending() {
    const count = set.size + unset.size;
    applyButton.disabled = discardButton.disabled = count === 0;
    applyButton.textContent = count ? `Apply ${count} change${count > 1 ? 's' : ''} (one release)` : 'Apply changes';
    fill(pendingList,
      [...set.keys()].map((k) => h('li', null, names.includes(k) ? 'change ' : 'add ', h('code', null, k))),
      [...unset].map((k) => h('li', null, 'remove ', h('code', null, k))));
  }

  function stage(key: string, value: string | null) {
    if (value === null) {
      set.delete(key);
      if (names.includes(key)) unset.add(key);
    } else {
      unset.delete(key);
      set.set(key, value);
    }
    renderRows();
    renderPending();
  }

  function row(key: string): HTMLElement {
    const valueCell = h('td', { 'data-label': 'Value', class: 'value' }, h('span', { class: 'masked' }, '*****'));
    const reveal = h('button', { type: 'button', class: 'secondary small', 'data-action': 'reveal' }, 'Reveal');
    reveal.addEventListener('click', async () => {
      if (reveal.textContent === 'Hide') {
        fill(valueCell, h('span', { class: 'masked' }, '*****'));
        reveal.textContent = 'Reveal';
        return;
      }
      // One at a time: hide whatever else is shown.
      for (const other of table.querySelectorAll<HTMLButtonElement>('button[data-action=reveal]')) {
        if (other !== reveal && other.textContent === 'Hide') other.click();
      }
      fill(valueCell, h('code', { class: 'revealed' }, valueOf(await api.configValue(app, env, key), key)));
      reveal.textContent = 'Hide';
    });
    const edit = h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit' }, 'Change');
    edit.addEventListener('click', () => {
      nameInput.value = key;
      valueInput.value = '';
      valueInput.focus();
    });
    const remove = h('button', { type: 'button', class: 'secondary small', 'data-action': 'remove' }, 'Remove');
    remove.addEventListener('click', () => stage(key, null));
    const state = unset.has(key) ? 'removed' : set.has(key) ? (names.includes(key) ? 'changed' : 'new') : '';
    return h('tr', { 'data-var': key, class: state },
      h('td', { 'data-label': 'Name' }, h('code', null, key), state ? h('span', { class: `badge ${state}` }, state) : null),
      state ? h('td', { 'data-label': 'Value', class: 'value muted' }, state === 'removed' ? 'will be removed' : 'value set on apply') : valueCell,
      h('td', { class: 'row-actions' }, state ? h('button', { type: 'button', class: 'secondary small', onclick: () => { set.delete(key); unset.delete(key); renderRows(); renderPending(); } }, 'Undo') : [reveal, edit, remove]));
  }

  function renderRows() {
    const all = [...new Set([...names, ...set.keys()])].sort();
    fill(table, all.length ? all.map(row) : h('tr', null, h('td', { colspan: 3, class: 'muted' }, 'No config vars.')));
  }

  async function load() {
    names = Object.keys((await api.config(app, env)).vars ?? {}).sort();
    renderRows();
  }

  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = nameInput.value.trim();
    if (!kNamePattern.test(key)) {
      fill(result, actionOutput({ ok: false, error: `"${key}" is not a valid name (letters, digits and _, not starting with a digit)` }));
      return;
    }
    stage(key, valueInput.value);
    nameInput.value = valueInput.value = '';
    nameInput.focus();
  });
  discardButton.addEventListener('click', () => {
    set.clear();
    unset.clear();
    renderRows();
    renderPending();
  });
  applyButton.addEventListener('click', async () => {
    applyButton.disabled = discardButton.disabled = true;
    fill(result, h('p', { class: 'muted', 'data-progress': 'config' }, 'Releasing the new config… (the answer comes when it is live)'));
    try {
      const answer = await api.changeConfig(app, env, Object.fromEntries(set), [...unset]);
      fill(result, actionOutput(answer));
      if (answer.ok) {
        set.clear();
        unset.clear();
      }
    } catch (error) {
      fill(result, actionOutput({ ok: false, error: (error as Error).message }));
    }
    await load().catch(() => {});
    renderPending();
  });

  await load();
  renderPending();
  main.replaceChildren(envHeader(app, env, 'config'),
    h('section', { class: 'card', id: 'config' },
      h('h2', null, 'Config vars'),
      h('table', { class: 'responsive', 'data-table': 'config' },
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Value'), h('th', null, ''))), table),
      h('h3', null, 'Add or change a variable'), addForm,
      h('div', { class: 'apply' }, pendingList, h('div', { class: 'actions' }, discardButton, applyButton)),
      result));
  main.dataset.loaded = `${app}/${env}/config`;
  return () => {};
};
