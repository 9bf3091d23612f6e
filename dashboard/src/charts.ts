// CPU and memory over time, one pair of charts per service with a line per
// replica, drawn by uPlot (bundled; no CDN).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricSample, ReplicaMetrics } from './api';
import { h } from './dom';
import { bytes, epochSeconds } from './format';

const kColors = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

// The metrics endpoint's answer, as a list of replicas, whatever its outer shape:
// a list, {"replicas": [...]}, or an object keyed "web.0".
export function normalizeMetrics(raw: unknown): ReplicaMetrics[] {
  const list = Array.isArray(raw) ? raw : (raw as { replicas?: unknown })?.replicas;
  if (Array.isArray(list)) {
    return (list as ReplicaMetrics[]).map((r) => ({ ...r, index: r.index ?? Number((r.name ?? '').split('.').pop() ?? 0) }));
  }
  if (raw && typeof raw === 'object') {
    return Object.entries(raw as Record<string, unknown>).map(([name, value]) => {
      const [service, index] = name.split('.');
      const samples = Array.isArray(value) ? value : ((value as { samples?: MetricSample[] })?.samples ?? []);
      return { service, index: Number(index ?? 0), samples: samples as MetricSample[] };
    });
  }
  return [];
}

type Pick = (sample: MetricSample) => number | null;

// uPlot wants one x axis shared by all series: the union of sample times.
function align(replicas: ReplicaMetrics[], pick: Pick): uPlot.AlignedData {
  const times = [...new Set(replicas.flatMap((r) => r.samples.map((s) => Math.round(epochSeconds(s.at)))))].sort((a, b) => a - b);
  const position = new Map(times.map((t, i) => [t, i]));
  const series = replicas.map((replica) => {
    const values: (number | null)[] = new Array(times.length).fill(null);
    for (const sample of replica.samples) values[position.get(Math.round(epochSeconds(sample.at)))!] = pick(sample);
    return values;
  });
  return [times, ...series];
}

interface ChartSpec {
  title: string;
  pick: Pick;
  format: (value: number) => string;
}

const cpuSpec: ChartSpec = { title: 'CPU', pick: (s) => s.cpu_percent, format: (v) => `${v.toFixed(v < 10 ? 1 : 0)}%` };
const memorySpec: ChartSpec = { title: 'Memory', pick: (s) => s.memory_bytes, format: (v) => bytes(v) };

function makeChart(container: HTMLElement, service: string, spec: ChartSpec, replicas: ReplicaMetrics[]): uPlot {
  const options: uPlot.Options = {
    title: `${service}: ${spec.title}`,
    width: Math.max(container.clientWidth - 8, 260),
    height: 180,
    scales: { y: { range: (_u, min, max) => [0, Math.max(max, min, spec === cpuSpec ? 1 : 1024 * 1024) * 1.1] } },
    axes: [{}, { values: (_u, ticks) => ticks.map(spec.format), size: 84 }],
    series: [
      {},
      ...replicas.map((replica, i) => ({
        label: `${replica.service}.${replica.index}`,
        stroke: kColors[i % kColors.length],
        width: 1.5,
        spanGaps: true,
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : spec.format(v)),
      })),
    ],
  };
  return new uPlot(options, align(replicas, spec.pick), container);
}

export interface MetricCharts {
  root: HTMLElement;
  update(raw: unknown): void;
  destroy(): void;
}

// Charts that are rebuilt when the set of replicas changes and only fed new
// data otherwise (a poll every few seconds must not flicker).
export function metricCharts(): MetricCharts {
  const root = h('div', { class: 'charts' });
  let charts: { plot: uPlot; spec: ChartSpec; replicas: ReplicaMetrics[] }[] = [];
  let shape = '';
  const resize = new ResizeObserver(() => {
    for (const chart of charts) chart.plot.setSize({ width: Math.max(chart.plot.root.parentElement!.clientWidth - 8, 260), height: 180 });
  });
  resize.observe(root);

  const destroyCharts = () => {
    charts.forEach((c) => c.plot.destroy());
    charts = [];
    root.replaceChildren();
  };

  return {
    root,
    update(raw) {
      const replicas = normalizeMetrics(raw).sort((a, b) => a.service.localeCompare(b.service) || (a.index ?? 0) - (b.index ?? 0));
      const newShape = replicas.map((r) => `${r.service}.${r.index}`).join(',');
      if (!replicas.length) {
        destroyCharts();
        shape = '';
        root.appendChild(h('p', { class: 'muted' }, 'No samples yet: the gateway samples each replica periodically.'));
        return;
      }
      const byService = new Map<string, ReplicaMetrics[]>();
      for (const replica of replicas) byService.set(replica.service, [...(byService.get(replica.service) ?? []), replica]);
      if (newShape !== shape) {
        destroyCharts();
        shape = newShape;
        for (const [service, list] of byService) {
          for (const spec of [cpuSpec, memorySpec]) {
            const box = h('div', { class: 'chart', 'data-chart': `${service}-${spec.title.toLowerCase()}` });
            root.appendChild(box);
            charts.push({ plot: makeChart(box, service, spec, list), spec, replicas: list });
          }
        }
        return;
      }
      for (const chart of charts) {
        const fresh = byService.get(chart.replicas[0].service) ?? chart.replicas;
        chart.replicas = fresh;
        chart.plot.setData(align(fresh, chart.spec.pick));
      }
    },
    destroy() {
      resize.disconnect();
      destroyCharts();
    },
  };
}
