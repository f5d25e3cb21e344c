// One case: its key opened from the grant here, the report, messages, notes and files
// decrypted here, and the status form filled for the case's state.

import * as hc from '../hotline-crypto.js';
import {
  $, appendFields, emptyItem, fmt, messageItem, saveFile, Shown,
} from '../page.js';
import { channelLabel, outcomeLabel, STATUS_ORDER, statusLabel } from '../vocabulary.js';
import {
  api, errorText, progress, setText, show, showError, state, t, wipe,
} from './state.js';

const unb64 = hc.fromBase64;

function deadlineText(day, overdue) {
  if (!day) return t.closed_no_deadline;
  return overdue ? `${day} (${t.overdue})` : day;
}

function slot(name) {
  return $('case-meta').querySelector(`[data-slot="${name}"]`);
}

function openText(key, sealed, purpose) {
  try {
    return hc.openText(key, unb64(sealed), purpose);
  } catch {
    return `[${t.error_decrypt}]`;
  }
}

export async function openCase(caseId, { focus = true, keepStatus = false } = {}) {
  show('view-case', { focus });
  $('case-id').textContent = caseId;
  if (!keepStatus) {
    for (const el of document.querySelectorAll('#view-case [data-slot="form-status"]')) el.textContent = '';
    $('grant-status').textContent = '';
  }
  const first = state.current?.data.case_id !== caseId;
  if (first) $('case-body').hidden = true;
  progress('case-progress', t.loading);
  const epoch = state.epoch;
  let data;
  try {
    data = await api(`/handler/api/cases/${encodeURIComponent(caseId)}`, { method: 'GET' });
  } catch (error) {
    progress('case-progress', '');
    throw error;
  }
  progress('case-progress', t.decrypting);
  await hc.ready();
  if (epoch !== state.epoch) return; // forgotten meanwhile: show and open nothing
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
  slot('status').textContent = (statusLabel(data.status))
    + (data.outcome ? ` — ${outcomeLabel(data.outcome)}` : '');
  slot('category').textContent = t.categories?.[data.category] || data.category;
  slot('channel').textContent = channelLabel(data.channel);
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
  appendFields(report, document_.fields || {});

  const messages = $('case-messages');
  messages.replaceChildren(...data.messages.map((m) => messageItem(
    `message ${m.author}`,
    `${m.author === 'reporter' ? t.reporter : (m.handler_name || t.handler)} · ${m.date}`,
    openText(keys.caseKey, m.sealed_body, hc.MESSAGE),
  )));
  if (!data.messages.length) messages.append(emptyItem(t.no_messages));

  const notes = $('case-notes');
  notes.replaceChildren(...data.notes.map((n) => messageItem(
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
      detail = (statusLabel(status)) + (outcome ? ` — ${outcomeLabel(outcome)}` : '');
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
      meta = hc.openDocument(keys.caseKey, unb64(a.sealed_meta), hc.ATTACHMENT_META);
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
  saveFile(plain, meta.name || 'file');
}

function renderStatusForm(data) {
  const order = STATUS_ORDER;
  const select = $('status-select');
  const later = order.slice(order.indexOf(data.status) + 1);
  select.replaceChildren(...later.map((status) => {
    const option = document.createElement('option');
    option.value = status;
    option.textContent = statusLabel(status);
    return option;
  }));
  const closed = data.status === 'closed';
  $('status-form').hidden = closed || !later.length;
  setText($('status-closed'), closed ? `${statusLabel('closed')} — ${outcomeLabel(data.outcome) || ''}` : '');
  $('outcome-field').hidden = select.value !== 'closed';
}
