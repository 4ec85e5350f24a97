#!/usr/bin/env node
/**
 * Writes the variants of bench/trace/path-latency.bt that each undo one cost-saving
 * technique (bench/trace/variants/; docs/methodology.md, "Tracing and its overhead"),
 * from the program itself, so that a change to the program reaches every variant.
 * `--check` writes nothing and exits 1 when a committed variant differs from what this
 * script would write (a unit test runs it). end-to-end.bt and attached-only.bt are
 * programs of their own and are not generated.
 *
 *   node scripts/trace-variants.mjs [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRACE = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'trace');

/** Every replacement must apply: a variant that silently kept the technique would measure nothing. */
function replace(text, from, to) {
  if (!text.includes(from)) throw new Error(`path-latency.bt no longer contains: ${from.split('\n')[0]}`);
  return text.split(from).join(to);
}

function fourMaps(b) {
  b = replace(b, '    @st[$k] = ($now, $now, $loc);\n    return;', '    @start[$k] = $now;\n    @prevts[$k] = $now;\n    @prevloc[$k] = $loc;\n    return;');
  b = replace(b, '  $s = @st[$k];\n  if ($s.0 == 0) { return; }', '  if (@start[$k] == 0) { return; }');
  b = replace(replace(replace(b, '$s.2', '@prevloc[$k]'), '$s.1', '@prevts[$k]'), '$s.0', '@start[$k]');
  b = replace(b, '  @st[$k] = (@start[$k], $now, $loc);', '  @prevts[$k] = $now;\n  @prevloc[$k] = $loc;');
  b = replace(b, '    delete(@st[$k]);', '    delete(@start[$k]);\n    delete(@prevts[$k]);\n    delete(@prevloc[$k]);');
  b = replace(b, 'clear(@st);', 'clear(@start);\n  clear(@prevts);\n  clear(@prevloc);');
  b = replace(b, '{ delete(@st[$k]); return; }', '{ delete(@start[$k]); delete(@prevts[$k]); delete(@prevloc[$k]); return; }');
  if (b.includes('@st[') || b.includes('$s.')) throw new Error('four-maps: the packed state is still used');
  return b;
}

function stringKeys(b) {
  for (const ev of ['1', '3']) {
    const line = `  $loc = (((uint64)$dev->nd_net.net->ns.inum & 0xffffff) << 24) | ((uint64)$dev->ifindex << 2) | ${ev};`;
    b = replace(b, line, `${line}\n  $name = str(args->name);`);
  }
  b = replace(replace(b, '@hop[$s.2, $loc]', '@hop[@prevname[$k], $name, $loc]'), '@hopsum[$s.2, $loc]', '@hopsum[@prevname[$k], $name, $loc]');
  b = replace(b, '    @st[$k] = ($now, $now, $loc);\n    return;', '    @st[$k] = ($now, $now, $loc);\n    @prevname[$k] = $name;\n    return;');
  b = replace(b, '  @st[$k] = ($s.0, $now, $loc);\n}', '  @st[$k] = ($s.0, $now, $loc);\n  @prevname[$k] = $name;\n}');
  return replace(b, 'clear(@st);', 'clear(@st);\n  clear(@prevname);');
}

const RX_QUEUE = `tracepoint:net:netif_rx
{
  $skb = (struct sk_buff *)args->skbaddr;
  $iph = (struct iphdr *)($skb->head + $skb->network_header);
  $id = (uint64)$iph->id;
  if ((($id * 2654435761) & 0xffff) >= $4) { return; }
  if ($skb->protocol != 0x0008) { return; }
  $now = nsecs;
  $k = ($id << 32) | ((uint64)$iph->tot_len << 8) | (uint64)$iph->protocol;
  $s = @st[$k];
  if ($s.0 == 0) { return; }
  if ($now - $s.1 > 100000000) { delete(@st[$k]); return; }
  $dev = $skb->dev;
  $loc = (((uint64)$dev->nd_net.net->ns.inum & 0xffffff) << 24) | ((uint64)$dev->ifindex << 2) | 2;
  @hop[$s.2, $loc] = lhist(($now - $s.1) / 1000, 0, 1000, 1);
  @hopsum[$s.2, $loc] = sum($now - $s.1);
  @st[$k] = ($s.0, $now, $loc);
}

`;

const VARIANTS = {
  'four-maps': ['Without the packed state: start, previous time and previous location each in\n * a map of its own, so every event does three lookups and two updates where one of\n * each would do.', fourMaps],
  'syscall-split': ["Split by a system-call tracepoint (getpriority) instead of a uprobe: while it is\n * attached, every system call of every process takes the kernel's tracing path.", (b) => replace(b, 'uprobe:$5:uv_os_getpriority', 'tracepoint:syscalls:sys_enter_getpriority')],
  'string-keys': ['With string keys: each event copies its device name (str()) and the hop maps\n * are keyed by names, as the first tracer did, instead of by integer locations. Its\n * hop keys are not what the suite parses: use it to measure the cost only.', stringKeys],
  'every-packet': ['Follows every packet, ignoring <keep>: what sampling saves.', (b) => replace(b, '>= $4) { return; }', '>= 65536) { return; }')],
  'rx-queue': ["With the receive-queue probe (net:netif_rx) added back: the wait in a veth's\n * receive backlog is told apart from its processing (steps such as c1h rx-queue → c1h\n * rx), at the cost of one more event per veth crossing.", (b) => replace(b, 'tracepoint:net:netif_receive_skb\n', `${RX_QUEUE}tracepoint:net:netif_receive_skb\n`)],
};

const src = readFileSync(join(TRACE, 'path-latency.bt'), 'utf8');
const body = src.slice(src.indexOf('*/') + 2);
const check = process.argv.includes('--check');
const stale = [];
for (const [name, [doc, undo]] of Object.entries(VARIANTS)) {
  const text = `/*\n * A variant of bench/trace/path-latency.bt that undoes one technique, to measure\n * what it saves (bench run --trace-program; docs/methodology.md, "Tracing and its\n * overhead"). Same arguments. Written by scripts/trace-variants.mjs.\n *\n * ${doc}\n */\n${undo(body)}`;
  const file = join(TRACE, 'variants', `${name}.bt`);
  if (!check) writeFileSync(file, text);
  else if (readFileSync(file, 'utf8') !== text) stale.push(file);
}
if (stale.length) {
  console.error(`out of date with bench/trace/path-latency.bt (run node scripts/trace-variants.mjs): ${stale.join(', ')}`);
  process.exit(1);
}
