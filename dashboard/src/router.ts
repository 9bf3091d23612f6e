// Hash routes (#/apps/APP/ENV...): the gateway serves one index.html.
export type Cleanup = () => void;
export type Page = (main: HTMLElement, params: Record<string, string>) => Promise<Cleanup>;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
}

const routes: Route[] = [];

// addRoute('/apps/:app/:env', page)
export function addRoute(path: string, page: Page): void {
  const names: string[] = [];
  const source = path.replace(/:(\w+)/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}$`), names, page });
}

export function match(hash: string): { page: Page; params: Record<string, string> } | null {
  const path = hash.replace(/^#/, '') || '/';
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1])));
    return { page: route.page, params };
  }
  return null;
}
