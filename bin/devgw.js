#!/usr/bin/env node
// The `devgw` command: runs the compiled entry point (build with `npm run build`).
await import("../dist/dev/devgw/main.js");
