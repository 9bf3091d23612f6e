// The environment's replicas (state, latest CPU and memory), a form that
// changes the count per service (POST .../scale, no new release) and one
// that changes a service's CPU and memory (POST .../resize, a new release).
import { api, type EnvironmentDetail, type Replica, type ResizeRequest, type ServiceResources } from '../api';
import { actionOutput } from '../dialog';
import { fill, h } from '../dom';
import { bytes, cpus, percent } from '../format';

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

// "web: 0.5 CPU, 512.0 MiB; worker: no CPU limit, no memory limit"
function sizeSummary(resources: Record<string, ServiceResources>): string {
  return Object.entries(resources).map(([service, size]) =>
    `${service}: ${size.millicpu ? cpus(size.millicpu) : 'no CPU limit'}, ${size.memory_bytes ? bytes(size.memory_bytes) : 'no memory limit'}`).join('; ');
}

// One service's CPU and memory, as `ssh ... ps:resize`: a new release of the
// live one. Empty fields are left as they are.
function resizeForm(app: string, env: string, result: HTMLElement, onChange: () => void) {
  const form = h('form', { class: 'resize-form', 'data-form': 'resize' });
  const sizes = h('p', { class: 'muted', 'data-sizes': '' });
  let formServices = '';

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const field = (name: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name=${name}]`)!.value.trim();
    const resize: ResizeRequest = { service: field('service') };
    if (field('cpu')) resize.cpu = field('cpu');
    if (field('memory')) resize.memory = field('memory');
    const button = form.querySelector('button')!;
    button.disabled = true;
    fill(result, h('p', { class: 'muted', 'data-progress': 'resize' }, `Resizing ${resize.service}… (a new release: the answer comes when it is live)`));
    try {
      fill(result, actionOutput(await api.resize(app, env, resize)));
    } catch (error) {
      fill(result, actionOutput({ ok: false, error: (error as Error).message }));
    }
    button.disabled = false;
    onChange();
  });

  return {
    root: h('div', null, sizes, form),
    render(resources: Record<string, ServiceResources>) {
      fill(sizes, sizeSummary(resources));
      const services = Object.keys(resources).sort();
      if (services.join(',') === formServices || form.contains(document.activeElement)) return;
      formServices = services.join(',');
      fill(form,
        h('label', { class: 'inline' }, 'Service ',
          h('select', { name: 'service', 'aria-label': 'service to resize' }, services.map((service) => h('option', { value: service }, service)))),
        h('label', { class: 'inline' }, 'CPU ', h('input', { name: 'cpu', size: 6, placeholder: '0.5', 'aria-label': 'CPUs per replica' })),
        h('label', { class: 'inline' }, 'Memory ', h('input', { name: 'memory', size: 6, placeholder: '512M', 'aria-label': 'memory per replica' })),
        h('button', { type: 'submit' }, 'Resize'));
    },
  };
}

export function replicasSection(app: string, env: string, onChange: () => void) {
  const table = h('tbody');
  const form = h('form', { class: 'scale-form', 'data-form': 'scale' });
  const result = h('div', { class: 'result-slot' });
  const resize = resizeForm(app, env, result, onChange);
  const root = h('div', null,
    h('table', { class: 'responsive', 'data-table': 'replicas' },
      h('thead', null, h('tr', null, ...['Replica', 'State', 'Restarts', 'CPU', 'Memory'].map((t) => h('th', null, t)))),
      table),
    h('h3', null, 'Scale'), form,
    h('h3', null, 'Resize'), resize.root, result);
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
      resize.render(detail.resources ?? {});
    },
  };
}
