#!/usr/bin/env node
// Bundles the demo app (src/main.ts, with gen/ from `npm run generate`) into site/app.js, the file Portico's
// jar serves in demo mode. site/app.js is committed, so that `mvn package` (which runs no npm) packs a
// working app; `--check` rebuilds it in memory and fails if the committed file differs (the demo tests
// run it, so a stale bundle cannot land).
//
//   node build-site.mjs           write site/app.js       (npm run site)
//   node build-site.mjs --check   compare, write nothing   (npm run site:check)
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "site/app.js");
const check = process.argv.includes("--check");

const result = await build({
  absWorkingDir: HERE,
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  outfile: OUT,
  write: !check,
  logLevel: check ? "warning" : "info",
});

if (check) {
  const built = result.outputFiles[0].contents;
  let committed;
  try {
    committed = readFileSync(OUT);
  } catch {
    committed = new Uint8Array();
  }
  if (Buffer.compare(Buffer.from(built), committed) !== 0) {
    console.log("FAIL site/app.js is not what src/ builds to: run `npm run site` in web-demo/ and commit site/app.js");
    process.exit(1);
  }
  console.log("site/app.js is current");
}
