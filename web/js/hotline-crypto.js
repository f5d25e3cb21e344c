// The browser twin of the Python package `crypto/`: function for function, byte for byte.
//
// Every value that crosses the wire (sealed documents, grants, receipts' lookup tags and
// wrap keys, password secrets, attachments, proof-of-work nonces) must be the same here
// as in Python; the vectors in tests/vectors/ and tests/unit/test_js_interop.py keep the
// two honest. crypto/pepper.py is server-only and has no twin.
//
// Libraries: libsodium-wrappers-sumo (X25519, XChaCha20-Poly1305, secretstream, BLAKE2b,
// Argon2id; its WebAssembly is embedded in the bundle and needs only CSP
// 'wasm-unsafe-eval') and @noble/post-quantum (ML-KEM-768).
//
// All byte values are Uint8Array. Call `await ready()` once before anything else except
// toBase64/fromBase64/utf8Encode/utf8Decode and the receipt string helpers.

import sodium from 'libsodium-wrappers-sumo';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

// ---------------------------------------------------------------------------------------
// errors.py

/** Something could not be encrypted, decrypted or parsed. */
export class CryptoError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CryptoError';
  }
}

/** A ciphertext did not open: wrong key, tampered data or wrong purpose. */
export class DecryptionError extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** A receipt code is malformed or its check digit is wrong. */
export class InvalidReceipt extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InvalidReceipt';
  }
}

// ---------------------------------------------------------------------------------------
// Readiness

let isReady = false;

/** Load libsodium's WebAssembly. Resolves once; later calls are free. */
export async function ready() {
  if (!isReady) {
    await sodium.ready;
    isReady = true;
  }
}

function needSodium() {
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
function isWellFormed(text) {
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
function ascii(text) {
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
function bytesArg(value, name, length) {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// primitives.py

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
function frameAll(items) {
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
function checkKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError('symmetric keys are 32 bytes');
  }
}

/**
 * XChaCha20-Poly1305 (IETF) with a random nonce; the purpose is bound as associated data.
 * Output: nonce(24) | ciphertext | tag(16).
 * @param {Uint8Array} key
 * @param {Uint8Array} plaintext
 * @param {string} purpose ASCII
 * @returns {Uint8Array}
 */
export function seal(key, plaintext, purpose) {
  return sealWithFixedNonce(key, plaintext, purpose, randomBytes(NONCE_BYTES));
}

/**
 * `seal` with a caller-chosen nonce. For reproducing test vectors only: a repeated nonce
 * under one key destroys confidentiality. Real code calls `seal`.
 * @param {Uint8Array} key
 * @param {Uint8Array} plaintext
 * @param {string} purpose
 * @param {Uint8Array} nonce 24 bytes
 * @returns {Uint8Array}
 */
export function sealWithFixedNonce(key, plaintext, purpose, nonce) {
  const s = needSodium();
  checkKey(key);
  bytesArg(plaintext, 'plaintext');
  bytesArg(nonce, 'nonce', NONCE_BYTES);
  const body = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, ascii(purpose), null, nonce, key,
  );
  return concatBytes(nonce, body);
}

/**
 * Open what `seal` made; throws DecryptionError on any failure.
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @returns {Uint8Array}
 */
export function openSealed(key, sealed, purpose) {
  const s = needSodium();
  checkKey(key);
  bytesArg(sealed, 'sealed');
  const ad = ascii(purpose);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext too short');
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, sealed.subarray(NONCE_BYTES), ad, sealed.subarray(0, NONCE_BYTES), key,
    );
  } catch {
    throw new DecryptionError('ciphertext did not open');
  }
}

// ---------------------------------------------------------------------------------------
// padding.py

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

// ---------------------------------------------------------------------------------------
// sealing.py

export const REPORT = 'hotline:report:v1';
export const MESSAGE = 'hotline:message:v1';
export const NOTE = 'hotline:note:v1';
export const REPORTER_KEY = 'hotline:reporter-case-key:v1';
export const FILE_KEY = 'hotline:file-key:v1';
export const ATTACHMENT_META = 'hotline:attachment-meta:v1';

/**
 * Compare strings by Unicode code point, as Python sorts str (JavaScript's default sort
 * compares UTF-16 code units, which differs above U+FFFF).
 * @param {string} a
 * @param {string} b
 */
function compareCodePoints(a, b) {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = /** @type {number} */ (x.value.codePointAt(0));
    const cy = /** @type {number} */ (y.value.codePointAt(0));
    if (cx !== cy) return cx - cy;
  }
}

/**
 * A number as Python's json.dumps writes it. Integral values are written as integers (what
 * Python holds after parsing "500000"); others as Python's float repr, which switches to
 * exponent notation below 1e-4 (JavaScript only below 1e-6).
 * @param {number} n
 */
function pythonNumber(n) {
  if (!Number.isFinite(n)) throw new TypeError('documents cannot hold NaN or Infinity');
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n === 0 ? 0 : n) : BigInt(n).toString();
  const [mantissa, exponentText] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent + 1 <= -4) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function canonicalJson(value) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return pythonNumber(value);
    case 'string':
      if (!isWellFormed(value)) throw new TypeError('string contains a lone surrogate');
      // JSON.stringify escapes exactly what Python's ensure_ascii=False escapes: " \ and
      // U+0000..U+001F (\b \f \n \r \t short, the rest as lowercase \u00xx).
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = /** @type {Record<string, unknown>} */ (value);
      const keys = Object.keys(obj).sort(compareCodePoints);
      return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`documents cannot hold a ${typeof value}`);
  }
}

/**
 * The exact text Python's
 * json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) gives.
 * The document first goes through JSON.stringify/parse (toJSON, undefined dropped).
 * @param {Record<string, unknown>} document
 * @returns {string}
 */
export function serialiseDocument(document) {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new TypeError('a document is a JSON object');
  }
  const plain = JSON.parse(
    JSON.stringify(document, (_key, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new TypeError('documents cannot hold NaN or Infinity');
      }
      return v;
    }),
  );
  return canonicalJson(plain);
}

/**
 * @param {Uint8Array} key
 * @param {Record<string, unknown>} document
 * @param {string} purpose
 * @returns {Uint8Array}
 */
export function sealDocument(key, document, purpose) {
  return seal(key, pad(utf8Encode(serialiseDocument(document))), purpose);
}

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @returns {Record<string, unknown>}
 */
export function openDocument(key, sealed, purpose) {
  const raw = unpad(openSealed(key, sealed, purpose));
  let document;
  try {
    document = JSON.parse(utf8Decode(raw));
  } catch {
    throw new DecryptionError('decrypted content is not a document');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new DecryptionError('decrypted content is not a document');
  }
  return document;
}

/**
 * @param {Uint8Array} key
 * @param {string} text
 * @param {string} purpose
 * @returns {Uint8Array}
 */
export function sealText(key, text, purpose) {
  return seal(key, pad(utf8Encode(text)), purpose);
}

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @returns {string}
 */
export function openText(key, sealed, purpose) {
  const raw = unpad(openSealed(key, sealed, purpose));
  try {
    return utf8Decode(raw);
  } catch {
    throw new DecryptionError('decrypted content is not text');
  }
}

/**
 * The reporter's copy of the case key, under the receipt's wrap key (no padding).
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} wrapKey
 */
export function wrapCaseKeyForReporter(caseKey, wrapKey) {
  return seal(wrapKey, caseKey, REPORTER_KEY);
}

/**
 * @param {Uint8Array} wrapped
 * @param {Uint8Array} wrapKey
 */
export function unwrapCaseKeyForReporter(wrapped, wrapKey) {
  return openSealed(wrapKey, wrapped, REPORTER_KEY);
}

// ---------------------------------------------------------------------------------------
// receipts.py

export const RECEIPT_DIGITS = 16;
const RECEIPT_LOOKUP_LABEL = 'hotline:receipt:lookup:v1';
const RECEIPT_WRAP_LABEL = 'hotline:receipt:wrap:v1';

// Damm's totally anti-symmetric quasigroup of order 10: catches every single-digit error
// and every transposition of adjacent digits.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

// Python's `\s` (str.isspace) exactly, plus dashes and the ideographic space.
const SEPARATORS =
  /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-\u2010-\u2015]+/g;

/**
 * The Damm check digit of a string of ASCII digits (0 when a full receipt is valid).
 * @param {string} digits
 * @returns {number}
 */
export function dammDigit(digits) {
  let interim = 0;
  for (const ch of digits) {
    const d = ch.charCodeAt(0) - 48;
    if (ch.length !== 1 || d < 0 || d > 9) throw new TypeError('expected ASCII digits');
    interim = DAMM[interim][d];
  }
  return interim;
}

/**
 * 16 ASCII digits whose Damm digit is 0.
 * @param {string} digits
 */
export function isValidReceipt(digits) {
  return typeof digits === 'string' && /^[0-9]{16}$/.test(digits) && dammDigit(digits) === 0;
}

/**
 * 16 plain digits: 15 uniform random digits (rejection sampling, no modulo bias) and the
 * Damm check digit.
 * @returns {string}
 */
export function generateReceipt() {
  let body = '';
  while (body.length < RECEIPT_DIGITS - 1) {
    for (const byte of randomBytes(32)) {
      // 250 = 25 * 10: bytes 250..255 would favour digits 0..5, so they are dropped.
      if (byte < 250 && body.length < RECEIPT_DIGITS - 1) body += String(byte % 10);
    }
  }
  return body + String(dammDigit(body));
}

/**
 * "1234 5678 9012 3456".
 * @param {string} digits
 */
export function formatReceipt(digits) {
  const groups = [];
  for (let i = 0; i < digits.length; i += 4) groups.push(digits.slice(i, i + 4));
  return groups.join(' ');
}

/**
 * Accept spaces, dashes and full-width digits; return 16 plain digits or throw
 * InvalidReceipt.
 * @param {string} text
 * @returns {string}
 */
export function parseReceipt(text) {
  if (typeof text !== 'string' || [...text].length > 64) {
    throw new InvalidReceipt('receipt must be 16 digits');
  }
  const cleaned = text
    .replace(SEPARATORS, '')
    // Full-width digits (common with Japanese input methods) become ASCII digits.
    .replace(/[\uFF10-\uFF19]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xff10 + 0x30));
  if (!/^[0-9]{16}$/.test(cleaned)) throw new InvalidReceipt('receipt must be 16 digits');
  if (dammDigit(cleaned) !== 0) throw new InvalidReceipt('receipt check digit does not match');
  return cleaned;
}

/**
 * Argon2id(receipt digits, instance salt) split by keyed BLAKE2b into a lookup tag (finds
 * the case) and a wrap key (opens the reporter's copy of the case key).
 * @param {string} digits
 * @param {Uint8Array} instanceSalt
 * @param {Argon2Params} params
 * @returns {{lookupTag: Uint8Array, wrapKey: Uint8Array}}
 */
export function deriveReceipt(digits, instanceSalt, params) {
  const master = argon2id(ascii(digits), instanceSalt, params);
  return {
    lookupTag: keyedHash(master, RECEIPT_LOOKUP_LABEL),
    wrapKey: keyedHash(master, RECEIPT_WRAP_LABEL),
  };
}

// ---------------------------------------------------------------------------------------
// handler_keys.py

export const MLKEM_SEED_BYTES = 64;
export const MLKEM_PUBLIC_BYTES = 1184;
export const X25519_BYTES = 32;
const BUNDLE_BYTES = X25519_BYTES + MLKEM_SEED_BYTES;
const PASSWORD_PURPOSE = 'hotline:handler-private:password:v1';
const RECOVERY_PURPOSE = 'hotline:handler-private:recovery:v1';
const RECOVERY_LABEL = 'hotline:recovery:wrap:v1';

/** @typedef {{x25519: Uint8Array, mlkem: Uint8Array}} HandlerPublicKeys */
/** @typedef {{x25519: Uint8Array, mlkemSeed: Uint8Array}} HandlerPrivateKeys */

/**
 * X25519 public key of a 32-byte secret (libsodium clamps it).
 * @param {Uint8Array} secret
 * @returns {Uint8Array}
 */
export function x25519Public(secret) {
  return needSodium().crypto_scalarmult_base(bytesArg(secret, 'secret', X25519_BYTES));
}

/**
 * ML-KEM-768 public key (1184 bytes) from the 64-byte seed d | z (FIPS 203 keygen_internal).
 * @param {Uint8Array} seed
 * @returns {Uint8Array}
 */
export function mlkemPublicFromSeed(seed) {
  return ml_kem768.keygen(bytesArg(seed, 'seed', MLKEM_SEED_BYTES)).publicKey;
}

/**
 * @param {HandlerPrivateKeys} priv
 * @returns {HandlerPublicKeys}
 */
export function publicKeysOf(priv) {
  return { x25519: x25519Public(priv.x25519), mlkem: mlkemPublicFromSeed(priv.mlkemSeed) };
}

/** @param {HandlerPrivateKeys} priv */
function bundleOf(priv) {
  bytesArg(priv.x25519, 'x25519', X25519_BYTES);
  bytesArg(priv.mlkemSeed, 'mlkemSeed', MLKEM_SEED_BYTES);
  return concatBytes(priv.x25519, priv.mlkemSeed);
}

/**
 * @param {Uint8Array} bundle
 * @returns {HandlerPrivateKeys}
 */
function fromBundle(bundle) {
  if (bundle.length !== BUNDLE_BYTES) throw new CryptoError('private key bundle has the wrong size');
  return { x25519: bundle.slice(0, X25519_BYTES), mlkemSeed: bundle.slice(X25519_BYTES) };
}

/** @returns {HandlerPrivateKeys} */
export function generatePrivate() {
  return { x25519: randomBytes(X25519_BYTES), mlkemSeed: randomBytes(MLKEM_SEED_BYTES) };
}

/**
 * Argon2id(NFC password, per-handler salt, 64 bytes) = auth (sent to the server) | unwrap
 * key (never leaves the browser).
 * @param {string} password
 * @param {Uint8Array} salt
 * @param {Argon2Params} params
 * @returns {{auth: Uint8Array, unwrapKey: Uint8Array}}
 */
export function passwordSecrets(password, salt, params) {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new RangeError('handler salt must be 16 bytes');
  }
  const out = argon2id(normalisePassword(password), salt, params, 2 * KEY_BYTES);
  return { auth: out.slice(0, KEY_BYTES), unwrapKey: out.slice(KEY_BYTES) };
}

/**
 * @param {HandlerPrivateKeys} priv
 * @param {Uint8Array} unwrapKey
 */
export function wrapPrivate(priv, unwrapKey) {
  return seal(unwrapKey, bundleOf(priv), PASSWORD_PURPOSE);
}

/**
 * @param {Uint8Array} wrapped
 * @param {Uint8Array} unwrapKey
 * @returns {HandlerPrivateKeys}
 */
export function unwrapPrivate(wrapped, unwrapKey) {
  return fromBundle(openSealed(unwrapKey, wrapped, PASSWORD_PURPOSE));
}

/** @param {Uint8Array} raw */
function recoveryWrapKey(raw) {
  // The recovery key is 256 random bits: no password stretching is needed.
  return keyedHash(raw, RECOVERY_LABEL);
}

/**
 * Make a handler's key pairs, wrap them under the password and a new recovery key.
 * @param {string} password
 * @param {Argon2Params} params
 */
export function createHandlerKeys(password, params) {
  const priv = generatePrivate();
  const salt = randomBytes(SALT_BYTES);
  const secrets = passwordSecrets(password, salt, params);
  const recoveryRaw = randomBytes(KEY_BYTES);
  return {
    public: publicKeysOf(priv),
    private: priv,
    salt,
    auth: secrets.auth,
    wrappedPrivate: wrapPrivate(priv, secrets.unwrapKey),
    recoveryWrappedPrivate: seal(recoveryWrapKey(recoveryRaw), bundleOf(priv), RECOVERY_PURPOSE),
    recoveryKey: formatRecoveryKey(recoveryRaw),
  };
}

/**
 * New salt, secrets and wrapped bundle for a changed password.
 * @param {HandlerPrivateKeys} priv
 * @param {string} password
 * @param {Argon2Params} params
 */
export function rewrapWithPassword(priv, password, params) {
  const salt = randomBytes(SALT_BYTES);
  const secrets = passwordSecrets(password, salt, params);
  return { salt, secrets, wrapped: wrapPrivate(priv, secrets.unwrapKey) };
}

/**
 * @param {Uint8Array} wrapped
 * @param {string} recoveryKey the text shown to the handler
 * @returns {HandlerPrivateKeys}
 */
export function unwrapWithRecoveryKey(wrapped, recoveryKey) {
  const raw = parseRecoveryKey(recoveryKey);
  return fromBundle(openSealed(recoveryWrapKey(raw), wrapped, RECOVERY_PURPOSE));
}

const RECOVERY_AUTH_LABEL = 'hotline:recovery:auth:v1';

/**
 * A value proving possession of the recovery key (the server keeps a peppered tag of it);
 * it reveals nothing about the key that unwraps the private bundle.
 * @param {string} recoveryKey the text shown to the handler
 * @returns {Uint8Array}
 */
export function recoveryAuth(recoveryKey) {
  return keyedHash(parseRecoveryKey(recoveryKey), RECOVERY_AUTH_LABEL);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Base32 (RFC 4648) of the raw key, no padding, groups of 4 joined by '-'.
 * @param {Uint8Array} raw
 */
export function formatRecoveryKey(raw) {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of raw) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += BASE32[(buffer << (5 - bits)) & 31];
  return (text.match(/.{1,4}/g) ?? []).join('-');
}

/**
 * Upper-case, keep letters and digits (so dashes and spaces are ignored), base32-decode;
 * anything that is not the canonical encoding of 32 bytes throws DecryptionError.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function parseRecoveryKey(text) {
  const cleaned = [...text.toUpperCase()].filter((ch) => /[\p{L}\p{N}]/u.test(ch)).join('');
  // 32 bytes are 52 base32 characters; Python's decoder accepts no other length for 32.
  if (cleaned.length !== 52 || /[^A-Z2-7]/.test(cleaned)) {
    throw new DecryptionError('recovery key is not valid');
  }
  const out = new Uint8Array(KEY_BYTES);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const ch of cleaned) {
    buffer = ((buffer << 5) | BASE32.indexOf(ch)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      if (index < KEY_BYTES) out[index++] = (buffer >> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // Canonical only: the 4 bits left over after 32 bytes must be zero (Python re-encodes).
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new DecryptionError('recovery key is not valid');
  return out;
}

// ---------------------------------------------------------------------------------------
// grants.py

export const MLKEM_CIPHERTEXT_BYTES = 1088;
const GRANT_LABEL = 'hotline:grant:x25519+mlkem768:v1';
const GRANT_PURPOSE = 'hotline:grant:case-keys:v1';
const GRANT_HEADER = X25519_BYTES + MLKEM_CIPHERTEXT_BYTES;

/** @typedef {{caseKey: Uint8Array, notesKey: Uint8Array}} CaseKeys */

/**
 * A random case key (report, messages, file keys) and notes key (handlers only).
 * @returns {CaseKeys}
 */
export function generateCaseKeys() {
  return { caseKey: randomBytes(KEY_BYTES), notesKey: randomBytes(KEY_BYTES) };
}

/** @param {HandlerPublicKeys} pub */
function checkPublicKeys(pub) {
  if (
    !(pub?.x25519 instanceof Uint8Array) || !(pub?.mlkem instanceof Uint8Array)
    || pub.x25519.length !== X25519_BYTES || pub.mlkem.length !== MLKEM_PUBLIC_BYTES
  ) {
    throw new CryptoError('handler public keys have the wrong size');
  }
}

/**
 * keyed_hash(mlkem_secret | x25519_secret, label, ephemeral, ct, to.x25519, to.mlkem).
 * @param {Uint8Array} mlkemSecret
 * @param {Uint8Array} x25519Secret
 * @param {Uint8Array} ephemeral
 * @param {Uint8Array} ct
 * @param {HandlerPublicKeys} to
 */
function grantWrapKey(mlkemSecret, x25519Secret, ephemeral, ct, to) {
  return keyedHash(concatBytes(mlkemSecret, x25519Secret), GRANT_LABEL, [
    ephemeral, ct, to.x25519, to.mlkem,
  ]);
}

/**
 * Wrap a case's keys to one handler: ephemeral X25519 public (32) | ML-KEM-768
 * ciphertext (1088) | seal(wrap key, case key | notes key).
 * @param {CaseKeys} keys
 * @param {HandlerPublicKeys} to
 * @returns {Uint8Array}
 */
export function makeGrant(keys, to) {
  const s = needSodium();
  checkPublicKeys(to);
  const packed = concatBytes(
    bytesArg(keys.caseKey, 'caseKey', KEY_BYTES), bytesArg(keys.notesKey, 'notesKey', KEY_BYTES),
  );
  const ephemeralSecret = randomBytes(X25519_BYTES);
  const ephemeralPublic = s.crypto_scalarmult_base(ephemeralSecret);
  let x25519Secret;
  try {
    x25519Secret = s.crypto_scalarmult(ephemeralSecret, to.x25519);
  } catch {
    throw new CryptoError('handler X25519 key is not usable'); // libsodium refuses low-order points
  }
  let encapsulated;
  try {
    encapsulated = ml_kem768.encapsulate(to.mlkem);
  } catch {
    throw new CryptoError('handler ML-KEM key is not usable');
  }
  const { cipherText, sharedSecret } = encapsulated;
  const key = grantWrapKey(sharedSecret, x25519Secret, ephemeralPublic, cipherText, to);
  return concatBytes(ephemeralPublic, cipherText, seal(key, packed, GRANT_PURPOSE));
}

/**
 * Open a grant with the handler's private keys; throws DecryptionError if it does not open.
 * @param {Uint8Array} grant
 * @param {HandlerPrivateKeys} priv
 * @returns {CaseKeys}
 */
export function openGrant(grant, priv) {
  const s = needSodium();
  bytesArg(grant, 'grant');
  if (grant.length <= GRANT_HEADER) throw new DecryptionError('grant too short');
  const ephemeralPublic = grant.subarray(0, X25519_BYTES);
  const ct = grant.subarray(X25519_BYTES, GRANT_HEADER);
  let x25519Secret;
  let mlkemSecret;
  let mine;
  try {
    x25519Secret = s.crypto_scalarmult(priv.x25519, ephemeralPublic);
    const pair = ml_kem768.keygen(bytesArg(priv.mlkemSeed, 'mlkemSeed', MLKEM_SEED_BYTES));
    mlkemSecret = ml_kem768.decapsulate(ct, pair.secretKey);
    mine = { x25519: x25519Public(priv.x25519), mlkem: pair.publicKey };
  } catch {
    throw new DecryptionError('grant did not open');
  }
  const key = grantWrapKey(mlkemSecret, x25519Secret, ephemeralPublic, ct, mine);
  const packed = openSealed(key, grant.subarray(GRANT_HEADER), GRANT_PURPOSE);
  if (packed.length !== 2 * KEY_BYTES) throw new CryptoError('case keys have the wrong size');
  return { caseKey: packed.slice(0, KEY_BYTES), notesKey: packed.slice(KEY_BYTES) };
}

// ---------------------------------------------------------------------------------------
// attachments.py

export const CHUNK_BYTES = 64 * 1024;
export const STREAM_HEADER_BYTES = 24;
export const STREAM_ABYTES = 17;

/** @returns {Uint8Array} */
export function newFileKey() {
  return randomBytes(KEY_BYTES);
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} fileKey
 */
export function sealFileKey(caseKey, fileKey) {
  return seal(caseKey, fileKey, FILE_KEY);
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} sealed
 */
export function openFileKey(caseKey, sealed) {
  return openSealed(caseKey, sealed, FILE_KEY);
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

// ---------------------------------------------------------------------------------------
// pow.py

const POW_LABEL = 'hotline:pow:v1';
export const POW_NONCE_BYTES = 8;

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
 * keyed_hash(challenge, label, nonce) starts with `bits` zero bits.
 * @param {Uint8Array} challenge 32 bytes from the server
 * @param {Uint8Array} nonce 8 bytes
 * @param {number} bits
 */
export function checkPow(challenge, nonce, bits) {
  if (!(challenge instanceof Uint8Array) || !(nonce instanceof Uint8Array)) return false;
  if (challenge.length !== 32 || nonce.length !== POW_NONCE_BYTES) return false;
  return leadingZeroBits(keyedHash(challenge, POW_LABEL, [nonce])) >= bits;
}

/**
 * The smallest 8-byte big-endian counter that passes `checkPow` (as Python's solve).
 * Blocks the thread: run it in a Worker for high `bits`.
 * @param {Uint8Array} challenge
 * @param {number} bits
 * @param {number} [limit=2**32]
 * @returns {Uint8Array}
 */
export function solvePow(challenge, bits, limit = 2 ** 32) {
  const s = needSodium();
  bytesArg(challenge, 'challenge', 32);
  // The hashed message is frame(label) | frame(nonce); only the last 8 bytes change.
  const message = frameAll([ascii(POW_LABEL), new Uint8Array(POW_NONCE_BYTES)]);
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
