// The browser twin of the Python package `crypto/`: function for function, byte for byte.
// One module per Python file under web/js/crypto/ (crypto/x.py <-> web/js/crypto/x.js);
// this file is their public face, the one the pages and tests import.
//
// Every value that crosses the wire (sealed documents, grants, receipts' lookup tags and
// wrap keys, password secrets, attachments, proof-of-work nonces) must be the same here
// as in Python; the vectors in tests/vectors/ and tests/unit/test_js_interop.py keep the
// two honest. crypto/pepper.py is server-only and has no twin.
//
// Libraries: libsodium-wrappers-sumo (X25519, XChaCha20-Poly1305, secretstream, BLAKE2b,
// Argon2id; its WebAssembly is embedded in the bundle and needs only CSP
// 'wasm-unsafe-eval') and @noble/post-quantum (ML-KEM-768, ML-DSA-65).
//
// All byte values are Uint8Array. Call `await ready()` once before anything else except
// toBase64/fromBase64/utf8Encode/utf8Decode and the receipt string helpers.

export {
  CryptoError,
  DecryptionError,
  InvalidReceipt,
} from './crypto/errors.js';
export {
  ready,
  utf8Encode,
  utf8Decode,
  concatBytes,
  constantTimeEqual,
  toBase64,
  fromBase64,
  randomBytes,
  KEY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  SALT_BYTES,
  ARGON2_OPS_MIN,
  ARGON2_MEM_MIN,
  RECEIPT_FLOOR,
  PASSWORD_FLOOR,
  WeakParameters,
  argon2id,
  normalisePassword,
  keyedHash,
  framedMessage,
  plainHash,
  associatedData,
  seal,
  openSealed,
} from './crypto/primitives.js';
export {
  MIN_BUCKET,
  bucketSize,
  pad,
  unpad,
} from './crypto/padding.js';
export {
  REPORT,
  MESSAGE,
  NOTE,
  REPORTER_KEY,
  FILE_KEY,
  ATTACHMENT_META,
  REPORTER,
  newCaseId,
  isCaseId,
  handlerAuthor,
  caseContext,
  entryContext,
  sealReport,
  openReport,
  sealMessage,
  openMessage,
  sealNote,
  openNote,
  sealAttachmentMeta,
  openAttachmentMeta,
  serialiseDocument,
  sealDocument,
  openDocument,
  sealText,
  openText,
  wrapCaseKeyForReporter,
  unwrapCaseKeyForReporter,
} from './crypto/sealing.js';
export {
  RECEIPT_DIGITS,
  dammDigit,
  isValidReceipt,
  generateReceipt,
  formatReceipt,
  parseReceipt,
  deriveReceipt,
} from './crypto/receipts.js';
export {
  MLKEM_SEED_BYTES,
  MLKEM_PUBLIC_BYTES,
  X25519_BYTES,
  x25519Public,
  mlkemPublicFromSeed,
  publicKeysOf,
  generatePrivate,
  passwordSecrets,
  wrapPrivate,
  unwrapPrivate,
  createHandlerKeys,
  rewrapWithPassword,
  unwrapWithRecoveryKey,
  recoveryAuth,
  formatRecoveryKey,
  parseRecoveryKey,
} from './crypto/handler_keys.js';
export {
  MLKEM_CIPHERTEXT_BYTES,
  GRANT_PURPOSE,
  GRANT_BYTES,
  CASE_KEY,
  NOTES_KEY,
  BACKUP_KEY,
  grantContext,
  newKey,
  makeGrant,
  openGrant,
} from './crypto/grants.js';
export {
  CHUNK_BYTES,
  STREAM_HEADER_BYTES,
  STREAM_ABYTES,
  newFileKey,
  sealFileKey,
  openFileKey,
  MIN_FILE_BUCKET,
  FILE_TRAILER_BYTES,
  DESCRIPTION_MAX_BYTES,
  fileBucketSize,
  encryptedFileSize,
  describeFile,
  encryptFile,
  decryptFile,
} from './crypto/attachments.js';
export {
  POW_NONCE_BYTES,
  leadingZeroBits,
  checkPow,
  solvePow,
  submissionDigest,
} from './crypto/pow.js';
export {
  ED25519_SEED_BYTES,
  ED25519_PUBLIC_BYTES,
  ED25519_SIGNATURE_BYTES,
  MLDSA_SEED_BYTES,
  MLDSA_PUBLIC_BYTES,
  MLDSA_SIGNATURE_BYTES,
  SIGNING_PUBLIC_BYTES,
  SIGNATURE_BYTES,
  SignatureError,
  signingPublicFromBytes,
  generateSigningKey,
  signingPublicOf,
  sign,
  verify,
  fingerprint,
  shortFingerprint,
} from './crypto/signing.js';
export {
  GENESIS_HASH,
  DirectoryError,
  KeyNotSigned,
  entryMessage,
  entryHash,
  entryFromJson,
  verifyChain,
  currentEntries,
  checkKeys,
  keyFingerprint,
  todayUtc,
  toHex,
} from './crypto/key_directory.js';
