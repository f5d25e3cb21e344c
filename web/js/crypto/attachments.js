// The browser twin of crypto/attachments.py.

import { DecryptionError } from './errors.js';
import { KEY_BYTES, checkKey, concatBytes, needSodium, openSealed, randomBytes, seal } from './primitives.js';
import { FILE_KEY, caseContext } from './sealing.js';

export const CHUNK_BYTES = 64 * 1024;
export const STREAM_HEADER_BYTES = 24;
export const STREAM_ABYTES = 17;

/** @returns {Uint8Array} */
export function newFileKey() {
  return randomBytes(KEY_BYTES);
}

/**
 * The file key under the case key, bound to its case.
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} fileKey
 * @param {string} caseId
 */
export function sealFileKey(caseKey, fileKey, caseId) {
  return seal(caseKey, fileKey, FILE_KEY, caseContext(caseId));
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} sealed
 * @param {string} caseId
 */
export function openFileKey(caseKey, sealed, caseId) {
  return openSealed(caseKey, sealed, FILE_KEY, caseContext(caseId));
}

/**
 * Encrypted size of `length` plaintext bytes: header, one block per full 64 KiB chunk, and
 * the FINAL block (the remainder, possibly empty).
 * @param {number} length
 */
export function encryptedFileSize(length) {
  return STREAM_HEADER_BYTES + Math.floor(length / CHUNK_BYTES) * (CHUNK_BYTES + STREAM_ABYTES)
    + (length % CHUNK_BYTES) + STREAM_ABYTES;
}

/**
 * @param {Uint8Array | Blob} source
 * @param {number} start
 * @param {number} end
 * @returns {Promise<Uint8Array>}
 */
async function readRange(source, start, end) {
  if (source instanceof Uint8Array) return source.subarray(start, end);
  return new Uint8Array(await source.slice(start, end).arrayBuffer());
}

/**
 * Encrypt a file with libsodium's secretstream: header (24) first, then push(64 KiB chunk)
 * with TAG_MESSAGE, the last block (the remainder, possibly empty) with TAG_FINAL.
 * A Blob is read one chunk at a time.
 * @param {Uint8Array} fileKey
 * @param {Uint8Array | Blob} data
 * @returns {Promise<Uint8Array>}
 */
export async function encryptFile(fileKey, data) {
  const s = needSodium();
  checkKey(fileKey);
  const isBlob = typeof Blob !== 'undefined' && data instanceof Blob;
  if (!(data instanceof Uint8Array) && !isBlob) throw new TypeError('data must be a Uint8Array or Blob');
  const length = data instanceof Uint8Array ? data.length : /** @type {Blob} */ (data).size;
  const out = new Uint8Array(encryptedFileSize(length));
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(fileKey);
  out.set(header, 0);
  let offset = header.length;
  const fullChunks = Math.floor(length / CHUNK_BYTES);
  for (let i = 0; i <= fullChunks; i++) {
    const start = i * CHUNK_BYTES;
    const chunk = await readRange(data, start, Math.min(length, start + CHUNK_BYTES));
    const tag = i === fullChunks
      ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    const block = s.crypto_secretstream_xchacha20poly1305_push(state, chunk, null, tag);
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/**
 * Decrypt what `encryptFile` (or Python's encrypt_stream) made; throws DecryptionError if
 * the stream is cut short, reordered, altered or has data after its FINAL block.
 * @param {Uint8Array} fileKey
 * @param {Uint8Array | Blob} encrypted
 * @returns {Promise<Uint8Array>}
 */
export async function decryptFile(fileKey, encrypted) {
  const s = needSodium();
  checkKey(fileKey);
  const bytes = encrypted instanceof Uint8Array
    ? encrypted
    : new Uint8Array(await /** @type {Blob} */ (encrypted).arrayBuffer());
  if (bytes.length < STREAM_HEADER_BYTES) throw new DecryptionError('file too short');
  let state;
  try {
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(
      bytes.subarray(0, STREAM_HEADER_BYTES), fileKey,
    );
  } catch {
    throw new DecryptionError('file header invalid');
  }
  const blockBytes = CHUNK_BYTES + STREAM_ABYTES;
  /** @type {Uint8Array[]} */
  const pieces = [];
  let finished = false;
  for (let offset = STREAM_HEADER_BYTES; offset < bytes.length; offset += blockBytes) {
    if (finished) throw new DecryptionError('data after the end of the file');
    let result;
    try {
      result = s.crypto_secretstream_xchacha20poly1305_pull(
        state, bytes.subarray(offset, offset + blockBytes), null,
      );
    } catch {
      result = false;
    }
    if (!result) throw new DecryptionError('file block did not open');
    finished = result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    pieces.push(result.message);
  }
  if (!finished) throw new DecryptionError('file is truncated');
  return concatBytes(...pieces);
}
