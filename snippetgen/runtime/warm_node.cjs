// snippetgen's warm node: one per sandbox cell, started by the cell's supervisor (runtime/cell.py)
// as the examples' user, with the examples' limits. It loads node's HTTP stack once (fetch, undici)
// and then runs JavaScript examples one at a time, each in a fresh `vm` context: its own globals,
// its own module graph, the process's working folder, argv and environment set to the example's.
//
// Protocol. fd 3: one JSON job per line {"script", "cwd", "env"} (read blocking while idle);
// fd 4: one JSON line per job {"code", "recycle"} once the example is over, the way `node FILE`
// would end: when the event loop has nothing left to do (node's own 'beforeExit'), at
// process.exit(), or at an uncaught error (printed as node prints it, code 1). stdout and stderr
// are the supervisor's pipes (synchronous on Linux: everything written is in the pipe before the
// answer). "recycle": the process may still hold the example's work (it exited early or threw);
// it then ends itself right after the answer and the supervisor starts a fresh one.
//
// Isolation: an example never shares globals with another (a new context each), but a `vm` context
// is not a security boundary: what still holds the examples apart is the cell (namespaces, the
// examples' user, kill of every other process and an emptied /tmp after each example) and the
// recycling above. The supervisor kills this process on a timeout.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { Console } = require('node:console');

const JOBS = 3;
const ANSWERS = 4;
const realExit = process.exit.bind(process);
const hostTimers = {
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate,
};
const builtins = new Set(Module.builtinModules);

function send(obj) {
  const data = Buffer.from(`${JSON.stringify(obj)}\n`);
  let off = 0;
  while (off < data.length) off += fs.writeSync(ANSWERS, data, off);
}

let pending = '';
function nextJob() {
  const buf = Buffer.alloc(1 << 16);
  while (!pending.includes('\n')) {
    let n;
    try {
      n = fs.readSync(JOBS, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code === 'EAGAIN' || err.code === 'EINTR') continue;
      throw err;
    }
    if (n === 0) realExit(0); // the supervisor is gone
    pending += buf.toString('utf8', 0, n);
  }
  const at = pending.indexOf('\n');
  const line = pending.slice(0, at);
  pending = pending.slice(at + 1);
  return JSON.parse(line);
}

// --- one example ---------------------------------------------------------------------------
let current = null; // {timers: Set, done: bool}

function finish(code, recycle) {
  if (!current || current.done) return;
  current.done = true;
  for (const [clear, handle] of current.timers) clear(handle);
  current.timers.clear();
  if (!recycle) emitExit(current.listeners, code);
  restoreListeners(current.listeners);
  try { process.stdout.write(''); } catch (_) { /* closed */ }
  send({ code, recycle });
  current = null;
  process.exitCode = undefined;
  if (recycle) realExit(code);
}

function report(err) {
  // As node reports an uncaught error: the stack (or the thrown value) on stderr.
  let text;
  if (err && typeof err === 'object' && 'stack' in err && err.stack) text = `${err.stack}`;
  else {
    try { text = `Uncaught ${require('node:util').inspect(err)}`; } catch (_) { text = 'Uncaught error'; }
  }
  try { fs.writeSync(2, `${text}\n\nNode.js ${process.version}\n`); } catch (_) { /* closed */ }
}

process.on('uncaughtException', (err) => {
  report(err);
  finish(1, true);
});
process.on('unhandledRejection', (err) => {
  report(err);
  finish(1, true);
});
process.on('beforeExit', () => {
  if (current) {
    if (!current.settled) {
      // As node says of a module whose top-level await can never finish.
      try { fs.writeSync(2, 'Warning: Detected unsettled top-level await\n'); } catch (_) { /* closed */ }
      finish(13, true);
    } else finish(Number(process.exitCode ?? 0) || 0, false);
  }
  start(nextJob());
});

function listenerCounts() {
  const counts = new Map();
  for (const name of process.eventNames()) counts.set(name, process.listeners(name).slice());
  return counts;
}

function restoreListeners(before) {
  // Listeners an example added to process (its 'exit', signal handlers) go with it.
  for (const name of process.eventNames()) {
    const keep = before.get(name) || [];
    for (const listener of process.listeners(name)) {
      if (!keep.includes(listener)) process.removeListener(name, listener);
    }
  }
}

function emitExit(before, code) {
  // The example's own 'exit' listeners, called as node calls them when a process ends.
  const keep = before.get('exit') || [];
  for (const listener of process.listeners('exit')) {
    if (keep.includes(listener)) continue;
    try { listener.call(process, code); } catch (err) { report(err); }
  }
}

function trackedTimers(timers) {
  const wrap = (set, clear) => (...args) => {
    const handle = set(...args);
    timers.add([clear, handle]);
    return handle;
  };
  return {
    setTimeout: wrap(hostTimers.setTimeout, hostTimers.clearTimeout),
    setInterval: wrap(hostTimers.setInterval, hostTimers.clearInterval),
    setImmediate: wrap(hostTimers.setImmediate, hostTimers.clearImmediate),
    clearTimeout: hostTimers.clearTimeout,
    clearInterval: hostTimers.clearInterval,
    clearImmediate: hostTimers.clearImmediate,
  };
}

const SHARED = [
  'URL', 'URLSearchParams', 'Buffer', 'TextEncoder', 'TextDecoder', 'AbortController', 'AbortSignal',
  'EventTarget', 'Event', 'fetch', 'Headers', 'Request', 'Response', 'FormData', 'Blob', 'File',
  'structuredClone', 'atob', 'btoa', 'queueMicrotask', 'performance', 'crypto', 'ReadableStream',
  'WritableStream', 'TransformStream', 'TextEncoderStream', 'TextDecoderStream', 'BroadcastChannel',
  'MessageChannel', 'MessagePort', 'MessageEvent', 'DOMException', 'WebAssembly', 'navigator',
];

function newContext(script, timers) {
  const sandbox = { process, console: new Console({ stdout: process.stdout, stderr: process.stderr }) };
  for (const name of SHARED) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d) sandbox[name] = globalThis[name];
  }
  Object.assign(sandbox, trackedTimers(timers));
  const context = vm.createContext(sandbox, { name: script });
  vm.runInContext('globalThis.global = globalThis; globalThis.self = globalThis;', context);
  return context;
}

async function linkerFor(context, script) {
  const hostRequire = Module.createRequire(script);
  const cache = new Map();
  async function load(specifier, referrer) {
    const base = referrer && referrer.identifier && referrer.identifier.startsWith('/') ? referrer.identifier : script;
    const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    if (builtins.has(name) || builtins.has(specifier)) {
      const key = `node:${name}`;
      if (!cache.has(key)) cache.set(key, synthetic(require(key), key, context));
      return cache.get(key);
    }
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) {
      const file = specifier.startsWith('file:') ? new URL(specifier).pathname : path.resolve(path.dirname(base), specifier);
      if (!cache.has(file)) {
        if (/\.(c?js|json)$/.test(file) && !file.endsWith('.mjs')) {
          cache.set(file, synthetic(Module.createRequire(base)(file), file, context));
        } else {
          const mod = new vm.SourceTextModule(fs.readFileSync(file, 'utf8'), {
            identifier: file, context, initializeImportMeta: meta(file), importModuleDynamically: dynamic,
          });
          cache.set(file, mod);
        }
      }
      return cache.get(file);
    }
    // A package (node_modules): loaded by node itself, then handed over (its state is shared).
    const key = `pkg:${specifier}`;
    if (!cache.has(key)) {
      let ns;
      try {
        ns = await import(require('node:url').pathToFileURL(Module.createRequire(base).resolve(specifier)).href);
      } catch (err) {
        if (err && err.code === 'ERR_REQUIRE_ESM') throw err;
        ns = { default: hostRequire(specifier), ...hostRequire(specifier) };
      }
      cache.set(key, synthetic(ns, specifier, context, true));
    }
    return cache.get(key);
  }
  async function dynamic(specifier, referrer) {
    const mod = await load(specifier, referrer);
    if (mod.status === 'unlinked') await mod.link(load);
    if (mod.status === 'linked') await mod.evaluate();
    return mod;
  }
  return { load, dynamic };
}

function meta(file) {
  return (m) => {
    m.url = require('node:url').pathToFileURL(file).href;
    m.filename = file;
    m.dirname = path.dirname(file);
  };
}

function synthetic(value, identifier, context, namespace = false) {
  const names = new Set(['default']);
  if (value && (typeof value === 'object' || typeof value === 'function')) {
    for (const key of Object.keys(value)) if (/^[A-Za-z_$][\w$]*$/.test(key)) names.add(key);
  }
  const mod = new vm.SyntheticModule([...names], function init() {
    for (const key of names) {
      if (key === 'default') this.setExport('default', namespace && 'default' in value ? value.default : value);
      else this.setExport(key, value[key]);
    }
  }, { identifier, context });
  return mod;
}

async function runModule(script, context) {
  const { load, dynamic } = await linkerFor(context, script);
  const mod = new vm.SourceTextModule(fs.readFileSync(script, 'utf8'), {
    identifier: script, context, initializeImportMeta: meta(script), importModuleDynamically: dynamic,
  });
  await mod.link(load);
  await mod.evaluate();
}

function runCommonJS(script, context) {
  const module = { exports: {}, filename: script, id: '.', loaded: false, children: [], paths: [] };
  const wrapper = vm.runInContext(
    `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(script, 'utf8')}\n})`,
    context, { filename: script },
  );
  wrapper.call(module.exports, module.exports, Module.createRequire(script), module, script, path.dirname(script));
  module.loaded = true;
}

function start(job) {
  current = { timers: new Set(), done: false, settled: false, listeners: listenerCounts() };
  process.exitCode = undefined;
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, job.env);
  process.chdir(job.cwd);
  process.argv = [process.execPath, job.script];
  process.exit = (code) => {
    // As in node: the process ends here and now (this one is replaced by a fresh one).
    finish(code === undefined ? Number(process.exitCode ?? 0) || 0 : Number(code) || 0, true);
  };
  const context = newContext(job.script, current.timers);
  let run;
  try {
    run = job.script.endsWith('.cjs') ? Promise.resolve(runCommonJS(job.script, context)) : runModule(job.script, context);
  } catch (err) {
    run = Promise.reject(err);
  }
  // Started from 'beforeExit': without a pending handle node would end once this returns (linking
  // and a short example are promises only); one turn of the loop makes it look again.
  hostTimers.setImmediate(() => {});
  const mine = current;
  run.then(() => { mine.settled = true; }, (err) => {
    mine.settled = true;
    report(err);
    finish(1, true);
  });
}

// Warm up: load fetch and its HTTP stack (undici) without touching the network.
(async () => {
  try {
    const r = await fetch('data:application/json,{"ok":true}');
    await r.json();
    new FormData().append('f', new Blob(['x']), 'x.txt');
    new Response('x').headers.get('content-type');
  } catch (_) { /* a node without fetch: examples will say so */ }
  send({ ready: true, pid: process.pid });
})();
