// A live log pane fed by Server-Sent Events: each event carries one or more
// lines. The gateway ends a stream when there is nothing more to send (a
// finished deploy); EventSource would then reconnect and replay the whole log,
// so the pane closes the stream on its first error instead and says it ended.
import { h } from './dom';

const kMaxLines = 2000;  // keeps a long-running stream from growing the page without bound

export interface LogView {
  root: HTMLElement;
  close(): void;
}

export function logView(url: string, label: string, emptyText = 'No lines yet.'): LogView {
  const pre = h('pre', { class: 'log', 'data-log': label, tabindex: 0 });
  const status = h('span', { class: 'stream-status live' }, 'live');
  const placeholder = h('p', { class: 'muted' }, emptyText);
  const root = h('div', { class: 'log-view' }, h('div', { class: 'log-head' }, h('span', null, label), status), placeholder, pre);
  let lines = 0;
  const source = new EventSource(url);

  const addLines = (data: string) => {
    const stickToBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    for (const line of data.split('\n')) {
      pre.appendChild(document.createTextNode(line + '\n'));
      lines++;
    }
    while (lines > kMaxLines && pre.firstChild) {
      pre.removeChild(pre.firstChild);
      lines--;
    }
    placeholder.remove();
    if (stickToBottom) pre.scrollTop = pre.scrollHeight;
  };
  const ended = (why: string) => {
    source.close();
    status.textContent = why;
    status.className = 'stream-status ended';
  };

  source.onmessage = (event) => addLines(event.data);
  source.addEventListener('end', () => ended('ended'));
  source.onerror = () => ended(lines ? 'ended' : 'could not connect');
  return { root, close: () => source.close() };
}
