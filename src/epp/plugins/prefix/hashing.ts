import xxhash from "xxhash-wasm";
import type { Hasher64 } from "../../api/handle.js";

/** loadHasher instantiates xxhash64 (WebAssembly); do it once at startup, before building plugins. */
export async function loadHasher(): Promise<Hasher64> {
  const api = await xxhash();
  return { hash: (bytes, seed) => api.h64Raw(bytes, seed) };
}

/** AVERAGE_CHARACTERS_PER_TOKEN turns token block sizes into byte blocks (no tokenizer here). */
export const AVERAGE_CHARACTERS_PER_TOKEN = 4;

const encoder = new TextEncoder();

/** chainSeed is the first link of a prompt's hash chain: xxhash(model ‖ cache_salt), so models never share entries. */
export function chainSeed(hasher: Hasher64, model: string, cacheSalt: string | undefined): bigint {
  return hasher.hash(encoder.encode(cacheSalt ? model + cacheSalt : model), 0n);
}

/**
 * BlockHasher hashes prompts into chained block hashes: h_i = xxhash(block_i ‖ LE64(h_{i-1})),
 * h_{-1} = seed. A match on block i therefore implies blocks 0..i-1 match. A trailing partial
 * block is hashed too; a prompt shorter than one block yields no hashes (it cannot hit a cache).
 * One scratch buffer is reused, so hashing allocates only the result.
 */
export class BlockHasher {
  private scratch = new Uint8Array(0);
  private view = new DataView(this.scratch.buffer);

  constructor(private readonly hasher: Hasher64) {}

  hashes(prompt: Uint8Array, blockBytes: number, maxBlocks: number, seed: bigint): bigint[] {
    if (prompt.length < blockBytes || maxBlocks <= 0) return [];
    const input = prompt.length > maxBlocks * blockBytes ? prompt.subarray(0, maxBlocks * blockBytes) : prompt;
    if (this.scratch.length < blockBytes + 8) {
      this.scratch = new Uint8Array(blockBytes + 8);
      this.view = new DataView(this.scratch.buffer);
    }
    const out: bigint[] = [];
    let previous = seed;
    for (let offset = 0; offset < input.length; offset += blockBytes) {
      const block = input.subarray(offset, Math.min(offset + blockBytes, input.length));
      this.scratch.set(block, 0);
      this.view.setBigUint64(block.length, previous, true);
      previous = this.hasher.hash(this.scratch.subarray(0, block.length + 8), 0n);
      out.push(previous);
    }
    return out;
  }
}
