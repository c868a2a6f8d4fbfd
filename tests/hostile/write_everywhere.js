// route: write to the real home folder, the repository (named, and found via /proc), /proc/1/cwd and /tmp
// expect: *made no request to the mock*
import { readlinkSync, writeFileSync } from "node:fs";

const targets = [
  "{{ home }}/{{ marker }}-js",
  "{{ repo }}/{{ marker }}-js",
  `${readlinkSync(`/proc/${process.ppid}/cwd`)}/../{{ marker }}-js`,
  "/proc/1/cwd/{{ marker }}-js",
  "/tmp/{{ marker }}-js",
  `${process.env.HOME}/../{{ marker }}-js`,
  "/usr/{{ marker }}-js",
];
for (const target of targets) {
  try {
    writeFileSync(target, "leaked");
    console.log("wrote", target);
  } catch (error) {
    console.log("refused", target, error.code);
  }
}
