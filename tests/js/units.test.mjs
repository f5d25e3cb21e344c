// Round trips and refusals of the browser module, without Python.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CHEAP, hc } from './support.mjs';

/** @param {() => unknown} fn @param {Function} type */
function throwsA(fn, type) {
  assert.throws(fn, (err) => err instanceof type);
}

/** @param {number} length */
function sample(length) {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) % 256;
  return out;
}

describe('receipts', () => {
  const receipts = ['1234567890123450', '0000000000000000', hc.generateReceipt(), hc.generateReceipt()]
    .map((r) => r.slice(0, 15) + String(hc.dammDigit(r.slice(0, 15))));

  test('Damm catches every single-digit error', () => {
    for (const receipt of receipts) {
      assert.equal(hc.dammDigit(receipt), 0);
      for (let pos = 0; pos < 16; pos++) {
        for (let d = 0; d < 10; d++) {
          if (String(d) === receipt[pos]) continue;
          const typo = receipt.slice(0, pos) + String(d) + receipt.slice(pos + 1);
          assert.notEqual(hc.dammDigit(typo), 0, `${typo} slipped through`);
          assert.equal(hc.isValidReceipt(typo), false);
          assert.throws(() => hc.parseReceipt(typo), hc.InvalidReceipt);
        }
      }
    }
  });

  test('Damm catches every adjacent transposition', () => {
    for (const receipt of receipts) {
      for (let pos = 0; pos < 15; pos++) {
        if (receipt[pos] === receipt[pos + 1]) continue;
        const swapped = receipt.slice(0, pos) + receipt[pos + 1] + receipt[pos] + receipt.slice(pos + 2);
        assert.notEqual(hc.dammDigit(swapped), 0, `${swapped} slipped through`);
      }
    }
  });

  test('generateReceipt gives 16 digits with a valid check digit, all digits in use', () => {
    const seen = new Set();
    for (let i = 0; i < 200; i++) {
      const r = hc.generateReceipt();
      assert.match(r, /^[0-9]{16}$/);
      assert.ok(hc.isValidReceipt(r));
      for (const ch of r.slice(0, 15)) seen.add(ch);
    }
    assert.equal(seen.size, 10);
  });

  test('format and parse', () => {
    const r = '1234567890123450';
    assert.equal(hc.formatReceipt(r), '1234 5678 9012 3450');
    const full = [...r].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xff10 - 0x30)).join('');
    for (const text of [
      r,
      hc.formatReceipt(r),
      '1234-5678-9012-3450',
      '  1234 5678\t9012\n3450  ',
      '1234\u20135678\u20149012\u20103450',
      full,
      `${full.slice(0, 4)}\u3000${full.slice(4, 8)}\u3000${full.slice(8)}`,
      `1234 ${full.slice(4)}`,
    ]) {
      assert.equal(hc.parseReceipt(text), r, JSON.stringify(text));
    }
  });

  test('parse refuses bad length, bad characters and bad check digits', () => {
    for (const text of [
      '', '123456789012345', '12345678901234500', '123456789012345a', '1234567890123453',
      '1234.5678.9012.3450', `${' '.repeat(60)}1234567890123450`, '１２３４５６７８９０１２３４５３',
    ]) {
      assert.throws(() => hc.parseReceipt(text), hc.InvalidReceipt, JSON.stringify(text));
    }
    assert.throws(() => hc.parseReceipt(/** @type {any} */ (1234)), hc.InvalidReceipt);
    assert.throws(() => hc.parseReceipt('1234567890123453'), /check digit/);
  });

  test('deriveReceipt is deterministic and separates tag from wrap key', () => {
    const salt = new Uint8Array(16).fill(7);
    const a = hc.deriveReceipt('1234567890123450', salt, CHEAP);
    const b = hc.deriveReceipt('1234567890123450', salt, CHEAP);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.lookupTag, a.wrapKey);
    const other = hc.deriveReceipt('0000000000000000', salt, CHEAP);
    assert.notDeepEqual(a.lookupTag, other.lookupTag);
    const caseKey = hc.randomBytes(32);
    const wrapped = hc.wrapCaseKeyForReporter(caseKey, a.wrapKey);
    assert.deepEqual(hc.unwrapCaseKeyForReporter(wrapped, b.wrapKey), caseKey);
    throwsA(() => hc.unwrapCaseKeyForReporter(wrapped, other.wrapKey), hc.DecryptionError);
  });
});

describe('primitives', () => {
  test('argon2id refuses bad salts and parameters', () => {
    const secret = hc.utf8Encode('x');
    assert.throws(() => hc.argon2id(secret, new Uint8Array(15), CHEAP), RangeError);
    assert.throws(() => hc.argon2id(secret, new Uint8Array(16), { ops: 0, memBytes: 8192 }), RangeError);
    assert.throws(() => hc.argon2id(secret, new Uint8Array(16), { ops: 1, memBytes: 4096 }), RangeError);
    assert.equal(hc.argon2id(secret, new Uint8Array(16), CHEAP, 64).length, 64);
  });

  test('keyedHash frames its parts and checks the key size', () => {
    const key = new Uint8Array(32).fill(1);
    const ab = hc.keyedHash(key, 'l', [hc.utf8Encode('ab'), hc.utf8Encode('c')]);
    const bc = hc.keyedHash(key, 'l', [hc.utf8Encode('a'), hc.utf8Encode('bc')]);
    assert.notDeepEqual(ab, bc);
    assert.deepEqual(hc.framedMessage('l', [hc.utf8Encode('ab')]), Uint8Array.from([0, 0, 0, 1, 108, 0, 0, 0, 2, 97, 98]));
    assert.throws(() => hc.keyedHash(new Uint8Array(15), 'l'), RangeError);
    assert.throws(() => hc.keyedHash(new Uint8Array(65), 'l'), RangeError);
    assert.throws(() => hc.keyedHash(key, 'läbel'), TypeError);
    assert.equal(hc.keyedHash(key, 'l', [], 64).length, 64);
  });

  test('seal and open, with purpose binding and tamper detection', () => {
    const key = hc.randomBytes(32);
    const plain = sample(100);
    const sealed = hc.seal(key, plain, hc.MESSAGE);
    assert.equal(sealed.length, 24 + 100 + 16);
    assert.notDeepEqual(hc.seal(key, plain, hc.MESSAGE).subarray(0, 24), sealed.subarray(0, 24));
    assert.deepEqual(hc.openSealed(key, sealed, hc.MESSAGE), plain);
    throwsA(() => hc.openSealed(key, sealed, hc.NOTE), hc.DecryptionError);
    throwsA(() => hc.openSealed(hc.randomBytes(32), sealed, hc.MESSAGE), hc.DecryptionError);
    throwsA(() => hc.openSealed(key, sealed.subarray(0, 39), hc.MESSAGE), hc.DecryptionError);
    for (const at of [0, 30, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at] ^= 0x80;
      throwsA(() => hc.openSealed(key, bad, hc.MESSAGE), hc.DecryptionError);
    }
    assert.throws(() => hc.seal(new Uint8Array(16), plain, hc.MESSAGE), RangeError);
  });

  test('pad and unpad', () => {
    for (const [n, size] of [[0, 1024], [1020, 1024], [1021, 2048], [5000, 8192]]) {
      const data = sample(n);
      const padded = hc.pad(data);
      assert.equal(padded.length, size);
      assert.deepEqual(hc.unpad(padded), data);
    }
    throwsA(() => hc.unpad(new Uint8Array(3)), hc.DecryptionError);
    throwsA(() => hc.unpad(Uint8Array.from([0, 0, 0, 5, 1, 2, 3])), hc.DecryptionError);
  });

  test('base64 and UTF-8 helpers', () => {
    for (const n of [0, 1, 2, 3, 100, 70000]) {
      const data = sample(n);
      const text = hc.toBase64(data);
      assert.equal(text, Buffer.from(data).toString('base64'));
      assert.deepEqual(hc.fromBase64(text), data);
    }
    for (const bad of ['abc', 'ab-_', 'YQ', 'Y Q==', 'YQ==YQ==']) assert.throws(() => hc.fromBase64(bad), TypeError);
    assert.equal(hc.utf8Decode(hc.utf8Encode('\ufeff日本')), '\ufeff日本');
    assert.throws(() => hc.utf8Decode(Uint8Array.from([0xc3])), TypeError);
    assert.throws(() => hc.utf8Encode('\ud800'), TypeError);
    assert.deepEqual(hc.normalisePassword('cafe\u0301'), hc.utf8Encode('caf\u00e9'));
  });
});

describe('sealing', () => {
  test('documents serialise as Python json.dumps(sort_keys, compact, ensure_ascii=False)', () => {
    assert.equal(hc.serialiseDocument({ b: 1, a: [true, null, 'x'] }), '{"a":[true,null,"x"],"b":1}');
    assert.equal(hc.serialiseDocument({ n: [1.5, 0.1, 1e-5, 1.5e-7, 0.0001, -0, 1e21, 12345678.9] }),
      '{"n":[1.5,0.1,1e-05,1.5e-07,0.0001,0,1000000000000000000000,12345678.9]}');
    assert.equal(hc.serialiseDocument({ s: 'a"b\\c\n\u0001\u007f\u2028日本😀' }),
      '{"s":"a\\"b\\\\c\\n\\u0001\u007f\u2028日本😀"}');
    // Python sorts keys by code point: U+FF61 < U+1F600, although UTF-16 says otherwise.
    assert.equal(hc.serialiseDocument({ '😀': 1, '｡': 2, a: { z: 1, y: 2 } }), '{"a":{"y":2,"z":1},"｡":2,"😀":1}');
    assert.equal(hc.serialiseDocument({ u: undefined, d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
    assert.throws(() => hc.serialiseDocument({ x: NaN }), TypeError);
    assert.throws(() => hc.serialiseDocument({ x: '\udc00' }), TypeError);
    assert.throws(() => hc.serialiseDocument(/** @type {any} */ ([1])), TypeError);
  });

  test('documents and texts round-trip and stay in buckets', () => {
    const key = hc.randomBytes(32);
    const doc = { title: '架空請求', body: 'x'.repeat(3000), people: ['山田'], n: 5, ok: true, none: null };
    const sealed = hc.sealDocument(key, doc, hc.REPORT);
    assert.equal(sealed.length, 24 + 4096 + 16);
    assert.deepEqual(hc.openDocument(key, sealed, hc.REPORT), doc);
    throwsA(() => hc.openDocument(key, sealed, hc.MESSAGE), hc.DecryptionError);
    const notDoc = hc.sealText(key, '[1,2]', hc.REPORT);
    throwsA(() => hc.openDocument(key, notDoc, hc.REPORT), hc.DecryptionError);
    const text = hc.sealText(key, 'ご報告ありがとうございます。', hc.MESSAGE);
    assert.equal(text.length, 24 + 1024 + 16);
    assert.equal(hc.openText(key, text, hc.MESSAGE), 'ご報告ありがとうございます。');
    assert.equal(hc.openText(key, hc.sealText(key, '', hc.NOTE), hc.NOTE), '');
    const badUtf8 = hc.seal(key, hc.pad(Uint8Array.from([0xff])), hc.MESSAGE);
    throwsA(() => hc.openText(key, badUtf8, hc.MESSAGE), hc.DecryptionError);
  });

  test('purpose constants', () => {
    assert.equal(hc.REPORT, 'hotline:report:v2');
    assert.equal(hc.MESSAGE, 'hotline:message:v2');
    assert.equal(hc.NOTE, 'hotline:note:v2');
    assert.equal(hc.REPORTER_KEY, 'hotline:reporter-case-key:v1');
    assert.equal(hc.FILE_KEY, 'hotline:file-key:v2');
    assert.equal(hc.ATTACHMENT_META, 'hotline:attachment-meta:v2');
  });

  test('a message, note or report moved to another case, author or place does not open', () => {
    const key = hc.randomBytes(32);
    const caseId = hc.newCaseId();
    const other = hc.newCaseId();
    const sealed = hc.sealMessage(key, 'hello', caseId, hc.handlerAuthor(3), 4);
    assert.equal(hc.openMessage(key, sealed, caseId, 'handler:3', 4), 'hello');
    throwsA(() => hc.openMessage(key, sealed, other, 'handler:3', 4), hc.DecryptionError);
    throwsA(() => hc.openMessage(key, sealed, caseId, 'handler:5', 4), hc.DecryptionError);
    throwsA(() => hc.openMessage(key, sealed, caseId, hc.REPORTER, 4), hc.DecryptionError);
    throwsA(() => hc.openMessage(key, sealed, caseId, 'handler:3', 3), hc.DecryptionError);
    throwsA(() => hc.openNote(key, sealed, caseId, 3, 4), hc.DecryptionError);
    const note = hc.sealNote(key, 'n', caseId, 3, 0);
    assert.equal(hc.openNote(key, note, caseId, 3, 0), 'n');
    throwsA(() => hc.openNote(key, note, other, 3, 0), hc.DecryptionError);
    const report = hc.sealReport(key, { fields: {} }, caseId);
    assert.deepEqual(hc.openReport(key, report, caseId), { fields: {} });
    throwsA(() => hc.openReport(key, report, other), hc.DecryptionError);
    throwsA(() => hc.sealMessage(key, 'x', 'HL-bad', 'reporter', 0), hc.CryptoError);
    throwsA(() => hc.sealMessage(key, 'x', caseId, 'handler:0', 0), hc.CryptoError);
    throwsA(() => hc.sealMessage(key, 'x', caseId, 'reporter', -1), hc.CryptoError);
  });
});

describe('handler keys and grants', () => {
  const priv = hc.generatePrivate();
  const pub = hc.publicKeysOf(priv);

  test('create, unwrap with password and with recovery key, rewrap', () => {
    const created = hc.createHandlerKeys('pässword', CHEAP);
    assert.equal(created.public.mlkem.length, 1184);
    const secrets = hc.passwordSecrets('pa\u0308ssword', created.salt, CHEAP); // NFD input
    assert.deepEqual(secrets.auth, created.auth);
    const opened = hc.unwrapPrivate(created.wrappedPrivate, secrets.unwrapKey);
    assert.deepEqual(opened, created.private);
    throwsA(() => hc.unwrapPrivate(created.wrappedPrivate, secrets.auth), hc.DecryptionError);
    assert.match(created.recoveryKey, /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
    assert.deepEqual(hc.unwrapWithRecoveryKey(created.recoveryWrappedPrivate, created.recoveryKey.toLowerCase()), created.private);
    throwsA(() => hc.unwrapWithRecoveryKey(created.recoveryWrappedPrivate, 'AAAA-BBBB'), hc.DecryptionError);
    throwsA(() => hc.unwrapWithRecoveryKey(created.recoveryWrappedPrivate, hc.formatRecoveryKey(hc.randomBytes(32))), hc.DecryptionError);
    // Only the canonical encoding: the last character carries 1 bit and 4 zero bits.
    const raw = hc.randomBytes(32);
    const text = hc.formatRecoveryKey(raw);
    assert.match(text, /[AQ]$/);
    assert.deepEqual(hc.parseRecoveryKey(text), raw);
    const nonCanonical = text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'R');
    throwsA(() => hc.parseRecoveryKey(nonCanonical), hc.DecryptionError);
    throwsA(() => hc.parseRecoveryKey(`${text}A`), hc.DecryptionError);
    throwsA(() => hc.parseRecoveryKey(text.slice(0, -1)), hc.DecryptionError);
    throwsA(() => hc.parseRecoveryKey(text.replace(/[A-Z]/, '0')), hc.DecryptionError);
    const re = hc.rewrapWithPassword(created.private, 'new password', CHEAP);
    assert.deepEqual(hc.unwrapPrivate(re.wrapped, hc.passwordSecrets('new password', re.salt, CHEAP).unwrapKey), created.private);
  });

  test('recoveryAuth: keyed BLAKE2b of the parsed key, same for any spelling, not the wrap key', () => {
    const raw = hc.randomBytes(32);
    const text = hc.formatRecoveryKey(raw);
    const proof = hc.recoveryAuth(text);
    assert.equal(proof.length, 32);
    assert.deepEqual(proof, hc.keyedHash(raw, 'hotline:recovery:auth:v1'));
    assert.deepEqual(hc.recoveryAuth(text.toLowerCase().replaceAll('-', ' ')), proof);
    assert.notDeepEqual(proof, hc.keyedHash(raw, 'hotline:recovery:wrap:v1'));
    assert.notDeepEqual(hc.recoveryAuth(hc.formatRecoveryKey(hc.randomBytes(32))), proof);
    throwsA(() => hc.recoveryAuth('AAAA-BBBB'), hc.DecryptionError);
  });

  const about = { kind: hc.CASE_KEY, caseId: 'HL-7QX2M9K4TB', handlerId: 7 };

  test('grant round trip', () => {
    const key = hc.newKey();
    const grant = hc.makeGrant(key, pub, about);
    assert.equal(grant.length, 32 + 1088 + 24 + 32 + 16);
    assert.equal(grant.length, hc.GRANT_BYTES);
    assert.deepEqual(hc.openGrant(grant, priv, about), key);
    assert.notDeepEqual(hc.makeGrant(key, pub, about), grant);
  });

  test('a grant is bound to its case, recipient and kind', () => {
    const grant = hc.makeGrant(hc.newKey(), pub, about);
    throwsA(() => hc.openGrant(grant, priv, { ...about, caseId: 'HL-0000000001' }), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant, priv, { ...about, handlerId: 8 }), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant, priv, { ...about, kind: hc.NOTES_KEY }), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant, priv, { ...about, kind: 'other' }), hc.CryptoError);
  });

  test('a grant names a well-formed case and recipient (as crypto/grants.py)', () => {
    const key = hc.newKey();
    const grant = hc.makeGrant(key, pub, about);
    const bad = [
      { ...about, caseId: '' },
      { ...about, caseId: 'HL-7QX2M9K4T' },
      { kind: hc.NOTES_KEY, caseId: 'hl-7qx2m9k4tb', handlerId: 7 },
      { ...about, caseId: 'HL-7QX2M9K4TＢ' },
      { ...about, caseId: 'HL-7QX2M9K4TB\n' },
      { ...about, handlerId: 0 },
      { kind: hc.BACKUP_KEY, caseId: 'HL-7QX2M9K4TB', handlerId: 0 },
      { kind: hc.BACKUP_KEY, caseId: '', handlerId: 7 },
    ];
    for (const other of bad) {
      throwsA(() => hc.makeGrant(key, pub, other), hc.CryptoError);
      throwsA(() => hc.openGrant(grant, priv, other), hc.CryptoError);
    }
    const backup = { kind: hc.BACKUP_KEY, caseId: '', handlerId: 0 };
    assert.deepEqual(hc.openGrant(hc.makeGrant(key, pub, backup), priv, backup), key);
  });

  test('tampered, truncated or misdirected grants do not open', () => {
    const grant = hc.makeGrant(hc.newKey(), pub, about);
    for (const at of [0, 31, 32, 600, 1119, 1120, 1150, grant.length - 1]) {
      const bad = grant.slice();
      bad[at] ^= 0x01;
      throwsA(() => hc.openGrant(bad, priv, about), hc.DecryptionError);
    }
    throwsA(() => hc.openGrant(grant.subarray(0, 1120), priv, about), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant.subarray(0, grant.length - 1), priv, about), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant, hc.generatePrivate(), about), hc.DecryptionError);
    // Only one half of the recipient's keys right: still closed.
    throwsA(() => hc.openGrant(grant, { x25519: priv.x25519, mlkemSeed: hc.randomBytes(64) }, about), hc.DecryptionError);
    throwsA(() => hc.openGrant(grant, { x25519: hc.randomBytes(32), mlkemSeed: priv.mlkemSeed }, about), hc.DecryptionError);
  });

  test('makeGrant refuses malformed or low-order public keys', () => {
    const key = hc.newKey();
    throwsA(() => hc.makeGrant(key, { x25519: pub.x25519, mlkem: pub.mlkem.subarray(1) }, about), hc.CryptoError);
    throwsA(() => hc.makeGrant(key, { x25519: new Uint8Array(32), mlkem: pub.mlkem }, about), hc.CryptoError);
    assert.throws(() => hc.makeGrant(new Uint8Array(16), pub, about), RangeError);
  });
});

describe('attachments', () => {
  const fileKey = hc.newFileKey();

  for (const length of [0, 1, 65536, 65537, 200000]) {
    test(`encrypt and decrypt ${length} bytes`, async () => {
      const data = sample(length);
      const sealed = await hc.encryptFile(fileKey, data);
      assert.equal(sealed.length, hc.encryptedFileSize(length));
      assert.deepEqual(await hc.decryptFile(fileKey, sealed), data);
      assert.deepEqual(await hc.decryptFile(fileKey, new Blob([sealed])), data);
      const fromBlob = await hc.encryptFile(fileKey, new Blob([data.subarray(0, 7), data.subarray(7)]));
      assert.equal(fromBlob.length, sealed.length);
      assert.deepEqual(await hc.decryptFile(fileKey, fromBlob), data);
      await assert.rejects(hc.decryptFile(hc.newFileKey(), sealed), hc.DecryptionError);
      await assert.rejects(hc.decryptFile(fileKey, sealed.subarray(0, sealed.length - 1)), hc.DecryptionError);
    });
  }

  test('truncated, extended, reordered or altered files do not open', async () => {
    const data = sample(200000);
    const sealed = await hc.encryptFile(fileKey, data);
    const block = 65536 + 17;
    const cut = sealed.subarray(0, 24 + 2 * block); // ends on a MESSAGE block
    await assert.rejects(hc.decryptFile(fileKey, cut), /truncated/);
    await assert.rejects(hc.decryptFile(fileKey, sealed.subarray(0, 20)), /too short/);
    await assert.rejects(hc.decryptFile(fileKey, sealed.subarray(0, sealed.length - 1)), hc.DecryptionError);
    // Bytes after the FINAL block join it (blocks are read 65553 bytes at a time) and break it.
    const empty = await hc.encryptFile(fileKey, new Uint8Array(0));
    await assert.rejects(hc.decryptFile(fileKey, hc.concatBytes(empty, empty.subarray(24))), hc.DecryptionError);
    await assert.rejects(hc.decryptFile(fileKey, hc.concatBytes(sealed, Uint8Array.of(0))), hc.DecryptionError);
    const swapped = hc.concatBytes(
      sealed.subarray(0, 24), sealed.subarray(24 + block, 24 + 2 * block), sealed.subarray(24, 24 + block),
      sealed.subarray(24 + 2 * block),
    );
    await assert.rejects(hc.decryptFile(fileKey, swapped), hc.DecryptionError);
    const flipped = sealed.slice();
    flipped[24 + block + 5] ^= 1;
    await assert.rejects(hc.decryptFile(fileKey, flipped), hc.DecryptionError);
  });

  test('files in one bucket encrypt to one length, and the length is recovered', async () => {
    const lengths = [0, 1, 5000, 65536];
    const sealed = await Promise.all(lengths.map((n) => hc.encryptFile(fileKey, sample(n))));
    assert.deepEqual(new Set(sealed.map((c) => c.length)), new Set([hc.encryptedFileSize(0)]));
    for (const [i, c] of sealed.entries()) assert.deepEqual(await hc.decryptFile(fileKey, c), sample(lengths[i]));
    assert.notEqual((await hc.encryptFile(fileKey, sample(65537))).length, sealed[0].length);
    for (let n = 65537; n < 3e7; n = Math.floor(n * 1.37)) {
      const bucket = hc.fileBucketSize(n);
      assert.ok(bucket >= n && bucket < 1.25 * n && bucket % 16384 === 0, `bucket of ${n}`);
    }
  });

  test('a description always fits one padding bucket', () => {
    const caseKey = hc.randomBytes(32);
    for (const name of ['a.pdf', '\u0001'.repeat(200), '名前'.repeat(300), '😀'.repeat(300)]) {
      const doc = hc.describeFile(name, 'x'.repeat(300), 1e10, true);
      assert.ok(name.startsWith(doc.name) && doc.type.length === 100);
      assert.equal(hc.sealDocument(caseKey, doc, hc.ATTACHMENT_META).length, 24 + 16 + 1024);
    }
  });

  test('file keys are sealed under the case key, bound to the case', () => {
    const caseKey = hc.randomBytes(32);
    const sealed = hc.sealFileKey(caseKey, fileKey, 'HL-7QX2M9K4TB');
    assert.deepEqual(hc.openFileKey(caseKey, sealed, 'HL-7QX2M9K4TB'), fileKey);
    throwsA(() => hc.openFileKey(caseKey, sealed, 'HL-0000000001'), hc.DecryptionError);
    throwsA(() => hc.openSealed(caseKey, sealed, hc.MESSAGE), hc.DecryptionError);
  });
});

describe('proof of work', () => {
  test('solvePow finds the first counter that checkPow accepts', () => {
    const challenge = hc.randomBytes(32);
    const digest = hc.submissionDigest(challenge, [hc.randomBytes(40)]);
    for (const bits of [0, 4, 12]) {
      const nonce = hc.solvePow(challenge, digest, bits);
      assert.equal(nonce.length, 8);
      assert.ok(hc.checkPow(challenge, digest, nonce, bits));
      const counter = Number(new DataView(nonce.buffer, nonce.byteOffset).getBigUint64(0));
      for (let c = 0; c < counter; c++) {
        const earlier = new Uint8Array(8);
        new DataView(earlier.buffer).setBigUint64(0, BigInt(c));
        assert.equal(hc.checkPow(challenge, digest, earlier, bits), false);
      }
    }
    assert.deepEqual(hc.solvePow(challenge, digest, 0), new Uint8Array(8));
  });

  test('checkPow refuses malformed input and counts leading zero bits', () => {
    const challenge = hc.randomBytes(32);
    const digest = hc.submissionDigest(challenge, [hc.randomBytes(40)]);
    const nonce = hc.solvePow(challenge, digest, 10);
    assert.equal(hc.checkPow(challenge, digest, nonce.subarray(1), 0), false);
    assert.equal(hc.checkPow(challenge.subarray(1), digest, nonce, 0), false);
    assert.equal(hc.checkPow(challenge, digest.subarray(1), nonce, 0), false);
    assert.equal(hc.leadingZeroBits(Uint8Array.from([0, 0x10, 0xff])), 11);
    assert.equal(hc.leadingZeroBits(Uint8Array.from([0x80])), 0);
    assert.equal(hc.leadingZeroBits(new Uint8Array(2)), 16);
    assert.throws(() => hc.solvePow(challenge, digest, 40, 100), RangeError);
  });

  test('a proof solved for one submission fails for another', () => {
    // Fixed inputs, so the outcome is the same on every run.
    const challenge = new Uint8Array(32).fill(7);
    const mine = hc.submissionDigest(challenge, [new Uint8Array(40).fill(1)]);
    const other = hc.submissionDigest(challenge, [new Uint8Array(40).fill(2)]);
    const nonce = hc.solvePow(challenge, mine, 12);
    assert.ok(hc.checkPow(challenge, mine, nonce, 12));
    const earliestForOther = hc.solvePow(challenge, other, 12);
    assert.notDeepEqual(earliestForOther, nonce);
    assert.equal(hc.checkPow(challenge, other, nonce, 12), false);
  });
});
