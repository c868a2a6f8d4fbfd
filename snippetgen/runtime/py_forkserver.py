"""A warm Python that forks one child per example (started by snippetgen's runner).

Importing ``requests`` costs ~100 ms per fresh interpreter; this process imports the usual example
libraries once, then for each request forks a child that gets its own session and process group,
working folder, environment, egress guard, stdout/stderr files and timeout. Nothing an example does
can leak into the next one: each runs in its own process, forked from the same clean parent.

Protocol: one JSON object per line on stdin
``{"script", "cwd", "env", "timeout", "stdout", "stderr"}``; one JSON line per request on stdout
``{"returncode", "timed_out", "seconds"}``.
"""

import json
import os
import runpy
import signal
import sys
import time
import traceback

for _name in (
    "requests",
    "urllib3",
    "json",
    "base64",
    "pathlib",
    "time",
    "mimetypes",
    "email.mime.multipart",
):
    try:
        __import__(_name)
    except ImportError:
        pass

GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyguard", "sitecustomize.py")


def child(job):
    os.setsid()
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)
    code = 0
    try:
        runpy.run_path(GUARD, run_name="sitecustomize")
        sys.argv = [job["script"]]
        sys.path[0] = job["cwd"]
        runpy.run_path(job["script"], run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # the example's own error: report it the way python would
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def run(job):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        child(job)
    deadline = start + job["timeout"]
    timed_out = False
    status = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            timed_out = True
            kill_group(pid)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.002)
    kill_group(pid)  # grandchildren the example left behind
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    return {
        "returncode": None if timed_out else code,
        "timed_out": timed_out,
        "seconds": time.perf_counter() - start,
    }


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main():
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
