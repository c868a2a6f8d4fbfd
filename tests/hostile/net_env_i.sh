# route: env -i curl: a fresh environment without the proxy variables
# expect: *Failed to connect to 127.0.0.1 port {{ out_port }}*
env -i "$(command -v curl)" -sS --max-time 5 http://127.0.0.1:{{ out_port }}/steal
