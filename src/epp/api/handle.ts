import type { Logger } from "../../common/logger.js";
import type { Registry } from "../../plugin/registry.js";
import type { Endpoint } from "./endpoint.js";

/** Hasher64 is a 64-bit hash (xxhash64) over bytes with a seed. */
export interface Hasher64 {
  hash(bytes: Uint8Array, seed: bigint): bigint;
}

/** EppPluginHandle is what an EPP plugin factory receives from the framework. */
export interface EppPluginHandle {
  readonly logger: Logger;
  /** hasher is xxhash64, loaded (WebAssembly) before any plugin is built. */
  readonly hasher: Hasher64;
  /** random returns a float in [0,1); tests inject a seeded one to make pickers deterministic. */
  readonly random: () => number;
  /** endpoints lists the endpoints discovery knows now (e.g. to prune per-endpoint state). */
  endpoints(): readonly Endpoint[];
}

/** EppRegistry is the registry type of EPP plugins. */
export type EppRegistry = Registry<EppPluginHandle>;
