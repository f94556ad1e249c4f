import type { Clock } from '../../src/protocol/clock.js';

/** A clock tests move by hand; starts at a fixed instant so expected timestamps are exact. */
export class TestClock implements Clock {
  constructor(private ms = Date.UTC(2026, 10, 26, 10, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
