/**
 * One sample of what a long-running daemon holds, from outside the process: node's heap after a
 * full GC (through its inspector), the tree's PSS (node and every Chromium process of the
 * profile), node's open file descriptors, the handles and requests keeping its loop alive, the
 * listeners on its event emitters, and the size of its SQLite database and write-ahead log.
 */
import { readdir, stat } from 'node:fs/promises';
import { measureTree } from '../../bench/lib/memory';
import type { NodeInspector } from '../support/node-inspector';

export interface Sample {
  /** Hours since the run started. */
  readonly hours: number;
  /** Reconnects done by then. */
  readonly reconnects: number;
  readonly heapBytes: number;
  /** The same heap by V8 space (old_space, code_space, ...), used bytes: tells data from compiled code. */
  readonly heapSpaces: Readonly<Record<string, number>>;
  readonly treePssBytes: number;
  readonly nodePssBytes: number;
  /**
   * Node's anonymous memory (Pss_Anon + Pss_Shmem): its heaps, malloc arenas and stacks. No other
   * process shares them, so unlike node's PSS (which splits the node binary's pages with every
   * other node process on the machine) it does not move when other programs start or end.
   */
  readonly nodeAnonBytes: number;
  readonly fds: number;
  /** Handles and requests by kind (TCPWRAP, Timeout, FSReqCallback, ...). */
  readonly resources: Readonly<Record<string, number>>;
  /** Listeners on every EventEmitter, summed. */
  readonly listeners: number;
  /** The same, by the emitter's class, for finding which one climbs. */
  readonly listenersByClass: Readonly<Record<string, number>>;
  /** Live emitters by class: an old client kept alive shows here. */
  readonly emittersByClass: Readonly<Record<string, number>>;
  /** Listeners by `Class.event`, to tell which subscription is left behind. */
  readonly listenersByEvent: Readonly<Record<string, number>>;
  readonly dbBytes: number;
  readonly walBytes: number;
}

/** What a trend is judged on, and the floor under which a change does not count. */
export const SERIES = [
  { key: 'heapBytes', label: "node's heap after GC", unit: 'MiB', floor: 2 * 2 ** 20 },
  { key: 'codeBytes', label: "  of which V8's compiled code", unit: 'MiB', floor: 2 * 2 ** 20 },
  { key: 'treePssBytes', label: "the tree's PSS", unit: 'MiB', floor: 16 * 2 ** 20 },
  { key: 'nodePssBytes', label: "node's PSS", unit: 'MiB', floor: 8 * 2 ** 20 },
  { key: 'nodeAnonBytes', label: '  of which anonymous (heaps, arenas)', unit: 'MiB', floor: 8 * 2 ** 20 },
  { key: 'fds', label: 'file descriptors', unit: '', floor: 2 },
  { key: 'handles', label: 'handles and timers', unit: '', floor: 3 },
  { key: 'listeners', label: 'emitter listeners', unit: '', floor: 3 },
  { key: 'walBytes', label: 'SQLite WAL', unit: 'MiB', floor: 8 * 2 ** 20 },
] as const;

export type SeriesKey = (typeof SERIES)[number]['key'];

export function valueOf(sample: Sample, key: SeriesKey): number {
  if (key === 'handles') return Object.values(sample.resources).reduce((a, b) => a + b, 0);
  if (key === 'codeBytes') return codeBytes(sample);
  return sample[key];
}

/** Bytes in V8's code spaces: machine code and bytecode's handlers, which V8 grows and flushes itself. */
export function codeBytes(sample: Sample): number {
  return Object.entries(sample.heapSpaces)
    .filter(([space]) => space.startsWith('code_'))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
}

async function size(file: string): Promise<number> {
  return (await stat(file).catch(() => null))?.size ?? 0;
}

export interface ProbeTarget {
  readonly pid: number;
  readonly profileDir: string;
  readonly databaseFile: string;
}

export async function takeSample(target: ProbeTarget, inspector: NodeInspector, at: { hours: number; reconnects: number }): Promise<Sample> {
  const heap = await inspector.heapAfterGc();
  // Read right after the collection, before the probe's own evaluations allocate.
  const heapSpaces = await inspector.heapSpaces();
  const resources = await inspector.activeResources();
  const byClass = await inspector.emitterListeners();
  const tree = await measureTree(target.pid, [target.profileDir]);
  const fds = (await readdir(`/proc/${target.pid}/fd`)).length;
  return {
    ...at,
    heapBytes: heap.usedSize,
    heapSpaces,
    treePssBytes: tree.pss,
    nodePssBytes: tree.node.pss,
    nodeAnonBytes: tree.node.anon,
    fds,
    resources,
    listeners: Object.values(byClass).reduce((sum, c) => sum + c.listeners, 0),
    listenersByClass: Object.fromEntries(Object.entries(byClass).map(([name, c]) => [name, c.listeners])),
    emittersByClass: Object.fromEntries(Object.entries(byClass).map(([name, c]) => [name, c.emitters])),
    listenersByEvent: Object.fromEntries(
      Object.entries(byClass).flatMap(([name, c]) => Object.entries(c.byEvent).map(([event, n]) => [`${name}.${event}`, n] as const)),
    ),
    dbBytes: await size(target.databaseFile),
    walBytes: await size(`${target.databaseFile}-wal`),
  };
}
