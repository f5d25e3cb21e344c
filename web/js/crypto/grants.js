// The browser twin of crypto/grants.py.

import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

import { CryptoError, DecryptionError } from './errors.js';
import { KEY_BYTES, bytesArg, concatBytes, keyedHash, needSodium, openSealed, randomBytes, seal } from './primitives.js';
import { MLKEM_PUBLIC_BYTES, MLKEM_SEED_BYTES, X25519_BYTES, x25519Public } from './handler_keys.js';

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
