/**
 * A tiny TCP probe run inside a namespace: the server tells each client which source
 * address it saw (how the peer proves NAT hides the container), then exits.
 *   node probe.js server <port> <timeoutMs>
 *   node probe.js client <host> <port> <timeoutMs>
 */
import { createConnection, createServer } from 'node:net';

function server(port: number, timeoutMs: number): void {
  const srv = createServer((sock) => {
    const seen = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
    process.stdout.write(`seen=${seen}\n`);
    sock.end(`seen=${seen}\n`, () => srv.close(() => process.exit(0)));
  });
  srv.listen(port, '0.0.0.0');
  setTimeout(() => {
    process.stderr.write(`probe server: no client within ${timeoutMs} ms\n`);
    process.exit(3);
  }, timeoutMs).unref();
}

function client(host: string, port: number, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const attempt = () => {
    const sock = createConnection({ host, port, timeout: Math.max(100, deadline - Date.now()) });
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    sock.on('end', () => {
      process.stdout.write(data);
      process.exit(data.startsWith('seen=') ? 0 : 1);
    });
    sock.on('timeout', () => {
      process.stderr.write(`probe client: timed out connecting to ${host}:${port}\n`);
      process.exit(1);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      sock.destroy();
      if (Date.now() + 100 < deadline && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) setTimeout(attempt, 50);
      else {
        process.stderr.write(`probe client: ${err.code ?? err.message} connecting to ${host}:${port}\n`);
        process.exit(1);
      }
    });
  };
  attempt();
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'server') server(Number(a), Number(b ?? 5000));
else if (mode === 'client') client(a ?? '', Number(b), Number(c ?? 3000));
else {
  process.stderr.write('usage: probe.js server <port> <timeoutMs> | client <host> <port> <timeoutMs>\n');
  process.exit(2);
}
