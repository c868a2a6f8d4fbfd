// route: an ordinary call to a real host: the guard names it
// expect: *tried to reach api.example.com:443*
await fetch("https://api.example.com/v1/models");
