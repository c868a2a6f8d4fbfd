# route: curl straight to another loopback port (NO_PROXY covers 127.0.0.1)
# expect: *Failed to connect to 127.0.0.1 port {{ out_port }}*
curl -sS --max-time 5 http://127.0.0.1:{{ out_port }}/steal
