// The report of a check script: one `ok`/`FAIL` line per check, then a verdict line; the
// process exits 1 when any check failed.
let failures = 0;

export const ok = (what) => console.log(`ok   ${what}`);

export const fail = (what, details = []) => {
  failures += 1;
  console.log(`FAIL ${what}`);
  for (const d of details) console.log(`       ${d}`);
};

/** Prints `${tool}: N check(s) failed` and exits 1, or prints `${tool}: ${passed}`. */
export function verdict(tool, passed) {
  if (failures > 0) {
    console.log(`${tool}: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log(`${tool}: ${passed}`);
}
