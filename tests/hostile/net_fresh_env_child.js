// route: a child node with a fresh environment: no NODE_OPTIONS, so no guard in it
// expect: *child: *ECONNREFUSED*
import { spawnSync } from "node:child_process";

const code = `require("node:net").connect({{ out_port }}, "127.0.0.1").on("error", (e) => { console.error(e.code); process.exit(1); }).write("steal")`;
const child = spawnSync(process.execPath, ["-e", code], { env: {}, encoding: "utf8" });
console.error(`child: ${child.stderr.trim()}`);
process.exit(1);
