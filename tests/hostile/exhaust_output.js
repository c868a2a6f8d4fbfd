// route: flood stdout (the runner used to hold all of it in memory)
// expect: *bytes cut*
import { writeSync } from "node:fs";

const chunk = Buffer.alloc(1 << 20, "y");
for (let i = 0; i < {{ flood_mb }}; i++) writeSync(1, chunk);
