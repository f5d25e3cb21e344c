// The browser twin of crypto/grants.py.

import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

import { CryptoError, DecryptionError } from './errors.js';
import {
  KEY_BYTES, NONCE_BYTES, TAG_BYTES, ascii, bytesArg, concatBytes, keyedHash, needSodium, openSealed,
  randomBytes, seal,
} from './primitives.js';
import { MLKEM_PUBLIC_BYTES, MLKEM_SEED_BYTES, X25519_BYTES, x25519Public } from './handler_keys.js';
import { isCaseId } from './sealing.js';

export const MLKEM_CIPHERTEXT_BYTES = 1088;
const GRANT_LABEL = 'hotline:grant:x25519+mlkem768:v1';
export const GRANT_PURPOSE = 'hotline:grant:v2';
const GRANT_HEADER = X25519_BYTES + MLKEM_CIPHERTEXT_BYTES;
export const GRANT_BYTES = GRANT_HEADER + NONCE_BYTES + TAG_BYTES + KEY_BYTES; // 1192

export const CASE_KEY = 'case-key';
export const NOTES_KEY = 'notes-key';
export const BACKUP_KEY = 'backup-key';
const KINDS = [CASE_KEY, NOTES_KEY, BACKUP_KEY];

/**
 * What a grant is bound to: {kind, caseId, handlerId} (crypto.grants.GrantFor).
 * @typedef {{kind: string, caseId: string, handlerId: number}} GrantFor
 */

/**
 * @param {GrantFor} about
 * @returns {Uint8Array[]}
 */
export function grantContext(about) {
  if (!KINDS.includes(about?.kind)) throw new CryptoError('unknown grant kind');
  if (!Number.isSafeInteger(about.handlerId) || about.handlerId < 0) {
    throw new CryptoError('handler id out of range');
  }
  // A case's key goes to a handler of that case; a backup's to no case and no one.
  if (about.kind === BACKUP_KEY) {
    if (about.caseId !== '' || about.handlerId !== 0) {
      throw new CryptoError("a backup key's grant names no case and no handler");
    }
  } else if (!isCaseId(about.caseId) || about.handlerId === 0) {
    throw new CryptoError("a case's grant names a case id and a handler");
  }
  return [ascii(about.kind), ascii(about.caseId), ascii(String(about.handlerId))];
}

/**
 * A random case key or notes key.
 * @returns {Uint8Array}
 */
export function newKey() {
  return randomBytes(KEY_BYTES);
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
 * Wrap one key to one handler, bound to `about`: ephemeral X25519 public (32) | ML-KEM-768
 * ciphertext (1088) | seal(wrap key, key, purpose, context(about)).
 * @param {Uint8Array} key
 * @param {HandlerPublicKeys} to
 * @param {GrantFor} about
 * @returns {Uint8Array}
 */
export function makeGrant(key, to, about) {
  const s = needSodium();
  bytesArg(key, 'key', KEY_BYTES);
  const context = grantContext(about);
  checkPublicKeys(to);
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
  const wrap = grantWrapKey(sharedSecret, x25519Secret, ephemeralPublic, cipherText, to);
  return concatBytes(ephemeralPublic, cipherText, seal(wrap, key, GRANT_PURPOSE, context));
}

/**
 * Open a grant with the handler's private keys; throws DecryptionError unless it is this
 * recipient's grant for `about`.
 * @param {Uint8Array} grant
 * @param {HandlerPrivateKeys} priv
 * @param {GrantFor} about
 * @returns {Uint8Array}
 */
export function openGrant(grant, priv, about) {
  const s = needSodium();
  bytesArg(grant, 'grant');
  const context = grantContext(about);
  if (grant.length !== GRANT_BYTES) throw new DecryptionError('grant has the wrong size');
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
  const wrap = grantWrapKey(mlkemSecret, x25519Secret, ephemeralPublic, ct, mine);
  return openSealed(wrap, grant.subarray(GRANT_HEADER), GRANT_PURPOSE, context);
}
