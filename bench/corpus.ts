/**
 * Deterministic request bodies shaped like real inference traffic, so every run (and every
 * server in a run) sees the same bytes.
 *
 * - chat:  an OpenAI chat completion with many turns of English prose: paragraphs (\n\n), some
 *          quotes and apostrophes, a little non-ASCII (’, —, é, 日本語) as LLM transcripts have.
 * - code:  a coding-agent turn: source code inside messages, so escapes (\n, \", \t) every few
 *          bytes; the hardest case for a string skipper.
 * - image: a vision request whose size is one base64 data URL (no escapes at all).
 *
 * `model` goes first or last; openai-python serialises `messages` before `model`, so "last"
 * is the common case and the one a scanner must skip the whole body for.
 */

/** ContentKind is the shape of the bulk of a body. */
export type ContentKind = "chat" | "code" | "image";

/** BodySpec describes one generated body. */
export interface BodySpec {
  readonly size: number;
  readonly modelPosition: "first" | "last";
  readonly content: ContentKind;
}

/** BENCH_MODEL is the model every generated body asks for. */
export const BENCH_MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** mulberry32 is a tiny seeded PRNG (deterministic bodies and chunk sizes). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the a of and to in is that for it as with was on be by this are at from or have an they which one you " +
  "were her all she there would their we him been has when who will more no if out so said what up its about " +
  "into than them can only other new some could time these two may then do first any my now such like our over " +
  "man me even most made after also did many before must through back years where much your way well down " +
  "should because each just those people how too little state good very make world still own see men work long " +
  "get here between both life being under never day same another know while last might us great old year off " +
  "come since against go came right used take three model token context latency gateway routing request"
).split(" ");
const SPICE = [
  "it’s",
  "don’t",
  "café",
  "naïve",
  "—",
  "日本語",
  "résumé",
  "“quoted”",
  '"quoted"',
  "e.g.",
  "(see above)",
];

function prose(rand: () => number, length: number): string {
  let out = "";
  let sentence = 0;
  while (out.length < length) {
    const words = 6 + Math.floor(rand() * 14);
    let s = "";
    for (let i = 0; i < words; i++) {
      const w = rand() < 0.04 ? SPICE[Math.floor(rand() * SPICE.length)]! : WORDS[Math.floor(rand() * WORDS.length)]!;
      s += (i === 0 ? w[0]!.toUpperCase() + w.slice(1) : ` ${w}`) + (rand() < 0.08 && i < words - 1 ? "," : "");
    }
    out += `${s}. `;
    if (++sentence % (3 + Math.floor(rand() * 4)) === 0) out += "\n\n";
  }
  return out.slice(0, length);
}

const CODE_LINES = [
  'import { readFile } from "node:fs/promises";',
  "export async function load(path: string): Promise<Config> {",
  '\tconst text = await readFile(path, "utf8");',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: source code as text, not a template
  "\tif (!text.trim()) throw new Error(`empty config: ${path}`);",
  '\treturn parse(text, { strict: true, source: "file" });',
  "}",
  "",
  'const re = /^([a-z]+)\\s*=\\s*"(.*)"$/;',
  "for (const [key, value] of Object.entries(env)) {",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: source code as text, not a template
  '\tconsole.log(`${key}="${value}"`);',
  "}",
];

function code(rand: () => number, length: number): string {
  let out = "";
  while (out.length < length) {
    const indent = "  ".repeat(Math.floor(rand() * 3));
    out += `${indent}${CODE_LINES[Math.floor(rand() * CODE_LINES.length)]}\n`;
  }
  return out.slice(0, length);
}

/** makeBody builds a body of about spec.size bytes (exact to within one small message). */
export function makeBody(spec: BodySpec): Buffer {
  const rand = mulberry32(spec.size ^ (spec.content.length << 20));
  const head = spec.modelPosition === "first" ? `{"model":${JSON.stringify(BENCH_MODEL)},` : "{";
  const tail =
    spec.modelPosition === "last"
      ? `,"temperature":0.7,"stream":true,"model":${JSON.stringify(BENCH_MODEL)}}`
      : `,"temperature":0.7,"stream":true}`;
  const budget = Math.max(0, spec.size - head.length - tail.length);
  return Buffer.from(head + messagesOf(spec.content, rand, budget) + tail);
}

function messagesOf(content: ContentKind, rand: () => number, budget: number): string {
  if (content === "image") {
    const overhead =
      '"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,"}}]}]'
        .length;
    const b64 = Math.max(0, budget - overhead);
    const raw = Buffer.alloc(Math.floor((b64 * 3) / 4));
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rand() * 256);
    const url = `data:image/png;base64,${raw.toString("base64")}`;
    return `"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":${JSON.stringify(url)}}}]}]`;
  }
  const parts: string[] = [JSON.stringify({ role: "system", content: "You are a helpful assistant." })];
  let used = '"messages":[]'.length + parts[0]!.length;
  let turn = 0;
  while (used < budget) {
    const room = budget - used - 40;
    if (room <= 0) break;
    const want = Math.min(room, 200 + Math.floor(rand() * 8000));
    const text = content === "code" ? code(rand, want) : prose(rand, want);
    // Trim after escaping so the message fits (escapes grow the text).
    let message = JSON.stringify({ role: turn++ % 2 === 0 ? "user" : "assistant", content: text });
    while (message.length + 1 > budget - used && text.length > 0) {
      const cut = Math.max(0, Math.floor(text.length * ((budget - used - 40) / message.length)));
      message = JSON.stringify({ role: "user", content: text.slice(0, Math.min(cut, text.length - 1)) });
      if (cut <= 0) break;
    }
    parts.push(message);
    used += message.length + 1;
  }
  return `"messages":[${parts.join(",")}]`;
}

/**
 * chunkSizes splits `size` bytes the way Envoy forwards a streamed body here: pieces of 16 to
 * 64 KiB (the last one smaller), deterministic per seed.
 */
export function chunkSizes(size: number, seed = 7): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  let left = size;
  while (left > 0) {
    const piece = Math.min(left, 16_384 + Math.floor(rand() * (65_536 - 16_384 + 1)));
    out.push(piece);
    left -= piece;
  }
  return out.length > 0 ? out : [0];
}

/** chunked cuts a body into views (no copies) following chunkSizes. */
export function chunked(body: Uint8Array, seed = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of chunkSizes(body.length, seed)) {
    out.push(body.subarray(at, at + n));
    at += n;
  }
  return out;
}
