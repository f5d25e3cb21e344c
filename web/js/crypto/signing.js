// The browser twin of crypto/signing.py: hybrid Ed25519 + ML-DSA-65 signatures, valid only
// when both halves verify. Both halves sign frame(label) | frame(message) (see
// framedMessage). Layout: public key = Ed25519 (32) | ML-DSA-65 (1952); signature =
// Ed25519 (64) | ML-DSA-65 (3309); private key = Ed25519 seed (32) | ML-DSA-65 seed (32).

import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';

import { CryptoError } from './errors.js';
import { concatBytes, framedMessage, needSodium, plainHash, randomBytes } from './primitives.js';

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const MLDSA_SEED_BYTES = 32;
export const MLDSA_PUBLIC_BYTES = 1952;
export const MLDSA_SIGNATURE_BYTES = 3309;
export const SIGNING_PUBLIC_BYTES = ED25519_PUBLIC_BYTES + MLDSA_PUBLIC_BYTES;
export const SIGNATURE_BYTES = ED25519_SIGNATURE_BYTES + MLDSA_SIGNATURE_BYTES;
const FINGERPRINT_LABEL = 'hotline:fingerprint:v1';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A hybrid signature did not verify (either half, or both). */
export class SignatureError extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** @typedef {{ed25519: Uint8Array, mldsa: Uint8Array}} SigningPublicKey */
/** @typedef {{ed25519Seed: Uint8Array, mldsaSeed: Uint8Array}} SigningPrivateKey */

/**
 * @param {Uint8Array} raw Ed25519 public (32) | ML-DSA-65 public (1952)
 * @returns {SigningPublicKey}
 */
export function signingPublicFromBytes(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== SIGNING_PUBLIC_BYTES) {
    throw new CryptoError('signing public key has the wrong size');
  }
  return { ed25519: raw.slice(0, ED25519_PUBLIC_BYTES), mldsa: raw.slice(ED25519_PUBLIC_BYTES) };
}

/** @returns {SigningPrivateKey} */
export function generateSigningKey() {
  return { ed25519Seed: randomBytes(ED25519_SEED_BYTES), mldsaSeed: randomBytes(MLDSA_SEED_BYTES) };
}

/**
 * @param {SigningPrivateKey} priv
 * @returns {SigningPublicKey}
 */
export function signingPublicOf(priv) {
  checkPrivate(priv);
  return {
    ed25519: needSodium().crypto_sign_seed_keypair(priv.ed25519Seed).publicKey,
    mldsa: ml_dsa65.keygen(priv.mldsaSeed).publicKey,
  };
}

/** @param {SigningPrivateKey} priv */
function checkPrivate(priv) {
  if (priv?.ed25519Seed?.length !== ED25519_SEED_BYTES || priv?.mldsaSeed?.length !== MLDSA_SEED_BYTES) {
    throw new CryptoError('signing seeds have the wrong size');
  }
}

/**
 * Both halves over frame(label) | frame(message); ML-DSA signing is hedged (randomised).
 * @param {SigningPrivateKey} priv
 * @param {string} label
 * @param {Uint8Array} message
 * @returns {Uint8Array}
 */
export function sign(priv, label, message) {
  checkPrivate(priv);
  const signed = framedMessage(label, [message]);
  const sodium = needSodium();
  const ed = sodium.crypto_sign_detached(signed, sodium.crypto_sign_seed_keypair(priv.ed25519Seed).privateKey);
  const ml = ml_dsa65.sign(signed, ml_dsa65.keygen(priv.mldsaSeed).secretKey);
  return concatBytes(ed, ml);
}

/**
 * Throw SignatureError unless both the Ed25519 and the ML-DSA-65 halves verify.
 * @param {SigningPublicKey} pub
 * @param {string} label
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 */
export function verify(pub, label, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new SignatureError('signature has the wrong size');
  }
  if (pub?.ed25519?.length !== ED25519_PUBLIC_BYTES || pub?.mldsa?.length !== MLDSA_PUBLIC_BYTES) {
    throw new CryptoError('signing public key has the wrong size');
  }
  const signed = framedMessage(label, [message]);
  const edSig = signature.subarray(0, ED25519_SIGNATURE_BYTES);
  const mlSig = signature.subarray(ED25519_SIGNATURE_BYTES);
  let edOk = false;
  let mlOk = false;
  try {
    edOk = needSodium().crypto_sign_verify_detached(edSig, signed, pub.ed25519);
  } catch {
    edOk = false;
  }
  try {
    mlOk = ml_dsa65.verify(mlSig, signed, pub.mldsa);
  } catch {
    mlOk = false;
  }
  if (!(edOk && mlOk)) throw new SignatureError('signature does not verify');
}

/**
 * A human-comparable fingerprint: base32 of 20 bytes of BLAKE2b, 8 groups of 4.
 * @param {...Uint8Array} publicParts
 * @returns {string}
 */
export function fingerprint(...publicParts) {
  const text = base32(plainHash(FINGERPRINT_LABEL, publicParts, 20));
  return text.match(/.{4}/g)?.join(' ') ?? '';
}

/**
 * The first four groups of a fingerprint (80 bits).
 * @param {string} full
 */
export function shortFingerprint(full) {
  return full.split(' ').slice(0, 4).join(' ');
}

/**
 * RFC 4648 base32 without padding.
 * @param {Uint8Array} bytes
 */
function base32(bytes) {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
