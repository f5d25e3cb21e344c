// The browser twin of crypto/pow.py.

import { ascii, bytesArg, frameAll, keyedHash, needSodium } from './primitives.js';

const POW_LABEL = 'hotline:pow:v2';
const SUBMISSION_LABEL = 'hotline:pow:submission:v1';
export const POW_NONCE_BYTES = 8;
const DIGEST_BYTES = 32;

/**
 * What the proof is bound to: the submission's sealed fields, in the order sent
 * (crypto/pow.py submission_digest).
 * @param {Uint8Array} challenge
 * @param {Uint8Array[]} fields
 * @returns {Uint8Array}
 */
export function submissionDigest(challenge, fields) {
  bytesArg(challenge, 'challenge', 32);
  return keyedHash(challenge, SUBMISSION_LABEL, fields);
}

/**
 * @param {Uint8Array} digest
 * @returns {number}
 */
export function leadingZeroBits(digest) {
  let count = 0;
  for (const byte of digest) {
    if (byte === 0) {
      count += 8;
      continue;
    }
    count += Math.clz32(byte) - 24;
    break;
  }
  return count;
}

/**
 * keyed_hash(challenge, label, digest, nonce) starts with `bits` zero bits.
 * @param {Uint8Array} challenge 32 bytes from the server
 * @param {Uint8Array} digest 32 bytes, submissionDigest of what is sent
 * @param {Uint8Array} nonce 8 bytes
 * @param {number} bits
 */
export function checkPow(challenge, digest, nonce, bits) {
  for (const x of [challenge, digest, nonce]) if (!(x instanceof Uint8Array)) return false;
  if (challenge.length !== 32 || digest.length !== DIGEST_BYTES) return false;
  if (nonce.length !== POW_NONCE_BYTES) return false;
  return leadingZeroBits(keyedHash(challenge, POW_LABEL, [digest, nonce])) >= bits;
}

/**
 * The smallest 8-byte big-endian counter that passes `checkPow` (as Python's solve).
 * Blocks the thread: run it in a Worker for high `bits`.
 * @param {Uint8Array} challenge
 * @param {Uint8Array} digest
 * @param {number} bits
 * @param {number} [limit=2**32]
 * @returns {Uint8Array}
 */
export function solvePow(challenge, digest, bits, limit = 2 ** 32) {
  const s = needSodium();
  bytesArg(challenge, 'challenge', 32);
  bytesArg(digest, 'digest', DIGEST_BYTES);
  // The hashed message is frame(label) | frame(digest) | frame(nonce); only the last 8 bytes
  // change.
  const message = frameAll([ascii(POW_LABEL), digest, new Uint8Array(POW_NONCE_BYTES)]);
  const view = new DataView(message.buffer);
  const at = message.length - POW_NONCE_BYTES;
  for (let counter = 0; counter < limit; counter++) {
    view.setUint32(at, Math.floor(counter / 2 ** 32), false);
    view.setUint32(at + 4, counter >>> 0, false);
    if (leadingZeroBits(s.crypto_generichash(32, message, challenge)) >= bits) {
      return message.slice(at);
    }
  }
  throw new RangeError('no solution within the limit');
}
