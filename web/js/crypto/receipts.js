// The browser twin of crypto/receipts.py.

import { InvalidReceipt } from './errors.js';
import {
  RECEIPT_FLOOR, argon2id, ascii, keyedHash, randomBytes, requireFloor,
} from './primitives.js';

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

// Python's `\s` (str.isspace) exactly, plus the separators crypto/receipts.py accepts:
// ASCII and Unicode dashes, the minus sign, the ideographic space, the katakana prolonged
// sound mark and the full-width hyphen-minus (what Japanese input methods type for "-").
const SEPARATORS =
  /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-\u2010-\u2015\u2212\u30fc\uff0d]+/g;

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
 * the case) and a wrap key (opens the reporter's copy of the case key). Parameters below
 * the floor this bundle was built with are refused (WeakParameters).
 * @param {string} digits
 * @param {Uint8Array} instanceSalt
 * @param {Argon2Params} params
 * @returns {{lookupTag: Uint8Array, wrapKey: Uint8Array}}
 */
export function deriveReceipt(digits, instanceSalt, params) {
  requireFloor(params, RECEIPT_FLOOR, 'receipt');
  const master = argon2id(ascii(digits), instanceSalt, params);
  return {
    lookupTag: keyedHash(master, RECEIPT_LOOKUP_LABEL),
    wrapKey: keyedHash(master, RECEIPT_WRAP_LABEL),
  };
}
