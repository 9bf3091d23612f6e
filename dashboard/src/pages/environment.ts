// One environment: live release, replicas with scaling, CPU and memory
// charts, release history with rollback, deploys with their logs, app logs.
import { api, type EnvironmentDetail } from '../api';
import { metricCharts } from '../charts';
import { fill, h, section } from '../dom';
import { absoluteTime, imageSize, shortCommit, timeAgo, versionLabel } from '../format';
import { poll } from '../poller';
import type { Page } from '../router';
import { appLogsSection } from '../sections/app_logs';
import { deploysSection } from '../sections/deploys';
import { releasesSection } from '../sections/releases';
import { replicaList, replicasSection } from '../sections/replicas';
import { healthBadge } from './apps';
import { envHeader } from './nav';

const kMetricsWindowSeconds = 3600;

function liveSummary(detail: EnvironmentDetail): HTMLElement {
  const release = detail.release;
  if (!release) return h('p', { class: 'muted' }, 'Nothing is live yet.');
  return h('dl', { class: 'facts', 'data-live': versionLabel(release.version) },
    h('dt', null, 'Live'), h('dd', null, h('strong', null, versionLabel(release.version))),
    h('dt', null, 'Commit'), h('dd', null, h('code', null, shortCommit(release.commit))),
    h('dt', null, 'By'), h('dd', null, release.pusher ?? '–'),
    h('dt', null, 'When'), h('dd', { title: absoluteTime(release.created_at) }, timeAgo(release.created_at)),
    release.image_size ? [h('dt', null, 'Image'), h('dd', { 'data-image-size': release.image_size }, imageSize(release.image_size))] : null,
    detail.health ? [h('dt', null, 'Health'), h('dd', null, healthBadge(detail.health))] : null,
    detail.url ? [h('dt', null, 'URL'), h('dd', null, h('a', { href: detail.url, target: '_blank', rel: 'noopener' }, detail.url))] : null);
}

export const environmentPage: Page = async (main, { app, env }) => {
  const errors = h('p', { class: 'error', role: 'alert' });
  const live = section('Live release', 'live');
  const replicasBox = section('Replicas', 'replicas');
  const metricsBox = section('CPU and memory, last hour', 'metrics');
  const releasesBox = section('Releases', 'releases');
  const deploysBox = section('Deploys', 'deploys');
  const logsBox = section('App logs', 'logs');

  const refreshAll = () => void Promise.all([refreshEnvironment(), releases.refresh(), deploys.refresh()]).catch(report);
  const replicas = replicasSection(app, env, refreshAll);
  const releases = releasesSection(app, env, refreshAll);
  const deploys = deploysSection(app, env);
  const logs = appLogsSection(app, env);
  const charts = metricCharts();
  replicasBox.body.append(replicas.root);
  metricsBox.body.append(charts.root);
  releasesBox.body.append(releases.root);
  deploysBox.body.append(deploys.root);
  logsBox.body.append(logs.root);

  function report(error: unknown) {
    errors.textContent = `Could not refresh: ${(error as Error).message ?? error}`;
  }
  let liveVersion: string | null = null;
  async function refreshEnvironment() {
    const detail = await api.environment(app, env);
    const version = detail.release ? versionLabel(detail.release.version) : null;
    if (liveVersion !== null && version !== liveVersion) logs.reopen();
    liveVersion = version;
    fill(live.body, liveSummary(detail));
    replicas.render(detail);
    logs.setServices([...new Set(replicaList(detail).map((r) => r.service))].sort());
    errors.textContent = '';
  }

  // The first load fills every section before the page counts as shown; if
  // it fails (403, 404), the streams already opened are closed with it.
  try {
    await Promise.all([refreshEnvironment(), releases.refresh(), deploys.refresh()]);
  } catch (error) {
    deploys.close();
    logs.close();
    charts.destroy();
    throw error;
  }
  main.replaceChildren(envHeader(app, env, 'overview'), errors,
    h('div', { class: 'grid' }, live.root, replicasBox.root), metricsBox.root, releasesBox.root, deploysBox.root, logsBox.root);
  main.dataset.loaded = `${app}/${env}`;

  // New pushes, rollbacks from SSH and running deploys show up without a reload.
  const stops = [
    poll(3, async () => { await Promise.all([refreshEnvironment(), releases.refresh(), deploys.refresh()]); }, report, false),
    poll(10, async () => charts.update(await api.metrics(app, env, kMetricsWindowSeconds)), report),
  ];
  return () => {
    stops.forEach((stop) => stop());
    deploys.close();
    logs.close();
    charts.destroy();
  };
};
