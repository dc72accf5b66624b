/** TypedName identifies a plugin instance: its registered type and its instance name. */
export interface TypedName {
  readonly type: string;
  readonly name: string;
}

/**
 * Plugin is the root interface every extension point extends. An instance may implement
 * several extension points; the framework finds them by their methods.
 */
export interface Plugin {
  readonly typedName: TypedName;
  /** close releases what the instance holds (file watches, timers) when a config is retired. */
  close?(): void | Promise<void>;
}
