// Page helper: before this browser encrypts anything to a handler, it checks the handler's
// keys against the organisation's signed key directory. The root public key comes from the
// page (`<meta name="hotline-root-key">`, set from the server's configuration, never from
// its database); the directory comes from /.well-known/hotline-keys. The whole chain is
// verified (every hash link, and both signature halves of the newest entry, which commit to
// every entry before it), then each recipient's keys must be exactly those of their newest
// entry valid today, for their desk, active.

import {
  checkKeys,
  fromBase64,
  currentEntries,
  entryFromJson,
  keyFingerprint,
  shortFingerprint,
  signingPublicFromBytes,
  todayUtc,
  verifyChain,
} from './hotline-crypto.js';

/** The keys could not be verified: nothing may be sealed to them. */
export class KeysRefused extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'KeysRefused';
  }
}

/** The root public key this page was configured with. */
export function pageRoot() {
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="hotline-root-key"]'));
  if (!meta?.content) throw new KeysRefused('no organisation root key is configured');
  return signingPublicFromBytes(fromBase64(meta.content));
}

/**
 * Fetch and verify the directory; each handler's current entry.
 * @returns {Promise<Map<number, import('./crypto/key_directory.js').Entry>>}
 */
export async function verifiedDirectory() {
  const root = pageRoot();
  let data;
  try {
    const response = await fetch('/.well-known/hotline-keys', { credentials: 'same-origin', cache: 'no-cache' });
    data = await response.json();
  } catch {
    throw new KeysRefused('the key directory could not be loaded');
  }
  try {
    const entries = (data.entries || []).map(entryFromJson);
    // Every hash link, and the newest entry's root signature, which commits to them all.
    verifyChain(entries, root, undefined, { everySignature: false });
    return currentEntries(entries, todayUtc());
  } catch (err) {
    throw new KeysRefused(`the key directory does not verify: ${/** @type {Error} */ (err).message}`);
  }
}

/**
 * Check every recipient (`handler_id`, `desk`, base64 `x25519`, `mlkem`) against the
 * verified directory; their short key fingerprints by handler id. Throws KeysRefused.
 * @param {{handler_id: number, desk: string, x25519: string, mlkem: string}[]} recipients
 * @returns {Promise<Map<number, string>>}
 */
export async function verifyRecipients(recipients) {
  const started = performance.now();
  const current = await verifiedDirectory();
  const prints = new Map();
  for (const r of recipients) {
    const pub = { x25519: fromBase64(r.x25519), mlkem: fromBase64(r.mlkem) };
    try {
      checkKeys(current, r.handler_id, r.desk, pub);
    } catch (err) {
      throw new KeysRefused(/** @type {Error} */ (err).message);
    }
    prints.set(r.handler_id, shortFingerprint(keyFingerprint(pub)));
  }
  performance.measure('hotline-key-verify', { start: started, end: performance.now() });
  return prints;
}
