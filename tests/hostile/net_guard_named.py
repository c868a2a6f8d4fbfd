# route: an ordinary call to a real host: the guard names it
# expect: *tried to reach api.example.com:443*
import requests

requests.get("https://api.example.com/v1/models", timeout=5)
