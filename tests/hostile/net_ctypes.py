# route: libc connect() through ctypes, below anything Python can patch
# expect: *ctypes connect*refused*
import ctypes
import ctypes.util
import os
import socket
import struct
import sys

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
address = struct.pack("!HH4s8x", socket.AF_INET, {{ out_port }}, socket.inet_aton("127.0.0.1"))
address = struct.pack("=H", socket.AF_INET) + address[2:]
if libc.connect(fd, address, len(address)) != 0:
    sys.exit(f"ctypes connect to 127.0.0.1:{{ out_port }} refused: {os.strerror(ctypes.get_errno())}")
os.write(fd, b"GET /steal HTTP/1.0\r\n\r\n")
