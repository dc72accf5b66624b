/** REDACTED replaces secret values in config shown by the admin API. */
export const REDACTED = "[REDACTED]";

// Secret-looking key endings. Matched on the last word(s) of a key split at camelCase, "-" and
// "_", so `apiKey`, `client_secret` and `authToken` are secrets while `max_tokens` and
// `outputTokenFields` are not.
const SECRET_WORDS = new Set([
  "secret",
  "password",
  "passwd",
  "token",
  "apikey",
  "credential",
  "credentials",
  "authorization",
  "bearer",
  "privatekey",
  "accesskey",
  "cookie",
]);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_\-.]+/)
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
}

/** isSecretKey tells whether a config key names a secret. */
export function isSecretKey(key: string): boolean {
  const w = words(key);
  const last = w.at(-1) ?? "";
  const lastTwo = w.slice(-2).join("");
  return SECRET_WORDS.has(last) || SECRET_WORDS.has(lastTwo);
}

// Values that are credentials whatever their key: bearer/basic authorization, OpenAI-style keys.
const SECRET_VALUE = /^(?:(?:bearer|basic)\s+\S+|sk-[A-Za-z0-9_-]{16,})$/i;

/** redact copies a JSON-like value, replacing values under secret keys and credential-looking strings. */
export function redact(value: unknown): unknown {
  if (typeof value === "string") return SECRET_VALUE.test(value.trim()) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: isSecretKey(k) && v !== null && v !== undefined ? REDACTED : redact(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
