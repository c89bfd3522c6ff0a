// Worker threads do not inherit a loader registered through tsx's API: register it, then run the
// signing thread's TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./sign-worker.ts');
