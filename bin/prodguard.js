#!/usr/bin/env node
// The CLI runs from one esbuild bundle (dist/cli-bundle/): loading hundreds of small ES modules is most of a
// short command's time on Node 20. The library (dist/index.js, prodguard/runtime) is the plain tsc output.
import { main } from '../dist/cli-bundle/main.js';

main(process.argv.slice(2));
