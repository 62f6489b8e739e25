#!/usr/bin/python3
"""Two real vipgate processes exchange their flow table over net_memif (TAP).

Each node has a client port ext0, a server port int0 (net_null) and a sync
port sync0: the two ends of one net_memif link (A role=server, started
first; B role=client; one socket file in a temp dir). No VRRP instance, so
each node holds the VIP. A's ext0 is net_pcap replaying N SYN+ACK pairs (client
handshakes) to the VIP forever (infinite_rx: no blocking reads; a SYN or
ACK of an established flow changes nothing).
A starts without the VIP's service, so the frames are dropped; once
B is in sync with A, A reloads a config with the service, and B must get
all N flows by incremental sync. Then B is restarted (a new epoch, an empty
table) and the bulk resync must bring all N back. EAL runs with --no-huge
--no-shconf and a unique --file-prefix, like the other dataplane tests:
memif in copy mode needs no hugepages (its shared regions are memfds).

    memif_sync.py VIPGATE VIPGATECTL
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

N = 200
VIP, VPORT = "10.1.0.100", 80
OTHER_VIP = "10.1.0.101"  # A's only service before the reload
CLIENT = "10.1.0.10"
# net_pcap's MAC for the first pcap vdev of a process (DPDK: "\x02pcap" + index).
PCAP_MAC = bytes.fromhex("027063617000")
CLIENT_MAC = bytes.fromhex("02000000000a")

VIPGATE, VIPGATECTL = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="vg-memif-")
PROCS = {}
EXITS = []  # (node, generation-ordered exit status) of every stopped vipgate
ntest = 0
failed = 0


def ok(cond, what):
    global ntest, failed
    ntest += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", ntest, what), flush=True)
    if not cond:
        failed += 1
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def service(vip):
    return f"""  - address: {vip}
    port: {VPORT}
    protocol: tcp
    lb_algo: rr
    real_servers: [{{ address: 10.1.1.11 }}, {{ address: 10.1.1.12 }}]
"""


def node_yaml(node, with_vip):
    a = node == "a"
    last = 1 if a else 2
    ext = f"net_pcap0,rx_pcap={TMP}/syn.pcap,infinite_rx=1" if a else "net_null9,no-rx=1"
    role = "server" if a else "client"
    return f"""ports:
  - name: ext0
    device: "{ext}"
    address: 10.1.0.{last}/24
  - name: int0
    device: "net_null0"
    address: 10.1.1.{last}/24
  - name: sync0
    device: "net_memif0,role={role},socket={TMP}/memif.sock,socket-abstract=no,id=0"
    address: 10.1.2.{last}/24
dataplane: {{ workers: 1, idle_sleep: true }}
neighbours:
  static:
    - {{ address: {CLIENT}, mac: "02:00:00:00:00:0a", port: ext0 }}
    - {{ address: 10.1.1.11, mac: "02:00:00:00:01:11", port: int0 }}
    - {{ address: 10.1.1.12, mac: "02:00:00:00:01:12", port: int0 }}
virtual_servers:
{service(OTHER_VIP)}{service(VIP) if with_vip else ""}sync: {{ port: sync0 }}
"""


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_frame(sport, flags):
    src, dst = ip4(CLIENT), ip4(VIP)
    tcp = struct.pack("!HHIIBBHHH", sport, VPORT, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sport, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return PCAP_MAC + CLIENT_MAC + b"\x08\x00" + ip + tcp


def write_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(N):
            # SYN, then the handshake's last ACK: a half-open flow is not
            # synced (SYN_RECV is not announced), an established one is.
            for flags in (0x02, 0x10):
                fr = tcp_frame(20000 + i, flags)
                f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def write_config(node, with_vip):
    with open(f"{TMP}/{node}.yaml", "w") as f:
        f.write(node_yaml(node, with_vip))


def start(node, gen):
    log = open(f"{TMP}/{node}-{gen}.log", "w")
    eal = ["--no-huge", "--no-shconf", "-m", "256", "--file-prefix",
           f"vgmemif{os.getpid()}{node}{gen}", "--lcores", "0@0,1@1"]
    # app/vipgate/main.cpp leaks the control plane on purpose at exit (the
    # telemetry thread may still use it): no leak check for the processes;
    # any other sanitizer report still aborts and fails the exit-status test.
    env = dict(os.environ)
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    PROCS[node] = subprocess.Popen(
        [VIPGATE, *eal, "--", "-c", f"{TMP}/{node}.yaml", "--control-socket", f"{TMP}/{node}.sock"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    return wait_for(lambda: PROCS[node].poll() is None and alive(node), 15)


def stop(node):
    p = PROCS.pop(node, None)
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p is not None:
        EXITS.append((node, p.returncode))


def run_ctl(node, *cmd):
    return subprocess.run([VIPGATECTL, "-s", f"{TMP}/{node}.sock", "-t", "1000", *cmd],
                          capture_output=True, text=True)


def alive(node):
    return run_ctl(node, "show", "sync").returncode == 0


def ctl(node, *cmd):
    r = run_ctl(node, *cmd)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except ValueError:
        return None


def wait_for(pred, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def flows(node):
    j = ctl(node, "show", "flows", "limit", str(4 * N), "json")
    if j is None:
        return -1
    if isinstance(j, dict):
        j = j.get("flows", [])
    return sum(1 for f in j if str(f.get("client", "")).startswith(CLIENT))


def sync(node):
    return ctl(node, "show", "sync", "json") or {}


def peer(node):
    p = sync(node).get("peers") or [{}]
    return p[0]


def in_sync(node):
    return peer(node).get("state") == "in-sync"


def main():
    print("1..7", flush=True)
    write_pcap(f"{TMP}/syn.pcap")
    write_config("a", False)
    write_config("b", True)
    up = start("a", 0) and start("b", 0)
    if not ok(up, "two vipgates start with a net_memif sync link (--no-huge)"):
        return
    ok(wait_for(lambda: in_sync("a") and in_sync("b"), 15) and flows("a") == 0 and flows("b") == 0,
       "each node sees the other in-sync over memif, both tables empty")
    # The service appears on A: the replayed handshakes now create N flows.
    write_config("a", True)
    ok(run_ctl("a", "reload").returncode == 0 and wait_for(lambda: flows("a") == N, 10),
       f"A, reloaded with the service, forwards the handshakes as {N} flows (A has {flows('a')})")
    ok(wait_for(lambda: flows("b") == N, 10) and peer("b").get("records_received", 0) >= N
       and peer("b").get("bulk", {}).get("received", -1) == 0,
       f"B has all {N} flows by incremental sync, none by bulk (B has {flows('b')}; "
       f"B's view of A: {json.dumps(peer('b'))})")
    stop("b")
    ok(start("b", 1), "B restarts (a new epoch, an empty table)")
    ok(wait_for(lambda: in_sync("b") and flows("b") == N, 15)
       and peer("b").get("bulk", {}).get("received", 0) >= N
       and peer("b").get("bulk", {}).get("completed", 0) >= 1,
       f"B's bulk resync from A completes with all {N} flows back (B has {flows('b')}; "
       f"B's view of A: {json.dumps(peer('b'))}; A: {json.dumps(sync('a').get('sent'))})")
    stop("a")
    stop("b")
    # Under ASan (the sanitize run) a leak or error report makes this fail.
    ok(all(rc == 0 for _, rc in EXITS), f"every vipgate stops cleanly on SIGTERM: {EXITS}")


def on_term(signum, frame):
    raise SystemExit(1)  # meson's timeout: run the cleanup below


signal.signal(signal.SIGTERM, on_term)
try:
    main()
except Exception as e:  # a driver bug is a failure, not a run without TAP
    ok(False, f"driver: {e!r}")
finally:
    for n in list(PROCS):
        stop(n)
    if failed:
        for f in sorted(os.listdir(TMP)):
            if f.endswith(".log"):
                diag(f"---- {f} (last 15 lines) ----")
                with open(os.path.join(TMP, f)) as fh:
                    diag("".join(fh.readlines()[-15:]))
    shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if failed else 0)
