// The case page's forms: reply, note, status change and sharing with a colleague. Every
// text is encrypted here before it is sent.

import * as hc from '../hotline-crypto.js';
import { $, fmt, Shown } from '../page.js';
import { openCase } from './case.js';
import { colleagueKeys, keyWords } from './keys.js';
import {
  api, clearMessages, errorText, setText, showError, showStatus, state, t,
} from './state.js';

const b64 = hc.toBase64;
const unb64 = hc.fromBase64;

/** No case open with a key that opened its report: nothing may be sealed or shared. */
function noCase() {
  if (state.current?.keys?.caseKey) return false;
  showError(t.error_case_key);
  return true;
}

async function submitCaseForm(form, work, doneText) {
  const status = form.querySelector('[data-slot="form-status"]');
  const button = form.querySelector('button[type=submit]');
  clearMessages();
  if (noCase()) return;
  button.disabled = true;
  status.textContent = t.saving;
  try {
    const answer = await work();
    const caseId = state.current.data.case_id;
    await openCase(caseId, { focus: false, keepStatus: true, data: answer?.case });
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

const pubOf = (h) => ({ x25519: unb64(h.x25519), mlkem: unb64(h.mlkem) });

async function directory({ fresh = false } = {}) {
  if (fresh || !state.directory) {
    state.directory = (await api('/handler/api/handlers/directory', { method: 'GET' })).handlers;
  }
  return state.directory;
}

/**
 * Seal and send a message or note for the case's next number; if someone else took that
 * number meanwhile (409 stale_sequence), reload the case and seal again for the new one.
 * @param {(current: {data: any, keys: any}) => {url: string, sealed: Uint8Array, seq: number}} make
 */
async function sendInOrder(make) {
  for (let attempt = 0; ; attempt++) {
    const { url, sealed, seq } = make(state.current);
    try {
      return await api(url, { json: { sealed_body: b64(sealed), seq } });
    } catch (error) {
      if (error.code !== 'stale_sequence' || attempt >= 2) throw error;
      await openCase(state.current.data.case_id, { focus: false, keepStatus: true });
    }
  }
}

/**
 * The case's notes key: the one granted to this handler, or, when the case has none yet, a
 * new one made here and granted to every current holder of the case (the server checks the
 * set). If a colleague made one first (409), reload the case and use theirs.
 * @returns {Promise<Uint8Array>}
 */
async function notesKey() {
  for (let attempt = 0; ; attempt++) {
    const { data, keys } = state.current;
    if (keys.notesKey) return keys.notesKey;
    if (data.has_notes_key) throw new Shown(t.error_notes_key_missing);
    const holding = new Set(data.holders.map((h) => h.handler_id));
    const holders = (await directory({ fresh: attempt > 0 })).filter((h) => holding.has(h.id));
    const prints = await colleagueKeys(holders);
    if (!holders.length || holders.some((h) => !prints.get(h.id))) throw new Shown(t.error_holders_keys);
    const key = hc.newKey();
    const grants = holders.map((h) => ({
      handler_id: h.id,
      sealed_key: b64(hc.makeGrant(key, pubOf(h), { kind: hc.NOTES_KEY, caseId: data.case_id, handlerId: h.id })),
    }));
    try {
      await api(caseUrl('notes-key'), { json: { grants } });
    } catch (error) {
      key.fill(0);
      if (!['notes_key_exists', 'holders_changed'].includes(error.code) || attempt >= 2) throw error;
      await openCase(data.case_id, { focus: false, keepStatus: true });
      continue;
    }
    keys.notesKey = key;
    data.has_notes_key = true;
    showStatus(t.notes_key_made);
    return key;
  }
}

export function initCaseForms() {
  $('reply-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = form.reply.value.trim();
    if (!text) {
      showError(t.error_empty);
      return;
    }
    submitCaseForm(form, async () => {
      const answer = await sendInOrder(({ data, keys }) => ({
        url: caseUrl('replies'),
        seq: data.next_message_seq,
        sealed: hc.sealMessage(
          keys.caseKey, text, data.case_id, hc.handlerAuthor(state.me.handler_id), data.next_message_seq,
        ),
      }));
      form.reset();
      return answer;
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
      await notesKey();
      const answer = await sendInOrder(({ data, keys }) => ({
        url: caseUrl('notes'),
        seq: data.next_note_seq,
        sealed: hc.sealNote(keys.notesKey, text, data.case_id, state.me.handler_id, data.next_note_seq),
      }));
      form.reset();
      return answer;
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
      const answer = await api(caseUrl('status'), { json: body });
      form.outcome.value = '';
      return answer;
    }, t.saved_status);
  });

  const dialog = $('grant-dialog');
  /** @type {Map<number, string | null>} */
  let grantPrints = new Map();
  $('open-grant').addEventListener('click', async () => {
    clearMessages();
    if (noCase()) return;
    setText($('grant-error'), '');
    try {
      // Read afresh: a colleague added or reactivated since sign-in is a choice too.
      await directory({ fresh: true });
    } catch (error) {
      showError(errorText(error));
      return;
    }
    // A holder who lacks the case's notes key (deactivated when it was made) is still a choice:
    // sharing with them grants the notes key alone.
    const { data: shown, keys: held } = state.current;
    const holding = new Set(shown.holders
      .filter((h) => h.released && !(shown.has_notes_key && held.notesKey && !h.has_notes_key))
      .map((h) => h.handler_id));
    const choices = state.directory.filter((h) => h.id !== state.me.handler_id && !holding.has(h.id));
    // Each colleague's keys are checked against the signed directory before any grant.
    grantPrints = await colleagueKeys(choices);
    const select = $('grant-target');
    select.replaceChildren(...choices.map((h) => {
      const option = document.createElement('option');
      option.value = String(h.id);
      const desk = t.desks?.[h.desk] || h.desk;
      const print = grantPrints.get(h.id);
      const key = print ? fmt(keyWords.colleague_key, { fp: print }) : keyWords.colleague_unsigned;
      option.textContent = `${h.display_name}${h.role ? ` — ${h.role}` : ''} (${desk}) · ${key}`;
      option.disabled = !print;
      return option;
    }));
    select.value = String(choices.find((h) => grantPrints.get(h.id))?.id ?? '');
    $('grant-submit').disabled = !choices.some((h) => grantPrints.get(h.id));
    if (!choices.length) setText($('grant-error'), t.no_colleagues);
    dialog.showModal();
    select.focus();
  });
  $('grant-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => $('open-grant').focus());
  $('grant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (noCase()) {
      dialog.close();
      return;
    }
    const id = Number($('grant-target').value);
    const target = state.directory?.find((h) => h.id === id);
    if (!target) {
      setText($('grant-error'), t.error_no_colleague);
      return;
    }
    if (!grantPrints.get(id)) {
      setText($('grant-error'), keyWords.error_colleague_keys);
      return;
    }
    const button = $('grant-submit');
    button.disabled = true;
    try {
      const { data, keys } = state.current;
      if (data.has_notes_key && !keys.notesKey) throw new Shown(t.error_notes_key_missing);
      const about = (kind) => ({ kind, caseId: data.case_id, handlerId: id });
      const body = {
        handler_id: id,
        sealed_keys: b64(hc.makeGrant(keys.caseKey, pubOf(target), about(hc.CASE_KEY))),
      };
      // The notes key goes with the case key, exactly when the case has one.
      if (keys.notesKey) body.sealed_notes_key = b64(hc.makeGrant(keys.notesKey, pubOf(target), about(hc.NOTES_KEY)));
      const answer = await api(caseUrl('grants'), { json: body });
      dialog.close();
      await openCase(state.current.data.case_id, { focus: false, keepStatus: true, data: answer?.case });
      $('grant-status').textContent = t.saved_grant;
    } catch (error) {
      const text = error.code === 'not_granted' ? t.error_excluded : errorText(error);
      setText($('grant-error'), text);
    } finally {
      button.disabled = false;
    }
  });
}

