/**
 * Sealing of secrets (private shares, dealer private messages, rng seeds) with AES-256-GCM, so
 * that they never sit in a topic, a changelog or RocksDB in plaintext.
 *
 * Invariants:
 * - A fresh random 96-bit nonce per seal; the 16-byte tag is appended to the ciphertext.
 * - The associated data binds the secret to where it belongs — purpose, topic, epoch and owner —
 *   each length-prefixed so no two distinct contexts encode to the same bytes. A ciphertext
 *   copied into another record (other epoch, other node, other field) fails authentication.
 * - Keys are identified by `keyId` = first 8 bytes of SHA-256(key), hex. A keyring holds the
 *   current key (used to seal) and older keys (still accepted to open), which is how an operator
 *   rotates: add the new key first in the file, restart, re-seal (replay), then drop the old one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Sealed {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
}

/** Where a secret belongs; all of it is authenticated. */
export interface SealContext {
  purpose: 'share' | 'dealer-priv-msg' | 'rng-seed' | (string & {});
  topic: string;
  epoch: bigint;
  /** Public key (or other id) of the node the secret belongs to. */
  owner: Uint8Array;
}

/** Base class for failures to open a sealed secret; the record goes to the DLQ, never into state. */
export class SealError extends Error {
  override name = 'SealError';
}
/** Ciphertext, nonce, tag or context do not match: tampered, misplaced, or another key's. */
export class AuthenticationFailed extends SealError {
  override name = 'AuthenticationFailed';
}
/** No key in the keyring has this id (rotated out, or another operator's data). */
export class UnknownKeyId extends SealError {
  override name = 'UnknownKeyId';
}
/** The key file is missing or malformed. */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

const VERSION = Buffer.from('dkg-stream/seal/v1');

export const keyIdOf = (key: Uint8Array): string => createHash('sha256').update(key).digest().subarray(0, 8).toString('hex');

export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  readonly current: string;

  /** `keys[0]` seals; all of them open. Each key is exactly 32 bytes. */
  constructor(keys: Uint8Array[]) {
    if (keys.length === 0) throw new KeyFileError('a keyring needs at least one key');
    for (const k of keys) {
      if (k.length !== 32) throw new KeyFileError(`AES-256 keys are 32 bytes, got ${k.length}`);
      this.keys.set(keyIdOf(k), Buffer.from(k));
    }
    this.current = keyIdOf(keys[0]!);
  }

  /**
   * Reads a key file: one key per line as 64 hex characters (blank lines and `#` comments
   * ignored), the first line being the current key; or a single raw 32-byte binary key.
   */
  static fromFile(path: string): Keyring {
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch (err) {
      throw new KeyFileError(`cannot read key file ${path}: ${(err as Error).message}`);
    }
    const text = raw.toString('utf8');
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (lines.length > 0 && lines.every((l) => /^[0-9a-fA-F]{64}$/.test(l))) {
      return new Keyring(lines.map((l) => Buffer.from(l, 'hex')));
    }
    if (raw.length === 32) return new Keyring([raw]);
    throw new KeyFileError(`key file ${path} must hold 64-hex-character keys, one per line, or 32 raw bytes`);
  }

  seal(plaintext: Uint8Array, ctx: SealContext): Sealed {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, nonce);
    cipher.setAAD(associatedData(ctx));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.current, nonce, ciphertext: body };
  }

  open(sealed: Sealed, ctx: SealContext): Buffer {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new UnknownKeyId(`secret sealed with key ${sealed.keyId}, which is not in the keyring (have ${[...this.keys.keys()].join(', ')})`);
    if (sealed.nonce.length !== 12) throw new AuthenticationFailed(`nonce must be 12 bytes, got ${sealed.nonce.length}`);
    if (sealed.ciphertext.length < 16) throw new AuthenticationFailed('ciphertext shorter than the GCM tag');
    const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - 16);
    const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - 16);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    decipher.setAAD(associatedData(ctx));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new AuthenticationFailed(`sealed ${ctx.purpose} for epoch ${ctx.epoch} on ${ctx.topic} does not authenticate (tampered, misplaced or wrong key)`);
    }
  }
}

function associatedData(ctx: SealContext): Buffer {
  const epoch = Buffer.alloc(8);
  epoch.writeBigUInt64BE(ctx.epoch);
  const parts = [VERSION, Buffer.from(ctx.purpose), Buffer.from(ctx.topic), epoch, Buffer.from(ctx.owner)];
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}
