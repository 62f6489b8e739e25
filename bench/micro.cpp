// Google Benchmark micro-benchmarks of the pure per-packet path: the pieces
// pipeline::process() is made of, on the replay benchmark's own frames and
// topology (bench_context.hpp). Numbers, not tests: nothing here fails on
// time. scripts/bench.sh runs them in its full mode;
//   build-bench/bench/vipgate_micro --benchmark_filter=Flow
// runs a subset.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "bench_context.hpp"
#include "lb/flow_table.hpp"
#include "lb/nat.hpp"
#include "lb/owner.hpp"
#include "lb/scheduler.hpp"
#include "net/parse.hpp"

namespace {

using namespace vipgate;

std::vector<std::vector<std::uint8_t>> make_frames(bench::kind k, std::uint32_t flows,
                                                   std::uint32_t size = 64) {
    bench::generator g{bench::topology{}};
    std::string err;
    auto f = g.frames({.what = k, .flows = flows, .frame_size = size}, err);
    if (!err.empty()) {
        std::fprintf(stderr, "%s\n", err.c_str());
        std::abort();
    }
    return f;
}

// The copy every packet of the replay pays in the PMD: the baseline of the
// benchmarks below that copy a fresh frame first.
void BM_Copy60(benchmark::State& st) {
    const auto frames = make_frames(bench::kind::established, 1);
    alignas(64) std::uint8_t work[2048];
    for (auto _ : st) {
        std::memcpy(work, frames[0].data(), frames[0].size());
        benchmark::DoNotOptimize(work);
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_Copy60);

void BM_Parse(benchmark::State& st) {
    const auto frames =
        make_frames(bench::kind::established, 1024, static_cast<std::uint32_t>(st.range(0)));
    std::size_t i = 0;
    for (auto _ : st) {
        net::packet_meta m;
        benchmark::DoNotOptimize(net::parse(frames[i], m));
        benchmark::DoNotOptimize(m);
        i = (i + 1) & 1023;
    }
}
BENCHMARK(BM_Parse)->Arg(64)->Arg(512);

void BM_Classify(benchmark::State& st) {
    bench::bench_context bc(1024);
    const auto frames = make_frames(bench::kind::established, 1024);
    std::vector<net::packet_meta> metas(frames.size());
    for (std::size_t k = 0; k < frames.size(); ++k) {
        (void)net::parse(frames[k], metas[k]);
    }
    std::size_t i = 0;
    for (auto _ : st) {
        const auto c = lb::classify(*bc.services, frames[i], metas[i]);
        benchmark::DoNotOptimize(lb::owner_worker(c, 2));
        i = (i + 1) & 1023;
    }
}
BENCHMARK(BM_Classify);

// A flow table with N flows (as the engine makes them), looked up in a
// random order: hit, forward or reverse key.
struct table_fixture {
    lb::flow_table table;
    std::vector<lb::flow_key> fwd, rev;

    static table_fixture make(std::uint32_t n) {
        auto t = lb::flow_table::create({.capacity = 1u << 20, .seed = 42, .state_timeouts = {}});
        table_fixture f{std::move(*t), {}, {}};
        bench::topology topo;
        bench::generator g(topo);
        const auto now = lb::time_point{lb::milliseconds{1000}};
        for (std::uint32_t i = 0; i < n; ++i) {
            const auto rs = g.real_server_of(i);
            const lb::flow_spec s{.client = topo.client_addr(i),
                                  .client_port = topo.client_port(i),
                                  .vip = topo.vip,
                                  .vport = topo.vport,
                                  .rs = topo.rs_addr(rs),
                                  .rs_port = topo.rs_port,
                                  .proto = lb::protocol::tcp,
                                  .state = lb::flow_state::established,
                                  .service_slot = 0,
                                  .rs_slot = static_cast<std::uint16_t>(rs)};
            (void)f.table.insert(s, now);
            f.fwd.push_back({s.client, s.vip, s.client_port, s.vport, s.proto});
            f.rev.push_back({s.rs, s.client, s.rs_port, s.client_port, s.proto});
        }
        std::mt19937 rng(7);
        std::shuffle(f.fwd.begin(), f.fwd.end(), rng);
        std::shuffle(f.rev.begin(), f.rev.end(), rng);
        return f;
    }
};

void BM_FlowLookupForward(benchmark::State& st) {
    auto f = table_fixture::make(static_cast<std::uint32_t>(st.range(0)));
    const auto now = lb::time_point{lb::milliseconds{2000}};
    std::size_t i = 0;
    for (auto _ : st) {
        benchmark::DoNotOptimize(f.table.find_forward(f.fwd[i], now));
        i = i + 1 == f.fwd.size() ? 0 : i + 1;
    }
}
BENCHMARK(BM_FlowLookupForward)->Arg(1000)->Arg(100000)->Arg(1000000);

void BM_FlowLookupReverse(benchmark::State& st) {
    auto f = table_fixture::make(static_cast<std::uint32_t>(st.range(0)));
    const auto now = lb::time_point{lb::milliseconds{2000}};
    std::size_t i = 0;
    for (auto _ : st) {
        benchmark::DoNotOptimize(f.table.find_reverse(f.rev[i], now));
        i = i + 1 == f.rev.size() ? 0 : i + 1;
    }
}
BENCHMARK(BM_FlowLookupReverse)->Arg(1000)->Arg(100000)->Arg(1000000);

// One scheduler pick among 8 real servers (rr, wlc, mh), varying clients.
void BM_Schedule(benchmark::State& st, lb::scheduler_kind k) {
    bench::topology topo;
    topo.scheduler = k;
    auto table = lb::service_table::build(topo.services());
    auto state = lb::scheduler_state::create(table->limits());
    const lb::service& svc = table->services()[0];
    std::uint32_t i = 0;
    for (auto _ : st) {
        benchmark::DoNotOptimize(
            lb::schedule(*table, svc, *state, topo.client_addr(i), topo.client_port(i)));
        ++i;
    }
}
BENCHMARK_CAPTURE(BM_Schedule, rr, lb::scheduler_kind::rr);
BENCHMARK_CAPTURE(BM_Schedule, wlc, lb::scheduler_kind::wlc);
BENCHMARK_CAPTURE(BM_Schedule, mh, lb::scheduler_kind::mh);

// The NAT rewrite in place (addresses, port, TTL, both checksums
// incrementally), on a fresh copy of the frame each time (see BM_Copy60).
void BM_NatForward(benchmark::State& st) {
    const auto frames = make_frames(bench::kind::established, 1);
    net::packet_meta m;
    (void)net::parse(frames[0], m);
    alignas(64) std::uint8_t work[2048];
    const net::ipv4_addr rs{172, 16, 0, 11};
    for (auto _ : st) {
        std::memcpy(work, frames[0].data(), frames[0].size());
        benchmark::DoNotOptimize(
            lb::nat_forward(std::span<std::uint8_t>(work, frames[0].size()), m, rs, 8080));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_NatForward);

void BM_NatReply(benchmark::State& st) {
    const auto frames = make_frames(bench::kind::reply, 1);
    net::packet_meta m;
    (void)net::parse(frames[0], m);
    alignas(64) std::uint8_t work[2048];
    const net::ipv4_addr vip{10, 0, 0, 100};
    for (auto _ : st) {
        std::memcpy(work, frames[0].data(), frames[0].size());
        benchmark::DoNotOptimize(
            lb::nat_reply(std::span<std::uint8_t>(work, frames[0].size()), m, vip, 80));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_NatReply);

// The whole per-packet function, as a worker calls it: established flows
// (forward, or reply), or a SYN of a new flow each time.
void BM_Process(benchmark::State& st, bench::kind k) {
    const auto flows = static_cast<std::uint32_t>(st.range(0));
    bench::bench_context bc;
    const auto frames = make_frames(k, flows);
    const std::uint16_t port = bench::bench_context::port_of(k);
    alignas(64) std::uint8_t work[2048];
    auto once = [&](const std::vector<std::uint8_t>& f, std::uint16_t p) {
        std::memcpy(work, f.data(), f.size());
        return pipeline::process(std::span<std::uint8_t>(work, f.size()), p, bc.ctx, bc.ws);
    };
    if (k == bench::kind::reply) {
        auto seed = make_frames(bench::kind::seed, flows);
        for (auto& f : seed) {
            std::memcpy(f.data(), bc.topo.ext_mac.bytes.data(), 6);
            (void)once(f, 0);
        }
    } else if (k == bench::kind::established) {
        for (const auto& f : frames) {
            (void)once(f, port);
        }
    }
    std::size_t i = 0;
    std::int64_t ms = 1000;
    for (auto _ : st) {
        benchmark::DoNotOptimize(once(frames[i], port));
        if (++i == frames.size()) {
            i = 0;
            if (k == bench::kind::syn) {
                // Let the SYN_RECV flows (60 s) time out before the keys repeat.
                ms += 120000;
                bc.ws.now = lb::time_point{lb::milliseconds{ms}};
            }
        }
    }
    st.counters["flows"] = static_cast<double>(bc.engine->flows().size());
}
BENCHMARK_CAPTURE(BM_Process, established, bench::kind::established)
    ->Arg(1000)
    ->Arg(100000)
    ->Arg(1000000);
BENCHMARK_CAPTURE(BM_Process, reply, bench::kind::reply)->Arg(1000)->Arg(1000000);
BENCHMARK_CAPTURE(BM_Process, syn, bench::kind::syn)->Arg(100000);

// The same frames as the worker loop takes them: bursts of 32 in three
// stages (pipeline::look_ahead, prefetch_flow, process with the lookahead).
// Time per iteration is per burst; "per_packet" is per frame.
void BM_ProcessBurst(benchmark::State& st, bench::kind k) {
    constexpr std::size_t burst = 32;
    const auto flows = static_cast<std::uint32_t>(st.range(0));
    bench::bench_context bc;
    const auto frames = make_frames(k, flows);
    const std::uint16_t port = bench::bench_context::port_of(k);
    if (k == bench::kind::reply) {
        auto seed = make_frames(bench::kind::seed, flows);
        alignas(64) std::uint8_t w[2048];
        for (auto& f : seed) {
            std::memcpy(f.data(), bc.topo.ext_mac.bytes.data(), 6);
            std::memcpy(w, f.data(), f.size());
            (void)pipeline::process(std::span<std::uint8_t>(w, f.size()), 0, bc.ctx, bc.ws);
        }
    }
    std::vector<std::array<std::uint8_t, 2048>> work(burst);
    std::array<std::span<std::uint8_t>, burst> span;
    std::array<pipeline::lookahead, burst> la;
    auto run_burst = [&](std::size_t first) {
        for (std::size_t j = 0; j < burst; ++j) {
            const auto& f = frames[(first + j) % frames.size()];
            std::memcpy(work[j].data(), f.data(), f.size());
            span[j] = std::span<std::uint8_t>(work[j].data(), f.size());
        }
        for (std::size_t j = 0; j < burst; ++j) {
            pipeline::look_ahead(span[j], bc.ctx, bc.ws, la[j]);
        }
        for (std::size_t j = 0; j < burst; ++j) {
            pipeline::prefetch_flow(bc.ws, la[j]);
        }
        for (std::size_t j = 0; j < burst; ++j) {
            benchmark::DoNotOptimize(pipeline::process(span[j], port, bc.ctx, bc.ws, la[j]));
        }
    };
    if (k == bench::kind::established) {
        for (std::size_t i = 0; i < frames.size(); i += burst) {
            run_burst(i);
        }
    }
    std::size_t i = 0;
    std::int64_t ms = 1000;
    for (auto _ : st) {
        run_burst(i);
        i += burst;
        if (i >= frames.size()) {
            i -= frames.size();
            if (k == bench::kind::syn) {
                // As in BM_Process: the flows time out before their keys repeat.
                ms += 120000;
                bc.ws.now = lb::time_point{lb::milliseconds{ms}};
            }
        }
    }
    st.counters["per_packet"] =
        benchmark::Counter(static_cast<double>(st.iterations() * burst),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    st.counters["flows"] = static_cast<double>(bc.engine->flows().size());
}
BENCHMARK_CAPTURE(BM_ProcessBurst, established, bench::kind::established)
    ->Arg(1000)
    ->Arg(100000)
    ->Arg(1000000);
BENCHMARK_CAPTURE(BM_ProcessBurst, reply, bench::kind::reply)->Arg(1000)->Arg(1000000);
BENCHMARK_CAPTURE(BM_ProcessBurst, syn, bench::kind::syn)->Arg(100000);

} // namespace

BENCHMARK_MAIN();
