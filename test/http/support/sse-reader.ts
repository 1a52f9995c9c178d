export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/** Reads Server-Sent Events off a fetch body; comments (heartbeats) come back as event ":". */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next block (event or comment), or null once the stream ended. Fails after `timeoutMs`. */
  async next(timeoutMs = 2_000): Promise<ServerSentEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const parsed = parseBlock(block);
        if (parsed !== null) return parsed;
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`No server-sent event within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`No server-sent event within ${timeoutMs} ms`)), remaining);
      });
      try {
        const chunk = await Promise.race([this.reader.read(), timeout]);
        if (chunk.done) return null;
        this.buffer += this.decoder.decode(chunk.value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** The next `event:` block, skipping comments and `retry:` lines. */
  async nextEvent(timeoutMs = 2_000): Promise<ServerSentEvent | null> {
    for (;;) {
      const block = await this.next(timeoutMs);
      if (block === null || block.event !== ':') return block;
    }
  }
}

function parseBlock(block: string): ServerSentEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  let comment = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comment = true;
    if (line.startsWith('event:')) event = line.slice('event:'.length).trim();
    if (line.startsWith('data:')) data.push(line.slice('data:'.length).replace(/^ /, ''));
  }
  if (event !== null || data.length > 0) return { event: event ?? 'message', data: data.join('\n') };
  return comment ? { event: ':', data: block } : null;
}
