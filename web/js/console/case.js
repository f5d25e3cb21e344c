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

/** One message or note: a placeholder when it does not open (moved, relabelled, reordered). */
function opened(open) {
  try {
    return open();
  } catch {
    return `[${t.error_decrypt}]`;
  }
}

/** What this handler's grants are bound to on this case. */
function grantFor(kind, caseId) {
  return { kind, caseId, handlerId: state.me.handler_id };
}

/** Forget the case shown (its keys wiped) and hide its content and forms. */
function dropCurrent() {
  if (state.current?.keys) {
    wipe(state.current.keys.caseKey);
    wipe(state.current.keys.notesKey);
  }
  state.current = null;
  $('case-body').hidden = true;
}

/**
 * Show a case: fetched (an audited view), or `data` as an action's answer gave it (the
 * action's own audit entry covers it, so showing it records no second view).
 */
export async function openCase(caseId, { focus = true, keepStatus = false, data: given = null } = {}) {
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
  let data = given;
  try {
    data ??= await api(`/handler/api/cases/${encodeURIComponent(caseId)}`, { method: 'GET' });
  } catch (error) {
    progress('case-progress', '');
    throw error;
  }
  progress('case-progress', t.decrypting);
  await hc.ready();
  if (epoch !== state.epoch) return; // forgotten meanwhile: show and open nothing
  // The granted key must be this handler's for this case and must open this case's report;
  // otherwise the case stops here: no placeholder, and the key is used for nothing else.
  let caseKey = null;
  let report;
  try {
    if (data.case_id !== caseId) throw new Error('another case');
    caseKey = hc.openGrant(unb64(data.grant), state.priv, grantFor(hc.CASE_KEY, caseId));
    report = hc.openReport(caseKey, unb64(data.sealed_report), caseId);
  } catch {
    wipe(caseKey);
    dropCurrent();
    progress('case-progress', '');
    throw new Shown(t.error_case_key);
  }
  let notesKey = null;
  if (data.notes_grant) {
    try {
      notesKey = hc.openGrant(unb64(data.notes_grant), state.priv, grantFor(hc.NOTES_KEY, caseId));
    } catch {
      notesKey = null; // the notes show placeholders and no note can be written
    }
  }
  if (state.current?.keys) {
    wipe(state.current.keys.caseKey);
    wipe(state.current.keys.notesKey);
  }
  const keys = { caseKey, notesKey };
  state.current = { data, keys };
  renderCase(data, keys, report);
  progress('case-progress', '');
  $('case-body').hidden = false;
}

function renderCase(data, keys, report_) {
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

  // The report, decrypted here (openCase already checked that it opens).
  const report = $('case-report');
  report.replaceChildren();
  appendFields(report, report_.fields || {});

  // Each message and note is bound to this case, its author and its place in order.
  const messages = $('case-messages');
  messages.replaceChildren(...data.messages.map((m) => messageItem(
    `message ${m.author}`,
    `${m.author === 'reporter' ? t.reporter : (m.handler_name || t.handler)} · ${m.date}`,
    opened(() => hc.openMessage(keys.caseKey, unb64(m.sealed_body), data.case_id, m.author_id, m.seq)),
  )));
  if (!data.messages.length) messages.append(emptyItem(t.no_messages));

  const notes = $('case-notes');
  notes.replaceChildren(...data.notes.map((n) => messageItem(
    'message note', `${n.handler_name || t.handler} · ${n.date}`,
    opened(() => hc.openNote(keys.notesKey, unb64(n.sealed_body), data.case_id, n.handler_id, n.seq)),
  )));
  if (!data.notes.length) notes.append(emptyItem(t.no_notes));
  setText($('notes-key-status'), data.has_notes_key && !keys.notesKey ? t.error_notes_key_missing : '');

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
      meta = hc.openAttachmentMeta(keys.caseKey, unb64(a.sealed_meta), data.case_id);
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
    const fileKey = hc.openFileKey(keys.caseKey, unb64(attachment.sealed_file_key), caseId);
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
