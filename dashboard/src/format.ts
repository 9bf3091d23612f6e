// How values from the API are shown.

// Versions arrive as numbers (3) or labels ("v3"); they are shown as "v3".
export function versionLabel(version: number | string | null | undefined): string {
  if (version === null || version === undefined || version === '') return '–';
  const text = String(version);
  return text.startsWith('v') ? text : `v${text}`;
}

export function versionNumber(version: number | string): number {
  return Number(String(version).replace(/^v/, ''));
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : '–';
}

// A time as seconds since the epoch, from an ISO string or a number (s or ms).
export function epochSeconds(at: string | number): number {
  if (typeof at === 'number') return at > 1e12 ? at / 1000 : at;
  const numeric = Number(at);
  if (!Number.isNaN(numeric)) return epochSeconds(numeric);
  return Date.parse(at) / 1000;
}

export function timeAgo(at: string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return '–';
  const seconds = Math.round(Date.now() / 1000 - epochSeconds(at));
  if (Number.isNaN(seconds)) return String(at);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function absoluteTime(at: string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return '';
  const seconds = epochSeconds(at);
  return Number.isNaN(seconds) ? String(at) : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

// `count` in the largest unit of `units` (each `step` times the last) that
// keeps it at least 1; '–' when unknown.
function scaled(
  count: number | null | undefined,
  step: number,
  units: string[],
  digits: (value: number, unit: number) => number,
): string {
  if (count === null || count === undefined || Number.isNaN(count)) return '–';
  let value = count;
  let unit = 0;
  while (value >= step && unit < units.length - 1) {
    value /= step;
    unit++;
  }
  return `${value.toFixed(digits(value, unit))} ${units[unit]}`;
}

// Memory, in binary units: "3.8 MiB".
export function bytes(count: number | null | undefined): string {
  return scaled(count, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB'], (_, unit) => (unit === 0 ? 0 : 1));
}

// An image size as registries show it, in decimal units: "182 MB".
export function imageSize(count: number | null | undefined): string {
  return scaled(count, 1000, ['B', 'kB', 'MB', 'GB', 'TB'], (value, unit) => (value < 10 && unit > 0 ? 1 : 0));
}

// "0.5 CPU"; '–' when not set.
export function cpus(millicpu: number | null | undefined): string {
  return millicpu === null || millicpu === undefined ? '–' : `${millicpu / 1000} CPU`;
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${value.toFixed(1)}%`;
}

// "web x2, worker x1"
export function replicaSummary(replicas: Record<string, number> | null | undefined): string {
  const entries = Object.entries(replicas ?? {});
  return entries.length ? entries.map(([service, count]) => `${service} x${count}`).join(', ') : '–';
}

// "reg/app@sha256:abc..." -> "sha256:abc12345"; "reg/app:tag" -> "app:tag".
export function shortImage(image: string | null | undefined): string {
  if (!image) return '–';
  const [name, digest] = image.split('@');
  return digest ? digest.slice(0, 15) : (name.split('/').pop() ?? name);
}
