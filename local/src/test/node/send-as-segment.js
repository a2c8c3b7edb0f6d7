'use strict';
// Sends Segment events to the relay through Segment's own Webhooks (Actions) destination code, exactly as
// Segment's servers run it: Destination.onEvent for one event, onBatch for a batch, the "send" action with
// a batch_size, a headers mapping carrying the ingest token, and the destination's sharedSecret (which
// signs the first event of a batch). Prints one JSON line per request: {label, events, statuses, body}.
//
// Usage: node send-as-segment.js <install dir> <relay url> <shared secret> <token> <label:count>...
const path = require('path');
const { createRequire } = require('module');

const [installDir, url, sharedSecret, token, ...plans] = process.argv.slice(2);
const requireFromInstall = createRequire(path.resolve(installDir, 'package.json'));
const { Destination } = requireFromInstall('@segment/actions-core');
const definition = require(path.resolve(installDir, 'package', 'dist', 'destinations', 'webhook')).default;

/** A track event as Segment sends it: about 1.2 KB, with the context a browser source adds. */
function segmentEvent(label, i) {
  const id = `${label}-${String(i).padStart(5, '0')}`;
  return {
    type: 'track',
    event: 'Report Exported',
    userId: `user-${label}-${i % 50}`,
    anonymousId: `anon-${label}-${i % 50}-4c8e-9d1f-0b2a7e6f5d3c`,
    messageId: id,
    timestamp: '2026-12-06T00:00:00.000Z',
    sentAt: '2026-12-06T00:00:00.120Z',
    receivedAt: '2026-12-06T00:00:00.250Z',
    originalTimestamp: '2026-12-06T00:00:00.000Z',
    properties: { format: 'csv', rows: i, plan: 'team', filters: ['region:eu', 'status:active'], label: 'Zoë ✓' },
    context: {
      ip: '203.0.113.7',
      locale: 'en-GB',
      timezone: 'Europe/London',
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      page: {
        path: '/reports/exports',
        referrer: 'https://app.example.com/reports',
        search: '?range=30d',
        title: 'Exports · Reports',
        url: 'https://app.example.com/reports/exports?range=30d'
      },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      userAgentData: { brands: [{ brand: 'Chromium', version: '131' }], mobile: false, platform: 'macOS' },
      campaign: { name: 'winter', source: 'newsletter', medium: 'email' },
      traits: { email: `person${i % 50}@example.com`, company: { id: 'company-7', name: 'Acme' } }
    },
    integrations: { All: true },
    writeKey: 'abcdefghijklmnopqrstuvwxyz012345',
    version: 2
  };
}

async function main() {
  const destination = new Destination(definition);
  for (const plan of plans) {
    const [label, countText] = plan.split(':');
    const count = Number(countText);
    const events = Array.from({ length: count }, (_, i) => segmentEvent(label, i));
    const settings = {
      sharedSecret,
      subscription: {
        partnerAction: 'send',
        subscribe: 'type = "track"',
        mapping: {
          url,
          method: 'POST',
          batch_size: Math.max(count, 1),
          headers: { Authorization: `Bearer ${token}` },
          data: { '@path': '$.' }
        }
      }
    };
    const bodyBytes = Buffer.byteLength(JSON.stringify(count === 1 ? events[0] : events));
    let line;
    try {
      if (count === 1) {
        // onEvent throws on an HTTP error; its last result carries the parsed answer of a success.
        const results = await destination.onEvent(events[0], settings);
        const answered = results.filter((r) => r && r.data !== undefined).pop();
        line = { label, events: count, bodyBytes, statuses: [200], body: JSON.stringify(answered ? answered.data : null) };
      } else {
        const results = await destination.onBatch(events, settings);
        const statuses = results.flatMap((r) => (r.multistatus || []).map((m) => m.status));
        const first = results.flatMap((r) => r.multistatus || [])[0] || {};
        line = { label, events: count, statuses: [...new Set(statuses)], bodyBytes,
          body: typeof first.body === 'string' ? first.body : JSON.stringify(first.body ?? first.errormessage ?? null) };
      }
    } catch (error) {
      // An HTTP error (onEvent; onBatch reports them in multistatus): keep the relay's answer, as Segment
      // shows it in the destination's event delivery view.
      const response = error.response;
      let answer = response ? response.data ?? response.content : undefined;
      if (answer === undefined && response && !response.bodyUsed && typeof response.text === 'function') {
        answer = await response.text().catch(() => undefined);
      }
      line = { label, events: count, bodyBytes, statuses: [response ? response.status : -1],
        body: answer === undefined ? String(error.message) : typeof answer === 'string' ? answer : JSON.stringify(answer) };
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
