# route: an ordinary call to a real host: the refusing proxy names it
# expect: *tried to reach api.example.com:443*
curl -sS --max-time 5 https://api.example.com/v1/models
