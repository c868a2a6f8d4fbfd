# route: a (bounded) fork bomb
# expect: *fork refused after*
import os
import sys
import time

started = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
except OSError as exc:
    sys.exit(f"fork refused after {started} processes: {exc}")
print("started", started)
