// asldbg dap driven by VS Code's own debug adapter test client
// (@vscode/debugadapter-testsupport's DebugClient): a session on the
// credit-card sample as the editor would run it. Run by tests/run.sh
// (ASLDBG names the binary).
const { test } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const fs = require('node:fs');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

const root = path.join(__dirname, '..', '..');
const bin = process.env.ASLDBG || path.join(root, 'target', 'release', 'asldbg');
const dir = path.join(root, 'samples', 'credit-card');
const def = path.join(dir, 'credit-card.asl.json');
const lineOf = (text) =>
  fs.readFileSync(def, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

async function client() {
  const dc = new DebugClient(bin, 'dap', 'asldbg');
  await dc.start();
  return dc;
}

test('a line breakpoint, scopes, an edit, a Map iteration thread, back, to the end', async () => {
  const dc = await client();
  try {
    const choice = lineOf('"Credit applied >= 5000?": {');
    await dc.hitBreakpoint(
      { definition: def, input: path.join(dir, 'input.json'), mocks: path.join(dir, 'mocks.json') },
      { path: def, line: choice + 3 },
      { path: def, line: choice },
      { path: def, line: choice, verified: true },
    );
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].name, 'Credit applied >= 5000?');
    const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const input = scopes.body.scopes.find((s) => s.name === 'Input');
    const top = await dc.variablesRequest({ variablesReference: input.variablesReference });
    const credit = top.body.variables.find((v) => v.name === 'credit');
    const inner = await dc.variablesRequest({ variablesReference: credit.variablesReference });
    assert.strictEqual(inner.body.variables.find((v) => v.name === 'amount').value, '2500');
    await dc.setVariableRequest({ variablesReference: credit.variablesReference, name: 'amount', value: '100' });
    const e = await dc.evaluateRequest({ expression: '$.credit', context: 'repl' });
    assert.strictEqual(e.body.result, '{"amount":100}');
    const j = await dc.evaluateRequest({ expression: '$.credit.amount + 1', context: 'repl' });
    assert.strictEqual(j.body.result, '101');

    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Get all scores' }] });
    await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
    const threads = await dc.threadsRequest();
    const it = threads.body.threads.find((t) => t.name === 'Get all scores [0]');
    assert.ok(it, JSON.stringify(threads.body));
    const frames = await dc.stackTraceRequest({ threadId: it.id });
    assert.deepStrictEqual(
      frames.body.stackFrames.map((f) => f.name),
      ['Get all scores [0]', 'Get scores from all credit bureaus'],
    );
    const [, stop] = await Promise.all([dc.stepInRequest({ threadId: it.id }), dc.waitForEvent('stopped')]);
    assert.match(stop.body.description, /Get all scores \[1\]/);
    const [, back] = await Promise.all([dc.stepBackRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
    assert.match(back.body.description, /back/);

    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const [, exited] = await Promise.all([
      dc.continueRequest({ threadId: 1 }),
      dc.waitForEvent('exited'),
      dc.waitForEvent('terminated'),
    ]);
    assert.strictEqual(exited.body.exitCode, 0);
  } finally {
    await dc.stop();
  }
});

test('an unknown request gets an error response', async () => {
  const dc = await client();
  try {
    await dc.initializeRequest();
    await assert.rejects(dc.customRequest('frobnicate'), /unknown request 'frobnicate'/);
  } finally {
    await dc.stop();
  }
});
