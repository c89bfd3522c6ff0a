#!/usr/bin/env node
// Entry point for `npx dkg-stream`: registers the tsx loader so the TypeScript sources run
// directly (no build step after `npm ci`), then hands over to the CLI dispatcher.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
