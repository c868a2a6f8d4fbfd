# route: allocate far more memory than the limit
# expect: *xrealloc*|*cannot allocate*|*killed by signal*
big=$(head -c 2000M /dev/zero | tr '\0' m)
echo ${#big}
