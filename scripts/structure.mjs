#!/usr/bin/env node
/**
 * The shape of the source tree, measured: layers and the imports between them, the
 * longest functions and files, and every type assertion (`x as T`). The architecture
 * test holds the tree to docs/architecture.md with it; run it to see the figures:
 *   node scripts/structure.mjs [--json]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Layers from the bottom up; a file may import only from its own layer or a lower one. */
export const LAYERS = [
  ['util', 'errors.ts', 'locations.ts'],
  ['stats', 'exec', 'parsers'],
  ['tools.ts', 'workloads'],
  ['results'],
  ['lab'],
  ['topology'],
  ['trace'],
  ['run'],
  ['report', 'gate'],
  ['site'],
  ['cli'],
];

export function layerOf(file) {
  const top = file.split('/')[0];
  const idx = LAYERS.findIndex((l) => l.includes(top));
  return idx;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

export function analyze(root) {
  const src = join(root, 'src');
  const files = walk(src);
  const imports = [];
  const functions = [];
  const casts = [];
  const sizes = [];
  for (const abs of files) {
    const rel = relative(src, abs);
    const text = readFileSync(abs, 'utf8');
    sizes.push({ file: rel, lines: text.split('\n').length });
    const sf = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true);
    const line = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const spec = node.moduleSpecifier.text;
        if (spec.startsWith('.')) {
          const target = relative(src, resolve(dirname(abs), spec)).replace(/\.js$/, '.ts');
          imports.push({ from: rel, to: target, line: line(node.getStart()) });
        }
      }
      if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node)) {
        const n = line(node.getEnd()) - line(node.getStart()) + 1;
        let name = node.name?.getText?.() ?? '';
        if (!name && ts.isVariableDeclaration(node.parent)) name = node.parent.name.getText();
        if (!name) name = `(anonymous @${line(node.getStart())})`;
        functions.push({ file: rel, name, lines: n, line: line(node.getStart()) });
      }
      if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
        const type = node.type.getText();
        if (type !== 'const') casts.push({ file: rel, line: line(node.getStart()), text: node.getText().replace(/\s+/g, ' ').slice(0, 100), type });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const upward = imports.filter((i) => layerOf(i.to) > layerOf(i.from) || layerOf(i.from) < 0 || layerOf(i.to) < 0);
  return { imports, upward, functions: functions.sort((a, b) => b.lines - a.lines), casts, sizes: sizes.sort((a, b) => b.lines - a.lines) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const a = analyze(root);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
  } else {
    const out = (s) => process.stdout.write(`${s}\n`);
    out(`files: ${a.sizes.length}, lines: ${a.sizes.reduce((s, f) => s + f.lines, 0)}`);
    out('\nlargest files:');
    for (const f of a.sizes.slice(0, 8)) out(`  ${String(f.lines).padStart(5)}  ${f.file}`);
    out('\nlongest functions:');
    for (const f of a.functions.slice(0, 10)) out(`  ${String(f.lines).padStart(5)}  ${f.file}:${f.line} ${f.name}`);
    out(`\ntype assertions (excluding 'as const'): ${a.casts.length}`);
    for (const c of a.casts) out(`  ${c.file}:${c.line}  ${c.text}`);
    out(`\nimports from a lower layer to a higher one: ${a.upward.length}`);
    for (const i of a.upward) out(`  ${i.from}:${i.line} -> ${i.to}`);
  }
}
