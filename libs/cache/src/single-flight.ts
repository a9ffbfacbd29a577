/**
 * Collapses concurrent calls with one key into one call (in this process only; replicas each make
 * their own call, so N replicas cause at most N backend calls per miss).
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const call = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, call);
    return call;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
