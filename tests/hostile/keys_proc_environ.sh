# route: read the runner's keys from /proc/$PPID/environ, /proc/1/environ and every other process
# expect: *made no request to the mock*
env
for f in /proc/$PPID/environ /proc/1/environ /proc/[0-9]*/environ; do
  echo "$f: $(tr '\0' ' ' < "$f" 2>&1)"
done
cat /proc/$PPID/cmdline /proc/1/cmdline | tr '\0' ' '
