/**
 * The confirmation every destructive action goes through: what will happen, and the operator's
 * reason, which the API keeps in the audit log (admin_actions). The dialog lives outside <main>,
 * so pushes that patch the page never touch what is being typed in it.
 */
const $ = (id) => document.getElementById(id);

let settle = null;

function close(reason) {
  const dialog = $('confirm-dialog');
  if (dialog.open) dialog.close();
  const done = settle;
  settle = null;
  done?.(reason);
}

/** Resolves with the reason typed, or null when the operator cancels. */
export function confirmAction({ title, detail, confirmLabel }) {
  close(null);
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-detail').textContent = detail;
  $('confirm-submit').textContent = confirmLabel;
  $('confirm-reason').value = '';
  dialog.showModal();
  $('confirm-reason').focus();
  return new Promise((resolve) => {
    settle = resolve;
  });
}

$('confirm-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const reason = $('confirm-reason').value.trim();
  if (reason) close(reason);
});
$('confirm-cancel').addEventListener('click', () => close(null));
$('confirm-dialog').addEventListener('close', () => close(null));
