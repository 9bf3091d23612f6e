// Entry point: the session first (who am I, the CSRF token), then the page
// the hash names. Each page returns a cleanup that closes its streams and polls.
import './style.css';
import { ApiError, loadSession } from './api';
import { h } from './dom';
import { appsPage } from './pages/apps';
import { configPage } from './pages/config';
import { environmentPage } from './pages/environment';
import { addRoute, match, type Cleanup } from './router';

addRoute('/', appsPage);
addRoute('/apps/:app/:env', environmentPage);
addRoute('/apps/:app/:env/config', configPage);

const main = document.getElementById('main')!;
let cleanup: Cleanup = () => {};
let generation = 0;  // a slow page that finishes after the user moved on is discarded

function problem(error: unknown): HTMLElement {
  if (error instanceof ApiError && error.status === 401) {
    return h('div', { class: 'card notice', 'data-problem': 'login' },
      h('h1', null, 'Not logged in'),
      h('p', null, 'Run ', h('code', null, 'ssh -p PORT git@HOST dashboard'), ' and open the link it prints (valid once, for 60 s).'));
  }
  if (error instanceof ApiError && error.status === 403) {
    return h('div', { class: 'card notice', 'data-problem': 'forbidden' }, h('h1', null, 'Not allowed'), h('p', null, error.message));
  }
  if (error instanceof ApiError && error.status === 404) {
    return h('div', { class: 'card notice', 'data-problem': 'missing' }, h('h1', null, 'Not found'), h('p', null, error.message));
  }
  return h('div', { class: 'card notice', 'data-problem': 'error' }, h('h1', null, 'Something went wrong'), h('p', null, String((error as Error).message ?? error)));
}

async function show() {
  const mine = ++generation;
  cleanup();
  cleanup = () => {};
  delete main.dataset.loaded;
  const found = match(location.hash);
  if (!found) {
    location.hash = '#/';
    return;
  }
  try {
    const pageCleanup = await found.page(main, found.params);
    if (mine !== generation) pageCleanup();
    else cleanup = pageCleanup;
  } catch (error) {
    if (mine === generation) main.replaceChildren(problem(error));
  }
}

async function start() {
  try {
    const session = await loadSession();
    document.getElementById('whoami')!.textContent = session.user;
  } catch (error) {
    main.replaceChildren(problem(error));
    return;
  }
  window.addEventListener('hashchange', () => void show());
  await show();
}

void start();
