/** bench publish <runs…> --site <dir>: add runs to a static site of reports, trends and comparisons. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../errors.js';
import { loadGateConfig } from '../../gate/gate.js';
import { publish, runSources } from '../../site/publish.js';
import type { Session } from '../session.js';

/** Bytes under a directory. */
function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((s, e) => s + statSync(join(e.parentPath, e.name)).size, 0);
}

export function publishCommand(session: Session, sources: readonly string[], opts: { site: string; gateConfig?: string; compareWindow?: number }): number {
  const io = session.io;
  const gate = loadGateConfig(opts.gateConfig);
  const runs = sources.flatMap(runSources);
  const started = performance.now();
  const out = publish(runs, opts.site, { gate, ...(opts.compareWindow !== undefined ? { window: opts.compareWindow } : {}), log: (l) => io.err(`${l}\n`) });
  const ms = Math.round(performance.now() - started);
  const mib = (treeBytes(opts.site) / 1048576).toFixed(1);
  io.out(`published ${out.added.length} run(s)${out.present.length ? `, ${out.present.length} already in the site (${out.present.join(', ')})` : ''}${out.refused.length ? `, ${out.refused.length} refused` : ''} in ${ms} ms; the site has ${out.runs} run(s), ${mib} MiB\nindex: ${out.index}\n`);
  if (out.refused.length === 0) return EXIT.ok;
  io.err(`netbench: ${out.refused.length} run(s) were not published:\n${out.refused.map((r) => `  - ${r.source}: ${r.why}`).join('\n')}\n`);
  return EXIT.failure;
}
