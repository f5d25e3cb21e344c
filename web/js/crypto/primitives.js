// The browser twin of crypto/primitives.py.

import sodium from 'libsodium-wrappers-sumo';

import { CryptoError, DecryptionError } from './errors.js';

let isReady = false;

/** Load libsodium's WebAssembly. Resolves once; later calls are free. */
export async function ready() {
  if (!isReady) {
    await sodium.ready;
    isReady = true;
  }
}

export function needSodium() {
  if (!isReady) throw new Error('hotline-crypto: call `await ready()` first');
  return sodium;
}

// ---------------------------------------------------------------------------------------
// Bytes, text and base64

const encoder = new TextEncoder();
// fatal: invalid UTF-8 throws (as Python's strict decode); ignoreBOM: a leading U+FEFF is
// kept as text, as Python's "utf-8" codec keeps it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * UTF-8 bytes of a string. A lone surrogate throws (Python's encode raises too).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8Encode(text) {
  if (typeof text !== 'string') throw new TypeError('expected a string');
  if (!isWellFormed(text)) throw new TypeError('string contains a lone surrogate');
  return encoder.encode(text);
}

/**
 * Text from UTF-8 bytes; invalid UTF-8 throws a TypeError.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function utf8Decode(bytes) {
  return decoder.decode(bytes);
}

/** @param {string} text */
export function isWellFormed(text) {
  // String.prototype.isWellFormed is in Node 20 and current browsers; the regex is a fallback.
  const s = /** @type {any} */ (text);
  if (typeof s.isWellFormed === 'function') return s.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * ASCII bytes of a label, purpose or receipt (Python's str.encode("ascii")).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function ascii(text) {
  if (typeof text !== 'string') throw new TypeError('expected a string');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new TypeError('expected ASCII text');
    out[i] = code;
  }
  return out;
}

/**
 * Concatenate byte arrays.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concatBytes(...parts) {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Constant-time comparison of two byte arrays (length is not secret).
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Standard base64 with padding.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, /** @type {any} */ (bytes.subarray(i, i + step)));
  }
  return btoa(binary);
}

/**
 * Standard base64 with padding; anything else (URL-safe letters, missing padding,
 * whitespace) throws a TypeError.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TypeError('not standard padded base64');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Cryptographically random bytes (crypto.getRandomValues).
 * @param {number} [size=32]
 * @returns {Uint8Array}
 */
export function randomBytes(size = KEY_BYTES) {
  const out = new Uint8Array(size);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < size; i += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  }
  return out;
}

/**
 * @param {unknown} value
 * @param {string} name
 * @param {number} [length]
 * @returns {Uint8Array}
 */
export function bytesArg(value, name, length) {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes`);
  }
  return value;
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const SALT_BYTES = 16;
export const ARGON2_OPS_MIN = 1;
export const ARGON2_MEM_MIN = 8192;

/**
 * Argon2id cost: production defaults come from the server's config.
 * @typedef {{ops: number, memBytes: number}} Argon2Params
 */

// Argon2id floors the browser holds whatever the server sends (issue 11 item 11). JS only:
// the server checks the same floors on its settings at start (hotline/config.py).
//
// The floors are fixed when the bundle is built, never read from the server or the page:
// every build replaces HOTLINE_ARGON2_FLOORS with a constant (esbuild --define, in
// web/package.json). The page bundles (web/static/build) get the real floors, receipts
// 3 passes / 64 MiB and passwords 3 passes / 256 MiB; only the test bundles (web/build/test,
// for the Node tests and the browser tests' server) get libsodium's minimum, so that tests
// can use cheap parameters. A bundle built without the constant fails when it loads
// (tests/unit/test_argon2_floors_bundle.py checks the served bundles hold no reference to it).
// A server that sends less than the floor gets no derivation at all.

/* global HOTLINE_ARGON2_FLOORS */
/** @type {Readonly<{ops: number, memBytes: number}>} */
export const RECEIPT_FLOOR = Object.freeze({ ...HOTLINE_ARGON2_FLOORS.receipt });
/** @type {Readonly<{ops: number, memBytes: number}>} */
export const PASSWORD_FLOOR = Object.freeze({ ...HOTLINE_ARGON2_FLOORS.password });

/** The server asked for Argon2id parameters below the floor this bundle was built with. */
export class WeakParameters extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'WeakParameters';
  }
}

/**
 * @param {{ops: number, memBytes: number}} params
 * @param {{ops: number, memBytes: number}} floor
 * @param {string} what
 */
export function requireFloor(params, floor, what) {
  if (!params || !(params.ops >= floor.ops) || !(params.memBytes >= floor.memBytes)) {
    throw new WeakParameters(
      `${what} Argon2id parameters below the floor (${floor.ops} passes, ${floor.memBytes} bytes)`,
    );
  }
}

/** @param {Argon2Params} params */
function checkParams(params) {
  if (!params || !Number.isInteger(params.ops) || !Number.isInteger(params.memBytes)) {
    throw new TypeError('Argon2id params must be {ops, memBytes} integers');
  }
  if (params.ops < ARGON2_OPS_MIN) throw new RangeError("Argon2id ops below libsodium's minimum");
  if (params.memBytes < ARGON2_MEM_MIN) {
    throw new RangeError("Argon2id memory below libsodium's minimum");
  }
}

/**
 * Argon2id v1.3 (libsodium crypto_pwhash, ALG_ARGON2ID13).
 * @param {Uint8Array} secret
 * @param {Uint8Array} salt 16 bytes
 * @param {Argon2Params} params
 * @param {number} [size=32]
 * @returns {Uint8Array}
 */
export function argon2id(secret, salt, params, size = KEY_BYTES) {
  const s = needSodium();
  bytesArg(secret, 'secret');
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new RangeError('Argon2id salt must be 16 bytes');
  }
  checkParams(params);
  return s.crypto_pwhash(
    size, secret, salt, params.ops, params.memBytes, s.crypto_pwhash_ALG_ARGON2ID13,
  );
}

/**
 * A password as Argon2id sees it: NFC-normalised, then UTF-8.
 * @param {string} password
 * @returns {Uint8Array}
 */
export function normalisePassword(password) {
  return utf8Encode(password.normalize('NFC'));
}

/**
 * frame(x) = 4-byte big-endian length of x, then x.
 * @param {Uint8Array[]} items
 * @returns {Uint8Array}
 */
export function frameAll(items) {
  let length = 0;
  for (const item of items) length += 4 + item.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const item of items) {
    view.setUint32(offset, item.length, false);
    out.set(item, offset + 4);
    offset += 4 + item.length;
  }
  return out;
}

/**
 * Keyed BLAKE2b over a context label and length-framed parts (no concatenation ambiguity):
 * message = frame(label as ASCII) | frame(part)...
 * @param {Uint8Array} key 16 to 64 bytes
 * @param {string} label ASCII
 * @param {Uint8Array[]} [parts=[]]
 * @param {number} [size=32]
 * @returns {Uint8Array}
 */
export function keyedHash(key, label, parts = [], size = KEY_BYTES) {
  const s = needSodium();
  bytesArg(key, 'key');
  if (key.length < 16 || key.length > 64) throw new RangeError('BLAKE2b key must be 16 to 64 bytes');
  return s.crypto_generichash(size, framedMessage(label, parts), key);
}

/**
 * Unkeyed BLAKE2b over frame(label) | frame(part)... (crypto.primitives.plain_hash): for
 * public values such as fingerprints and chain hashes.
 * @param {string} label
 * @param {Uint8Array[]} parts
 * @param {number} [size=32]
 * @returns {Uint8Array}
 */
export function plainHash(label, parts, size = KEY_BYTES) {
  return needSodium().crypto_generichash(size, framedMessage(label, parts), null);
}

/**
 * What keyedHash hashes: frame(label as ASCII) | frame(part)..., where frame(x) is the
 * 4-byte big-endian length of x, then x.
 * @param {string} label
 * @param {Uint8Array[]} [parts=[]]
 * @returns {Uint8Array}
 */
export function framedMessage(label, parts = []) {
  parts.forEach((part, i) => bytesArg(part, `parts[${i}]`));
  return frameAll([ascii(label), ...parts]);
}

/** @param {Uint8Array} key */
export function checkKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError('symmetric keys are 32 bytes');
  }
}

/**
 * What a seal binds (crypto.primitives.associated_data): the purpose alone as ASCII, or,
 * when the value belongs somewhere (a case, a recipient, an author, a place in order),
 * framedMessage(purpose, context).
 * @param {string} purpose ASCII
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function associatedData(purpose, context = []) {
  return context.length ? framedMessage(purpose, context) : ascii(purpose);
}

/**
 * XChaCha20-Poly1305 (IETF) with a random nonce; purpose and context are bound as
 * associated data (see associatedData). Output: nonce(24) | ciphertext | tag(16).
 * @param {Uint8Array} key
 * @param {Uint8Array} plaintext
 * @param {string} purpose ASCII
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function seal(key, plaintext, purpose, context = []) {
  return sealWithFixedNonce(key, plaintext, purpose, randomBytes(NONCE_BYTES), context);
}

/**
 * `seal` with a caller-chosen nonce. For reproducing test vectors only: a repeated nonce
 * under one key destroys confidentiality. Real code calls `seal`.
 * @param {Uint8Array} key
 * @param {Uint8Array} plaintext
 * @param {string} purpose
 * @param {Uint8Array} nonce 24 bytes
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function sealWithFixedNonce(key, plaintext, purpose, nonce, context = []) {
  const s = needSodium();
  checkKey(key);
  bytesArg(plaintext, 'plaintext');
  bytesArg(nonce, 'nonce', NONCE_BYTES);
  const body = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, associatedData(purpose, context), null, nonce, key,
  );
  return concatBytes(nonce, body);
}

/**
 * Open what `seal` made; throws DecryptionError on any failure.
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function openSealed(key, sealed, purpose, context = []) {
  const s = needSodium();
  checkKey(key);
  bytesArg(sealed, 'sealed');
  const ad = associatedData(purpose, context);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext too short');
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, sealed.subarray(NONCE_BYTES), ad, sealed.subarray(0, NONCE_BYTES), key,
    );
  } catch {
    throw new DecryptionError('ciphertext did not open');
  }
}
