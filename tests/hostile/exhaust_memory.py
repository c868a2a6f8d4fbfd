# route: allocate far more memory than the limit
# expect: *MemoryError*
hog = bytearray(4 * 1024 * 1024 * 1024)
print(len(hog))
