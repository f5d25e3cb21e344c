#!/usr/bin/env node
// Interop CLI for tests/unit/test_js_interop.py: read one JSON request on stdin, write one
// JSON answer on stdout. Bytes travel as standard base64; documents as JSON objects.
//
//   {"op": "make_grant", "key", "x25519", "mlkem", "kind", "case_id", "handler_id"} -> {"grant"}
//   {"op": "open_grant", "grant", "x25519_secret", "mlkem_seed", "kind", "case_id", "handler_id"}
//                                                                     -> {"key"}
//   {"op": "seal_document", "key", "document", "purpose", "context"?} -> {"sealed"}
//   {"op": "open_document", "key", "sealed", "purpose", "context"?}   -> {"document"}
//   {"op": "seal_text", "key", "text", "purpose", "context"?}         -> {"sealed"}
//   {"op": "open_text", "key", "sealed", "purpose", "context"?}       -> {"text"}
//   {"op": "seal", "key", "plaintext", "purpose", "context"?}         -> {"sealed"}
//   {"op": "open", "key", "sealed", "purpose", "context"?}            -> {"plaintext"}
//   {"op": "seal_message", "key", "text", "case_id", "author", "seq"} -> {"sealed"}
//   {"op": "open_message", "key", "sealed", "case_id", "author", "seq"} -> {"text"}
//   {"op": "seal_note", "key", "text", "case_id", "handler_id", "seq"} -> {"sealed"}
//   {"op": "open_note", "key", "sealed", "case_id", "handler_id", "seq"} -> {"text"}
//   {"op": "seal_report", "key", "document", "case_id"}              -> {"sealed"}
//   {"op": "open_report", "key", "sealed", "case_id"}                -> {"document"}
//   {"op": "seal_file_key", "key", "file_key", "case_id"}            -> {"sealed"}
//   {"op": "open_file_key", "key", "sealed", "case_id"}              -> {"file_key"}
//   ("context" is a list of ASCII strings bound after the purpose, as crypto/primitives.py)
//   {"op": "derive_receipt", "digits", "salt", "ops", "mem_bytes"}    -> {"lookup_tag", "wrap_key"}
//   {"op": "parse_receipt", "text"}                                   -> {"digits"}
//   {"op": "generate_receipt"}                                        -> {"digits"}
//   {"op": "password_secrets", "password", "salt", "ops", "mem_bytes"} -> {"auth", "unwrap_key"}
//   {"op": "unwrap_private", "wrapped", "unwrap_key"}                 -> {"x25519_secret", "mlkem_seed"}
//   {"op": "unwrap_with_recovery_key", "wrapped", "recovery_key"}     -> {"x25519_secret", "mlkem_seed"}
//   {"op": "parse_recovery_key", "text"}                              -> {"raw"}
//   {"op": "recovery_auth", "recovery_key"}                           -> {"auth"}
//   {"op": "public_keys", "x25519_secret", "mlkem_seed"}              -> {"x25519", "mlkem"}
//   {"op": "encrypt_file", "file_key", "data"}                        -> {"sealed"}
//   {"op": "decrypt_file", "file_key", "sealed"}                      -> {"data"}
//   {"op": "pow_digest", "challenge", "fields"}                       -> {"digest"}
//   {"op": "solve_pow", "challenge", "digest", "bits"}                -> {"nonce"}
//   {"op": "check_pow", "challenge", "digest", "nonce", "bits"}       -> {"ok"}
//   {"op": "sign", "ed25519_seed", "mldsa_seed", "label", "message"}  -> {"signature", "public"}
//   {"op": "verify", "public", "label", "message", "signature"}       -> {"ok": true} or SignatureError
//   {"op": "verify_directory", "root", "entries", "expect_head"?}     -> {"sequence", "hash"} or DirectoryError
//
// A failure answers {"error": message, "error_type": class name} and exits with status 1.
import { hc, kd } from './support.mjs';

const b64 = hc.toBase64;
const bytes = hc.fromBase64;
/** @param {Record<string, any>} r */
const params = (r) => ({ ops: r.ops, memBytes: r.mem_bytes });
/** @param {{x25519: Uint8Array, mlkemSeed: Uint8Array}} p */
const privateOut = (p) => ({ x25519_secret: b64(p.x25519), mlkem_seed: b64(p.mlkemSeed) });
/** @param {Record<string, any>} r */
const ctx = (r) => (r.context || []).map((part) => hc.utf8Encode(part));
/** @param {Record<string, any>} r */
const about = (r) => ({ kind: r.kind, caseId: r.case_id, handlerId: r.handler_id });

/** @type {Record<string, (r: Record<string, any>) => unknown>} */
const OPS = {
  make_grant: (r) => ({
    grant: b64(hc.makeGrant(bytes(r.key), { x25519: bytes(r.x25519), mlkem: bytes(r.mlkem) }, about(r))),
  }),
  open_grant: (r) => ({
    key: b64(hc.openGrant(bytes(r.grant), { x25519: bytes(r.x25519_secret), mlkemSeed: bytes(r.mlkem_seed) }, about(r))),
  }),
  seal_document: (r) => ({ sealed: b64(hc.sealDocument(bytes(r.key), r.document, r.purpose, ctx(r))) }),
  open_document: (r) => ({ document: hc.openDocument(bytes(r.key), bytes(r.sealed), r.purpose, ctx(r)) }),
  seal_text: (r) => ({ sealed: b64(hc.sealText(bytes(r.key), r.text, r.purpose, ctx(r))) }),
  open_text: (r) => ({ text: hc.openText(bytes(r.key), bytes(r.sealed), r.purpose, ctx(r)) }),
  seal: (r) => ({ sealed: b64(hc.seal(bytes(r.key), bytes(r.plaintext), r.purpose, ctx(r))) }),
  open: (r) => ({ plaintext: b64(hc.openSealed(bytes(r.key), bytes(r.sealed), r.purpose, ctx(r))) }),
  seal_message: (r) => ({ sealed: b64(hc.sealMessage(bytes(r.key), r.text, r.case_id, r.author, r.seq)) }),
  open_message: (r) => ({ text: hc.openMessage(bytes(r.key), bytes(r.sealed), r.case_id, r.author, r.seq) }),
  seal_note: (r) => ({ sealed: b64(hc.sealNote(bytes(r.key), r.text, r.case_id, r.handler_id, r.seq)) }),
  open_note: (r) => ({ text: hc.openNote(bytes(r.key), bytes(r.sealed), r.case_id, r.handler_id, r.seq) }),
  seal_report: (r) => ({ sealed: b64(hc.sealReport(bytes(r.key), r.document, r.case_id)) }),
  open_report: (r) => ({ document: hc.openReport(bytes(r.key), bytes(r.sealed), r.case_id) }),
  seal_file_key: (r) => ({ sealed: b64(hc.sealFileKey(bytes(r.key), bytes(r.file_key), r.case_id)) }),
  open_file_key: (r) => ({ file_key: b64(hc.openFileKey(bytes(r.key), bytes(r.sealed), r.case_id)) }),
  derive_receipt: (r) => {
    const d = hc.deriveReceipt(r.digits, bytes(r.salt), params(r));
    return { lookup_tag: b64(d.lookupTag), wrap_key: b64(d.wrapKey) };
  },
  parse_receipt: (r) => ({ digits: hc.parseReceipt(r.text) }),
  generate_receipt: () => ({ digits: hc.generateReceipt() }),
  password_secrets: (r) => {
    const s = hc.passwordSecrets(r.password, bytes(r.salt), params(r));
    return { auth: b64(s.auth), unwrap_key: b64(s.unwrapKey) };
  },
  unwrap_private: (r) => privateOut(hc.unwrapPrivate(bytes(r.wrapped), bytes(r.unwrap_key))),
  unwrap_with_recovery_key: (r) => privateOut(hc.unwrapWithRecoveryKey(bytes(r.wrapped), r.recovery_key)),
  parse_recovery_key: (r) => ({ raw: b64(hc.parseRecoveryKey(r.text)) }),
  recovery_auth: (r) => ({ auth: b64(hc.recoveryAuth(r.recovery_key)) }),
  public_keys: (r) => {
    const pub = hc.publicKeysOf({ x25519: bytes(r.x25519_secret), mlkemSeed: bytes(r.mlkem_seed) });
    return { x25519: b64(pub.x25519), mlkem: b64(pub.mlkem) };
  },
  encrypt_file: async (r) => ({ sealed: b64(await hc.encryptFile(bytes(r.file_key), bytes(r.data))) }),
  decrypt_file: async (r) => ({ data: b64(await hc.decryptFile(bytes(r.file_key), bytes(r.sealed))) }),
  describe_file: (r) => ({ document: hc.describeFile(r.name, r.type, r.size, r.metadata_stripped) }),
  sign: (r) => {
    const priv = { ed25519Seed: bytes(r.ed25519_seed), mldsaSeed: bytes(r.mldsa_seed) };
    const pub = kd.signingPublicOf(priv);
    return { signature: b64(kd.sign(priv, r.label, bytes(r.message))), public: b64(hc.concatBytes(pub.ed25519, pub.mldsa)) };
  },
  verify: (r) => {
    kd.verify(kd.signingPublicFromBytes(bytes(r.public)), r.label, bytes(r.message), bytes(r.signature));
    return { ok: true };
  },
  verify_directory: (r) => {
    const expect = r.expect_head ? { sequence: r.expect_head.sequence, hash: Buffer.from(r.expect_head.hash, 'hex') } : undefined;
    const head = kd.verifyChain(r.entries.map(kd.entryFromJson), kd.signingPublicFromBytes(bytes(r.root)), expect);
    return { sequence: head.sequence, hash: kd.toHex(head.hash) };
  },
  pow_digest: (r) => ({
    digest: b64(hc.submissionDigest(bytes(r.challenge), r.fields.map(bytes))),
  }),
  solve_pow: (r) => ({
    nonce: b64(hc.solvePow(bytes(r.challenge), bytes(r.digest), r.bits)),
  }),
  check_pow: (r) => ({
    ok: hc.checkPow(bytes(r.challenge), bytes(r.digest), bytes(r.nonce), r.bits),
  }),
};

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const request = JSON.parse(input);
  const op = OPS[request.op];
  if (!op) throw new TypeError(`unknown op ${JSON.stringify(request.op)}`);
  return op(request);
}

try {
  process.stdout.write(`${JSON.stringify(await main())}\n`);
} catch (err) {
  const e = /** @type {Error} */ (err);
  process.stdout.write(`${JSON.stringify({ error: String(e?.message ?? e), error_type: e?.name ?? 'Error' })}\n`);
  process.exitCode = 1;
}
