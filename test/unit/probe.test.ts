/**
 * The reachability probe over this machine's loopback: the server tells the client the
 * source address it saw and ends, a client started before its server retries until it
 * listens, and each way of failing ends with its code and its words.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeClient, probeServer, runProbe, type ProbeOutput } from '../../src/lab/probe.js';

function capture(): ProbeOutput & { text: { out: string; err: string } } {
  const text = { out: '', err: '' };
  return { text, out: (t) => void (text.out += t), err: (t) => void (text.err += t) };
}

/** A port nothing listens on now (the kernel's pick, released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('the TCP probe', () => {
  it('the server tells the client the address it came from, and both end with 0', async () => {
    const port = await freePort();
    const so = capture();
    const co = capture();
    const server = probeServer(port, 5000, so);
    const code = await probeClient('127.0.0.1', port, 3000, co);
    expect(code).toBe(0);
    expect(co.text).toEqual({ out: 'seen=127.0.0.1\n', err: '' });
    expect(await server).toBe(0);
    expect(so.text).toEqual({ out: 'seen=127.0.0.1\n', err: '' });
  });

  it('a client started before its server retries until the server listens', async () => {
    const port = await freePort();
    const co = capture();
    const client = probeClient('127.0.0.1', port, 3000, co);
    await new Promise((r) => setTimeout(r, 300));
    const server = probeServer(port, 5000, capture());
    expect(await client).toBe(0);
    expect(co.text.out).toBe('seen=127.0.0.1\n');
    expect(await server).toBe(0);
  });

  it('a server no client reaches ends with 3 at its time limit, saying so', async () => {
    const so = capture();
    const t0 = Date.now();
    expect(await probeServer(await freePort(), 150, so)).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(so.text).toEqual({ out: '', err: 'probe server: no client within 150 ms\n' });
  });

  it('a client nothing answers ends with 1 once its time is up, naming the error and the address', async () => {
    const port = await freePort();
    const co = capture();
    const t0 = Date.now();
    expect(await probeClient('127.0.0.1', port, 400, co)).toBe(1);
    // it kept trying while refused, then gave up within its time
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(co.text).toEqual({ out: '', err: `probe client: ECONNREFUSED connecting to 127.0.0.1:${port}\n` });
  });

  it('a server that answers something else is a failure (1), and what it said is printed', async () => {
    const port = await freePort();
    const s = createServer((sock) => sock.end('hello\n'));
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
    try {
      const co = capture();
      expect(await probeClient('127.0.0.1', port, 1000, co)).toBe(1);
      expect(co.text.out).toBe('hello\n');
    } finally {
      s.close();
    }
  });

  it('the command line: server and client by name, anything else is a usage error (2)', async () => {
    const port = await freePort();
    const so = capture();
    const server = runProbe(['server', String(port), '3000'], so);
    const co = capture();
    expect(await runProbe(['client', '127.0.0.1', String(port), '2000'], co)).toBe(0);
    expect(await server).toBe(0);
    expect(co.text.out).toBe('seen=127.0.0.1\n');
    // without time limits, each waits its default (5 s and 3 s), not none
    const port2 = await freePort();
    const server2 = runProbe(['server', String(port2)], capture());
    await new Promise((r) => setTimeout(r, 100));
    expect(await runProbe(['client', '127.0.0.1', String(port2)], capture())).toBe(0);
    expect(await server2).toBe(0);
    const bad = capture();
    expect(await runProbe(['listen', '1'], bad)).toBe(2);
    expect(bad.text.err).toBe('usage: probe.js server <port> <timeoutMs> | client <host> <port> <timeoutMs>\n');
  });

  it('a server that takes the connection and never answers: the client gives up at its time limit, saying so', async () => {
    const port = await freePort();
    const held: import('node:net').Socket[] = [];
    const s = createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
    try {
      const co = capture();
      const t0 = Date.now();
      expect(await probeClient('127.0.0.1', port, 400, co)).toBe(1);
      // not before its time (timers never fire early), and not long after
      expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(co.text).toEqual({ out: '', err: `probe client: timed out connecting to 127.0.0.1:${port}\n` });
    } finally {
      for (const h of held) h.destroy();
      s.close();
    }
  });
});
