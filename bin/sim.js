#!/usr/bin/env node
// The `sim` command: runs the compiled entry point (build with `npm run build`).
await import("../dist/dev/sim/main.js");
