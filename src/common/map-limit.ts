/**
 * `fn` over `items`, at most `limit` at a time, results in order. For many small file reads:
 * libuv runs 4 file operations at once anyway, so more in flight only holds more buffers, it
 * does not finish sooner.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
