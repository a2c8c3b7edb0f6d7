// The local runner's page. Everything shown comes from events, which anyone who can post to the runner
// controls: it is only ever put in the page as text (textContent, text nodes), never as HTML.
'use strict';

const POLL_MS = 1500;
const openEvents = new Set();
let lastEventsText = '';
let lastDeadText = '';

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleTimeString();
}

async function getJson(path) {
  const response = await fetch(path, { headers: { 'Accept': 'application/json' }, cache: 'no-store' });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

function pretty(value) {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

function renderPath(event) {
  const attempts = el('div', { class: 'attempts' });
  if (event.attempts.length === 0) {
    attempts.append(el('p', { class: 'muted' }, event.state === 'QUEUED'
      ? 'Accepted and queued; no Userpilot request yet.' : 'No Userpilot request was made for it.'));
  }
  if (event.attemptsDropped > 0) {
    attempts.append(el('p', { class: 'muted' }, event.attemptsDropped + ' earlier attempts not kept.'));
  }
  event.attempts.forEach((a, i) => {
    const request = a.request || {};
    attempts.append(el('div', { class: 'attempt' },
      el('div', null, 'Attempt ' + (i + 1 + event.attemptsDropped) + ' at ' + time(a.at) + ': ',
        el('code', null, a.action || ''), ' (mapping ', el('code', null, a.mapping || ''), ') answered ',
        el('strong', { class: 'userpilot-status' }, a.status === 0 ? 'no answer' : String(a.status)),
        ' in ' + a.ms + ' ms', a.detail ? ' — ' + a.detail : ''),
      el('div', { class: 'request-line' }, el('code', null, (request.method || '') + ' ' + (request.url || request.path || ''))),
      el('pre', { class: 'request-body' }, pretty(request.body)),
      request.bodyTruncatedFrom ? el('p', { class: 'muted' }, 'Body cut to its first characters; it had '
        + request.bodyTruncatedFrom + '.') : null));
  });
  const outcomes = el('div', { class: 'outcomes' });
  event.outcomes.forEach(o => {
    outcomes.append(el('div', { class: 'outcome' },
      time(o.at) + ' ', el('span', { class: 'state state-' + o.kind }, o.kind),
      o.status ? ' (Userpilot ' + o.status + ')' : '',
      o.attempt ? ', attempt ' + o.attempt : '',
      o.retryInSeconds ? ', again in ' + o.retryInSeconds + ' s' : '',
      o.reason ? ': ' + o.reason : ''));
  });
  return el('div', { class: 'path' },
    el('p', null, 'Accepted at ' + time(event.acceptedAt) + '; user ', el('code', null, event.userId || '–')),
    attempts, outcomes);
}

function renderEvent(event) {
  const last = event.attempts.length ? event.attempts[event.attempts.length - 1] : null;
  const details = el('details', { class: 'event', 'data-message-id': event.messageId },
    el('summary', null,
      time(event.lastChange) + ' ',
      el('span', { class: 'state state-' + event.state }, event.state), ' ',
      last ? el('code', null, last.action || '') : '', ' user ',
      el('code', null, event.userId || '–'), ' msg ', el('code', { class: 'message-id' }, event.messageId),
      last ? ' — Userpilot ' + (last.status === 0 ? 'no answer' : last.status) : ''),
    renderPath(event));
  if (openEvents.has(event.messageId)) details.open = true;
  details.addEventListener('toggle', () => {
    if (details.open) openEvents.add(event.messageId); else openEvents.delete(event.messageId);
  });
  return details;
}

async function refreshStats() {
  const { status, body } = await getJson('/stats');
  if (status !== 200) throw new Error('GET /stats answered ' + status);
  for (const [name, value] of Object.entries(body)) {
    const cell = document.getElementById('count-' + name);
    if (cell) cell.textContent = String(value);
  }
}

async function refreshEvents() {
  const { status, body } = await getJson('/events?limit=50');
  if (status !== 200) throw new Error('GET /events answered ' + status);
  const text = JSON.stringify(body);
  if (text === lastEventsText) return;
  lastEventsText = text;
  const box = document.getElementById('events');
  if (body.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No event yet: POST one to /segment.'));
    return;
  }
  box.replaceChildren(...body.map(renderEvent));
}

async function refreshDeadLetters() {
  const { status, body } = await getJson('/dead-letters?limit=100');
  if (status !== 200) throw new Error('GET /dead-letters answered ' + status);
  const letters = Array.isArray(body.deadLetters) ? body.deadLetters : [];
  const text = JSON.stringify(body);
  document.getElementById('redrive').disabled = letters.length === 0;
  if (text === lastDeadText) return;
  lastDeadText = text;
  const box = document.getElementById('dead-letters');
  if (letters.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, 'None.'));
    return;
  }
  const rows = letters.map(d => el('tr', { class: 'dead-letter', 'data-message-id': d.messageId },
    el('td', null, el('code', null, d.messageId || '–')),
    el('td', null, d.stage || '–'),
    el('td', null, d.status === null || d.status === undefined ? '–' : String(d.status)),
    el('td', { class: 'reason' }, d.reason || '–')));
  const table = el('table', null,
    el('thead', null, el('tr', null, el('th', null, 'messageId'), el('th', null, 'stage'),
      el('th', null, 'Userpilot status'), el('th', null, 'reason'))),
    el('tbody', null, ...rows));
  const more = el('p', { class: 'muted' }, 'The first ' + letters.length + ' are shown; GET /dead-letters?after='
    + body.next + ' lists the next ones.');
  box.replaceChildren(...(body.next ? [table, more] : [table]));
}

async function refresh() {
  const status = document.getElementById('status');
  try {
    await Promise.all([refreshStats(), refreshEvents(), refreshDeadLetters()]);
    status.textContent = 'live: updated ' + new Date().toLocaleTimeString();
    status.className = 'muted';
  } catch (e) {
    status.textContent = 'cannot reach the runner: ' + e.message;
    status.className = 'error';
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

async function redrive() {
  const button = document.getElementById('redrive');
  const result = document.getElementById('redrive-result');
  button.disabled = true;
  result.textContent = 'redriving…';
  try {
    // JSON and a custom header: a request no other web page can send here without the runner's consent.
    const response = await fetch('/dead-letters/redrive', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Relay-Client': 'page' },
      body: '{}'
    });
    const body = await response.json().catch(() => ({}));
    result.textContent = response.ok ? 'Redriven: ' + body.redriven
      : 'Refused (' + response.status + '): ' + (body.error || '');
  } catch (e) {
    result.textContent = 'Redrive failed: ' + e.message;
  }
  lastDeadText = '';
}

async function find(event) {
  event.preventDefault();
  const id = document.getElementById('find-id').value.trim();
  const box = document.getElementById('found');
  if (!id) {
    box.replaceChildren();
    return;
  }
  const { status, body } = await getJson('/events/' + encodeURIComponent(id));
  box.replaceChildren(status === 200 ? renderEvent(body) : el('p', { class: 'error' }, body.error || ('HTTP ' + status)));
  const shown = box.querySelector('details');
  if (shown) shown.open = true;
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('redrive').addEventListener('click', redrive);
  document.getElementById('find').addEventListener('submit', find);
  refresh();
});
