// route: allocate far more memory than the limit
// expect: *allocation failed*
const hogs = [];
try {
  for (let i = 0; i < 16; i++) hogs.push(Buffer.alloc(256 * 1024 * 1024, 1));
} catch (error) {
  console.error(`allocation failed after ${hogs.length} x 256 MiB: ${error.message}`);
  process.exit(1);
}
console.log(hogs.length);
