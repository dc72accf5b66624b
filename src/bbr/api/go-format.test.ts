import { describe, expect, it } from "vitest";
import { formatGoFloat, formatGoScalar } from "./go-format.js";

describe("formatGoFloat matches Go's %v for float64", () => {
  it.each([
    [1, "1"],
    [42, "42"],
    [0.7, "0.7"],
    [-3.25, "-3.25"],
    [100000, "100000"],
    [123456, "123456"],
    [1000000, "1e+06"],
    [1234567, "1.234567e+06"],
    [1e21, "1e+21"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [1e100, "1e+100"],
    [0, "0"],
    [-0, "-0"],
    [2 ** 53 + 2, "9.007199254740994e+15"],
  ])("%s → %s", (input, want) => {
    expect(formatGoFloat(input)).toBe(want);
  });
});

describe("formatGoScalar", () => {
  it.each([
    ["qwen3", "qwen3"],
    [true, "true"],
    [false, "false"],
    [42, "42"],
    ["", ""],
    [null, undefined],
    [{ a: 1 }, undefined],
    [[1, 2], undefined],
  ])("%j → %j", (input, want) => {
    expect(formatGoScalar(input)).toBe(want);
  });
});
