// The browser module reproduces every deterministic value in tests/vectors/*.json and opens
// every ciphertext there (see tests/vectors/README.md for what each file holds).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';

import { fromHex, hc, loadSodium, loadVector, toHex, VECTORS } from './support.mjs';
import { SIGNING_CHECKS } from './signing-checks.mjs';

/** @param {unknown} fn @param {Function} type */
function throwsA(fn, type) {
  assert.throws(/** @type {() => unknown} */ (fn), (err) => err instanceof type);
}

/** @param {{ops: number, mem_bytes: number}} v */
const paramsOf = (v) => ({ ops: v.ops, memBytes: v.mem_bytes });

/** @type {Record<string, () => void>} */
const CHECKS = { ...SIGNING_CHECKS };

CHECKS['argon2id.json'] = () => {
  const { vectors } = loadVector('argon2id.json');
  assert.ok(vectors.length > 0);
  vectors.forEach((v, i) => {
    const expectedInput = v.kind.startsWith('password')
      ? hc.normalisePassword(v.input)
      : hc.utf8Encode(v.input);
    assert.equal(toHex(expectedInput), v.input_hex, `argon2id[${i}] input bytes`);
    const out = hc.argon2id(fromHex(v.input_hex), fromHex(v.salt_hex), paramsOf(v), v.size);
    assert.equal(toHex(out), v.output_hex, `argon2id[${i}] ${v.kind} ops=${v.ops} mem=${v.mem_bytes}`);
  });
};

CHECKS['keyed_hash.json'] = () => {
  const { vectors } = loadVector('keyed_hash.json');
  assert.ok(vectors.length > 0);
  vectors.forEach((v, i) => {
    const parts = v.parts_hex.map(fromHex);
    assert.equal(toHex(hc.framedMessage(v.label, parts)), v.message_hex, `keyed_hash[${i}] message`);
    const out = hc.keyedHash(fromHex(v.key_hex), v.label, parts, v.size);
    assert.equal(toHex(out), v.output_hex, `keyed_hash[${i}] ${v.label}`);
  });
};

CHECKS['pow.json'] = () => {
  const { vectors } = loadVector('pow.json');
  assert.ok(vectors.length > 0);
  vectors.forEach((v, i) => {
    const challenge = fromHex(v.challenge_hex);
    const digest = hc.submissionDigest(challenge, v.fields_hex.map(fromHex));
    assert.equal(toHex(digest), v.digest_hex, `pow[${i}] digest`);
    assert.equal(toHex(hc.solvePow(challenge, digest, v.bits)), v.nonce_hex, `pow[${i}] nonce`);
    assert.ok(hc.checkPow(challenge, digest, fromHex(v.nonce_hex), v.bits), `pow[${i}] check`);
  });
};

CHECKS['receipts.json'] = () => {
  const r = loadVector('receipts.json');
  // The Damm table: row = interim, column = digit. Check it through dammDigit.
  r.damm_table.forEach((row, interim) => {
    const cells = typeof row === 'string' ? [...row].map(Number) : row;
    cells.forEach((expected, digit) => {
      // A prefix whose interim is `interim`, then `digit`.
      const prefix = prefixWithInterim(interim);
      assert.equal(hc.dammDigit(prefix + String(digit)), expected, `damm[${interim}][${digit}]`);
    });
  });
  for (const d of r.damm) {
    assert.equal(hc.dammDigit(d.body), d.check_digit, `damm ${d.body}`);
    assert.equal(d.receipt, d.body + String(d.check_digit));
    assert.equal(hc.dammDigit(d.receipt), 0);
    assert.ok(hc.isValidReceipt(d.receipt));
  }
  for (const f of r.format) assert.equal(hc.formatReceipt(f.receipt), f.formatted);
  assert.ok(r.parse.some((p) => p.output === null) && r.parse.some((p) => p.output !== null));
  for (const p of r.parse) {
    if (p.output === null) {
      throwsA(() => hc.parseReceipt(p.input), hc.InvalidReceipt);
    } else {
      assert.equal(hc.parseReceipt(p.input), p.output, `parse ${JSON.stringify(p.input)}`);
    }
  }
  for (const d of r.derive) {
    const salt = fromHex(d.salt_hex);
    const params = paramsOf(d);
    if (d.master_hex) {
      assert.equal(toHex(hc.argon2id(hc.utf8Encode(d.receipt), salt, params)), d.master_hex);
      const master = fromHex(d.master_hex);
      assert.equal(toHex(hc.keyedHash(master, r.lookup_label)), d.lookup_tag_hex);
      assert.equal(toHex(hc.keyedHash(master, r.wrap_label)), d.wrap_key_hex);
    }
    const derived = hc.deriveReceipt(d.receipt, salt, params);
    assert.equal(toHex(derived.lookupTag), d.lookup_tag_hex, `derive ${d.receipt} lookup tag`);
    assert.equal(toHex(derived.wrapKey), d.wrap_key_hex, `derive ${d.receipt} wrap key`);
  }
};

/** The shortest digit string (0 to 2 digits) whose Damm interim is `target`. */
function prefixWithInterim(target) {
  if (target === 0) return '';
  for (let d = 0; d < 10; d++) if (hc.dammDigit(String(d)) === target) return String(d);
  for (let d = 0; d < 100; d++) {
    const s = String(d).padStart(2, '0');
    if (hc.dammDigit(s) === target) return s;
  }
  throw new Error(`no prefix for interim ${target}`);
}

CHECKS['padding.json'] = () => {
  const p = loadVector('padding.json');
  for (const b of p.buckets) {
    assert.equal(hc.bucketSize(b.length), b.padded_length, `bucket for ${b.length}`);
    assert.equal(hc.pad(new Uint8Array(b.length)).length, b.padded_length);
  }
  for (const e of p.examples) {
    const padded = hc.pad(fromHex(e.data_hex));
    assert.equal(toHex(padded), e.padded_hex);
    assert.equal(toHex(hc.unpad(fromHex(e.padded_hex))), e.data_hex);
  }
  assert.ok(p.invalid.length > 0);
  for (const bad of p.invalid) throwsA(() => hc.unpad(fromHex(bad.padded_hex)), hc.DecryptionError);
};

CHECKS['aead.json'] = () => {
  const a = loadVector('aead.json');
  a.vectors.forEach((v, i) => {
    const key = fromHex(v.key_hex);
    const sealed = hc.sealWithFixedNonce(key, fromHex(v.plaintext_hex), v.purpose, fromHex(v.nonce_hex));
    assert.equal(toHex(sealed), v.sealed_hex, `aead[${i}] seal`);
    assert.equal(toHex(hc.openSealed(key, fromHex(v.sealed_hex), v.purpose)), v.plaintext_hex);
  });
  assert.ok(a.negative.length > 0);
  for (const n of a.negative) {
    throwsA(() => hc.openSealed(fromHex(n.key_hex), fromHex(n.sealed_hex), n.purpose), hc.DecryptionError);
  }
};

CHECKS['handler_keys.json'] = () => {
  const h = loadVector('handler_keys.json');
  for (const x of h.x25519) assert.equal(toHex(hc.x25519Public(fromHex(x.secret_hex))), x.public_hex);
  for (const m of h.mlkem768) {
    const pub = hc.mlkemPublicFromSeed(fromHex(m.seed_hex));
    assert.equal(pub.length, hc.MLKEM_PUBLIC_BYTES);
    assert.equal(toHex(pub), m.public_hex);
  }
  for (const p of h.password_secrets) {
    assert.equal(toHex(hc.normalisePassword(p.password)), p.password_nfc_hex);
    const s = hc.passwordSecrets(p.password, fromHex(p.salt_hex), paramsOf(p));
    assert.equal(toHex(s.auth), p.auth_hex, `auth for ${p.password}`);
    assert.equal(toHex(s.unwrapKey), p.unwrap_key_hex, `unwrap key for ${p.password}`);
  }
  const w = h.wrapped_private;
  const unwrapKey = fromHex(w.unwrap_key_hex);
  const bundle = fromHex(w.bundle_hex);
  assert.equal(toHex(hc.sealWithFixedNonce(unwrapKey, bundle, w.purpose, fromHex(w.nonce_hex))), w.wrapped_hex);
  const opened = hc.unwrapPrivate(fromHex(w.wrapped_hex), unwrapKey);
  assert.equal(toHex(opened.x25519) + toHex(opened.mlkemSeed), w.bundle_hex);
  throwsA(() => hc.unwrapPrivate(fromHex(w.wrapped_hex), new Uint8Array(32)), hc.DecryptionError);

  const r = h.recovery;
  const raw = fromHex(r.raw_hex);
  assert.equal(hc.formatRecoveryKey(raw), r.recovery_key);
  assert.equal(toHex(hc.parseRecoveryKey(r.recovery_key)), r.raw_hex);
  assert.equal(toHex(hc.parseRecoveryKey(` ${r.recovery_key.toLowerCase().replaceAll('-', ' ')} `)), r.raw_hex);
  assert.equal(toHex(hc.keyedHash(raw, r.label)), r.wrap_key_hex);
  const wrapKey = fromHex(r.wrap_key_hex);
  const sealed = hc.sealWithFixedNonce(wrapKey, fromHex(r.bundle_hex), r.purpose, fromHex(r.nonce_hex));
  assert.equal(toHex(sealed), r.wrapped_hex);
  const recovered = hc.unwrapWithRecoveryKey(fromHex(r.wrapped_hex), r.recovery_key);
  assert.equal(toHex(recovered.x25519) + toHex(recovered.mlkemSeed), r.bundle_hex);
};

const aboutOf = (v) => ({ kind: v.kind, caseId: v.case_id, handlerId: v.handler_id });
const asciiParts = (parts) => parts.map((p) => hc.utf8Encode(p));

CHECKS['grants.json'] = () => {
  const g = loadVector('grants.json');
  assert.ok(g.vectors.length > 0);
  assert.equal(g.purpose, hc.GRANT_PURPOSE);
  assert.equal(g.grant_bytes, hc.GRANT_BYTES);
  const privOf = (v) => ({ x25519: fromHex(v.recipient.x25519_secret_hex), mlkemSeed: fromHex(v.recipient.mlkem_seed_hex) });
  g.vectors.forEach((v, i) => {
    const priv = privOf(v);
    const pub = hc.publicKeysOf(priv);
    assert.equal(toHex(pub.x25519), v.recipient.x25519_public_hex);
    assert.equal(toHex(pub.mlkem), v.recipient.mlkem_public_hex);
    const grant = fromHex(v.grant_hex);
    assert.equal(grant.length, g.grant_bytes);
    const context = hc.grantContext(aboutOf(v));
    assert.equal(toHex(hc.associatedData(g.purpose, context)), v.ad_hex, `grant[${i}] ad`);
    // The wrap key from the given intermediates, by the module's keyed hash.
    const wrapKey = hc.keyedHash(
      hc.concatBytes(fromHex(v.mlkem_shared_hex), fromHex(v.x25519_shared_hex)),
      g.label,
      [grant.subarray(0, 32), grant.subarray(32, 1120), pub.x25519, pub.mlkem],
    );
    assert.equal(toHex(wrapKey), v.wrap_key_hex, `grant[${i}] wrap key`);
    assert.equal(toHex(hc.openSealed(wrapKey, grant.subarray(1120), g.purpose, context)), v.key_hex);
    assert.equal(toHex(hc.openGrant(grant, priv, aboutOf(v))), v.key_hex, `grant[${i}] key`);
    const tampered = grant.slice();
    tampered[40] ^= 1;
    throwsA(() => hc.openGrant(tampered, priv, aboutOf(v)), hc.DecryptionError);
  });
  assert.ok(g.negative.length >= 3);
  for (const n of g.negative) {
    const v = g.vectors[n.vector];
    throwsA(() => hc.openGrant(fromHex(v.grant_hex), privOf(v), aboutOf(n)), hc.DecryptionError);
  }
};

CHECKS['sealing.json'] = () => {
  const s = loadVector('sealing.json');
  const keys = { case_key: fromHex(s.case_key_hex), notes_key: fromHex(s.notes_key_hex) };
  assert.ok(s.documents.length > 0 && s.texts.length > 0);
  for (const d of s.documents) {
    const key = keys[d.key];
    assert.ok(key, `unknown key name ${d.key}`);
    const context = asciiParts(d.context);
    assert.equal(toHex(hc.associatedData(d.purpose, context)), d.ad_hex);
    assert.equal(hc.serialiseDocument(d.document), d.serialised);
    const padded = hc.pad(hc.utf8Encode(d.serialised));
    assert.equal(toHex(hc.sealWithFixedNonce(key, padded, d.purpose, fromHex(d.nonce_hex), context)), d.sealed_hex);
    assert.deepEqual(hc.openDocument(key, fromHex(d.sealed_hex), d.purpose, context), d.document);
    throwsA(() => hc.openDocument(key, fromHex(d.sealed_hex), d.purpose), hc.DecryptionError);
  }
  const report = s.documents.find((d) => d.purpose === hc.REPORT);
  assert.deepEqual(hc.openReport(keys.case_key, fromHex(report.sealed_hex), report.context[0]), report.document);
  const meta = s.documents.find((d) => d.purpose === hc.ATTACHMENT_META);
  assert.deepEqual(hc.openAttachmentMeta(keys.case_key, fromHex(meta.sealed_hex), meta.context[0]), meta.document);
  for (const t of s.texts) {
    const key = keys[t.key];
    assert.ok(key, `unknown key name ${t.key}`);
    const context = asciiParts(t.context);
    assert.equal(toHex(hc.associatedData(t.purpose, context)), t.ad_hex);
    const padded = hc.pad(hc.utf8Encode(t.text));
    assert.equal(toHex(hc.sealWithFixedNonce(key, padded, t.purpose, fromHex(t.nonce_hex), context)), t.sealed_hex);
    assert.equal(hc.openText(key, fromHex(t.sealed_hex), t.purpose, context), t.text);
    const [caseId, author, seq] = t.context;
    if (t.purpose === hc.MESSAGE) {
      assert.equal(hc.openMessage(key, fromHex(t.sealed_hex), caseId, author, Number(seq)), t.text);
    } else {
      const handlerId = Number(author.slice('handler:'.length));
      assert.equal(hc.openNote(key, fromHex(t.sealed_hex), caseId, handlerId, Number(seq)), t.text);
    }
  }
  assert.ok(s.moved.length >= 4);
  for (const m of s.moved) {
    const t = s.texts[m.text];
    throwsA(() => hc.openText(keys[t.key], fromHex(t.sealed_hex), t.purpose, asciiParts(m.context)), hc.DecryptionError);
  }
  for (const id of s.case_ids.valid) assert.ok(hc.isCaseId(id), id);
  for (const id of s.case_ids.invalid) assert.ok(!hc.isCaseId(id), id);
  assert.ok(hc.isCaseId(hc.newCaseId()));
  const r = s.reporter_case_key;
  assert.equal(r.purpose, hc.REPORTER_KEY);
  const wrapKey = fromHex(r.wrap_key_hex);
  assert.equal(toHex(hc.sealWithFixedNonce(wrapKey, keys.case_key, r.purpose, fromHex(r.nonce_hex))), r.sealed_hex);
  assert.equal(toHex(hc.unwrapCaseKeyForReporter(fromHex(r.sealed_hex), wrapKey)), s.case_key_hex);
  const f = s.file_key;
  assert.equal(f.purpose, hc.FILE_KEY);
  const fileContext = asciiParts(f.context);
  assert.equal(toHex(hc.associatedData(f.purpose, fileContext)), f.ad_hex);
  assert.equal(toHex(hc.sealWithFixedNonce(keys.case_key, fromHex(f.file_key_hex), f.purpose, fromHex(f.nonce_hex), fileContext)), f.sealed_hex);
  assert.equal(toHex(hc.openFileKey(keys.case_key, fromHex(f.sealed_hex), f.context[0])), f.file_key_hex);
  throwsA(() => hc.openFileKey(keys.case_key, fromHex(f.sealed_hex), 'HL-0000000001'), hc.DecryptionError);
};

const sodium = await loadSodium();

/**
 * A secretstream built block by block with the given tags (the recipes in attachments.json).
 * @param {Uint8Array} key
 * @param {{tag: number, length: number, set: [number, string][]}[]} blocks
 */
function streamOf(key, blocks) {
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const parts = [header];
  for (const b of blocks) {
    const plain = new Uint8Array(b.length);
    for (const [offset, hex] of b.set) plain.set(fromHex(hex), offset);
    parts.push(sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, null, b.tag));
  }
  return hc.concatBytes(...parts);
}

/** Async: decryptFile returns a promise. */
const ASYNC_CHECKS = {
  async 'attachments.json'() {
    const a = loadVector('attachments.json');
    const fileKey = fromHex(a.file_key_hex);
    assert.equal(a.chunk_bytes, hc.CHUNK_BYTES);
    assert.equal(a.min_bucket, hc.MIN_FILE_BUCKET);
    assert.equal(a.trailer_bytes, hc.FILE_TRAILER_BYTES);
    assert.equal(a.description_max_bytes, hc.DESCRIPTION_MAX_BYTES);
    for (const v of a.buckets) {
      assert.equal(hc.fileBucketSize(v.length), v.bucket, `bucket of ${v.length}`);
      assert.equal(hc.encryptedFileSize(v.length), v.encrypted_size, `encrypted size of ${v.length}`);
    }
    /** @param {{length: number, plaintext_sha256: string, ciphertext_hex: string}} v */
    const opens = async (v) => {
      const ciphertext = fromHex(v.ciphertext_hex);
      const plain = await hc.decryptFile(fileKey, ciphertext);
      assert.equal(plain.length, v.length);
      assert.equal(createHash('sha256').update(plain).digest('hex'), v.plaintext_sha256);
      for (let i = 0; i < plain.length; i++) {
        if (plain[i] !== i % 251) assert.fail(`attachment ${v.length}: byte ${i}`);
      }
      await assert.rejects(hc.decryptFile(new Uint8Array(32), ciphertext), hc.DecryptionError);
      await assert.rejects(hc.decryptFile(fileKey, ciphertext.subarray(0, ciphertext.length - 1)), hc.DecryptionError);
      return ciphertext;
    };
    assert.ok(a.padded.length > 0 && a.unpadded.length > 0);
    /** @type {Map<number, Set<number>>} */
    const byBucket = new Map();
    for (const v of a.padded) {
      const ciphertext = await opens(v);
      assert.equal(ciphertext.length, hc.encryptedFileSize(v.length), `layout for ${v.length} bytes`);
      // This side's own encryption of the same bytes has the same length.
      const mine = await hc.encryptFile(fileKey, Uint8Array.from({ length: v.length }, (_, i) => i % 251));
      assert.equal(mine.length, ciphertext.length);
      byBucket.set(v.bucket, (byBucket.get(v.bucket) ?? new Set()).add(ciphertext.length));
    }
    assert.ok(a.padded.length > byBucket.size);
    for (const lengths of byBucket.values()) assert.equal(lengths.size, 1);
    for (const v of a.unpadded) await opens(v);
    assert.ok(a.recipes.some((/** @type {{expect_hex: string | null}} */ r) => r.expect_hex !== null));
    for (const r of a.recipes) {
      const ciphertext = streamOf(fileKey, r.blocks);
      if (r.expect_hex === null) await assert.rejects(hc.decryptFile(fileKey, ciphertext), hc.DecryptionError, r.why);
      else assert.equal(toHex(await hc.decryptFile(fileKey, ciphertext)), r.expect_hex, r.why);
    }
    const caseKey = hc.randomBytes(32);
    for (const d of a.descriptions) {
      const document = hc.describeFile(d.name, d.type, d.size, d.metadata_stripped);
      assert.deepEqual(document, d.document);
      assert.equal(hc.sealDocument(caseKey, document, hc.ATTACHMENT_META).length, 24 + 16 + 1024);
    }
  },
};

describe('tests/vectors', () => {
  const files = readdirSync(VECTORS).filter((name) => name.endsWith('.json')).sort();

  test('vector files exist and each has a check here', () => {
    assert.ok(files.length > 0, 'no vector files');
    const known = new Set([...Object.keys(CHECKS), ...Object.keys(ASYNC_CHECKS)]);
    for (const name of files) assert.ok(known.has(name), `no JavaScript check for ${name}`);
  });

  test('purpose constants match the vectors', () => {
    const s = loadVector('sealing.json');
    assert.equal(s.documents[0].purpose, hc.REPORT);
    assert.ok(s.texts.some((t) => t.purpose === hc.MESSAGE));
    assert.ok(s.texts.some((t) => t.purpose === hc.NOTE));
  });

  for (const name of files) {
    if (CHECKS[name]) test(name, () => CHECKS[name]());
    if (ASYNC_CHECKS[name]) test(name, () => ASYNC_CHECKS[name]());
  }
});
