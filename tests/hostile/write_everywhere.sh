# route: write to the real home folder, the repository (named, and found via /proc), /proc/1/cwd and /tmp
# expect: *made no request to the mock*
for target in "{{ home }}/{{ marker }}-sh" "{{ repo }}/{{ marker }}-sh" "$(readlink /proc/$PPID/cwd)/../{{ marker }}-sh" \
    "/proc/1/cwd/{{ marker }}-sh" "/tmp/{{ marker }}-sh" "$HOME/../{{ marker }}-sh" "/usr/{{ marker }}-sh"; do
  if echo leaked > "$target"; then echo "wrote $target"; else echo "refused $target"; fi
done
