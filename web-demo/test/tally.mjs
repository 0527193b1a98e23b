// The PASS/FAIL tally the page runners print: one line per case, then `N passed, M failed`; the process
// exits 1 on any failure.

export function createTally() {
  let passed = 0;
  let failed = 0;
  const report = (name, err) => {
    if (err === undefined) {
      passed++;
      console.log(`PASS ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${String(err?.message ?? err).split("\n")[0]}`);
    }
  };
  const done = () => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed > 0 ? 1 : 0);
  };
  return { report, done };
}
