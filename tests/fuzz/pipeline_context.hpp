#pragma once
// The gateway the pipeline fuzzer runs frames through, shared with the seed
// generator (gen_seeds.cpp) so that seeds address what the context owns.
//
//   port 0 ext0  02:42:0a:63:00:02  10.99.0.2/24, gateway 10.99.0.254
//     VRRP 51 v2 PASS "secret12", multicast, VIPs 10.99.0.100 .101 (MASTER)
//     VRRP 52 v3 multicast, use_vmac 00:00:5e:00:01:34, VIP 10.99.0.200 (MASTER)
//     VRRP 60 v3 unicast peer 10.99.0.1, VIP 10.99.0.160 (MASTER)
//   port 1 int0  02:42:ac:10:00:01  172.16.0.1/24
//     VRRP 61 v2 unicast peer 172.16.0.2, check_unicast_src, VIP 172.16.0.254
//   services (both active unless the frame header says "backup"):
//     0  10.99.0.100:80/tcp rr  -> 172.16.0.11:8080, 172.16.0.12:8080
//     1  10.99.0.200:53/udp wlc, persistence 300 s
//                               -> 172.16.0.13:53, 172.16.0.14:5353 (weight 0: draining)
//   neighbours: 10.99.0.1 (VRRP peer), 10.99.0.10 (client), 10.99.0.254
//     (gateway), 172.16.0.2, 172.16.0.11-14. 10.99.0.50 is an on-link client
//     with no neighbour entry (replies to it: no_neighbour); 203.0.113.7 is
//     off-link (via the gateway).
//
// The golden keepalived adverts of shared/reference/keepalived-interop.md
// (v2 VRID 51 from anywhere, v3 VRID 52 from 10.99.0.1) are valid here.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "lb/engine.hpp"
#include "lb/service_table.hpp"
#include "net/types.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"
#include "vrrp/config.hpp"

namespace vipgate::fuzz {

using namespace std::chrono_literals;
using net::ipv4_addr;
using net::mac_addr;

inline constexpr mac_addr ext_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x02}};
inline constexpr mac_addr int_mac{{0x02, 0x42, 0xac, 0x10, 0x00, 0x01}};
inline constexpr mac_addr vmac52{{0x00, 0x00, 0x5e, 0x00, 0x01, 52}};
inline constexpr mac_addr peer_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x01}};
inline constexpr mac_addr client_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x0a}};
inline constexpr mac_addr unknown_client_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x32}};
inline constexpr mac_addr gw_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0xfe}};
inline constexpr mac_addr int_peer_mac{{0x02, 0x42, 0xac, 0x10, 0x00, 0x02}};
inline constexpr mac_addr rs_mac[4] = {{{0x02, 0x42, 0xac, 0x10, 0x00, 11}},
                                       {{0x02, 0x42, 0xac, 0x10, 0x00, 12}},
                                       {{0x02, 0x42, 0xac, 0x10, 0x00, 13}},
                                       {{0x02, 0x42, 0xac, 0x10, 0x00, 14}}};
inline constexpr mac_addr mcast_vrrp_mac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}};

inline constexpr ipv4_addr ext_ip{10, 99, 0, 2};
inline constexpr ipv4_addr int_ip{172, 16, 0, 1};
inline constexpr ipv4_addr gw_ip{10, 99, 0, 254};
inline constexpr ipv4_addr peer_ip{10, 99, 0, 1};
inline constexpr ipv4_addr int_peer_ip{172, 16, 0, 2};
inline constexpr ipv4_addr client_ip{10, 99, 0, 10};
inline constexpr ipv4_addr unknown_client_ip{10, 99, 0, 50};
inline constexpr ipv4_addr remote_client_ip{203, 0, 113, 7};
inline constexpr ipv4_addr vip51a{10, 99, 0, 100};
inline constexpr ipv4_addr vip51b{10, 99, 0, 101};
inline constexpr ipv4_addr vip52{10, 99, 0, 200};
inline constexpr ipv4_addr vip60{10, 99, 0, 160};
inline constexpr ipv4_addr vip61{172, 16, 0, 254};
inline constexpr ipv4_addr rs_ip[4] = {
    {172, 16, 0, 11}, {172, 16, 0, 12}, {172, 16, 0, 13}, {172, 16, 0, 14}};
inline constexpr std::uint16_t tcp_vport = 80;
inline constexpr std::uint16_t udp_vport = 53;

// The fuzz input is a sequence of records, each one frame:
//   [header:1][length:2, big endian][frame: length bytes, or what is left]
// header bit 0: port (0 ext0, 1 int0); bit 1: handed_off (the frame came
// from another worker); bit 2: this worker's index (of 2 workers); bit 3:
// every service inactive (this gateway is BACKUP); bits 4-7: k, the time
// advanced before the frame: 1 ms for k = 0, else 2^(k+6) ms (128 ms ..
// 35 min), so flows can time out within one input.
// Records go through the pipeline in bursts, as a worker takes them: a
// record with k = 0 and bits 0-3 equal to the previous record's joins that
// record's burst (same port, worker state and clock: no time advances);
// any other record starts a new burst.
inline constexpr std::size_t max_records = 16;
inline constexpr std::uint8_t hdr_port1 = 0x01;
inline constexpr std::uint8_t hdr_handed_off = 0x02;
inline constexpr std::uint8_t hdr_worker1 = 0x04;
inline constexpr std::uint8_t hdr_backup = 0x08;

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "fuzz: %s\n", what);
    std::abort();
}

inline std::shared_ptr<const vrrp::instance_config> normalized(vrrp::instance_config c) {
    auto r = vrrp::normalize(std::move(c));
    if (!r.ok()) {
        die("fixture: a VRRP instance does not normalize");
    }
    return std::make_shared<const vrrp::instance_config>(std::move(r).value());
}

// Everything process() needs, built once per fuzzer process. The snapshots
// come from pipeline::snapshot_builder, as the control core's do: views,
// rs_hops and own_filter as a worker reads them.
struct gateway {
    std::array<std::shared_ptr<const vrrp::instance_config>, 4> vrrp_cfg{
        normalized({.name = "vi_51",
                    .vrid = 51,
                    .version = 2,
                    .advert_int = 1s,
                    .virtual_addresses = {vip51a, vip51b},
                    .auth = vrrp::auth_kind::pass,
                    .auth_pass = "secret12",
                    .primary_address = ext_ip}),
        normalized({.name = "vi_52",
                    .vrid = 52,
                    .version = 3,
                    .advert_int = 500ms,
                    .virtual_addresses = {vip52},
                    .use_vmac = true,
                    .primary_address = ext_ip}),
        normalized({.name = "vi_60",
                    .vrid = 60,
                    .version = 3,
                    .advert_int = 1s,
                    .virtual_addresses = {vip60},
                    .unicast_peers = {peer_ip},
                    .primary_address = ext_ip}),
        normalized({.name = "vi_61",
                    .vrid = 61,
                    .version = 2,
                    .advert_int = 1s,
                    .virtual_addresses = {vip61},
                    .unicast_peers = {int_peer_ip},
                    .check_unicast_src = true,
                    .primary_address = int_ip}),
    };
    std::shared_ptr<const lb::service_table> services;
    std::unique_ptr<lb::engine> engine;
    // Same configuration and seed, fed the same frames one by one through
    // the general path (no lookahead, no rs_hops, no address filter): what
    // the worker's shortcuts must agree with.
    std::unique_ptr<lb::engine> reference;
    // What the workers read: every service active (this gateway is MASTER),
    // or none (BACKUP).
    std::unique_ptr<const pipeline::snapshot> master, backup;

    static constexpr std::uint32_t flow_capacity = 64;
    static constexpr std::uint32_t template_capacity = 16;

    gateway() {
        const std::vector<lb::service_config> svc{
            {.vip = vip51a,
             .port = tcp_vport,
             .proto = lb::protocol::tcp,
             .scheduler = lb::scheduler_kind::rr,
             .real_servers = {{.address = rs_ip[0], .port = 8080},
                              {.address = rs_ip[1], .port = 8080}}},
            {.vip = vip52,
             .port = udp_vport,
             .proto = lb::protocol::udp,
             .scheduler = lb::scheduler_kind::wlc,
             .persistence_timeout = 300s,
             .real_servers = {{.address = rs_ip[2], .port = 53},
                              {.address = rs_ip[3], .port = 5353, .weight = 0}}},
        };
        auto t = lb::service_table::build(svc);
        if (!t.ok()) {
            die("fixture: the service table does not build");
        }
        services = std::make_shared<const lb::service_table>(std::move(t).value());

        pipeline::snapshot_builder b;
        const std::uint16_t ext = b.add_port(ext_mac, {ext_ip, 24}, gw_ip);
        const std::uint16_t in = b.add_port(int_mac, {int_ip, 24});
        // Counter rows 0..3 in config order; all four instances MASTER.
        b.add_vrrp(ext, 0, vrrp_cfg[0]);
        b.add_vrrp(ext, 1, vrrp_cfg[1]);
        b.add_vrrp(ext, 2, vrrp_cfg[2]);
        b.add_vrrp(in, 3, vrrp_cfg[3]);
        b.add_owned(ext, {vip51a, ext_mac});
        b.add_owned(ext, {vip51b, ext_mac});
        b.add_owned(ext, {vip52, vmac52});
        b.add_owned(ext, {vip60, ext_mac});
        b.add_virtual_mac(ext, vmac52);
        b.add_owned(in, {vip61, int_mac});
        const std::array<pipeline::next_hop, 9> hops{
            pipeline::next_hop{peer_ip, peer_mac, 0},
            pipeline::next_hop{client_ip, client_mac, 0},
            pipeline::next_hop{gw_ip, gw_mac, 0},
            pipeline::next_hop{int_peer_ip, int_peer_mac, 1},
            pipeline::next_hop{rs_ip[0], rs_mac[0], 1},
            pipeline::next_hop{rs_ip[1], rs_mac[1], 1},
            pipeline::next_hop{rs_ip[2], rs_mac[2], 1},
            pipeline::next_hop{rs_ip[3], rs_mac[3], 1},
            pipeline::next_hop{ipv4_addr{172, 16, 0, 99}, {{0x02, 0, 0, 0, 0, 0x99}}, 1},
        };
        b.set_neighbours(hops);
        b.set_services(services, {1, 1});
        master = b.build();
        b.set_services(services, {0, 0});
        backup = b.build();

        lb::engine_config ec;
        ec.flow_capacity = flow_capacity;
        ec.persistence_capacity = template_capacity;
        ec.seed = 0x5eed;
        for (auto* out : {&engine, &reference}) {
            auto e = lb::engine::create(ec);
            if (!e.ok()) {
                die("fixture: the lb engine cannot be created");
            }
            *out = std::make_unique<lb::engine>(std::move(e).value());
        }
    }

    std::span<const pipeline::port_view> ports() const { return master->ports(); }
    const pipeline::context& context(bool is_backup) const {
        return (is_backup ? backup : master)->ctx();
    }
    // The same context without the snapshot's shortcuts.
    pipeline::context general_context(bool is_backup) const {
        pipeline::context c = context(is_backup);
        c.rs_hops = {};
        c.own_filter = ~std::uint64_t{0};
        return c;
    }
};

// Far enough apart that every flow and template of the previous input has
// expired: 16 records of at most 2^21 ms each, plus the longest timeout.
inline constexpr std::int64_t input_step_ms = 40'000'000;

// A burst of records that share a header (bits 0-3) and a clock, run as
// lib/dataplane/worker.cpp runs a burst: look_ahead() on every frame, then
// prefetch_flow() on every frame, then process() with each frame's
// lookahead, so a frame's lookahead is taken before the frames ahead of it
// in the burst add or remove flows. Each frame also goes, alone, through
// the general path on the reference engine: verdict and bytes must match
// (the shortcuts change only the work, as tests/unit/pipeline/lb_test.cpp
// checks on chosen frames).
struct burst {
    std::uint8_t hdr = 0;
    lb::time_point now{};
    std::vector<std::vector<std::uint8_t>> frames, before;
};

inline bool same_verdict(const pipeline::verdict& a, const pipeline::verdict& b) {
    return a.act == b.act && a.reason == b.reason && a.punt == b.punt && a.detail == b.detail &&
           a.slot == b.slot && a.out_port == b.out_port && a.worker == b.worker &&
           a.rs_slot == b.rs_slot && a.learn == b.learn && a.new_flow == b.new_flow &&
           a.resolve == b.resolve;
}

template <class F>
void run_burst(gateway& g, burst& b, F&& on_frame) {
    pipeline::worker_state ws{.engine = g.engine.get(),
                              .now = b.now,
                              .worker = (b.hdr & hdr_worker1) != 0 ? 1u : 0u,
                              .workers = 2,
                              .handed_off = (b.hdr & hdr_handed_off) != 0};
    const auto port = static_cast<std::uint16_t>(b.hdr & hdr_port1);
    const pipeline::context& ctx = g.context((b.hdr & hdr_backup) != 0);
    std::array<pipeline::lookahead, max_records> la;
    for (std::size_t i = 0; i < b.frames.size(); ++i) {
        pipeline::look_ahead(b.frames[i], ctx, ws, la[i]);
    }
    for (std::size_t i = 0; i < b.frames.size(); ++i) {
        pipeline::prefetch_flow(ws, la[i]);
    }
    pipeline::worker_state ref_ws = ws;
    ref_ws.engine = g.reference.get();
    const pipeline::context ref_ctx = g.general_context((b.hdr & hdr_backup) != 0);
    for (std::size_t i = 0; i < b.frames.size(); ++i) {
        const pipeline::verdict v = pipeline::process(b.frames[i], port, ctx, ws, la[i]);
        std::vector<std::uint8_t> ref_frame = b.before[i];
        const pipeline::verdict rv = pipeline::process(ref_frame, port, ref_ctx, ref_ws);
        if (!same_verdict(v, rv) || ref_frame != b.frames[i]) {
            die("invariant violated: the staged burst and the general path disagree");
        }
        on_frame(std::span<const std::uint8_t>(b.before[i]),
                 std::span<const std::uint8_t>(b.frames[i]), port, v);
    }
    b.frames.clear();
    b.before.clear();
}

// Runs one fuzz input through `g`: the clock jumps by input_step_ms and the
// engine's tables are swept empty first, so the result does not depend on
// earlier inputs. `on_frame(frame_before, frame_after, port, verdict)` is
// called after each record, in record order.
template <class F>
void run_records(gateway& g, std::int64_t& base_ms, const std::uint8_t* data, std::size_t size,
                 F&& on_frame) {
    base_ms += input_step_ms;
    lb::time_point now{std::chrono::milliseconds{base_ms}};
    for (lb::engine* e : {g.engine.get(), g.reference.get()}) {
        (void)e->expire(now, gateway::flow_capacity * 4);
        // Every flow has expired, so the per-real-server connection counts
        // (lc/wlc) must be back to zero and the template table empty: the
        // flow table keeps them in step (flow_table.hpp).
        if (e->flows().size() != 0 || e->templates().size() != 0) {
            die("invariant violated: flows or persistence templates outlived every timeout");
        }
        for (const auto& rs : g.services->all_real_servers()) {
            const lb::rs_counts& c = e->scheduler().counts(rs.slot);
            if (c.active != 0 || c.inactive != 0) {
                die("invariant violated: real-server connection counts not zero without flows");
            }
        }
        // rr/wrr positions back to the start: the same input picks the same
        // real servers whatever ran before it.
        for (const auto& svc : g.services->services()) {
            e->scheduler().mark(svc.slot) = {};
        }
    }

    burst b;
    b.frames.reserve(max_records);
    b.before.reserve(max_records);
    std::size_t pos = 0;
    for (std::size_t rec = 0; rec < max_records && pos < size; ++rec) {
        const std::uint8_t hdr = data[pos++];
        std::size_t len = size - pos;
        if (len >= 2) {
            const std::size_t want = (std::size_t{data[pos]} << 8) | data[pos + 1];
            pos += 2;
            len = std::min(want, size - pos);
        } else {
            pos = size;
            len = 0;
        }
        const unsigned k = hdr >> 4;
        const bool joins = !b.frames.empty() && k == 0 && (hdr & 0x0f) == (b.hdr & 0x0f);
        if (!joins) {
            run_burst(g, b, on_frame);
            now += std::chrono::milliseconds{k == 0 ? 1 : (std::int64_t{1} << (k + 6))};
            b.hdr = hdr;
            b.now = now;
        }
        // An exact-size heap copy: ASan sees any access past the frame.
        b.frames.emplace_back(data + pos, data + pos + len);
        b.before.push_back(b.frames.back());
        pos += len;
    }
    run_burst(g, b, on_frame);
}

} // namespace vipgate::fuzz
