// The browser twin of crypto/sealing.py: content under the case key (or the notes key),
// bound to its case, and messages and notes also to their author and sequence number.

import { CryptoError, DecryptionError } from './errors.js';
import {
  ascii, isWellFormed, openSealed, randomBytes, seal, utf8Decode, utf8Encode,
} from './primitives.js';
import { pad, unpad } from './padding.js';

export const REPORT = 'hotline:report:v2';
export const MESSAGE = 'hotline:message:v2';
export const NOTE = 'hotline:note:v2';
export const REPORTER_KEY = 'hotline:reporter-case-key:v1';
export const FILE_KEY = 'hotline:file-key:v2';
export const ATTACHMENT_META = 'hotline:attachment-meta:v2';

export const REPORTER = 'reporter';
export const CASE_ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CASE_ID = /^HL-[0-9A-HJKMNP-TV-Z]{10}$/;
const AUTHOR = /^(reporter|handler:[1-9][0-9]{0,17})$/;

/**
 * A random public case id: `HL-` and 10 Crockford base32 characters (50 bits). The
 * reporter's browser chooses it before sealing, so the report is bound to it.
 * @returns {string}
 */
export function newCaseId() {
  return `HL-${Array.from(randomBytes(10), (b) => CASE_ID_ALPHABET[b & 31]).join('')}`;
}

/** @param {unknown} value */
export function isCaseId(value) {
  return typeof value === 'string' && CASE_ID.test(value);
}

/** @param {number} handlerId */
export function handlerAuthor(handlerId) {
  return `handler:${handlerId}`;
}

/**
 * @param {string} caseId
 * @returns {Uint8Array[]}
 */
export function caseContext(caseId) {
  if (!isCaseId(caseId)) throw new CryptoError('not a case id');
  return [ascii(caseId)];
}

/**
 * A message's or note's place: its case, its author and its sequence number.
 * @param {string} caseId
 * @param {string} author 'reporter' or 'handler:<id>'
 * @param {number} seq
 * @returns {Uint8Array[]}
 */
export function entryContext(caseId, author, seq) {
  if (typeof author !== 'string' || !AUTHOR.test(author)) {
    throw new CryptoError("author is 'reporter' or 'handler:<id>'");
  }
  if (!Number.isInteger(seq) || seq < 0 || seq >= 2 ** 31) {
    throw new CryptoError('sequence number out of range');
  }
  return [...caseContext(caseId), ascii(author), ascii(String(seq))];
}

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
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function sealDocument(key, document, purpose, context = []) {
  return seal(key, pad(utf8Encode(serialiseDocument(document))), purpose, context);
}

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @param {Uint8Array[]} [context=[]]
 * @returns {Record<string, unknown>}
 */
export function openDocument(key, sealed, purpose, context = []) {
  const raw = unpad(openSealed(key, sealed, purpose, context));
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
 * @param {Uint8Array[]} [context=[]]
 * @returns {Uint8Array}
 */
export function sealText(key, text, purpose, context = []) {
  return seal(key, pad(utf8Encode(text)), purpose, context);
}

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} sealed
 * @param {string} purpose
 * @param {Uint8Array[]} [context=[]]
 * @returns {string}
 */
export function openText(key, sealed, purpose, context = []) {
  const raw = unpad(openSealed(key, sealed, purpose, context));
  try {
    return utf8Decode(raw);
  } catch {
    throw new DecryptionError('decrypted content is not text');
  }
}

/**
 * @param {Uint8Array} caseKey
 * @param {Record<string, unknown>} document
 * @param {string} caseId
 */
export function sealReport(caseKey, document, caseId) {
  return sealDocument(caseKey, document, REPORT, caseContext(caseId));
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} sealed
 * @param {string} caseId
 */
export function openReport(caseKey, sealed, caseId) {
  return openDocument(caseKey, sealed, REPORT, caseContext(caseId));
}

/**
 * @param {Uint8Array} caseKey
 * @param {string} text
 * @param {string} caseId
 * @param {string} author
 * @param {number} seq
 */
export function sealMessage(caseKey, text, caseId, author, seq) {
  return sealText(caseKey, text, MESSAGE, entryContext(caseId, author, seq));
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} sealed
 * @param {string} caseId
 * @param {string} author
 * @param {number} seq
 */
export function openMessage(caseKey, sealed, caseId, author, seq) {
  return openText(caseKey, sealed, MESSAGE, entryContext(caseId, author, seq));
}

/**
 * @param {Uint8Array} notesKey
 * @param {string} text
 * @param {string} caseId
 * @param {number} handlerId
 * @param {number} seq
 */
export function sealNote(notesKey, text, caseId, handlerId, seq) {
  return sealText(notesKey, text, NOTE, entryContext(caseId, handlerAuthor(handlerId), seq));
}

/**
 * @param {Uint8Array} notesKey
 * @param {Uint8Array} sealed
 * @param {string} caseId
 * @param {number} handlerId
 * @param {number} seq
 */
export function openNote(notesKey, sealed, caseId, handlerId, seq) {
  return openText(notesKey, sealed, NOTE, entryContext(caseId, handlerAuthor(handlerId), seq));
}

/**
 * @param {Uint8Array} caseKey
 * @param {Record<string, unknown>} meta
 * @param {string} caseId
 */
export function sealAttachmentMeta(caseKey, meta, caseId) {
  return sealDocument(caseKey, meta, ATTACHMENT_META, caseContext(caseId));
}

/**
 * @param {Uint8Array} caseKey
 * @param {Uint8Array} sealed
 * @param {string} caseId
 */
export function openAttachmentMeta(caseKey, sealed, caseId) {
  return openDocument(caseKey, sealed, ATTACHMENT_META, caseContext(caseId));
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
