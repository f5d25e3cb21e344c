// The handler console: sign-in, TOTP enrolment, recovery, the case list and the case page,
// one module per view under web/js/console/; this file wires them to the page.
//
// The password never leaves this tab: Argon2id turns it into a login proof (sent) and an
// unwrapping key (kept). The private keys, the case keys and every plaintext live only in
// this tab's memory (console/state.js): nothing is written to localStorage, sessionStorage,
// IndexedDB or cookies, so a reload means signing in again. The server receives ciphertext.

import * as hc from './hotline-crypto.js';
import { $, fmt, Shown } from './page.js';
import { errorMessage } from './vocabulary.js';
import { initCaseForms } from './console/case_forms.js';
import { watchIdle } from './console/idle.js';
import { loadList } from './console/list.js';
import { route } from './console/router.js';
import {
  changePassword, enterSignIn, finishEnrolment, recover, signIn, signOut,
} from './console/signin.js';
import {
  clearMessages, errorText, forget, onSessionEnded, progress, show, showError, state, t,
} from './console/state.js';

// Wiring

function guardedSubmit(formId, progressId, work) {
  const form = $(formId);
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    clearMessages();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await work(form);
    } catch (error) {
      progress(progressId, '');
      showError(errorText(error));
    } finally {
      busy = false;
      button.disabled = false;
      progress(progressId, '');
    }
  });
}

function init() {
  if (!$('console')) return;
  guardedSubmit('signin-form', 'signin-progress', signIn);
  guardedSubmit('enrol-form', 'enrol-progress', finishEnrolment);
  guardedSubmit('recover-form', 'recover-progress', recover);
  guardedSubmit('password-form', 'password-progress', changePassword);
  $('enrol-cancel').addEventListener('click', () => {
    forget();
    enterSignIn();
  });
  $('show-recover').addEventListener('click', () => {
    clearMessages();
    $('recover-username').value = $('signin-username').value;
    show('view-recover');
  });
  $('recover-cancel').addEventListener('click', () => enterSignIn());
  $('sign-out').addEventListener('click', () => signOut());
  $('change-password').addEventListener('click', () => {
    location.hash = '#/password';
  });
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.pages = [null];
    loadList({ focus: false }).catch((error) => showError(errorText(error)));
  });
  $('next-page').addEventListener('click', () => {
    const cursor = $('next-page').dataset.cursor;
    if (!cursor) return;
    state.pages.push(cursor);
    loadList({ focus: false }).catch((error) => showError(errorText(error)));
  });
  $('first-page').addEventListener('click', () => {
    state.pages = [null];
    loadList({ focus: false }).catch((error) => showError(errorText(error)));
  });
  initCaseForms();
  onSessionEnded(() => {
    forget();
    enterSignIn(errorMessage('not_signed_in'));
  });
  window.addEventListener('hashchange', () => {
    try {
      route();
    } catch (error) {
      showError(errorText(error));
    }
  });
  window.addEventListener('unhandledrejection', (event) => {
    if (event.reason instanceof Shown) {
      event.preventDefault();
      showError(event.reason.message);
    }
  });
  const idleMinutes = Number($('console').dataset.idleMinutes);
  watchIdle(idleMinutes, () => {
    if (state.priv || state.pendingEnrolment) signOut(fmt(t.idle_signed_out, { minutes: idleMinutes }));
  });
  // Every page load starts signed out of the keys, whatever the server session says.
  show('view-signin', { focus: false });
  hc.ready(); // start loading the WebAssembly while the handler types
}

init();
