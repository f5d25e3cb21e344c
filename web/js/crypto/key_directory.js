// The browser twin of crypto/key_directory.py: the root-signed, hash-chained directory of
// handler public keys. Before the reporter page seals a report to a handler, it checks the
// whole chain against the root public key the page was configured with, and that the keys
// it is about to use are exactly those of the handler's newest valid, active entry.

import { CryptoError } from './errors.js';
import { MLKEM_PUBLIC_BYTES, X25519_BYTES } from './handler_keys.js';
import { framedMessage, fromBase64, plainHash, utf8Encode } from './primitives.js';
import { fingerprint, SignatureError, verify } from './signing.js';

const ENTRY_LABEL = 'hotline:key-directory:entry:v1';
const SIGN_LABEL = 'hotline:key-directory:sign:v1';
const HASH_LABEL = 'hotline:key-directory:hash:v1';
export const GENESIS_HASH = new Uint8Array(32);

/** The directory does not verify: bad signature, broken chain, rollback or fork. */
export class DirectoryError extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** A handler's keys have no valid signed entry. */
export class KeyNotSigned extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'KeyNotSigned';
  }
}

/**
 * @typedef {{sequence: number, handlerId: number, desk: string, status: string,
 *   x25519: Uint8Array, mlkem: Uint8Array, validFrom: string, previousHash: Uint8Array,
 *   signature: Uint8Array}} Entry
 * @typedef {{sequence: number, hash: Uint8Array}} Head
 */

/** @param {number} n */
function u64(n) {
  if (!Number.isSafeInteger(n) || n < 1) throw new CryptoError('entry numbers start at 1');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}

/** @param {string} text */
function asciiBytes(text) {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new CryptoError('expected ASCII text');
  return utf8Encode(text);
}

/**
 * What the root signs (crypto.key_directory.EntryBody.message).
 * @param {Entry} e
 */
export function entryMessage(e) {
  return framedMessage(ENTRY_LABEL, [
    u64(e.sequence), u64(e.handlerId), asciiBytes(e.desk), asciiBytes(e.status),
    e.x25519, e.mlkem, asciiBytes(e.validFrom), e.previousHash,
  ]);
}

/** @param {Entry} e */
export function entryHash(e) {
  return plainHash(HASH_LABEL, [entryMessage(e), e.signature]);
}

/**
 * Parse one entry as served by /.well-known/hotline-keys; a stated hash must match.
 * @param {any} data
 * @returns {Entry}
 */
export function entryFromJson(data) {
  if (!data || typeof data !== 'object') throw new CryptoError('an entry is a JSON object');
  const intOf = (/** @type {unknown} */ v) => {
    if (!Number.isSafeInteger(v)) throw new CryptoError('malformed entry');
    return /** @type {number} */ (v);
  };
  /** @type {Entry} */
  const e = {
    sequence: intOf(data.sequence),
    handlerId: intOf(data.handler_id),
    desk: String(data.desk),
    status: String(data.status),
    x25519: fromBase64(String(data.x25519)),
    mlkem: fromBase64(String(data.mlkem)),
    validFrom: String(data.valid_from),
    previousHash: hexBytes(String(data.previous_hash)),
    signature: fromBase64(String(data.signature)),
  };
  if (!['active', 'revoked'].includes(e.status)) throw new CryptoError('entry status must be active or revoked');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(e.validFrom)) throw new CryptoError('entry valid_from is not a day');
  if (e.x25519.length !== X25519_BYTES || e.mlkem.length !== MLKEM_PUBLIC_BYTES) {
    throw new CryptoError('entry public keys have the wrong size');
  }
  if (e.previousHash.length !== 32) throw new CryptoError('entry previous hash has the wrong size');
  if (data.hash !== undefined && data.hash !== toHex(entryHash(e))) {
    throw new DirectoryError(`entry ${e.sequence}: stated hash does not match its content`);
  }
  return e;
}

/**
 * Check every entry from 1 in order against the root; return the head.
 * `everySignature: false` checks every hash link but only the newest entry's signature
 * (see crypto/key_directory.py verify_chain: that signature commits to the whole chain).
 * @param {Entry[]} entries
 * @param {import('./signing.js').SigningPublicKey} root
 * @param {Head} [expectHead]
 * @param {{everySignature?: boolean}} [options]
 * @returns {Head}
 */
export function verifyChain(entries, root, expectHead, { everySignature = true } = {}) {
  /** @type {Head} */
  let previous = { sequence: 0, hash: GENESIS_HASH };
  entries.forEach((e, i) => {
    const index = i + 1;
    if (e.sequence !== index) throw new DirectoryError(`entry ${index}: sequence ${e.sequence} is out of order`);
    if (!sameBytes(e.previousHash, previous.hash)) {
      throw new DirectoryError(`entry ${index}: the chain is broken (previous hash differs)`);
    }
    if (everySignature || index === entries.length) {
      try {
        verify(root, SIGN_LABEL, entryMessage(e), e.signature);
      } catch (err) {
        if (err instanceof SignatureError) {
          throw new DirectoryError(`entry ${index}: the root signature does not verify`);
        }
        throw err;
      }
    }
    const digest = entryHash(e);
    if (expectHead && index === expectHead.sequence && !sameBytes(digest, expectHead.hash)) {
      throw new DirectoryError(`fork: entry ${index} differs from the head saved earlier`);
    }
    previous = { sequence: index, hash: digest };
  });
  if (expectHead && previous.sequence < expectHead.sequence) {
    throw new DirectoryError(`rollback: the directory ends at entry ${previous.sequence}`);
  }
  return previous;
}

/**
 * Each handler's newest entry already valid on `today` ("YYYY-MM-DD", UTC).
 * @param {Entry[]} entries
 * @param {string} today
 * @returns {Map<number, Entry>}
 */
export function currentEntries(entries, today) {
  const latest = new Map();
  for (const e of entries) if (e.validFrom <= today) latest.set(e.handlerId, e);
  return latest;
}

/**
 * The entry vouching for exactly these keys of this handler on this desk; else KeyNotSigned.
 * @param {Map<number, Entry>} current
 * @param {number} handlerId
 * @param {string} desk
 * @param {{x25519: Uint8Array, mlkem: Uint8Array}} pub
 * @returns {Entry}
 */
export function checkKeys(current, handlerId, desk, pub) {
  const e = current.get(handlerId);
  if (!e) throw new KeyNotSigned(`handler ${handlerId} has no signed key entry`);
  if (e.status !== 'active') throw new KeyNotSigned(`handler ${handlerId}'s keys were revoked`);
  if (e.desk !== desk) throw new KeyNotSigned(`handler ${handlerId} is signed for another desk`);
  if (!sameBytes(e.x25519, pub.x25519) || !sameBytes(e.mlkem, pub.mlkem)) {
    throw new KeyNotSigned(`handler ${handlerId}'s keys differ from their signed entry ${e.sequence}`);
  }
  return e;
}

/**
 * Fingerprint of a handler's two public keys.
 * @param {{x25519: Uint8Array, mlkem: Uint8Array}} pub
 */
export function keyFingerprint(pub) {
  return fingerprint(pub.x25519, pub.mlkem);
}

/** Today in UTC, as the server counts days. */
export function todayUtc() {
  return new Date().toISOString().slice(0, 10);
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** @param {string} hex */
function hexBytes(hex) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new CryptoError('not lowercase hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
