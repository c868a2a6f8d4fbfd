# route: curl -x names its own proxy: the outside listener
# expect: *Failed to connect to 127.0.0.1 port {{ out_port }}*
curl -sS --max-time 5 -x http://127.0.0.1:{{ out_port }} http://api.example.com/steal
