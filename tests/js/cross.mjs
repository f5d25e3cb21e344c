#!/usr/bin/env node
// Interop CLI for tests/unit/test_js_interop.py: read one JSON request on stdin, write one
// JSON answer on stdout. Bytes travel as standard base64; documents as JSON objects.
//
//   {"op": "make_grant", "case_key", "notes_key", "x25519", "mlkem"}    -> {"grant"}
//   {"op": "open_grant", "grant", "x25519_secret", "mlkem_seed"}       -> {"case_key", "notes_key"}
//   {"op": "seal_document", "key", "document", "purpose"}             -> {"sealed"}
//   {"op": "open_document", "key", "sealed", "purpose"}               -> {"document"}
//   {"op": "seal_text", "key", "text", "purpose"}                     -> {"sealed"}
//   {"op": "open_text", "key", "sealed", "purpose"}                   -> {"text"}
//   {"op": "seal", "key", "plaintext", "purpose"}                     -> {"sealed"}
//   {"op": "open", "key", "sealed", "purpose"}                        -> {"plaintext"}
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

/** @type {Record<string, (r: Record<string, any>) => unknown>} */
const OPS = {
  make_grant: (r) => ({
    grant: b64(hc.makeGrant(
      { caseKey: bytes(r.case_key), notesKey: bytes(r.notes_key) },
      { x25519: bytes(r.x25519), mlkem: bytes(r.mlkem) },
    )),
  }),
  open_grant: (r) => {
    const keys = hc.openGrant(bytes(r.grant), { x25519: bytes(r.x25519_secret), mlkemSeed: bytes(r.mlkem_seed) });
    return { case_key: b64(keys.caseKey), notes_key: b64(keys.notesKey) };
  },
  seal_document: (r) => ({ sealed: b64(hc.sealDocument(bytes(r.key), r.document, r.purpose)) }),
  open_document: (r) => ({ document: hc.openDocument(bytes(r.key), bytes(r.sealed), r.purpose) }),
  seal_text: (r) => ({ sealed: b64(hc.sealText(bytes(r.key), r.text, r.purpose)) }),
  open_text: (r) => ({ text: hc.openText(bytes(r.key), bytes(r.sealed), r.purpose) }),
  seal: (r) => ({ sealed: b64(hc.seal(bytes(r.key), bytes(r.plaintext), r.purpose)) }),
  open: (r) => ({ plaintext: b64(hc.openSealed(bytes(r.key), bytes(r.sealed), r.purpose)) }),
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
