// Self-test of the browser harness: runs test/browser-clients.mjs and test/demo-page.mjs against
// test/mock-portico.mjs (a mock, not Portico), so harness bugs show up before the real gateway
// exists. Extra arguments (e.g. --only a,b) go to browser-clients.mjs.
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

const a = await run("./browser-clients.mjs", process.argv.slice(2));
const b = await run("./demo-page.mjs", []);
server.closeAllConnections?.();
server.close();
process.exit(a || b ? 1 : 0);
