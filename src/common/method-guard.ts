/**
 * methodGuard makes a type guard that tells whether a value has `method` as a function: how a
 * plugin is known to implement an extension point, since plugins are plain objects and classes
 * from other packages, with no registry of interfaces to ask at run time.
 */
export function methodGuard<T extends object, I extends T>(method: keyof I & string): (value: T) => value is I {
  return (value): value is I => typeof (value as Record<string, unknown>)[method] === "function";
}
