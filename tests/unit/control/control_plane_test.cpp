// The real control core (control_plane, vrrp_manager, lb_manager, the
// neighbour table and the health monitor) against fake_shell and a clock
// the test moves: what goes out on the wire and what the workers get.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/config.hpp"
#include "control/control_plane.hpp"
#include "fake_shell.hpp"
#include "net/builder.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;
using testing::sent_frame;

// The control plane on a fake shell and a clock that only moves when told.
struct rig {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    usec t{1000s};
    std::unique_ptr<control_plane> cp;

    explicit rig(const std::string& yaml) {
        auto c = config::load_string(yaml);
        if (!c.ok()) {
            ADD_FAILURE() << c.message();
            std::abort(); // nothing below can work without a configuration
        }
        cfg = c.value();
        sh = std::make_unique<fake_shell>(cfg, 1, !cfg.virtual_servers.empty());
        cp = std::make_unique<control_plane>(cfg, *sh, [this] { return t; });
        auto in = cp->init();
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    ~rig() { cp.reset(); }

    // Move the clock in `step`s up to `d` later, one loop iteration per step.
    void advance(usec d, usec step = 10ms) {
        usec end = t + d;
        cp->run_once(usec{0});
        while (t < end) {
            t = std::min(end, t + step);
            cp->run_once(usec{0});
        }
    }
    bool owns(std::size_t port, net::ipv4_addr a) const {
        const auto& own = sh->current().ports()[port].owned;
        return std::any_of(own.begin(), own.end(),
                           [&](const pipeline::owned_address& o) { return o.addr == a; });
    }
};

config::config reparse(const std::string& yaml) {
    auto c = config::load_string(yaml);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.message());
    return c.value();
}

net::packet_meta parse(const sent_frame& f) {
    net::packet_meta m;
    EXPECT_EQ(net::parse(f.bytes, m), pipeline::drop_reason::none);
    return m;
}

bool is_vrrp(const sent_frame& f) {
    net::packet_meta m;
    return net::parse(f.bytes, m) == pipeline::drop_reason::none &&
           m.ethertype == net::ethertype_ipv4 && m.ip_proto == net::ip_proto_vrrp;
}

// The VRRP priority of an advert (RFC 5798 §5.2.4: third byte of the header).
std::uint8_t advert_priority(const sent_frame& f) {
    auto m = parse(f);
    return f.bytes[m.l4_offset + 2];
}

bool is_arp(const sent_frame& f, std::uint16_t op, net::ipv4_addr spa, net::ipv4_addr tpa) {
    if (f.bytes.size() < net::eth_header_len + net::arp_len ||
        net::load_be16(f.bytes.data() + 12) != net::ethertype_arp) {
        return false;
    }
    net::arp_cview a(std::span<const std::uint8_t>(f.bytes).subspan(net::eth_header_len));
    return a.op() == op && a.spa() == spa && a.tpa() == tpa;
}

const net::ipv4_addr vip{10, 0, 0, 100};

std::string vrrp_yaml(int priority) {
    return R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.0.0.2/24
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: 51
    priority: )" +
           std::to_string(priority) + R"(
    advert_int: 1s
    virtual_ipaddress: [10.0.0.100]
)";
}

std::string vrrp_state(rig& r) {
    return r.cp->report_vrrp("VI_1")[0]["state"].get<std::string>();
}

// ---------------------------------------------------------------- VRRP --

TEST(ControlVrrp, BecomingMasterSendsAnAdvertThenGarpsAndTheSnapshotOwnsTheVip) {
    rig r(vrrp_yaml(150));
    EXPECT_EQ(vrrp_state(r), "BACKUP");
    EXPECT_FALSE(r.owns(0, vip));
    EXPECT_TRUE(r.owns(0, net::ipv4_addr{10, 0, 0, 2})) << "the port's own address";
    EXPECT_TRUE(r.sh->take_sent().empty()) << "a backup is silent";

    // Master_Down_Interval = 3 * 1 s + (256 - 150) / 256 s (RFC 5798 §6.1).
    unsigned before = r.sh->published;
    r.advance(3300ms);
    EXPECT_EQ(vrrp_state(r), "BACKUP") << "not before Master_Down_Interval";
    r.advance(200ms);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    auto out = r.sh->take_sent();
    ASSERT_GE(out.size(), 2u);
    // RFC 5798 §6.4.2: send an ADVERTISEMENT, then a gratuitous ARP per VIP.
    ASSERT_TRUE(is_vrrp(out[0]));
    EXPECT_EQ(advert_priority(out[0]), 150);
    EXPECT_TRUE(is_arp(out[1], 1, vip, vip)) << "gratuitous ARP request for the VIP";
    EXPECT_GT(r.sh->published, before);
    EXPECT_TRUE(r.owns(0, vip));
    ASSERT_EQ(r.sh->current().ports()[0].vrrp.size(), 1u);

    // A master advertises every advert_int.
    r.advance(1s);
    auto again = r.sh->take_sent();
    EXPECT_TRUE(std::any_of(again.begin(), again.end(), is_vrrp));
}

TEST(ControlVrrp, ShutdownSendsPriorityZeroAndReleasesTheVip) {
    rig r(vrrp_yaml(150));
    r.advance(4s);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.sh->take_sent();
    r.cp->shutdown_protocols();
    auto out = r.sh->take_sent();
    ASSERT_FALSE(out.empty());
    ASSERT_TRUE(is_vrrp(out[0]));
    EXPECT_EQ(advert_priority(out[0]), 0) << "RFC 5798 §6.4.3: priority 0 on shutdown";
    EXPECT_FALSE(r.owns(0, vip));
}

TEST(ControlVrrp, ResigningASyncGroupMemberSendsPriorityZeroForEveryMember) {
    rig r(R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.0.0.2/24
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: 51
    priority: 150
    advert_int: 1s
    virtual_ipaddress: [10.0.0.100]
  - name: VI_2
    port: ext0
    virtual_router_id: 52
    priority: 150
    advert_int: 1s
    virtual_ipaddress: [10.0.0.101]
vrrp_sync_groups:
  - name: G
    group: [VI_1, VI_2]
)");
    r.advance(4s);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.sh->take_sent();
    ASSERT_TRUE(r.cp->vrrp()->resign(r.t, "VI_1").ok());
    auto out = r.sh->take_sent();
    // RFC 5798 §6.4.3 for each member, so the peer's whole group takes over.
    ASSERT_EQ(out.size(), 2u);
    for (const auto& f : out) {
        ASSERT_TRUE(is_vrrp(f));
        EXPECT_EQ(advert_priority(f), 0);
    }
    EXPECT_EQ(r.cp->report_vrrp("VI_2")[0]["state"].get<std::string>(), "BACKUP");
    EXPECT_TRUE(r.cp->report_vrrp("VI_2")[0]["resigned"].get<bool>());
    // Nobody answers: still BACKUP after our own Master_Down_Interval.
    r.advance(4s);
    EXPECT_EQ(vrrp_state(r), "BACKUP");
    EXPECT_FALSE(r.owns(0, vip));
    ASSERT_TRUE(r.cp->vrrp()->resume(r.t, "VI_2").ok());
    EXPECT_FALSE(r.cp->report_vrrp("VI_1")[0]["resigned"].get<bool>());
}

// -------------------------------------------------------------- reload --

TEST(ControlReload, ARefusedReloadChangesNothing) {
    rig r(vrrp_yaml(150));
    r.advance(4s);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.sh->take_sent();
    unsigned before = r.sh->published;
    std::string moved = vrrp_yaml(200);
    moved.replace(moved.find("10.0.0.2/24"), 11, "10.0.0.3/24");
    auto res = r.cp->reload(reparse(moved));
    ASSERT_FALSE(res.ok());
    EXPECT_NE(res.message().find("needs a restart"), std::string::npos) << res.message();
    EXPECT_EQ(r.sh->published, before) << "no new snapshot";
    EXPECT_TRUE(r.sh->take_sent().empty()) << "no frame";
    EXPECT_EQ(vrrp_state(r), "MASTER");
    EXPECT_EQ(r.cp->report_vrrp("VI_1")[0]["priority"].get<std::uint64_t>(), 150u);
    EXPECT_EQ(r.cp->cfg().ports[0].address.to_string(), "10.0.0.2/24");
}

TEST(ControlReload, AnUnchangedInstanceKeepsItsState) {
    rig r(vrrp_yaml(150));
    r.advance(4s);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.sh->take_sent();
    auto res = r.cp->reload(reparse(vrrp_yaml(150)));
    ASSERT_TRUE(res.ok()) << res.message();
    EXPECT_NE(res->find("1 kept"), std::string::npos) << *res;
    EXPECT_EQ(vrrp_state(r), "MASTER");
    EXPECT_TRUE(r.owns(0, vip));
    auto out = r.sh->take_sent();
    EXPECT_TRUE(std::none_of(out.begin(), out.end(), [](const sent_frame& f) {
        return is_arp(f, 1, vip, vip);
    })) << "no GARP: no transition";
}

TEST(ControlReload, AChangedPriorityAppliesLive) {
    rig r(vrrp_yaml(150));
    r.advance(4s);
    ASSERT_EQ(vrrp_state(r), "MASTER");
    r.sh->take_sent();
    auto res = r.cp->reload(reparse(vrrp_yaml(100)));
    ASSERT_TRUE(res.ok()) << res.message();
    EXPECT_NE(res->find("1 started, 1 stopped"), std::string::npos) << *res;
    EXPECT_EQ(r.cp->report_vrrp("VI_1")[0]["priority"].get<std::uint64_t>(), 100u);
    // docs/operations.md: a changed instance restarts, a MASTER sends
    // priority 0 first.
    auto out = r.sh->take_sent();
    ASSERT_FALSE(out.empty());
    ASSERT_TRUE(is_vrrp(out[0]));
    EXPECT_EQ(advert_priority(out[0]), 0);
    EXPECT_EQ(vrrp_state(r), "BACKUP");
    EXPECT_FALSE(r.owns(0, vip));
    // And takes over again, now advertising the new priority.
    r.advance(4s);
    out = r.sh->take_sent();
    auto adv = std::find_if(out.begin(), out.end(), is_vrrp);
    ASSERT_NE(adv, out.end());
    EXPECT_EQ(advert_priority(*adv), 100);
}

// ----------------------------------------------------------------- ARP --

const char* arp_yaml = R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.0.0.2/24
neighbours:
  retry_interval: 100ms
  retries: 3
)";

TEST(ControlArp, ResolutionRetriesAtTheIntervalThenFails) {
    rig r(arp_yaml);
    const net::ipv4_addr target{10, 0, 0, 77};
    EXPECT_FALSE(r.cp->resolve(net::ipv4_addr{192, 168, 1, 1}).ok()) << "outside every subnet";
    EXPECT_FALSE(r.cp->resolve(net::ipv4_addr{10, 0, 0, 2}).ok()) << "the port's own address";
    ASSERT_TRUE(r.cp->resolve(target).ok());
    std::vector<usec> at;
    usec start = r.t;
    for (int i = 0; i < 100; ++i) {
        r.cp->run_once(usec{0});
        for (const auto& f : r.sh->take_sent()) {
            EXPECT_EQ(f.port, 0);
            EXPECT_TRUE(is_arp(f, 1, net::ipv4_addr{10, 0, 0, 2}, target));
            at.push_back(r.t - start);
        }
        r.t += 10ms;
    }
    ASSERT_EQ(at.size(), 3u) << "neighbours.retries requests";
    EXPECT_EQ(at[1] - at[0], usec(100ms));
    EXPECT_EQ(at[2] - at[1], usec(100ms));
    const auto* e = r.cp->neighbours().find(target);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->st, neigh::state::failed);
    EXPECT_EQ(r.cp->report_stats()["neighbours"]["resolutions_failed"].get<std::uint64_t>(), 1u);
}

TEST(ControlArp, APuntedReplyResolves) {
    rig r(arp_yaml);
    const net::ipv4_addr target{10, 0, 0, 77};
    const net::mac_addr mac{{0x02, 0xaa, 0, 0, 0, 0x77}};
    ASSERT_TRUE(r.cp->resolve(target).ok());
    r.cp->run_once(usec{0});
    std::vector<std::uint8_t> reply(64);
    reply.resize(net::build_arp_reply(reply, mac, target, r.sh->ports()[0].mac,
                                      net::ipv4_addr{10, 0, 0, 2}));
    ASSERT_GT(reply.size(), 0u);
    r.sh->inject_punt(0, pipeline::punt_kind::arp, reply);
    r.cp->run_once(usec{0});
    const auto* e = r.cp->neighbours().find(target);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->st, neigh::state::reachable);
    EXPECT_EQ(e->mac, mac);
    EXPECT_EQ(r.cp->counters().arp_punts, 1u);
}

// -------------------------------------------------------------- health --

const char* lb_yaml = R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.1.0.2/24
  - name: int0
    device: net_null1
    address: 10.2.0.2/24
neighbours:
  static:
    - {address: 10.2.0.11, mac: "02:00:00:00:aa:11", port: int0}
virtual_servers:
  - address: 10.1.0.100
    port: 80
    protocol: tcp
    lb_algo: rr
    delay_loop: 2s
    real_servers:
      - address: 10.2.0.11
        port: 8080
        check: {type: tcp, connect_timeout: 1s, retry: 0}
)";

const net::ipv4_addr rs_ip{10, 2, 0, 11};
const net::mac_addr rs_mac{{0x02, 0, 0, 0, 0xaa, 0x11}};

// The next health-check SYN, moving the clock up to `within`.
std::optional<net::packet_meta> next_syn(rig& r, usec within, std::uint32_t& seq) {
    usec end = r.t + within;
    while (r.t < end) {
        r.t += 10ms;
        r.cp->run_once(usec{0});
        for (const auto& f : r.sh->take_sent()) {
            net::packet_meta m;
            if (net::parse(f.bytes, m) != pipeline::drop_reason::none ||
                m.ip_proto != net::ip_proto_tcp) {
                continue;
            }
            net::tcp_cview tcp(std::span<const std::uint8_t>(f.bytes).subspan(
                m.l4_offset, net::tcp_min_header_len));
            if (tcp.flags() == net::tcp_flag_syn) {
                EXPECT_EQ(f.port, 1) << "out of the port whose subnet holds the server";
                seq = tcp.seq();
                return m;
            }
        }
    }
    return std::nullopt;
}

bool rs_up_in_snapshot(rig& r) {
    const auto* services = r.sh->current().services();
    EXPECT_NE(services, nullptr);
    auto all = services->all_real_servers();
    EXPECT_EQ(all.size(), 1u);
    return !all.empty() && all[0].up;
}

TEST(ControlHealth, VerdictsReachTheSnapshot) {
    rig r(lb_yaml);
    ASSERT_TRUE(rs_up_in_snapshot(r)) << "a checked server starts UP (keepalived)";

    // First probe: unanswered, so after connect_timeout (retry 0) DOWN.
    std::uint32_t seq = 0;
    auto syn = next_syn(r, 2s, seq);
    ASSERT_TRUE(syn);
    EXPECT_EQ(syn->dst, rs_ip);
    EXPECT_EQ(syn->dst_port, 8080);
    EXPECT_EQ(syn->src, (net::ipv4_addr{10, 2, 0, 2}));
    r.advance(1100ms);
    EXPECT_FALSE(rs_up_in_snapshot(r)) << "timeout: DOWN, and the workers see it";
    EXPECT_EQ(r.cp->report_health()[0]["state"].get<std::string>(), "DOWN");

    // Next probe: the server answers SYN-ACK; UP again, and we reset it.
    syn = next_syn(r, 3s, seq);
    ASSERT_TRUE(syn);
    std::vector<std::uint8_t> synack(128);
    synack.resize(net::build_tcp_frame(
        synack, {.dst = r.sh->ports()[1].mac, .src = rs_mac}, {.src = rs_ip, .dst = syn->src},
        {.src_port = syn->dst_port,
         .dst_port = syn->src_port,
         .seq = 7777,
         .ack = seq + 1,
         .flags = static_cast<std::uint8_t>(net::tcp_flag_syn | net::tcp_flag_ack)}));
    r.sh->inject_punt(1, pipeline::punt_kind::probe, synack);
    r.cp->run_once(usec{0});
    EXPECT_TRUE(rs_up_in_snapshot(r));
    EXPECT_EQ(r.cp->report_health()[0]["state"].get<std::string>(), "UP");
    auto out = r.sh->take_sent();
    ASSERT_EQ(out.size(), 1u);
    auto m = parse(out[0]);
    net::tcp_cview rst(
        std::span<const std::uint8_t>(out[0].bytes).subspan(m.l4_offset, net::tcp_min_header_len));
    EXPECT_EQ(rst.flags(), net::tcp_flag_rst) << "RFC 9293 §3.5.2";
    EXPECT_EQ(r.cp->counters().probe_answers, 1u);
}

// ---------------------------------------------------------------- loop --

TEST(ControlLoop, PeriodicTasksRunAtTheirInterval) {
    event_loop loop;
    std::vector<usec> a, b;
    loop.every("a", 1s, [&](usec t) { a.push_back(t); });
    loop.every("b", 10s, [&](usec t) { b.push_back(t); });
    for (usec t{0}; t <= usec(12s); t += 500ms) {
        loop.run_due(t);
    }
    EXPECT_EQ(a.size(), 13u) << "at 0, 1, ..., 12 s";
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[1], usec(10s));
    EXPECT_EQ(loop.next_deadline(), usec(13s));
    ASSERT_EQ(loop.tasks().size(), 2u);
    EXPECT_EQ(loop.tasks()[1].name, "b");
}

TEST(ControlLoop, TheLoopPublishesWhatAnOperatorCommandChanged) {
    rig r(lb_yaml);
    ASSERT_NE(r.cp->lb(), nullptr);
    ASSERT_EQ(r.sh->current().services()->all_real_servers()[0].weight, 1u);
    ASSERT_TRUE(r.cp->lb()->set_weight("10.1.0.100:80", "10.2.0.11:8080", 7).ok());
    r.cp->run_once(usec{0});
    EXPECT_EQ(r.sh->current().services()->all_real_servers()[0].weight, 7u)
        << "nobody but the loop had to publish";
}

// Typed reports serialise with the keys, in the order, `show ... json` has
// always had.
TEST(ControlReports, TypedReportsKeepTheirJsonForm) {
    rig r(arp_yaml);
    r.sh->worker_mut(0).rx_packets.add(5);
    r.sh->worker_mut(0).polls.add(4);
    r.sh->worker_mut(0).busy_polls.add(1);
    r.sh->port_hw[0].ipackets = 10;
    EXPECT_EQ(dump_json(r.cp->report_lcores()),
              R"([{"worker":0,"lcore":1,"rx_packets":5,"tx_packets":0,"replies":0,"punts":0,)"
              R"("control_tx":0,"drops":0,"polls":4,"busy_pct":25,"idle_sleeps":0}])");
    EXPECT_EQ(dump_json(r.cp->report_port_stats()),
              R"([{"name":"ext0","port_id":0,"rx_packets":10,"rx_bytes":0,"rx_missed":0,)"
              R"("rx_errors":0,"rx_nombuf":0,"tx_packets":0,"tx_bytes":0,"tx_errors":0}])");
    std::string st = dump_json(r.cp->report_stats());
    EXPECT_EQ(st.rfind(R"({"drops_total":0,"drops":{"multi_segment":0,)", 0), 0u) << st;
    EXPECT_NE(st.find(R"("neighbours":{"entries":0,"learnt":0,"mac_changes":0,"table_full":0,)"
                      R"("requests_sent":0,"resolutions_failed":0,"expired":0},"vrrp":{)"),
              std::string::npos)
        << st;
    EXPECT_EQ(st.substr(st.size() - 13), R"(,"since_s":0})") << st;
}

TEST(ControlReports, ArpRowsHoldALearntEntryWithItsStatePortAndAge) {
    rig r(arp_yaml);
    const net::ipv4_addr target{10, 0, 0, 77};
    const net::mac_addr mac{{0x02, 0xaa, 0, 0, 0, 0x77}};
    ASSERT_TRUE(r.cp->resolve(target).ok());
    r.cp->run_once(usec{0});
    auto rows = r.cp->arp();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].state, neigh::state::incomplete);
    EXPECT_FALSE(rows[0].mac) << "no MAC while incomplete";
    EXPECT_EQ(dump_json(to_json(rows)), R"([{"address":"10.0.0.77","mac":"-","port":"ext0",)"
                                        R"("state":"incomplete","age_s":0,"probes":1}])");

    std::vector<std::uint8_t> reply(64);
    reply.resize(net::build_arp_reply(reply, mac, target, r.sh->ports()[0].mac,
                                      net::ipv4_addr{10, 0, 0, 2}));
    r.sh->inject_punt(0, pipeline::punt_kind::arp, reply);
    r.cp->run_once(usec{0});
    r.t += 7s;
    rows = r.cp->arp();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].address, target);
    ASSERT_TRUE(rows[0].mac);
    EXPECT_EQ(*rows[0].mac, mac);
    EXPECT_EQ(rows[0].port, "ext0");
    EXPECT_EQ(rows[0].state, neigh::state::reachable);
    ASSERT_TRUE(rows[0].age);
    EXPECT_EQ(*rows[0].age, 7s);
    EXPECT_EQ(dump_json(r.cp->report_arp()),
              R"([{"address":"10.0.0.77","mac":"02:aa:00:00:00:77","port":"ext0",)"
              R"("state":"reachable","age_s":7,"probes":)" +
                  std::to_string(rows[0].probes) + "}]");
}

TEST(ControlReports, AStaticNeighbourHasNoAge) {
    rig r(lb_yaml);
    auto rows = r.cp->arp();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].state, neigh::state::static_);
    EXPECT_EQ(rows[0].port, "int0");
    EXPECT_FALSE(rows[0].age);
    EXPECT_EQ(dump_json(to_json(rows)), R"([{"address":"10.2.0.11","mac":"02:00:00:00:aa:11",)"
                                        R"("port":"int0","state":"static","age_s":null,)"
                                        R"("probes":0}])");
}

TEST(ControlReports, HealthRowsSayDownWithTheReasonAfterAProbeTimeout) {
    rig r(lb_yaml);
    auto rows = r.cp->health_checks();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_TRUE(rows[0].up) << "a checked server starts UP";
    std::uint32_t seq = 0;
    ASSERT_TRUE(next_syn(r, 2s, seq));
    r.advance(1100ms);
    rows = r.cp->health_checks();
    ASSERT_EQ(rows.size(), 1u);
    const auto& h = rows[0];
    EXPECT_EQ(h.virtual_server, "10.1.0.100:80/tcp");
    EXPECT_EQ(h.rs_address, rs_ip);
    EXPECT_EQ(h.rs_port, 8080);
    EXPECT_EQ(h.checker, "TCP_CHECK");
    EXPECT_FALSE(h.up);
    EXPECT_NE(h.reason.find("timed out"), std::string::npos) << h.reason;
    EXPECT_EQ(h.probes, 1u);
    EXPECT_EQ(h.timeouts, 1u);
    EXPECT_EQ(h.successes, 0u);
    EXPECT_EQ(dump_json(r.cp->report_health()),
              R"([{"virtual_server":"10.1.0.100:80/tcp","real_server":"10.2.0.11:8080",)"
              R"("checker":"TCP_CHECK","state":"DOWN","reason":")" +
                  h.reason +
                  R"(","probes":1,"successes":0,"timeouts":1,"refused":0,"no_route":0}])");
}

TEST(ControlReports, FlowRowsComeFromTheShellsDump) {
    rig r(lb_yaml);
    r.sh->flows = {
        {.client = {10, 1, 0, 9},
         .vip = {10, 1, 0, 100},
         .rs = rs_ip,
         .client_port = 40000,
         .vport = 80,
         .rs_port = 8080,
         .proto = net::ip_proto_tcp,
         .state = static_cast<std::uint8_t>(lb::flow_state::established),
         .expires_in_ms = 1500},
        {.client = {10, 1, 0, 10},
         .vip = {10, 1, 0, 100},
         .rs = rs_ip,
         .client_port = 5353,
         .vport = 53,
         .rs_port = 53,
         .proto = net::ip_proto_udp,
         .state = static_cast<std::uint8_t>(lb::flow_state::udp),
         .expires_in_ms = 300000},
    };
    auto rows = r.cp->flows("10.1.0.100:80", 10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].protocol, lb::protocol::tcp);
    EXPECT_EQ(rows[0].client, (net::ipv4_addr{10, 1, 0, 9}));
    EXPECT_EQ(rows[0].client_port, 40000);
    EXPECT_EQ(rows[0].state, lb::flow_state::established);
    EXPECT_EQ(rows[0].expires_in, 1500ms);
    EXPECT_EQ(rows[1].protocol, lb::protocol::udp);
    EXPECT_EQ(dump_json(r.cp->report_flows()),
              R"([{"protocol":"tcp","client":"10.1.0.9:40000","virtual":"10.1.0.100:80",)"
              R"("real_server":"10.2.0.11:8080","state":"ESTABLISHED","expires_s":1.5},)"
              R"({"protocol":"udp","client":"10.1.0.10:5353","virtual":"10.1.0.100:53",)"
              R"("real_server":"10.2.0.11:53","state":"UDP","expires_s":300}])");
}

TEST(ControlReports, PortsAndInfoDescribeTheShell) {
    rig r(arp_yaml);
    r.sh->links[0] = {.up = false, .speed_mbps = 0};
    auto ports = r.cp->ports();
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(ports[0].name, "ext0");
    EXPECT_EQ(ports[0].device, "fake0");
    EXPECT_FALSE(ports[0].link_up);
    EXPECT_FALSE(ports[0].control_queue) << "no control queue: via worker 0";
    EXPECT_EQ(control_tx_text(ports[0]), "via worker 0");
    EXPECT_EQ(dump_json(r.cp->report_ports()),
              R"([{"name":"ext0","port_id":0,"device":"fake0","driver":"fake",)"
              R"("mac":"02:00:00:00:00:01","address":"10.0.0.2/24","link":"down",)"
              R"("speed_mbps":0,"queues":1,"control_tx":"via worker 0","steering":"none"}])");
    ports[0].control_queue = 2;
    EXPECT_EQ(control_tx_text(ports[0]), "queue 2");
    // NIC steering, as the shell reports it (docs/load-balancing.md).
    // (A std::vector of pairs: GCC 12 at -O3 warns on a C array of
    // aggregates holding strings, maybe-uninitialized, a false positive.)
    const std::vector<std::pair<port_steering, std::string>> steering_rows = {
        {{steering_mode::none, 0, ""}, "none"},
        {{steering_mode::none, 0, "one worker"}, "none (one worker)"},
        {{steering_mode::nic, 24, ""}, "nic (24 rules)"},
        {{steering_mode::rss_handoff, 0, "3 workers is not a power of two"},
         "rss+handoff (3 workers is not a power of two)"},
    };
    for (const auto& [s, text] : steering_rows) {
        EXPECT_EQ(steering_text(s), text);
    }

    r.t += 42s;
    auto info = r.cp->info();
    EXPECT_EQ(info.uptime, 42s);
    EXPECT_EQ(info.ports, 1u);
    EXPECT_EQ(info.workers, 1u);
    EXPECT_EQ(dump_json(r.cp->report_summary()),
              R"({"uptime_s":42,"ports":1,"workers":1,"config":")" + info.config + R"("})");
}

// --------------------------------------------------------------- stats --

TEST(ControlStats, ClearStatsBaselinesWhatTheShellCounts) {
    rig r(arp_yaml);
    auto& w = r.sh->worker_mut(0);
    w.rx_packets.add(5);
    w.drops.add(2);
    w.drop[static_cast<std::size_t>(pipeline::drop_reason::arp_not_owned)].add(2);
    r.sh->port_hw[0].ipackets = 10;
    r.sh->inject_punt(0, pipeline::punt_kind::none, {});
    r.cp->run_once(usec{0});

    EXPECT_EQ(r.cp->report_lcores()[0]["rx_packets"].get<std::uint64_t>(), 5u);
    EXPECT_EQ(r.cp->report_port_stats()[0]["rx_packets"].get<std::uint64_t>(), 10u);
    auto s = r.cp->report_stats();
    EXPECT_EQ(s["drops_total"].get<std::uint64_t>(), 2u);
    EXPECT_EQ(s["drops"]["arp_not_owned"].get<std::uint64_t>(), 2u);
    EXPECT_EQ(s["control"]["unknown_punts"].get<std::uint64_t>(), 1u);

    r.cp->clear_stats();
    EXPECT_EQ(r.cp->report_lcores()[0]["rx_packets"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(r.cp->report_port_stats()[0]["rx_packets"].get<std::uint64_t>(), 0u);
    s = r.cp->report_stats();
    EXPECT_EQ(s["drops_total"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(s["control"]["unknown_punts"].get<std::uint64_t>(), 0u);

    // The counters themselves kept counting: only the view starts over.
    w.rx_packets.add(3);
    r.sh->port_hw[0].ipackets = 14;
    EXPECT_EQ(r.cp->report_lcores()[0]["rx_packets"].get<std::uint64_t>(), 3u);
    EXPECT_EQ(r.cp->report_port_stats()[0]["rx_packets"].get<std::uint64_t>(), 4u);
    r.t += 5s;
    EXPECT_EQ(r.cp->report_stats()["since_s"].get<std::uint64_t>(), 5u);
}

} // namespace
} // namespace vipgate::control
