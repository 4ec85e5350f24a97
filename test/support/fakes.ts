import { rmSync } from 'node:fs';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import type { ProcessControl } from '../../src/lab/processes.js';
import { stateDirs, type StateDirs } from '../../src/lab/state.js';
import { scratchDir } from './scratch.js';

export function tempState(): { state: StateDirs; cleanup: () => void } {
  const root = scratchDir('state');
  return { state: stateDirs(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Processes that die on the first signal, recorded; `cmdlines` gives some of them an argv. */
export function fakeProcesses(alive: Map<number, string>, cmdlines: Map<number, string[]> = new Map()): ProcessControl & { signals: [number, string][] } {
  const signals: [number, string][] = [];
  return {
    signals,
    startTime: (pid) => alive.get(pid),
    comm: (pid) => (alive.has(pid) ? 'ovs-vswitchd' : undefined),
    cmdline: (pid) => (alive.has(pid) ? (cmdlines.get(pid) ?? ['ovs-vswitchd']) : undefined),
    kill: (pid, sig) => {
      signals.push([pid, sig]);
      alive.delete(pid);
    },
  };
}

export function nsListReply(names: string[]): string {
  return names.map((n) => `${n} (id: 1)`).join('\n');
}

/** A runner that keeps track of which namespaces exist, like the kernel would. */
export function simulatedKernel() {
  const namespaces = new Set<string>();
  const runner = new RecordingRunner((spec) => {
    const a = spec.args;
    if (spec.program === 'ip' && a[0] === 'netns' && a[1] === 'add') namespaces.add(a[2]!);
    if (spec.program === 'ip' && a[0] === 'netns' && a[1] === 'del') namespaces.delete(a[2]!);
    if (spec.program === 'ip' && a[0] === 'netns' && a[1] === 'list') return { stdout: nsListReply([...namespaces]) };
    return undefined;
  });
  return { runner, namespaces };
}
