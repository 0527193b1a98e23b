// Self-test of the browser harness: runs test/browser-clients.mjs against test/mock-portico.mjs (a
// mock, not Portico), so harness bugs show up apart from the real gateway. Extra arguments (e.g.
// --only a,b) go to browser-clients.mjs. (The demo app's test, test/demo-app.mjs, needs the real
// demo service: Stats, cancellation counts.)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMock } from "./mock-portico.mjs";

const server = await startMock(0);
const target = `http://127.0.0.1:${server.address().port}`;

function run(script, args) {
  const file = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, "--target", target, ...args], { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const code = await run("./browser-clients.mjs", process.argv.slice(2));
server.closeAllConnections?.();
server.close();
process.exit(code);
