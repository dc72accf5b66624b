import { describe, expect, it } from "vitest";
import { RequestError } from "../../common/request-error.js";
import { TrackedHeaders } from "./headers.js";

describe("TrackedHeaders", () => {
  it("reads case-insensitively and records sets with the plugin's spelling", () => {
    const h = new TrackedHeaders(new Map([["x-a", "1"]]));
    expect(h.get("X-A")).toBe("1");
    h.set("X-Gateway-Model-Name", "m");
    expect(h.mutatedHeaders()).toEqual([{ key: "X-Gateway-Model-Name", value: "m" }]);
    expect(h.get("x-gateway-model-name")).toBe("m");
  });

  it.each([
    { name: "CR/LF", value: "a\r\nb", reason: "invalid_header_value" },
    { name: "NUL", value: "a\0b", reason: "invalid_header_value" },
    { name: "too long", value: "x".repeat(101), reason: "header_value_too_long" },
  ])("refuses a value with $name as a BadRequest", ({ value, reason }) => {
    const h = new TrackedHeaders(new Map(), 100);
    let caught: unknown;
    try {
      h.set("X-M", value);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RequestError);
    expect((caught as RequestError).code).toBe("BadRequest");
    expect((caught as RequestError).reason).toBe(reason);
  });

  it("refuses an invalid header name as a programming error", () => {
    expect(() => new TrackedHeaders(new Map()).set("bad name", "v")).toThrow(/invalid header name/);
  });
});
