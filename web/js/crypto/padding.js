// The browser twin of crypto/padding.py.

import { DecryptionError } from './errors.js';
import { bytesArg } from './primitives.js';

export const MIN_BUCKET = 1024;
const PAD_HEADER = 4;

/**
 * The padded size for data of `length` bytes: the smallest power of two >= 1024 that
 * holds length + 4.
 * @param {number} length
 */
export function bucketSize(length) {
  const needed = length + PAD_HEADER;
  let size = MIN_BUCKET;
  while (size < needed) size *= 2;
  return size;
}

/**
 * 4-byte big-endian length | data | zero bytes up to the bucket.
 * @param {Uint8Array} data
 * @returns {Uint8Array}
 */
export function pad(data) {
  bytesArg(data, 'data');
  const out = new Uint8Array(bucketSize(data.length));
  new DataView(out.buffer).setUint32(0, data.length, false);
  out.set(data, PAD_HEADER);
  return out;
}

/**
 * @param {Uint8Array} padded
 * @returns {Uint8Array}
 */
export function unpad(padded) {
  bytesArg(padded, 'padded');
  if (padded.length < PAD_HEADER) throw new DecryptionError('padded data too short');
  const length = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0, false);
  if (length > padded.length - PAD_HEADER) throw new DecryptionError('padding length out of range');
  return padded.slice(PAD_HEADER, PAD_HEADER + length);
}
