#!/usr/bin/env node
// Runs the built CLI; in the repository use `npm run crealia -- <command>` (sources via tsx).
import("../dist/cli.js");
