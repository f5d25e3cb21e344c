// Shared by the JavaScript tests and cross.mjs: load the built bundle and small helpers.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The test bundle: the public module plus test-only helpers (sealWithFixedNonce), never served.
export const BUNDLE = new URL('../../web/build/test/hotline-crypto.js', import.meta.url);
export const VECTORS = new URL('../vectors/', import.meta.url);

if (!existsSync(BUNDLE)) {
  throw new Error(
    `${fileURLToPath(BUNDLE)} is missing: run \`npm --prefix web ci && npm --prefix web run build\``,
  );
}

/** @type {typeof import('../../web/js/hotline-crypto-testing.js')} */
export const hc = await import(BUNDLE.href);
await hc.ready();

/** The key directory and hybrid signatures (part of the same bundle). */
export const kd = hc;

/** @param {string} hex */
export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new TypeError(`not hex: ${hex}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

/** @param {string} name */
export function loadVector(name) {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

/** Cheap Argon2id parameters for tests (libsodium's minimum memory). */
export const CHEAP = { ops: 1, memBytes: 8192 };

/** libsodium itself (from web/node_modules), for building streams the module never makes. */
export async function loadSodium() {
  const sodium = createRequire(new URL('../../web/package.json', import.meta.url))('libsodium-wrappers-sumo');
  await sodium.ready;
  return sodium;
}
