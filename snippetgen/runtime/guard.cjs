// snippetgen egress guard for JavaScript examples, preloaded with NODE_OPTIONS=--require.
// node's fetch ignores proxy variables, so every TCP connect is checked here instead:
// only the mock's loopback ports (SNIPPETGEN_ALLOW) may be reached.
'use strict';
const net = require('node:net');
const fs = require('node:fs');

// Read at each connect: the warm node (warm_node.cjs) sets each example's environment in turn.
const allowedNow = () => new Set((process.env.SNIPPETGEN_ALLOW || '').split(',').filter(Boolean));

function target(args) {
  const first = args[0];
  if (Array.isArray(first)) return target(first);
  if (first && typeof first === 'object') {
    if (first.path) return null;
    return { host: first.host || 'localhost', port: Number(first.port) };
  }
  if (typeof first === 'string' && isNaN(Number(first))) return null; // unix socket path
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: Number(first) };
}

const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const t = target(args);
  if (t) {
    const host = t.host === 'localhost' ? '127.0.0.1' : t.host;
    if (!allowedNow().has(`${host}:${t.port}`)) {
      const report = process.env.SNIPPETGEN_EGRESS_REPORT;
      if (report) {
        try { fs.appendFileSync(report, `${t.host}:${t.port}\n`); } catch (_) { /* best effort */ }
      }
      throw new Error(`snippetgen egress guard: blocked connection to ${t.host}:${t.port} (examples may only reach the mock)`);
    }
  }
  return original.apply(this, args);
};
