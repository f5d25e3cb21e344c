// The hotline's vocabulary (hotline/vocabulary.py) in the page's language: report fields in
// form order, statuses, outcomes, channels and what each error code tells a person. Every
// page carries it as inert JSON (base.html, id="vocabulary"); nothing here is redefined.

/** @returns {Record<string, any>} */
function load() {
  try {
    return JSON.parse(document.getElementById('vocabulary')?.textContent || '{}');
  } catch {
    return {};
  }
}

const words = load();

/** @type {string[]} the report's fields in the form's order */
export const FIELD_ORDER = words.field_order ?? [];
/** @type {string[]} ISO 37002's path, in order */
export const STATUS_ORDER = words.status_order ?? [];

/** @param {Record<string, string> | undefined} labels @param {string} key */
const label = (labels, key) => labels?.[key] || key;

/** @param {string} name */
export const fieldLabel = (name) => label(words.fields, name);
/** @param {string} status */
export const statusLabel = (status) => label(words.status, status);
/** @param {string} outcome */
export const outcomeLabel = (outcome) => label(words.outcome, outcome);
/** @param {string} channel */
export const channelLabel = (channel) => label(words.channel, channel);

/**
 * What a person reads for an error code, or undefined when the vocabulary has none.
 * @param {string | undefined} code
 * @returns {string | undefined}
 */
export const errorMessage = (code) => (code ? words.errors?.[code] : undefined);

/**
 * A report's field names in the form's order; names the form does not know come last.
 * @param {Record<string, unknown>} fields
 * @returns {string[]}
 */
export function inFormOrder(fields) {
  const known = FIELD_ORDER.filter((name) => name in fields);
  const rest = Object.keys(fields).filter((name) => !FIELD_ORDER.includes(name)).sort();
  return [...known, ...rest];
}
