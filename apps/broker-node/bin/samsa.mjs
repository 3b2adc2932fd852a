#!/usr/bin/env node
// Launcher behind the root `pnpm samsa …` / `npm run samsa -- …`: runs the built CLI, or
// says how to build it. The package's own `bin` entry points at dist/cli.js directly.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'samsa: the CLI is not built yet. Run `npm start` once, or build it with\n' +
      '  npx turbo run build --filter=@samsa/broker-node...\n',
  );
  process.exit(1);
}
await import(cli.href);
