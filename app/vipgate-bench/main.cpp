// vipgate-bench: the benchmark's workload generator and helpers (pure C++,
// no DPDK). scripts/bench.sh drives it; docs/benchmarks.md describes the
// workloads.
//
//   vipgate-bench gen --kind established|reply|syn|seed --flows N --size 64|512
//                     --out FILE [--workers W --owner K] [--first F]
//                     [--stride S --phase P]
//                     [--ext-mac M] [--int-mac M] [--seed-mac M]
//       writes a pcap; prints {"frames":..,"bytes":..} on stdout.
//   vipgate-bench config --ext-dev DEV --int-dev DEV [--seed-dev DEV] [--sync-dev DEV]
//                        [options]
//       writes the vipgate YAML for the bench topology on stdout; --sync-dev
//       adds a port sync0 and a `sync:` section on it (flow-state sync on);
//       --sync-addr A/N (default 10.1.9.1/24) and --bulk-rate R set them,
//       --idle-sleep true lets idle workers sleep.
//   vipgate-bench adverts FILE --interval-ms MS
//       VRRP advert timing in a pcap a net_pcap port transmitted (tx_pcap=):
//       intervals, jitter percentiles, as JSON.
//   vipgate-bench info
//       flow-table memory figures from lib/lb, as JSON.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "lb/flow_table.hpp"
#include "net/headers.hpp"
#include "pcap.hpp"
#include "workload.hpp"

namespace {

using namespace vipgate;
using bench::generator;
using bench::topology;

int usage() {
    std::fputs("usage: vipgate-bench gen|config|adverts|info [options] (see the source header or "
               "docs/benchmarks.md)\n",
               stderr);
    return 2;
}

// --key value pairs (and a leading positional argument for adverts).
struct args {
    std::map<std::string, std::string> kv;
    std::vector<std::string> positional;
    bool ok = true;

    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    }
    unsigned long num(const std::string& k, unsigned long def) {
        auto it = kv.find(k);
        if (it == kv.end()) {
            return def;
        }
        char* end = nullptr;
        const unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
        if (end == it->second.c_str() || *end != '\0') {
            std::fprintf(stderr, "vipgate-bench: --%s: not a number: %s\n", k.c_str(),
                         it->second.c_str());
            ok = false;
        }
        return v;
    }
};

args parse_args(int argc, char** argv, int from) {
    args a;
    for (int i = from; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "vipgate-bench: %s needs a value\n", s.c_str());
                a.ok = false;
                break;
            }
            a.kv[s.substr(2)] = argv[++i];
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

bool read_mac(args& a, const std::string& key, net::mac_addr& out) {
    const std::string v = a.get(key);
    if (v.empty()) {
        return true;
    }
    auto m = net::mac_addr::parse(v);
    if (!m) {
        std::fprintf(stderr, "vipgate-bench: --%s: not a MAC address: %s\n", key.c_str(),
                     v.c_str());
        return false;
    }
    out = *m;
    return true;
}

bool read_topology(args& a, topology& t) {
    if (!read_mac(a, "ext-mac", t.ext_mac) || !read_mac(a, "int-mac", t.int_mac) ||
        !read_mac(a, "seed-mac", t.seed_mac)) {
        return false;
    }
    t.real_servers = static_cast<std::uint32_t>(a.num("real-servers", t.real_servers));
    if (t.real_servers == 0 || t.real_servers > 200) {
        std::fputs("vipgate-bench: --real-servers must be 1..200\n", stderr);
        return false;
    }
    return a.ok;
}

int cmd_gen(args& a) {
    topology t;
    if (!read_topology(a, t)) {
        return 2;
    }
    bench::spec s;
    if (!bench::parse_kind(a.get("kind", "established"), s.what)) {
        std::fprintf(stderr, "vipgate-bench: --kind must be established, reply, syn or seed\n");
        return 2;
    }
    s.flows = static_cast<std::uint32_t>(a.num("flows", 1000));
    s.frame_size = static_cast<std::uint32_t>(a.num("size", 64));
    s.workers = static_cast<unsigned>(a.num("workers", 1));
    s.first = static_cast<std::uint32_t>(a.num("first", 0));
    s.stride = static_cast<std::uint32_t>(a.num("stride", 1));
    s.phase = static_cast<std::uint32_t>(a.num("phase", 0));
    if (a.kv.count("owner") != 0) {
        s.owner = static_cast<int>(a.num("owner", 0));
    }
    const std::string out = a.get("out");
    if (!a.ok || out.empty()) {
        std::fputs("vipgate-bench gen: --out FILE is required\n", stderr);
        return 2;
    }
    bench::pcap_writer w;
    if (auto e = w.open(out); !e.empty()) {
        std::fprintf(stderr, "vipgate-bench: %s\n", e.c_str());
        return 1;
    }
    generator g(t);
    const std::string err = g.run(
        s,
        [](void* ctx, std::span<const std::uint8_t> f) {
            static_cast<bench::pcap_writer*>(ctx)->write(f);
        },
        &w);
    const std::uint64_t frames = w.frames();
    const std::uint64_t bytes = w.bytes();
    if (!err.empty()) {
        std::fprintf(stderr, "vipgate-bench: %s\n", err.c_str());
        return 1;
    }
    if (auto e = w.close(); !e.empty()) {
        std::fprintf(stderr, "vipgate-bench: %s\n", e.c_str());
        return 1;
    }
    std::printf("{\"file\": \"%s\", \"kind\": \"%s\", \"frames\": %llu, \"bytes\": %llu}\n",
                out.c_str(), bench::kind_name(s.what), static_cast<unsigned long long>(frames),
                static_cast<unsigned long long>(bytes));
    return 0;
}

int cmd_config(args& a) {
    topology t;
    if (!read_topology(a, t)) {
        return 2;
    }
    const std::string ext = a.get("ext-dev"), in = a.get("int-dev"), seed = a.get("seed-dev");
    const std::string sync_dev = a.get("sync-dev", "");
    const std::string sync_addr = a.get("sync-addr", "10.1.9.1/24");
    const std::string bulk_rate = a.get("bulk-rate", "");
    const std::string idle_sleep = a.get("idle-sleep", "false");
    if (ext.empty() || in.empty()) {
        std::fputs("vipgate-bench config: --ext-dev and --int-dev are required\n", stderr);
        return 2;
    }
    const unsigned long workers = a.num("workers", 1);
    const unsigned long mbufs = a.num("mbufs", 16383);
    const unsigned long burst = a.num("burst", 32);
    const unsigned long flows = a.num("flows-per-worker", 1048576);
    const unsigned long budget = a.num("expire-budget", 128);
    const std::string syn_timeout = a.get("syn-timeout", "");
    const std::string advert = a.get("advert-int", "1s");
    const std::string sloppy = a.get("sloppy-tcp", "true");
    if (!a.ok) {
        return 2;
    }
    std::printf("# Written by vipgate-bench config (scripts/bench.sh); see docs/benchmarks.md.\n");
    std::printf("ports:\n");
    std::printf("  - name: ext0\n    device: \"%s\"\n    address: %s/%u\n    gateway: %s\n",
                ext.c_str(), t.ext_addr.to_string().c_str(), t.ext_prefix,
                t.router.to_string().c_str());
    std::printf("  - name: int0\n    device: \"%s\"\n    address: %s/%u\n", in.c_str(),
                t.int_addr.to_string().c_str(), t.int_prefix);
    if (!seed.empty()) {
        std::printf("  - name: seed0\n    device: \"%s\"\n    address: %s/%u\n", seed.c_str(),
                    t.seed_addr.to_string().c_str(), t.seed_prefix);
    }
    if (!sync_dev.empty()) {
        std::printf("  - name: sync0\n    device: \"%s\"\n    address: %s\n", sync_dev.c_str(),
                    sync_addr.c_str());
    }
    std::printf("dataplane:\n  workers: %lu\n  mbufs: %lu\n  burst: %lu\n  idle_sleep: %s\n",
                workers, mbufs, burst, idle_sleep.c_str());
    std::printf("neighbours:\n  static:\n");
    std::printf("    - {address: %s, mac: \"%s\", port: ext0}\n", t.router.to_string().c_str(),
                t.router_mac.to_string().c_str());
    for (std::uint32_t k = 0; k < t.real_servers; ++k) {
        std::printf("    - {address: %s, mac: \"%s\", port: int0}\n",
                    t.rs_addr(k).to_string().c_str(), t.rs_mac(k).to_string().c_str());
    }
    std::printf("vrrp_instances:\n  - name: VI_BENCH\n    port: ext0\n    virtual_router_id: 51\n"
                "    priority: 255\n    version: 3\n    advert_int: %s\n"
                "    garp_master_delay: 0s\n    virtual_ipaddress: [%s]\n",
                advert.c_str(), t.vip.to_string().c_str());
    std::printf(
        "load_balancing:\n  flows_per_worker: %lu\n  sloppy_tcp: %s\n  expire_budget: %lu\n", flows,
        sloppy.c_str(), budget);
    if (!syn_timeout.empty()) {
        std::printf("  timeouts:\n    tcp_syn_recv: %s\n", syn_timeout.c_str());
    }
    std::printf("virtual_servers:\n  - address: %s\n    port: %u\n    protocol: tcp\n"
                "    lb_algo: %s\n    real_servers:\n",
                t.vip.to_string().c_str(), t.vport, lb::scheduler_name(t.scheduler));
    for (std::uint32_t k = 0; k < t.real_servers; ++k) {
        std::printf("      - {address: %s, port: %u}\n", t.rs_addr(k).to_string().c_str(),
                    t.rs_port);
    }
    if (!sync_dev.empty()) {
        // Multicast to the default group on sync0, no peer: every message is
        // encoded and sent, none is kept for retransmission.
        std::printf("sync:\n  port: sync0\n");
        if (!bulk_rate.empty()) {
            std::printf("  bulk_rate: %s\n", bulk_rate.c_str());
        }
    }
    return 0;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] * (1 - frac) + v[hi] * frac;
}

int cmd_adverts(args& a) {
    if (a.positional.size() != 1) {
        std::fputs("vipgate-bench adverts FILE --interval-ms MS [--skip N]\n", stderr);
        return 2;
    }
    const double nominal_us = static_cast<double>(a.num("interval-ms", 10)) * 1000.0;
    const unsigned long skip = a.num("skip", 5); // the first adverts: start-up
    if (!a.ok) {
        return 2;
    }
    std::vector<std::int64_t> times;
    const std::string err = bench::read_pcap(a.positional[0], [&](const bench::pcap_record& r) {
        const auto d = r.data;
        std::size_t l3 = 14;
        if (d.size() >= 18 && d[12] == 0x81 && d[13] == 0x00) {
            l3 = 18;
        }
        if (d.size() < l3 + 20 || d[l3 - 2] != 0x08 || d[l3 - 1] != 0x00) {
            return;
        }
        if (d[l3 + 9] != net::ip_proto_vrrp) {
            return;
        }
        times.push_back(r.time_ns);
    });
    if (!err.empty()) {
        std::fprintf(stderr, "vipgate-bench: %s\n", err.c_str());
        return 1;
    }
    std::vector<double> iv, jit;
    for (std::size_t k = skip + 1; k < times.size(); ++k) {
        const double us = static_cast<double>(times[k] - times[k - 1]) / 1000.0;
        iv.push_back(us);
        jit.push_back(std::fabs(us - nominal_us));
    }
    double mean = 0, var = 0;
    for (double x : iv) {
        mean += x;
    }
    mean = iv.empty() ? 0 : mean / static_cast<double>(iv.size());
    for (double x : iv) {
        var += (x - mean) * (x - mean);
    }
    const double sd = iv.size() > 1 ? std::sqrt(var / static_cast<double>(iv.size() - 1)) : 0;
    std::size_t late = 0;
    for (double j : jit) {
        late += j > 1000.0 ? 1 : 0;
    }
    std::printf("{\"adverts\": %zu, \"intervals\": %zu, \"nominal_us\": %.0f, "
                "\"interval_us\": {\"mean\": %.1f, \"stdev\": %.1f, \"min\": %.1f, \"p50\": %.1f, "
                "\"p99\": %.1f, \"max\": %.1f}, "
                "\"jitter_us\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f}, "
                "\"over_1ms\": %zu}\n",
                times.size(), iv.size(), nominal_us, mean, sd,
                iv.empty() ? 0.0 : *std::min_element(iv.begin(), iv.end()), percentile(iv, 50),
                percentile(iv, 99), iv.empty() ? 0.0 : *std::max_element(iv.begin(), iv.end()),
                percentile(jit, 50), percentile(jit, 99), percentile(jit, 99.9),
                jit.empty() ? 0.0 : *std::max_element(jit.begin(), jit.end()), late);
    return 0;
}

int cmd_info() {
    std::printf("{\"flow_entry_bytes\": %zu, \"bytes_per_flow\": %zu}\n", sizeof(lb::flow),
                lb::flow_table::bytes_per_flow());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage();
    }
    const std::string cmd = argv[1];
    args a = parse_args(argc, argv, 2);
    if (!a.ok) {
        return 2;
    }
    if (cmd == "gen") {
        return cmd_gen(a);
    }
    if (cmd == "config") {
        return cmd_config(a);
    }
    if (cmd == "adverts") {
        return cmd_adverts(a);
    }
    if (cmd == "info") {
        return cmd_info();
    }
    return usage();
}
