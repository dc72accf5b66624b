import { createHash } from "node:crypto";

/** CHARS_PER_TOKEN approximates a BPE tokenizer on English text (OpenAI's rule of thumb). */
export const CHARS_PER_TOKEN = 4;

/** tokenCount approximates the number of tokens in a text: ⌈chars / 4⌉. */
export function tokenCount(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * promptBlockHashes splits a prompt into KV blocks of `blockSize` tokens and returns one hash per
 * full block. Each hash covers the block and everything before it (as vLLM chains block hashes),
 * so two prompts share a cached block only if they share the whole prefix up to it. The partial
 * last block is never cached, as in vLLM.
 */
export function promptBlockHashes(text: string, blockSize: number): string[] {
  const blockChars = blockSize * CHARS_PER_TOKEN;
  const full = Math.floor(text.length / blockChars);
  const hashes: string[] = [];
  let parent = "";
  for (let i = 0; i < full; i++) {
    const h = createHash("sha1")
      .update(parent)
      .update(text.slice(i * blockChars, (i + 1) * blockChars))
      .digest("base64");
    hashes.push(h);
    parent = h;
  }
  return hashes;
}

// Output text is a fixed sentence cut into 4-character tokens, so streamed pieces join into
// readable text and every token has the same size.
const SENTENCE = "This is a simulated response from the inference-bbr model server simulator. ";

/** outputToken is the text of output token number `index` (0-based). */
export function outputToken(index: number): string {
  const pieces = SENTENCE.length / CHARS_PER_TOKEN;
  const start = (index % pieces) * CHARS_PER_TOKEN;
  return SENTENCE.slice(start, start + CHARS_PER_TOKEN);
}

/** outputText is the text of the first `count` output tokens. */
export function outputText(count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += outputToken(i);
  return out;
}
