// Helpers every page script shares: finding elements, reading the page's JSON data, letting
// a progress line paint before blocking work, the error a person is shown, and one caller
// for our JSON API that turns error codes into the vocabulary's words.

import { errorMessage, fieldLabel, inFormOrder } from './vocabulary.js';

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
  return async function api(path, {
    json, form, method = 'POST', raw = false, headers = {},
  } = {}) {
    /** @type {RequestInit & {headers: Record<string, string>}} */
    const init = {
      method, credentials: 'same-origin', headers: { ...headers, Accept: 'application/json' },
    };
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

/**
 * A list item saying there is nothing to list.
 * @param {string} text
 */
export function emptyItem(text) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = text;
  return li;
}

/**
 * A message in a thread: a line of who and when, then the text (kept as typed).
 * @param {string} className
 * @param {string} metaText
 * @param {string} bodyText
 */
export function messageItem(className, metaText, bodyText) {
  const li = document.createElement('li');
  li.className = className;
  const meta = document.createElement('p');
  meta.className = 'meta';
  meta.textContent = metaText;
  const body = document.createElement('p');
  body.className = 'pre';
  body.textContent = bodyText;
  li.append(meta, body);
  return li;
}

/**
 * Hand decrypted bytes to the browser as a download; the object URL is revoked soon after.
 * @param {Uint8Array} bytes
 * @param {string} name
 * @param {string} [type]
 */
export function saveFile(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A report's fields into a <dl>: the vocabulary's labels, in the form's order.
 * @param {HTMLElement} list
 * @param {Record<string, unknown>} fields
 */
export function appendFields(list, fields) {
  for (const name of inFormOrder(fields)) {
    const dt = document.createElement('dt');
    dt.textContent = fieldLabel(name);
    const dd = document.createElement('dd');
    dd.className = 'pre';
    dd.textContent = String(fields[name]);
    list.append(dt, dd);
  }
}
