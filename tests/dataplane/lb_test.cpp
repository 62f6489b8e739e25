// Dataplane tests of NAT load balancing: two net_ring ports (ext0 toward
// clients, int0 toward real servers) with one RX/TX ring pair per worker, so
// the test chooses the queue (worker) a frame arrives on and sees which
// worker transmits each frame.

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/json.hpp"
#include "console/commands.hpp"
#include "console/engine.hpp"
#include "control/control_plane.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/shell_impl.hpp"
#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "sync/codec.hpp"
#include "vrrp/advert.hpp"

#include "golden.hpp"

using namespace vipgate;
using namespace std::chrono_literals;

extern rte_mempool* g_test_pool;
int next_ring_seq();

namespace {

const net::ipv4_addr ext_ip{10, 1, 0, 1};
const net::ipv4_addr int_ip{172, 16, 0, 1};
const net::ipv4_addr client{10, 1, 0, 2};
const net::ipv4_addr vip{10, 1, 0, 100};
const net::ipv4_addr rs1{172, 16, 0, 11};
const net::ipv4_addr rs2{172, 16, 0, 12};
const net::mac_addr client_mac{{0x02, 0, 0, 0, 1, 2}};
const net::mac_addr rs1_mac{{0x02, 0, 0, 0, 2, 11}};
const net::mac_addr rs2_mac{{0x02, 0, 0, 0, 2, 12}};

struct out_frame {
    unsigned port;  // 0 ext0, 1 int0
    unsigned queue; // = the worker that sent it
    std::vector<std::uint8_t> bytes;
};

struct lb_rig {
    unsigned workers;
    std::vector<std::vector<rte_ring*>> rx, tx; // [port][queue]
    std::unique_ptr<dataplane::dataplane> dp;
    std::unique_ptr<dataplane::shell_impl> sh;
    std::unique_ptr<control::control_plane> cp;
    config::config cfg;
    net::mac_addr ext_mac, int_mac;

    lb_rig(unsigned n, const std::function<void(config::config&)>& tweak = {}) : workers(n) {
        const char* names[2] = {"ext0", "int0"};
        const net::ipv4_prefix addrs[2] = {{ext_ip, 24}, {int_ip, 24}};
        rx.resize(2);
        tx.resize(2);
        for (unsigned p = 0; p < 2; ++p) {
            int seq = next_ring_seq();
            for (unsigned q = 0; q < n; ++q) {
                std::string s = std::to_string(seq) + "_" + std::to_string(q);
                rx[p].push_back(
                    rte_ring_create(("lrx" + s).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
                tx[p].push_back(
                    rte_ring_create(("ltx" + s).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
            }
            int pid = rte_eth_from_rings(("lb" + std::to_string(seq)).c_str(), rx[p].data(), n,
                                         tx[p].data(), n, 0);
            EXPECT_GE(pid, 0);
            char devname[RTE_ETH_NAME_MAX_LEN] = {};
            rte_eth_dev_get_name_by_port(static_cast<std::uint16_t>(pid), devname);
            config::port_config pc;
            pc.name = names[p];
            pc.device = devname;
            pc.address = addrs[p];
            cfg.ports.push_back(pc);
        }
        cfg.source_file = "<lb test>";
        cfg.dataplane.workers = n;
        cfg.dataplane.mbufs = 4095;
        cfg.dataplane.mbuf_cache = 32;
        cfg.dataplane.idle_sleep = true;
        cfg.dataplane.idle_sleep_us = 20;
        cfg.load_balancing.flows_per_worker = 4096;
        cfg.load_balancing.persistence_templates = 1024;
        cfg.neighbours.static_entries = {{client, client_mac, "ext0", {}},
                                         {rs1, rs1_mac, "int0", {}},
                                         {rs2, rs2_mac, "int0", {}}};
        config::virtual_server_config vs;
        vs.name = "10.1.0.100:80/tcp";
        vs.service.vip = vip;
        vs.service.port = 80;
        vs.service.proto = lb::protocol::tcp;
        vs.service.scheduler = lb::scheduler_kind::rr;
        for (auto a : {rs1, rs2}) {
            config::real_server_entry e;
            e.rs.address = a;
            e.rs.port = 8080;
            e.rs.weight = 1;
            vs.real_servers.push_back(e);
        }
        cfg.virtual_servers.push_back(vs);
        if (tweak) {
            tweak(cfg);
        }
        auto d = dataplane::dataplane::create(cfg);
        if (!d.ok()) {
            ADD_FAILURE() << d.message();
            std::abort();
        }
        dp = std::move(d.value());
        EXPECT_TRUE(dp->start().ok());
        sh = std::make_unique<dataplane::shell_impl>(*dp);
        cp = std::make_unique<control::control_plane>(cfg, *sh);
        auto in = cp->init();
        if (!in.ok()) {
            ADD_FAILURE() << in.message();
            std::abort();
        }
        ext_mac = dp->ports()[0].mac;
        int_mac = dp->ports()[1].mac;
    }
    ~lb_rig() {
        cp.reset();
        dp.reset();
        for (auto& v : rx) {
            for (auto* r : v) {
                rte_ring_free(r);
            }
        }
        for (auto& v : tx) {
            for (auto* r : v) {
                rte_ring_free(r);
            }
        }
    }

    void inject(unsigned port, unsigned queue, const std::vector<std::uint8_t>& f) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_test_pool);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(),
                    f.size());
        ASSERT_EQ(rte_ring_sp_enqueue(rx[port][queue], m), 0);
    }

    // Everything transmitted within `d` (the control core runs meanwhile).
    std::vector<out_frame> collect(std::chrono::milliseconds d, std::size_t stop_after = SIZE_MAX) {
        std::vector<out_frame> out;
        auto end = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < end && out.size() < stop_after) {
            cp->run_once(1ms);
            for (unsigned p = 0; p < 2; ++p) {
                for (unsigned q = 0; q < workers; ++q) {
                    rte_mbuf* m = nullptr;
                    while (rte_ring_sc_dequeue(tx[p][q], reinterpret_cast<void**>(&m)) == 0) {
                        out.push_back({p, q,
                                       std::vector<std::uint8_t>(
                                           rte_pktmbuf_mtod(m, std::uint8_t*),
                                           rte_pktmbuf_mtod(m, std::uint8_t*) + m->data_len)});
                        rte_pktmbuf_free(m);
                    }
                }
            }
        }
        return out;
    }

    std::uint64_t drops(pipeline::drop_reason r) const {
        std::uint64_t n = 0;
        for (unsigned w = 0; w < dp->worker_count(); ++w) {
            n += dp->stats(w).drop[static_cast<std::size_t>(r)].get();
        }
        return n;
    }
};

std::vector<std::uint8_t> tcp_frame(const net::mac_addr& dst_mac, const net::mac_addr& src_mac,
                                    net::ipv4_addr src, std::uint16_t sport, net::ipv4_addr dst,
                                    std::uint16_t dport, std::uint8_t flags) {
    static const std::uint8_t payload[] = {'h', 'e', 'l', 'l', 'o'};
    std::vector<std::uint8_t> f(200);
    f.resize(net::build_tcp_frame(f, {.dst = dst_mac, .src = src_mac}, {.src = src, .dst = dst},
                                  {.src_port = sport,
                                   .dst_port = dport,
                                   .seq = 1000,
                                   .ack = 1,
                                   .flags = flags,
                                   .payload = payload}));
    return f;
}

struct tcp_fields {
    net::mac_addr eth_dst, eth_src;
    net::ipv4_addr src, dst;
    std::uint16_t sport = 0, dport = 0;
    bool ip_ok = false, tcp_ok = false;
};

tcp_fields fields(const std::vector<std::uint8_t>& f) {
    tcp_fields r;
    net::packet_meta m;
    if (net::parse(f, m) != pipeline::drop_reason::none || m.ip_proto != net::ip_proto_tcp) {
        return r;
    }
    std::span<const std::uint8_t> s(f);
    net::eth_cview eth(s.first(14));
    r.eth_dst = eth.dst();
    r.eth_src = eth.src();
    r.src = m.src;
    r.dst = m.dst;
    r.sport = m.src_port;
    r.dport = m.dst_port;
    r.ip_ok = net::checksum_ok(s.subspan(m.l3_offset, std::size_t{m.l4_offset} - m.l3_offset));
    r.tcp_ok = net::tcp_checksum_ok(m.src, m.dst, s.subspan(m.l4_offset, m.l4_len));
    return r;
}

} // namespace

TEST(LoadBalancing, SynIsNattedToARealServerAndTheReplyBackToTheVip) {
    lb_rig r(1);
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40000, vip, 80, net::tcp_flag_syn));
    auto out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, 1u) << "forward leaves on the real servers' port";
    auto f = fields(out[0].bytes);
    EXPECT_TRUE(f.ip_ok);
    EXPECT_TRUE(f.tcp_ok);
    EXPECT_EQ(f.src, client);
    EXPECT_EQ(f.sport, 40000);
    EXPECT_TRUE(f.dst == rs1 || f.dst == rs2);
    EXPECT_EQ(f.dport, 8080);
    EXPECT_EQ(f.eth_dst, f.dst == rs1 ? rs1_mac : rs2_mac);
    EXPECT_EQ(f.eth_src, r.int_mac);
    const net::ipv4_addr chosen = f.dst;

    // The real server answers the client directly (vipgate is its gateway).
    r.inject(1, 0,
             tcp_frame(r.int_mac, chosen == rs1 ? rs1_mac : rs2_mac, chosen, 8080, client, 40000,
                       net::tcp_flag_syn | net::tcp_flag_ack));
    out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, 0u);
    f = fields(out[0].bytes);
    EXPECT_TRUE(f.ip_ok);
    EXPECT_TRUE(f.tcp_ok);
    EXPECT_EQ(f.src, vip);
    EXPECT_EQ(f.sport, 80);
    EXPECT_EQ(f.dst, client);
    EXPECT_EQ(f.dport, 40000);
    EXPECT_EQ(f.eth_dst, client_mac);
    EXPECT_EQ(f.eth_src, r.ext_mac);

    json flows = r.cp->report_flows();
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0]["client"].get<std::string>(), "10.1.0.2:40000");
    EXPECT_EQ(flows[0]["virtual"].get<std::string>(), "10.1.0.100:80");
}

TEST(LoadBalancing, RoundRobinSpreadsNewFlowsEvenly) {
    lb_rig r(1);
    for (std::uint16_t i = 0; i < 10; ++i) {
        r.inject(0, 0,
                 tcp_frame(r.ext_mac, client_mac, client, static_cast<std::uint16_t>(41000 + i),
                           vip, 80, net::tcp_flag_syn));
    }
    auto out = r.collect(2000ms, 10);
    ASSERT_EQ(out.size(), 10u);
    std::map<std::uint32_t, int> per_rs;
    for (const auto& o : out) {
        ++per_rs[fields(o.bytes).dst.value];
    }
    EXPECT_EQ(per_rs[rs1.value], 5);
    EXPECT_EQ(per_rs[rs2.value], 5);
    // show virtual-servers counts the packets per real server.
    r.collect(50ms);
    json vs = r.cp->report_virtual_servers();
    std::uint64_t pk = 0;
    for (const auto& rs : vs[0]["real_servers"]) {
        pk += rs["packets"].get<std::uint64_t>();
    }
    EXPECT_EQ(pk, 10u);
}

TEST(LoadBalancing, OtherTrafficIsDroppedAndCounted) {
    lb_rig r(1);
    // No service on port 81, nor for UDP; a reply from a real server with no flow.
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40000, vip, 81, net::tcp_flag_syn));
    r.inject(1, 0, tcp_frame(r.int_mac, rs1_mac, rs1, 8080, client, 40001, net::tcp_flag_ack));
    // Mid-connection segment without a flow (sloppy_tcp off).
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40002, vip, 80, net::tcp_flag_ack));
    EXPECT_TRUE(r.collect(300ms).empty());
    EXPECT_EQ(r.drops(pipeline::drop_reason::no_service), 1u);
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_reply_no_flow), 1u);
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_tcp_not_syn), 1u);
}

TEST(LoadBalancing, BackupDropsVirtualServiceTraffic) {
    lb_rig r(1, [](config::config& c) {
        config::vrrp_instance_config v;
        v.port = "ext0";
        v.vrrp.name = "VI_1";
        v.vrrp.vrid = 7;
        v.vrrp.priority = 100;
        v.vrrp.version = 3;
        v.vrrp.advert_int = 1s; // stays BACKUP for the test's duration (Master_Down ~3.6 s)
        v.vrrp.virtual_addresses = {vip};
        c.vrrp_instances.push_back(v);
    });
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40000, vip, 80, net::tcp_flag_syn));
    EXPECT_TRUE(r.collect(300ms).empty());
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_backup), 1u);
}

TEST(LoadBalancing, FullTableRefusesNewFlowsWhileEstablishedOnesFlow) {
    lb_rig r(1, [](config::config& c) { c.load_balancing.flows_per_worker = 4; });
    for (std::uint16_t i = 0; i < 5; ++i) {
        r.inject(0, 0,
                 tcp_frame(r.ext_mac, client_mac, client, static_cast<std::uint16_t>(42000 + i),
                           vip, 80, net::tcp_flag_syn));
    }
    auto out = r.collect(1000ms, 4);
    r.collect(100ms);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_flow_table_full), 1u);
    // The first flow still goes through.
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 42000, vip, 80, net::tcp_flag_ack));
    out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(fields(out[0].bytes).sport, 42000);
}

class LoadBalancingWorkers : public ::testing::TestWithParam<unsigned> {};

TEST_P(LoadBalancingWorkers, BothDirectionsOfEveryFlowAreHandledByItsOwner) {
    const unsigned n = GetParam();
    lb_rig r(n);
    const int flows = 24;
    std::map<std::uint16_t, unsigned> fwd_worker; // client port -> worker that sent the forward
    std::map<std::uint16_t, net::ipv4_addr> rs_of;
    for (int i = 0; i < flows; ++i) {
        auto port = static_cast<std::uint16_t>(43000 + i);
        // Arrive on any queue: the owner is not the receiver in general.
        r.inject(0, static_cast<unsigned>(i) % n,
                 tcp_frame(r.ext_mac, client_mac, client, port, vip, 80, net::tcp_flag_syn));
    }
    auto out = r.collect(3000ms, flows);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(flows));
    for (const auto& o : out) {
        auto f = fields(o.bytes);
        fwd_worker[f.sport] = o.queue;
        rs_of[f.sport] = f.dst;
    }
    // Replies arrive on yet another queue.
    for (int i = 0; i < flows; ++i) {
        auto port = static_cast<std::uint16_t>(43000 + i);
        net::ipv4_addr rs = rs_of[port];
        r.inject(1, static_cast<unsigned>(i + 1) % n,
                 tcp_frame(r.int_mac, rs == rs1 ? rs1_mac : rs2_mac, rs, 8080, client, port,
                           net::tcp_flag_syn | net::tcp_flag_ack));
    }
    out = r.collect(3000ms, flows);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(flows));
    for (const auto& o : out) {
        auto f = fields(o.bytes);
        EXPECT_EQ(f.src, vip);
        EXPECT_TRUE(f.tcp_ok);
        EXPECT_EQ(o.queue, fwd_worker[f.dport])
            << "reply of flow " << f.dport << " not sent by its owner";
    }
    std::uint64_t handoffs = 0;
    for (unsigned w = 0; w < n; ++w) {
        handoffs += r.dp->stats(w).handoffs_out.get();
    }
    if (n > 1) {
        EXPECT_GT(handoffs, 0u) << "frames arriving on other queues must be handed off";
    } else {
        EXPECT_EQ(handoffs, 0u);
    }
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_handoff_ring_full), 0u);
}

INSTANTIATE_TEST_SUITE_P(Workers, LoadBalancingWorkers, ::testing::Values(1u, 2u, 3u));

// NIC steering (docs/load-balancing.md, "The owner function and NIC
// steering"): net_ring has no rte_flow, so with a power-of-two worker count
// the ports fall back with the PMD's refusal, otherwise with the reason no
// rule set exists; `show ports` says which. One worker: nothing to steer.
TEST(Steering, RingPortsFallBackToRssAndHandoffAndSaySo) {
    const struct {
        unsigned workers;
        control::steering_mode mode;
        std::string text_starts;
    } rows[] = {
        {1, control::steering_mode::none, "none (one worker)"},
        {2, control::steering_mode::rss_handoff,
         "rss+handoff (net_ring refused rule 1 of 6: rte_flow_validate: "},
        {3, control::steering_mode::rss_handoff, "rss+handoff (3 workers is not a power of two"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::to_string(row.workers) + " workers");
        lb_rig r(row.workers);
        for (const auto& p : r.dp->ports()) {
            EXPECT_EQ(p.steering.mode, row.mode) << p.name;
            EXPECT_EQ(p.steering.rules, 0u);
        }
        const auto j = r.cp->report_ports();
        ASSERT_EQ(j.size(), 2u);
        for (const auto& port : j) {
            const auto text = port["steering"].get<std::string>();
            EXPECT_EQ(text.rfind(row.text_starts, 0), 0u) << text;
        }
    }
}

TEST(LoadBalancing, HealthCheckTakesASilentServerOutAndBackIn) {
    lb_rig r(1, [](config::config& c) {
        c.virtual_servers[0].delay_loop = 200ms;
        for (auto& rs : c.virtual_servers[0].real_servers) {
            config::tcp_check_config chk;
            chk.delay_loop = 200ms;
            chk.connect_timeout = 100ms;
            chk.retry = 1;
            chk.delay_before_retry = 100ms;
            rs.check = chk;
        }
    });
    // rs1 answers every probe with a SYN-ACK; rs2 is silent until rs2_alive.
    int syns_rs1 = 0, syns_rs2 = 0, rsts = 0;
    bool rs2_alive = false;
    auto answer = [&](const std::vector<out_frame>& out) {
        for (const auto& o : out) {
            net::packet_meta m;
            if (net::parse(o.bytes, m) != pipeline::drop_reason::none ||
                m.ip_proto != net::ip_proto_tcp) {
                continue;
            }
            std::span<const std::uint8_t> s(o.bytes);
            net::tcp_cview t(s.subspan(m.l4_offset, 20));
            EXPECT_EQ(m.src, int_ip) << "probes come from the port address";
            EXPECT_GE(m.src_port, pipeline::probe_port_first);
            EXPECT_LE(m.src_port, pipeline::probe_port_last);
            if (t.flags() & net::tcp_flag_rst) {
                ++rsts;
                continue;
            }
            ASSERT_EQ(t.flags(), net::tcp_flag_syn);
            if (m.dst == rs1 || (m.dst == rs2 && rs2_alive)) {
                ++(m.dst == rs1 ? syns_rs1 : syns_rs2);
                std::vector<std::uint8_t> f(200);
                f.resize(net::build_tcp_frame(
                    f, {.dst = r.int_mac, .src = m.dst == rs1 ? rs1_mac : rs2_mac},
                    {.src = m.dst, .dst = int_ip},
                    {.src_port = m.dst_port,
                     .dst_port = m.src_port,
                     .seq = 77,
                     .ack = t.seq() + 1,
                     .flags = net::tcp_flag_syn | net::tcp_flag_ack}));
                r.inject(1, 0, f);
            } else if (m.dst == rs2) {
                ++syns_rs2;
            }
        }
    };
    auto state_of = [&](net::ipv4_addr a) {
        const json vs = r.cp->report_virtual_servers(); // keep the temporary alive
        for (const auto& x : vs[0]["real_servers"]) {
            if (x["address"].get<std::string>() == a.to_string()) {
                return x["state"].get<std::string>();
            }
        }
        return std::string("?");
    };
    auto end = std::chrono::steady_clock::now() + 3s;
    // Checkers start with a random warm-up: wait for both to have run.
    while (std::chrono::steady_clock::now() < end &&
           (state_of(rs2) != "down" || syns_rs1 == 0 || rsts == 0)) {
        answer(r.collect(20ms));
    }
    EXPECT_EQ(state_of(rs2), "down") << "silent server not taken out";
    EXPECT_EQ(state_of(rs1), "up");
    EXPECT_GE(syns_rs1, 1);
    // keepalived: before its first completed check a server goes DOWN on the
    // first failure (no retries yet).
    EXPECT_GE(syns_rs2, 1);
    EXPECT_GE(rsts, 1) << "a SYN-ACK is answered with a RST";
    // New flows now all go to rs1.
    for (std::uint16_t i = 0; i < 6; ++i) {
        r.inject(0, 0,
                 tcp_frame(r.ext_mac, client_mac, client, static_cast<std::uint16_t>(44000 + i),
                           vip, 80, net::tcp_flag_syn));
    }
    int to_rs1 = 0, to_rs2 = 0;
    auto t2 = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < t2 && to_rs1 + to_rs2 < 6) {
        for (const auto& o : r.collect(20ms)) {
            auto f = fields(o.bytes);
            if (f.dport == 8080 && f.sport >= 44000 && f.sport < 44006) {
                (f.dst == rs1 ? to_rs1 : to_rs2)++;
            }
        }
    }
    EXPECT_EQ(to_rs1, 6);
    EXPECT_EQ(to_rs2, 0);
    json h = r.cp->report_health();
    ASSERT_EQ(h.size(), 2u);
    // rs2 comes back: one successful probe brings it up (keepalived).
    rs2_alive = true;
    end = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < end && state_of(rs2) != "up") {
        answer(r.collect(20ms));
    }
    EXPECT_EQ(state_of(rs2), "up") << "server did not come back";
}

TEST(Reload, EstablishedFlowsKeepTheirRealServerWhenOneIsAdded) {
    lb_rig r(1);
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 45000, vip, 80, net::tcp_flag_syn));
    auto out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    const net::ipv4_addr first = fields(out[0].bytes).dst;

    config::config next = r.cfg;
    const net::ipv4_addr rs3{172, 16, 0, 13};
    config::real_server_entry e;
    e.rs.address = rs3;
    e.rs.port = 8080;
    e.rs.weight = 1;
    next.virtual_servers[0].real_servers.push_back(e);
    next.neighbours.static_entries.push_back(
        {rs3, net::mac_addr{{0x02, 0, 0, 0, 2, 13}}, "int0", {}});
    auto rr = r.cp->reload(next);
    ASSERT_TRUE(rr.ok()) << rr.message();
    EXPECT_NE(rr->find("1 added"), std::string::npos) << *rr;

    // The established flow stays on its real server, through ten reloads.
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(r.cp->reload(next).ok());
        r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 45000, vip, 80, net::tcp_flag_ack));
        out = r.collect(1000ms, 1);
        ASSERT_EQ(out.size(), 1u) << "reload " << i;
        EXPECT_EQ(fields(out[0].bytes).dst, first);
    }
    // New flows reach the new real server too.
    bool seen_rs3 = false;
    for (std::uint16_t i = 0; i < 6; ++i) {
        r.inject(0, 0,
                 tcp_frame(r.ext_mac, client_mac, client, static_cast<std::uint16_t>(45100 + i),
                           vip, 80, net::tcp_flag_syn));
    }
    for (const auto& o : r.collect(1000ms, 6)) {
        if (fields(o.bytes).dst == rs3) {
            seen_rs3 = true;
        }
    }
    EXPECT_TRUE(seen_rs3);
}

TEST(Reload, FlowsOfARemovedRealServerDrain) {
    lb_rig r(1);
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 46000, vip, 80, net::tcp_flag_syn));
    auto out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    const net::ipv4_addr used = fields(out[0].bytes).dst;
    config::config next = r.cfg;
    auto& rss = next.virtual_servers[0].real_servers;
    rss.erase(
        std::remove_if(rss.begin(), rss.end(), [&](const auto& e) { return e.rs.address == used; }),
        rss.end());
    auto rr = r.cp->reload(next);
    ASSERT_TRUE(rr.ok()) << rr.message();
    EXPECT_NE(rr->find("1 removed"), std::string::npos) << *rr;
    // Both directions of the established flow still work...
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 46000, vip, 80, net::tcp_flag_ack));
    out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(fields(out[0].bytes).dst, used);
    r.inject(1, 0,
             tcp_frame(r.int_mac, used == rs1 ? rs1_mac : rs2_mac, used, 8080, client, 46000,
                       net::tcp_flag_ack));
    out = r.collect(1000ms, 1);
    ASSERT_EQ(out.size(), 1u) << "reply of a draining server's flow dropped";
    EXPECT_EQ(fields(out[0].bytes).src, vip);
    // ... and it is shown as draining, with no new flows.
    json vs = r.cp->report_virtual_servers();
    bool draining = false;
    for (const auto& x : vs[0]["real_servers"]) {
        if (x["address"].get<std::string>() == used.to_string()) {
            draining = x["state"].get<std::string>() == "draining";
        }
    }
    EXPECT_TRUE(draining);
    for (std::uint16_t i = 0; i < 4; ++i) {
        r.inject(0, 0,
                 tcp_frame(r.ext_mac, client_mac, client, static_cast<std::uint16_t>(46100 + i),
                           vip, 80, net::tcp_flag_syn));
    }
    for (const auto& o : r.collect(1000ms, 4)) {
        EXPECT_NE(fields(o.bytes).dst, used);
    }
}

TEST(Reload, ChangesThatNeedARestartAreRefusedAndNothingChanges) {
    lb_rig r(1);
    config::config next = r.cfg;
    next.ports[0].address = {net::ipv4_addr{10, 1, 0, 5}, 24};
    next.virtual_servers[0].real_servers.pop_back();
    auto rr = r.cp->reload(next);
    ASSERT_FALSE(rr.ok());
    EXPECT_NE(rr.message().find("restart"), std::string::npos) << rr.message();
    // Both real servers are still there.
    json vs = r.cp->report_virtual_servers();
    EXPECT_EQ(vs[0]["real_servers"].size(), 2u);
}

TEST(Reload, UnchangedVrrpInstanceKeepsItsStateAndTimers) {
    lb_rig r(1, [](config::config& c) {
        config::vrrp_instance_config v;
        v.port = "ext0";
        v.vrrp.name = "VI_1";
        v.vrrp.vrid = 9;
        v.vrrp.priority = 255;
        v.vrrp.version = 3;
        v.vrrp.advert_int = 100ms;
        v.vrrp.virtual_addresses = {vip};
        c.vrrp_instances.push_back(v);
    });
    r.collect(300ms);
    json before = r.cp->report_vrrp("VI_1")[0];
    ASSERT_EQ(before["state"].get<std::string>(), "MASTER");
    auto rr = r.cp->reload(r.cfg);
    ASSERT_TRUE(rr.ok()) << rr.message();
    EXPECT_NE(rr->find("1 kept"), std::string::npos) << *rr;
    r.collect(300ms);
    json after = r.cp->report_vrrp("VI_1")[0];
    EXPECT_EQ(after["state"].get<std::string>(), "MASTER");
    EXPECT_EQ(after["transitions"].size(), before["transitions"].size())
        << "no spurious transition";
    EXPECT_GT(after["adverts_sent"].get<std::uint64_t>(),
              before["adverts_sent"].get<std::uint64_t>())
        << "counters kept";
    // A changed priority restarts the instance.
    config::config next = r.cfg;
    next.vrrp_instances[0].vrrp.priority = 200;
    rr = r.cp->reload(next);
    ASSERT_TRUE(rr.ok());
    EXPECT_NE(rr->find("1 started"), std::string::npos) << *rr;
}

// ------------------------------------------------------------ golden replies --

namespace {

// Every `show ... json` reply, in a state where every report has content:
// a MASTER and a BACKUP VRRP instance, a virtual service with one healthy and
// one failed (checked) real server, two flows, static and learnt neighbours,
// a drop. Timers are long enough that nothing more happens during the test,
// so the counters are exact.
void golden_config(config::config& c) {
    config::vrrp_instance_config v;
    v.port = "ext0";
    v.vrrp.name = "VI_1";
    v.vrrp.vrid = 51;
    v.vrrp.priority = 255; // owner: MASTER at once
    v.vrrp.version = 3;
    v.vrrp.advert_int = 10s;
    v.vrrp.garp_master_delay = 0s;
    v.vrrp.virtual_addresses = {vip};
    c.vrrp_instances.push_back(v);
    v.port = "int0";
    v.vrrp.name = "VI_2";
    v.vrrp.vrid = 52;
    v.vrrp.priority = 100; // BACKUP for 3 * 5 s
    v.vrrp.version = 2;
    v.vrrp.advert_int = 5s;
    v.vrrp.auth = vrrp::auth_kind::pass;
    v.vrrp.auth_pass = "secret12";
    v.vrrp.virtual_addresses = {net::ipv4_addr{172, 16, 0, 100}};
    c.vrrp_instances.push_back(v);
    c.virtual_servers[0].delay_loop = 60s;
    for (auto& rs : c.virtual_servers[0].real_servers) {
        config::tcp_check_config chk;
        chk.delay_loop = 60s;     // one probe each during the test
        chk.connect_timeout = 1s; // rs1 answers well within it even on a busy machine
        chk.retry = 1;
        chk.delay_before_retry = 1s;
        rs.check = chk;
    }
}

// Answers rs1's health probes with a SYN-ACK; rs2 stays silent. Returns the
// number of probes answered.
int answer_rs1_probes(lb_rig& r, const std::vector<out_frame>& out) {
    int n = 0;
    for (const auto& o : out) {
        net::packet_meta m;
        if (net::parse(o.bytes, m) != pipeline::drop_reason::none ||
            m.ip_proto != net::ip_proto_tcp || m.dst != rs1 || m.src != int_ip) {
            continue;
        }
        std::span<const std::uint8_t> s(o.bytes);
        net::tcp_cview t(s.subspan(m.l4_offset, 20));
        if (t.flags() != net::tcp_flag_syn) {
            continue;
        }
        std::vector<std::uint8_t> f(200);
        f.resize(net::build_tcp_frame(f, {.dst = r.int_mac, .src = rs1_mac},
                                      {.src = rs1, .dst = int_ip},
                                      {.src_port = m.dst_port,
                                       .dst_port = m.src_port,
                                       .seq = 77,
                                       .ack = t.seq() + 1,
                                       .flags = net::tcp_flag_syn | net::tcp_flag_ack}));
        r.inject(1, 0, f);
        ++n;
    }
    return n;
}

// Each `show ... json` command: its golden file, the pattern it exercises
// (as `help` prints it), the command run, and for its table form (the command
// without `json`) what varies between runs there: each regular expression's
// match (on one line) is replaced, keeping the columns aligned.
struct golden_command {
    std::string file, pattern, command;
    std::vector<std::pair<std::string, std::string>> text_masks;
};
const std::vector<golden_command> golden_commands = {
    {"show_ports",
     "show ports [json]",
     "show ports json",
     {{R"(^(\w+0)  \d+ +)", "$1  <id>     "}}},
    {"show_port_stats_all",
     "show port stats all [json]",
     "show port stats all json",
     {{R"(for port \S+ +\()", "for port <id> ("}}},
    {"show_lcores",
     "show lcores [json]",
     "show lcores json",
     // polls, busy_pct, idle_sleeps: the 9th to 11th columns.
     {{R"(^((?:\S+ +){8})polls +busy_pct +idle_sleeps +)", "$1polls  busy_pct  idle_sleeps  "},
      {R"(^((?:\d+ +){8})\d+ +[0-9.]+ +\d+ +)", "$1<n>    <n>       <n>          "}}},
    {"show_stats",
     "show stats [json]",
     "show stats json",
     {{R"(since clear \d+ s ago)", "since clear <n> s ago"}}},
    {"show_arp", "show arp [json]", "show arp json", {{R"((reachable  )\d+ +)", "$1<n>    "}}},
    {"show_info", "show info [json]", "show info json", {{R"(^(uptime_s: +)\d+)", "$1<n>"}}},
    {"show_vrrp",
     "show vrrp [json]",
     "show vrrp json",
     // VI_2's down_in: between 10 and 15.6 s, always 9 characters.
     {{R"(^(VI_2 .* 5000\.0ms +)\d{5}\.\dms)", "$1<down_in>"}}},
    {"show_vrrp_NAME",
     "show vrrp <name> [json]",
     "show vrrp VI_2 json",
     {{R"(^(time_to_master_down_s: +)[0-9.]+ ms)", "$1<n> ms"},
      {R"(^  [0-9.]+ s ago:)", "  <n> s ago:"}}},
    {"show_virtual_servers", "show virtual-servers [json]", "show virtual-servers json", {}},
    {"show_health", "show health [json]", "show health json", {}},
    {"show_sync", "show sync [json]", "show sync json", {}},
    {"show_scripts", "show scripts [json]", "show scripts json", {}},
    {"show_flows", "show flows [json]", "show flows json", {{R"((SYN_RECV  )[0-9.]+$)", "$1<s>"}}},
    {"show_flows_limit_N",
     "show flows limit <N> [json]",
     "show flows limit 1 json",
     {{R"((SYN_RECV  )[0-9.]+$)", "$1<s>"}}},
    {"show_flows_VIP",
     "show flows <vip:port> [json]",
     "show flows 10.1.0.100:80 json",
     {{R"((SYN_RECV  )[0-9.]+$)", "$1<s>"}}},
    {"show_flows_VIP_limit_N",
     "show flows <vip:port> limit <N> [json]",
     "show flows 10.1.0.100:80 limit 1 json",
     {{R"((SYN_RECV  )[0-9.]+$)", "$1<s>"}}},
};

// The rig of the golden tests once its state has settled, and the console.
struct golden_rig {
    lb_rig r{1, golden_config};
    console::engine eng;
    test::golden_mask mask;

    golden_rig() {
        console::register_commands(eng, *r.cp);
        // Wall-clock ages, running timers, worker-loop timing, and the port
        // ids (ring ports made by earlier tests shift them).
        mask.keys = {"uptime_s",
                     "since_s",
                     "age_s",
                     "ago_s",
                     "health_since_s",
                     "expires_s",
                     "time_to_master_down_s",
                     "polls",
                     "busy_pct",
                     "idle_sleeps",
                     "port_id"};
        // net_ring ports may share one MAC (they do in DPDK 22.11): one
        // placeholder.
        mask.values = {{r.ext_mac.to_string(), "<port mac>"},
                       {r.int_mac.to_string(), "<port mac>"},
                       {r.cfg.ports[0].device, "<ext0 device>"},
                       {r.cfg.ports[1].device, "<int0 device>"}};
    }

    // Both checkers probe once (first probe within 1.2 s): rs1 answers, rs2
    // times out after connect_timeout and goes DOWN. Then two flows (both to
    // rs1: rs2 is down), a packet for no service, a learnt neighbour.
    bool settle() {
        int answered = 0;
        auto end = std::chrono::steady_clock::now() + 8s;
        auto health_done = [&] {
            json h = r.cp->report_health();
            return answered == 1 && h.size() == 2 && h[0]["successes"].get<std::uint64_t>() == 1 &&
                   h[1]["timeouts"].get<std::uint64_t>() == 1;
        };
        while (std::chrono::steady_clock::now() < end && !health_done()) {
            answered += answer_rs1_probes(r, r.collect(10ms));
        }
        if (!health_done()) {
            return false;
        }
        for (std::uint16_t p : {std::uint16_t{40000}, std::uint16_t{40001}}) {
            r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, p, vip, 80, net::tcp_flag_syn));
        }
        r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40002, vip, 81, net::tcp_flag_syn));
        std::vector<std::uint8_t> arp(64);
        arp.resize(net::build_arp_reply(arp, net::mac_addr{{0x02, 0, 0, 0, 1, 7}},
                                        net::ipv4_addr{10, 1, 0, 7}, r.ext_mac, ext_ip));
        r.inject(0, 0, arp);
        if (r.collect(1000ms, 2).size() != 2) {
            return false;
        }
        r.collect(100ms); // the punted ARP reply is learnt, counters settle
        return true;
    }
};

} // namespace

TEST(Golden, EveryShowJsonReply) {
    golden_rig g;
    ASSERT_TRUE(g.settle()) << "health checks or flows did not settle";
    // Every command that takes `json` has a golden file, and no other.
    std::set<std::string> want, have;
    for (const auto& c : g.eng.commands()) {
        if (c.json_ok) {
            want.insert(c.usage());
        }
    }
    for (const auto& c : golden_commands) {
        have.insert(c.pattern);
    }
    EXPECT_EQ(want, have);
    for (const auto& c : golden_commands) {
        auto rep = g.eng.execute(c.command);
        ASSERT_TRUE(rep.ok) << c.command << ": " << rep.text;
        std::string diff = test::check_golden(c.file + ".json", test::mask_reply(rep.text, g.mask));
        EXPECT_TRUE(diff.empty()) << c.command << ": " << diff;
    }
}

// The same commands without `json`: the tables people read.
TEST(Golden, EveryShowTextReply) {
    golden_rig g;
    ASSERT_TRUE(g.settle()) << "health checks or flows did not settle";
    for (const auto& c : golden_commands) {
        const std::string cmd = c.command.substr(0, c.command.size() - 5); // no " json"
        auto rep = g.eng.execute(cmd);
        ASSERT_TRUE(rep.ok) << cmd << ": " << rep.text;
        test::golden_mask m = g.mask;
        m.patterns = c.text_masks;
        std::string diff = test::check_golden(c.file + ".txt", test::mask_text(rep.text, m));
        EXPECT_TRUE(diff.empty()) << cmd << ": " << diff;
    }
}

// ------------------------------------------------------ flow-state sync --

namespace {

void with_sync(config::config& c) {
    config::sync_config s;
    s.port = "ext0";
    s.id = 42;
    c.sync = s;
}

// The flow records of the sync messages (UDP to 224.0.0.84:8847) among `out`.
std::vector<sync::flow_record> synced_flows(const std::vector<out_frame>& out) {
    std::vector<sync::flow_record> got;
    for (const auto& f : out) {
        net::packet_meta m;
        if (f.port != 0 || net::parse(f.bytes, m) != pipeline::drop_reason::none ||
            m.ip_proto != net::ip_proto_udp || m.dst != net::ipv4_addr{224, 0, 0, 84} ||
            m.dst_port != 8847) {
            continue;
        }
        const auto msg = std::span<const std::uint8_t>(f.bytes).subspan(
            m.l4_offset + net::udp_header_len, m.l4_len - net::udp_header_len);
        sync::decoded d;
        if (sync::decode(msg, {}, d) != sync::reason::none) {
            continue;
        }
        sync::record_reader rd(d);
        sync::record r;
        while (rd.next(r)) {
            if (const auto* fr = std::get_if<sync::flow_record>(&r)) {
                got.push_back(*fr);
            }
        }
    }
    return got;
}

} // namespace

// A half-open flow is not announced (a SYN flood stays off the sync
// channel); its handshake's last ACK sends it whole, as a flow_state record.
TEST(FlowSync, AnEstablishedFlowIsSentToThePeersNotAHalfOpenOne) {
    lb_rig r(2, with_sync);
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40000, vip, 80, net::tcp_flag_syn));
    EXPECT_TRUE(synced_flows(r.collect(200ms)).empty());
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 40000, vip, 80, net::tcp_flag_ack));
    auto flows = synced_flows(r.collect(300ms));
    ASSERT_GE(flows.size(), 1u);
    // Then at most the refresh sweep's record of the same flow.
    for (std::size_t i = 1; i < flows.size(); ++i) {
        EXPECT_EQ(flows[i].type, sync::record_type::flow_refresh);
        EXPECT_EQ(flows[i].client_port, 40000);
    }
    EXPECT_EQ(flows[0].type, sync::record_type::flow_state);
    EXPECT_EQ(flows[0].client, client);
    EXPECT_EQ(flows[0].client_port, 40000);
    EXPECT_EQ(flows[0].vip, vip);
    EXPECT_EQ(flows[0].vport, 80);
    EXPECT_TRUE(flows[0].rs == rs1 || flows[0].rs == rs2);
    EXPECT_EQ(flows[0].state, lb::flow_state::established);
    auto reply = r.cp->report_sync();
    EXPECT_TRUE(reply["enabled"].get<bool>());
    EXPECT_GE(reply["workers"]["events"].get<std::uint64_t>(), 1u);
}

// A peer's record is installed on the owner worker: a mid-connection segment
// of that flow (no SYN: without the record it is dropped as lb_tcp_not_syn)
// is forwarded to the record's real server, whichever worker receives it.
TEST(FlowSync, APeersFlowIsInstalledAndForwarded) {
    lb_rig r(2, with_sync);
    const net::ipv4_addr peer{10, 1, 0, 9};
    const net::ipv4_addr c2{10, 1, 0, 3};
    std::array<std::uint8_t, 1500> buf{};
    sync::encoder enc(buf, buf.size());
    ASSERT_TRUE(
        enc.add(sync::flow_record{sync::record_type::flow_add, c2, vip, rs2, 50000, 80, 8080,
                                  lb::protocol::tcp, lb::flow_state::established, 60000}));
    sync::header h;
    h.node = peer.value;
    h.sync_id = 42;
    h.epoch = 7;
    h.seq = 1;
    h.oldest = 1;
    const std::size_t n = enc.finish(h);
    ASSERT_GT(n, 0u);
    std::vector<std::uint8_t> f(1600);
    f.resize(net::build_udp_frame(
        f,
        {.dst = net::mac_addr{{0x01, 0, 0x5e, 0, 0, 0x54}},
         .src = net::mac_addr{{2, 0, 0, 0, 1, 9}}},
        {.src = peer, .dst = net::ipv4_addr{224, 0, 0, 84}, .ttl = 255},
        {.src_port = 8847, .dst_port = 8847, .payload = std::span(buf.data(), n)}));
    r.inject(0, 0, f);
    r.collect(300ms);
    auto rep = r.cp->report_sync();
    EXPECT_EQ(rep["received"]["installs_queued"].get<std::uint64_t>(), 1u) << dump_json(rep, 2);
    for (unsigned q = 0; q < 2; ++q) {
        r.inject(0, q, tcp_frame(r.ext_mac, client_mac, c2, 50000, vip, 80, net::tcp_flag_ack));
        auto out = r.collect(1000ms, 1);
        std::vector<out_frame> fwd;
        std::copy_if(out.begin(), out.end(), std::back_inserter(fwd),
                     [](const out_frame& o) { return o.port == 1; });
        ASSERT_EQ(fwd.size(), 1u) << "queue " << q;
        auto ff = fields(fwd[0].bytes);
        EXPECT_EQ(ff.dst, rs2);
        EXPECT_EQ(ff.dport, 8080);
    }
    EXPECT_EQ(r.drops(pipeline::drop_reason::lb_tcp_not_syn), 0u);
}

// A peer's bulk request: the workers walk their tables and the whole table
// goes out in bulk-flagged messages, then the completion marker.
TEST(FlowSync, ABulkRequestGetsEveryFlowThenTheMarker) {
    lb_rig r(2, with_sync);
    for (std::uint16_t p = 41000; p < 41003; ++p) {
        r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, p, vip, 80, net::tcp_flag_syn));
        r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, p, vip, 80, net::tcp_flag_ack));
    }
    // And one half-open flow: not announced, so not in the bulk either.
    r.inject(0, 0, tcp_frame(r.ext_mac, client_mac, client, 41003, vip, 80, net::tcp_flag_syn));
    r.collect(200ms);
    const net::ipv4_addr peer{10, 1, 0, 9};
    std::array<std::uint8_t, 1500> buf{};
    sync::encoder enc(buf, buf.size());
    ASSERT_TRUE(enc.add(sync::bulk_request_record{ext_ip.value, 5}));
    sync::header h;
    h.node = peer.value;
    h.sync_id = 42;
    h.epoch = 7;
    h.seq = 1;
    h.oldest = 1;
    const std::size_t n = enc.finish(h);
    std::vector<std::uint8_t> f(1600);
    f.resize(net::build_udp_frame(
        f,
        {.dst = net::mac_addr{{0x01, 0, 0x5e, 0, 0, 0x54}},
         .src = net::mac_addr{{2, 0, 0, 0, 1, 9}}},
        {.src = peer, .dst = net::ipv4_addr{224, 0, 0, 84}, .ttl = 255},
        {.src_port = 8847, .dst_port = 8847, .payload = std::span(buf.data(), n)}));
    r.inject(0, 0, f);
    std::set<std::uint16_t> bulk_ports;
    std::optional<sync::bulk_end_record> end;
    for (const auto& o : r.collect(500ms)) {
        net::packet_meta m;
        if (o.port != 0 || net::parse(o.bytes, m) != pipeline::drop_reason::none ||
            m.ip_proto != net::ip_proto_udp || m.dst_port != 8847) {
            continue;
        }
        sync::decoded d;
        if (sync::decode(std::span<const std::uint8_t>(o.bytes).subspan(
                             m.l4_offset + net::udp_header_len, m.l4_len - net::udp_header_len),
                         {}, d) != sync::reason::none) {
            continue;
        }
        sync::record_reader rd(d);
        sync::record rec;
        while (rd.next(rec)) {
            if (const auto* fr = std::get_if<sync::flow_record>(&rec);
                fr != nullptr && (d.hdr.flags & sync::flag_bulk) != 0) {
                bulk_ports.insert(fr->client_port);
            } else if (const auto* e = std::get_if<sync::bulk_end_record>(&rec)) {
                end = *e;
            }
        }
    }
    EXPECT_EQ(bulk_ports, (std::set<std::uint16_t>{41000, 41001, 41002}));
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->target, peer.value);
    EXPECT_EQ(end->bulk_id, 5u);
    EXPECT_EQ(end->records, 3u);
}
