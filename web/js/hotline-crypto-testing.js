// The browser crypto for tests and benchmarks only (built to web/build/test/, never served):
// the public module plus helpers that must never reach a page, such as sealing with a
// caller-chosen nonce to reproduce the vectors in tests/vectors/.

export * from './hotline-crypto.js';
export { sealWithFixedNonce } from './crypto/primitives.js';
