# route: a child process with a fresh environment: no PYTHONPATH, so no guard in it
# expect: *child: ConnectionRefusedError*
import subprocess
import sys

code = "import socket; socket.create_connection(('127.0.0.1', {{ out_port }}), timeout=5).send(b'steal')"
child = subprocess.run([sys.executable, "-c", code], env={}, capture_output=True, text=True)
sys.exit("child: " + (child.stderr.strip().splitlines() or ["no error"])[-1])
