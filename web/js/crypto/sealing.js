// The browser twin of crypto/sealing.py.

import { DecryptionError } from './errors.js';
import { isWellFormed, openSealed, seal, utf8Decode, utf8Encode } from './primitives.js';
import { pad, unpad } from './padding.js';

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
