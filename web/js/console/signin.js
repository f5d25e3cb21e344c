// Signing in, TOTP enrolment, recovery with the recovery key and password change.
//
// The password never leaves this tab: Argon2id turns it into a login proof (sent) and an
// unwrapping key (kept, then wiped once the private keys are open).

import * as hc from '../hotline-crypto.js';
import { $, fmt, paint, Shown } from '../page.js';
import { errorMessage } from '../vocabulary.js';
import { showKeyChanges, showOwnKey } from './keys.js';
import { route } from './router.js';
import {
  api, clearMessages, forget, progress, show, showStatus, state, t, wipe,
} from './state.js';

const b64 = hc.toBase64;
const unb64 = hc.fromBase64;

function argon(params) {
  return { ops: params.ops, memBytes: params.mem_bytes };
}

function cleanCode(value) {
  const code = String(value || '').replace(/[\s-]/g, '');
  if (code && !/^\d{6}$/.test(code)) throw new Shown(t.error_code_format);
  return code;
}

async function deriveLogin(username, password, progressId) {
  progress(progressId, t.deriving);
  await hc.ready();
  const params = await api('/handler/api/login/parameters', { json: { username } });
  await paint(); // let the progress line show before Argon2id blocks the tab
  const start = performance.now();
  const secrets = hc.passwordSecrets(password, unb64(params.salt), argon(params));
  performance.measure('hotline-login-argon2id', { start, end: performance.now() });
  return secrets;
}

function unlock(material, unwrapKey) {
  let priv;
  try {
    priv = hc.unwrapPrivate(unb64(material.wrapped_private), unwrapKey);
  } catch {
    throw new Shown(t.error_keys);
  } finally {
    wipe(unwrapKey);
  }
  const pub = hc.publicKeysOf(priv);
  if (!hc.constantTimeEqual(pub.x25519, unb64(material.x25519_public))
      || !hc.constantTimeEqual(pub.mlkem, unb64(material.mlkem_public))) {
    throw new Shown(t.error_keys);
  }
  state.priv = priv;
  state.me = {
    handler_id: material.handler_id,
    username: material.username,
    display_name: material.display_name,
    is_admin: material.is_admin,
    desk: material.desk,
    argon2: material.argon2,
  };
  for (const form of document.querySelectorAll('#signin-form, #enrol-form, #recover-form')) form.reset();
  const who = $('nav-who');
  const desk = t.desks?.[material.desk] || material.desk;
  who.textContent = fmt(t.signed_in_as, { name: material.display_name }) + (desk ? ` (${desk})` : '');
  for (const id of ['nav-who', 'nav-password', 'nav-signout']) $(id).hidden = false;
  $('nav-cases').hidden = material.is_admin;
  const next = new URLSearchParams(location.search).get('next') || '';
  if (location.pathname.endsWith('/login')) history.replaceState(null, '', `/console${location.hash}`);
  clearMessages();
  if (material.is_admin) {
    // An administrator sent here by an /admin page goes back to it (same origin only).
    if (/^\/admin(\/[\w\-/]*)?$/.test(next)) {
      location.assign(next);
      return;
    }
    show('view-admin');
  } else {
    route();
    showOwnKey(state.me, pub);
    showKeyChanges();
  }
}

export async function signIn(form) {
  const username = form.username.value.trim().toLowerCase();
  const password = form.password.value;
  const code = cleanCode(form.code.value);
  if (!username || !password) throw new Shown(errorMessage('invalid_credentials'));
  const secrets = await deriveLogin(username, password, 'signin-progress');
  progress('signin-progress', t.signing_in);
  let material;
  try {
    material = await api('/handler/api/login', {
      json: { username, auth: b64(secrets.auth), code },
    });
  } catch (error) {
    if (error.code === 'totp_enrolment_required') {
      await startEnrolment(username, secrets);
      return;
    }
    wipe(secrets.unwrapKey);
    // Password and code are checked together: whatever was wrong, the answer is the same.
    throw error;
  }
  progress('signin-progress', t.unlocking);
  unlock(material, secrets.unwrapKey);
}

async function startEnrolment(username, secrets) {
  const enrolment = await api('/handler/api/login/enrol/start', {
    json: { username, auth: b64(secrets.auth) },
  });
  // The server made the secret and keeps it; this tab only shows it and confirms a code.
  state.pendingEnrolment = { username, auth: secrets.auth, unwrapKey: secrets.unwrapKey };
  // Server-rendered SVG, shown as an image (CSP allows data: images, never inline markup).
  $('enrol-qr').src = `data:image/svg+xml;base64,${b64(hc.utf8Encode(enrolment.qr_svg))}`;
  $('enrol-secret').textContent = enrolment.secret.match(/.{1,4}/g).join(' ');
  $('signin-form').reset();
  progress('signin-progress', '');
  clearMessages();
  show('view-enrol');
}

export async function finishEnrolment(form) {
  const pending = state.pendingEnrolment;
  if (!pending) {
    enterSignIn();
    return;
  }
  const code = cleanCode(form.code.value);
  if (!code) throw new Shown(t.error_code_needed);
  progress('enrol-progress', t.signing_in);
  const material = await api('/handler/api/login/enrol/finish', {
    json: { username: pending.username, auth: b64(pending.auth), code },
  });
  state.pendingEnrolment = null;
  $('enrol-qr').removeAttribute('src');
  $('enrol-secret').textContent = '';
  unlock(material, pending.unwrapKey);
}

export function enterSignIn(message) {
  show('view-signin');
  showStatus(message || '');
  $('signin-username').focus();
}

/**
 * Forget the keys at once, then end the server session; `message` says why. The message
 * appears only once the server has ended the session, so that a reload right after it
 * never finds the session still alive; if the server cannot be reached, the page says so.
 */
export async function signOut(message = t.signed_out) {
  forget();
  history.replaceState(null, '', '/console');
  enterSignIn('');
  try {
    await api('/handler/api/logout', { json: {} });
    showStatus(message);
  } catch {
    showStatus(t.signed_out_locally);
  }
}


// New password: with the recovery key (signed out) or the current password (signed in)

function checkNewPassword(first, second) {
  if (first.length < 12) throw new Shown(t.error_password_short);
  if (first !== second) throw new Shown(t.error_passwords_differ);
}

export async function recover(form) {
  const username = form.username.value.trim().toLowerCase();
  const recoveryKey = form.recovery_key.value;
  const code = cleanCode(form.code.value);
  if (!code) throw new Shown(t.error_code_needed);
  checkNewPassword(form.new_password.value, form.repeat_password.value);
  await hc.ready();
  let proof;
  try {
    proof = hc.recoveryAuth(recoveryKey);
  } catch {
    throw new Shown(t.error_recovery_format);
  }
  progress('recover-progress', t.unlocking);
  let material;
  try {
    material = await api('/handler/api/recovery/material', {
      json: { username, recovery_proof: b64(proof) },
    });
  } catch (error) {
    if (error.code === 'invalid_credentials') throw new Shown(t.error_recovery, error.code);
    throw error;
  }
  let priv;
  try {
    priv = hc.unwrapWithRecoveryKey(unb64(material.recovery_wrapped_private), recoveryKey);
  } catch {
    throw new Shown(t.error_recovery);
  }
  progress('recover-progress', t.deriving);
  await paint();
  const rewrapped = hc.rewrapWithPassword(priv, form.new_password.value, argon(material.argon2));
  wipe(priv.x25519);
  wipe(priv.mlkemSeed);
  await api('/handler/api/password', {
    json: {
      proof_kind: 'recovery', username, proof: b64(proof), code,
      salt: b64(rewrapped.salt), auth: b64(rewrapped.secrets.auth), wrapped_private: b64(rewrapped.wrapped),
    },
  });
  form.reset();
  progress('recover-progress', '');
  enterSignIn(t.saved_password);
  $('signin-username').value = username;
}

export async function changePassword(form) {
  if (!state.priv) return;
  const code = cleanCode(form.code.value);
  if (!code) throw new Shown(t.error_code_needed);
  checkNewPassword(form.new_password.value, form.repeat_password.value);
  const { username, argon2 } = state.me;
  const current = await deriveLogin(username, form.current_password.value, 'password-progress');
  wipe(current.unwrapKey);
  await paint();
  const rewrapped = hc.rewrapWithPassword(state.priv, form.new_password.value, argon(argon2));
  try {
    await api('/handler/api/password', {
      json: {
        proof_kind: 'password', username, proof: b64(current.auth), code,
        salt: b64(rewrapped.salt), auth: b64(rewrapped.secrets.auth), wrapped_private: b64(rewrapped.wrapped),
      },
    });
  } finally {
    wipe(rewrapped.secrets.unwrapKey);
  }
  form.reset();
  progress('password-progress', '');
  forget();
  history.replaceState(null, '', '/console');
  enterSignIn(t.saved_password);
  $('signin-username').value = username;
}

