/**
 * The floor of an HTTP gateway in Node, run as its own process by the gateway bench:
 *
 *   node test/bench/lib/pass-through-server.ts PORT COMMAND [ARGS…]
 *
 * It spawns one stdio MCP server and serves it on 127.0.0.1:PORT. Each POST body is written to the
 * server's stdin verbatim (plus the newline of stdio framing); the server's answer line is written
 * back verbatim as the HTTP response. No sessions, limits, auth, metrics, checks or timeouts: what
 * is left is what any Node HTTP→stdio gateway must pay (the HTTP parse, one pipe write and read
 * each way, and finding which waiting response an answer belongs to).
 *
 * The one piece of parsing: at 16 requests in flight the server may answer out of order, so the
 * request's `id` is read from its body and the answer's from its line (`JSON.parse` of ~100
 * bytes, about a microsecond each). Ids are not made unique across clients: the bench runs one
 * client at a time. A body without an id (a notification) is written and answered 202. Every
 * answer carries a constant `mcp-session-id`, so a Streamable HTTP client's initialize succeeds;
 * lines without a waiting id (the server's notifications) are dropped.
 */
import { spawn } from 'node:child_process';
import http, { type ServerResponse } from 'node:http';

const [portText, command, ...args] = process.argv.slice(2);
if (!portText || !command) {
  process.stderr.write('usage: node pass-through-server.ts PORT COMMAND [ARGS…]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
child.on('exit', () => process.exit(1));
const waiting = new Map<unknown, ServerResponse>();
const ANSWER_HEADERS = ['content-type', 'application/json', 'mcp-session-id', 'pass-through'];

let partial = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  let start = 0;
  for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
    const line = partial + chunk.slice(start, newline);
    partial = '';
    start = newline + 1;
    let id: unknown;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      continue;
    }
    const res = waiting.get(id);
    if (res === undefined) continue;
    waiting.delete(id);
    res.writeHead(200, ANSWER_HEADERS);
    res.end(line);
  }
  partial += chunk.slice(start);
});

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body =
      chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString();
    let id: unknown;
    try {
      id = (JSON.parse(body) as { id?: unknown }).id;
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (id === undefined) res.writeHead(202, ANSWER_HEADERS).end();
    else waiting.set(id, res);
    child.stdin.write(`${body}\n`);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  child.kill('SIGTERM');
  process.exit(0);
});
