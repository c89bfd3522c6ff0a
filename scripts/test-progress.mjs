// A node:test reporter for scripts/test.mjs: one line per test that begins running (`test:dequeue`,
// emitted right before it runs — `test:start` only comes when it reports) and per test that ends
// (tab-separated: start|end, nesting, name, and for an end: pass|fail and test|suite), so that when
// a test file is killed by the per-file timeout, the tests still running can be named, and the
// suite's closing line can count tests across files.
export default async function* progress(source) {
  for await (const ev of source) {
    if (ev.type === 'test:dequeue') yield `start\t${ev.data.nesting}\t${ev.data.name}\n`;
    else if (ev.type === 'test:pass' || ev.type === 'test:fail') {
      const outcome = ev.type === 'test:pass' ? (ev.data.skip || ev.data.todo ? 'skip' : 'pass') : 'fail';
      yield `end\t${ev.data.nesting}\t${ev.data.name}\t${outcome}\t${ev.data.details?.type === 'suite' ? 'suite' : 'test'}\n`;
    }
  }
}
