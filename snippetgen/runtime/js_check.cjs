// Syntax-checks many JavaScript sources in one node process (no code is run).
// stdin: JSON array of source strings; stdout: JSON array of null | {line, message}.
// A source parses if it is a valid classic script or a valid ES module.
'use strict';
const vm = require('node:vm');

function locate(err, fallbackLine) {
  const m = /^[^\n]*?:(\d+)\n/.exec(String(err.stack || ''));
  return m ? Number(m[1]) : fallbackLine;
}

function checkModule(code) {
  try {
    new vm.SourceTextModule(code, { identifier: 'example.mjs' });
    return null;
  } catch (err) {
    return { line: locate(err, 1), message: err.message };
  }
}

function checkScript(code) {
  try {
    new vm.Script(code, { filename: 'example.js' });
    return null;
  } catch (err) {
    return { line: locate(err, 1), message: err.message };
  }
}

const looksLikeModule = (code) => /^\s*(import\s[^(]|import\{|export\s)/m.test(code) || /^\s*await\s/m.test(code);

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((code) => {
    const asScript = checkScript(code);
    if (asScript === null) return null;
    const asModule = checkModule(code);
    if (asModule === null) return null;
    return looksLikeModule(code) ? asModule : asScript;
  });
  process.stdout.write(JSON.stringify(out));
});
