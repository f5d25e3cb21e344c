// Vector checks for signing.json and key_directory.json (web/js/signing.js and
// web/js/key-directory.js): Python-made signatures verify here, a signature with only one
// valid half is refused, and every substituted or cut directory is refused.
import assert from 'node:assert/strict';

import { fromHex, kd, loadVector, toHex } from './support.mjs';

/** @param {any} k */
const publicOf = (k) => ({ ed25519: fromHex(k.ed25519_public_hex), mldsa: fromHex(k.mldsa_public_hex) });

/** @type {Record<string, () => void>} */
export const SIGNING_CHECKS = {};

SIGNING_CHECKS['signing.json'] = () => {
  const s = loadVector('signing.json');
  for (const k of s.keys) {
    const pub = kd.signingPublicOf({ ed25519Seed: fromHex(k.ed25519_seed_hex), mldsaSeed: fromHex(k.mldsa_seed_hex) });
    assert.equal(toHex(pub.ed25519), k.ed25519_public_hex, 'Ed25519 public from seed');
    assert.equal(toHex(pub.mldsa), k.mldsa_public_hex, 'ML-DSA-65 public from seed');
    assert.equal(kd.fingerprint(pub.ed25519, pub.mldsa), k.fingerprint);
  }
  const root = publicOf(s.keys[0]);
  for (const v of s.signatures) {
    kd.verify(root, v.label, fromHex(v.message_hex), fromHex(v.signature_hex));
    assert.throws(
      () => kd.verify(publicOf(s.keys[1]), v.label, fromHex(v.message_hex), fromHex(v.signature_hex)),
      kd.SignatureError,
    );
    assert.throws(() => kd.verify(root, `${v.label}x`, fromHex(v.message_hex), fromHex(v.signature_hex)), kd.SignatureError);
  }
  const label = s.signatures[0].label;
  for (const n of s.negative) {
    assert.throws(
      () => kd.verify(root, label, new TextEncoder().encode('hello'), fromHex(n.signature_hex)),
      kd.SignatureError,
      n.reason,
    );
  }
  kd.verify(publicOf(s.keys[1]), label, new TextEncoder().encode('hello'), fromHex(s.other_signature_hex));
};

SIGNING_CHECKS['key_directory.json'] = () => {
  const d = loadVector('key_directory.json');
  const root = publicOf(loadVector('signing.json').keys[0]);
  const entries = d.entries.map((/** @type {any} */ v) => {
    const e = kd.entryFromJson(v.entry);
    assert.equal(toHex(kd.entryMessage(e)), v.message_hex, `entry ${e.sequence} message`);
    return e;
  });
  const head = kd.verifyChain(entries, root);
  assert.equal(head.sequence, d.head.sequence);
  assert.equal(toHex(head.hash), d.head.hash_hex);
  for (const c of d.current_on) {
    const current = kd.currentEntries(entries, c.today);
    for (const [handler, seq] of Object.entries(c.handler_sequence)) {
      assert.equal(current.get(Number(handler))?.sequence, seq, `${c.today} handler ${handler}`);
    }
  }
  // Rollback and fork against a saved head.
  assert.throws(() => kd.verifyChain(entries.slice(0, 3), root, head), /rollback/);
  const forked = { sequence: 2, hash: new Uint8Array(32) };
  assert.throws(() => kd.verifyChain(entries, root, forked), /fork/);
  for (const bad of d.invalid_chains) {
    for (const everySignature of [true, false]) {
      assert.throws(
        () => kd.verifyChain(bad.entries.map((/** @type {any} */ e) => kd.entryFromJson(e)), root, undefined, { everySignature }),
        kd.DirectoryError,
        `${bad.reason} (everySignature ${everySignature})`,
      );
    }
  }
  assert.equal(toHex(kd.verifyChain(entries, root, undefined, { everySignature: false }).hash), d.head.hash_hex);
  // The keys check: exact keys, right desk, not revoked.
  const current = kd.currentEntries(entries, '2026-03-01');
  const e3 = entries[2];
  kd.checkKeys(current, 1, 'compliance', e3);
  assert.throws(() => kd.checkKeys(current, 1, 'harassment', e3), kd.KeyNotSigned);
  assert.throws(() => kd.checkKeys(current, 1, 'compliance', { x25519: entries[0].x25519, mlkem: e3.mlkem }), kd.KeyNotSigned);
  assert.throws(() => kd.checkKeys(current, 1, 'compliance', { x25519: e3.x25519, mlkem: entries[0].mlkem }), kd.KeyNotSigned);
  assert.throws(() => kd.checkKeys(current, 2, 'harassment', entries[1]), kd.KeyNotSigned);
  assert.throws(() => kd.checkKeys(current, 3, 'compliance', e3), kd.KeyNotSigned);
};
