// Helpers every page script shares: finding elements, reading the page's JSON data, letting
// a progress line paint before blocking work, the error a person is shown, and one caller
// for our JSON API that turns error codes into the vocabulary's words.

import { errorMessage } from './vocabulary.js';

/** @param {string} id */
export const $ = (id) => document.getElementById(id);

/**
 * The inert JSON a template wrote into <script type="application/json" id=...>.
 * @param {string} id
 * @returns {Record<string, any>}
 */
export function readJson(id) {
  try {
    return JSON.parse(document.getElementById(id)?.textContent || '{}');
  } catch {
    return {};
  }
}

/** Resolve after the browser had time to paint (before Argon2id blocks the tab). */
export const paint = () => new Promise((resolve) => setTimeout(resolve, 30));

/**
 * "{name}" placeholders filled from `values`.
 * @param {string} template
 * @param {Record<string, unknown>} values
 */
export const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

/** A failure to show the person, already in their language; `code` is the API's, if any. */
export class Shown extends Error {
  /**
   * @param {string} message
   * @param {string} [code]
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * A caller for our JSON API. Errors become `Shown`: the vocabulary's words for the code,
 * else the server's message, else `generic`; `onError(code)` runs first (e.g. to forget
 * keys when the session ended).
 * @param {{network: string, generic: string, onError?: (code: string) => void}} texts
 */
export function apiCaller({ network, generic, onError }) {
  /**
   * @param {string} path
   * @param {{json?: unknown, form?: FormData, method?: string, raw?: boolean}} [options]
   */
  return async function api(path, { json, form, method = 'POST', raw = false } = {}) {
    /** @type {RequestInit & {headers: Record<string, string>}} */
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (form !== undefined) {
      init.body = form;
    } else if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json ?? {});
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new Shown(network, 'network');
    }
    if (response.ok && raw) return response;
    const type = response.headers.get('Content-Type') || '';
    const data = type.includes('application/json') ? await response.json() : null;
    if (!response.ok) {
      const code = data?.error || `http_${response.status}`;
      onError?.(code);
      throw new Shown(errorMessage(code) || data?.message || generic, code);
    }
    return data;
  };
}
