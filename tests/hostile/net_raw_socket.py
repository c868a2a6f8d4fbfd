# route: _socket, below the guard's socket.socket.connect
# expect: *ConnectionRefusedError*
import _socket

sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
sock.connect(("127.0.0.1", {{ out_port }}))
sock.send(b"GET /steal HTTP/1.0\r\n\r\n")
