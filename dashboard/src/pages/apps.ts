// The apps list: every app the key may see, each environment's live release and replicas.
import { api, type App, type EnvironmentSummary, type Health } from '../api';
import { fill, h } from '../dom';
import { absoluteTime, imageSize, replicaSummary, shortCommit, shortImage, timeAgo, versionLabel } from '../format';
import type { Page } from '../router';

export const envHash = (app: string, env: string) => `#/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}`;

// "healthy 2/2" as a badge coloured by how the replicas fare.
export function healthBadge(health: Health | null | undefined): HTMLElement {
  if (!health || health.summary === 'none') return h('span', { class: 'muted', 'data-health': 'none' }, '–');
  return h('span', { class: `badge health-${health.summary}`, 'data-health': health.summary, title: `${health.ready} of ${health.wanted} replicas running` },
    `${health.summary} ${health.ready}/${health.wanted}`);
}

function environmentRow(app: string, env: EnvironmentSummary): HTMLElement {
  const release = env.release;
  return h('tr', { 'data-env': `${app}/${env.name}` },
    h('td', { 'data-label': 'Environment' }, h('a', { href: envHash(app, env.name) }, env.name)),
    h('td', { 'data-label': 'Release' }, release ? h('span', { class: `badge ${release.status ?? ''}` }, versionLabel(release.version)) : h('span', { class: 'muted' }, 'not deployed')),
    h('td', { 'data-label': 'Commit' }, h('code', null, shortCommit(release?.commit))),
    h('td', { 'data-label': 'By' }, release?.pusher ?? '–'),
    h('td', { 'data-label': 'When', title: absoluteTime(release?.created_at) }, timeAgo(release?.created_at)),
    h('td', { 'data-label': 'Image', title: release?.image ?? '' }, release?.image_size ? imageSize(release.image_size) : h('code', { class: 'muted' }, shortImage(release?.image))),
    h('td', { 'data-label': 'Health' }, healthBadge(env.health)),
    h('td', { 'data-label': 'Replicas' }, replicaSummary(env.replicas)));
}

function appCard(app: App): HTMLElement {
  return h('section', { class: 'card app', 'data-app': app.name },
    h('h2', null, app.name),
    app.environments.length
      ? h('table', { class: 'responsive' },
          h('thead', null, h('tr', null, ...['Environment', 'Release', 'Commit', 'By', 'When', 'Image', 'Health', 'Replicas'].map((t) => h('th', null, t)))),
          h('tbody', null, ...app.environments.map((env) => environmentRow(app.name, env))))
      : h('p', { class: 'muted' }, 'Nothing deployed yet.'));
}

export const appsPage: Page = async (main) => {
  const apps = await api.apps();
  fill(main,
    h('h1', null, 'Apps'),
    apps.length ? apps.map(appCard) : h('p', { class: 'muted' }, 'No apps yet: `git push` one to the gateway.'));
  return () => {};
};
