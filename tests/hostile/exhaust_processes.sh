# route: a (bounded) fork bomb
# expect: *fork*
for i in $(seq 1 2000); do sleep 60 & done
echo started
