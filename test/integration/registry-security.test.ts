/**
 * The registry client's TLS CA and basic auth, against the real registry behind an HTTPS
 * endpoint that demands basic auth (as an ingress in front of a production registry does): the
 * configured CA and credentials register and read a schema; a wrong password or an untrusted
 * certificate fail, and no error message holds the password.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Secret } from '../../src/config.ts';
import { registryClient } from '../../src/runtime/schemas.ts';
import { REGISTRY_URL, uniquePrefix } from '../support/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'dkg-registry-tls-'));
const PASSWORD = `pw-${uniquePrefix('x')}`;
const openssl = (args: string[]) => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
};
openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=registry test CA']);
openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=registry']);
writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext']);

const upstream = new URL(REGISTRY_URL);
const expected = 'Basic ' + Buffer.from(`dkg:${PASSWORD}`).toString('base64');
/** HTTPS + basic auth in front of the real registry. */
const server: Server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) }, (req, res) => {
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic' }).end('{"error_code":401,"message":"Unauthorized"}');
    return;
  }
  const { authorization: _, host: __, ...headers } = req.headers;
  const up = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname}`;
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const schema = (name: string) => JSON.stringify({ type: 'record', name, namespace: 'dkg.test', fields: [{ name: 'a', type: 'long' }] });

test('registry over https with the configured CA and basic auth: register and read back', async () => {
  const client = registryClient(url, { registryCaFile: join(dir, 'ca.pem'), registryUsername: 'dkg', registryPassword: new Secret(PASSWORD) });
  const subject = `${uniquePrefix('reg-tls')}value`;
  const { id } = await client.register({ type: SchemaType.AVRO, schema: schema('A') }, { subject });
  assert.ok(id > 0);
  const got = await client.getSchema(id);
  assert.ok(got);
});

test('registry: a wrong password is refused (401) and the message holds no password', async () => {
  const client = registryClient(url, { registryCaFile: join(dir, 'ca.pem'), registryUsername: 'dkg', registryPassword: new Secret('wrong-' + PASSWORD) });
  await assert.rejects(client.register({ type: SchemaType.AVRO, schema: schema('B') }, { subject: `${uniquePrefix('reg-tls')}value` }), (err: Error) => {
    assert.match(String(err.message), /401|Unauthorized/);
    assert.ok(!err.message.includes(PASSWORD));
    return true;
  });
});

test('registry: without the CA the certificate is not trusted', async () => {
  const client = registryClient(url, { registryUsername: 'dkg', registryPassword: new Secret(PASSWORD) });
  await assert.rejects(client.register({ type: SchemaType.AVRO, schema: schema('C') }, { subject: `${uniquePrefix('reg-tls')}value` }), (err: Error) => {
    assert.match(String(err.message), /certificate|self.signed|verify/i);
    return true;
  });
});
