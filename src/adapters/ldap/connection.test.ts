import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BerReader } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import { SsprError } from '../../domain/errors/sspr-error.js';
import { createLdapConnector } from './connection.js';

// Fake servers on loopback: enough LDAP to see what a client sends before any TLS exists.

interface Received {
  readonly messageId: number;
  /** The protocol operation tag: 0x60 bind, 0x77 extended request … */
  readonly op: number;
  readonly raw: Buffer;
}

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** ExtendedResponse { resultCode, matchedDN "", diagnosticMessage } for one message id. */
function extendedResponse(messageId: number, resultCode: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const body = Buffer.concat([
    Buffer.from([0x0a, 0x01, resultCode, 0x04, 0x00, 0x04, text.length]),
    text,
  ]);
  const op = Buffer.concat([Buffer.from([0x78, body.length]), body]);
  const id = Buffer.from([0x02, 0x01, messageId]);
  return Buffer.concat([Buffer.from([0x30, id.length + op.length]), id, op]);
}

function parse(raw: Buffer): Received | null {
  if (raw[0] !== 0x30) return null;
  const reader = new BerReader(raw);
  reader.readSequence();
  const messageId = reader.readInt() ?? -1;
  return { messageId, op: reader.peek() ?? -1, raw };
}

const options = (urls: string[]) => ({
  urls,
  bindDn: 'cn=svc,dc=example,dc=org',
  bindPassword: 'Svc!Secret-2024',
  tls: { rejectUnauthorized: true },
  timeoutMs: 400,
  connectTimeoutMs: 400,
});

async function failure(promise: Promise<unknown>): Promise<SsprError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SsprError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('createLdapConnector', () => {
  it('wants at least one ldap:// or ldaps:// URL', () => {
    expect(() => createLdapConnector(options([]))).toThrow(/empty/);
    expect(() => createLdapConnector(options(['http://dc1']))).toThrow(/not an ldap/);
  });

  it('only closed ports: DIRECTORY_UNREACHABLE naming each URL, never the password', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const urls = [`ldaps://127.0.0.1:${String(a)}`, `ldap://127.0.0.1:${String(b)}`];
    const connector = createLdapConnector(options(urls));
    const error = await failure(connector.withService('read', () => Promise.resolve()));
    expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
    expect(error.details?.['attempts']).toEqual([
      { url: urls[0], reason: expect.stringContaining('ECONNREFUSED') as unknown },
      { url: urls[1], reason: expect.stringContaining('ECONNREFUSED') as unknown },
    ]);
    expect(JSON.stringify(error.details)).not.toContain('Svc!Secret-2024');
    await connector.close();
  });

  it('a server that never answers: DIRECTORY_TIMEOUT', async () => {
    const port = await listen(() => {
      // accept, say nothing
    });
    const connector = createLdapConnector(options([`ldap://127.0.0.1:${String(port)}`]));
    const error = await failure(connector.withService('read', () => Promise.resolve()));
    expect(error.errorName).toBe('DIRECTORY_TIMEOUT');
    await connector.close();
  });

  it('ldap:// asks for StartTLS first and never binds in clear text when it is refused', async () => {
    const received: Received[] = [];
    const port = await listen((socket) => {
      socket.on('data', (data) => {
        const message = parse(data);
        if (message === null) return;
        received.push(message);
        socket.write(extendedResponse(message.messageId, 2, 'StartTLS not supported'));
      });
    });
    const connector = createLdapConnector(options([`ldap://127.0.0.1:${String(port)}`]));
    const error = await failure(connector.withService('read', () => Promise.resolve()));
    expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
    expect(String(error.details?.['reason'])).toMatch(/StartTLS refused by the server/);
    expect(received.map((m) => m.op)).toEqual([0x77]);
    expect(received[0]?.raw.toString('latin1')).toContain('1.3.6.1.4.1.1466.20037');
    for (const message of received) {
      expect(message.raw.toString('latin1')).not.toContain('Svc!Secret-2024');
    }
    await connector.close();
  });

  it('a StartTLS "success" followed by no TLS: the handshake fails, still no bind in clear', async () => {
    const seen: Buffer[] = [];
    const port = await listen((socket) => {
      socket.on('data', (data) => {
        seen.push(data);
        const message = parse(data);
        if (message?.op === 0x77) socket.write(extendedResponse(message.messageId, 0, ''));
        else socket.end(); // a TLS ClientHello: this is no TLS server
      });
    });
    const connector = createLdapConnector(options([`ldap://127.0.0.1:${String(port)}`]));
    const error = await failure(connector.withService('read', () => Promise.resolve()));
    expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
    const all = Buffer.concat(seen);
    expect(all[seen[0]?.length ?? 0]).toBe(0x16); // what followed the StartTLS request is TLS
    expect(all.toString('latin1')).not.toContain('Svc!Secret-2024');
    expect(all.toString('latin1')).not.toContain('cn=svc,dc=example,dc=org');
    await connector.close();
  });
});
