"""The supervisor of one kernel-isolated cell: snippetgen's runner starts it inside bubblewrap.

The cell is a set of new namespaces (network with only loopback, PID, IPC, UTS, mounts) around a
read-only view of the system and of the runtimes, a private ``/tmp``, the runner's working folders
and a folder of Unix sockets. This process is the only long-lived one in it (bubblewrap is PID 1):

* for each port an example may reach (the mock's APIs, the refusing proxy) it listens on the cell's
  ``127.0.0.1:<port>`` and forwards each connection to the Unix socket the runner serves for that
  port outside, so examples keep their normal base URLs while every other address is unreachable;
* it runs examples one at a time: a forked child drops to the examples' user (when the cell runs
  as root), sets the resource limits, enters the example's folder and environment, then either
  executes the language's command or, for a ``python`` file, runs it in the fork itself (the
  interpreter and ``requests`` are already loaded: a warm start; an SDK of ``on_demand`` is
  loaded here the first time an example imports it);
* it captures stdout and stderr through pipes, keeping at most ``limits.output`` bytes of each
  (head and tail, "... N bytes cut"), enforces the timeout, and when the example ends, one way or
  the other, kills every other process of the cell (``kill(-1)``: daemons, detached children),
  then empties ``/tmp``.

It imports nothing from snippetgen (the package is not visible inside the cell).

* JavaScript examples (``"warm": "node"``) run in the cell's warm node (``warm_node.cjs``): one
  long-lived node, started here as a user of its own (the examples' user + 1), that has loaded its
  HTTP stack and runs each example in a fresh ``vm`` context; every process but it is killed after
  each example, and it ends itself (a fresh one is started) after ``process.exit()`` or an error.

Protocol. ``argv[1]`` is a JSON object: ``{"forward": [[port, socket path], ...], "uid": int|null,
"gid": int|null, "egress": path, "preload": [module, ...], "on_demand": [module, ...], "guard":
path}``. Then one JSON job per line on stdin: ``{"argv", "cwd", "env", "timeout", "warm", "limits": {"memory", "processes",
"output"}}``; one JSON result per job on stdout: ``{"returncode", "timed_out", "seconds", "stdout",
"stderr", "cut", "egress"}``. End of stdin (the runner closed it or died): kill everything, exit.
"""

import gc
import json
import os
import re
import resource
import runpy
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback

IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_]\w*)", re.M)
BUFFER = 1 << 20
"""Bytes a relay holds for one direction of one connection before it stops reading that side."""
CHUNK = 1 << 16
READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


# --- relay: the forwarders, also used outside the cell by the runner -----------------------------


class Relay:
    """Forwards each connection accepted on a listening socket to a new connection from ``connect``.

    Non-blocking, driven by a selector the owner polls: one thread (or the cell's one loop) serves
    every connection, with bounded buffers and half-closes passed on.
    """

    def __init__(self, selector):
        self.selector = selector
        self.pipes = set()

    def listen(self, sock, connect):
        sock.setblocking(False)
        self.selector.register(sock, READ, lambda mask: self._accept(sock, connect))

    def _accept(self, sock, connect):
        try:
            client, _ = sock.accept()
        except OSError:  # BlockingIOError, or a connection reset before it was accepted
            return
        try:
            upstream = connect()
        except OSError:
            client.close()
            return
        self.pipes.add(_Pipe(self, client, upstream))

    def close(self):
        for pipe in list(self.pipes):
            pipe.close()


class _Pipe:
    def __init__(self, relay, a, b):
        self.relay = relay
        self.peer = {a: b, b: a}
        self.out = {a: bytearray(), b: bytearray()}
        """Bytes waiting to be written to each socket."""
        self.reading = {a: True, b: True}
        self.shut = {a: False, b: False}
        self.events = {a: 0, b: 0}
        for sock in (a, b):
            sock.setblocking(False)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                # Pass small writes on at once: Nagle's algorithm would hold them for the peer's ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._update(sock)

    def _update(self, sock):
        peer = self.peer[sock]
        events = 0
        if self.reading[sock] and len(self.out[peer]) < BUFFER:
            events |= READ
        if self.out[sock]:
            events |= WRITE
        if events == self.events[sock]:
            return
        selector = self.relay.selector
        if not self.events[sock]:
            selector.register(sock, events, lambda mask, s=sock: self._event(s, mask))
        elif not events:
            selector.unregister(sock)
        else:
            selector.modify(sock, events, lambda mask, s=sock: self._event(s, mask))
        self.events[sock] = events

    def _event(self, sock, mask):
        peer = self.peer[sock]
        try:
            if mask & READ:
                data = sock.recv(CHUNK)
                if data:
                    self.out[peer] += data
                    self._send(peer)
                else:
                    self.reading[sock] = False
            if mask & WRITE:
                self._send(sock)
        except BlockingIOError:
            pass
        except OSError:
            self.close()
            return
        for end in (sock, peer):
            if not self.reading[self.peer[end]] and not self.out[end] and not self.shut[end]:
                self.shut[end] = True
                try:
                    end.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if all(self.shut.values()) and not any(self.reading.values()):
            self.close()
            return
        self._update(sock)
        self._update(peer)

    def _send(self, sock):
        buffer = self.out[sock]
        while buffer:
            try:
                sent = sock.send(buffer)
            except BlockingIOError:
                return
            del buffer[:sent]

    def close(self):
        for sock in self.peer:
            if self.events[sock]:
                try:
                    self.relay.selector.unregister(sock)
                except (KeyError, ValueError):
                    pass
                self.events[sock] = 0
            sock.close()
        self.relay.pipes.discard(self)


# --- capturing output ----------------------------------------------------------------------------


class Capture:
    """At most ``cap`` bytes of a stream: its first three quarters and its last quarter."""

    def __init__(self, cap):
        self.head_cap = cap - cap // 4
        self.tail_cap = cap // 4
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data):
        self.total += len(data)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data and self.tail_cap:
            self.tail += data
            if len(self.tail) > 2 * self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def cut(self):
        return self.total - len(self.head) - min(len(self.tail), self.tail_cap)

    def text(self):
        tail = bytes(self.tail[-self.tail_cap :]) if self.tail_cap else b""
        if self.cut <= 0:
            return (bytes(self.head) + tail).decode("utf-8", "replace")
        head = bytes(self.head).decode("utf-8", "replace")
        return f"{head}\n... {self.cut} bytes cut ...\n{tail.decode('utf-8', 'replace')}"


# --- the cell ------------------------------------------------------------------------------------


class Cell:
    def __init__(self, config):
        self.config = config
        self.uid = config.get("uid")
        self.gid = config.get("gid")
        self.selector = selectors.DefaultSelector()
        self.relay = Relay(self.selector)
        self.pending = bytearray()
        self.eof = False
        self.node = None
        self.node_failure = ""
        os.close(os.pidfd_open(os.getpid()))  # Linux 5.3+: fail at start, not at the first example
        for port, path in config.get("forward", []):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", int(port)))
            listener.listen(128)
            self.relay.listen(listener, lambda path=path: _unix(path))
        os.set_blocking(0, False)
        self.selector.register(0, READ, self._control)
        for name in config.get("preload", []):
            try:
                __import__(name)
            except ImportError:
                pass
        self.on_demand = set(config.get("on_demand", []))
        """Heavy libraries (an SDK) loaded here the first time an example imports one."""
        gc.freeze()  # the loaded modules stay out of the children's collections: fewer pages copied

    def _preload_for(self, script):
        """Import the on-demand libraries the (runner-written) example file imports, once."""
        if not self.on_demand:
            return
        try:
            with open(script, encoding="utf-8", errors="replace") as fh:
                source = fh.read(1 << 20)
        except OSError:
            return
        wanted = {m.group(1) for m in IMPORT.finditer(source)} & self.on_demand
        for name in sorted(wanted):
            self.on_demand.discard(name)
            try:
                __import__(name)
            except Exception:  # not installed, or broken: the example will say so itself
                pass
        if wanted:
            gc.freeze()

    # control channel ------------------------------------------------------------------------
    def _control(self, mask):
        try:
            data = os.read(0, CHUNK)
        except BlockingIOError:
            return
        if not data:
            self.eof = True
            self.selector.unregister(0)
        self.pending += data

    def next_job(self):
        while b"\n" not in self.pending:
            if self.eof:
                return None
            self._poll(None)
        line, _, rest = bytes(self.pending).partition(b"\n")
        self.pending = bytearray(rest)
        return json.loads(line) if line.strip() else self.next_job()

    def _poll(self, timeout):
        for key, mask in self.selector.select(timeout):
            key.data(mask)

    # one example ----------------------------------------------------------------------------
    def run(self, job):
        if job.get("warm") == "node" and not self.node_failure:  # it failed once: fresh processes
            try:
                node = self._warm_node(job)
            except OSError as exc:  # no warm node here: the example runs as a fresh process
                node = None
                self.node_failure = str(exc)
            if node is not None:
                return self._run_in_node(node, job)
            job = dict(job, warm=False)
        limits = job.get("limits", {})
        cap = int(limits.get("output", 1 << 20))
        egress = self.config.get("egress")
        if job.get("warm") in (True, "python"):
            self._preload_for(job["argv"][1])
        self._prepare(job["cwd"], egress)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self._child(job, out_w, err_w, limits)
        os.close(out_w)
        os.close(err_w)
        captures = {out_r: Capture(cap), err_r: Capture(cap)}
        open_streams = set(captures)

        def reader(fd):
            def read(mask):
                try:
                    data = os.read(fd, BUFFER)
                except BlockingIOError:
                    return
                if data:
                    captures[fd].add(data)
                else:
                    self.selector.unregister(fd)
                    open_streams.discard(fd)

            return read

        for fd in captures:
            os.set_blocking(fd, False)
            self.selector.register(fd, READ, reader(fd))
        status = []
        pidfd = os.pidfd_open(pid)
        self.selector.register(pidfd, READ, lambda mask: status.append(os.waitpid(pid, 0)[1]))
        deadline = start + min(float(job["timeout"]), 86400.0)
        timed_out = False
        while not status and not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            self._poll(min(remaining, 1.0))
        seconds = time.monotonic() - start
        self.selector.unregister(pidfd)
        os.close(pidfd)
        if not status:  # timed out, or the runner is gone
            os.kill(pid, signal.SIGKILL)
            status.append(os.waitpid(pid, 0)[1])
        self._kill_all()  # the example's children, daemons and detached processes die with it
        drain_until = time.monotonic() + 2.0
        while open_streams and time.monotonic() < drain_until:  # every writer is dead: EOF soon
            self._poll(0.05)
        for fd in captures:
            if fd in open_streams:
                self.selector.unregister(fd)
            os.close(fd)
        empty("/tmp")
        code = os.waitstatus_to_exitcode(status[0])
        return result(code, timed_out, seconds, captures[out_r], captures[err_r], egress)

    def _prepare(self, cwd, egress, uid=None, gid=None):
        """The example's folder and its egress report belong to the examples' user."""
        uid = self.uid if uid is None else uid
        gid = self.gid if gid is None else gid
        if egress:
            fd = os.open(egress, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            if uid is not None:
                os.fchown(fd, uid, gid)
            os.close(fd)
        if uid is not None:
            os.chown(cwd, uid, gid)
            for entry in os.scandir(cwd):
                os.chown(entry.path, uid, gid, follow_symlinks=False)

    # the warm node ----------------------------------------------------------------------------
    def _kill_all(self):
        """Kill every process of the cell but the warm node, which holds no example between runs."""
        node = self.node
        kill_all(spare=(node.pid,) if node is not None and node.alive else ())

    def _warm_node(self, job):
        """The cell's warm node, started (as the examples' node user) when there is none."""
        if self.node is not None and self.node.alive:
            return self.node
        if self.node is not None:
            self.node.close()
        self.node = None
        node = WarmNode(self, job)
        deadline = time.monotonic() + NODE_START_TIMEOUT
        while node.ready is None and node.alive and not self.eof and time.monotonic() < deadline:
            self._poll(0.5)
        if not node.ready:
            node.close()
            raise OSError(f"the warm node did not start: {node.captures[2].text()[-500:]}")
        self.node = node
        return node

    def _run_in_node(self, node, job):
        limits = job.get("limits", {})
        cap = int(limits.get("output", 1 << 20))
        egress = self.config.get("egress")
        self._prepare(job["cwd"], egress, node.uid, node.uid if node.uid is not None else None)
        node.captures = {1: Capture(cap), 2: Capture(cap)}
        node.answers.clear()
        start = time.monotonic()
        script = job["argv"][1]
        node.send({"script": script, "cwd": job["cwd"], "env": job["env"]})
        deadline = start + min(float(job["timeout"]), 86400.0)
        timed_out = False
        while not node.answers and node.alive and not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            self._poll(min(remaining, 1.0))
        seconds = time.monotonic() - start
        answer = node.answers[0] if node.answers else None
        if answer is None or answer.get("recycle"):
            node.stop(kill=answer is None)  # timed out, died, or ends itself after process.exit()
        code = answer.get("code", 1) if answer else node.exit_code()
        self._kill_all()
        node.drain()
        if self.node is node and not node.alive:
            self.node = None
        empty("/tmp")
        out, err = node.captures[1], node.captures[2]
        node.captures = {1: Capture(0), 2: Capture(0)}
        return result(code, timed_out, seconds, out, err, egress)

    def _limits(self, limits, uid):
        """In a child about to run examples: resource limits, then the examples' user ``uid``."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        memory = int(limits.get("memory", 0))
        if memory:
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        processes = int(limits.get("processes", 0))
        if processes:
            # Unprivileged cells run everything as one user: bubblewrap, this supervisor and the
            # warm node count too.
            extra = 0 if uid is not None else 3
            resource.setrlimit(resource.RLIMIT_NPROC, (processes + extra, processes + extra))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)  # every capability is gone from here on

    def _child(self, job, out_w, err_w, limits):
        try:
            os.setsid()
            devnull = os.open("/dev/null", os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.closerange(3, 1 << 16)  # the control pipe, listeners, connections: none of the example's
            self._limits(limits, self.uid)
            os.chdir(job["cwd"])
            env = {str(k): str(v) for k, v in job["env"].items()}
            argv = [str(a) for a in job["argv"]]
            if job.get("warm") in (True, "python"):
                code = warm_python(argv[1], job["cwd"], env, self.config.get("guard"))
                os._exit(code)
            for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env)
        except BaseException as exc:  # could not start: say why, as a shell would
            try:
                os.write(2, f"snippetgen cell: cannot run {job.get('argv')}: {exc}\n".encode())
            finally:
                os._exit(127)


NODE_START_TIMEOUT = 30.0
WARM_NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warm_node.cjs")


class WarmNode:
    """A node process of the cell that runs JavaScript examples one at a time (``warm_node.cjs``).

    It runs as a user of its own when the cell is privileged (the examples' user + 1): examples of
    the other languages cannot signal or trace it. Its stdout and stderr are pipes read by the
    cell's loop into the current example's captures; jobs go in on its fd 3, answers come on fd 4.
    """

    def __init__(self, cell, job):
        self.cell = cell
        self.uid = None if cell.uid is None else cell.uid + 1
        self.ready = None
        self.answers = []
        self.captures = {1: Capture(1 << 16), 2: Capture(1 << 16)}
        self.status = None
        self._pending = bytearray()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        jobs_r, jobs_w = os.pipe()
        ans_r, ans_w = os.pipe()
        limits = job.get("limits", {})
        env = {str(k): str(v) for k, v in job["env"].items()}
        argv = [str(job["argv"][0]), "--experimental-vm-modules", WARM_NODE]
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                devnull = os.open("/dev/null", os.O_RDONLY)
                for fd, target in ((devnull, 0), (out_w, 1), (err_w, 2), (jobs_r, 3), (ans_w, 4)):
                    os.dup2(fd, 100 + target)
                for target in range(5):
                    os.dup2(100 + target, target)
                os.closerange(5, 1 << 16)
                cell._limits(limits, self.uid)
                os.chdir("/")
                for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                os.execvpe(argv[0], argv, env)
            except BaseException as exc:
                try:
                    os.write(2, f"snippetgen cell: cannot start the warm node: {exc}\n".encode())
                finally:
                    os._exit(127)
        self.pid = pid
        for fd in (out_w, err_w, jobs_r, ans_w):
            os.close(fd)
        self.jobs = jobs_w
        self.fds = {1: out_r, 2: err_r}
        self.ans = ans_r
        selector = cell.selector
        for target, fd in self.fds.items():
            os.set_blocking(fd, False)
            selector.register(fd, READ, lambda mask, t=target: self._output(t))
        os.set_blocking(ans_r, False)
        selector.register(ans_r, READ, lambda mask: self._answer())
        self.pidfd = os.pidfd_open(pid)
        selector.register(self.pidfd, READ, lambda mask: self._reap())

    @property
    def alive(self):
        return self.status is None

    def _output(self, target):
        fd = self.fds.get(target)
        if fd is None:
            return
        try:
            data = os.read(fd, BUFFER)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.captures[target].add(data)
        else:
            self.cell.selector.unregister(fd)
            os.close(fd)
            del self.fds[target]

    def _answer(self):
        try:
            data = os.read(self.ans, CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.cell.selector.unregister(self.ans)
            os.close(self.ans)
            self.ans = None
            return
        self._pending += data
        while b"\n" in self._pending:
            line, _, rest = bytes(self._pending).partition(b"\n")
            self._pending = bytearray(rest)
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("ready"):
                self.ready = True
            else:
                self.answers.append(message)

    def _reap(self):
        if self.status is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                status = 0
            self.status = status
            self.cell.selector.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def send(self, job):
        data = memoryview(json.dumps(job).encode() + b"\n")
        while data:
            written = os.write(self.jobs, data)
            data = data[written:]

    def exit_code(self):
        if self.status is None:
            return None
        return os.waitstatus_to_exitcode(self.status)

    def stop(self, kill=True, wait=5.0):
        """Wait for the node to end (it ends itself after process.exit()); kill it if it lingers."""
        if self.status is None and kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while self.status is None and time.monotonic() < deadline:
            self.cell._poll(0.05)
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def drain(self):
        """Read what the example wrote: everything is in the pipes (or they are at their end)."""
        until = time.monotonic() + 2.0
        for target in list(self.fds):
            while target in self.fds:
                fd = self.fds[target]
                try:
                    data = os.read(fd, BUFFER)
                except BlockingIOError:
                    if self.alive or time.monotonic() > until:
                        break
                    self.cell._poll(0.05)
                    continue
                if data:
                    self.captures[target].add(data)
                else:
                    self.cell.selector.unregister(fd)
                    os.close(fd)
                    del self.fds[target]

    def close(self):
        self.stop(kill=True, wait=2.0)
        for fd in list(self.fds.values()):
            self.cell.selector.unregister(fd)
            os.close(fd)
        self.fds = {}
        if self.ans is not None:
            self.cell.selector.unregister(self.ans)
            os.close(self.ans)
            self.ans = None
        if self.jobs is not None:
            os.close(self.jobs)
            self.jobs = None


def warm_python(script, cwd, env, guard):
    """Run a Python file in this (forked, already warm) interpreter the way ``python FILE`` would."""
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    code = 0
    try:
        if guard:
            runpy.run_path(guard, run_name="sitecustomize")
        sys.argv = [script]
        sys.path[0] = cwd
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException as exc:  # the example's own error: reported the way python would
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next  # from the example's first frame on: not the supervisor's or runpy's
        traceback.print_exception(type(exc), exc, tb)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    return code


def kill_all(wait=5.0, spare=()):
    """SIGKILL every process of the cell but bubblewrap (PID 1), this one and ``spare``; wait until
    they are gone (zombies of ``spare`` count as gone: it reaps them itself)."""
    me = os.getpid()
    keep = {1, me, *spare}
    deadline = time.monotonic() + wait
    while True:
        if spare:
            for name in os.listdir("/proc"):
                if name.isdigit() and int(name) not in keep:
                    try:
                        os.kill(int(name), signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
        else:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:  # reap our own children; bubblewrap reaps the orphans
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep and not _zombie(p)]
        if not others or time.monotonic() > deadline:
            return
        time.sleep(0.002)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rpartition(b")")[2].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


def result(code, timed_out, seconds, out, err, egress):
    """What the cell answers for one finished example (either way it ran)."""
    return {
        "returncode": None if timed_out else code,
        "timed_out": timed_out,
        "seconds": seconds,
        "stdout": out.text(),
        "stderr": err.text(),
        "cut": [max(out.cut, 0), max(err.cut, 0)],
        "egress": egress_hits(egress)[:100],
    }


def egress_hits(path):
    """The connections the egress guard refused for this example (one per line of its report)."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return [line.strip() for line in fh if line.strip()]
    except OSError:
        return []


def empty(folder):
    """Remove everything in ``folder`` (the cell's private ``/tmp``), whatever its modes."""

    def retry(function, path, _):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass

    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    keep = set()  # read-only runtimes bound under /tmp, and the folders leading to them
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                point = line.split()[4].replace("\\040", " ")
                while point.startswith(folder + "/"):
                    keep.add(point)
                    point = os.path.dirname(point)
    except OSError:
        pass
    for entry in entries:
        if entry.path in keep:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, **{"onexc" if sys.version_info >= (3, 12) else "onerror": retry})
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def _unix(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def _write(data):
    view = memoryview(data)
    while view:
        written = os.write(1, view)
        view = view[written:]


def main():
    cell = Cell(json.loads(sys.argv[1]))
    _write(json.dumps({"ready": True, "pid": os.getpid()}).encode() + b"\n")
    while True:
        job = cell.next_job()
        if job is None:
            break
        try:
            result = cell.run(job)
        except Exception as exc:  # a fault of the cell, not of the example: tell the runner
            if cell.node is not None:
                cell.node.close()
                cell.node = None
            kill_all()
            result = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            _write(json.dumps(result).encode() + b"\n")
        except OSError:  # the runner is gone
            break
    kill_all()


if __name__ == "__main__":
    main()
