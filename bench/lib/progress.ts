/**
 * A one-line progress bar on stderr, so stdout stays clean for the table. On a terminal it
 * redraws in place; elsewhere (CI logs, pipes) it prints a line per quarter instead.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly width = 28;
  private lastDraw = 0;
  private lastQuarter = -1;
  private done = 0;
  private total = 1;
  private label = '';
  private readonly started = performance.now();

  constructor(private readonly phases: number) {}

  private phase = 0;

  /** Starts the next phase: `total` steps, described by `label`. */
  start(label: string, total: number): void {
    if (this.phase > 0) this.finishLine();
    this.phase += 1;
    this.label = label;
    this.total = Math.max(1, total);
    this.done = 0;
    this.lastQuarter = -1;
    this.draw(true);
  }

  tick(steps = 1): void {
    this.done = Math.min(this.total, this.done + steps);
    this.draw(this.done === this.total);
  }

  /** A note that stays on screen above the bar. */
  note(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${text}\n`);
    this.draw(true);
  }

  end(): void {
    this.finishLine();
    const seconds = (performance.now() - this.started) / 1000;
    process.stderr.write(`done in ${seconds.toFixed(0)} s\n`);
  }

  private finishLine() {
    this.done = this.total;
    this.draw(true);
    if (this.tty) process.stderr.write('\n');
  }

  private draw(force: boolean) {
    const fraction = this.done / this.total;
    const prefix = `[${this.phase}/${this.phases}] ${this.label}`;
    if (!this.tty) {
      const quarter = Math.floor(fraction * 4);
      if (quarter !== this.lastQuarter) {
        this.lastQuarter = quarter;
        process.stderr.write(`${prefix}: ${Math.round(fraction * 100)}% (${this.done}/${this.total})\n`);
      }
      return;
    }
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const filled = Math.round(fraction * this.width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}`;
    process.stderr.write(`\r\x1b[2K${prefix} [${bar}] ${String(Math.round(fraction * 100)).padStart(3)}% ${this.done}/${this.total}`);
  }
}
