// Deploys of the environment with their logs. A running deploy's log is
// followed live (EventSource) as soon as it shows up, unless the user opened
// another log; finished ones show the whole log when asked.
import { api, streams, type Deploy } from '../api';
import { fill, h } from '../dom';
import { absoluteTime, shortCommit, timeAgo } from '../format';
import { logView, type LogView } from '../log_view';

const isRunning = (deploy: Deploy) => /running|building|releasing|queued|waiting|pending/.test(deploy.status);

export function deploysSection(app: string, env: string) {
  const table = h('tbody');
  const logSlot = h('div', { class: 'deploy-log' });
  const root = h('div', null,
    h('table', { class: 'responsive', 'data-table': 'deploys' },
      h('thead', null, h('tr', null, ...['Deploy', 'Status', 'Branch', 'Commit', 'By', 'When', ''].map((t) => h('th', null, t)))),
      table),
    logSlot);
  let open: { id: number; view: LogView; chosen: boolean } | null = null;

  function show(id: number, chosen: boolean) {
    open?.view.close();
    const view = logView(streams.deployLog(id), `deploy #${id}`, 'Waiting for the log…');
    open = { id, view, chosen };
    fill(logSlot, view.root);
  }

  function render(deploys: Deploy[]) {
    fill(table, deploys.length ? deploys.map((deploy) =>
      h('tr', { 'data-deploy': deploy.id, 'data-status': deploy.status },
        h('td', { 'data-label': 'Deploy' }, `#${deploy.id}`),
        h('td', { 'data-label': 'Status', title: deploy.error ?? '' }, h('span', { class: `badge ${deploy.status}` }, deploy.status),
          deploy.duration_ms ? h('span', { class: 'muted' }, ` ${(deploy.duration_ms / 1000).toFixed(1)} s`) : null),
        h('td', { 'data-label': 'Branch' }, deploy.branch ?? '–'),
        h('td', { 'data-label': 'Commit' }, h('code', null, shortCommit(deploy.commit))),
        h('td', { 'data-label': 'By' }, deploy.pusher ?? '–'),
        h('td', { 'data-label': 'When', title: absoluteTime(deploy.started_at ?? deploy.created_at) }, timeAgo(deploy.started_at ?? deploy.created_at)),
        h('td', null, h('button', { type: 'button', class: 'secondary small', onclick: () => show(deploy.id, true) }, 'Log'))))
      : h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No deploys yet.')));
    const running = deploys.find(isRunning);
    if (running && open?.id !== running.id && !open?.chosen) show(running.id, false);
  }

  return {
    root,
    async refresh() {
      render(await api.deploys(app, env));
    },
    close() {
      open?.view.close();
    },
  };
}
