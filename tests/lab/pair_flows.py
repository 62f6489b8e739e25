#!/usr/bin/python3
"""Long-lived flows through a vipgate pair, for tests/lab/pair.sh and
scripts/demo.sh: what a client sees across a failover.

  server  a real server: a TCP line-echo server (each connection first gets
          "hello NAME\\n", then every line it sends comes back as is) and a
          UDP echo server (each datagram comes back as "NAME " + datagram).
  client  N long-lived TCP connections and M UDP flows to the VIP. Each TCP
          connection sends a numbered line every INTERVAL and checks that the
          echo is that line, in order; a UDP flow sends a numbered request
          every INTERVAL and takes the highest answer. Every answer that
          comes more than GAP_MIN after the previous one is a gap, logged
          with its start and end. The state of every flow is written (JSON,
          atomically) to STATUS every 200 ms.
  report  reads STATUS: per flow, alive (an answer after AFTER, by default
          SINCE + 0.5 s, and within the last ALIVE_S seconds, no error, a UDP
          flow still on its first real server), the longest gap that ended
          after SINCE (or the one still open), the real server(s) it
          reached; one summary line; exit 0 when every flow is alive.
  hold    one TCP connection from a fixed client port: hello, one line
          echoed, held HOLD seconds, closed (FIN) cleanly.
  demo    one long-lived TCP connection; prints a line per second (sequence,
          round trip, real server), and says so when it stalls and resumes.

Times are wall-clock seconds (time.time()), so the shell can compare them
with $EPOCHREALTIME. Only the standard library: it runs in every namespace.
"""

import argparse
import json
import os
import selectors
import socket
import sys
import threading
import time

GAP_MIN = 0.25  # an answer later than this after the previous one is a gap


# ------------------------------------------------------------------ server --
def serve_tcp_conn(conn, name):
    try:
        conn.sendall(b"hello " + name.encode() + b"\n")
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)  # a line-echo: bytes come back as they came
    except OSError:
        pass
    finally:
        conn.close()


def serve_udp(sock, name):
    prefix = name.encode() + b" "
    while True:
        try:
            data, peer = sock.recvfrom(2048)
            sock.sendto(prefix + data, peer)
        except OSError:
            return


def cmd_server(a):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", a.tcp_port))
    lsock.listen(64)
    if a.udp_port:
        usock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        usock.bind(("0.0.0.0", a.udp_port))
        threading.Thread(target=serve_udp, args=(usock, a.name), daemon=True).start()
    end = time.time() + a.max_secs
    lsock.settimeout(1.0)
    while time.time() < end:
        try:
            conn, _ = lsock.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_tcp_conn, args=(conn, a.name), daemon=True).start()


# ------------------------------------------------------------------ client --
class Flow:
    def __init__(self, fid, kind):
        self.id = fid
        self.kind = kind
        self.state = "connecting"
        self.error = ""
        self.servers = []  # real servers in the order they answered
        self.seq = 0  # last sequence sent
        self.n_ok = 0
        self.n_bad = 0
        self.first_ok = 0.0
        self.last_ok = 0.0
        self.gaps = []  # [start, end] of every gap longer than GAP_MIN

    def answered(self, now):
        if self.last_ok and now - self.last_ok > GAP_MIN:
            self.gaps.append([round(self.last_ok, 3), round(now, 3)])
        if not self.first_ok:
            self.first_ok = now
        self.last_ok = now
        self.n_ok += 1

    def server_is(self, name):
        if not self.servers or self.servers[-1] != name:
            self.servers.append(name)

    def as_json(self):
        return {k: getattr(self, k) for k in
                ("id", "kind", "state", "error", "servers", "seq", "n_ok", "n_bad", "first_ok",
                 "last_ok", "gaps")}


class TcpFlow(Flow):
    def __init__(self, fid, sock):
        super().__init__(fid, "tcp")
        self.sock = sock
        self.rx = b""
        self.tx = b""
        self.expect = []  # lines sent, not yet echoed, oldest first
        self.hello = False

    def fail(self, why):
        if self.state != "error":
            self.state = "error"
            self.error = why


def write_status(path, flows, started):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"time": time.time(), "started": started, "flows": [x.as_json() for x in flows]}, f)
    os.replace(tmp, path)


def tcp_connect(dst, port, timeout):
    s = socket.socket()
    s.settimeout(timeout)
    s.connect((dst, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    return s


def tcp_on_readable(fl, now):
    try:
        data = fl.sock.recv(65536)
    except BlockingIOError:
        return
    except OSError as e:
        fl.fail("recv: %s" % e)
        return
    if not data:
        fl.fail("closed by the peer")
        return
    fl.rx += data
    while b"\n" in fl.rx:
        line, fl.rx = fl.rx.split(b"\n", 1)
        if not fl.hello:
            fl.hello = True
            words = line.split()
            fl.server_is(words[1].decode() if len(words) > 1 else "?")
            fl.state = "up"
            continue
        if fl.expect and line == fl.expect[0]:
            fl.expect.pop(0)
            fl.answered(now)
        else:
            fl.n_bad += 1
            fl.fail("echo %r, expected %r" % (line[:40], fl.expect[0][:40] if fl.expect else None))


def tcp_send(fl, tag):
    fl.seq += 1
    line = ("%s%d %d" % (tag, fl.id, fl.seq)).encode()
    fl.expect.append(line)
    fl.tx += line + b"\n"
    try:
        n = fl.sock.send(fl.tx)
        fl.tx = fl.tx[n:]
    except BlockingIOError:
        pass
    except OSError as e:
        fl.fail("send: %s" % e)


def udp_on_readable(fl, now):
    try:
        data = fl.sock.recv(2048)
    except OSError:
        return  # ICMP errors and the like: the next answer decides
    words = data.split()
    if len(words) != 3 or words[1] != b"u":
        fl.n_bad += 1
        return
    seq = int(words[2])
    if seq <= fl.last_seq:
        return  # late answer to an older request
    fl.last_seq = seq
    fl.server_is(words[0].decode())
    fl.state = "up"
    fl.answered(now)


def cmd_client(a):
    started = time.time()
    flows = []
    sel = selectors.DefaultSelector()
    for i in range(1, a.conns + 1):
        try:
            fl = TcpFlow(i, tcp_connect(a.dst, a.tcp_port, 3.0))
            sel.register(fl.sock, selectors.EVENT_READ, fl)
        except OSError as e:
            fl = TcpFlow(i, None)
            fl.fail("connect: %s" % e)
        flows.append(fl)
    for k in range(a.udp_flows if a.udp_port else 0):
        fl = Flow(a.conns + 1 + k, "udp")
        fl.last_seq = 0
        fl.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if a.udp_src_port:
            fl.sock.bind(("0.0.0.0", a.udp_src_port + k))
        fl.sock.connect((a.dst, a.udp_port))
        fl.sock.setblocking(False)
        sel.register(fl.sock, selectors.EVENT_READ, fl)
        flows.append(fl)
    end = started + a.max_secs
    next_send = time.time()
    next_status = 0.0
    while True:
        now = time.time()
        if now >= end or os.path.exists(a.status + ".stop"):
            break
        if now >= next_send:
            for fl in flows:
                if fl.kind == "tcp" and fl.state != "error":
                    tcp_send(fl, a.tag)
                elif fl.kind == "udp":
                    fl.seq += 1
                    try:
                        fl.sock.send(b"u %d" % fl.seq)
                    except OSError:
                        pass
            next_send += a.interval
            if next_send < now:
                next_send = now + a.interval
        if now >= next_status:
            write_status(a.status, flows, started)
            next_status = now + 0.2
        for key, _ in sel.select(timeout=max(0.0, min(next_send, next_status) - time.time())):
            fl = key.data
            now = time.time()
            if fl.kind == "tcp":
                tcp_on_readable(fl, now)
                if fl.state == "error":
                    sel.unregister(fl.sock)
            else:
                udp_on_readable(fl, now)
    write_status(a.status, flows, started)


# ------------------------------------------------------------------ report --
def cmd_report(a):
    with open(a.status) as f:
        st = json.load(f)
    now = a.now or time.time()
    after = a.after if a.after else a.since + 0.5 if a.since else 0.0
    alive = 0
    worst = 0.0
    worst_alive = 0.0
    lines = []
    for fl in st["flows"]:
        gaps = [g[1] - g[0] for g in fl["gaps"] if g[1] >= a.since]
        open_gap = now - fl["last_ok"] if fl["last_ok"] else now - st["started"]
        if open_gap > GAP_MIN:
            gaps.append(open_gap)  # still waiting for an answer
        longest = max(gaps) if gaps else 0.0
        # A UDP flow answered by another real server lost its flow entry
        # (the new master scheduled it afresh): not a survivor.
        moved = len(fl["servers"]) > 1
        # Alive: answered after AFTER (so through whoever is master since
        # the event, not an answer from before it) and recently.
        ok = (fl["state"] == "up" and fl["last_ok"] and fl["last_ok"] >= after and
              open_gap <= a.alive_s and not moved)
        alive += 1 if ok else 0
        worst = max(worst, longest)
        worst_alive = max(worst_alive, longest) if ok else worst_alive
        lines.append("%s%-3s %-4s %-5s longest gap %s, answers %d, server %s%s" % (
            a.tag, fl["id"], fl["kind"], "alive" if ok else "MOVED" if moved else "DEAD",
            ("%6.0f ms" % (longest * 1000)) if longest else "<%.0f ms" % (GAP_MIN * 1000), fl["n_ok"],
            "->".join(fl["servers"]) or "-", (", " + fl["error"]) if fl["error"] else
            (", stalled %.1f s" % open_gap if not ok else "")))
    for l in lines:
        print(l)
    tcp = [x for x in st["flows"] if x["kind"] == "tcp"]
    print("SUMMARY flows %d alive %d dead %d longest_gap_ms %.0f tcp %d udp %d alive_gap_ms %.0f" % (
        len(st["flows"]), alive, len(st["flows"]) - alive, worst * 1000, len(tcp),
        len(st["flows"]) - len(tcp), worst_alive * 1000))
    sys.exit(0 if alive == len(st["flows"]) and st["flows"] else 1)


# -------------------------------------------------------------------- hold --
def cmd_hold(a):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3)
    try:
        s.bind(("0.0.0.0", a.src_port))
        s.connect((a.dst, a.tcp_port))
        f = s.makefile("rb")
        hello = f.readline().split()
        s.sendall(b"hold 1\n")
        if f.readline() != b"hold 1\n":
            raise OSError("no echo")
        print("connected %s" % (hello[1].decode() if len(hello) > 1 else "?"), flush=True)
        time.sleep(a.hold)
        s.shutdown(socket.SHUT_WR)  # FIN; the server answers with its own
        rest = f.read()
        s.close()
        print("closed cleanly%s" % (" (%d bytes after FIN)" % len(rest) if rest else ""), flush=True)
    except OSError as e:
        print("FAIL %s" % e, flush=True)
        sys.exit(1)


# -------------------------------------------------------------------- demo --
def cmd_demo(a):
    while True:
        try:
            s = tcp_connect(a.dst, a.tcp_port, 3.0)
            break
        except OSError as e:
            print("%s connect to %s:%d: %s (retrying)" % (time.strftime("%T"), a.dst, a.tcp_port, e),
                  flush=True)
            time.sleep(1)
    s.setblocking(True)
    s.settimeout(0.2)
    f = b""
    server = "?"
    seq = 0
    last_ok = time.time()
    stalled = False
    while True:
        seq += 1
        t0 = time.time()
        try:
            s.sendall(b"demo %d\n" % seq)
        except OSError as e:
            print("%s connection lost: %s" % (time.strftime("%T"), e), flush=True)
            return
        want = b"demo %d" % seq
        while time.time() - t0 < 1.0:
            try:
                data = s.recv(4096)
            except socket.timeout:
                continue
            except OSError as e:
                print("%s connection lost: %s" % (time.strftime("%T"), e), flush=True)
                return
            if not data:
                print("%s connection closed by the server" % time.strftime("%T"), flush=True)
                return
            f += data
            got = False
            while b"\n" in f:
                line, f = f.split(b"\n", 1)
                if line.startswith(b"hello "):
                    server = line.split()[1].decode()
                elif line == want:
                    got = True
            if got:
                now = time.time()
                note = " (resumed after %.1f s)" % (now - last_ok) if stalled else ""
                stalled = False
                last_ok = now
                print("%s seq %d rtt %.1f ms via the VIP to %s%s" % (
                    time.strftime("%T"), seq, (now - t0) * 1000, server, note), flush=True)
                break
        else:
            stalled = True
            print("%s seq %d: no answer for %.1f s" % (time.strftime("%T"), seq, time.time() - last_ok),
                  flush=True)
            continue
        time.sleep(max(0.0, 1.0 - (time.time() - t0)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("--name", required=True)
    s.add_argument("--tcp-port", type=int, default=7000)
    s.add_argument("--udp-port", type=int, default=0)
    s.add_argument("--max-secs", type=float, default=600)
    c = sub.add_parser("client")
    c.add_argument("--dst", required=True)
    c.add_argument("--tcp-port", type=int, default=7000)
    c.add_argument("--udp-port", type=int, default=0)
    c.add_argument("--udp-src-port", type=int, default=0, help="the first UDP flow's; the next +1...")
    c.add_argument("--udp-flows", type=int, default=1)
    c.add_argument("--conns", type=int, default=6)
    c.add_argument("--interval", type=float, default=0.1)
    c.add_argument("--tag", default="c")
    c.add_argument("--status", required=True)
    c.add_argument("--max-secs", type=float, default=300)
    r = sub.add_parser("report")
    r.add_argument("--status", required=True)
    r.add_argument("--since", type=float, default=0.0)
    r.add_argument("--now", type=float, default=0.0)
    r.add_argument("--after", type=float, default=0.0,
                   help="alive only with an answer after this time (default SINCE + 0.5 s)")
    r.add_argument("--alive-s", type=float, default=1.0)
    r.add_argument("--tag", default="c")
    h = sub.add_parser("hold")
    h.add_argument("--dst", required=True)
    h.add_argument("--tcp-port", type=int, default=7000)
    h.add_argument("--src-port", type=int, required=True)
    h.add_argument("--hold", type=float, default=2.0)
    d = sub.add_parser("demo")
    d.add_argument("--dst", required=True)
    d.add_argument("--tcp-port", type=int, default=7000)
    a = p.parse_args()
    {"server": cmd_server, "client": cmd_client, "report": cmd_report, "hold": cmd_hold,
     "demo": cmd_demo}[a.cmd](a)


if __name__ == "__main__":
    main()
