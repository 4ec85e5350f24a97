/**
 * A tiny TCP probe run inside a namespace: the server tells each client which source
 * address it saw (how the peer proves NAT hides the container), then exits.
 *   node probe.js server <port> <timeoutMs>
 *   node probe.js client <host> <port> <timeoutMs>
 * The server and client are functions that resolve to the exit code, so that they can be
 * tested in-process; run as a script, the process exits with it.
 */
import { createConnection, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface ProbeOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: ProbeOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** Accept one client, tell it the source address seen, and end (0); 3 when no client comes within `timeoutMs`. */
export function probeServer(port: number, timeoutMs: number, o: ProbeOutput = processOutput): Promise<number> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const srv = createServer((sock) => {
      clearTimeout(timer);
      // an IPv4 listener: the address as the peer sent it, never an IPv4-mapped IPv6 one
      const seen = sock.remoteAddress ?? '';
      o.out(`seen=${seen}\n`);
      sock.end(`seen=${seen}\n`, () => srv.close(() => resolve(0)));
    });
    srv.listen(port, '0.0.0.0');
    timer = setTimeout(() => {
      o.err(`probe server: no client within ${timeoutMs} ms\n`);
      srv.close(() => resolve(3));
    }, timeoutMs);
  });
}

/** Connect (retrying while refused, until `timeoutMs`) and print what the server saw: 0, or 1 on failure. */
export function probeClient(host: string, port: number, timeoutMs: number, o: ProbeOutput = processOutput): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      const sock = createConnection({ host, port, timeout: Math.max(100, deadline - Date.now()) });
      let data = '';
      sock.on('data', (d) => (data += d.toString()));
      sock.on('end', () => {
        o.out(data);
        resolve(data.startsWith('seen=') ? 0 : 1);
      });
      sock.on('timeout', () => {
        sock.destroy();
        o.err(`probe client: timed out connecting to ${host}:${port}\n`);
        resolve(1);
      });
      sock.on('error', (err: NodeJS.ErrnoException) => {
        sock.destroy();
        if (Date.now() + 100 < deadline && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) setTimeout(attempt, 50);
        else {
          o.err(`probe client: ${err.code ?? err.message} connecting to ${host}:${port}\n`);
          resolve(1);
        }
      });
    };
    attempt();
  });
}

/** The command line: the exit code for `argv` (the arguments after the script). */
export function runProbe(argv: readonly string[], o: ProbeOutput = processOutput): Promise<number> {
  const [mode, a, b, c] = argv;
  if (mode === 'server') return probeServer(Number(a), Number(b ?? 5000), o);
  if (mode === 'client') return probeClient(a ?? '', Number(b), Number(c ?? 3000), o);
  o.err('usage: probe.js server <port> <timeoutMs> | client <host> <port> <timeoutMs>\n');
  return Promise.resolve(2);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runProbe(process.argv.slice(2)).then((code) => process.exit(code));
}
