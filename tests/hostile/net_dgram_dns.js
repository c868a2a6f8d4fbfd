// route: dgram (UDP), a DNS query to the outside listener, and dns.lookup of a name
// expect: *dns.lookup api.example.com failed*
import dgram from "node:dgram";
import dns from "node:dns/promises";

const udp = dgram.createSocket("udp4");
await new Promise((resolve) => udp.send("steal", {{ udp_port }}, "127.0.0.1", resolve));
udp.close();
try {
  console.log(await dns.lookup("api.example.com"));
} catch (error) {
  console.error(`dns.lookup api.example.com failed: ${error.code}`);
  process.exit(1);
}
