// The app's own output, live: the last lines, then new ones as they come,
// optionally for one service only.
import { streams } from '../api';
import { fill, h } from '../dom';
import { logView, type LogView } from '../log_view';

export function appLogsSection(app: string, env: string) {
  const select = h('select', { 'aria-label': 'Service', 'data-select': 'log-service' }, h('option', { value: '' }, 'all services'));
  const slot = h('div');
  const root = h('div', null, h('label', { class: 'inline' }, 'Service ', select), slot);
  let view: LogView | null = null;
  let known = '';

  const open = () => {
    view?.close();
    view = logView(streams.appLogs(app, env, select.value, 100), 'app logs', 'No output yet.');
    fill(slot, view.root);
  };
  select.addEventListener('change', open);
  open();

  return {
    root,
    // A new release runs new replicas: the stream follows the ones live when it opened.
    reopen: open,
    setServices(services: string[]) {
      const key = services.join(',');
      if (key === known) return;
      known = key;
      const chosen = select.value;
      fill(select, h('option', { value: '' }, 'all services'), services.map((s) => h('option', { value: s }, s)));
      select.value = services.includes(chosen) ? chosen : '';
    },
    close() {
      view?.close();
    },
  };
}
