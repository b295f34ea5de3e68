// The session timeout warning: two minutes before the session ends, a modal dialog offers to
// stay signed in (WCAG 2.2.1, timing adjustable). Staying asks the server for a new session
// without leaving the page, so nothing typed is lost. When the session has ended, the dialog
// says so and that the page's form will be kept through signing in again.
const WARN_BEFORE_MS = 2 * 60 * 1000;
const dialog = document.getElementById('session-timeout');
const text = document.getElementById('session-timeout-text');
const kept = document.getElementById('session-timeout-kept');
const stay = document.getElementById('session-timeout-stay');
const form = document.getElementById('session-timeout-form');
let expiresAt = Number(document.body.dataset.sessionExpires) * 1000;
let timers = [];
let returnFocusTo = null;

function minutesLeft() {
  const minutes = Math.max(1, Math.ceil((expiresAt - Date.now()) / 60000));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function schedule() {
  timers.forEach(clearTimeout);
  timers = [
    setTimeout(warn, Math.max(0, expiresAt - WARN_BEFORE_MS - Date.now())),
    setTimeout(ended, Math.max(0, expiresAt - Date.now())),
  ];
}

function warn() {
  if (Date.now() >= expiresAt) return;
  text.textContent = `For your security, you will be signed out in ${minutesLeft()}.`;
  if (!dialog.open) {
    returnFocusTo = document.activeElement;
    dialog.showModal();
  }
  timers.push(setTimeout(warn, 30000));
}

function ended() {
  timers.forEach(clearTimeout);
  document.getElementById('session-timeout-title').textContent = 'You have been signed out';
  text.textContent = 'Your session has ended.';
  kept.hidden = false;
  stay.textContent = 'Continue';
  form.dataset.ended = 'true';
  if (!dialog.open) dialog.showModal();
}

function close() {
  dialog.close();
  if (returnFocusTo && typeof returnFocusTo.focus === 'function') returnFocusTo.focus();
}

async function extend() {
  const response = await fetch(form.action, {
    method: 'POST',
    headers: { Accept: 'application/json' },
    body: new URLSearchParams(new FormData(form)),
    credentials: 'same-origin',
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.extended) throw new Error(answer.message || 'not extended');
  expiresAt = answer.expiresAt * 1000;
  document.body.dataset.sessionExpires = String(answer.expiresAt);
  schedule();
}

if (dialog && form && Number.isFinite(expiresAt) && typeof dialog.showModal === 'function') {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.ended) return close();
    try {
      await extend();
      close();
    } catch {
      ended();
    }
  });
  // Escape is "stay signed in", as in the pattern: the person is clearly still there.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    form.requestSubmit();
  });
  schedule();
}
