# route: write to the real home folder, the repository (named, and found via /proc), /proc/1/cwd and /tmp
# expect: *made no request to the mock*
import os

targets = [
    "{{ home }}/{{ marker }}-py",
    "{{ repo }}/{{ marker }}-py",
    f"{os.readlink(f'/proc/{os.getppid()}/cwd')}/../{{ marker }}-py",
    "/proc/1/cwd/{{ marker }}-py",
    "/tmp/{{ marker }}-py",
    os.path.expanduser("~/../{{ marker }}-py"),
    "/usr/{{ marker }}-py",
    "/etc/{{ marker }}-py",
]
for target in targets:
    try:
        with open(target, "w") as fh:
            fh.write("leaked")
        print("wrote", target)
    except OSError as exc:
        print("refused", target, exc)
