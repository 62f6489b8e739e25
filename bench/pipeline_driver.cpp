// The pure per-packet path in a loop, for `valgrind --tool=callgrind`:
// pipeline::process() with an lb engine over the benchmark's own frames
// (app/vipgate-bench/workload.hpp), without DPDK. Instruction counts are
// repeatable on a noisy machine where packet rates are not.
//
//   pipeline_driver [--kind established|reply|syn] [--flows N] [--packets M] [--size 64]
//
// A warm-up pass creates the flows (sloppy_tcp; the reply workload plays
// the seed frames first); then M packets are processed, each copied from its
// template first (as the pcap PMD copies into a fresh mbuf; the copy is
// outside process()). Under callgrind the costs collected so far are zeroed
// after the warm-up, so with --toggle-collect=vipgate::pipeline::process*
// the totals are M calls of process(). The SYN workload moves the clock an
// hour on at each pass over its frames, so every SYN makes a new flow (the
// table lookup meets the expired flow and removes it; no sweep runs).
// Prints one JSON line.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#endif

#include "bench_context.hpp"
#include "lb/flow_table.hpp"

using namespace vipgate;

namespace {

struct counts {
    std::uint64_t forwarded = 0;
    std::uint64_t dropped = 0;
};

[[gnu::noinline]] counts run_measured(bench::bench_context& bc,
                                      const std::vector<std::vector<std::uint8_t>>& frames,
                                      std::uint16_t port, std::uint64_t packets,
                                      std::int64_t advance_ms = 0) {
    counts c;
    alignas(64) std::uint8_t work[2048];
    std::size_t k = 0;
    for (std::uint64_t n = 0; n < packets; ++n) {
        const auto& f = frames[k];
        if (++k == frames.size()) {
            k = 0;
            // SYN workload: the flows of the last pass time out before their
            // keys come again, so every SYN makes a new flow.
            bc.ws.now += lb::milliseconds{advance_ms};
        }
        std::memcpy(work, f.data(), f.size());
        const pipeline::verdict v =
            pipeline::process(std::span<std::uint8_t>(work, f.size()), port, bc.ctx, bc.ws);
        if (v.act == pipeline::action::forward) {
            ++c.forwarded;
        } else {
            ++c.dropped;
        }
    }
    return c;
}

} // namespace

int main(int argc, char** argv) {
    std::string kind_s = "established";
    std::uint32_t flows = 1000, size = 64;
    std::uint64_t packets = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--kind") {
            kind_s = v;
        } else if (k == "--flows") {
            flows = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
        } else if (k == "--packets") {
            packets = std::strtoull(v, nullptr, 10);
        } else if (k == "--size") {
            size = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
        } else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    bench::kind kind{};
    if (!bench::parse_kind(kind_s, kind) || kind == bench::kind::seed) {
        std::fprintf(stderr, "--kind: established, reply or syn\n");
        return 2;
    }
    bench::bench_context bc;
    bench::generator gen(bc.topo);
    std::string err;
    const auto frames = gen.frames({.what = kind, .flows = flows, .frame_size = size}, err);
    if (!err.empty()) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    const std::uint16_t port = bench::bench_context::port_of(kind);
    // Warm-up: make the flows (forward direction), touch every frame once.
    if (kind == bench::kind::reply) {
        const auto seed =
            gen.frames({.what = bench::kind::seed, .flows = flows, .frame_size = size}, err);
        // Seed frames are addressed to the seed port's MAC; in this context
        // they arrive on ext0, so rewrite the destination MAC.
        auto seeded = seed;
        for (auto& f : seeded) {
            std::memcpy(f.data(), bc.topo.ext_mac.bytes.data(), 6);
        }
        run_measured(bc, seeded, 0, seeded.size());
    }
    if (kind != bench::kind::syn) {
        run_measured(bc, frames, port, frames.size());
    }
    CALLGRIND_ZERO_STATS;
    const auto t0 = std::chrono::steady_clock::now();
    const counts c =
        run_measured(bc, frames, port, packets, kind == bench::kind::syn ? 3600 * 1000 : 0);
    const auto t1 = std::chrono::steady_clock::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    std::printf("{\"kind\": \"%s\", \"flows\": %u, \"frame_size\": %u, \"measured_packets\": %llu, "
                "\"forwarded\": %llu, \"dropped\": %llu, \"flows_in_table\": %u, "
                "\"bytes_per_flow\": %zu, \"table_bytes\": %zu, \"ns_per_packet_native\": %.1f}\n",
                kind_s.c_str(), flows, size, static_cast<unsigned long long>(packets),
                static_cast<unsigned long long>(c.forwarded),
                static_cast<unsigned long long>(c.dropped), bc.engine->flows().size(),
                lb::flow_table::bytes_per_flow(), bc.engine->flows().memory_bytes(),
                ns / static_cast<double>(packets));
    return c.forwarded == packets ? 0 : 1;
}
