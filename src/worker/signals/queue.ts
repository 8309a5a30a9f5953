/**
 * A bounded FIFO: pushing onto a full queue drops the oldest item and counts it. Amortised O(1)
 * push and take (a head index, compacted now and then), so a flood of signals stays cheap.
 */
export class EventQueue<T> {
  readonly capacity: number;
  #items: T[] = [];
  #head = 0;
  #dropped = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Items dropped since the last `takeDropped()`. */
  get dropped(): number {
    return this.#dropped;
  }

  push(item: T): void {
    if (this.length >= this.capacity) {
      this.#head++;
      this.#dropped++;
    }
    this.#items.push(item);
    this.#compact();
  }

  take(max: number): T[] {
    const out = this.#items.slice(this.#head, this.#head + max);
    this.#head += out.length;
    this.#compact();
    return out;
  }

  peek(max: number): T[] {
    return this.#items.slice(this.#head, this.#head + max);
  }

  /** Returns the dropped count and starts counting again from zero. */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
