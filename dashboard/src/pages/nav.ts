// The heading of an environment's pages: where you are, and its two tabs.
import { h } from '../dom';
import { envHash } from './apps';

export function envHeader(app: string, env: string, tab: 'overview' | 'config'): HTMLElement {
  const base = envHash(app, env);
  return h('div', { class: 'page-head' },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Apps'), ' / ', h('span', null, app), ' / ', h('strong', null, env)),
    h('nav', { class: 'tabs' },
      h('a', { href: base, class: tab === 'overview' ? 'active' : '' }, 'Overview'),
      h('a', { href: `${base}/config`, class: tab === 'config' ? 'active' : '' }, 'Config vars')));
}
