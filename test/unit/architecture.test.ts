/**
 * The tree keeps the shape docs/architecture.md describes: imports only point down the
 * layers, no function grows past 80 lines, results data is never cast, and the docs the
 * code cites exist in the project.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, LAYERS, layerOf } from '../../scripts/structure.mjs';

const root = join(import.meta.dirname, '..', '..');
const a = analyze(root);

describe('architecture', () => {
  it('every source file belongs to a layer', () => {
    expect(a.sizes.map((f) => f.file).filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it('imports only point down (or across one layer)', () => {
    expect(a.upward.map((i) => `${i.from}:${i.line} -> ${i.to}`)).toEqual([]);
  });

  it('the layer list in docs/architecture.md is the one the test enforces', () => {
    const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    for (const layer of LAYERS) for (const part of layer) expect(doc, part).toContain(`\`${part.replace(/\.ts$/, '')}`);
  });

  it('no function is longer than 80 lines', () => {
    expect(a.functions.filter((f) => f.lines > 80).map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`)).toEqual([]);
  });

  it('results data is never cast: it is typed from the schema-checked file onwards', () => {
    const resultTypes = /\b(Results|TrialRecord|OkTrial|FailedTrial|MetricSummary|Tracing\w*|Reachability\w*|TopologyEnv|WorkloadName|TrafficPath|Cell)\b/;
    expect(a.casts.filter((c) => resultTypes.test(c.type) || /\.(tracing|reachability)\b/.test(c.text)).map((c) => `${c.file}:${c.line} ${c.text}`)).toEqual([]);
  });

  it('code, schemas and docs cite the project\'s own docs, and those exist', () => {
    const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const sources = [...files('src'), ...files('schemas'), ...files('docs'), ...files('bench'), join(root, 'README.md')];
    const cited = new Set<string>();
    for (const f of sources) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/DESIGN\.md/);
      for (const m of text.matchAll(/docs\/[a-z-]+\.md/g)) cited.add(m[0]);
    }
    expect(cited.size).toBeGreaterThan(0);
    for (const d of cited) expect(existsSync(join(root, d)), d).toBe(true);
  });
});
