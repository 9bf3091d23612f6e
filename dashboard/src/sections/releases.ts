// Release history, newest first, with a Rollback button on every release but
// the live one. A rollback runs synchronously: the answer comes when the old
// release is live again (or failed), and its output is shown as SSH prints it.
import { api, type Release } from '../api';
import { actionOutput, confirmDialog } from '../dialog';
import { h, fill } from '../dom';
import { absoluteTime, imageSize, shortCommit, timeAgo, versionLabel, versionNumber } from '../format';

export function releasesSection(app: string, env: string, onChange: () => void) {
  const table = h('tbody');
  const result = h('div', { class: 'result-slot' });
  const root = h('div', null,
    h('table', { class: 'responsive', 'data-table': 'releases' },
      h('thead', null, h('tr', null, ...['Release', 'Commit', 'By', 'When', 'Image', 'Description', ''].map((t) => h('th', null, t)))),
      table),
    result);

  async function rollback(release: Release, live: Release | undefined) {
    const target = versionLabel(release.version);
    const yes = await confirmDialog(`Roll back ${app} ${env} to ${target}?`,
      h('div', null,
        h('p', null, `A new release is made from ${target}'s image and config${live ? `, replacing ${versionLabel(live.version)}` : ''}.`),
        h('p', { class: 'warning' }, 'Database migrations (predeploy) are NOT undone: the old code must work with the current schema.')),
      `Roll back to ${target}`);
    if (!yes) return;
    fill(result, h('p', { class: 'muted', 'data-progress': 'rollback' }, `Rolling back to ${target}… (the answer comes when it is live)`));
    try {
      fill(result, actionOutput(await api.rollback(app, env, versionNumber(release.version))));
    } catch (error) {
      fill(result, actionOutput({ ok: false, error: String((error as Error).message ?? error) }));
    }
    onChange();
  }

  function render(releases: Release[]) {
    const live = releases.find((r) => r.live) ?? releases.find((r) => r.status === 'live') ?? releases[0];
    fill(table, releases.length ? releases.map((release) => {
      const isLive = release === live;
      return h('tr', { 'data-version': versionLabel(release.version) },
        h('td', { 'data-label': 'Release' }, versionLabel(release.version), ' ', isLive ? h('span', { class: 'badge live' }, 'live') : release.status && release.status !== 'live' ? h('span', { class: `badge ${release.status}` }, release.status) : null),
        h('td', { 'data-label': 'Commit' }, h('code', null, shortCommit(release.commit))),
        h('td', { 'data-label': 'By' }, release.pusher ?? '–'),
        h('td', { 'data-label': 'When', title: absoluteTime(release.created_at) }, timeAgo(release.created_at)),
        h('td', { 'data-label': 'Image', title: release.image ?? '' }, imageSize(release.image_size)),
        h('td', { 'data-label': 'Description' }, release.description ?? ''),
        h('td', null, isLive ? null : h('button', { type: 'button', class: 'secondary small', onclick: () => rollback(release, live) }, 'Rollback')));
    }) : h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No releases yet.')));
  }

  return {
    root,
    async refresh() {
      render(await api.releases(app, env));
    },
  };
}
