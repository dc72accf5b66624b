/**
 * MinHeap is a binary heap ordered by `less`, over distinct items (objects; each is indexed). Flow queues use it so EDF and FCFS orderings cost
 * O(log n) per request; removal of a cancelled item is O(log n) through its tracked index.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.index.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** remove takes an item out wherever it is; false if it is not queued. */
  remove(item: T): boolean {
    const i = this.index.get(item);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  values(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): void {
    const last = this.items.pop()!;
    this.index.delete(this.items.length === i ? last : this.items[i]!);
    if (i === this.items.length) return;
    this.index.delete(this.items[i]!);
    this.items[i] = last;
    this.index.set(last, i);
    this.down(i);
    this.up(i);
  }

  private swap(a: number, b: number): void {
    const x = this.items[a]!;
    const y = this.items[b]!;
    this.items[a] = y;
    this.items[b] = x;
    this.index.set(y, a);
    this.index.set(x, b);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.items.length && this.less(this.items[l]!, this.items[best]!)) best = l;
      if (r < this.items.length && this.less(this.items[r]!, this.items[best]!)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
