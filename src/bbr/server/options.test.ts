import { describe, expect, it } from "vitest";
import { BBR_FLAGS, defaultOptions, optionsFromFlags } from "./options.js";
import { parseFlags } from "../../common/flags.js";

function parse(argv: string[]) {
  const flags = parseFlags(argv, BBR_FLAGS);
  if (!flags.ok) return { error: [flags.error] };
  const options = optionsFromFlags(flags.value.flags);
  return options.ok ? { value: options.value } : { error: options.error };
}

describe("bbr flags", () => {
  it("defaults to GIE's ports, streaming and a 32 MiB body limit", () => {
    const o = defaultOptions();
    expect([o.grpcPort, o.grpcHealthPort, o.metricsPort]).toEqual([9004, 9005, 9090]);
    expect(o.streaming).toBe(true);
    expect(o.maxBodyBytes).toBe(32 * 1024 * 1024);
    expect(o.maxResponseBufferBytes).toBe(o.maxBodyBytes);
    expect(o.drainTimeoutMs).toBe(25_000);
    expect(o.transport).toBe("grpc");
  });

  it.each(["grpc", "connect"])("reads --transport %s", (transport) => {
    expect(parse(["--transport", transport]).value?.transport).toBe(transport);
  });

  it("reads overrides in both --flag value and --flag=value forms", () => {
    const { value } = parse(["--grpc-port", "5000", "--grpc-health-port=5001", "--metrics-port", "5002", "--streaming=false", "--max-body-bytes", "1024"]);
    expect(value).toMatchObject({ grpcPort: 5000, grpcHealthPort: 5001, metricsPort: 5002, streaming: false, maxBodyBytes: 1024 });
  });

  it.each([
    { argv: ["--grpc-port", "70000"], want: "--grpc-port" },
    { argv: ["--grpc-port", "-1"], want: "--grpc-port" },
    { argv: ["--grpc-port", "x"], want: "--grpc-port" },
    { argv: ["--grpc-port", "9005"], want: "collides with --grpc-port" },
    { argv: ["--streaming=maybe"], want: "takes true or false" },
    { argv: ["--no-such-flag"], want: "unknown flag --no-such-flag" },
    { argv: ["--config"], want: "--config needs a value" },
    { argv: ["--log-level", "loud"], want: "--log-level" },
    { argv: ["--max-header-value-bytes", "20000"], want: "16384" },
    { argv: ["--transport", "quic"], want: '--transport: "quic" is not a transport (choose grpc or connect)' },
    { argv: ["--transport"], want: "--transport needs a value" },
  ])("refuses $argv", ({ argv, want }) => {
    const { error } = parse(argv);
    expect(error?.join("\n")).toContain(want);
  });

  it("accepts ports 1 and 65535", () => {
    expect(parse(["--grpc-port", "1", "--grpc-health-port", "65535"]).value).toBeDefined();
  });
});
