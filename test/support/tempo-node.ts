/**
 * A local WebSocket JSON-RPC server speaking a Tempo node's consensus API in its exact JSON
 * shapes (tempo-follow.md §3.3): `consensus_subscribe` → `consensus_event` notifications
 * (`{"type":"finalized", epoch, view, digest, certificate (hex, no 0x), block:{header, body}, seen}`)
 * and `consensus_getFinalization({"height": N})` → CertifiedBlock. Each connection plays the
 * next script: heights to announce, `'drop'` to cut the connection, or raw JSON events.
 */
import { type WebSocket, WebSocketServer } from 'ws';
import { type CertifiedBlock, certifiedBlockToJson, consensusEventToJson } from '../../src/tempo/rpc.ts';
import type { Chain, ChainBlock } from './tempo-chain.ts';

export type ScriptStep = bigint | 'drop' | Record<string, unknown>;

export function certified(b: ChainBlock): CertifiedBlock {
  return { epoch: b.epoch, view: b.view, digest: b.hash, certificate: b.certificate, block: { header: b.header, body: { transactions: [], ommers: [], withdrawals: null } } };
}

export interface FakeTempoNode {
  url: string;
  /** JSON-RPC requests received, in order. */
  requests: Array<{ method: string; params: unknown }>;
  close(): Promise<void>;
}

/**
 * `answer` overrides `consensus_getFinalization({"height": h})`: the JSON result to send (e.g.
 * recorded real data), or undefined for the built chain's block.
 */
export async function fakeTempoNode(chain: Chain | undefined, scripts: ScriptStep[][], answer?: (height: bigint) => unknown): Promise<FakeTempoNode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const requests: FakeTempoNode['requests'] = [];
  let connection = 0;
  wss.on('connection', (ws: WebSocket) => {
    const script = scripts[connection++] ?? [];
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { id: number; method: string; params: Array<{ height?: number }> };
      requests.push({ method: msg.method, params: msg.params });
      if (msg.method === 'consensus_subscribe') {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0x5ub' }));
        for (const step of script) {
          if (step === 'drop') return void ws.terminate();
          const result = typeof step === 'bigint' ? consensusEventToJson({ type: 'finalized', seen: 1_760_000_000_000n + step, ...certified(chain!.block(step)) }) : step;
          ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'consensus_event', params: { subscription: '0x5ub', result } }));
        }
      } else if (msg.method === 'consensus_getFinalization') {
        const h = BigInt(msg.params[0]!.height!);
        const result = answer?.(h) ?? certifiedBlockToJson(certified(chain!.block(h)));
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      } else {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'method not found' } }));
      }
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
