// The case list: filters, one page of 50 at a time, nearest deadline first (server order).

import { $, fmt } from '../page.js';
import { channelLabel, statusLabel } from '../vocabulary.js';
import { api, show, state, t } from './state.js';

function listQuery(cursor) {
  const form = $('filters');
  const query = new URLSearchParams();
  for (const name of ['status', 'category', 'channel']) {
    if (form[name].value) query.set(name, form[name].value);
  }
  if (form.overdue.checked) query.set('overdue', '1');
  if (cursor) query.set('cursor', cursor);
  query.set('limit', '50');
  return query;
}

function cell(text, label, className) {
  const td = document.createElement('td');
  td.dataset.label = label;
  if (className) td.className = className;
  if (text instanceof Node) td.append(text);
  else td.textContent = text;
  return td;
}

export async function loadList({ focus = true } = {}) {
  show('view-list', { focus });
  const cursor = state.pages[state.pages.length - 1];
  $('list-summary').textContent = t.loading;
  const epoch = state.epoch;
  const data = await api(`/handler/api/cases?${listQuery(cursor)}`, { method: 'GET' });
  if (epoch !== state.epoch) return; // the tab forgot everything while this was on its way
  const labels = [...document.querySelectorAll('#case-table thead th')].map((th) => th.textContent);
  const rows = data.cases.map((c) => {
    const tr = document.createElement('tr');
    if (c.overdue) tr.className = 'overdue';
    const link = document.createElement('a');
    link.href = `#/case/${c.case_id}`;
    link.textContent = c.case_id;
    const flag = document.createElement('span');
    flag.className = c.overdue ? 'flag overdue' : 'flag';
    flag.textContent = c.overdue ? `⚠ ${t.overdue}` : (c.next_deadline ? t.on_time : '—');
    tr.append(
      cell(link, labels[0], 'case-id'),
      cell(t.categories?.[c.category] || c.category, labels[1]),
      cell(channelLabel(c.channel), labels[2]),
      cell(statusLabel(c.status), labels[3]),
      cell(c.received_on, labels[4]),
      cell(fmt(t.days, { days: c.days_open }), labels[5]),
      cell(c.next_deadline || t.closed_no_deadline, labels[6]),
      cell(flag, labels[7]),
    );
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 8;
    td.textContent = t.no_cases;
    tr.append(td);
    rows.push(tr);
  }
  $('case-rows').replaceChildren(...rows);
  const shown = (state.pages.length - 1) * 50 + data.cases.length;
  $('list-summary').textContent = fmt(t.page_of, { shown, total: data.total });
  const next = $('next-page');
  next.hidden = !data.next_cursor;
  next.dataset.cursor = data.next_cursor || '';
  $('first-page').hidden = state.pages.length <= 1;
}

