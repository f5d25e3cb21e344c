// The browser twin of crypto/handler_keys.py.

import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

import { CryptoError, DecryptionError } from './errors.js';
import {
  KEY_BYTES, PASSWORD_FLOOR, SALT_BYTES, argon2id, bytesArg, concatBytes, keyedHash, needSodium,
  normalisePassword, openSealed, randomBytes, requireFloor, seal,
} from './primitives.js';

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
 * key (never leaves the browser). Parameters below the bundle's floor are refused.
 * @param {string} password
 * @param {Uint8Array} salt
 * @param {Argon2Params} params
 * @returns {{auth: Uint8Array, unwrapKey: Uint8Array}}
 */
export function passwordSecrets(password, salt, params) {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new RangeError('handler salt must be 16 bytes');
  }
  requireFloor(params, PASSWORD_FLOOR, 'password');
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
