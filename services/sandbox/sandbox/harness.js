// The JavaScript harness: `node [flags] harness.js SPEC_FD RECORD_FD WORKDIR` inside the sandboxed process.
// Reads its spec (nonce, candidate, tests) from SPEC_FD and closes it before any candidate code runs;
// writes the completion record, led by the nonce and its pid, to RECORD_FD (sandbox/harness_py.py has
// the record format). The record says "passed" only when the program ran to its natural end: the
// 'exit' event without process.exit() having been called, after the module finished loading.
'use strict';
const fs = require('fs');
const path = require('path');

const specFd = Number(process.argv[2]);
const recordFd = Number(process.argv[3]);
process.chdir(process.argv[4]); // the slot's scratch dir, mode 0700: only its own uid can enter it
const spec = JSON.parse(fs.readFileSync(specFd, 'utf8'));
fs.closeSync(specFd);
const nonce = spec.nonce;
delete spec.nonce;

// bound before the candidate runs; JSON.stringify of a primitive string consults no prototype
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const pid = process.pid;
const DETAIL_CHARS = 400;
const arity = { test: 2, done: 3 };
// emit('test', index, ok[, detail]) / emit('done', outcome, passed, total[, detail])
function emit(kind, ...args) {
  const n = arity[kind];
  const text = String(args.length > n ? args[n] : '').slice(0, DETAIL_CHARS);
  let fields = '';
  for (let i = 0; i < n; i++) fields += (i ? ' ' : '') + args[i];
  writeSync(recordFd, nonce + ' ' + pid + ' ' + kind + ' ' + fields + ' ' + stringify(text) + '\n');
}

let loaded = false; // the candidate's module (and the script after it) finished its first run
let explicitExit = null; // the code given to process.exit(), when it was called
let harnessExiting = false;
const realExit = process.exit;
const realReallyExit = process.reallyExit;
process.exit = function exit(code) {
  if (explicitExit === null) explicitExit = code === undefined ? process.exitCode || 0 : code;
  return realExit.call(process, code);
};
process.reallyExit = function reallyExit(code) {
  if (explicitExit === null) explicitExit = code;
  return realReallyExit.call(process, code);
};

function oneLine(err) {
  if (err && typeof err === 'object') {
    const name = err.name || 'Error';
    const message = String(err.message === undefined ? '' : err.message).split('\n').join(' ');
    return message ? name + ': ' + message : name;
  }
  return 'thrown: ' + String(err);
}

function fail(err) {
  const kind = err && err.name === 'AssertionError' ? 'failed' : 'error';
  emit('done', kind, 0, 1, oneLine(err));
  harnessExiting = true;
  realReallyExit.call(process, 0);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

process.on('exit', (code) => {
  if (harnessExiting) return;
  if (spec.kind === 'stdio') {
    // a program may end with process.exit(0): the server compares what it printed
    if (code === 0) emit('done', 'ran', 0, 1);
    else emit('done', 'error', 0, 1, 'exit status ' + code);
  } else if (!loaded) {
    emit('done', 'error', 0, 1, 'exited while the program was loading (process.exit?)');
  } else if (explicitExit !== null) {
    emit('done', 'error', 0, 1, 'process.exit(' + explicitExit + ') before the script completed');
  } else if (code !== 0) {
    emit('done', 'error', 0, 1, 'exit status ' + code);
  } else {
    emit('test', 0, 1);
    emit('done', 'passed', 1, 1);
  }
});

try {
  fs.writeFileSync('/proc/self/oom_score_adj', '1000'); // the OOM killer takes a candidate first
} catch (err) {
  // not fatal: the limits still hold
}

const source = spec.kind === 'script' ? spec.code + '\n;\n' + spec.script : spec.code;
const main = path.join(process.cwd(), 'main.js');
fs.writeFileSync(main, source);
process.argv = [process.argv[0], main];
try {
  require(main);
  loaded = true;
} catch (err) {
  loaded = true;
  fail(err);
}
