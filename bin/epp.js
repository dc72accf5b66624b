#!/usr/bin/env node
// The `epp` command: runs the compiled entry point (build with `npm run build`).
await import("../dist/epp/cli/main.js");
