// Keys in the console: the handler's own key fingerprint (and whether the organisation has
// signed it), key changes on their desk, and the check of a colleague's keys before the
// browser shares a case with them. Every check verifies the signed key directory against
// the root key this page was configured with (../key-check.js).

import * as hc from '../hotline-crypto.js';
import { verifiedDirectory } from '../key-check.js';
import { $, fmt, readJson } from '../page.js';
import { api } from './state.js';

const k = readJson('keys-i18n');

/** @param {{x25519: Uint8Array, mlkem: Uint8Array}} pub */
export const shortPrint = (pub) => hc.shortFingerprint(hc.keyFingerprint(pub));

/**
 * Show the signed-in handler's fingerprint; warn when no valid signed entry vouches for it.
 * @param {{handler_id: number, desk: string}} me
 * @param {{x25519: Uint8Array, mlkem: Uint8Array}} pub
 */
export async function showOwnKey(me, pub) {
  const el = $('nav-key');
  el.textContent = fmt(k.own, { fp: shortPrint(pub) });
  el.hidden = false;
  const warning = $('key-warning');
  if (!me.desk) return;
  try {
    hc.checkKeys(await verifiedDirectory(), me.handler_id, me.desk, pub);
    warning.hidden = true;
  } catch {
    warning.textContent = k.own_unsigned;
    warning.hidden = false;
  }
}

/** Recent key changes of desk colleagues, from the server's list (content-free). */
export async function showKeyChanges() {
  const box = $('key-changes');
  let changes = [];
  try {
    changes = (await api('/handler/api/keys/changes', { method: 'GET' })).changes;
  } catch {
    return;
  }
  const list = $('key-changes-list');
  list.replaceChildren(...changes.map((c) => {
    const li = document.createElement('li');
    const values = { name: c.display_name, seq: c.sequence, day: c.valid_from, fp: hc.shortFingerprint(c.fingerprint) };
    li.textContent = fmt(c.status === 'revoked' ? k.change_revoked : k.change_new, values);
    return li;
  }));
  box.hidden = changes.length === 0;
}

/**
 * Each colleague's short key fingerprint when the directory vouches for their keys, or null.
 * @param {{id: number, desk: string, x25519: string, mlkem: string}[]} colleagues
 * @returns {Promise<Map<number, string | null>>}
 */
export async function colleagueKeys(colleagues) {
  const prints = new Map();
  let current = null;
  try {
    current = await verifiedDirectory();
  } catch {
    current = null;
  }
  for (const h of colleagues) {
    const pub = { x25519: hc.fromBase64(h.x25519), mlkem: hc.fromBase64(h.mlkem) };
    try {
      if (!current) throw new Error('no directory');
      hc.checkKeys(current, h.id, h.desk, pub);
      prints.set(h.id, shortPrint(pub));
    } catch {
      prints.set(h.id, null);
    }
  }
  return prints;
}

export const keyWords = k;
