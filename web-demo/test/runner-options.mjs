// Command-line options shared by the test runners (browser-clients.mjs, node-clients.mjs):
//   --target http://127.0.0.1:PORT [--only name1,name2] [--timeout-ms 60000] [--verbose]
// and, for browser-clients.mjs, [--page clients|websocket] [--page-port N]
import { parseArgs } from "node:util";

export function parseRunnerOptions(script) {
  const { values: opts } = parseArgs({
    options: {
      target: { type: "string" },
      only: { type: "string" },
      "timeout-ms": { type: "string", default: "60000" },
      verbose: { type: "boolean", default: false },
      page: { type: "string", default: "clients" },
      "page-port": { type: "string", default: "0" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (opts.help || !opts.target) {
    console.log(`usage: node test/${script} --target http://127.0.0.1:PORT [--only name1,name2] [--timeout-ms 60000] [--verbose]`);
    process.exit(opts.help ? 0 : 2);
  }
  return {
    target: opts.target.replace(/\/+$/, ""),
    totalTimeoutMs: Number(opts["timeout-ms"]),
    only: opts.only ? opts.only.split(",").map((s) => s.trim()).filter(Boolean) : null,
    verbose: opts.verbose,
    page: opts.page,
    pagePort: Number(opts["page-port"]),
  };
}
