// A modal confirmation (the native <dialog>): resolves true on confirm.
import { h } from './dom';

export function confirmDialog(title: string, message: Node | string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'danger', value: 'confirm' }, confirmLabel);
    const dialog = h('dialog', { class: 'confirm', 'aria-label': title },
      h('h3', null, title), h('div', { class: 'dialog-body' }, message), h('div', { class: 'actions' }, cancel, confirm));
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => finish(false));
    confirm.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', () => finish(false));  // Escape
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

// The output of an action (rollback, config change, scale), as the SSH user would see it.
export function actionOutput(result: { ok: boolean; output?: string; error?: string; warning?: string }): HTMLElement {
  return h('div', { class: `action-result ${result.ok ? 'ok' : 'failed'}`, 'data-result': result.ok ? 'ok' : 'failed' },
    h('strong', null, result.ok ? 'Done' : 'Failed'),
    result.error ? h('p', { class: 'error' }, result.error) : null,
    result.warning ? h('p', { class: 'warning' }, result.warning) : null,
    result.output ? h('pre', { class: 'log' }, result.output) : null);
}
