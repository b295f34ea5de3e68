import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../core/ports';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford's base 32. Within one
 * millisecond the random part counts up, so ids made by one process always sort in order.
 */
export class UlidGenerator implements IdGenerator {
  private lastTime = -1;
  private lastRandom: number[] = [];

  constructor(private readonly clock: Clock = { now: () => new Date() }) {}

  next(): string {
    const time = this.clock.now().getTime();
    if (time === this.lastTime) {
      this.increment();
    } else {
      this.lastTime = time;
      this.lastRandom = [...randomBytes(16)].map((b) => b % 32);
    }
    let timePart = '';
    let t = time;
    for (let i = 0; i < 10; i++) {
      timePart = CROCKFORD[t % 32] + timePart;
      t = Math.floor(t / 32);
    }
    return timePart + this.lastRandom.map((d) => CROCKFORD[d]).join('');
  }

  private increment() {
    for (let i = this.lastRandom.length - 1; i >= 0; i--) {
      if (this.lastRandom[i] < 31) {
        this.lastRandom[i]++;
        return;
      }
      this.lastRandom[i] = 0;
    }
  }
}

export const systemClock: Clock = { now: () => new Date() };
