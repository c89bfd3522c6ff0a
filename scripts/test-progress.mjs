// A node:test reporter for scripts/test.mjs: one line per test that begins running (`test:dequeue`,
// emitted right before it runs — `test:start` only comes when it reports) and per test that ends
// (tab-separated: start|end, nesting, name), so that when a test file is killed by the per-file
// timeout, the tests still running can be named.
export default async function* progress(source) {
  for await (const ev of source) {
    if (ev.type === 'test:dequeue') yield `start\t${ev.data.nesting}\t${ev.data.name}\n`;
    else if (ev.type === 'test:pass' || ev.type === 'test:fail') yield `end\t${ev.data.nesting}\t${ev.data.name}\n`;
  }
}
