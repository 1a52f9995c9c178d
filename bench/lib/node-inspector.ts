/**
 * A DevTools session with a running node process, opened from outside: SIGUSR1 makes node
 * start its inspector on 127.0.0.1:9229 (the port is asked of node, not assumed, from
 * /json/list). Used to collect garbage in the daemon before a growth sample, as DevTools'
 * "collect garbage" button would, and to read its heap figures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

interface Target {
  readonly webSocketDebuggerUrl: string;
}

export class NodeInspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  static async attach(pid: number, port = 9229): Promise<NodeInspector> {
    process.kill(pid, 'SIGUSR1');
    let targets: Target[] = [];
    for (let i = 0; i < 50 && targets.length === 0; i++) {
      await sleep(100);
      targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json() as Promise<Target[]>).catch(() => []);
    }
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error(`no inspector on 127.0.0.1:${port} for pid ${pid}`);
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (error) => reject(error));
    });
    return new NodeInspector(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (result) => resolve(result as T));
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async collectGarbage(): Promise<{ usedMiB: number; totalMiB: number }> {
    await this.send('HeapProfiler.enable');
    await this.send('HeapProfiler.collectGarbage');
    const usage = await this.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    return { usedMiB: usage.usedSize / 2 ** 20, totalMiB: usage.totalSize / 2 ** 20 };
  }

  close(): void {
    this.socket.close();
  }
}
