// Reporter pages with JavaScript on: everything is encrypted here, in the browser.
// The server receives ciphertext, the receipt's lookup tag and per-handler grants; it never
// sees the report, the messages, the files or the receipt.

import * as hc from './hotline-crypto.js';

const ATTACHMENT_META = 'hotline:attachment-meta:v1';
const IMAGE_TYPES = ['image/jpeg', 'image/png'];
const i18n = JSON.parse(document.getElementById('i18n')?.textContent || '{}');

/** A failure to show the reporter, already in their language. */
class Shown extends Error {}

const $ = (id) => document.getElementById(id);
const b64 = hc.toBase64;
const unb64 = hc.fromBase64;
const paint = () => new Promise((resolve) => setTimeout(resolve, 30));

function showMode() {
  const mode = $('mode');
  if (!mode) return;
  mode.dataset.mode = 'browser';
  mode.querySelector('.mode-server').hidden = true;
  mode.querySelector('.mode-browser').hidden = false;
}

function progress(text) {
  const el = $('progress');
  if (!el) return;
  el.hidden = !text;
  el.textContent = text || '';
}

function showError(text) {
  const el = $('form-error');
  el.textContent = text;
  el.hidden = false;
  el.scrollIntoView({ block: 'center' });
  el.focus?.();
}

function clearError() {
  const el = $('form-error');
  if (el) { el.hidden = true; el.textContent = ''; }
}

const ERROR_CODES = {
  invalid_receipt: 'error_receipt',
  receipt_not_found: 'error_not_found',
  too_many_attempts: 'error_throttled',
  rate_limited: 'error_rate',
  unknown_category: 'error_category',
};

async function api(path, { json, form, method = 'POST' } = {}) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Shown(i18n.error_network);
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('application/json') ? await response.json() : response;
  if (!response.ok) {
    const key = ERROR_CODES[data?.error];
    const error = new Shown(key ? i18n[key] : (data?.message || i18n.error_generic));
    error.code = data?.error;
    throw error;
  }
  return data;
}

async function cleanFile(file) {
  // Re-encoding through a canvas keeps the pixels and drops EXIF (GPS, camera serials).
  if (!IMAGE_TYPES.includes(file.type) || typeof createImageBitmap !== 'function') {
    return { data: file, stripped: false };
  }
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close?.();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, file.type, 0.92));
    if (!blob) throw new Error('canvas');
    return { data: blob, stripped: true };
  } catch {
    throw new Shown(i18n.error_generic);
  }
}

function checkFiles(input, form) {
  const files = Array.from(input?.files || []).filter((f) => f.size > 0 || f.name);
  const maxFiles = Number(form.dataset.maxFiles || 5);
  const maxBytes = Number(form.dataset.maxFileBytes || 10 * 1024 * 1024);
  if (files.length > maxFiles) throw new Shown(i18n.error_too_many_files);
  if (files.some((f) => f.size > maxBytes)) throw new Shown(i18n.error_file_too_big);
  return files;
}

async function sealFiles(files, caseKey) {
  const sealed = [];
  for (const file of files) {
    const { data, stripped } = await cleanFile(file);
    const fileKey = hc.newFileKey();
    const ciphertext = await hc.encryptFile(fileKey, data);
    const size = data.size ?? data.length;
    sealed.push({
      blob: new Blob([ciphertext], { type: 'application/octet-stream' }),
      describe: {
        sealed_file_key: b64(hc.sealFileKey(caseKey, fileKey)),
        sealed_meta: b64(hc.sealDocument(caseKey, {
          name: file.name || 'file', type: file.type || '', size, metadata_stripped: stripped,
        }, ATTACHMENT_META)),
      },
    });
  }
  return sealed;
}

function withFiles(partName, payload, sealedFiles) {
  if (!sealedFiles.length) return { json: payload };
  const form = new FormData();
  form.append(partName, JSON.stringify({ ...payload, attachments: sealedFiles.map((f) => f.describe) }));
  sealedFiles.forEach((f, i) => form.append('file', f.blob, `file-${i}.bin`));
  return { form };
}

async function receiptParams() {
  return api('/api/v1/receipt-params', { method: 'GET' });
}

function argonParams(p) {
  return { ops: p.argon2.ops, memBytes: p.argon2.mem_bytes };
}

function timedDerive(digits, params) {
  // A performance measure (no content) lets benchmarks read the Argon2id time in the browser.
  const start = performance.now();
  const derived = hc.deriveReceipt(digits, unb64(params.receipt_salt), argonParams(params));
  performance.measure('hotline-argon2id', { start, end: performance.now() });
  return derived;
}

// ---------------------------------------------------------------------------------------
// Report form

async function submitReport(form) {
  const category = form.category.value;
  if (!category) throw new Shown(i18n.error_category);
  const fields = {};
  for (const name of ['what_happened', 'when', 'where', 'who', 'how_known']) {
    const value = form[name].value.trim();
    if (value) fields[name] = value;
  }
  if (!fields.what_happened) throw new Shown(i18n.error_what);
  const files = checkFiles($('files'), form);
  const externalOnly = form.querySelector('input[name=external_only]:checked')?.value === '1';
  const executive = Boolean(form.querySelector('input[name=involves_executive]')?.checked);
  const excluded = Array.from(form.querySelectorAll('input[name=exclude]:checked'))
    .map((el) => Number(el.value));

  progress(i18n.preparing);
  await hc.ready();
  const query = new URLSearchParams({
    category, external_only: externalOnly ? '1' : '0', exclude: excluded.join(','),
    executive: executive ? '1' : '0',
  });
  const routing = await api(`/api/v1/routing?${query}`, { method: 'GET' });

  progress(i18n.deriving);
  await paint();
  const digits = hc.generateReceipt();
  const derived = timedDerive(digits, routing);

  progress(i18n.encrypting);
  await paint();
  const keys = hc.generateCaseKeys();
  const document_ = { category, language: form.dataset.lang || 'en', fields };
  if (executive) document_.involves_executive = true;
  const payload = {
    category,
    language: form.dataset.lang || 'en',
    external_only: externalOnly,
    involves_executive: executive,
    excluded_handlers: excluded,
    sealed_report: b64(hc.sealDocument(keys.caseKey, document_, hc.REPORT)),
    lookup_tag: b64(derived.lookupTag),
    reporter_wrapped_key: b64(hc.wrapCaseKeyForReporter(keys.caseKey, derived.wrapKey)),
    grants: routing.recipients.map((r) => ({
      handler_id: r.handler_id,
      sealed_keys: b64(hc.makeGrant(keys, { x25519: unb64(r.x25519), mlkem: unb64(r.mlkem) })),
    })),
  };
  if (files.length) progress(i18n.encrypting_files);
  const sealedFiles = await sealFiles(files, keys.caseKey);

  progress(i18n.pow);
  await paint();
  const challenge = await api('/api/v1/pow', { method: 'GET' });
  const nonce = hc.solvePow(unb64(challenge.challenge), challenge.bits);
  payload.pow = { challenge: challenge.challenge, nonce: b64(nonce) };

  progress(i18n.sending);
  const result = await api('/api/v1/reports', withFiles('report', payload, sealedFiles));
  return { receipt: hc.formatReceipt(digits), result };
}

function showReceipt(receipt, result) {
  $('report-form').hidden = true;
  document.querySelector('h1').hidden = true;
  $('mode').hidden = true;
  const view = $('receipt-view');
  view.hidden = false;
  $('receipt-code').textContent = receipt;
  $('ack-date').textContent = result.acknowledge_by;
  enhanceReceipt();
  $('receipt-title').setAttribute('tabindex', '-1');
  $('receipt-title').focus();
}

function enhanceReceipt() {
  const copy = $('copy-receipt');
  const print = $('print-receipt');
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.onclick = async () => {
      await navigator.clipboard.writeText($('receipt-code').textContent.trim());
      $('copy-status').textContent = i18n.copied;
    };
  }
  if (print) {
    print.hidden = false;
    print.onclick = () => window.print();
  }
}

function initReportForm() {
  const form = $('report-form');
  if (!form) return;
  showMode();
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    clearError();
    const button = $('submit-report');
    button.disabled = true;
    try {
      let outcome;
      try {
        outcome = await submitReport(form);
      } catch (error) {
        // Someone joined or left a desk between preview and submit: encrypt again, once.
        if (error.code !== 'grant_mismatch' && error.code !== 'conflict') throw error;
        outcome = await submitReport(form);
      }
      progress('');
      form.reset();
      showReceipt(outcome.receipt, outcome.result);
    } catch (error) {
      progress('');
      showError(error instanceof Shown ? error.message : i18n.error_generic);
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------------------
// Follow-up

function fill(root, slot, value) {
  const el = root.querySelector(`[data-slot="${slot}"]`);
  if (el) el.textContent = value;
  return el;
}

function renderCase(state) {
  const view = $('case-view');
  view.replaceChildren($('case-template').content.cloneNode(true));
  const { data, caseKey } = state;
  fill(view, 'case_id', data.case_id);
  fill(view, 'status', i18n.status?.[data.status] || data.status);
  fill(view, 'received_on', data.received_on);
  fill(view, 'acknowledge_by', data.acknowledge_by);
  fill(view, 'feedback_by', data.feedback_by);

  const report = hc.openDocument(caseKey, unb64(data.sealed_report), hc.REPORT);
  const reportList = view.querySelector('[data-slot="report"]');
  for (const [name, text] of Object.entries(report.fields || {})) {
    const dt = document.createElement('dt');
    dt.textContent = i18n.fields?.[name] || name;
    const dd = document.createElement('dd');
    dd.className = 'pre';
    dd.textContent = text;
    reportList.append(dt, dd);
  }

  const messages = view.querySelector('[data-slot="messages"]');
  messages.replaceChildren();
  for (const m of data.messages) {
    const text = hc.openText(caseKey, unb64(m.sealed_body), hc.MESSAGE);
    const li = document.createElement('li');
    li.className = `message ${m.author}`;
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.textContent = `${m.author === 'reporter' ? i18n.you : i18n.handler} · ${m.date}`;
    const body = document.createElement('p');
    body.className = 'pre';
    body.textContent = text;
    li.append(meta, body);
    messages.append(li);
  }
  if (!data.messages.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = i18n.no_messages;
    messages.append(li);
  }

  const files = view.querySelector('[data-slot="files"]');
  files.replaceChildren();
  for (const a of data.attachments) {
    const meta = hc.openDocument(caseKey, unb64(a.sealed_meta), ATTACHMENT_META);
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = meta.name || 'file';
    button.addEventListener('click', () => downloadFile(state, a, meta));
    const info = document.createElement('span');
    info.className = 'meta';
    info.textContent = ` (${(meta.size / 1024).toFixed(1)} KB${meta.metadata_stripped ? `, ${i18n.stripped}` : ''})`;
    li.append(button, info);
    files.append(li);
  }
  if (!data.attachments.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = i18n.no_files;
    files.append(li);
  }

  const reply = view.querySelector('#reply-form');
  reply.querySelector('input[name=receipt]')?.remove();
  reply.addEventListener('submit', (event) => {
    event.preventDefault();
    sendReply(state, reply);
  });
  view.hidden = false;
}

async function downloadFile(state, attachment, meta) {
  try {
    const response = await api(`/api/v1/followup/attachments/${attachment.id}`,
      { json: { lookup_tag: b64(state.lookupTag) } });
    const ciphertext = new Uint8Array(await response.arrayBuffer());
    const fileKey = hc.openFileKey(state.caseKey, unb64(attachment.sealed_file_key));
    const plain = await hc.decryptFile(fileKey, ciphertext);
    const url = URL.createObjectURL(new Blob([plain], { type: meta.type || 'application/octet-stream' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = meta.name || 'file';
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showError(error instanceof Shown ? error.message : i18n.error_generic);
  }
}

async function sendReply(state, reply) {
  const status = reply.querySelector('[data-slot="reply-status"]');
  const button = reply.querySelector('button[type=submit]');
  clearError();
  try {
    const text = reply.querySelector('textarea[name=body]').value.trim();
    const files = checkFiles(reply.querySelector('input[type=file]'), $('followup-form'));
    if (!text && !files.length) throw new Shown(i18n.error_empty_reply);
    button.disabled = true;
    status.textContent = files.length ? i18n.encrypting_files : i18n.sending;
    const sealedFiles = await sealFiles(files, state.caseKey);
    const payload = {
      lookup_tag: b64(state.lookupTag),
      sealed_body: b64(hc.sealText(state.caseKey, text, hc.MESSAGE)),
    };
    await api('/api/v1/followup/messages', withFiles('message', payload, sealedFiles));
    await openCase(state.lookupTag, state.wrapKey);
    const after = $('case-view').querySelector('[data-slot="reply-status"]');
    after.textContent = i18n.sent_message;
  } catch (error) {
    status.textContent = '';
    showError(error instanceof Shown ? error.message : i18n.error_generic);
  } finally {
    button.disabled = false;
  }
}

async function openCase(lookupTag, wrapKey) {
  const data = await api('/api/v1/followup', { json: { lookup_tag: b64(lookupTag) } });
  const caseKey = hc.unwrapCaseKeyForReporter(unb64(data.reporter_wrapped_key), wrapKey);
  renderCase({ data, caseKey, lookupTag, wrapKey });
}

function initFollowup() {
  const form = $('followup-form');
  if (!form) return;
  showMode();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    let digits;
    try {
      digits = hc.parseReceipt(form.receipt.value);
    } catch {
      showError(i18n.error_receipt);  // caught before any request is made
      return;
    }
    try {
      progress(i18n.opening);
      await hc.ready();
      const params = await receiptParams();
      await paint();
      const derived = timedDerive(digits, params);
      await openCase(derived.lookupTag, derived.wrapKey);
      form.receipt.value = '';
      form.hidden = true;
      progress('');
    } catch (error) {
      progress('');
      showError(error instanceof Shown ? error.message : i18n.error_generic);
    }
  });
}

function initReceiptPage() {
  if ($('receipt-view') && !$('report-form')) enhanceReceipt();
}

initReportForm();
initFollowup();
initReceiptPage();
