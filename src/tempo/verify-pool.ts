/**
 * Finalization certificates verified on every core: a pool of worker threads, each running the
 * same batched verification as {@link verifyFinalizationsEach} on its share of a request.
 *
 * Invariants:
 * - Same answers as one thread: for each certificate, `true` exactly when
 *   `verifyFinalization(decodeFinalization(bytes), identity).valid` (batched with random linear
 *   combinations, bisected on failure, as verifyFinalizationsEach does). A certificate that does
 *   not decode is `false`.
 * - Order is the caller's: results come back in the order of the request, whatever worker ran
 *   which slice, so a fold that uses them stays in offset order.
 * - A worker that dies (or errors) fails the requests it held with a {@link VerifierPoolError};
 *   it is replaced for the next request. `close()` ends every worker; nothing keeps the process
 *   alive after it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { blsBackend } from '../crypto/bls12381/backend.ts';

export class VerifierPoolError extends Error {
  override name = 'VerifierPoolError';
}

/** Verifies many certificates of one identity; results in request order. */
export interface CertificateVerifier {
  readonly threads: number;
  verifyEach(certificates: readonly Uint8Array[], identity: Uint8Array): Promise<boolean[]>;
  close(): Promise<void>;
}

interface Job {
  resolve(r: boolean[]): void;
  reject(e: Error): void;
}

/** One worker thread and the jobs it was given (answered in order). */
class PoolWorker {
  private readonly worker: Worker;
  private readonly jobs = new Map<number, Job>();
  private next = 0;
  dead = false;

  constructor(onExit: (w: PoolWorker) => void) {
    this.worker = new Worker(new URL('./verify-worker-entry.mjs', import.meta.url), {
      // The thread verifies with the backend this thread uses now (same answers either way; speed differs).
      workerData: { blsBackend: blsBackend().name },
    });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; results?: boolean[]; error?: string }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.jobs.delete(m.id);
      if (m.results) job.resolve(m.results);
      else job.reject(new VerifierPoolError(`verifier thread: ${m.error}`));
      if (this.jobs.size === 0) this.worker.unref();
    });
    const fail = (why: string) => {
      this.dead = true;
      for (const j of this.jobs.values()) j.reject(new VerifierPoolError(why));
      this.jobs.clear();
      onExit(this);
    };
    this.worker.on('error', (e) => fail(`verifier thread failed: ${e.message}`));
    this.worker.on('exit', (code) => fail(`verifier thread exited (code ${code})`));
  }

  get load(): number {
    return this.jobs.size;
  }

  run(certificates: readonly Uint8Array[], identity: Uint8Array): Promise<boolean[]> {
    const id = this.next++;
    this.worker.ref(); // a pending answer keeps the process alive; an idle pool does not
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.worker.postMessage({ id, identity, certificates });
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}

/**
 * `threads` worker threads (default: every core). A request is cut into one slice per thread
 * (at least `minSlice` certificates each, so small requests do not pay for many messages).
 */
export class VerifierPool implements CertificateVerifier {
  private workers: PoolWorker[] = [];
  private closed = false;

  constructor(
    readonly threads = availableParallelism(),
    private readonly minSlice = 16,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`verifier threads must be a positive integer, got ${threads}`);
  }

  private worker(i: number): PoolWorker {
    let w = this.workers[i];
    if (!w || w.dead) {
      w = new PoolWorker((dead) => {
        const at = this.workers.indexOf(dead);
        if (at >= 0 && !this.closed) this.workers[at] = undefined as unknown as PoolWorker;
      });
      this.workers[i] = w;
    }
    return w;
  }

  async verifyEach(certificates: readonly Uint8Array[], identity: Uint8Array): Promise<boolean[]> {
    if (this.closed) throw new VerifierPoolError('verifier pool is closed');
    if (certificates.length === 0) return [];
    const slices = Math.max(1, Math.min(this.threads, Math.floor(certificates.length / this.minSlice)));
    const size = Math.ceil(certificates.length / slices);
    const parts: Promise<boolean[]>[] = [];
    for (let s = 0; s < slices; s++) parts.push(this.worker(s).run(certificates.slice(s * size, (s + 1) * size), identity));
    return (await Promise.all(parts)).flat();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.filter(Boolean).map((w) => w.terminate()));
    this.workers = [];
  }
}
