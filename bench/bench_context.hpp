#pragma once
// The pure pipeline set up as vipgate sets it up for the replay benchmark
// (the topology of app/vipgate-bench/workload.hpp): two ports, the virtual
// service held (service_active), static neighbours, one worker's lb engine
// with sloppy_tcp. Used by the callgrind driver and the micro-benchmarks so
// they run exactly what a worker runs per packet, minus the DPDK shell.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "lb/engine.hpp"
#include "lb/service_table.hpp"
#include "pipeline/pipeline.hpp"
#include "workload.hpp"

namespace vipgate::bench {

struct bench_context {
    topology topo;
    lb::service_table services;
    std::vector<std::uint8_t> active{1};
    std::vector<pipeline::owned_address> ext_owned, int_owned;
    std::vector<pipeline::port_view> ports;
    std::unique_ptr<pipeline::neighbour_map> neighbours;
    std::unique_ptr<lb::engine> engine;
    std::vector<pipeline::rs_hop> rs_hops;
    pipeline::context ctx;
    pipeline::worker_state ws;

    explicit bench_context(std::uint32_t flow_capacity = 1u << 20, topology t = {}) : topo(t) {
        auto built = lb::service_table::build(topo.services());
        if (!built) {
            std::fprintf(stderr, "service table: %s\n", built.err().message.c_str());
            std::exit(1);
        }
        services = std::move(*built);
        ext_owned = {{topo.ext_addr, topo.ext_mac}, {topo.vip, topo.ext_mac}};
        int_owned = {{topo.int_addr, topo.int_mac}};
        pipeline::port_view ext;
        ext.mac = topo.ext_mac;
        ext.address = topo.ext_addr;
        ext.prefix_len = topo.ext_prefix;
        ext.gateway = topo.router;
        ext.owned = ext_owned;
        pipeline::port_view in;
        in.mac = topo.int_mac;
        in.address = topo.int_addr;
        in.prefix_len = topo.int_prefix;
        in.owned = int_owned;
        ports = {ext, in};
        std::vector<pipeline::next_hop> hops{{topo.router, topo.router_mac, 0}};
        for (std::uint32_t k = 0; k < topo.real_servers; ++k) {
            hops.push_back({topo.rs_addr(k), topo.rs_mac(k), 1});
        }
        neighbours = std::make_unique<pipeline::neighbour_map>(hops);
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
        ctx.ports = ports;
        ctx.services = &services;
        ctx.service_active = active;
        ctx.neighbours = neighbours.get();
        rs_hops = pipeline::build_rs_hops(ctx);
        ctx.rs_hops = rs_hops;
        ctx.own_filter = pipeline::build_own_filter(ctx);
        ws.engine = engine.get();
        ws.now = lb::time_point{lb::milliseconds{1000}};
        ws.worker = 0;
        ws.workers = 1;
    }

    // The port a frame of this workload arrives on.
    static std::uint16_t port_of(kind k) noexcept { return k == kind::reply ? 1 : 0; }
};

} // namespace vipgate::bench
