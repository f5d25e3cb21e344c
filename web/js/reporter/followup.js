// The follow-up page: the receipt is turned into its lookup tag and wrap key here; the case,
// its messages and files are decrypted here and replies are encrypted here.

import * as hc from '../hotline-crypto.js';
import {
  $, appendFields, emptyItem, messageItem, paint, saveFile, Shown,
} from '../page.js';
import { errorMessage, statusLabel } from '../vocabulary.js';
import {
  api, b64, checkFiles, clearError, errorText, i18n, progress, sealFiles, showError, showMode,
  timedDerive, unb64, withFiles,
} from './common.js';

function fill(root, slot, value) {
  const el = root.querySelector(`[data-slot="${slot}"]`);
  if (el) el.textContent = value;
  return el;
}

function renderReport(view, caseKey, data) {
  const report = hc.openReport(caseKey, unb64(data.sealed_report), data.case_id);
  appendFields(view.querySelector('[data-slot="report"]'), report.fields || {});
}

function renderMessages(view, caseKey, data) {
  const messages = view.querySelector('[data-slot="messages"]');
  messages.replaceChildren();
  for (const m of data.messages) {
    // Bound to this case, its author and its place in order: a moved row shows a placeholder.
    let text;
    try {
      text = hc.openMessage(caseKey, unb64(m.sealed_body), data.case_id, m.author_id, m.seq);
    } catch {
      text = `[${i18n.unreadable}]`;
    }
    const who = m.author === 'reporter' ? i18n.you : i18n.handler;
    messages.append(messageItem(`message ${m.author}`, `${who} · ${m.date}`, text));
  }
  if (!data.messages.length) messages.append(emptyItem(i18n.no_messages));
}

function renderFiles(view, state) {
  const { data, caseKey } = state;
  const files = view.querySelector('[data-slot="files"]');
  files.replaceChildren();
  for (const a of data.attachments) {
    // A description that does not open (sealed wrongly, or moved from another case) is a plain
    // "file" entry, as the no-JavaScript page shows it: never the end of the whole case.
    let meta;
    try {
      meta = hc.openAttachmentMeta(caseKey, unb64(a.sealed_meta), data.case_id);
      if (typeof meta.name !== 'string' || typeof meta.type !== 'string'
        || !Number.isSafeInteger(meta.size) || meta.size < 0) throw new Error('not a description');
    } catch {
      meta = { name: 'file', type: '', size: null, metadata_stripped: false };
    }
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = meta.name || 'file';
    button.addEventListener('click', () => downloadFile(state, a, meta));
    const info = document.createElement('span');
    info.className = 'meta';
    info.textContent = meta.size === null ? ''
      : ` (${(meta.size / 1024).toFixed(1)} KB${meta.metadata_stripped ? `, ${i18n.stripped}` : ''})`;
    li.append(button, info);
    files.append(li);
  }
  if (!data.attachments.length) files.append(emptyItem(i18n.no_files));
}

function renderCase(state) {
  const view = $('case-view');
  view.replaceChildren($('case-template').content.cloneNode(true));
  const { data, caseKey } = state;
  fill(view, 'case_id', data.case_id);
  fill(view, 'status', statusLabel(data.status));
  fill(view, 'received_on', data.received_on);
  fill(view, 'acknowledge_by', data.acknowledge_by);
  fill(view, 'feedback_by', data.feedback_by);
  renderReport(view, caseKey, data);
  renderMessages(view, caseKey, data);
  renderFiles(view, state);

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
      { json: { lookup_tag: b64(state.lookupTag) }, raw: true });
    const ciphertext = new Uint8Array(await response.arrayBuffer());
    const fileKey = hc.openFileKey(state.caseKey, unb64(attachment.sealed_file_key), state.data.case_id);
    const plain = await hc.decryptFile(fileKey, ciphertext);
    saveFile(plain, meta.name || 'file', meta.type || undefined);
  } catch (error) {
    showError(errorText(error));
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
    const caseId = state.data.case_id;
    const sealedFiles = await sealFiles(files, state.caseKey, caseId);
    // Sealed for the case's next message number; if another message took it meanwhile
    // (409 stale_sequence), read the case again and seal for the new number.
    let seq = state.data.next_message_seq;
    for (let attempt = 0; ; attempt++) {
      const payload = {
        lookup_tag: b64(state.lookupTag),
        sealed_body: b64(hc.sealMessage(state.caseKey, text, caseId, hc.REPORTER, seq)),
        seq,
      };
      try {
        await api('/api/v1/followup/messages', withFiles('message', payload, sealedFiles));
        break;
      } catch (error) {
        if (error.code !== 'stale_sequence' || attempt >= 2) throw error;
        const fresh = await api('/api/v1/followup', { json: { lookup_tag: b64(state.lookupTag) } });
        seq = fresh.next_message_seq;
      }
    }
    await openCase(state.lookupTag, state.wrapKey);
    const after = $('case-view').querySelector('[data-slot="reply-status"]');
    after.textContent = i18n.sent_message;
  } catch (error) {
    status.textContent = '';
    showError(errorText(error));
  } finally {
    button.disabled = false;
  }
}

async function openCase(lookupTag, wrapKey) {
  const data = await api('/api/v1/followup', { json: { lookup_tag: b64(lookupTag) } });
  const caseKey = hc.unwrapCaseKeyForReporter(unb64(data.reporter_wrapped_key), wrapKey);
  renderCase({ data, caseKey, lookupTag, wrapKey });
}

export function initFollowup() {
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
      showError(errorMessage('invalid_receipt')); // caught before any request is made
      return;
    }
    try {
      progress(i18n.opening);
      await hc.ready();
      const params = await api('/api/v1/receipt-params', { method: 'GET' });
      await paint();
      const derived = timedDerive(digits, params);
      await openCase(derived.lookupTag, derived.wrapKey);
      form.receipt.value = '';
      form.hidden = true;
      progress('');
    } catch (error) {
      progress('');
      showError(errorText(error));
    }
  });
}
