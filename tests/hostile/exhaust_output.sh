# route: flood stdout (the runner used to hold all of it in memory)
# expect: *bytes cut*
head -c {{ flood_mb }}M /dev/zero | tr '\0' z
