#pragma once
// The pure pipeline set up as vipgate sets it up for the replay benchmark
// (the topology of app/vipgate-bench/workload.hpp): two ports, the virtual
// service held (service_active), static neighbours, one worker's lb engine
// with sloppy_tcp; the snapshot from pipeline::snapshot_builder, as the
// control core builds it. Used by the callgrind driver and the micro-benchmarks so
// they run exactly what a worker runs per packet, minus the DPDK shell.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "lb/engine.hpp"
#include "lb/service_table.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"
#include "workload.hpp"

namespace vipgate::bench {

struct bench_context {
    topology topo;
    std::shared_ptr<const lb::service_table> services;
    std::unique_ptr<lb::engine> engine;
    std::unique_ptr<const pipeline::snapshot> snap; // as the control core builds it
    pipeline::context ctx;                          // snap->ctx()
    pipeline::worker_state ws;

    explicit bench_context(std::uint32_t flow_capacity = 1u << 20, topology t = {}) : topo(t) {
        auto built = lb::service_table::build(topo.services());
        if (!built) {
            std::fprintf(stderr, "service table: %s\n", built.err().message.c_str());
            std::exit(1);
        }
        services = std::make_shared<const lb::service_table>(std::move(*built));
        pipeline::snapshot_builder b;
        const std::uint16_t ext =
            b.add_port(topo.ext_mac, {topo.ext_addr, topo.ext_prefix}, topo.router);
        b.add_owned(ext, {topo.vip, topo.ext_mac});
        b.add_port(topo.int_mac, {topo.int_addr, topo.int_prefix});
        b.set_services(services, {1});
        std::vector<pipeline::next_hop> hops{{topo.router, topo.router_mac, 0}};
        for (std::uint32_t k = 0; k < topo.real_servers; ++k) {
            hops.push_back({topo.rs_addr(k), topo.rs_mac(k), 1});
        }
        b.set_neighbours(hops);
        snap = b.build();
        ctx = snap->ctx();
        lb::engine_config ec;
        ec.flow_capacity = flow_capacity;
        ec.seed = 0x5eed;
        ec.sloppy_tcp = true;
        auto e = lb::engine::create(ec);
        if (!e) {
            std::fprintf(stderr, "engine: %s\n", e.err().message.c_str());
            std::exit(1);
        }
        engine = std::make_unique<lb::engine>(std::move(*e));
        ws.engine = engine.get();
        ws.now = lb::time_point{lb::milliseconds{1000}};
        ws.worker = 0;
        ws.workers = 1;
    }

    // The port a frame of this workload arrives on.
    static std::uint16_t port_of(kind k) noexcept { return k == kind::reply ? 1 : 0; }
};

} // namespace vipgate::bench
