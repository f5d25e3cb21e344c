// What both reporter pages share: their strings, the API caller, messages on the page,
// files sealed in the browser, and the receipt's Argon2id step.

import * as hc from '../hotline-crypto.js';
import { $, apiCaller, readJson, Shown } from '../page.js';

export const i18n = readJson('i18n');
export const b64 = hc.toBase64;
export const unb64 = hc.fromBase64;
export const api = apiCaller({ network: i18n.error_network, generic: i18n.error_generic });

const IMAGE_TYPES = ['image/jpeg', 'image/png'];

export function showMode() {
  const mode = $('mode');
  if (!mode) return;
  mode.dataset.mode = 'browser';
  mode.querySelector('.mode-server').hidden = true;
  mode.querySelector('.mode-browser').hidden = false;
}

/** @param {string} [text] */
export function progress(text) {
  const el = $('progress');
  if (!el) return;
  el.hidden = !text;
  el.textContent = text || '';
}

/** @param {string} text */
export function showError(text) {
  const el = $('form-error');
  el.textContent = text;
  el.hidden = false;
  el.scrollIntoView({ block: 'center' });
  el.focus?.();
}

export function clearError() {
  const el = $('form-error');
  if (el) { el.hidden = true; el.textContent = ''; }
}

/** @param {unknown} error */
export const errorText = (error) => (error instanceof Shown ? error.message : i18n.error_generic);

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

export function checkFiles(input, form) {
  const files = Array.from(input?.files || []).filter((f) => f.size > 0 || f.name);
  const maxFiles = Number(form.dataset.maxFiles || 5);
  const maxBytes = Number(form.dataset.maxFileBytes || 10 * 1024 * 1024);
  if (files.length > maxFiles) throw new Shown(i18n.error_too_many_files);
  if (files.some((f) => f.size > maxBytes)) throw new Shown(i18n.error_file_too_big);
  return files;
}

export async function sealFiles(files, caseKey, caseId) {
  const sealed = [];
  for (const file of files) {
    const { data, stripped } = await cleanFile(file);
    const fileKey = hc.newFileKey();
    const ciphertext = await hc.encryptFile(fileKey, data);
    const size = data.size ?? data.length;
    sealed.push({
      blob: new Blob([ciphertext], { type: 'application/octet-stream' }),
      describe: {
        sealed_file_key: b64(hc.sealFileKey(caseKey, fileKey, caseId)),
        // One fixed length for every description: a long name is shortened to fit.
        sealed_meta: b64(hc.sealAttachmentMeta(caseKey,
          hc.describeFile(file.name || 'file', file.type || '', size, stripped), caseId)),
      },
    });
  }
  return sealed;
}

export function withFiles(partName, payload, sealedFiles) {
  if (!sealedFiles.length) return { json: payload };
  const form = new FormData();
  form.append(partName, JSON.stringify({ ...payload, attachments: sealedFiles.map((f) => f.describe) }));
  sealedFiles.forEach((f, i) => form.append('file', f.blob, `file-${i}.bin`));
  return { form };
}

function argonParams(p) {
  return { ops: p.argon2.ops, memBytes: p.argon2.mem_bytes };
}

export function timedDerive(digits, params) {
  // A performance measure (no content) lets benchmarks read the Argon2id time in the browser.
  const start = performance.now();
  const derived = hc.deriveReceipt(digits, unb64(params.receipt_salt), argonParams(params));
  performance.measure('hotline-argon2id', { start, end: performance.now() });
  return derived;
}
