/**
 * StateKey names one typed entry of CycleState. Declare keys as module constants next to the
 * plugin that writes them, e.g. `export const API_KIND = new StateKey<ApiKind>("api-detector/kind")`.
 */
export class StateKey<T> {
  declare private readonly _type: T;
  constructor(readonly name: string) {}
}

/**
 * CycleState is per-request storage shared by the plugins of one HTTP request (request and
 * response chains alike). Plugins run one at a time per request, so no locking is needed.
 */
export class CycleState {
  private readonly values = new Map<string, unknown>();

  /** read returns the value stored under key, or undefined. */
  read<T>(key: StateKey<T>): T | undefined {
    return this.values.get(key.name) as T | undefined;
  }

  /** write stores value under key, replacing any earlier value. */
  write<T>(key: StateKey<T>, value: T): void {
    this.values.set(key.name, value);
  }

  /** delete removes the entry under key. */
  delete(key: StateKey<unknown>): void {
    this.values.delete(key.name);
  }

  /** has tells whether key holds a value. */
  has(key: StateKey<unknown>): boolean {
    return this.values.has(key.name);
  }
}
