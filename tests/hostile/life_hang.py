# route: hang past the timeout with children in other sessions
# expect: *timed out after 2 s*
import subprocess
import time

subprocess.Popen(["bash", "-c", "sleep 300", "{{ marker }}-hang-py"], start_new_session=True)
time.sleep(300)
