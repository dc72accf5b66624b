#!/usr/bin/env node
// The `bbr` command: runs the compiled entry point (build with `npm run build`).
await import("../dist/bbr/cli/main.js");
