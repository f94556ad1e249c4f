import type { Clock } from '../../src/protocol/clock.js';

/**
 * A clock tests move by hand. It starts at the real time (whole seconds, so JWT `iat` and expected
 * timestamps are exact) so that CLI commands run beside it, on the system clock, agree with it.
 */
export class TestClock implements Clock {
  constructor(private ms = Math.floor(Date.now() / 1000) * 1000) {}
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  /** Moves forward to the system clock (after a CLI command, which runs on it). */
  catchUpWithSystemClock(): void {
    this.ms = Math.max(this.ms, Date.now());
  }
}
