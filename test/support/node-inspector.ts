/**
 * A DevTools session with a running node process, opened from outside. Two ways in: a process
 * started with `--inspect=127.0.0.1:0` prints its own URL (`fromLines`), and any node process
 * starts its inspector on 127.0.0.1:9229 at SIGUSR1 (`attach`; the port is asked of node, not
 * assumed, from /json/list). Used to collect garbage in the daemon before a memory sample, as
 * DevTools' "collect garbage" button would, and to read what it holds: its heap, its handles
 * and timers, and the listeners on its event emitters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

interface Target {
  readonly webSocketDebuggerUrl: string;
}

interface Reply {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string };
  readonly method?: string;
  readonly params?: { readonly chunk?: string };
}

/** Listeners held by every live EventEmitter of one class, summed. */
export interface EmitterListeners {
  readonly emitters: number;
  readonly listeners: number;
  /** The same listeners by event name. */
  readonly byEvent: Readonly<Record<string, number>>;
}

const INSPECT_LINE = /Debugger listening on (ws:\/\/\S+)/;

export class NodeInspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private snapshotChunks: string[] | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as Reply;
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') this.snapshotChunks?.push(message.params?.chunk ?? '');
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('the inspector connection closed'));
      this.pending.clear();
    });
  }

  /** Through SIGUSR1: for a process started without --inspect. */
  static async attach(pid: number, port = 9229): Promise<NodeInspector> {
    process.kill(pid, 'SIGUSR1');
    let targets: Target[] = [];
    for (let i = 0; i < 50 && targets.length === 0; i++) {
      await sleep(100);
      targets = await fetch(`http://127.0.0.1:${port}/json/list`)
        .then((r) => r.json() as Promise<Target[]>)
        .catch(() => []);
    }
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error(`no inspector on 127.0.0.1:${port} for pid ${pid}`);
    return NodeInspector.connect(url);
  }

  /** The URL a process started with `--inspect=127.0.0.1:0` printed, from its output lines. */
  static urlIn(lines: readonly string[]): string | null {
    for (const line of lines) {
      const match = INSPECT_LINE.exec(line);
      if (match) return match[1] ?? null;
    }
    return null;
  }

  static async connect(url: string): Promise<NodeInspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (error) => reject(error));
    });
    return new NodeInspector(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as T), reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async collectGarbage(): Promise<{ usedMiB: number; totalMiB: number }> {
    const { usedSize, totalSize } = await this.heapAfterGc();
    return { usedMiB: usedSize / 2 ** 20, totalMiB: totalSize / 2 ** 20 };
  }

  /** A full GC, then V8's heap figures in bytes: what is really held. */
  async heapAfterGc(): Promise<{ usedSize: number; totalSize: number }> {
    await this.send('HeapProfiler.enable');
    await this.send('HeapProfiler.collectGarbage');
    return this.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
  }

  /** Evaluates `expression` in the process's main context; its value, by JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, includeCommandLineAPI: true },
    );
    if (reply.exceptionDetails) throw new Error(`evaluate failed: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    return reply.result.value as T;
  }

  /** Used bytes in each of V8's heap spaces (old_space, code_space, large_object_space, ...). */
  heapSpaces(): Promise<Record<string, number>> {
    return this.evaluate(
      // process.getBuiltinModule is Node 20.16+; before it, the inspector's command line API has require.
      `Object.fromEntries((process.getBuiltinModule ? process.getBuiltinModule('node:v8') : require('node:v8')).getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]))`,
    );
  }

  /** Handles and requests keeping the loop alive (sockets, timers, fs requests), counted by kind. */
  activeResources(): Promise<Record<string, number>> {
    return this.evaluate(`process.getActiveResourcesInfo().reduce((n, kind) => (n[kind] = (n[kind] || 0) + 1, n), {})`);
  }

  /**
   * Listeners on the emitters that live as long as the process: `process` itself and every
   * active handle (the HTTP server, its sockets, the browser's child process and pipes), summed
   * by class. A listener left behind at each restart shows as a count that climbs. Read by value
   * in one evaluation, so the probe holds no reference to anything it counted (V8's queryObjects
   * would: its result stays reachable from the inspector and keeps every emitter alive).
   */
  emitterListeners(): Promise<Record<string, EmitterListeners>> {
    return this.evaluate(`(() => {
      const out = {};
      const add = (emitter) => {
        if (!emitter || typeof emitter.eventNames !== 'function') return;
        const name = emitter === process ? 'process' : (emitter.constructor && emitter.constructor.name) || 'Object';
        const entry = (out[name] = out[name] || { emitters: 0, listeners: 0, byEvent: {} });
        entry.emitters += 1;
        for (const event of emitter.eventNames()) {
          const count = emitter.listenerCount(event);
          entry.listeners += count;
          entry.byEvent[String(event)] = (entry.byEvent[String(event)] || 0) + count;
        }
      };
      add(process);
      for (const handle of process._getActiveHandles()) add(handle);
      return out;
    })()`);
  }

  /** A heap snapshot as .heapsnapshot JSON (what DevTools' Memory tab saves). */
  async heapSnapshot(): Promise<string> {
    this.snapshotChunks = [];
    try {
      await this.send('HeapProfiler.enable');
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
      return this.snapshotChunks.join('');
    } finally {
      this.snapshotChunks = null;
    }
  }

  close(): void {
    this.socket.close();
  }
}
