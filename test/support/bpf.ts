/**
 * What the compiled observer (bench/trace/bpf) and the ebpf topology's datapath
 * (bench/datapath) may leave in the kernel: their programs (by their names), any link to
 * them, and anything pinned in bpffs beside the kernel's own files. All must be gone when
 * a run ends, however it ends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** the suite's program names, as the kernel keeps them (15 characters at most): the observer's, and the ebpf topology's datapath */
export const OBSERVER_PROGRAMS = ['on_queue', 'on_receive', 'on_drop', 'clock_cost', 'attach_cost', 'fentry_check', 'from_container', 'to_container'];
/** what the kernel itself puts in bpffs */
const KERNEL_BPFFS = new Set(['maps.debug', 'progs.debug']);

function bpftool(args: string[]): unknown[] {
  const out = execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8', env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` } });
  const parsed: unknown = JSON.parse(out || '[]');
  return Array.isArray(parsed) ? parsed : [];
}

/** The observer's programs still loaded, and links to them, as "prog <id> <name>" / "link <id> prog <id>". */
export function ourBpf(): string[] {
  const progs = bpftool(['prog', 'show']).flatMap((p) => {
    const { id, name } = p as { id?: number; name?: string };
    return name && OBSERVER_PROGRAMS.includes(name) ? [{ id, name }] : [];
  });
  const ids = new Set(progs.map((p) => p.id));
  const links = bpftool(['link', 'show']).flatMap((l) => {
    const { id, prog_id: prog } = l as { id?: number; prog_id?: number };
    return ids.has(prog) ? [`link ${id} prog ${prog}`] : [];
  });
  return [...progs.map((p) => `prog ${p.id} ${p.name}`), ...links];
}

/** Anything pinned in bpffs besides the kernel's own files. */
export function pinnedBpf(root = '/sys/fs/bpf'): string[] {
  return existsSync(root) ? readdirSync(root).filter((f) => !KERNEL_BPFFS.has(f)) : [];
}
