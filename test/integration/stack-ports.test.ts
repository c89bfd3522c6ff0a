/**
 * `stack up` on a port that nothing listens on but that a socket holds: an outgoing connection
 * that was given the port as its local port (what happens to a port in the system's ephemeral
 * range). The node would die at start-up with "Address already in use"; `stack up` says so in
 * one line first, and starts nothing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/paths.ts';
import { lifo } from '../support/runtime.ts';

const listen = (srv: Server, port = 0): Promise<number> =>
  new Promise((res, rej) => {
    srv.once('error', rej);
    srv.listen({ host: '127.0.0.1', port }, () => res((srv.address() as { port: number }).port));
  });

test('stack up refuses a port held by an outgoing connection, in one line, before starting anything', { timeout: 120_000 }, async (t) => {
  const cleanup = lifo(t);
  const peer = createServer((s) => s.on('error', () => {}));
  cleanup(() => new Promise((r) => peer.close(r)));
  const peerPort = await listen(peer);
  // An outgoing connection whose local port the kernel picked from the ephemeral range: that
  // port is now held without anything listening on it.
  const socket: Socket = await new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: peerPort }, () => res(s));
    s.once('error', rej);
  });
  const held = socket.localPort!;
  cleanup(() => socket.destroy());

  const dir = mkdtempSync(join(tmpdir(), 'dkg-stack-ports-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const cache = resolve(process.env.DKG_STREAM_STACK_CACHE ?? process.env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack'));
  const env = { ...process.env, DKG_STREAM_STACK_DIR: dir, DKG_STREAM_STACK_CACHE: cache, DKG_STREAM_KAFKA_PORT: String(held), DKG_STREAM_REGISTRY_PORT: String(held + 2) };
  // Should the check ever let it through, whatever it started is stopped before the directory goes.
  cleanup(() => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), 'stack', 'down'], { env, stdio: 'ignore', timeout: 120_000 }));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), 'stack', 'up'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.resume();
  const code = await new Promise<number | null>((r) => child.once('close', r));
  assert.equal(code, 1, `exit code (stderr: ${err.slice(-500)})`);
  const last = err.trim().split('\n').at(-1)!;
  assert.match(last, new RegExp(`^dkg-stream stack: port ${held} \\(node 1\\) cannot be bound: another socket holds it, .*set DKG_STREAM_KAFKA_PORT`));
  assert.doesNotMatch(err, /starting Kafka node/, 'nothing was started');
});
