/** After this long a pending request shows progress. */
export const SLOW_MS = 300;

type Timer = unknown;
export interface Clock {
  set(fn: () => void, ms: number): Timer;
  clear(timer: Timer): void;
}

const realClock: Clock = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

/**
 * Counts requests in flight and says when any of them has been pending longer than
 * `SLOW_MS`: the shell shows its progress bar only then, so fast requests never flicker.
 */
export class ActivityTracker {
  private readonly slowOnes = new Set<number>();
  private next = 1;
  private pending = 0;

  constructor(
    private readonly onChange: (state: { pending: number; slow: boolean }) => void,
    private readonly clock: Clock = realClock,
    private readonly slowMs = SLOW_MS,
  ) {}

  /** Marks a request as started; call the returned function once it ends. */
  begin(): () => void {
    const id = this.next++;
    this.pending++;
    let done = false;
    const timer = this.clock.set(() => {
      if (done) return;
      this.slowOnes.add(id);
      this.emit();
    }, this.slowMs);
    this.emit();
    return () => {
      if (done) return;
      done = true;
      this.clock.clear(timer);
      this.pending--;
      this.slowOnes.delete(id);
      this.emit();
    };
  }

  get state() {
    return { pending: this.pending, slow: this.slowOnes.size > 0 };
  }

  private emit() {
    this.onChange(this.state);
  }
}
