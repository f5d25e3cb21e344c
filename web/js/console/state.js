// What every console view shares: the tab's secrets (memory only), the page's strings,
// messages on the page, switching views and the API caller.

import { $, apiCaller, readJson, Shown } from '../page.js';

/** The console's strings, in the handler's language (the vocabulary holds the labels). */
export const t = readJson('console-i18n');

/** Everything secret in this tab. Never serialised, never stored. */
export const state = {
  me: null, // {handler_id, username, display_name, is_admin, desk, argon2}
  priv: null, // {x25519, mlkemSeed}
  current: null, // {data, keys}
  pages: [null], // cursors of the pages seen, for "first page"
  directory: null,
  pendingEnrolment: null, // {username, auth, unwrapKey}
  epoch: 0, // bumped by forget(): an answer that arrives after it is dropped, never shown
};

/** Zero a secret byte array in place. */
export function wipe(bytes) {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}

/** Forget every key and plaintext this tab holds and clear what the views show. */
export function forget() {
  state.epoch += 1;
  if (state.priv) {
    wipe(state.priv.x25519);
    wipe(state.priv.mlkemSeed);
  }
  if (state.current?.keys) {
    wipe(state.current.keys.caseKey);
    wipe(state.current.keys.notesKey);
  }
  if (state.pendingEnrolment) {
    wipe(state.pendingEnrolment.unwrapKey);
  }
  state.me = null;
  state.priv = null;
  state.current = null;
  state.directory = null;
  state.pendingEnrolment = null;
  state.pages = [null];
  $('case-rows')?.replaceChildren();
  for (const id of ['case-report', 'case-messages', 'case-notes', 'case-files', 'case-trail', 'case-holders']) {
    $(id)?.replaceChildren();
  }
  for (const id of ['nav-cases', 'nav-who', 'nav-password', 'nav-signout']) $(id).hidden = true;
}

export function setText(el, text) {
  if (!el) return;
  el.textContent = text || '';
  el.hidden = !text;
}

export function showError(text) {
  const el = $('console-error');
  setText(el, text);
  if (text) {
    el.scrollIntoView({ block: 'center' });
    el.focus();
  }
}

export function showStatus(text) {
  setText($('console-status'), text);
}

export function clearMessages() {
  showError('');
  showStatus('');
}

export function errorText(error) {
  return error instanceof Shown ? error.message : t.error_generic;
}

export function show(viewId, { focus = true } = {}) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== viewId;
  const title = $(viewId)?.querySelector('h1');
  if (focus && title) title.focus();
}

export function progress(id, text) {
  setText($(id), text);
}

/** @type {() => void} */
let sessionEnded = () => {};

/** What to do when the server says the session ended (set once by the console's entry). */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

export const api = apiCaller({
  network: t.error_network,
  generic: t.error_generic,
  onError: (code) => {
    if (code === 'not_signed_in' && state.priv) sessionEnded();
  },
});
