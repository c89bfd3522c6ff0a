/**
 * One verifier thread of {@link ./verify-pool.ts VerifierPool}: answers `{ id, identity,
 * certificates }` with `{ id, results }`, one boolean per certificate, by batched verification
 * (verifyFinalizationsEach: random linear combination, bisected on failure). A certificate that
 * does not decode is `false` and does not spoil the others.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type BlsBackendName, blsBackend, setBlsBackend } from '../crypto/bls12381/backend.ts';
import { decodeFinalization, type Finalization } from './finalization.ts';
import { prepareIdentity, verifyFinalizationsEach } from './verify.ts';

const port = parentPort;
if (!port) throw new Error('verify-worker.ts runs as a worker thread');
const wanted = (workerData as { blsBackend: BlsBackendName }).blsBackend;
if (blsBackend().name !== wanted) setBlsBackend(wanted);

const identities = new Map<string, ReturnType<typeof prepareIdentity>>();

port.on('message', (m: { id: number; identity: Uint8Array; certificates: Uint8Array[] }) => {
  try {
    const key = Buffer.from(m.identity).toString('hex');
    let id = identities.get(key);
    if (!id) identities.set(key, (id = prepareIdentity(m.identity)));
    const decoded: Array<Finalization | null> = m.certificates.map((c) => {
      try {
        return decodeFinalization(c);
      } catch {
        return null;
      }
    });
    const fins = decoded.filter((f): f is Finalization => f !== null);
    const ok = verifyFinalizationsEach(fins, id);
    let k = 0;
    port.postMessage({ id: m.id, results: decoded.map((f) => (f === null ? false : ok[k++]!)) });
  } catch (err) {
    port.postMessage({ id: m.id, error: (err as Error).message });
  }
});
