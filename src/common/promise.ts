/**
 * isPromise tells a pending result from a settled one by its `then`, so a step that may be
 * synchronous or asynchronous costs no microtask when it is synchronous.
 */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}
