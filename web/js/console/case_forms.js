// The case page's forms: reply, note, status change and sharing with a colleague. Every
// text is encrypted here before it is sent.

import * as hc from '../hotline-crypto.js';
import { $, fmt } from '../page.js';
import { openCase } from './case.js';
import { colleagueKeys, keyWords } from './keys.js';
import {
  api, clearMessages, errorText, setText, showError, state, t,
} from './state.js';

const b64 = hc.toBase64;
const unb64 = hc.fromBase64;

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
  /** @type {Map<number, string | null>} */
  let grantPrints = new Map();
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

