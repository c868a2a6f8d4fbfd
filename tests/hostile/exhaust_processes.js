// route: a (bounded) fork bomb
// expect: *spawn refused after*
import { spawn } from "node:child_process";

let started = 0;
for (let i = 0; i < 2000; i++) {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  const failed = await new Promise((resolve) => {
    child.on("spawn", () => resolve(null));
    child.on("error", (error) => resolve(error));
  });
  if (failed) {
    console.error(`spawn refused after ${started} processes: ${failed.code}`);
    process.exit(1);
  }
  started++;
}
console.log("started", started);
