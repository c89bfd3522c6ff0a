/**
 * HTTP operations server:
 *   GET /healthz                 200 while the process runs and no consumer gave up
 *   GET /readyz                  200 only when every runtime is restored and assigned (else 503 + status)
 *   GET /metrics                 Prometheus text
 *   GET /stores/<name>/<keyHex>  value of a key in a queryable store (local partitions only);
 *                                404 {owner} naming the instance that owns the key otherwise:
 *                                its advertised endpoint and the URL of the key there
 *   GET /stores/<name>?from=<hex>&to=<hex>&limit=N   range over the local partitions (hex keys, to exclusive)
 * Keys and values are hex (stores hold raw bytes; `epoch` keys are 16 hex digits).
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { showValue } from '../show.ts';
import { compareBytes } from '../state/kv.ts';
import type { KafkaPort } from './kafka/port.ts';
import { logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { StreamRuntime } from './runtime.ts';

const log = logger('runtime.http');

export interface QueryableStore {
  runtime: StreamRuntime;
  store: string;
  /** Partition count of the processor's inputs. */
  partitions: number;
  /** The record key a store key was partitioned by (default: the store key itself). */
  partitionKey?: (storeKey: Buffer) => Buffer;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  kafka: KafkaPort;
  runtimes: StreamRuntime[];
  metrics: Metrics[];
  /** Query name → store. */
  queries: Map<string, QueryableStore>;
  /**
   * Processor-specific query routes, by first path segment: `/<name>/<rest…>` calls the handler
   * with the remaining (URI-decoded) segments and the query string; it returns a status and a
   * JSON body.
   */
  routes?: Map<string, QueryRoute>;
}

export type QueryRoute = (path: string[], query: URLSearchParams) => Promise<{ status: number; body: unknown }>;

const HEX = /^([0-9a-fA-F]{2})*$/;

export async function startOpsServer(o: OpsServerOptions): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  let crashed = false;
  for (const r of o.runtimes) r.on('error', () => (crashed = true));
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(type === 'application/json' ? JSON.stringify(body) + '\n' : String(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (req.method !== 'GET') return send(405, { error: 'only GET' });
      if (url.pathname === '/healthz') return send(crashed ? 503 : 200, { status: crashed ? 'consumer crashed' : 'ok' });
      if (url.pathname === '/readyz') {
        const status = o.runtimes.map((r) => r.status());
        return send(status.every((s) => s.ready) ? 200 : 503, { ready: status.every((s) => s.ready), runtimes: status });
      }
      if (url.pathname === '/metrics') {
        const texts = await Promise.all([...new Set(o.metrics)].map((m) => m.render()));
        return send(200, texts.join(''), 'text/plain; version=0.0.4');
      }
      if (parts[0] === 'stores' && parts.length >= 2) {
        const q = o.queries.get(parts[1]!);
        if (!q) return send(404, { error: `no queryable store ${showValue(parts[1])}`, stores: [...o.queries.keys()] });
        if (parts.length === 3) {
          const keyHex = parts[2]!;
          if (!HEX.test(keyHex)) return send(400, { error: 'key must be hex' });
          const key = Buffer.from(keyHex, 'hex');
          const partition = o.kafka.partitionFor(q.partitionKey ? q.partitionKey(key) : key, q.partitions);
          const store = q.runtime.localStore(q.store, partition);
          if (!store) {
            const owner = await ownerOf(o.kafka, q.runtime, partition, url.pathname).catch(() => null);
            return send(404, { error: 'key not local', store: parts[1], key: keyHex, partition, owner });
          }
          const v = await store.get(key);
          if (v === undefined) return send(404, { error: 'key not found', store: parts[1], key: keyHex, partition, owner: 'local' });
          return send(200, { store: parts[1], key: keyHex, partition, value: v.toString('hex') });
        }
        const from = url.searchParams.get('from');
        const to = url.searchParams.get('to');
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 10_000);
        if ((from && !HEX.test(from)) || (to && !HEX.test(to))) return send(400, { error: 'from/to must be hex' });
        const entries: Array<{ key: Buffer; value: Buffer; partition: number }> = [];
        for (const p of q.runtime.assignedPartitions()) {
          const store = q.runtime.localStore(q.store, p);
          if (!store) continue;
          const range = { ...(from ? { gte: Buffer.from(from, 'hex') } : {}), ...(to ? { lt: Buffer.from(to, 'hex') } : {}), limit };
          for await (const [key, value] of store.range(range)) entries.push({ key, value, partition: p });
        }
        entries.sort((a, b) => compareBytes(a.key, b.key));
        return send(200, {
          store: parts[1],
          partitions: q.runtime.assignedPartitions().sort((a, b) => a - b),
          entries: entries.slice(0, limit).map((e) => ({ key: e.key.toString('hex'), value: e.value.toString('hex'), partition: e.partition })),
        });
      }
      const route = parts[0] !== undefined ? o.routes?.get(parts[0]) : undefined;
      if (route) {
        const r = await route(parts.slice(1), url.searchParams);
        return send(r.status, r.body);
      }
      return send(404, { error: 'not found', routes: ['/healthz', '/readyz', '/metrics', '/stores/<name>/<keyHex>', '/stores/<name>?from=&to=&limit='] });
    })().catch((err) => {
      log.warn({ err: (err as Error).message }, 'request failed');
      send(500, { error: (err as Error).message });
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port, o.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The group member that owns `partition`: its advertised endpoint (userData; a base URL, or
 * host:port from older instances) and `path` on it (null when it advertised none).
 */
async function ownerOf(kafka: KafkaPort, rt: StreamRuntime, partition: number, path: string): Promise<{ memberId: string; endpoint: string | null; url: string | null } | null> {
  const admin = await kafka.admin();
  const g = await admin.describeGroup(rt.groupId);
  for (const m of g.members) {
    if (!Object.values(m.assignment).some((ps) => ps.includes(partition))) continue;
    let endpoint: string | null = null;
    try {
      endpoint = (JSON.parse(m.userData.toString('utf8')) as { endpoint?: string | null }).endpoint ?? null;
    } catch {
      /* not ours */
    }
    const base = endpoint === null ? null : /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/+$/, '') : `http://${endpoint}`;
    return { memberId: m.memberId, endpoint, url: base === null ? null : `${base}${path}` };
  }
  return null;
}
