#!/usr/bin/env node
// Entry point for `npx dkg-stream`: registers the tsx loader so the TypeScript sources run
// directly (no build step after `npm ci`), then hands over to the CLI dispatcher.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A finished command exits even if a client library still holds a socket or a retry timer (kafkajs
// keeps retrying a connection it was given up on, for up to minutes against a silent broker).
// Normally nothing is left and the process exits before this unref'd timer could fire.
setTimeout(() => process.exit(code), 100).unref();
