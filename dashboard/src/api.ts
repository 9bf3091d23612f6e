// The gateway's JSON API (docs/dashboard-api.yaml). The session cookie goes
// with every request by itself; state-changing ones also carry the CSRF token
// that GET /api/v1/session handed out.

export interface Session {
  user: string;
  csrf: string;
  apps: string[] | null;          // null: every app
  environments: string[] | null;  // null: every environment
}

export interface Release {
  version: number | string;
  commit?: string | null;
  pusher?: string | null;
  created_at?: string | number | null;
  image?: string | null;
  image_size?: number | null;
  status?: string | null;
  description?: string | null;
  live?: boolean;
}

// Replicas running of those wanted, and in a word: healthy, degraded, down or none.
export interface Health {
  ready: number;
  wanted: number;
  summary: 'healthy' | 'degraded' | 'down' | 'none' | string;
}

export interface EnvironmentSummary {
  name: string;
  release: Release | null;
  replicas: Record<string, number> | null;
  health?: Health | null;
  url?: string | null;
}

// CPU (thousandths of one) and memory per replica of a service; null: not set.
export interface ServiceResources {
  millicpu: number | null;
  memory_bytes: number | null;
}

export interface ResizeRequest {
  service: string;
  cpu?: string;     // "0.5", "250m"
  memory?: string;  // "512M", "2G"
}

export interface App {
  name: string;
  environments: EnvironmentSummary[];
}

export interface Replica {
  name?: string;      // "web.0"
  service: string;
  index: number;
  state?: string | null;
  restarts?: number | null;
  cpu_percent?: number | null;
  memory_bytes?: number | null;
}

export interface EnvironmentDetail {
  app?: string;
  name?: string;
  release: Release | null;
  replicas: Replica[] | Record<string, number> | null;
  resources?: Record<string, ServiceResources>;
  health?: Health | null;
  url?: string | null;
}

export interface Deploy {
  id: number;
  env?: string;
  branch?: string;
  commit?: string | null;
  status: string;
  pusher?: string | null;
  created_at?: string | number | null;
  started_at?: string | number | null;
  duration_ms?: number | null;
  error?: string | null;
  version?: number | string | null;
}

export interface ActionResult {
  ok: boolean;
  output?: string;
  error?: string;
  warning?: string;
}

export interface MetricSample {
  at: string | number;
  cpu_percent: number | null;
  memory_bytes: number | null;
}

export interface ReplicaMetrics {
  name?: string;      // "web.0"
  service: string;
  index?: number;
  samples: MetricSample[];
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let session: Session | null = null;

export function currentSession(): Session | null {
  return session;
}

// `actionResult`: a refused (422) or failed (409) command still answers
// {"ok": false, "output", "error"}, which the caller shows rather than throws.
async function request<T>(method: string, path: string, body?: unknown, actionResult = false): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = session?.csrf ?? '';
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (actionResult && (response.status === 409 || response.status === 422) && parsed && typeof parsed === 'object' && 'ok' in parsed) {
    return parsed as T;
  }
  if (!response.ok) {
    const message = (parsed as { error?: string } | null)?.error ?? (text || response.statusText);
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

export async function loadSession(): Promise<Session> {
  session = await request<Session>('GET', '/api/v1/session');
  return session;
}

const enc = encodeURIComponent;
export const envPath = (app: string, env: string) => `/api/v1/apps/${enc(app)}/environments/${enc(env)}`;

export const api = {
  apps: () => request<App[]>('GET', '/api/v1/apps'),
  environment: (app: string, env: string) => request<EnvironmentDetail>('GET', envPath(app, env)),
  releases: (app: string, env: string) => request<Release[]>('GET', `${envPath(app, env)}/releases`),
  rollback: (app: string, env: string, version: number) =>
    request<ActionResult>('POST', `${envPath(app, env)}/rollback`, { version }, true),
  config: (app: string, env: string) => request<{ vars: Record<string, string> }>('GET', `${envPath(app, env)}/config`),
  configValue: (app: string, env: string, key: string) =>
    request<unknown>('GET', `${envPath(app, env)}/config/${enc(key)}`),
  changeConfig: (app: string, env: string, set: Record<string, string>, unset: string[]) =>
    request<ActionResult>('PATCH', `${envPath(app, env)}/config`, { set, unset }, true),
  deploys: (app: string, env: string) => request<Deploy[]>('GET', `${envPath(app, env)}/deploys`),
  metrics: (app: string, env: string, sinceSeconds: number) =>
    request<unknown>('GET', `${envPath(app, env)}/metrics?since=${sinceSeconds}`),
  scale: (app: string, env: string, counts: Record<string, number>) =>
    request<ActionResult>('POST', `${envPath(app, env)}/scale`, counts, true),
  resize: (app: string, env: string, resize: ResizeRequest) =>
    request<ActionResult>('POST', `${envPath(app, env)}/resize`, resize, true),
};

export const streams = {
  deployLog: (id: number) => `/api/v1/deploys/${id}/log`,
  appLogs: (app: string, env: string, service: string, tail: number) =>
    `${envPath(app, env)}/logs?tail=${tail}${service ? `&service=${enc(service)}` : ''}`,
};
