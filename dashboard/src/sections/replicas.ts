// The environment's replicas (state, latest CPU and memory) and a form that
// changes the count per service (POST .../scale, no new release).
import { api, type EnvironmentDetail, type Replica } from '../api';
import { actionOutput } from '../dialog';
import { fill, h } from '../dom';
import { bytes, percent } from '../format';

// Replicas arrive as a list of replicas or as counts per service.
export function replicaList(detail: EnvironmentDetail): Replica[] {
  const replicas = detail.replicas;
  if (Array.isArray(replicas)) return replicas;
  return Object.entries(replicas ?? {}).flatMap(([service, count]) =>
    Array.from({ length: count }, (_, index) => ({ service, index })));
}

function countsOf(detail: EnvironmentDetail): Record<string, number> {
  if (detail.replicas && !Array.isArray(detail.replicas)) return { ...detail.replicas };
  const counts: Record<string, number> = {};
  for (const replica of replicaList(detail)) counts[replica.service] = (counts[replica.service] ?? 0) + 1;
  return counts;
}

export function replicasSection(app: string, env: string, onChange: () => void) {
  const table = h('tbody');
  const form = h('form', { class: 'scale-form', 'data-form': 'scale' });
  const result = h('div', { class: 'result-slot' });
  const root = h('div', null,
    h('table', { class: 'responsive', 'data-table': 'replicas' },
      h('thead', null, h('tr', null, ...['Replica', 'State', 'Restarts', 'CPU', 'Memory'].map((t) => h('th', null, t)))),
      table),
    h('h3', null, 'Scale'), form, result);
  let formServices = '';

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const counts: Record<string, number> = {};
    for (const input of form.querySelectorAll<HTMLInputElement>('input[data-service]')) counts[input.dataset.service!] = Number(input.value);
    const button = form.querySelector('button')!;
    button.disabled = true;
    fill(result, h('p', { class: 'muted' }, 'Scaling… (the answer comes when the replicas are healthy)'));
    try {
      fill(result, actionOutput(await api.scale(app, env, counts)));
    } catch (error) {
      fill(result, actionOutput({ ok: false, error: (error as Error).message }));
    }
    button.disabled = false;
    formServices = '';  // show the new counts
    onChange();
  });

  function renderForm(counts: Record<string, number>) {
    const services = Object.keys(counts).sort().join(',');
    if (services === formServices || form.contains(document.activeElement)) return;
    formServices = services;
    fill(form,
      Object.entries(counts).map(([service, count]) =>
        h('label', { class: 'inline' }, service, ' ',
          h('input', { type: 'number', min: 0, max: 100, value: String(count), 'data-service': service, 'aria-label': `${service} replicas` }))),
      h('button', { type: 'submit' }, 'Scale'));
  }

  return {
    root,
    render(detail: EnvironmentDetail) {
      const replicas = replicaList(detail).sort((a, b) => a.service.localeCompare(b.service) || a.index - b.index);
      fill(table, replicas.length ? replicas.map((replica) =>
        h('tr', { 'data-replica': `${replica.service}.${replica.index}` },
          h('td', { 'data-label': 'Replica' }, `${replica.service}.${replica.index}`),
          h('td', { 'data-label': 'State' }, replica.state ?? '–'),
          h('td', { 'data-label': 'Restarts' }, replica.restarts ?? '–'),
          h('td', { 'data-label': 'CPU' }, percent(replica.cpu_percent)),
          h('td', { 'data-label': 'Memory' }, bytes(replica.memory_bytes))))
        : h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No replicas running.')));
      renderForm(countsOf(detail));
    },
  };
}
