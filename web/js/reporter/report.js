// The report form and the receipt: the report, its files and the case's keys are encrypted
// here; the server receives ciphertext, the receipt's lookup tag and per-handler grants.

import * as hc from '../hotline-crypto.js';
import { KeysRefused, verifyRecipients } from '../key-check.js';
import { $, paint, Shown } from '../page.js';
import { errorMessage, FIELD_ORDER } from '../vocabulary.js';
import {
  api, b64, checkFiles, clearError, errorText, i18n, progress, sealFiles, showError, showMode,
  timedDerive, unb64, withFiles,
} from './common.js';

async function submitReport(form) {
  const category = form.category.value;
  if (!category) throw new Shown(errorMessage('unknown_category'));
  const fields = {};
  for (const name of FIELD_ORDER) {
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
  // A POST body, never a query string: proxies log URLs, and these options say who the
  // report is about and whom the reporter distrusts.
  const routing = await api('/api/v1/routing', {
    json: {
      category, external_only: externalOnly, involves_executive: executive, excluded_handlers: excluded,
    },
  });
  progress(i18n.checking_keys);
  try {
    await verifyRecipients(routing.recipients);
  } catch (err) {
    if (err instanceof KeysRefused) throw new Shown(errorMessage('keys_not_verified'));
    throw err;
  }

  progress(i18n.deriving);
  await paint();
  const digits = hc.generateReceipt();
  const derived = timedDerive(digits, routing);

  progress(i18n.encrypting);
  await paint();
  // The case key only: no notes key is made here (the handlers make theirs), and the case
  // id is chosen here so the report, file keys and grants are bound to it before sending.
  const caseKey = hc.newKey();
  const caseId = hc.newCaseId();
  const document_ = { category, language: form.dataset.lang || 'en', fields };
  if (executive) document_.involves_executive = true;
  const payload = {
    case_id: caseId,
    category,
    language: form.dataset.lang || 'en',
    external_only: externalOnly,
    involves_executive: executive,
    excluded_handlers: excluded,
    sealed_report: b64(hc.sealReport(caseKey, document_, caseId)),
    lookup_tag: b64(derived.lookupTag),
    reporter_wrapped_key: b64(hc.wrapCaseKeyForReporter(caseKey, derived.wrapKey)),
    grants: routing.recipients.map((r) => ({
      handler_id: r.handler_id,
      sealed_keys: b64(hc.makeGrant(
        caseKey,
        { x25519: unb64(r.x25519), mlkem: unb64(r.mlkem) },
        { kind: hc.CASE_KEY, caseId, handlerId: r.handler_id },
      )),
    })),
  };
  if (files.length) progress(i18n.encrypting_files);
  const sealedFiles = await sealFiles(files, caseKey, caseId);

  progress(i18n.pow);
  await paint();
  const challenge = await api('/api/v1/pow', { method: 'GET' });
  // The proof is bound to this submission's sealed fields (crypto/pow.py), so it pays for no
  // other, and it travels in a header the server checks before reading the body.
  const text = new TextEncoder();
  const bound = [
    text.encode(payload.category), text.encode(payload.language), unb64(payload.sealed_report),
    unb64(payload.lookup_tag), unb64(payload.reporter_wrapped_key),
    ...payload.grants.map((g) => unb64(g.sealed_keys)),
    ...sealedFiles.flatMap((f) => [unb64(f.describe.sealed_file_key), unb64(f.describe.sealed_meta)]),
  ];
  const powChallenge = unb64(challenge.challenge);
  const digest = hc.submissionDigest(powChallenge, bound);
  const nonce = hc.solvePow(powChallenge, digest, challenge.bits);
  const powHeader = [challenge.challenge, b64(digest), b64(nonce)].join('.');

  progress(i18n.sending);
  const result = await api('/api/v1/reports', {
    ...withFiles('report', payload, sealedFiles), headers: { 'X-Hotline-Pow': powHeader },
  });
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

/** The copy and print buttons work only with JavaScript: they stay hidden until here. */
export function enhanceReceipt() {
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

export function initReportForm() {
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
      showError(errorText(error));
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

export function initReceiptPage() {
  if ($('receipt-view') && !$('report-form')) enhanceReceipt();
}
