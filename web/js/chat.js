// The chat widget: our own small script, same-origin JSON to /chat, no third party.
// The conversation token lives in this page's memory only; closing the page ends it.

import { $, readJson } from './page.js';

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || 'error');
    error.status = response.status;
    throw error;
  }
  return data;
}

function init() {
  const root = $('chat');
  if (!root) return;
  const t = readJson('chat-i18n');
  const toggle = $('chat-toggle');
  const panel = $('chat-panel');
  const log = $('chat-log');
  const form = $('chat-form');
  const input = $('chat-input');
  const send = form.querySelector('button[type=submit]');
  let conversation = null;
  let busy = false;

  root.hidden = false;

  function add(kind, text, extra) {
    const item = document.createElement('li');
    item.className = `chat-msg ${kind}`;
    const who = document.createElement('span');
    who.className = 'visually-hidden';
    who.textContent = kind === 'user' ? `${t.you}: ` : `${t.bot}: `;
    const body = document.createElement('span');
    body.className = 'pre';
    body.textContent = text;
    item.append(who, body);
    if (extra) item.append(extra);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function receiptBox(receipt) {
    const box = document.createElement('p');
    box.className = 'receipt chat-receipt';
    box.textContent = receipt;
    return box;
  }

  // The bot's message names the receipt (SMS needs it in the text); the widget shows it
  // once, in its box, where the text had it.
  function addWithReceipt(text, receipt) {
    const at = text.indexOf(receipt);
    add('bot', text.slice(0, at).trimEnd(), receiptBox(receipt));
    const rest = text.slice(at + receipt.length).trim();
    if (rest) add('bot', rest);
  }

  async function exchange(text, echo) {
    if (busy) return;
    busy = true;
    send.disabled = true;
    if (echo) add('user', text);
    try {
      if (!conversation) conversation = (await post('/chat/start', {})).conversation;
      const data = await post('/chat/message', { conversation, text });
      const messages = data.messages || [];
      const withReceipt = data.receipt ? messages.find((m) => m.text.includes(data.receipt)) : null;
      for (const m of messages) {
        if (m === withReceipt) addWithReceipt(m.text, data.receipt);
        else add('bot', m.text);
      }
      if (data.receipt && !withReceipt) add('bot', t.receipt_label, receiptBox(data.receipt));
      if (data.available === false && data.link) {
        const link = document.createElement('a');
        link.href = data.link;
        link.textContent = t.web_form;
        add('bot', '', link);
      }
    } catch (error) {
      add('bot', error.status === 429 ? t.rate_limited : t.error);
    } finally {
      busy = false;
      send.disabled = false;
      input.focus();
    }
  }

  function open(show) {
    panel.hidden = !show;
    toggle.setAttribute('aria-expanded', String(show));
    if (show) {
      input.focus();
      if (!log.children.length) exchange(t.greeting, false);
    } else {
      toggle.focus();
    }
  }

  toggle.addEventListener('click', () => open(panel.hidden));
  $('chat-close').addEventListener('click', () => open(false));
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') open(false);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    exchange(text, true);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

init();
