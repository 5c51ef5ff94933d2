// Bundles the explorer page (libs/audit/explorer-ui) into explorer.js and explorer.css for the
// library to serve. Output folder: the first argument, or src/explorer/assets (where the sources,
// as the tests run them, look); `npm run build` writes dist/explorer/assets for the package.
/* global process, console */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const lib = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(lib, process.argv[2] ?? 'src/explorer/assets');
const ui = join(lib, 'explorer-ui', 'src');

// Written aside, then renamed into place: test runs that start together each rebuild, and none
// may read a half-written file.
const scratch = join(out, `.build-${process.pid}`);
mkdirSync(scratch, { recursive: true });
await build({
  entryPoints: [join(ui, 'main.ts')],
  outfile: join(scratch, 'explorer.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari16'],
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(ui, 'explorer.css'), join(scratch, 'explorer.css'));
for (const file of ['explorer.js', 'explorer.css']) renameSync(join(scratch, file), join(out, file));
rmSync(scratch, { recursive: true, force: true });

if (!process.env.EXPLORER_BUILD_QUIET) {
  const size = (file) => {
    const body = readFileSync(join(out, file));
    return `${file} ${(body.length / 1024).toFixed(1)} KiB, ${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KiB gzipped`;
  };
  console.log(`explorer assets in ${out}: ${size('explorer.js')}; ${size('explorer.css')}`);
}
