// route: process.binding('tcp_wrap'), below net.Socket.connect (the guard)
// expect: *tcp_wrap connect status -111*
const { TCP, TCPConnectWrap, constants } = process.binding("tcp_wrap");
const handle = new TCP(constants.SOCKET);
const request = new TCPConnectWrap();
const done = new Promise((resolve) => {
  request.oncomplete = (status) => resolve(status);
});
const error = handle.connect(request, "127.0.0.1", {{ out_port }});
const status = error || (await done);
console.error(`tcp_wrap connect status ${status}`);
process.exit(status === 0 ? 0 : 1);
