/** A seeded generator (mulberry32): the same seed draws the same faults in the same order. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `items`, each as likely as its weight. */
  weighted<T extends { readonly weight: number }>(items: readonly T[]): T {
    const total = items.reduce((sum, item) => sum + item.weight, 0);
    let pick = this.next() * total;
    for (const item of items) {
      pick -= item.weight;
      if (pick < 0) return item;
    }
    const last = items.at(-1);
    if (last === undefined) throw new Error('weighted(): no items');
    return last;
  }
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
