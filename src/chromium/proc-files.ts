import { open } from 'node:fs/promises';

/** One read: a `stat` is ~300 bytes, a `smaps_rollup` ~1 KiB, a Chromium command line a few KiB. */
const CHUNK_BYTES = 4_096;

/**
 * A file of /proc, whole, read a few KiB at a time. procfs reports every file as 0 bytes long,
 * and for a file of unknown length `fs.readFile` allocates a fresh 64 KiB buffer (outside V8's
 * heap, from malloc) before the first read. A scan of every process read two such files per
 * process, all at once: 10-30 MiB of 64 KiB buffers per scan, several scans per browser
 * restart. Freed, but glibc keeps its main heap at the high-water mark, fragmented by what was
 * allocated in between: node's PSS climbed by 0.1-0.4 MiB a restart until it reached that mark.
 */
export async function readProcFile(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
