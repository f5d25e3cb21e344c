// The browser twin of crypto/attachments.py.
//
// Files are padded before they are encrypted: zero bytes up to the file's bucket
// (`bucketSize`), then the file's length as an 8-byte big-endian trailer. The padded bytes
// go in 64 KiB secretstream blocks, the first tagged PUSH (a padded file; files of earlier
// releases begin with MESSAGE or FINAL and are read unpadded), the last FINAL.

import { DecryptionError } from './errors.js';
import { KEY_BYTES, checkKey, concatBytes, needSodium, openSealed, randomBytes, seal, utf8Encode } from './primitives.js';
import { FILE_KEY, caseContext, serialiseDocument } from './sealing.js';

export const CHUNK_BYTES = 64 * 1024;
export const STREAM_HEADER_BYTES = 24;
export const STREAM_ABYTES = 17;
export const MIN_FILE_BUCKET = 64 * 1024;
export const FILE_TRAILER_BYTES = 8;
export const DESCRIPTION_MAX_BYTES = 1024 - 4;
const NAME_MAX_CHARS = 200;
const TYPE_MAX_CHARS = 100;

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
 * The padded size of a file of `length` bytes (the trailer comes on top): 64 KiB up to
 * 64 KiB, then 4, 5, 6 or 7 quarters of the power of two at or below the length.
 * @param {number} length
 */
export function fileBucketSize(length) {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('a length is a non-negative integer');
  if (length <= MIN_FILE_BUCKET) return MIN_FILE_BUCKET;
  let power = 1;
  while (power * 2 <= length) power *= 2;
  const step = power / 4;
  return Math.ceil(length / step) * step;
}

/**
 * Ciphertext bytes of a bare stream over `plainBytes`: header, one block per full 64 KiB,
 * and the FINAL block with the remainder (possibly empty).
 * @param {number} plainBytes
 */
function streamSize(plainBytes) {
  return STREAM_HEADER_BYTES + plainBytes + (Math.floor(plainBytes / CHUNK_BYTES) + 1) * STREAM_ABYTES;
}

/**
 * Encrypted size of a padded file of `length` bytes: a function of its bucket alone.
 * @param {number} length
 */
export function encryptedFileSize(length) {
  return streamSize(fileBucketSize(length) + FILE_TRAILER_BYTES);
}

/**
 * A file's description, its name shortened (by code points) until the document fits one
 * 1 KiB padding bucket, so every sealed description has the same length.
 * @param {string} name
 * @param {string} type
 * @param {number} size
 * @param {boolean} metadataStripped
 */
export function describeFile(name, type, size, metadataStripped) {
  let chars = Array.from(name).slice(0, NAME_MAX_CHARS);
  const doc = (/** @type {string[]} */ n) => ({
    name: n.join(''), type: Array.from(type).slice(0, TYPE_MAX_CHARS).join(''), size, metadata_stripped: metadataStripped,
  });
  const bytes = (/** @type {string[]} */ n) => utf8Encode(serialiseDocument(doc(n))).length;
  while (chars.length && bytes(chars) > DESCRIPTION_MAX_BYTES) chars = chars.slice(0, -1);
  if (bytes(chars) > DESCRIPTION_MAX_BYTES) throw new RangeError('file description does not fit');
  return doc(chars);
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
 * Encrypt a file, padded, with libsodium's secretstream: header (24) first, then
 * push(64 KiB of the padded bytes) tagged PUSH for the first block, MESSAGE after, FINAL
 * for the last (the remainder, never empty). A Blob is read one chunk at a time.
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
  const bucket = fileBucketSize(length);
  const total = bucket + FILE_TRAILER_BYTES;
  const trailer = new Uint8Array(FILE_TRAILER_BYTES);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, Math.floor(length / 2 ** 32), false);
  view.setUint32(4, length >>> 0, false);
  const out = new Uint8Array(encryptedFileSize(length));
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(fileKey);
  out.set(header, 0);
  let offset = header.length;
  const blocks = Math.floor(total / CHUNK_BYTES) + 1;
  for (let i = 0; i < blocks; i++) {
    const start = i * CHUNK_BYTES;
    const end = Math.min(total, start + CHUNK_BYTES);
    const block = new Uint8Array(end - start);
    if (start < length) block.set(await readRange(data, start, Math.min(length, end)), 0);
    for (let j = Math.max(start, bucket); j < end; j++) block[j - start] = trailer[j - bucket];
    const tag = i === blocks - 1
      ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : i === 0
        ? s.crypto_secretstream_xchacha20poly1305_TAG_PUSH
        : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    const sealed = s.crypto_secretstream_xchacha20poly1305_push(state, block, null, tag);
    out.set(sealed, offset);
    offset += sealed.length;
  }
  return out;
}

/**
 * Decrypt what `encryptFile` (or Python's encrypt_file or, unpadded, encrypt_stream) made;
 * throws DecryptionError if the stream is cut short, reordered, altered, has data after its
 * FINAL block or wrong padding. Nothing is returned before the whole file has been checked.
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
  let padded = false;
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
    const first = offset === STREAM_HEADER_BYTES;
    if (first) padded = result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_PUSH;
    else if (result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_PUSH
      || (padded && result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_REKEY)) {
      throw new DecryptionError('file block out of place');
    }
    finished = result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    pieces.push(result.message);
  }
  if (!finished) throw new DecryptionError('file is truncated');
  const plain = concatBytes(...pieces);
  if (!padded) return plain;
  return unpadFile(plain);
}

/**
 * The file's own bytes from its padded plaintext: the trailer's length, zeros after it.
 * @param {Uint8Array} plain
 */
function unpadFile(plain) {
  if (plain.length < MIN_FILE_BUCKET + FILE_TRAILER_BYTES) throw new DecryptionError('padded file too short');
  const bodyEnd = plain.length - FILE_TRAILER_BYTES;
  const view = new DataView(plain.buffer, plain.byteOffset + bodyEnd, FILE_TRAILER_BYTES);
  const length = view.getUint32(0, false) * 2 ** 32 + view.getUint32(4, false);
  if (length > bodyEnd) throw new DecryptionError('file padding invalid');
  for (let i = length; i < bodyEnd; i++) {
    if (plain[i] !== 0) throw new DecryptionError('file padding invalid');
  }
  return plain.subarray(0, length);
}
