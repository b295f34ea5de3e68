import type { HistoryEntry } from '../../core/letter';
import type { WriteGuard } from '../../core/transitions';

/** Builds an update expression with its names and values, one clause at a time. */
export class Update {
  private sets: string[] = [];
  private removes: string[] = [];
  private adds: string[] = [];
  private conditions: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;

  name(...parts: string[]): string {
    return parts
      .map((part) => {
        const existing = Object.entries(this.names).find(([, v]) => v === part);
        if (existing) return existing[0];
        const key = `#n${Object.keys(this.names).length}`;
        this.names[key] = part;
        return key;
      })
      .join('.');
  }

  value(v: unknown): string {
    const key = `:v${this.n++}`;
    this.values[key] = v;
    return key;
  }

  set(path: string[], v: unknown): this {
    this.sets.push(`${this.name(...path)} = ${this.value(v)}`);
    return this;
  }

  setRaw(clause: string): this {
    this.sets.push(clause);
    return this;
  }

  remove(path: string[]): this {
    this.removes.push(this.name(...path));
    return this;
  }

  /** Adds elements to a set, creating it if need be. */
  add(path: string[], elements: Set<string>): this {
    this.adds.push(`${this.name(...path)} ${this.value(elements)}`);
    return this;
  }

  when(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  /** The table of actions' part of the condition: the statuses the action starts from, the version read, the next status. */
  guard(guard: WriteGuard): this {
    this.when(`${this.name('status')} IN (${guard.from.map((s) => this.value(s)).join(', ')})`);
    if (guard.expectedVersion !== undefined) this.when(`${this.name('version')} = ${this.value(guard.expectedVersion)}`);
    if (guard.to) this.set(['status'], guard.to);
    // Who may write: an inspector's own draft; an approver who wrote none of the letter. A letter
    // stored before authors were recorded has no createdBy.sub: it matches no one, so the first
    // is refused and the second allowed, as for a letter nobody here wrote.
    if (guard.createdBy !== undefined) this.when(`${this.name('createdBy', 'sub')} = ${this.value(guard.createdBy)}`);
    if (guard.notAuthor !== undefined) {
      const sub = this.value(guard.notAuthor);
      this.when(`NOT (${this.name('createdBy', 'sub')} = ${sub})`).when(`NOT contains(${this.name('contributors')}, ${sub})`);
    }
    if (guard.correction === null) this.when(`attribute_not_exists(${this.name('correction')})`);
    else if (guard.correction !== undefined) this.when(`${this.name('correction', 'id')} = ${this.value(guard.correction)}`);
    if (guard.correctionNotApproved) this.when(`attribute_not_exists(${this.name('correction', 'approvedAt')})`);
    if (guard.contributor !== undefined) this.add(['contributors'], new Set([guard.contributor]));
    return this;
  }

  /**
   * Every change raises the version and records who did it: the event joins the item's tail in
   * the same write, so it can never be lost; it is sealed into the chain with the tail's other
   * events once the tail is full (letter-record.ts).
   */
  change(entry: HistoryEntry): this {
    return this.changes([entry]);
  }

  /** One change made of several events, in their order: one new version. */
  changes(entries: HistoryEntry[]): this {
    this.revise();
    this.set(['updatedAt'], entries.at(-1)!.at);
    const tail = this.name('tail');
    return this.setRaw(`${tail} = list_append(if_not_exists(${tail}, ${this.value([])}), ${this.value(entries)})`);
  }

  /**
   * Raises the version. Every write that changes what a read of the letter shows does, even one
   * with no event of its own (a claim on its copies): the version is the letter's ETag, and a
   * client holding it is told the letter has not changed (304).
   */
  revise(): this {
    const version = this.name('version');
    return this.setRaw(`${version} = ${version} + ${this.value(1)}`);
  }

  /** Moves the letter's UTF-8 byte count of findings by `delta`, on condition it stays within `budget`. */
  findingsBytes(delta: number, budget: number): this {
    const bytes = this.name('findingsBytes');
    this.setRaw(`${bytes} = if_not_exists(${bytes}, ${this.value(0)}) + ${this.value(delta)}`);
    if (delta > 0) this.when(`(attribute_not_exists(${bytes}) OR ${bytes} <= ${this.value(budget - delta)})`);
    return this;
  }

  expression() {
    const parts = [];
    if (this.sets.length) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length) parts.push(`REMOVE ${this.removes.join(', ')}`);
    if (this.adds.length) parts.push(`ADD ${this.adds.join(', ')}`);
    return {
      UpdateExpression: parts.join(' '),
      ConditionExpression: ['attribute_exists(pk)', ...this.conditions].join(' AND '),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: Object.keys(this.values).length ? this.values : undefined,
    };
  }
}
