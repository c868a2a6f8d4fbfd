# route: read the runner's keys from /proc/$PPID/environ, /proc/1/environ and every other process
# expect: *made no request to the mock*
import glob
import os

print("own:", dict(os.environ))
for path in ["/proc/self/environ", f"/proc/{os.getppid()}/environ", "/proc/1/environ", *glob.glob("/proc/[0-9]*/environ")]:
    try:
        with open(path, "rb") as fh:
            print(path, fh.read().replace(b"\0", b" ").decode("utf-8", "replace"))
    except OSError as exc:
        print(path, "refused:", exc)
