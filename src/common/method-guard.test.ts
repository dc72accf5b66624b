import { describe, expect, it } from "vitest";
import { methodGuard } from "./method-guard.js";

interface Named {
  readonly name: string;
}
interface Greeter extends Named {
  greet(): string;
}
const isGreeter = methodGuard<Named, Greeter>("greet");

class ClassGreeter implements Greeter {
  readonly name = "class";
  greet(): string {
    return "hi";
  }
}

describe("methodGuard", () => {
  const cases: { name: string; value: Named; want: boolean }[] = [
    { name: "a plain object with the method", value: { name: "a", greet: () => "hi" } as Greeter, want: true },
    { name: "a class instance (method on the prototype)", value: new ClassGreeter(), want: true },
    { name: "no such property", value: { name: "b" }, want: false },
    { name: "the property is not a function", value: { name: "c", greet: "hi" } as unknown as Named, want: false },
  ];
  for (const { name, value, want } of cases) {
    it(`${want ? "accepts" : "refuses"} ${name}`, () => {
      expect(isGreeter(value)).toBe(want);
    });
  }
});
