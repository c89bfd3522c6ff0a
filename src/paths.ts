import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: relative settings (topology, schemas, data, .stack) resolve against it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
