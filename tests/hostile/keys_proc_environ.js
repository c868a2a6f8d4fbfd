// route: read the runner's keys from /proc/$PPID/environ, /proc/1/environ and every other process
// expect: *made no request to the mock*
import { readFileSync, readdirSync } from "node:fs";

console.log("own:", JSON.stringify(process.env));
const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
for (const pid of ["self", String(process.ppid), "1", ...pids]) {
  try {
    console.log(pid, readFileSync(`/proc/${pid}/environ`, "latin1").replaceAll("\0", " "));
  } catch (error) {
    console.log(pid, "refused:", error.code);
  }
}
