#!/usr/bin/env python3
"""vipgate packet-replay benchmark, side by side with dpdk-testpmd.

Run through scripts/bench.sh (which builds the release binaries first);
docs/benchmarks.md explains the workloads, the method and the numbers.

Every workload replays pcap files that app/vipgate-bench generates through
`net_pcap,rx_pcap=FILE,infinite_rx=1` into `net_null,no-rx=1`, once with
vipgate (VRRP master, the virtual service, static neighbours) and once with
dpdk-testpmd in io, macswap and 5tswap mode, on the same vdevs and lcores.
Runs are interleaved (vipgate, io, macswap, 5tswap, vipgate, ...) so that a
noisy neighbour hits every tool alike. Each run reads the transmit counters
twice over a fixed interval (vipgate: vipgatectl over the control socket;
testpmd: `show port stats all` on its console) and the CPU time the
forwarding thread really got (/proc/PID/task/TID/schedstat).
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ["vipgate", "io", "macswap", "5tswap"]
# The same vipgate with flow-state sync on (a `sync:` section on a third,
# net_null port, multicast, no peer: every event is batched, encoded and
# sent; nothing waits for an ACK). Workloads with sync=True run it in the
# same run as "vipgate", alternating, for the on/off ratio.
SYNC_TOOL = "vipgate-sync"
SYNC_DEV = "net_null7,no-rx=1"

# The new-connection workload: every packet a SYN of a flow that does not
# exist. The pcap holds SYN_PCAP_FLOWS distinct flows; a SYN makes a flow in
# SYN_RECV, which expires after SYN_TIMEOUT, long before the pcap comes round
# again (1M packets at <= 10 Mpps: >= 100 ms), so every SYN is a new flow and
# the table holds about rate x (timeout + half a sweep): neither empty nor
# full. expire_budget stays at its default (128 entries per loop iteration:
# a 1M table is swept in well under 100 ms at these rates).
SYN_PCAP_FLOWS = 1000000
SYN_TIMEOUT = "50ms"
SYN_BUDGET = 128
# With 1M endpoints in a 1M table, the pcap comes round while the endpoint's
# last flow still has its (expired) entry, and the new flow takes that entry
# over in place. syn-fresh-64 gives the same pcap a 256K table: by the time
# an endpoint comes round its entry was reclaimed long ago, so every SYN
# needs a free entry (the free list or, the sweep being slower than the
# arrivals, the reclaim of insert()).
SYN_FRESH_CAPACITY = 262144

# Client-visible failover (Bench.failover): the lab pair (tests/lab/pair.sh,
# scenario 1: the master killed and its links down) with flow-state sync and
# without, beside keepalived -> keepalived (tests/lab/failover_gap.sh, v3 at
# 0.1 s: ping's longest gap). Only in a full run or with --workloads
# failover-pair: each pass takes 20-40 s.
FAILOVER = dict(name="failover-pair", kind="failover", flows=6, size=0)
FULL_WORKLOADS = [
    # name, kind, flows, frame size, workers, steering
    dict(name="est-1k-64", kind="established", flows=1000, size=64, sync=True),
    dict(name="est-100k-64", kind="established", flows=100000, size=64),
    dict(name="est-1m-64", kind="established", flows=1000000, size=64),
    dict(name="est-1k-512", kind="established", flows=1000, size=512),
    dict(name="reply-1k-64", kind="reply", flows=1000, size=64),
    dict(name="reply-1m-64", kind="reply", flows=1000000, size=64),
    dict(name="syn-64", kind="syn", flows=SYN_PCAP_FLOWS, size=64, sync=True),
    dict(name="syn-fresh-64", kind="syn", flows=SYN_PCAP_FLOWS, size=64,
         capacity=SYN_FRESH_CAPACITY),
    dict(name="2w-steered-100k-64", kind="established", flows=100000, size=64, workers=2,
         steer=True),
    dict(name="2w-spread-100k-64", kind="established", flows=100000, size=64, workers=2,
         steer=False),
    dict(name="vrrp-jitter", kind="jitter", flows=1000, size=64),
    # Bulk resync of 1M flows between two vipgate processes over net_memif,
    # at the default bulk_rate and at a higher one (Bench.resync).
    dict(name="resync-1m", kind="resync", flows=1000000, size=64),
    FAILOVER,
]
RESYNC_RATES = [1000000, 4000000]
QUICK_WORKLOADS = [
    dict(name="est-1k-64", kind="established", flows=1000, size=64),
    dict(name="reply-1k-64", kind="reply", flows=1000, size=64),
]


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- machine

def machine_info(mem_mode):
    info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    try:
        lscpu = run(["lscpu"]).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            v = v.strip()
            if k == "Model name":
                info["cpu_model"] = v
            elif k == "CPU(s)":
                info["cpus"] = int(v)
            elif k == "Hypervisor vendor":
                info["hypervisor"] = v
            elif k == "L2 cache":
                info["l2"] = v
            elif k == "L3 cache":
                info["l3"] = v
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        info["dpdk"] = run(["pkg-config", "--modversion", "libdpdk"]).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["dpdk"] = "?"
    info["kernel"] = platform.release()
    info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    info["hugepages"] = mem_mode == "huge"
    info["hugepages_free_2m"] = hugepages_free()
    info["load_average_start"] = os.getloadavg()[0]
    return info


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def hugetlbfs_mounted():
    try:
        with open("/proc/mounts") as f:
            return any(l.split()[2] == "hugetlbfs" for l in f if len(l.split()) > 2)
    except OSError:
        return False


# ---------------------------------------------------------------- threads

def lcore_thread(lcore):
    """EAL's names for an lcore thread (22.11: rte-worker-N; older: lcore-worker-N)."""
    return (f"rte-worker-{lcore}", f"lcore-worker-{lcore}")


def thread_cpu_ns(pid, names):
    """CPU time (ns) the thread of `pid` with one of `names` has run, or None."""
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().strip() not in names:
                        continue
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    return int(f.read().split()[0])
            except OSError:
                continue
    except OSError:
        pass
    return None


def thread_id(pid, names):
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() in names:
                    return int(tid)
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- seeding

class SeedFeeder:
    """Plays the seed pcap (client -> VIP, one packet per flow) into a FIFO
    that a `net_pcap,rx_pcap=FIFO` port reads, at the moment the harness
    chooses. A plain file would be read at once, before the VIP is held;
    libpcap reads a pcap from a FIFO just as well, and the forwarding thread
    blocks in that port's read until the harness writes (it does nothing
    else meanwhile: this is warm-up).

    The first 64 records are written twice: the first copy reaches the
    worker with the snapshot it loaded before it blocked (it may not hold
    the VIP yet) and may be dropped; the second copy, and everything after,
    is processed with the current one."""

    def __init__(self, fifo, pcap):
        self.fifo, self.pcap = fifo, pcap
        self.fd = None
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo)

    def connect(self, proc, timeout=60):
        """Opens the FIFO once the process has it open for reading and
        writes the pcap header (libpcap's open waits for it)."""
        end = time.monotonic() + timeout
        while True:
            try:
                self.fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError("the seed port never opened its FIFO")
                time.sleep(0.02)
        os.set_blocking(self.fd, True)
        with open(self.pcap, "rb") as f:
            self.data = f.read()
        self._write(self.data[:24])

    def _write(self, b):
        view = memoryview(b)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def feed(self):
        d, off = self.data, 24
        for _ in range(64):
            if off >= len(d):
                break
            caplen = int.from_bytes(d[off + 8:off + 12], "little")
            off += 16 + caplen
        self._write(d[24:off])
        time.sleep(0.3)
        self._write(d[24:])
        self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            os.unlink(self.fifo)
        except OSError:
            pass


# ---------------------------------------------------------------- harness

class Bench:
    def __init__(self, a):
        self.a = a
        self.build = a.build_dir
        self.gen = os.path.join(self.build, "app/vipgate-bench/vipgate-bench")
        self.vipgate = os.path.join(self.build, "app/vipgate/vipgate")
        self.ctl = os.path.join(self.build, "app/vipgatectl/vipgatectl")
        self.testpmd = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
        self.out = a.out
        self.pcaps = os.path.join(self.out, "pcap")
        os.makedirs(self.pcaps, exist_ok=True)
        self.seq = 0
        self.pcap_cache = {}

    # ---- workloads -> pcap files and vdev strings

    def gen_pcap(self, name, kind, flows, size, extra=()):
        key = (kind, flows, size, tuple(extra))
        if key in self.pcap_cache:
            return self.pcap_cache[key]
        path = os.path.join(self.pcaps, f"{name}.pcap")
        out = run([self.gen, "gen", "--kind", kind, "--flows", str(flows), "--size", str(size),
                   "--out", path, *extra]).stdout
        info = json.loads(out)
        self.pcap_cache[key] = (path, info["frames"])
        return path, info["frames"]

    def setup(self, w):
        """Files, vdevs and lcores of one workload."""
        kind, flows, size = w["kind"], w["flows"], w["size"]
        workers = w.get("workers", 1)
        s = {"workers": workers, "ports": {}, "infinite_frames": 0}
        base = f"{kind}-{flows}-{size}"
        if kind in ("established", "syn", "jitter"):
            gkind = "syn" if kind == "syn" else "established"
            if workers == 1:
                path, n = self.gen_pcap(f"{gkind}-{flows}-{size}", gkind, flows, size)
                rx = f"rx_pcap={path}"
                s["infinite_frames"] = n
            else:
                files = []
                for q in range(workers):
                    if w.get("steer"):
                        extra = ["--workers", str(workers), "--owner", str(q)]
                        tag = f"owner{q}of{workers}"
                    else:
                        extra = ["--stride", str(workers), "--phase", str(q)]
                        tag = f"part{q}of{workers}"
                    path, n = self.gen_pcap(f"{gkind}-{flows}-{size}-{tag}", gkind, flows, size,
                                            extra)
                    files.append(path)
                    s["infinite_frames"] += n
                rx = ",".join(f"rx_pcap={p}" for p in files)
            ext = f"net_pcap0,{rx},infinite_rx=1"
            if kind == "jitter":
                s["advert_pcap"] = os.path.join(self.out, f"adverts-{self.seq}.pcap")
                ext += f",tx_pcap={s['advert_pcap']}"
            s["vipgate_ports"] = {"ext": ext, "int": "net_null0,no-rx=1"}
            # testpmd: port 0 -> port 1 (paired).
            s["testpmd_vdevs"] = [ext, "net_null0,no-rx=1"]
            s["testpmd_topology"] = "paired"
            s["out_port"] = 1  # testpmd port id of the null port
            s["expect_flows"] = flows if kind != "syn" else None
        elif kind == "reply":
            rpath, n = self.gen_pcap(f"reply-{flows}-{size}", "reply", flows, size)
            spath, _ = self.gen_pcap(f"seed-{flows}-{size}", "seed", flows, size)
            s["infinite_frames"] = n
            # Replies come in on int0 (the first pcap vdev: MAC ...:00); the
            # seed port (second pcap vdev, ...:01) plays the client side of
            # the flows once, from a FIFO once vipgate holds the VIP
            # (SeedFeeder), so that the flows exist; replies leave on ext0
            # (net_null).
            fifo = os.path.join(self.out, "seed.fifo")
            s["seed_pcap"], s["seed_fifo"] = spath, fifo
            s["vipgate_ports"] = {"ext": "net_null0,no-rx=1",
                                  "int": f"net_pcap0,rx_pcap={rpath},infinite_rx=1",
                                  "seed": f"net_pcap1,rx_pcap={fifo}"}
            # testpmd, chained: 0 (replies) -> 1 (null) -> 2 (seed) -> 0.
            s["testpmd_vdevs"] = [f"net_pcap0,rx_pcap={rpath},infinite_rx=1",
                                  "net_null0,no-rx=1", f"net_pcap1,rx_pcap={fifo}"]
            s["testpmd_topology"] = "chained"
            s["out_port"] = 1
            s["expect_flows"] = flows
        elif kind == "failover":
            s["vipgate_ports"] = {}
        elif kind == "resync":
            path, n = self.gen_pcap(f"established-{flows}-{size}", "established", flows, size)
            s["resync_pcap"] = path
            s["vipgate_ports"] = {}
            s["expect_flows"] = flows
        else:
            raise ValueError(kind)
        # Every frame of an infinite_rx pcap sits in an mbuf of the pool.
        # (Not rounded to 2^n - 1: that would double the pool for 1M frames.)
        need = s["infinite_frames"] + 16384 + 4096 * workers
        mbufs = (need + 4095) // 4096 * 4096 - 1
        s["mbufs"] = mbufs
        flow_mb = workers * (1048576 * 48 + 65536 * 44) / 2**20
        # About 2.4 KB per mbuf; EAL without hugepages needs a good margin
        # to place a pool of a million in one piece.
        s["mem_mb"] = int(mbufs * 3.5 / 1024 + flow_mb + 1024)
        s["lcores"] = ["-l", "0,1"] if workers == 1 else ["--lcores", "0@0,1@0,2@1"]
        return s

    def eal_mem(self, s):
        if self.a.mem == "huge":
            # 2 MB pages place a large pool without the margin 4 KB pages need.
            flow_mb = s["workers"] * (1048576 * 48 + 65536 * 44) / 2**20
            return ["--in-memory", "-m", str(int(s["mbufs"] * 2.5 / 1024 + flow_mb + 256))]
        return ["--no-huge", "--no-shconf", "-m", str(s["mem_mb"])]

    def prefix(self, tool):
        self.seq += 1
        return f"vgbench{os.getpid()}_{tool}{self.seq}"

    # ---- vipgate

    def ctl_json(self, sock, *cmd):
        r = subprocess.run([self.ctl, "-s", sock, *cmd, "json"], capture_output=True, text=True,
                           timeout=10)
        if r.returncode != 0:
            raise RuntimeError(f"vipgatectl {' '.join(cmd)}: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def vipgate_snapshot(self, sock, pid, nworkers, sync=False):
        t0 = time.monotonic()
        lcores = self.ctl_json(sock, "show", "lcores")
        t1 = time.monotonic()
        cpu = [thread_cpu_ns(pid, lcore_thread(w + 1)) for w in range(nworkers)]
        ports = self.ctl_json(sock, "show", "port", "stats", "all")
        stats = self.ctl_json(sock, "show", "stats")
        snap = {"t": (t0 + t1) / 2, "lcores": lcores, "ports": ports, "stats": stats, "cpu": cpu}
        if sync:
            snap["sync"] = self.ctl_json(sock, "show", "sync")
        return snap

    @staticmethod
    def sync_result(a, b):
        """Per second over the interval: what the workers handed to the
        control core, what was lost on a full event ring, what was sent."""
        dt = b["t"] - a["t"]

        def d(section, key):
            return (b["sync"].get(section, {}).get(key, 0)
                    - a["sync"].get(section, {}).get(key, 0)) / dt

        return {"events_per_s": d("workers", "events"),
                "events_lost_per_s": d("workers", "events_lost"),
                "records_per_s": d("sent", "records"),
                "messages_per_s": d("sent", "messages"),
                "bytes_per_s": d("sent", "bytes")}

    def run_vipgate(self, w, s, perf=False, duration=None, rt_control=False, sync=False):
        duration = duration or self.a.duration
        tag = self.prefix("vgs" if sync else "vg")
        cfg = os.path.join(self.out, f"{w['name']}{'-sync' if sync else ''}.yaml")
        sock = os.path.join(tempfile.gettempdir(), f"{tag}.sock")
        cmd = [self.gen, "config", "--ext-dev", s["vipgate_ports"]["ext"],
               "--int-dev", s["vipgate_ports"]["int"], "--workers", str(s["workers"]),
               "--mbufs", str(s["mbufs"]), "--burst", "32"]
        if "seed" in s["vipgate_ports"]:
            cmd += ["--seed-dev", s["vipgate_ports"]["seed"]]
        if sync:
            cmd += ["--sync-dev", SYNC_DEV]
        if w["kind"] == "syn":
            cmd += ["--syn-timeout", SYN_TIMEOUT, "--expire-budget", str(SYN_BUDGET)]
        elif self.a.expire_budget:
            cmd += ["--expire-budget", str(self.a.expire_budget)]
        if w.get("capacity"):
            cmd += ["--flows-per-worker", str(w["capacity"])]
        if w["kind"] == "jitter":
            cmd += ["--advert-int", "10ms"]
        with open(cfg, "w") as f:
            f.write(run(cmd).stdout)
        args = [self.vipgate, *s["lcores"], *self.eal_mem(s), "--file-prefix", tag, "--",
                "-c", cfg, "--control-socket", sock, "--log-level", "warn"]
        logf = open(os.path.join(self.out, "logs", f"{tag}.log"), "w")
        seed = SeedFeeder(s["seed_fifo"], s["seed_pcap"]) if "seed_fifo" in s else None
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            if seed:
                seed.connect(p)
            return self._measure_vipgate(w, s, p, sock, duration, perf, seed, rt_control, sync)
        finally:
            if seed:
                seed.close()
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            logf.close()
            try:
                os.unlink(sock)
            except OSError:
                pass

    def _measure_vipgate(self, w, s, p, sock, duration, perf, seed, rt_control=False,
                         sync=False):
        deadline = time.monotonic() + 120
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"vipgate exited with {p.returncode} (see {self.out}/logs)")
            if os.path.exists(sock):
                try:
                    self.ctl_json(sock, "show", "info")
                    break
                except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired):
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("vipgate did not come up in 120 s")
            time.sleep(0.1)
        if rt_control:
            # As if the gateway had its CPUs to itself: the control core's
            # thread (the main thread: tid == pid) at SCHED_FIFO, the worker
            # at nice -20, so that other processes on these CPUs delay
            # neither the advert timer nor worker 0, which transmits the
            # advert. (A busy-polling worker must not be SCHED_FIFO: RT
            # throttling would stop it for 50 ms every second.)
            subprocess.run(["chrt", "-f", "-p", "50", str(p.pid)], check=True)
            for lc in range(1, s["workers"] + 1):
                tid = thread_id(p.pid, lcore_thread(lc))
                if tid:
                    subprocess.run(["renice", "-n", "-20", "-p", str(tid)], check=True,
                                   capture_output=True)
        # The VIP must be held (VRRP MASTER) before the seed plays.
        if seed:
            t_end = time.monotonic() + 60
            while not any(v.get("state") == "MASTER" for v in self.ctl_json(sock, "show", "vrrp")):
                if time.monotonic() > t_end:
                    raise RuntimeError("VRRP never became MASTER")
                time.sleep(0.05)
            time.sleep(0.2)
            seed.feed()
        # Warm-up: the first pass of the pcap creates the flows (sloppy_tcp,
        # or the seed port for replies); wait for them, then a little more.
        want = s.get("expect_flows")
        t_end = time.monotonic() + 120
        while want:
            lc = self.ctl_json(sock, "show", "lcores")
            if sum(x.get("flows", 0) for x in lc) >= want * 0.999:
                break
            if time.monotonic() > t_end:
                log(f"  warning: only {sum(x.get('flows', 0) for x in lc)} of {want} flows "
                    "after 120 s")
                break
            time.sleep(0.2)
        time.sleep(self.a.warmup)
        perf_proc = None
        if perf:
            tid = thread_id(p.pid, lcore_thread(1))
            perf_out = os.path.join(self.out, f"perf-{w['name']}.data")
            perf_proc = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4999", "-g",
                                          "-t", str(tid), "-o", perf_out],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        a = self.vipgate_snapshot(sock, p.pid, s["workers"], sync)
        time.sleep(duration)
        b = self.vipgate_snapshot(sock, p.pid, s["workers"], sync)
        if perf_proc is not None:
            perf_proc.send_signal(signal.SIGINT)
            perf_proc.wait(timeout=60)
        r = self.vipgate_result(a, b, s)
        if sync:
            r["sync"] = self.sync_result(a, b)
        if w["kind"] == "jitter":
            r["vrrp"] = self.ctl_json(sock, "show", "vrrp")
        return r

    def vipgate_result(self, a, b, s):
        dt = b["t"] - a["t"]

        def total(snap, key):
            return sum(x.get(key, 0) for x in snap["lcores"])

        fwd = total(b, "forwarded") - total(a, "forwarded")
        rx = total(b, "rx_packets") - total(a, "rx_packets")
        ports_a = {x["name"]: x for x in a["ports"]}
        ports_b = {x["name"]: x for x in b["ports"]}
        out_name = "ext0" if s["vipgate_ports"]["ext"].startswith("net_null") else "int0"
        tx_null = ports_b[out_name]["tx_packets"] - ports_a[out_name]["tx_packets"]
        drops = {}
        da, db = a["stats"].get("drops", {}), b["stats"].get("drops", {})
        for k, v in db.items():
            if isinstance(v, (int, float)) and v - da.get(k, 0) > 0:
                drops[k] = v - da.get(k, 0)
        cpu = None
        if all(c is not None for c in a["cpu"] + b["cpu"]):
            cpu = sum(cb - ca for ca, cb in zip(a["cpu"], b["cpu"])) / 1e9 / dt
        flows = total(b, "flows")
        cap = total(b, "flow_capacity")
        r = {
            "mpps": fwd / dt / 1e6,
            "tx_mpps": tx_null / dt / 1e6,
            "rx_mpps": rx / dt / 1e6,
            "interval_s": dt,
            "cpu": cpu,
            "drops": drops,
            "flows": flows,
            "flow_capacity": cap,
            "handoffs": total(b, "handoffs_out") - total(a, "handoffs_out"),
            "expired": total(b, "expired") - total(a, "expired"),
            "new_flows": total(b, "new_flows") - total(a, "new_flows"),
            "taken_over": total(b, "taken_over") - total(a, "taken_over"),
            "per_worker_mpps": [
                (y.get("forwarded", 0) - x.get("forwarded", 0)) / dt / 1e6
                for x, y in zip(a["lcores"], b["lcores"])],
        }
        r["mpps_per_cpu"] = r["mpps"] / cpu if cpu else None
        return r

    # ---- testpmd

    def run_testpmd(self, w, s, mode):
        tag = self.prefix(mode)
        # stdbuf: testpmd's printf output to a pipe is block-buffered, its
        # prompt is not; line buffering keeps them in order. stdbuf execs
        # testpmd, so the pid stays testpmd's.
        args = ["stdbuf", "-oL", self.testpmd, *s["lcores"], *self.eal_mem(s), "--file-prefix",
                tag, "--no-pci"]
        for v in s["testpmd_vdevs"]:
            args += ["--vdev", v]
        nw = s["workers"]
        # --no-flush-rx: testpmd would otherwise drain every RX queue on the
        # main lcore before forwarding (and block in the seed FIFO).
        args += ["--", "-i", "--no-flush-rx", f"--forward-mode={mode}", "--burst=32",
                 "--mbcache=256",
                 f"--total-num-mbufs={s['mbufs']}", f"--port-topology={s['testpmd_topology']}",
                 f"--nb-cores={nw}", f"--rxq={nw}", f"--txq={nw}"]
        seed = SeedFeeder(s["seed_fifo"], s["seed_pcap"]) if "seed_fifo" in s else None
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        buf = []
        lock = threading.Lock()

        def reader():
            # Raw reads: the prompt "testpmd> " ends without a newline.
            fd = p.stdout.fileno()
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                with lock:
                    buf.append(chunk.decode(errors="replace"))

        th = threading.Thread(target=reader, daemon=True)
        th.start()

        def text():
            with lock:
                return "".join(buf)

        def wait_prompts(n, timeout=120):
            end = time.monotonic() + timeout
            while text().count("testpmd> ") < n:
                if p.poll() is not None:
                    raise RuntimeError(f"testpmd exited {p.returncode}: {text()[-2000:]}")
                if time.monotonic() > end:
                    raise RuntimeError(f"testpmd: no prompt: {text()[-2000:]}")
                time.sleep(0.01)

        def send(cmd):
            p.stdin.write((cmd + "\n").encode())
            p.stdin.flush()

        try:
            if seed:
                seed.connect(p)
            wait_prompts(1)
            send("start")
            wait_prompts(2)
            if seed:
                seed.feed()
                time.sleep(0.5)
            time.sleep(self.a.warmup + self.a.testpmd_settle)
            snaps = []
            for k in range(2):
                if k == 1:
                    time.sleep(self.a.duration)
                before = len(text())
                t0 = time.monotonic()
                send("show port stats all")
                wait_prompts(3 + k)
                t1 = time.monotonic()
                cpu = [thread_cpu_ns(p.pid, lcore_thread(c + 1)) for c in range(nw)]
                out = text()[before:]
                tx = [int(x) for x in re.findall(r"TX-packets:\s+(\d+)", out)]
                snaps.append({"t": (t0 + t1) / 2, "tx": tx, "cpu": cpu})
            send("stop")
            wait_prompts(5)
            send("quit")
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        finally:
            if seed:
                seed.close()
            if p.poll() is None:
                p.kill()
                p.wait()
        with open(os.path.join(self.out, "logs", f"{tag}.log"), "w") as f:
            f.write(text())
        a, b = snaps
        dt = b["t"] - a["t"]
        o = s["out_port"]
        tx = b["tx"][o] - a["tx"][o]
        cpu = None
        if all(c is not None for c in a["cpu"] + b["cpu"]):
            cpu = sum(cb - ca for ca, cb in zip(a["cpu"], b["cpu"])) / 1e9 / dt
        mpps = tx / dt / 1e6
        return {"mpps": mpps, "interval_s": dt, "cpu": cpu,
                "mpps_per_cpu": mpps / cpu if cpu else None}

    # ---- one workload

    def workload(self, w):
        log(f"workload {w['name']}")
        s = self.setup(w)
        if w["kind"] == "jitter":
            return self.jitter(w, s)
        if w["kind"] == "resync":
            return self.resync(w, s)
        if w["kind"] == "failover":
            return self.failover(w)
        runs = {t: [] for t in TOOLS + [SYNC_TOOL]}
        tools = (["vipgate"] + ([SYNC_TOOL] if w.get("sync") else [])
                 + ([] if self.a.no_testpmd else TOOLS[1:]))
        for r in range(self.a.runs):
            for t in tools:
                try:
                    if t in ("vipgate", SYNC_TOOL):
                        res = self.run_vipgate(w, s, sync=t == SYNC_TOOL)
                    else:
                        res = self.run_testpmd(w, s, t)
                except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                    log(f"  {t} run {r + 1}: FAILED: {e}")
                    res = {"error": str(e)}
                runs[t].append(res)
                if "mpps" in res:
                    cpu = f", cpu {res['cpu']:.2f}" if res.get("cpu") else ""
                    log(f"  {t:8s} run {r + 1}: {res['mpps']:.3f} Mpps{cpu}")
        return self.summarize(w, s, runs)

    def summarize(self, w, s, runs):
        out = {"name": w["name"], "kind": w["kind"], "flows": w["flows"], "frame_size": w["size"],
               "workers": s["workers"], "runs": runs, "median": {}, "spread": {},
               "median_per_cpu": {}}
        for t, rs in runs.items():
            vals = [r["mpps"] for r in rs if "mpps" in r]
            if vals:
                out["median"][t] = statistics.median(vals)
                out["spread"][t] = [min(vals), max(vals)]
            pc = [r["mpps_per_cpu"] for r in rs if r.get("mpps_per_cpu")]
            if pc:
                out["median_per_cpu"][t] = statistics.median(pc)
        vg = out["median"].get("vipgate")
        vgc = out["median_per_cpu"].get("vipgate")
        out["ratio"] = {t: vg / out["median"][t] for t in TOOLS[1:]
                        if vg and out["median"].get(t)}
        out["ratio_per_cpu"] = {t: vgc / out["median_per_cpu"][t] for t in TOOLS[1:]
                                if vgc and out["median_per_cpu"].get(t)}
        sr = [r for r in runs.get(SYNC_TOOL, []) if "mpps" in r and "sync" in r]
        if sr and vg:
            med = statistics.median

            def m(k):
                return med(r["sync"][k] for r in sr)

            out["sync"] = {"mpps": out["median"][SYNC_TOOL],
                           "ratio": out["median"][SYNC_TOOL] / vg,
                           "events_per_s": m("events_per_s"),
                           "events_lost_per_s": m("events_lost_per_s"),
                           "records_per_s": m("records_per_s"),
                           "messages_per_s": m("messages_per_s"),
                           "bytes_per_s": m("bytes_per_s"),
                           "cpu": med(r["cpu"] for r in sr if r.get("cpu")) if any(
                               r.get("cpu") for r in sr) else None}
        vr = [r for r in runs["vipgate"] if "mpps" in r]
        if vr:
            last = vr[-1]
            drops = {}
            for r in vr:
                for k, v in r["drops"].items():
                    drops[k] = drops.get(k, 0) + v
            out["drops"] = drops
            out["forwarded_total"] = sum(r["mpps"] * 1e6 * r["interval_s"] for r in vr)
            out["flows_in_table"] = last["flows"]
            out["flow_capacity"] = last["flow_capacity"]
            out["occupancy"] = last["flows"] / last["flow_capacity"] if last["flow_capacity"] else 0
            table_bytes = last["flow_capacity"] * self.bytes_per_flow
            out["table_bytes"] = table_bytes
            out["bytes_per_flow"] = self.bytes_per_flow
            out["bytes_per_live_flow"] = table_bytes / last["flows"] if last["flows"] else None
            out["tx_check"] = statistics.median(r["tx_mpps"] / r["mpps"] for r in vr if r["mpps"])
            if w["kind"] == "syn":
                out["new_flows_per_s"] = statistics.median(
                    r["new_flows"] / r["interval_s"] for r in vr)
                out["swept_per_s"] = statistics.median(
                    r["expired"] / r["interval_s"] for r in vr)
                out["taken_over_share"] = statistics.median(
                    r["taken_over"] / r["new_flows"] for r in vr if r["new_flows"])
            if s["workers"] > 1:
                # Shares of the packets received from the ports: handed off
                # to their owner, and dropped because the owner's ring was
                # full; worker CPU time per received packet.
                out["handoff_share"] = statistics.median(
                    r["handoffs"] / (r["rx_mpps"] * 1e6 * r["interval_s"]) for r in vr
                    if r["rx_mpps"])
                out["handoff_drop_share"] = statistics.median(
                    r["drops"].get("lb_handoff_ring_full", 0) / (r["rx_mpps"] * 1e6 * r["interval_s"])
                    for r in vr if r["rx_mpps"])
                out["cpu_ns_per_packet"] = statistics.median(
                    r["cpu"] * 1e3 / r["rx_mpps"] for r in vr if r["rx_mpps"] and r.get("cpu"))
        return out

    # ---- bulk resync between two processes

    def resync(self, w, s):
        """A (memif server) learns `flows` flows from a pcap played once
        through a FIFO (sloppy_tcp); then B (memif client, empty table)
        starts, and asks A for a bulk resync. Measured on B: the bulk's
        duration from its request to A's bulk_end (B's session), the time
        until B's worker tables hold every flow (polled), and the bytes
        and messages received. Idle workers sleep (idle_sleep): four
        threads share the two CPUs. One pass per bulk_rate in RESYNC_RATES."""
        flows = w["flows"]
        out = {"name": w["name"], "kind": "resync", "flows": flows, "frame_size": w["size"],
               "workers": 1, "runs": {}, "median": {}, "passes": []}
        for rate in RESYNC_RATES:
            try:
                res = self._resync_pass(s, flows, rate)
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                log(f"  resync at bulk_rate {rate}: FAILED: {e}")
                res = {"bulk_rate": rate, "error": str(e)}
            out["passes"].append(res)
            if "bulk_ms" in res:
                log(f"  resync at bulk_rate {rate}: bulk {res['bulk_ms']} ms, all installed "
                    f"after {res['installed_ms']:.0f} ms, {res['bytes'] / 1e6:.1f} MB")
        return out

    def _resync_pass(self, s, flows, rate):
        tmp = tempfile.mkdtemp(prefix="vg-resync-", dir=self.out)
        fifo = os.path.join(tmp, "a.fifo")
        memif = f"socket={tmp}/memif.sock,socket-abstract=no,id=0"
        procs, logs = {}, []
        mem = ["--no-huge", "--no-shconf", "-m", "1024"]

        def start(node, ext, role, addr):
            cfg = os.path.join(tmp, f"{node}.yaml")
            cmd = [self.gen, "config", "--ext-dev", ext, "--int-dev", f"net_null{node == 'b'},no-rx=1",
                   "--sync-dev", f"net_memif0,role={role},{memif}", "--sync-addr", addr,
                   "--bulk-rate", str(rate), "--idle-sleep", "true",
                   "--flows-per-worker", "1048576", "--mbufs", "16383"]
            with open(cfg, "w") as f:
                f.write(run(cmd).stdout)
            sock = os.path.join(tmp, f"{node}.sock")
            logf = open(os.path.join(tmp, f"{node}.log"), "w")
            logs.append(logf)
            args = [self.vipgate, "--lcores", "0@0,1@1", *mem, "--file-prefix",
                    self.prefix(f"rs{node}"), "--", "-c", cfg, "--control-socket", sock,
                    "--log-level", "warn"]
            procs[node] = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
            return sock

        def up(node, sock, secs=60):
            end = time.monotonic() + secs
            while time.monotonic() < end:
                if procs[node].poll() is not None:
                    raise RuntimeError(f"vipgate {node} exited ({tmp}/{node}.log)")
                try:
                    return self.ctl_json(sock, "show", "sync")
                except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired):
                    time.sleep(0.05)
            raise RuntimeError(f"vipgate {node} did not come up")

        def nflows(sock):
            return sum(x.get("flows", 0) for x in self.ctl_json(sock, "show", "lcores"))

        feeder = SeedFeeder(fifo, s["resync_pcap"])
        try:
            sa = start("a", f"net_pcap0,rx_pcap={fifo}", "server", "10.1.9.1/24")
            feeder.connect(procs["a"])
            up("a", sa)
            end = time.monotonic() + 60
            while not any(v.get("state") == "MASTER" for v in self.ctl_json(sa, "show", "vrrp")):
                if time.monotonic() > end:
                    raise RuntimeError("A never became MASTER")
                time.sleep(0.05)
            time.sleep(0.2)
            feeder.feed()
            end = time.monotonic() + 120
            while nflows(sa) < flows:
                if time.monotonic() > end:
                    raise RuntimeError(f"A holds only {nflows(sa)} of {flows} flows")
                time.sleep(0.2)
            sb = start("b", "net_null2,no-rx=1", "client", "10.1.9.2/24")
            up("b", sb)
            t0 = time.monotonic()
            end = t0 + 120
            peer = {}
            while True:
                j = self.ctl_json(sb, "show", "sync")
                peer = (j.get("peers") or [{}])[0]
                if peer.get("bulk", {}).get("completed", 0) >= 1 and nflows(sb) >= flows:
                    break
                if time.monotonic() > end:
                    raise RuntimeError(f"B: {nflows(sb)} of {flows} flows after 120 s: {peer}")
                time.sleep(0.02)
            installed = (time.monotonic() - t0) * 1000
            a_sync = self.ctl_json(sa, "show", "sync")
            return {"bulk_rate": rate, "bulk_ms": peer["bulk"]["last_ms"],
                    "bulk_records": peer["bulk"]["last_records"], "installed_ms": installed,
                    "bytes": j["received"]["bytes"], "messages": j["received"]["messages"],
                    "retransmitted": a_sync["sent"].get("retransmitted", 0),
                    "flows_b": nflows(sb)}
        finally:
            feeder.close()
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            for f in logs:
                f.close()

    # ---- client-visible failover

    def _lab(self, script, env_extra, args=()):
        env = dict(os.environ, VIPGATE_BUILD_DIR=os.path.abspath(self.build),
                   VIPGATE_SOURCE_DIR=ROOT, **env_extra)
        r = subprocess.run(["bash", os.path.join(ROOT, "tests/lab", script), *args], env=env,
                           capture_output=True, text=True, timeout=600)
        with open(os.path.join(self.out, "logs", f"{script}-{self.prefix('lab')}.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        return r.stdout

    def failover(self, w):
        out = {"name": w["name"], "kind": "failover", "flows": w["flows"], "frame_size": 0,
               "workers": 1, "runs": {"sync": [], "nosync": [], "keepalived": []}, "median": {}}
        for i in range(self.a.runs):
            txt = self._lab("pair.sh", {"PAIR_SYNC": "auto"})
            mv = re.search(r"\(1\) A killed .*? after ([0-9.]+) s", txt)
            fl = re.search(r"\(1\) A's death: every flow survives.*?alive (\d+)/(\d+), "
                           r"longest gap (\d+) ms", txt)
            res = ({"move_s": float(mv.group(1)), "alive": int(fl.group(1)),
                    "total": int(fl.group(2)), "gap_ms": int(fl.group(3))}
                   if mv and fl else {"error": "pair.sh (sync) output not understood"})
            out["runs"]["sync"].append(res)
            log(f"  pair with sync, run {i + 1}: {res}")
            txt = self._lab("pair.sh", {"PAIR_SYNC": "off"})
            b = re.search(r"BASELINE \(before sync\): (\d+) of (\d+) TCP connections lost.*?"
                          r"VIP moved in ([0-9.]+) s", txt)
            res = ({"move_s": float(b.group(3)), "alive": int(b.group(2)) - int(b.group(1)),
                    "total": int(b.group(2))}
                   if b else {"error": "pair.sh (no sync) output not understood"})
            out["runs"]["nosync"].append(res)
            log(f"  pair without sync, run {i + 1}: {res}")
        txt = self._lab("failover_gap.sh", {"PAIRS": "keepalived:keepalived", "VERSIONS": "3"},
                        [str(self.a.runs)])
        row = next((l for l in txt.splitlines() if l.startswith("| keepalived → keepalived")), "")
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) >= 4:
            gap = [int(x) for x in cells[3].split(" / ")]
            out["runs"]["keepalived"].append({"gap_ms": gap, "row": row})
        log(f"  keepalived -> keepalived: {row or 'no row'}")
        return out

    # ---- VRRP advert timing

    def jitter(self, w, s):
        """VRRP v3 adverts every 10 ms on ext0, whose net_pcap port writes
        what it transmits to a pcap (tx_pcap=) with the time of the TX
        burst: the advert interval as seen on the wire, control core timer
        plus the control TX ring plus worker 0's next flush. Three runs:
        worker saturated (the established 1K workload), worker idle, and
        saturated with the control thread at SCHED_FIFO (what the control
        core achieves when other processes on its CPU cannot preempt it)."""
        res = {"name": w["name"], "kind": "jitter", "flows": w["flows"], "frame_size": w["size"],
               "workers": 1, "runs": {}, "median": {}, "spread": {}, "ratio": {},
               "median_per_cpu": {}, "ratio_per_cpu": {}}
        dur = self.a.jitter_duration
        one, _ = self.gen_pcap("established-1-64", "established", 1, 64)
        variants = [("loaded", True, False), ("idle", False, False), ("loaded_rt", True, True)]
        for name, loaded, rt in variants:
            v = dict(s)
            v["vipgate_ports"] = dict(s["vipgate_ports"])
            v["advert_pcap"] = os.path.join(self.out, f"adverts-{name}.pcap")
            if loaded:
                rx = s["vipgate_ports"]["ext"].split(",tx_pcap=")[0]
            else:
                rx = f"net_pcap0,rx_pcap={one}"
                v["expect_flows"] = None
            # Two TX queues, two files: queue 0 is worker 0's, queue 1 the
            # control core's own (vipgate gives the control core a TX queue
            # where the device has one to spare). The adverts are in the
            # second file; in the first only if vipgate sent them through
            # worker 0 (an older vipgate, or a device without a spare queue).
            worker_pcap = os.path.join(self.out, f"worker-tx-{name}.pcap")
            v["vipgate_ports"]["ext"] = f"{rx},tx_pcap={worker_pcap},tx_pcap={v['advert_pcap']}"
            try:
                r = self.run_vipgate(w, v, duration=dur, rt_control=rt)
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                log(f"  {name}: FAILED: {e}")
                continue
            r["adverts"] = self.advert_stats(v["advert_pcap"])
            r["adverts"]["sent_by"] = "control core (own TX queue)"
            if not r["adverts"].get("intervals"):
                r["adverts"] = self.advert_stats(worker_pcap)
                r["adverts"]["sent_by"] = "worker 0 (control TX ring)"
            res["runs"][name] = r
            res[f"adverts_{name}"] = r["adverts"]
            j = r["adverts"].get("jitter_us", {})
            log(f"  {name:9s} {r['mpps']:.3f} Mpps: advert jitter p50 {j.get('p50')} us, "
                f"p99 {j.get('p99')} us, max {j.get('max')} us")
        if "loaded" in res["runs"]:
            res["median"]["vipgate"] = res["runs"]["loaded"]["mpps"]
        return res

    def advert_stats(self, path):
        try:
            return json.loads(run([self.gen, "adverts", path, "--interval-ms", "10"]).stdout)
        except (subprocess.CalledProcessError, json.JSONDecodeError) as e:
            return {"error": str(e)}


# ---------------------------------------------------------------- report

def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def markdown(results, info, cmdline, extra):
    L = []
    mem = "hugepages (2 MB)" if info["hugepages"] else "--no-huge (4 KB pages)"
    L.append(f"Machine: {info.get('cpu_model', '?')}, {info.get('cpus', '?')} CPUs"
             f"{' (' + info['hypervisor'] + ' guest)' if info.get('hypervisor') else ''}, "
             f"{info.get('memory_gib', '?')} GiB, Linux {info['kernel']}, DPDK {info['dpdk']}, "
             f"EAL memory: {mem}; load average {info['load_average_start']:.1f} at start, "
             f"{info.get('load_average_end', 0):.1f} at end. {info['date']}.")
    L.append("")
    L.append(f"Command: `{cmdline}`")
    L.append("")
    L.append("Mpps: median of the runs (min-max in brackets); ratio = vipgate / testpmd mode. "
             "\"per CPU\": packets per second of CPU time the forwarding thread(s) really got "
             "(schedstat), which takes out the time other processes took from the core.")
    L.append("")
    L.append("| workload | vipgate Mpps | io | macswap | 5tswap | vs io | vs macswap | vs 5tswap "
             "| per CPU: vipgate / 5tswap Mpps (ratio) | flows (occupancy) | B/flow "
             "| drops in the interval |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["kind"] in ("jitter", "resync", "failover"):
            continue
        m, sp = r["median"], r["spread"]

        def cell(t):
            if t not in m:
                return "-"
            return f"{m[t]:.2f} ({sp[t][0]:.2f}-{sp[t][1]:.2f})"

        drops = ", ".join(f"{k} {v}" for k, v in sorted(r.get("drops", {}).items())) or "none"
        mc = r.get("median_per_cpu", {})
        pc = (f"{mc['vipgate']:.2f} / {mc['5tswap']:.2f} ({r['ratio_per_cpu']['5tswap']:.2f})"
              if "vipgate" in mc and "5tswap" in mc else "-")
        occ = (f"{r['flows_in_table']:,} ({100 * r['occupancy']:.1f} %)"
               if "flows_in_table" in r else "-")
        bpf = f"{r['bytes_per_flow']}" if "bytes_per_flow" in r else "-"
        L.append(f"| {r['name']} | {cell('vipgate')} | {cell('io')} | {cell('macswap')} | "
                 f"{cell('5tswap')} | {fmt(r['ratio'].get('io'))} | "
                 f"{fmt(r['ratio'].get('macswap'))} | {fmt(r['ratio'].get('5tswap'))} | "
                 f"{pc} | {occ} | {bpf} | {drops} |")
    L.append("")
    for r in results:
        if r["kind"] == "syn" and "new_flows_per_s" in r:
            L.append(f"* **{r['name']}**: {r['median'].get('vipgate', 0):.2f} M new connections/s "
                     f"on one worker ({r['new_flows_per_s'] / 1e6:.2f} M flows created/s), "
                     f"{r.get('median_per_cpu', {}).get('vipgate', 0):.2f} M per "
                     f"CPU-second; table of {r.get('flow_capacity', 0):,} entries, "
                     f"{100 * r.get('occupancy', 0):.0f} % in use at the end (live or expired); "
                     f"{100 * r.get('taken_over_share', 0):.0f} % of the new flows took over "
                     f"the expired entry of the same endpoint, the sweep freed "
                     f"{r.get('swept_per_s', 0) / 1e6:.2f} M/s, insert() reclaimed the rest; "
                     f"SYN_RECV timeout {SYN_TIMEOUT}, expire_budget {SYN_BUDGET}.")
        if r.get("workers", 1) > 1 and "handoff_share" in r:
            L.append(f"* **{r['name']}**: {r['median'].get('vipgate', 0):.2f} Mpps forwarded by 2 "
                     f"workers; of the packets received, {100 * r['handoff_share']:.1f} % handed "
                     f"off to their owner and {100 * r.get('handoff_drop_share', 0):.1f} % dropped "
                     f"because the owner's hand-off ring was full; "
                     f"{fmt(r.get('cpu_ns_per_packet'), 1)} ns of worker CPU per received packet.")
    for r in results:
        sy = r.get("sync")
        if not sy:
            continue
        L.append(f"* **{r['name']}, flow-state sync on vs off** (same run, alternating): "
                 f"{sy['mpps']:.2f} vs {r['median']['vipgate']:.2f} Mpps, "
                 f"**{sy['ratio']:.2f}x**; the worker handed {sy['events_per_s'] / 1e6:.3f} M "
                 f"events/s to the control core and lost {sy['events_lost_per_s'] / 1e6:.3f} M/s "
                 f"on its full event ring (the refresh sweep resends those flows); the control "
                 f"core exported {sy['records_per_s'] / 1e6:.3f} M records/s in "
                 f"{sy['messages_per_s']:.0f} messages/s ({sy['bytes_per_s'] / 1e6:.1f} MB/s).")
    for r in results:
        if r["kind"] != "failover":
            continue
        L.append("")
        L.append("Client-visible failover (the master dies; 2-CPU VM, same run):")
        L.append("")
        L.append("| pair | VRRP | connections kept | VIP moved s (min / median / max) "
                 "| longest gap ms (min / median / max) | runs |")
        L.append("|---|---|---|---|---|---|")

        def mmm(v, nd=0):
            if not v:
                return "-"
            return " / ".join(f"{x:.{nd}f}" for x in (min(v), statistics.median(v), max(v)))

        for key, label in (("sync", "vipgate + vipgate, flow sync (pair.sh, SIGKILL + links down)"),
                           ("nosync", "vipgate + vipgate, no sync section (same lab)")):
            ok_ = [x for x in r["runs"][key] if "error" not in x]
            if not ok_:
                continue
            what = "flows (6 TCP, 2 UDP per run)" if key == "sync" else "TCP connections"
            kept = f"{sum(x['alive'] for x in ok_)} of {sum(x['total'] for x in ok_)} {what}"
            gaps = mmm([x["gap_ms"] for x in ok_]) if key == "sync" else "- (stalled for good)"
            L.append(f"| {label} | v3, 0.1 s | {kept} | {mmm([x['move_s'] for x in ok_], 3)} "
                     f"| {gaps} | {len(ok_)} |")
        for x in r["runs"]["keepalived"]:
            g = x["gap_ms"]
            L.append(f"| keepalived + keepalived (failover_gap.sh, switch port down; ping every "
                     f"~17 ms; VRRP only, no LVS) | v3, 0.1 s | - | - | {g[0]} / {g[1]} / {g[2]} "
                     f"| {len(r['runs']['sync'])} |")
        L.append("")
    for r in results:
        if r["kind"] != "resync":
            continue
        for p in r.get("passes", []):
            if "bulk_ms" not in p:
                L.append(f"* **{r['name']}** at bulk_rate {p['bulk_rate']:,}/s: failed "
                         f"({p.get('error', '?')}).")
                continue
            L.append(f"* **{r['name']}, bulk resync** of {p['bulk_records']:,} flows between two "
                     f"processes over net_memif, bulk_rate {p['bulk_rate']:,}/s: "
                     f"**{p['bulk_ms'] / 1000:.2f} s** from B's request to A's bulk_end, every "
                     f"flow in B's table {p['installed_ms'] / 1000:.2f} s after B answered its "
                     f"socket; {p['bytes'] / 1e6:.1f} MB in {p['messages']:,} messages "
                     f"({p['bytes'] / max(1, p['bulk_records']):.1f} B per flow), "
                     f"{p['retransmitted']} retransmitted.")
    steered = next((r for r in results if r["name"].startswith("2w-steered")), None)
    spread = next((r for r in results if r["name"].startswith("2w-spread")), None)
    if steered and spread and steered.get("cpu_ns_per_packet") and spread.get("cpu_ns_per_packet") \
            and spread.get("handoff_share"):
        moved = spread["handoff_share"] + spread.get("handoff_drop_share", 0)
        cost = (spread["cpu_ns_per_packet"] - steered["cpu_ns_per_packet"]) / moved
        L.append(f"* **hand-off cost**: {cost:.1f} ns of worker CPU per packet that arrived on the "
                 f"wrong worker (({spread['cpu_ns_per_packet']:.1f} - "
                 f"{steered['cpu_ns_per_packet']:.1f}) ns per received packet / {moved:.2f}).")
        extra["handoff_cost_ns"] = cost
    for r in results:
        if r["kind"] != "jitter":
            continue
        L.append("")
        L.append("VRRP advert timing (v3, 10 ms adverts; send times from ext0's tx_pcap):")
        L.append("")
        L.append("| worker | control thread | adverts sent by | Mpps | intervals | mean ms "
                 "| jitter p50 us | p99 us | p99.9 us | max us | over 1 ms |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, worker, ctl in (("loaded", "saturated", "SCHED_OTHER"),
                                  ("idle", "idle (busy-polling)", "SCHED_OTHER"),
                                  ("loaded_rt", "saturated, nice -20", "SCHED_FIFO 50")):
            a = r.get(f"adverts_{name}")
            run_ = r["runs"].get(name)
            if not a or "jitter_us" not in a or not run_:
                continue
            j = a["jitter_us"]
            L.append(f"| {worker} | {ctl} | {a.get('sent_by', '?')} | {run_['mpps']:.2f} | {a['intervals']} | "
                     f"{a['interval_us']['mean'] / 1000:.3f} | {j['p50']:.0f} | {j['p99']:.0f} | "
                     f"{j['p999']:.0f} | {j['max']:.0f} | {a['over_1ms']} |")
        L.append("")
    for kind, c in (extra.get("callgrind") or {}).items():
        L.append(f"* **callgrind, {kind}**: {c['ir_per_packet']:.0f} instructions per packet in "
                 f"pipeline::process() ({c['packets']} packets over {c['flows']} flows; top: "
                 + ", ".join(f"{n.split('::')[-1]} {v:.0f}" for n, v in c["top"][:6]) + ").")
    micro_ns = extra.get("micro_ns") or {}
    if micro_ns:
        L.append("* **micro-benchmarks** (Google Benchmark, median ns per call): "
                 + ", ".join(f"{k} {v:.1f}" for k, v in micro_ns.items()) + ".")
    return "\n".join(L) + "\n"


def chart(results, out_dir, png):
    dat = os.path.join(out_dir, "chart.dat")
    # Packets per second of forwarding-thread CPU time: on a shared machine
    # the wall-clock rate says as much about the neighbours as about us.
    rows = [r for r in results if r["kind"] not in ("jitter", "resync", "failover")
            and r.get("median_per_cpu")]
    if not rows:
        log("no throughput workload: no chart")
        return False
    with open(dat, "w") as f:
        f.write("workload vipgate io macswap 5tswap\n")
        for r in rows:
            m = r["median_per_cpu"]
            f.write(r["name"] + " " + " ".join(f"{m.get(t, 0):.4f}" for t in TOOLS) + "\n")
    gp = os.path.join(ROOT, "bench", "chart.gp")
    try:
        subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png}'", gp], check=True,
                       capture_output=True, text=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"gnuplot failed: {getattr(e, 'stderr', e)}")
        return False


def update_docs(md, png):
    doc = os.path.join(ROOT, "docs", "benchmarks.md")
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    with open(doc) as f:
        text = f.read()
    if begin not in text or end not in text:
        log("docs/benchmarks.md has no bench markers; not updated")
        return
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    with open(doc, "w") as f:
        f.write(head + begin + "\n" + md + end + tail)
    img = os.path.join(ROOT, "docs", "img")
    os.makedirs(img, exist_ok=True)
    shutil.copy(png, os.path.join(img, "bench.png"))
    log("docs/benchmarks.md and docs/img/bench.png updated")


def callgrind(build, out_dir, kind, flows, packets):
    """Instructions per packet of pipeline::process() (inclusive) on one
    path, from valgrind --tool=callgrind over bench/pipeline_driver."""
    driver = os.path.join(build, "bench", "pipeline_driver")
    if not os.path.exists(driver) or not shutil.which("valgrind"):
        log("callgrind: no bench/pipeline_driver or valgrind; skipped")
        return None
    cg = os.path.join(out_dir, f"callgrind-{kind}.out")
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}",
            "--toggle-collect=vipgate::pipeline::process*", driver, "--kind", kind,
            "--flows", str(flows), "--packets", str(packets)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        log(f"callgrind {kind} failed: {r.stderr[-1000:]}")
        return None
    ir = None
    with open(cg) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    info = json.loads(r.stdout.strip().splitlines()[-1])
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", cg],
                         capture_output=True, text=True).stdout
    with open(os.path.join(out_dir, f"callgrind-{kind}.txt"), "w") as f:
        f.write(ann)
    n = info["measured_packets"]
    top = []
    for line in ann.splitlines():
        line = line.replace("(anonymous namespace)::", "")
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\?\?\?:(\S+?)(\(|\s|$)", line)
        if m and "::" in m.group(2):
            top.append([m.group(2), int(m.group(1).replace(",", "")) / n])
    return {"kind": kind, "ir_total": ir, "packets": n, "flows": flows,
            "ir_per_packet": ir / n, "top": top[:15],
            "annotate": os.path.basename(cg).replace(".out", ".txt")}


def micro(build, out_dir, quick):
    exe = os.path.join(build, "bench", "vipgate_micro")
    if not os.path.exists(exe):
        log("micro-benchmarks: not built (libbenchmark-dev missing?); skipped")
        return None
    outf = os.path.join(out_dir, "micro.json")
    args = [exe, f"--benchmark_out={outf}", "--benchmark_out_format=json",
            "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true"]
    if quick:
        args += ["--benchmark_min_time=0.01"]
    subprocess.run(args, check=True, capture_output=True, text=True)
    with open(outf) as f:
        data = json.load(f)
    rows = {}
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name") == "median":
            # CPU time: on a shared machine the wall time includes preemption.
            rows[b["run_name"]] = b["cpu_time"]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--testpmd-settle", type=float, default=0.0)
    ap.add_argument("--jitter-duration", type=float)
    ap.add_argument("--workloads", help="comma-separated names (default: all of the mode)")
    ap.add_argument("--mem", choices=["auto", "huge", "no-huge"], default="auto")
    ap.add_argument("--no-testpmd", action="store_true")
    ap.add_argument("--expire-budget", type=int,
                    help="load_balancing.expire_budget for the non-SYN workloads (an experiment; "
                         "default: vipgate's default, 128)")
    ap.add_argument("--no-micro", action="store_true", help="no Google Benchmark, no callgrind")
    ap.add_argument("--perf", help="workload name to profile vipgate's worker with perf")
    ap.add_argument("--update-docs", action="store_true")
    ap.add_argument("--keep-pcaps", action="store_true")
    ap.add_argument("--cmdline", default="scripts/bench.sh")
    ap.add_argument("--report-from", help="rewrite the report (markdown, chart, docs with "
                    "--update-docs) from an earlier results.json; runs nothing")
    a = ap.parse_args()
    if a.report_from:
        with open(a.report_from) as f:
            doc = json.load(f)
        extra = {k: doc[k] for k in ("callgrind", "micro_ns") if k in doc}
        # Summaries again from the raw runs (the summary rules may be newer).
        b = Bench.__new__(Bench)
        b.bytes_per_flow = next((r["bytes_per_flow"] for r in doc["workloads"]
                                 if "bytes_per_flow" in r), 48)
        for i, r in enumerate(doc["workloads"]):
            if r["kind"] not in ("jitter", "resync", "failover"):
                w = {"name": r["name"], "kind": r["kind"], "flows": r["flows"],
                     "size": r["frame_size"]}
                doc["workloads"][i] = b.summarize(w, {"workers": r["workers"]}, r["runs"])
        md = markdown(doc["workloads"], doc["machine"], doc["command"], extra)
        os.makedirs(a.out, exist_ok=True)
        png = os.path.join(a.out, "bench.png")
        chart(doc["workloads"], a.out, png)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
        if a.update_docs:
            update_docs(md, png)
        return 0
    q = a.quick
    a.runs = a.runs or (1 if q else 3)
    a.duration = a.duration or (1.0 if q else 5.0)
    a.warmup = a.warmup if a.warmup is not None else (0.3 if q else 1.0)
    a.jitter_duration = a.jitter_duration or (2.0 if q else 10.0)
    os.makedirs(os.path.join(a.out, "logs"), exist_ok=True)

    workloads = QUICK_WORKLOADS if q else FULL_WORKLOADS
    if a.workloads:
        names = a.workloads.split(",")
        known = {w["name"]: w for w in FULL_WORKLOADS + QUICK_WORKLOADS}
        bad = [n for n in names if n not in known]
        if bad:
            sys.exit(f"unknown workload(s): {', '.join(bad)}; known: {', '.join(known)}")
        workloads = [known[n] for n in names]

    bench = Bench(a)
    if a.mem == "auto":
        a.mem = "huge"
        need = max(int(bench.eal_mem(bench.setup(w))[-1]) for w in workloads) if not q else 1024
        a.mem = "huge" if hugetlbfs_mounted() and hugepages_free() * 2 >= need else "no-huge"
    info = machine_info(a.mem)
    log(f"EAL memory: {a.mem}; results in {a.out}")
    bench.bytes_per_flow = json.loads(run([bench.gen, "info"]).stdout)["bytes_per_flow"]

    results = []
    for w in workloads:
        results.append(bench.workload(w))
    extra = {}
    if not q and not a.no_micro:
        extra["callgrind"] = {}
        for kind, flows in (("established", 1000), ("reply", 1000), ("syn", 10000)):
            c = callgrind(a.build_dir, a.out, kind, flows, 200000)
            if c:
                extra["callgrind"][kind] = c
                log(f"callgrind {kind}: {c['ir_per_packet']:.0f} instructions/packet")
    if not a.no_micro and not q:
        try:
            extra["micro_ns"] = micro(a.build_dir, a.out, q)
        except (subprocess.CalledProcessError, OSError, json.JSONDecodeError) as e:
            log(f"micro-benchmarks failed: {e}")
    if a.perf:
        w = next(x for x in FULL_WORKLOADS + QUICK_WORKLOADS if x["name"] == a.perf)
        bench.run_vipgate(w, bench.setup(w), perf=True)
        log(f"perf data: {a.out}/perf-{a.perf}.data")
    info["load_average_end"] = os.getloadavg()[0]

    md = markdown(results, info, a.cmdline, extra)
    png = os.path.join(a.out, "bench.png")
    chart(results, a.out, png)
    doc = {"machine": info, "command": a.cmdline, "mode": "quick" if q else "full",
           "settings": {"runs": a.runs, "duration_s": a.duration, "warmup_s": a.warmup,
                        "mem": a.mem, "burst": 32, "syn_timeout": SYN_TIMEOUT,
                        "expire_budget_syn": SYN_BUDGET},
           "workloads": results, **extra}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    if not a.keep_pcaps:
        shutil.rmtree(bench.pcaps, ignore_errors=True)
    print(md)
    if a.update_docs:
        update_docs(md, png)
    failed = [r["name"] for r in results if "vipgate" not in r["median"] and not any(
        "bulk_ms" in p for p in r.get("passes", [])) and r["kind"] != "failover"]
    if failed:
        log(f"no vipgate result for: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
