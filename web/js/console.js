// The handler console: sign-in, TOTP enrolment, recovery, the case list and the case page.
//
// The password never leaves this tab: Argon2id turns it into a login proof (sent) and an
// unwrapping key (kept). The private keys, the case keys and every plaintext live only in
// this module's memory: nothing is written to localStorage, sessionStorage, IndexedDB or
// cookies, so a reload means signing in again. The server receives ciphertext only.

import * as hc from './hotline-crypto.js';

const ATTACHMENT_META = 'hotline:attachment-meta:v1';
const FIELD_ORDER = ['what_happened', 'when', 'where', 'who', 'how_known'];
const t = JSON.parse(document.getElementById('console-i18n')?.textContent || '{}');

const $ = (id) => document.getElementById(id);
const b64 = hc.toBase64;
const unb64 = hc.fromBase64;
const paint = () => new Promise((resolve) => setTimeout(resolve, 30));
const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

/** A failure to show the handler, already in their language. */
class Shown extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Everything secret in this tab. Never serialised, never stored. */
const state = {
  me: null, // {handler_id, username, display_name, is_admin, desk, argon2}
  priv: null, // {x25519, mlkemSeed}
  current: null, // {data, keys}
  pages: [null], // cursors of the pages seen, for "first page"
  directory: null,
  pendingEnrolment: null, // {username, auth, unwrapKey, secret}
};

// ---------------------------------------------------------------------------------------
// Messages and views

function setText(el, text) {
  if (!el) return;
  el.textContent = text || '';
  el.hidden = !text;
}

function showError(text) {
  const el = $('console-error');
  setText(el, text);
  if (text) {
    el.scrollIntoView({ block: 'center' });
    el.focus();
  }
}

function showStatus(text) {
  setText($('console-status'), text);
}

function clearMessages() {
  showError('');
  showStatus('');
}

function errorText(error) {
  return error instanceof Shown ? error.message : t.error_generic;
}

function show(viewId, { focus = true } = {}) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== viewId;
  const title = $(viewId)?.querySelector('h1');
  if (focus && title) title.focus();
}

function progress(id, text) {
  setText($(id), text);
}

// ---------------------------------------------------------------------------------------
// The JSON API

const MESSAGES = {
  invalid_credentials: 'error_credentials',
  too_many_attempts: 'error_throttled',
  rate_limited: 'error_rate',
  not_granted: 'error_not_granted',
  conflict: 'error_conflict',
  not_signed_in: 'session_ended',
};

async function api(path, { json, method = 'POST', raw = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Shown(t.error_network, 'network');
  }
  if (response.ok && raw) return response;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('application/json') ? await response.json() : null;
  if (!response.ok) {
    const code = data?.error || `http_${response.status}`;
    if (code === 'not_signed_in' && state.priv) {
      forget();
      enterSignIn(t.session_ended);
    }
    const key = MESSAGES[code];
    let message = key ? t[key] : (data?.message || t.error_generic);
    if (code === 'invalid_input' && data?.field === 'outcome') message = t.error_outcome;
    throw new Shown(message, code);
  }
  return data;
}

// ---------------------------------------------------------------------------------------
// Signing in

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

function wipe(bytes) {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}

function forget() {
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
  }
}

async function signIn(form) {
  const username = form.username.value.trim().toLowerCase();
  const password = form.password.value;
  const code = cleanCode(form.code.value);
  if (!username || !password) throw new Shown(t.error_credentials);
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
    if (error.code === 'totp_required') throw new Shown(t.error_code_needed);
    throw error;
  }
  progress('signin-progress', t.unlocking);
  unlock(material, secrets.unwrapKey);
}

async function startEnrolment(username, secrets) {
  const enrolment = await api('/handler/api/login/enrol/start', {
    json: { username, auth: b64(secrets.auth) },
  });
  state.pendingEnrolment = {
    username, auth: secrets.auth, unwrapKey: secrets.unwrapKey, secret: enrolment.secret,
  };
  // Server-rendered SVG, shown as an image (CSP allows data: images, never inline markup).
  $('enrol-qr').src = `data:image/svg+xml;base64,${b64(hc.utf8Encode(enrolment.qr_svg))}`;
  $('enrol-secret').textContent = enrolment.secret.match(/.{1,4}/g).join(' ');
  $('signin-form').reset();
  progress('signin-progress', '');
  clearMessages();
  show('view-enrol');
}

async function finishEnrolment(form) {
  const pending = state.pendingEnrolment;
  if (!pending) {
    enterSignIn();
    return;
  }
  const code = cleanCode(form.code.value);
  if (!code) throw new Shown(t.error_code_needed);
  progress('enrol-progress', t.signing_in);
  const material = await api('/handler/api/login/enrol/finish', {
    json: { username: pending.username, auth: b64(pending.auth), secret: pending.secret, code },
  });
  state.pendingEnrolment = null;
  $('enrol-qr').removeAttribute('src');
  $('enrol-secret').textContent = '';
  unlock(material, pending.unwrapKey);
}

function enterSignIn(message) {
  show('view-signin');
  showStatus(message || '');
  $('signin-username').focus();
}

async function signOut() {
  try {
    await api('/handler/api/logout', { json: {} });
  } catch {
    // Signed out locally either way; the server session times out on its own.
  }
  forget();
  history.replaceState(null, '', '/console');
  enterSignIn(t.signed_out);
}

// ---------------------------------------------------------------------------------------
// New password: with the recovery key (signed out) or the current password (signed in)

function checkNewPassword(first, second) {
  if (first.length < 12) throw new Shown(t.error_password_short);
  if (first !== second) throw new Shown(t.error_passwords_differ);
}

async function recover(form) {
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

async function changePassword(form) {
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

// ---------------------------------------------------------------------------------------
// Routing inside the page: #/cases and #/case/<id>

function route() {
  if (!state.priv) return;
  clearMessages();
  if (state.me?.is_admin) {
    show('view-admin');
    return;
  }
  const hash = location.hash || '#/cases';
  const match = /^#\/case\/([A-Za-z0-9-]{1,32})$/.exec(hash);
  const failed = (error) => showError(errorText(error));
  if (match) {
    openCase(match[1]).catch(failed);
  } else if (hash === '#/password') {
    show('view-password');
  } else {
    state.pages = [null];
    loadList().catch(failed);
  }
}

// ---------------------------------------------------------------------------------------
// Case list

function listQuery(cursor) {
  const form = $('filters');
  const query = new URLSearchParams();
  for (const name of ['status', 'category', 'channel']) {
    if (form[name].value) query.set(name, form[name].value);
  }
  if (form.overdue.checked) query.set('overdue', '1');
  if (cursor) query.set('cursor', cursor);
  query.set('limit', '50');
  return query;
}

function cell(text, label, className) {
  const td = document.createElement('td');
  td.dataset.label = label;
  if (className) td.className = className;
  if (text instanceof Node) td.append(text);
  else td.textContent = text;
  return td;
}

function deadlineText(day, overdue) {
  if (!day) return t.closed_no_deadline;
  return overdue ? `${day} (${t.overdue})` : day;
}

async function loadList({ focus = true } = {}) {
  show('view-list', { focus });
  const cursor = state.pages[state.pages.length - 1];
  $('list-summary').textContent = t.loading;
  const data = await api(`/handler/api/cases?${listQuery(cursor)}`, { method: 'GET' });
  const labels = [...document.querySelectorAll('#case-table thead th')].map((th) => th.textContent);
  const rows = data.cases.map((c) => {
    const tr = document.createElement('tr');
    if (c.overdue) tr.className = 'overdue';
    const link = document.createElement('a');
    link.href = `#/case/${c.case_id}`;
    link.textContent = c.case_id;
    const flag = document.createElement('span');
    flag.className = c.overdue ? 'flag overdue' : 'flag';
    flag.textContent = c.overdue ? `⚠ ${t.overdue}` : (c.next_deadline ? t.on_time : '—');
    tr.append(
      cell(link, labels[0], 'case-id'),
      cell(t.categories?.[c.category] || c.category, labels[1]),
      cell(t.channel?.[c.channel] || c.channel, labels[2]),
      cell(t.status?.[c.status] || c.status, labels[3]),
      cell(c.received_on, labels[4]),
      cell(fmt(t.days, { days: c.days_open }), labels[5]),
      cell(c.next_deadline || t.closed_no_deadline, labels[6]),
      cell(flag, labels[7]),
    );
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 8;
    td.textContent = t.no_cases;
    tr.append(td);
    rows.push(tr);
  }
  $('case-rows').replaceChildren(...rows);
  const shown = (state.pages.length - 1) * 50 + data.cases.length;
  $('list-summary').textContent = fmt(t.page_of, { shown, total: data.total });
  const next = $('next-page');
  next.hidden = !data.next_cursor;
  next.dataset.cursor = data.next_cursor || '';
  $('first-page').hidden = state.pages.length <= 1;
}

// ---------------------------------------------------------------------------------------
// One case

function slot(name) {
  return $('case-meta').querySelector(`[data-slot="${name}"]`);
}

function item(className, metaText, bodyText) {
  const li = document.createElement('li');
  li.className = className;
  const meta = document.createElement('p');
  meta.className = 'meta';
  meta.textContent = metaText;
  const body = document.createElement('p');
  body.className = 'pre';
  body.textContent = bodyText;
  li.append(meta, body);
  return li;
}

function emptyItem(text) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = text;
  return li;
}

function openText(key, sealed, purpose) {
  try {
    return hc.openText(key, unb64(sealed), purpose);
  } catch {
    return `[${t.error_decrypt}]`;
  }
}

async function openCase(caseId, { focus = true, keepStatus = false } = {}) {
  show('view-case', { focus });
  $('case-id').textContent = caseId;
  if (!keepStatus) {
    for (const el of document.querySelectorAll('#view-case [data-slot="form-status"]')) el.textContent = '';
    $('grant-status').textContent = '';
  }
  const first = state.current?.data.case_id !== caseId;
  if (first) $('case-body').hidden = true;
  progress('case-progress', t.loading);
  let data;
  try {
    data = await api(`/handler/api/cases/${encodeURIComponent(caseId)}`, { method: 'GET' });
  } catch (error) {
    progress('case-progress', '');
    throw error;
  }
  progress('case-progress', t.decrypting);
  await hc.ready();
  let keys;
  try {
    keys = hc.openGrant(unb64(data.grant), state.priv);
  } catch {
    progress('case-progress', '');
    throw new Shown(t.error_decrypt);
  }
  if (state.current?.keys && state.current.data.case_id !== caseId) {
    wipe(state.current.keys.caseKey);
    wipe(state.current.keys.notesKey);
  }
  state.current = { data, keys };
  renderCase(data, keys);
  progress('case-progress', '');
  $('case-body').hidden = false;
}

function renderCase(data, keys) {
  slot('status').textContent = (t.status?.[data.status] || data.status)
    + (data.outcome ? ` — ${t.outcome?.[data.outcome] || data.outcome}` : '');
  slot('category').textContent = t.categories?.[data.category] || data.category;
  slot('channel').textContent = t.channel?.[data.channel] || data.channel;
  slot('received_on').textContent = data.received_on;
  slot('acknowledge_by').textContent = data.acknowledge_by;
  slot('acknowledged_on').textContent = data.acknowledged_on || '—';
  slot('feedback_by').textContent = data.feedback_by;
  const deadline = slot('next_deadline');
  deadline.textContent = deadlineText(data.next_deadline, data.overdue);
  deadline.className = data.overdue ? 'overdue' : '';
  const routing = [data.external_only ? t.routing_external : t.routing_internal];
  if (data.involves_executive) routing.push(t.routing_executive);
  slot('routing').textContent = routing.join('; ');

  // The report, decrypted here.
  const report = $('case-report');
  report.replaceChildren();
  let document_;
  try {
    document_ = hc.openDocument(keys.caseKey, unb64(data.sealed_report), hc.REPORT);
  } catch {
    document_ = { fields: {} };
    report.append(emptyItem(t.error_decrypt));
  }
  const fields = document_.fields || {};
  const names = [...FIELD_ORDER.filter((n) => n in fields), ...Object.keys(fields).filter((n) => !FIELD_ORDER.includes(n))];
  for (const name of names) {
    const dt = document.createElement('dt');
    dt.textContent = t.fields?.[name] || name;
    const dd = document.createElement('dd');
    dd.className = 'pre';
    dd.textContent = String(fields[name]);
    report.append(dt, dd);
  }

  const messages = $('case-messages');
  messages.replaceChildren(...data.messages.map((m) => item(
    `message ${m.author}`,
    `${m.author === 'reporter' ? t.reporter : (m.handler_name || t.handler)} · ${m.date}`,
    openText(keys.caseKey, m.sealed_body, hc.MESSAGE),
  )));
  if (!data.messages.length) messages.append(emptyItem(t.no_messages));

  const notes = $('case-notes');
  notes.replaceChildren(...data.notes.map((n) => item(
    'message note', `${n.handler_name || t.handler} · ${n.date}`,
    openText(keys.notesKey, n.sealed_body, hc.NOTE),
  )));
  if (!data.notes.length) notes.append(emptyItem(t.no_notes));

  renderFiles(data, keys);
  renderStatusForm(data);

  const holders = $('case-holders');
  holders.replaceChildren(...data.holders.map((h) => {
    const li = document.createElement('li');
    li.textContent = h.display_name + (h.released ? '' : ` (${t.held})`);
    return li;
  }));

  const trail = $('case-trail');
  const holderNames = Object.fromEntries(data.holders.map((h) => [String(h.handler_id), h.display_name]));
  trail.replaceChildren(...data.trail.map((e) => {
    const li = document.createElement('li');
    let detail = e.detail;
    if (e.action === 'status') {
      const [status, outcome] = detail.split(':');
      detail = (t.status?.[status] || status) + (outcome ? ` — ${t.outcome?.[outcome] || outcome}` : '');
    } else if (e.action === 'grant' && detail.startsWith('to:')) {
      detail = holderNames[detail.slice(3)] || detail;
    } else if (e.action === 'file') {
      detail = '';
    }
    li.textContent = `${e.date} · ${e.actor || t.system} · ${t.actions?.[e.action] || e.action}${detail ? ` · ${detail}` : ''}`;
    return li;
  }));
}

function renderFiles(data, keys) {
  const files = $('case-files');
  files.replaceChildren();
  for (const a of data.attachments) {
    let meta;
    try {
      meta = hc.openDocument(keys.caseKey, unb64(a.sealed_meta), ATTACHMENT_META);
    } catch {
      files.append(emptyItem(t.error_decrypt));
      continue;
    }
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = `${t.download}: ${meta.name || 'file'}`;
    button.addEventListener('click', () => downloadFile(data.case_id, a, meta).catch((error) => showError(errorText(error))));
    const info = document.createElement('span');
    info.className = 'meta';
    const notes = [fmt(t.bytes_kb, { kb: ((meta.size || 0) / 1024).toFixed(1) })];
    if (meta.metadata_stripped) notes.push(t.stripped);
    else if (a.author === 'reporter') notes.push(t.metadata_warning);
    info.textContent = ` (${notes.join(', ')}) · ${t[a.author] || a.author} · ${a.date}`;
    li.append(button, info);
    files.append(li);
  }
  if (!data.attachments.length) files.append(emptyItem(t.no_files));
}

async function downloadFile(caseId, attachment, meta) {
  const { keys } = state.current;
  const response = await api(
    `/handler/api/cases/${encodeURIComponent(caseId)}/attachments/${encodeURIComponent(attachment.id)}`,
    { method: 'GET', raw: true },
  );
  const ciphertext = new Uint8Array(await response.arrayBuffer());
  let plain;
  try {
    const fileKey = hc.openFileKey(keys.caseKey, unb64(attachment.sealed_file_key));
    plain = await hc.decryptFile(fileKey, ciphertext);
  } catch {
    throw new Shown(t.error_decrypt);
  }
  const url = URL.createObjectURL(new Blob([plain], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = meta.name || 'file';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderStatusForm(data) {
  const order = t.status_order || [];
  const select = $('status-select');
  const later = order.slice(order.indexOf(data.status) + 1);
  select.replaceChildren(...later.map((status) => {
    const option = document.createElement('option');
    option.value = status;
    option.textContent = t.status[status];
    return option;
  }));
  const closed = data.status === 'closed';
  $('status-form').hidden = closed || !later.length;
  setText($('status-closed'), closed ? `${t.status.closed} — ${t.outcome?.[data.outcome] || data.outcome || ''}` : '');
  $('outcome-field').hidden = select.value !== 'closed';
}

async function submitCaseForm(form, work, doneText) {
  const status = form.querySelector('[data-slot="form-status"]');
  const button = form.querySelector('button[type=submit]');
  clearMessages();
  button.disabled = true;
  status.textContent = t.saving;
  try {
    await work();
    const caseId = state.current.data.case_id;
    await openCase(caseId, { focus: false, keepStatus: true });
    status.textContent = doneText;
  } catch (error) {
    status.textContent = '';
    showError(errorText(error));
  } finally {
    button.disabled = false;
  }
}

function caseUrl(suffix) {
  return `/handler/api/cases/${encodeURIComponent(state.current.data.case_id)}/${suffix}`;
}

function initCaseForms() {
  $('reply-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = form.reply.value.trim();
    if (!text) {
      showError(t.error_empty);
      return;
    }
    submitCaseForm(form, async () => {
      const sealed = hc.sealText(state.current.keys.caseKey, text, hc.MESSAGE);
      await api(caseUrl('replies'), { json: { sealed_body: b64(sealed) } });
      form.reset();
    }, t.saved_reply);
  });

  $('note-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = form.note.value.trim();
    if (!text) {
      showError(t.error_empty);
      return;
    }
    submitCaseForm(form, async () => {
      const sealed = hc.sealText(state.current.keys.notesKey, text, hc.NOTE);
      await api(caseUrl('notes'), { json: { sealed_body: b64(sealed) } });
      form.reset();
    }, t.saved_note);
  });

  $('status-select').addEventListener('change', () => {
    $('outcome-field').hidden = $('status-select').value !== 'closed';
  });

  $('status-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const status = form.status.value;
    const outcome = form.outcome.value;
    if (status === 'closed' && !outcome) {
      showError(t.error_outcome);
      form.outcome.focus();
      return;
    }
    submitCaseForm(form, async () => {
      const body = { status };
      if (status === 'closed') body.outcome = outcome;
      await api(caseUrl('status'), { json: body });
      form.outcome.value = '';
    }, t.saved_status);
  });

  const dialog = $('grant-dialog');
  $('open-grant').addEventListener('click', async () => {
    clearMessages();
    setText($('grant-error'), '');
    try {
      if (!state.directory) {
        state.directory = (await api('/handler/api/handlers/directory', { method: 'GET' })).handlers;
      }
    } catch (error) {
      showError(errorText(error));
      return;
    }
    const holding = new Set(state.current.data.holders.filter((h) => h.released).map((h) => h.handler_id));
    const choices = state.directory.filter((h) => h.id !== state.me.handler_id && !holding.has(h.id));
    const select = $('grant-target');
    select.replaceChildren(...choices.map((h) => {
      const option = document.createElement('option');
      option.value = String(h.id);
      const desk = t.desks?.[h.desk] || h.desk;
      option.textContent = `${h.display_name}${h.role ? ` — ${h.role}` : ''} (${desk})`;
      return option;
    }));
    $('grant-submit').disabled = !choices.length;
    if (!choices.length) setText($('grant-error'), t.no_colleagues);
    dialog.showModal();
    select.focus();
  });
  $('grant-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => $('open-grant').focus());
  $('grant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = Number($('grant-target').value);
    const target = state.directory?.find((h) => h.id === id);
    if (!target) {
      setText($('grant-error'), t.error_no_colleague);
      return;
    }
    const button = $('grant-submit');
    button.disabled = true;
    try {
      const sealed = hc.makeGrant(state.current.keys, { x25519: unb64(target.x25519), mlkem: unb64(target.mlkem) });
      await api(caseUrl('grants'), { json: { handler_id: id, sealed_keys: b64(sealed) } });
      dialog.close();
      await openCase(state.current.data.case_id, { focus: false, keepStatus: true });
      $('grant-status').textContent = t.saved_grant;
    } catch (error) {
      const text = error.code === 'not_granted' ? t.error_excluded : errorText(error);
      setText($('grant-error'), text);
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------------------
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
  $('sign-out').addEventListener('click', signOut);
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
  // Every page load starts signed out of the keys, whatever the server session says.
  show('view-signin', { focus: false });
  hc.ready(); // start loading the WebAssembly while the handler types
}

init();
