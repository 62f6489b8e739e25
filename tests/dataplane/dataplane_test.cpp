// Dataplane tests: the real worker loop and control core on EAL, with ports
// made of rte_rings (net_ring) so the test injects frames and reads what
// vipgate transmits. EAL runs with --no-huge --no-shconf and a unique
// --file-prefix; it can be initialised once per process, hence one binary
// with its own main().

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/json.hpp"
#include "console/client.hpp"
#include "console/commands.hpp"
#include "console/control_socket.hpp"
#include "control/control_plane.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/shell_impl.hpp"
#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "pipeline/snapshot.hpp"
#include "vrrp/advert.hpp"

#include <functional>

using namespace vipgate;
using namespace std::chrono_literals;

rte_mempool* g_test_pool = nullptr;
static int g_ring_seq = 0;
int next_ring_seq() {
    return 1000 + g_ring_seq++;
}

namespace {

const net::ipv4_addr port_ip{10, 0, 0, 1};
const net::ipv4_addr client_ip{10, 0, 0, 2};
const net::mac_addr client_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

// One vipgate instance on one net_ring port, with a control plane.
struct rig {
    rte_ring* to_port = nullptr;      // test -> port RX
    rte_ring* from_port = nullptr;    // port TX -> test
    rte_ring* from_control = nullptr; // TX queue 1 (the control core's), with control_queue
    std::unique_ptr<dataplane::dataplane> dp;
    std::unique_ptr<dataplane::shell_impl> sh;
    std::unique_ptr<control::control_plane> cp;
    config::config cfg;
    net::mac_addr mac;

    explicit rig(std::uint32_t retry_ms = 50,
                 const std::function<void(config::config&)>& tweak = {},
                 bool control_queue = false) {
        int seq = g_ring_seq++;
        std::string name = "net_ring_t" + std::to_string(seq);
        to_port = rte_ring_create(("rx" + std::to_string(seq)).c_str(), 1024, 0,
                                  RING_F_SP_ENQ | RING_F_SC_DEQ);
        from_port = rte_ring_create(("tx" + std::to_string(seq)).c_str(), 1024, 0,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
        EXPECT_NE(to_port, nullptr);
        EXPECT_NE(from_port, nullptr);
        rte_ring* tx[2] = {from_port, nullptr};
        if (control_queue) {
            from_control = rte_ring_create(("cx" + std::to_string(seq)).c_str(), 1024, 0,
                                           RING_F_SP_ENQ | RING_F_SC_DEQ);
            EXPECT_NE(from_control, nullptr);
            tx[1] = from_control;
        }
        int pid = rte_eth_from_rings(name.c_str(), &to_port, 1, tx, control_queue ? 2 : 1, 0);
        EXPECT_GE(pid, 0) << rte_strerror(rte_errno);
        char devname[RTE_ETH_NAME_MAX_LEN] = {};
        rte_eth_dev_get_name_by_port(static_cast<std::uint16_t>(pid), devname);
        name = devname; // rte_eth_from_rings prefixes "net_ring_"

        cfg.source_file = "<test>";
        config::port_config p;
        p.name = "ext0";
        p.device = name;
        p.address = {port_ip, 24};
        cfg.ports.push_back(p);
        cfg.dataplane.workers = 1;
        cfg.dataplane.mbufs = 2047;
        cfg.dataplane.mbuf_cache = 32;
        cfg.dataplane.idle_sleep = true; // share the CPUs politely
        cfg.dataplane.idle_sleep_us = 20;
        cfg.neighbours.retry_interval_ms = retry_ms;
        cfg.neighbours.retries = 3;
        if (tweak) {
            tweak(cfg);
        }
        auto d = dataplane::dataplane::create(cfg);
        if (!d.ok()) {
            ADD_FAILURE() << d.message();
            std::abort(); // nothing below can work without a dataplane
        }
        dp = std::move(d.value());
        auto s = dp->start();
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.message());
        sh = std::make_unique<dataplane::shell_impl>(*dp);
        cp = std::make_unique<control::control_plane>(cfg, *sh);
        auto in = cp->init();
        if (!in.ok()) {
            ADD_FAILURE() << in.message();
            std::abort();
        }
        mac = dp->ports()[0].mac;
    }
    ~rig() {
        cp.reset();
        dp.reset();
        rte_ring_free(to_port);
        rte_ring_free(from_port);
        rte_ring_free(from_control);
    }

    void inject(const std::vector<std::uint8_t>& frame) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_test_pool);
        ASSERT_NE(m, nullptr);
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
        ASSERT_NE(p, nullptr);
        std::memcpy(p, frame.data(), frame.size());
        ASSERT_EQ(rte_ring_sp_enqueue(to_port, m), 0);
    }

    // Next transmitted frame, or empty after `timeout`.
    std::vector<std::uint8_t> receive(std::chrono::milliseconds timeout = 2000ms,
                                      bool run_control = false) {
        auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            rte_mbuf* m = nullptr;
            if (rte_ring_sc_dequeue(from_port, reinterpret_cast<void**>(&m)) == 0) {
                std::vector<std::uint8_t> out(rte_pktmbuf_mtod(m, std::uint8_t*),
                                              rte_pktmbuf_mtod(m, std::uint8_t*) + m->data_len);
                rte_pktmbuf_free(m);
                return out;
            }
            if (run_control) {
                cp->run_once(1ms);
            } else {
                std::this_thread::sleep_for(100us);
            }
        }
        return {};
    }

    // Wait until the worker has taken `n` packets off its RX queue.
    bool wait_rx(std::uint64_t n, std::chrono::milliseconds timeout = 2000ms) {
        auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            if (dp->stats(0).rx_packets.get() >= n) {
                return true;
            }
            std::this_thread::sleep_for(200us);
        }
        return false;
    }

    std::uint64_t drops(pipeline::drop_reason r) const {
        return dp->stats(0).drop[static_cast<std::size_t>(r)].get();
    }
};

std::vector<std::uint8_t> arp_request_for(net::ipv4_addr target) {
    std::vector<std::uint8_t> f(64);
    std::size_t n = net::build_arp_request(f, client_mac, client_ip, target);
    f.resize(n);
    return f;
}

} // namespace

TEST(Dataplane, ArpRequestForPortAddressGetsReply) {
    rig r;
    r.inject(arp_request_for(port_ip));
    auto out = r.receive();
    ASSERT_FALSE(out.empty()) << "no ARP reply transmitted";
    net::packet_meta meta;
    ASSERT_EQ(net::parse(out, meta), pipeline::drop_reason::none);
    ASSERT_EQ(meta.ethertype, net::ethertype_arp);
    net::eth_cview eth(std::span<const std::uint8_t>(out).first(net::eth_header_len));
    EXPECT_EQ(eth.dst(), client_mac);
    EXPECT_EQ(eth.src(), r.mac);
    net::arp_cview arp(std::span<const std::uint8_t>(out).subspan(meta.l3_offset, net::arp_len));
    EXPECT_EQ(arp.op(), net::arp_op_reply);
    EXPECT_EQ(arp.sha(), r.mac);
    EXPECT_EQ(arp.spa(), port_ip);
    EXPECT_EQ(arp.tha(), client_mac);
    EXPECT_EQ(arp.tpa(), client_ip);
    EXPECT_EQ(r.dp->stats(0).replies.get(), 1u);
}

TEST(Dataplane, ArpRequestForOtherAddressIsDroppedAndCounted) {
    rig r;
    r.inject(arp_request_for(net::ipv4_addr{10, 0, 0, 99}));
    ASSERT_TRUE(r.wait_rx(1));
    EXPECT_TRUE(r.receive(200ms).empty());
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(r.drops(pipeline::drop_reason::arp_not_owned), 1u);
}

TEST(Dataplane, IcmpEchoGetsReplyWithValidChecksums) {
    rig r;
    std::vector<std::uint8_t> payload(56);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<std::uint8_t>(i);
    }
    std::vector<std::uint8_t> f(200);
    std::size_t n = net::build_icmp_echo_frame(f, {.dst = r.mac, .src = client_mac},
                                               {.src = client_ip, .dst = port_ip, .ttl = 61},
                                               {.id = 0x1234, .seq = 7, .payload = payload});
    ASSERT_GT(n, 0u);
    f.resize(n);
    r.inject(f);
    auto out = r.receive();
    ASSERT_EQ(out.size(), f.size());
    net::packet_meta meta;
    ASSERT_EQ(net::parse(out, meta), pipeline::drop_reason::none) << "reply does not parse";
    EXPECT_EQ(meta.ip_proto, net::ip_proto_icmp);
    EXPECT_EQ(meta.src, port_ip);
    EXPECT_EQ(meta.dst, client_ip);
    std::span<const std::uint8_t> o(out);
    EXPECT_TRUE(net::checksum_ok(o.subspan(meta.l3_offset, 20))) << "IPv4 header checksum";
    auto icmp = o.subspan(meta.l4_offset, meta.l4_len);
    EXPECT_TRUE(net::checksum_ok(icmp)) << "ICMP checksum";
    net::icmp_cview ic(icmp.first(net::icmp_header_len));
    EXPECT_EQ(ic.type(), net::icmp_type_echo_reply);
    EXPECT_EQ(ic.id(), 0x1234);
    EXPECT_EQ(ic.seq(), 7);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), icmp.begin() + 8));
}

TEST(Dataplane, TruncatedAndGarbageFramesAreDroppedAndCounted) {
    rig r;
    auto good = arp_request_for(port_ip);
    std::uint64_t injected = 0;
    // Every truncation of a valid ARP request, then random garbage.
    for (std::size_t len = 1; len < 42; ++len) {
        r.inject(std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<long>(len)));
        ++injected;
    }
    std::uint32_t x = 12345;
    for (int i = 0; i < 300; ++i) {
        std::vector<std::uint8_t> g(static_cast<std::size_t>(14 + (i * 7) % 200));
        for (auto& b : g) {
            x = x * 1103515245u + 12345u;
            b = static_cast<std::uint8_t>(x >> 16);
        }
        r.inject(g);
        ++injected;
        if (i % 100 == 99) {
            ASSERT_TRUE(r.wait_rx(injected)); // do not overflow the 1024-entry ring
        }
    }
    ASSERT_TRUE(r.wait_rx(injected));
    std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(r.receive(100ms).empty()) << "a malformed frame was answered";
    const auto& st = r.dp->stats(0);
    EXPECT_EQ(st.drops.get(), injected);
    EXPECT_GE(r.drops(pipeline::drop_reason::eth_truncated), 13u);
    EXPECT_GE(r.drops(pipeline::drop_reason::arp_truncated), 1u);
    // Still alive: a good request is answered after the storm.
    r.inject(good);
    EXPECT_FALSE(r.receive().empty());
}

TEST(Dataplane, ArpReplyIsPuntedAndLearnt) {
    rig r;
    std::vector<std::uint8_t> f(64);
    f.resize(net::build_arp_reply(f, client_mac, client_ip, r.mac, port_ip));
    r.inject(f);
    auto end = std::chrono::steady_clock::now() + 2s;
    while (r.cp->neighbours().find(client_ip) == nullptr &&
           std::chrono::steady_clock::now() < end) {
        r.cp->run_once(1ms);
    }
    const auto* e = r.cp->neighbours().find(client_ip);
    ASSERT_NE(e, nullptr) << "neighbour not learnt";
    EXPECT_EQ(e->mac, client_mac);
    EXPECT_EQ(e->st, neigh::state::reachable);
    EXPECT_EQ(r.dp->stats(0).punts.get(), 1u);
}

// The control core reads a punted ARP with the workers' parser, tag or not.
TEST(Dataplane, TaggedArpReplyIsPuntedAndLearnt) {
    for (const std::uint16_t tpid : {net::ethertype_vlan, net::ethertype_qinq}) {
        SCOPED_TRACE(tpid);
        rig r;
        std::vector<std::uint8_t> f(80);
        f.resize(net::build_arp_frame(
            f, {.dst = r.mac, .src = client_mac, .vlan_tci = 0x0123, .vlan_tpid = tpid},
            {.op = net::arp_op_reply,
             .sha = client_mac,
             .spa = client_ip,
             .tha = r.mac,
             .tpa = port_ip}));
        r.inject(f);
        auto end = std::chrono::steady_clock::now() + 2s;
        while (r.cp->neighbours().find(client_ip) == nullptr &&
               std::chrono::steady_clock::now() < end) {
            r.cp->run_once(1ms);
        }
        const auto* e = r.cp->neighbours().find(client_ip);
        ASSERT_NE(e, nullptr) << "neighbour not learnt";
        EXPECT_EQ(e->mac, client_mac);
        EXPECT_EQ(r.dp->stats(0).punts.get(), 1u);
        EXPECT_EQ(r.cp->counters().arp_malformed, 0u);
    }
}

// An answered ARP request teaches the requester's address (RFC 826), read
// from the verdict whatever the tag. The worker once re-read it at an
// offset that only knew the 802.1Q TPID: an 802.1ad-tagged request taught
// 0.0.0.2 (the tail of the requester's MAC), which was never learnt.
TEST(Dataplane, AnsweredArpRequestLearnsTheRequesterWhateverTheTag) {
    const struct {
        const char* name;
        std::optional<std::uint16_t> tci;
        std::uint16_t tpid;
    } cases[] = {
        {"untagged", std::nullopt, net::ethertype_vlan},
        {"802.1q", 0x0064, net::ethertype_vlan},
        {"802.1ad", 0x0abc, net::ethertype_qinq},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        rig r;
        std::vector<std::uint8_t> f(80);
        f.resize(net::build_arp_frame(
            f,
            {.dst = net::mac_addr::broadcast(),
             .src = client_mac,
             .vlan_tci = c.tci,
             .vlan_tpid = c.tpid,
             .pad_to_min = true},
            {.op = net::arp_op_request, .sha = client_mac, .spa = client_ip, .tpa = port_ip}));
        r.inject(f);
        ASSERT_FALSE(r.receive().empty()) << "no ARP reply transmitted";
        auto end = std::chrono::steady_clock::now() + 2s;
        while (r.cp->neighbours().find(client_ip) == nullptr &&
               std::chrono::steady_clock::now() < end) {
            r.cp->run_once(1ms);
        }
        const auto* e = r.cp->neighbours().find(client_ip);
        ASSERT_NE(e, nullptr) << "requester not learnt";
        EXPECT_EQ(e->mac, client_mac);
        EXPECT_EQ(r.dp->stats(0).punts.get(), 0u) << "learnt from the notice, not a punt";
    }
}

TEST(Dataplane, PuntsAreRateLimitedPerWorker) {
    rig r(50, [](config::config& c) { c.dataplane.punt_rate_arp = 5; });
    for (int i = 0; i < 50; ++i) {
        std::vector<std::uint8_t> f(64);
        f.resize(net::build_arp_reply(f, client_mac,
                                      net::ipv4_addr{10, 0, 0, static_cast<std::uint8_t>(10 + i)},
                                      r.mac, port_ip));
        r.inject(f);
    }
    ASSERT_TRUE(r.wait_rx(50));
    std::this_thread::sleep_for(5ms);
    const auto& st = r.dp->stats(0);
    // One second's worth (5) banked; the flood is cut off, counted.
    EXPECT_LE(st.punts.get(), 6u);
    EXPECT_GE(r.drops(pipeline::drop_reason::punt_rate_limited), 44u);
    EXPECT_EQ(st.punts.get() + r.drops(pipeline::drop_reason::punt_rate_limited), 50u);
}

TEST(Dataplane, ResolutionSendsArpRequestsThenFails) {
    rig r(20);
    ASSERT_TRUE(r.cp->resolve(net::ipv4_addr{10, 0, 0, 77}).ok());
    int requests = 0;
    auto end = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < end && requests < 3) {
        auto out = r.receive(100ms, true);
        if (out.empty()) {
            continue;
        }
        net::packet_meta meta;
        ASSERT_EQ(net::parse(out, meta), pipeline::drop_reason::none);
        ASSERT_EQ(meta.ethertype, net::ethertype_arp);
        EXPECT_EQ(meta.arp_op, net::arp_op_request);
        EXPECT_EQ(meta.src, port_ip);
        EXPECT_EQ(meta.dst, (net::ipv4_addr{10, 0, 0, 77}));
        ++requests;
    }
    EXPECT_EQ(requests, 3);
    // No answer: after the retries the entry is failed.
    end = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < end &&
           r.cp->neighbours().find(net::ipv4_addr{10, 0, 0, 77})->st != neigh::state::failed) {
        r.cp->run_once(1ms);
    }
    EXPECT_EQ(r.cp->neighbours().find(net::ipv4_addr{10, 0, 0, 77})->st, neigh::state::failed);
    EXPECT_FALSE(r.cp->resolve(net::ipv4_addr{192, 168, 1, 1}).ok()) << "outside every subnet";
}

// A port with a TX queue to spare gives the control core its own: ARP
// requests (like adverts, GARPs and probes) leave on it, not through worker
// 0, while the worker's replies stay on queue 0.
TEST(Dataplane, ControlCoreSendsOnItsOwnTxQueueWhenThePortHasOne) {
    {
        rig r(20, {}, true);
        ASSERT_EQ(r.dp->ports()[0].control_queue, 1);
        ASSERT_TRUE(r.cp->resolve(net::ipv4_addr{10, 0, 0, 77}).ok());
        rte_mbuf* m = nullptr;
        auto end = std::chrono::steady_clock::now() + 2s;
        while (std::chrono::steady_clock::now() < end &&
               rte_ring_sc_dequeue(r.from_control, reinterpret_cast<void**>(&m)) != 0) {
            r.cp->run_once(1ms);
        }
        ASSERT_NE(m, nullptr) << "no ARP request on the control core's TX queue";
        std::vector<std::uint8_t> out(rte_pktmbuf_mtod(m, std::uint8_t*),
                                      rte_pktmbuf_mtod(m, std::uint8_t*) + m->data_len);
        rte_pktmbuf_free(m);
        net::packet_meta meta;
        ASSERT_EQ(net::parse(out, meta), pipeline::drop_reason::none);
        EXPECT_EQ(meta.arp_op, net::arp_op_request);
        EXPECT_EQ(meta.dst, (net::ipv4_addr{10, 0, 0, 77}));
        EXPECT_EQ(r.dp->stats(0).control_tx.get(), 0u)
            << "worker 0 sent nothing for the control core";
        EXPECT_EQ(r.dp->control_tx_pending(), 0u);
        // The worker still answers on its own queue.
        r.inject(arp_request_for(port_ip));
        auto reply = r.receive();
        ASSERT_FALSE(reply.empty());
        ASSERT_EQ(net::parse(reply, meta), pipeline::drop_reason::none);
        EXPECT_EQ(meta.arp_op, net::arp_op_reply);
    }
    // Without a spare queue (the other tests), worker 0 sends them.
    rig plain;
    EXPECT_EQ(plain.dp->ports()[0].control_queue, -1);
}

TEST(Dataplane, ResolutionCompletesWhenTheNeighbourAnswers) {
    rig r;
    ASSERT_TRUE(r.cp->resolve(client_ip).ok());
    auto req = r.receive(1000ms, true);
    ASSERT_FALSE(req.empty());
    std::vector<std::uint8_t> f(64);
    f.resize(net::build_arp_reply(f, client_mac, client_ip, r.mac, port_ip));
    r.inject(f);
    auto end = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < end &&
           r.cp->neighbours().find(client_ip)->st != neigh::state::reachable) {
        r.cp->run_once(1ms);
    }
    EXPECT_EQ(r.cp->neighbours().find(client_ip)->st, neigh::state::reachable);
    EXPECT_EQ(r.cp->neighbours().find(client_ip)->mac, client_mac);
}

TEST(Dataplane, PublishedSnapshotChangesWhatIsOwned) {
    rig r;
    const net::ipv4_addr extra{10, 0, 0, 150};
    r.inject(arp_request_for(extra));
    ASSERT_TRUE(r.wait_rx(1));
    EXPECT_TRUE(r.receive(100ms).empty());
    // The control core publishes a snapshot that owns one more address
    // (what VRRP does for a VIP when it becomes master).
    pipeline::snapshot_builder b;
    for (const auto& p : r.dp->ports()) {
        b.add_port(p.mac, p.cfg.address, p.cfg.gateway.value_or(net::ipv4_addr{}));
    }
    b.add_owned(0, {extra, r.mac});
    b.set_generation(r.dp->current().generation() + 1);
    r.dp->publish(b.build());
    r.inject(arp_request_for(extra));
    auto out = r.receive();
    ASSERT_FALSE(out.empty());
    net::packet_meta meta;
    ASSERT_EQ(net::parse(out, meta), pipeline::drop_reason::none);
    EXPECT_EQ(meta.src, extra); // spa of the reply
    // The old snapshot is reclaimed once the worker went quiescent.
    for (int i = 0; i < 100; ++i) {
        r.cp->run_once(1ms);
    }
}

TEST(Dataplane, ControlSocketAnswersCommands) {
    rig r;
    console::engine eng;
    console::register_commands(eng, *r.cp);
    console::control_socket sock(*r.cp, eng);
    std::string path = "/tmp/vipgate-dptest-" + std::to_string(getpid()) + ".sock";
    ASSERT_TRUE(sock.open(path).ok());
    // A second server on the same path is refused.
    console::control_socket second(*r.cp, eng);
    EXPECT_FALSE(second.open(path).ok());

    r.inject(arp_request_for(port_ip));
    ASSERT_FALSE(r.receive().empty());

    std::vector<result<console::client_reply>> replies;
    std::thread client([&] {
        replies.push_back(console::send_command(path, "show port stats all json"));
        replies.push_back(console::send_command(path, "show lcores json"));
        replies.push_back(console::send_command(path, "show bogus"));
        replies.push_back(console::send_command(path, "show stats json"));
    });
    auto end = std::chrono::steady_clock::now() + 5s;
    while (replies.size() < 4 && std::chrono::steady_clock::now() < end) {
        r.cp->run_once(1ms);
    }
    client.join();
    ASSERT_EQ(replies.size(), 4u);
    for (auto& rep : replies) {
        ASSERT_TRUE(rep.ok()) << rep.message();
    }

    json j;
    ASSERT_TRUE(replies[0]->ok);
    ASSERT_NO_THROW(j = json::parse(replies[0]->text)) << replies[0]->text;
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["name"].get<std::string>(), "ext0");
    EXPECT_GE(j[0]["rx_packets"].get<std::uint64_t>(), 1u);
    EXPECT_GE(j[0]["tx_packets"].get<std::uint64_t>(), 1u);

    ASSERT_NO_THROW(j = json::parse(replies[1]->text));
    EXPECT_EQ(j[0]["replies"].get<std::uint64_t>(), 1u);

    EXPECT_FALSE(replies[2]->ok);
    EXPECT_NE(replies[2]->text.find("unknown command"), std::string::npos);

    ASSERT_NO_THROW(j = json::parse(replies[3]->text));
    EXPECT_NE(find(j["drops"], "arp_not_owned"), nullptr);
    sock.close();
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "socket file left behind";
}

TEST(Dataplane, ClearStatsRestartsCountersFromZero) {
    rig r;
    r.inject(arp_request_for(net::ipv4_addr{10, 0, 0, 99}));
    ASSERT_TRUE(r.wait_rx(1));
    std::this_thread::sleep_for(5ms);
    json s = r.cp->report_stats();
    EXPECT_EQ(s["drops"]["arp_not_owned"].get<std::uint64_t>(), 1u);
    r.cp->clear_stats();
    s = r.cp->report_stats();
    EXPECT_EQ(s["drops"]["arp_not_owned"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(s["drops_total"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(r.cp->report_lcores()[0]["rx_packets"].get<std::uint64_t>(), 0u);
}

// ---------------------------------------------------------------- VRRP --

namespace {

const net::ipv4_addr vip{10, 0, 0, 100};
const net::ipv4_addr peer_ip{10, 0, 0, 3};
const net::mac_addr peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}};

void add_vrrp(config::config& c, std::uint8_t prio, std::uint8_t version,
              std::chrono::microseconds adv, bool pass = false) {
    config::vrrp_instance_config v;
    v.port = "ext0";
    v.vrrp.name = "VI_1";
    v.vrrp.vrid = 51;
    v.vrrp.priority = prio;
    v.vrrp.version = version;
    v.vrrp.advert_int = adv;
    v.vrrp.virtual_addresses = {vip};
    if (pass) {
        v.vrrp.auth = vrrp::auth_kind::pass;
        v.vrrp.auth_pass = "secret12";
    }
    c.vrrp_instances.push_back(v);
}

// A VRRP advert frame from the peer.
std::vector<std::uint8_t> peer_advert(std::uint8_t version, std::uint8_t prio,
                                      std::uint8_t ttl = 255, const char* pass = nullptr,
                                      std::uint8_t adv_s = 1) {
    vrrp::advert a;
    a.vrid = 51;
    a.priority = prio;
    if (version == 3) {
        a.interval = vrrp::v3_advert_int{10};
    } else {
        a.interval = vrrp::v2_advert_int{adv_s};
        if (pass) {
            a.auth_type = 1;
            for (std::size_t i = 0; i < 8 && pass[i]; ++i) {
                a.auth_data[i] = static_cast<std::uint8_t>(pass[i]);
            }
        }
    }
    (void)a.addresses.push_back(vip);
    std::uint8_t payload[64];
    std::size_t n = vrrp::encode(a, peer_ip, net::ipv4_addr{224, 0, 0, 18}, payload);
    std::vector<std::uint8_t> f(128);
    f.resize(net::build_ipv4_frame(
        f, {.dst = net::mac_addr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}}, .src = peer_mac},
        {.src = peer_ip, .dst = net::ipv4_addr{224, 0, 0, 18}, .ttl = ttl, .tos = 0xc0},
        net::ip_proto_vrrp, std::span<const std::uint8_t>(payload, n)));
    return f;
}

struct captured {
    std::vector<std::uint8_t> bytes;
    std::chrono::steady_clock::time_point at;
};

// Run the control core for `d`, collecting every transmitted frame.
std::vector<captured> run_and_capture(rig& r, std::chrono::milliseconds d,
                                      const std::function<void()>& every_ms = {}) {
    std::vector<captured> out;
    auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
        r.cp->run_once(1ms);
        if (every_ms) {
            every_ms();
        }
        rte_mbuf* m = nullptr;
        while (rte_ring_sc_dequeue(r.from_port, reinterpret_cast<void**>(&m)) == 0) {
            out.push_back(
                {std::vector<std::uint8_t>(rte_pktmbuf_mtod(m, std::uint8_t*),
                                           rte_pktmbuf_mtod(m, std::uint8_t*) + m->data_len),
                 std::chrono::steady_clock::now()});
            rte_pktmbuf_free(m);
        }
    }
    return out;
}

bool is_vrrp(const std::vector<std::uint8_t>& f, net::packet_meta& meta) {
    return net::parse(f, meta) == pipeline::drop_reason::none &&
           meta.ethertype == net::ethertype_ipv4 && meta.ip_proto == net::ip_proto_vrrp;
}

bool is_garp_for(const std::vector<std::uint8_t>& f, net::ipv4_addr a) {
    net::packet_meta meta;
    return net::parse(f, meta) == pipeline::drop_reason::none &&
           meta.ethertype == net::ethertype_arp && meta.src == a && meta.dst == a;
}

std::string vrrp_state(rig& r) {
    return r.cp->report_vrrp("VI_1")[0]["state"].get<std::string>();
}

} // namespace

TEST(Vrrp, OwnerBecomesMasterSendsGarpsAndAdvertsAtAdvertInt) {
    rig r(50, [](config::config& c) { add_vrrp(c, 255, 3, 100ms); });
    auto frames = run_and_capture(r, 1050ms);
    EXPECT_EQ(vrrp_state(r), "MASTER");
    std::vector<std::chrono::steady_clock::time_point> adverts;
    int garps = 0;
    for (const auto& c : frames) {
        net::packet_meta meta;
        if (is_garp_for(c.bytes, vip)) {
            ++garps;
            continue;
        }
        if (!is_vrrp(c.bytes, meta)) {
            continue;
        }
        std::span<const std::uint8_t> f(c.bytes);
        net::ipv4_cview ip(f.subspan(meta.l3_offset, 20));
        EXPECT_EQ(ip.ttl(), 255);
        EXPECT_EQ(ip.tos(), 0xc0);
        EXPECT_EQ(meta.src, port_ip);
        EXPECT_EQ(meta.dst, (net::ipv4_addr{224, 0, 0, 18}));
        net::eth_cview eth(f.first(14));
        EXPECT_EQ(eth.dst(), (net::mac_addr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}}));
        EXPECT_EQ(eth.src(), r.mac);
        vrrp::advert a;
        auto res = vrrp::decode(f.subspan(meta.l4_offset, meta.l4_len), meta.src, meta.dst,
                                {.expected_version = 3, .ip_ttl = ip.ttl(), .check_ttl = true}, a);
        ASSERT_TRUE(res.ok()) << vrrp::reject_reason_name(res.reason);
        EXPECT_EQ(res.form, vrrp::checksum_form::pseudo_header);
        EXPECT_EQ(a.vrid, 51);
        EXPECT_EQ(a.priority, 255);
        ASSERT_EQ(a.addresses.size(), 1u);
        EXPECT_EQ(*a.addresses.begin(), vip);
        adverts.push_back(c.at);
    }
    EXPECT_EQ(garps, 5) << "keepalived sends garp_master_repeat (5) GARPs per VIP at once";
    // 100 ms adverts for ~1 s: about 10. The bounds are loose on purpose
    // (a protocol check, not a benchmark: CI machines are noisy); the
    // median gap must still be the advert interval.
    ASSERT_GE(adverts.size(), 7u);
    ASSERT_LE(adverts.size(), 13u);
    std::vector<long> gaps;
    for (std::size_t i = 1; i < adverts.size(); ++i) {
        gaps.push_back(static_cast<long>(
            std::chrono::duration_cast<std::chrono::microseconds>(adverts[i] - adverts[i - 1])
                .count()));
    }
    std::sort(gaps.begin(), gaps.end());
    EXPECT_GT(gaps[gaps.size() / 2], 90'000);
    EXPECT_LT(gaps[gaps.size() / 2], 115'000);
}

TEST(Vrrp, ArpForVipAnsweredOnlyAsMaster) {
    rig r(50, [](config::config& c) { add_vrrp(c, 100, 3, 100ms); });
    // A higher-priority peer keeps us backup.
    auto peer = [&r] {
        static auto last = std::chrono::steady_clock::now() - 1s;
        if (std::chrono::steady_clock::now() - last >= 50ms) {
            r.inject(peer_advert(3, 200));
            last = std::chrono::steady_clock::now();
        }
    };
    run_and_capture(r, 600ms, peer);
    EXPECT_EQ(vrrp_state(r), "BACKUP");
    r.inject(arp_request_for(vip));
    auto frames = run_and_capture(r, 100ms, peer);
    for (const auto& c : frames) {
        net::packet_meta meta;
        ASSERT_FALSE(net::parse(c.bytes, meta) == pipeline::drop_reason::none &&
                     meta.ethertype == net::ethertype_arp && meta.arp_op == net::arp_op_reply)
            << "backup answered ARP for the VIP";
    }
    // The peer goes silent: after Master_Down_Interval we take over.
    frames = run_and_capture(r, 600ms);
    EXPECT_EQ(vrrp_state(r), "MASTER");
    r.inject(arp_request_for(vip));
    frames = run_and_capture(r, 100ms);
    bool answered = false;
    for (const auto& c : frames) {
        net::packet_meta meta;
        if (net::parse(c.bytes, meta) == pipeline::drop_reason::none &&
            meta.ethertype == net::ethertype_arp && meta.arp_op == net::arp_op_reply &&
            meta.src == vip) {
            answered = true;
        }
    }
    EXPECT_TRUE(answered) << "master did not answer ARP for the VIP";
}

TEST(Vrrp, InvalidAdvertsAreCountedByReason) {
    rig r(50, [](config::config& c) { add_vrrp(c, 100, 2, 1s, true); });
    r.inject(peer_advert(2, 200, 64, "secret12"));     // bad TTL
    r.inject(peer_advert(2, 200, 255, "wrong!!!"));    // bad password
    r.inject(peer_advert(2, 200, 255, "secret12", 2)); // interval mismatch
    r.inject(peer_advert(3, 200));                     // version mismatch
    r.inject(peer_advert(2, 200, 255, "secret12"));    // valid
    run_and_capture(r, 200ms);
    json v = r.cp->report_vrrp("VI_1")[0];
    EXPECT_EQ(v["rejected"]["bad_ttl"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(v["rejected"]["auth_mismatch"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(v["rejected"]["interval_mismatch"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(v["rejected"]["version_mismatch"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(v["rejected_total"].get<std::uint64_t>(), 4u);
    EXPECT_EQ(v["adverts_received"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(v["master_address"].get<std::string>(), peer_ip.to_string());
    EXPECT_EQ(v["last_rejected"]["source"].get<std::string>(), peer_ip.to_string());
}

TEST(Vrrp, ShutdownSendsPriorityZero) {
    rig r(50, [](config::config& c) { add_vrrp(c, 255, 3, 100ms); });
    run_and_capture(r, 150ms);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.cp->shutdown_protocols();
    bool zero = false;
    for (const auto& c : run_and_capture(r, 50ms)) {
        net::packet_meta meta;
        if (!is_vrrp(c.bytes, meta)) {
            continue;
        }
        std::span<const std::uint8_t> f(c.bytes);
        vrrp::advert a;
        if (vrrp::decode(f.subspan(meta.l4_offset, meta.l4_len), meta.src, meta.dst,
                         {.expected_version = 3, .ip_ttl = 255, .check_ttl = true}, a)
                .ok() &&
            a.priority == 0) {
            zero = true;
        }
    }
    EXPECT_TRUE(zero) << "no priority-0 advert on shutdown";
}

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    spdlog::set_level(spdlog::level::warn);
    std::string prefix = "vg-dptest-" + std::to_string(getpid());
    unsigned cpus = std::thread::hardware_concurrency();
    // Four lcores (control + up to three workers) mapped onto the CPUs there
    // are: the multi-worker tests need them, the CPUs are shared politely
    // (idle_sleep).
    std::string lcores = cpus >= 2 ? "0@0,1@1,2@0,3@1" : "0@0,1@0,2@0,3@0";
    std::vector<std::string> eal = {
        "dataplane_test", "--no-huge", "--no-shconf", "-m",   "256",         "--file-prefix",
        prefix,           "--no-pci",  "--lcores",    lcores, "--log-level", "lib.eal:warning",
        "--no-telemetry"};
    std::vector<char*> av;
    for (auto& a : eal) {
        av.push_back(a.data());
    }
    if (rte_eal_init(static_cast<int>(av.size()), av.data()) < 0) {
        std::fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    g_test_pool = rte_pktmbuf_pool_create("test_pool", 4095, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (g_test_pool == nullptr) {
        std::fprintf(stderr, "test pool: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    int rc = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return rc;
}
