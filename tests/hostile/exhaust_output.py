# route: flood stdout (the runner used to hold all of it in memory)
# expect: *bytes cut*
import sys

chunk = b"x" * (1 << 20)
for _ in range({{ flood_mb }}):
    sys.stdout.buffer.write(chunk)
