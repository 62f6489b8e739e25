// The YAML sections for load balancing: `load_balancing`, `virtual_servers`
// (keepalived's names, defaults and inheritance), `ports[].gateway` and
// `neighbours.static`; warnings, limits, and one case per error kind with its
// <string>:LINE:COLUMN.

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#ifndef VIPGATE_SOURCE_DIR
#error "VIPGATE_SOURCE_DIR must be defined by the build (tests/unit/config/meson.build)"
#endif

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Lines 1-7: two ports.
const std::string two_ports = "ports:\n"
                              "  - name: ext0\n"
                              "    device: net_ring0\n"
                              "    address: 10.0.0.1/24\n"
                              "  - name: int0\n"
                              "    device: net_ring1\n"
                              "    address: 10.1.0.1/24\n";

// Lines 8-12: an instance holding the VIPs 10.0.0.100 and 10.0.0.101.
const std::string with_vrrp = two_ports + "vrrp_instances:\n"
                                          "  - name: VI_1\n"
                                          "    port: ext0\n"
                                          "    virtual_router_id: 51\n"
                                          "    virtual_ipaddress: [10.0.0.100, 10.0.0.101]\n";

// Lines 13-18: one service with one real server. A case appends keys of that
// real server (8 spaces) or of the service (4 spaces) from line 19 on.
const std::string one_vs = with_vrrp + "virtual_servers:\n"
                                       "  - address: 10.0.0.100\n"
                                       "    port: 80\n"
                                       "    protocol: tcp\n"
                                       "    real_servers:\n"
                                       "      - address: 10.1.0.5\n";

net::ipv4_addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return net::ipv4_addr(a, b, c, d);
}

std::string all_warnings(const config& c) {
    std::string s;
    for (const auto& w : c.warnings) {
        s += w + "\n";
    }
    return s;
}

bool has_warning(const config& c, const std::string& want) {
    for (const auto& w : c.warnings) {
        if (w.find(want) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// ---- valid ---------------------------------------------------------------------------

TEST(LbYaml, MinimalServiceKeepsKeepalivedDefaults) {
    auto r = load_string(one_vs);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "10.0.0.100:80/tcp");
    EXPECT_EQ(vs.where.to_string(), "<string>:14:5");
    EXPECT_EQ(vs.service.vip, ip(10, 0, 0, 100));
    EXPECT_EQ(vs.service.port, 80);
    EXPECT_EQ(vs.service.proto, lb::protocol::tcp);
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::wlc); // keepalived's default
    EXPECT_EQ(vs.service.persistence_timeout.count(), 0);
    EXPECT_EQ(vs.service.persistence_netmask, ip(255, 255, 255, 255));
    EXPECT_FALSE(vs.service.hash_port);
    EXPECT_EQ(vs.delay_loop, milliseconds{60s});
    ASSERT_EQ(vs.real_servers.size(), 1u);
    const real_server_entry& rs = vs.real_servers[0];
    EXPECT_EQ(rs.rs.address, ip(10, 1, 0, 5));
    EXPECT_EQ(rs.rs.port, 80); // the service's port
    EXPECT_EQ(rs.rs.weight, 1u);
    EXPECT_TRUE(rs.rs.up);
    EXPECT_FALSE(rs.inhibit_on_failure);
    EXPECT_FALSE(rs.check.has_value()); // no check: always up
    EXPECT_EQ(rs.where.to_string(), "<string>:18:9");
    // The lb model the data plane builds from, in step with the entries.
    ASSERT_EQ(vs.service.real_servers.size(), 1u);
    EXPECT_EQ(vs.service.real_servers[0].port, 80);
    auto t = lb::service_table::build(std::span<const lb::service_config>(&vs.service, 1));
    EXPECT_TRUE(t.ok()) << t.message();

    // load_balancing: every default.
    const load_balancing_config& lbc = r->load_balancing;
    EXPECT_EQ(lbc.flows_per_worker, 1048576u);
    EXPECT_EQ(lbc.persistence_templates, 65536u);
    EXPECT_FALSE(lbc.sloppy_tcp);
    EXPECT_EQ(lbc.expire_budget, 128u);
    EXPECT_EQ(lbc.timeouts.tcp_established, milliseconds{900s});
    EXPECT_EQ(lbc.timeouts.udp, milliseconds{300s});
    // No gateway, no static neighbours.
    EXPECT_FALSE(r->ports[0].gateway.has_value());
    EXPECT_TRUE(r->neighbours.static_entries.empty());
}

// sorry_server: {address, port}; the port defaults to the service's.
TEST(LbYaml, SorryServer) {
    for (const auto& [yaml, port] :
         {std::pair{std::string("    sorry_server: {address: 10.1.0.9, port: 8080}\n"), 8080},
          std::pair{std::string("    sorry_server: {address: 10.1.0.9}\n"), 80}}) {
        auto r = load_string(one_vs + yaml);
        ASSERT_TRUE(r.ok()) << r.message();
        EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
        const auto& s = r->virtual_servers[0].service.sorry_server;
        ASSERT_TRUE(s.has_value()) << yaml;
        EXPECT_EQ(s->address, ip(10, 1, 0, 9));
        EXPECT_EQ(s->port, port);
        auto t = lb::service_table::build(
            std::span<const lb::service_config>(&r->virtual_servers[0].service, 1));
        ASSERT_TRUE(t.ok()) << t.message();
        EXPECT_NE(t->services()[0].sorry_rs, lb::no_index);
    }
}

// quorum, hysteresis, quorum_up, quorum_down (keepalived's names); the
// quorum checks lower what could never work, with a warning at the value.
TEST(LbYaml, Quorum) {
    auto r = load_string(one_vs + "        weight: 3\n      - {address: 10.1.0.6, weight: 2}\n" +
                         "    quorum: 4\n    hysteresis: 1\n"
                         "    quorum_up: \"/bin/echo up  now\"\n    quorum_down: /bin/false\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    const auto& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.quorum.quorum, 4u);
    EXPECT_EQ(vs.quorum.hysteresis, 1u);
    EXPECT_EQ(vs.quorum_up.argv, (std::vector<std::string>{"/bin/echo", "up", "now"}));
    EXPECT_EQ(vs.quorum_down.argv, (std::vector<std::string>{"/bin/false"}));

    auto d = load_string(one_vs);
    ASSERT_TRUE(d.ok()) << d.message();
    EXPECT_EQ(d->virtual_servers[0].quorum.quorum, 1u) << "keepalived's default";
    EXPECT_EQ(d->virtual_servers[0].quorum.hysteresis, 0u);
    EXPECT_TRUE(d->virtual_servers[0].quorum_up.empty());

    auto high = load_string(one_vs + "    quorum: 9\n    hysteresis: 9\n");
    ASSERT_TRUE(high.ok()) << high.message();
    EXPECT_EQ(high->virtual_servers[0].quorum.quorum, 1u);
    EXPECT_EQ(high->virtual_servers[0].quorum.hysteresis, 0u);
    const std::string w = all_warnings(*high);
    EXPECT_NE(w.find("virtual_servers[0].quorum: 9 exceeds the total weight of the real servers "
                     "(1); 1 used, as keepalived does"),
              std::string::npos)
        << w;
    EXPECT_NE(w.find("virtual_servers[0].hysteresis: 9 is not below the quorum (1); 0 used"),
              std::string::npos)
        << w;
}

TEST(LbYaml, NoSectionsAndEmptySections) {
    auto r = load_string(two_ports + "virtual_servers:\nload_balancing:\nneighbours:\n  static:\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->virtual_servers.empty());
    EXPECT_EQ(r->load_balancing.flows_per_worker, 1048576u);
    EXPECT_TRUE(r->neighbours.static_entries.empty());
}

TEST(LbYaml, FullConfigSetsEveryKey) {
    auto r = load_string(two_ports + R"(    gateway: 10.1.0.254
neighbours:
  static:
    - {address: 10.1.0.254, mac: "02:00:00:00:00:fe", port: int0}
    - address: 10.0.0.7
      mac: 0A:1b:2C:3d:4E:5f
      port: ext0
load_balancing:
  flows_per_worker: 4096
  persistence_templates: 2048
  sloppy_tcp: true
  expire_budget: 64
  timeouts:
    tcp_established: 2h
    tcp_syn_recv: 30s
    tcp_syn_sent: 1m
    tcp_fin_wait: 90s
    tcp_time_wait: 100s
    tcp_close: 5s
    tcp_close_wait: 45s
    tcp_last_ack: 20s
    tcp_none: 1500ms
    udp: 1m
vrrp_instances:
  - {name: VI_1, port: ext0, virtual_router_id: 1, virtual_ipaddress: [10.0.0.100]}
virtual_servers:
  - address: 10.0.0.100
    port: 443
    protocol: TCP
    lb_algo: sh
    lb_kind: NAT
    persistence_timeout: 10m
    persistence_granularity: 255.255.255.0
    hash_port: yes
    inhibit_on_failure: true
    delay_loop: 15s
    connect_timeout: 2s
    retry: 3
    delay_before_retry: 500ms
    real_servers:
      - address: 10.1.0.5
        port: 8443
        weight: 0
        inhibit_on_failure: false
        delay_loop: 20s
        connect_timeout: 4s
        retry: 5
        delay_before_retry: 2s
        check:
          type: tcp
          delay_loop: 1s
          connect_timeout: 250ms
          retry: 0
          delay_before_retry: 0s
          connect_ip: 10.1.0.6
          connect_port: 9000
      - address: 192.168.7.7
        weight: 2147483647
  - address: 10.0.0.100
    port: 443
    protocol: udp
    lvs_sched: mh
    lvs_method: nat
    real_servers: []
)");
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->ports[1].gateway.has_value());
    EXPECT_EQ(*r->ports[1].gateway, ip(10, 1, 0, 254));

    ASSERT_EQ(r->neighbours.static_entries.size(), 2u);
    const static_neighbour& n0 = r->neighbours.static_entries[0];
    EXPECT_EQ(n0.address, ip(10, 1, 0, 254));
    EXPECT_EQ(n0.mac.to_string(), "02:00:00:00:00:fe");
    EXPECT_EQ(n0.port, "int0");
    EXPECT_EQ(n0.where.to_string(), "<string>:11:7");
    EXPECT_EQ(r->neighbours.static_entries[1].mac.to_string(), "0a:1b:2c:3d:4e:5f");

    const load_balancing_config& lbc = r->load_balancing;
    EXPECT_EQ(lbc.flows_per_worker, 4096u);
    EXPECT_EQ(lbc.persistence_templates, 2048u);
    EXPECT_TRUE(lbc.sloppy_tcp);
    EXPECT_EQ(lbc.expire_budget, 64u);
    EXPECT_EQ(lbc.timeouts.tcp_established, milliseconds{2h});
    EXPECT_EQ(lbc.timeouts.tcp_syn_recv, milliseconds{30s});
    EXPECT_EQ(lbc.timeouts.tcp_syn_sent, milliseconds{60s});
    EXPECT_EQ(lbc.timeouts.tcp_fin_wait, milliseconds{90s});
    EXPECT_EQ(lbc.timeouts.tcp_time_wait, milliseconds{100s});
    EXPECT_EQ(lbc.timeouts.tcp_close, milliseconds{5s});
    EXPECT_EQ(lbc.timeouts.tcp_close_wait, milliseconds{45s});
    EXPECT_EQ(lbc.timeouts.tcp_last_ack, milliseconds{20s});
    EXPECT_EQ(lbc.timeouts.tcp_none, milliseconds{1500});
    EXPECT_EQ(lbc.timeouts.udp, milliseconds{60s});

    ASSERT_EQ(r->virtual_servers.size(), 2u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "10.0.0.100:443/tcp");
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::sh);
    EXPECT_EQ(vs.service.persistence_timeout, std::chrono::seconds{600});
    EXPECT_EQ(vs.service.persistence_netmask, ip(255, 255, 255, 0));
    EXPECT_TRUE(vs.service.hash_port);
    EXPECT_EQ(vs.delay_loop, milliseconds{15s});
    ASSERT_EQ(vs.real_servers.size(), 2u);
    const real_server_entry& a = vs.real_servers[0];
    EXPECT_EQ(a.rs.port, 8443);
    EXPECT_EQ(a.rs.weight, 0u);
    EXPECT_FALSE(a.inhibit_on_failure);
    ASSERT_TRUE(a.check.has_value());
    EXPECT_EQ(a.check->delay_loop, milliseconds{1s});
    EXPECT_EQ(a.check->connect_timeout, milliseconds{250});
    EXPECT_EQ(a.check->retry, 0u);
    EXPECT_EQ(a.check->delay_before_retry, milliseconds{0});
    EXPECT_EQ(a.check->connect_ip, std::optional<net::ipv4_addr>(ip(10, 1, 0, 6)));
    EXPECT_EQ(a.check->connect_port, std::optional<std::uint16_t>(9000));
    const real_server_entry& b = vs.real_servers[1];
    EXPECT_EQ(b.rs.port, 443);
    EXPECT_EQ(b.rs.weight, 2147483647u);
    EXPECT_TRUE(b.inhibit_on_failure); // the virtual server's
    EXPECT_FALSE(b.check.has_value());

    // Same VIP and port, other protocol: a different service.
    const virtual_server_config& udp = r->virtual_servers[1];
    EXPECT_EQ(udp.name, "10.0.0.100:443/udp");
    EXPECT_EQ(udp.service.scheduler, lb::scheduler_kind::mh); // lvs_sched
    EXPECT_TRUE(udp.real_servers.empty());

    // 192.168.7.7 is off-link but int0 has a gateway: no reachability
    // warning; the empty service is the only remark.
    ASSERT_EQ(r->warnings.size(), 1u) << all_warnings(*r);
    EXPECT_NE(r->warnings[0].find("virtual_servers[1]: has no real servers: no connection to "
                                  "10.0.0.100:443/udp can be forwarded"),
              std::string::npos)
        << r->warnings[0];

    std::vector<lb::service_config> services;
    for (const auto& v : r->virtual_servers) {
        services.push_back(v.service);
    }
    auto t = lb::service_table::build(services);
    EXPECT_TRUE(t.ok()) << t.message();
}

// keepalived check_data.c: checker settings come from the checker, else the
// real server, else the virtual server, else keepalived's defaults.
TEST(LbYaml, InheritanceFromVirtualServerToRealServerToChecker) {
    auto r = load_string(with_vrrp + R"(virtual_servers:
  - address: 10.0.0.100
    port: 80
    protocol: tcp
    delay_loop: 10s
    connect_timeout: 7s
    retry: 4
    delay_before_retry: 3s
    inhibit_on_failure: true
    real_servers:
      - address: 10.1.0.5
        retry: 2
        delay_loop: 20s
        inhibit_on_failure: false
        check: {type: tcp, connect_timeout: 2s}
      - address: 10.1.0.6
        check: {type: tcp}
      - address: 10.1.0.7
  - address: 10.0.0.101
    port: 80
    protocol: tcp
    real_servers:
      - {address: 10.1.0.5, check: {type: tcp}}
)");
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->virtual_servers.size(), 2u);
    const auto& rs = r->virtual_servers[0].real_servers;
    ASSERT_EQ(rs.size(), 3u);
    // Checker > real server > virtual server.
    ASSERT_TRUE(rs[0].check.has_value());
    EXPECT_EQ(rs[0].check->connect_timeout, milliseconds{2s});
    EXPECT_EQ(rs[0].check->retry, 2u);
    EXPECT_EQ(rs[0].check->delay_loop, milliseconds{20s});
    EXPECT_EQ(rs[0].check->delay_before_retry, milliseconds{3s});
    EXPECT_FALSE(rs[0].inhibit_on_failure);
    EXPECT_FALSE(rs[0].check->connect_ip.has_value()); // the real server's own
    EXPECT_FALSE(rs[0].check->connect_port.has_value());
    // Everything from the virtual server.
    ASSERT_TRUE(rs[1].check.has_value());
    EXPECT_EQ(rs[1].check->connect_timeout, milliseconds{7s});
    EXPECT_EQ(rs[1].check->retry, 4u);
    EXPECT_EQ(rs[1].check->delay_loop, milliseconds{10s});
    EXPECT_EQ(rs[1].check->delay_before_retry, milliseconds{3s});
    EXPECT_TRUE(rs[1].inhibit_on_failure);
    // No check at all; inhibit_on_failure still inherited.
    EXPECT_FALSE(rs[2].check.has_value());
    EXPECT_TRUE(rs[2].inhibit_on_failure);
    // keepalived's defaults: 5 s, 1 retry, 1 s, delay_loop 60 s.
    const auto& d = r->virtual_servers[1].real_servers[0];
    ASSERT_TRUE(d.check.has_value());
    EXPECT_EQ(d.check->connect_timeout, milliseconds{5s});
    EXPECT_EQ(d.check->retry, 1u);
    EXPECT_EQ(d.check->delay_before_retry, milliseconds{1s});
    EXPECT_EQ(d.check->delay_loop, milliseconds{60s});
    EXPECT_FALSE(d.inhibit_on_failure);
}

TEST(LbYaml, SectionsMayPrecedePorts) {
    auto r = load_string("virtual_servers:\n"
                         "  - {address: 10.0.0.100, port: 80, protocol: tcp, real_servers: "
                         "[{address: 10.1.0.5}]}\n"
                         "neighbours:\n"
                         "  static: [{address: 10.1.0.9, mac: '02:00:00:00:00:09', port: int0}]\n"
                         "vrrp_instances:\n"
                         "  - {name: VI_1, port: ext0, virtual_router_id: 1, virtual_ipaddress: "
                         "[10.0.0.100]}\n" +
                         two_ports);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    EXPECT_EQ(r->virtual_servers.size(), 1u);
    EXPECT_EQ(r->neighbours.static_entries.size(), 1u);
}

// ---- warnings ----------------------------------------------------------------------------

TEST(LbYaml, VipNotHeldByVrrpIsAWarning) {
    auto r = load_string(with_vrrp + "virtual_servers:\n"
                                     "  - {address: 10.0.0.150, port: 80, protocol: tcp, "
                                     "real_servers: [{address: 10.1.0.5}]}\n");
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->warnings.size(), 1u) << all_warnings(*r);
    EXPECT_EQ(r->warnings[0], "<string>:14:5: virtual_servers[0].address: VIP 10.0.0.150 is not "
                              "held by any VRRP instance: it is never owned, no traffic will be "
                              "forwarded");

    // Without any VRRP instance, every VIP is in that case.
    auto none = load_string(two_ports + "virtual_servers:\n"
                                        "  - {address: 10.0.0.100, port: 80, protocol: tcp, "
                                        "real_servers: [{address: 10.1.0.5}]}\n");
    ASSERT_TRUE(none.ok()) << none.message();
    ASSERT_EQ(none->warnings.size(), 1u) << all_warnings(*none);
    EXPECT_EQ(none->warnings[0],
              "<string>:9:5: virtual_servers[0].address: VIP 10.0.0.100 is not held by any VRRP "
              "instance (none is configured): it is never owned, no traffic will be forwarded");
}

TEST(LbYaml, UnreachableRealServerHashPortAndEmptyServiceAreWarnings) {
    auto r = load_string(one_vs + "      - address: 192.168.9.9\n" // 19
                                  "    lb_algo: rr\n"              // 20
                                  "    hash_port: true\n"          // 21
                                  "  - {address: 10.0.0.101, port: 53, protocol: udp, "
                                  "real_servers: []}\n"); // 22
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->warnings.size(), 3u) << all_warnings(*r);
    EXPECT_TRUE(has_warning(*r, "<string>:19:18: virtual_servers[0].real_servers[1].address: real "
                                "server 192.168.9.9 is in no port's subnet and no port has a "
                                "gateway: it cannot be reached"))
        << all_warnings(*r);
    EXPECT_TRUE(has_warning(*r, "<string>:21:16: virtual_servers[0].hash_port: has no effect with "
                                "lb_algo rr (only sh and mh hash)"))
        << all_warnings(*r);
    EXPECT_TRUE(has_warning(*r, "<string>:22:5: virtual_servers[1]: has no real servers"))
        << all_warnings(*r);

    // A gateway on any port makes off-link real servers reachable.
    auto gw = load_string("ports:\n"
                          "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24, gateway: "
                          "10.0.0.254}\n"
                          "vrrp_instances:\n"
                          "  - {name: VI_1, port: ext0, virtual_router_id: 1, virtual_ipaddress: "
                          "[10.0.0.100]}\n"
                          "virtual_servers:\n"
                          "  - {address: 10.0.0.100, port: 80, protocol: tcp, real_servers: "
                          "[{address: 192.168.9.9}]}\n");
    ASSERT_TRUE(gw.ok()) << gw.message();
    EXPECT_TRUE(gw->warnings.empty()) << all_warnings(*gw);
}

// ---- limits --------------------------------------------------------------------------------

TEST(LbYaml, AtMost256Services) {
    std::string yaml = with_vrrp + "virtual_servers:\n";
    for (int port = 1; port <= 257; ++port) {
        yaml += "  - {address: 10.0.0.100, port: " + std::to_string(port) +
                ", protocol: tcp, real_servers: [{address: 10.1.0.5}]}\n";
    }
    auto r = load_string(yaml);
    ASSERT_FALSE(r.ok());
    // The 257th item is on line 13 + 257.
    EXPECT_EQ(r.message(), "<string>:270:5: virtual_servers[256]: more than 256 virtual servers "
                           "(257 in all); expected at most 256 virtual servers");

    yaml = with_vrrp + "virtual_servers:\n";
    for (int port = 1; port <= 256; ++port) {
        yaml += "  - {address: 10.0.0.100, port: " + std::to_string(port) +
                ", protocol: tcp, real_servers: [{address: 10.1.0.5}]}\n";
    }
    auto ok = load_string(yaml);
    ASSERT_TRUE(ok.ok()) << ok.message();
    EXPECT_EQ(ok->virtual_servers.size(), 256u);
}

TEST(LbYaml, AtMost4096RealServersInAll) {
    auto build = [](int n) {
        std::string yaml = with_vrrp + "virtual_servers:\n"
                                       "  - {address: 10.0.0.100, port: 80, protocol: tcp, "
                                       "real_servers: [{address: 10.1.0.5}]}\n"
                                       "  - address: 10.0.0.101\n"
                                       "    port: 80\n"
                                       "    protocol: tcp\n"
                                       "    real_servers:\n";
        for (int i = 1; i < n; ++i) {
            yaml += "      - {address: 10.1.0.5, port: " + std::to_string(i) + "}\n";
        }
        return yaml;
    };
    auto r = load_string(build(4097));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message(), "<string>:15:5: virtual_servers[1]: more than 4096 real servers over "
                           "all virtual servers; expected at most 4096 real servers in all");
    auto ok = load_string(build(4096));
    ASSERT_TRUE(ok.ok()) << ok.message();
    EXPECT_EQ(ok->virtual_servers[1].real_servers.size(), 4095u);
}

// ---- one case per error kind ------------------------------------------------------------

struct error_case {
    const char* name;
    std::string yaml;
    std::string want; // substring of the error message
};

const error_case error_cases[] = {
    {"quorum_zero", one_vs + "    quorum: 0\n", "virtual_servers[0].quorum"},
    {"hysteresis_text", one_vs + "    hysteresis: lots\n", "virtual_servers[0].hysteresis"},
    {"quorum_up_empty", one_vs + "    quorum_up: \"  \"\n",
     "virtual_servers[0].quorum_up: has no command"},
    {"sorry_server_no_address", one_vs + "    sorry_server: {port: 80}\n",
     "virtual_servers[0].sorry_server"},
    {"sorry_server_is_a_real_server", one_vs + "    sorry_server: {address: 10.1.0.5}\n",
     "virtual_servers[0].sorry_server: 10.1.0.5:80 is also a real server of this virtual "
     "server"},
    {"sorry_server_bad_port", one_vs + "    sorry_server: {address: 10.1.0.9, port: 70000}\n",
     "virtual_servers[0].sorry_server.port"},
    // ports[].gateway
    {"gateway_outside_subnet", two_ports + "    gateway: 10.2.0.1\n",
     "<string>:8:14: ports[1].gateway: 10.2.0.1 is not in the port's subnet 10.1.0.0/24; "
     "expected the IPv4 address of a router in the port's subnet, other than the port's own "
     "address"},
    {"gateway_own_address", two_ports + "    gateway: 10.1.0.1\n",
     "<string>:8:14: ports[1].gateway: 10.1.0.1 is the port's own address"},
    {"gateway_broadcast", two_ports + "    gateway: 10.1.0.255\n",
     "<string>:8:14: ports[1].gateway: 10.1.0.255 is the broadcast address of 10.1.0.0/24"},
    {"gateway_not_an_address", two_ports + "    gateway: router\n",
     "<string>:8:14: ports[1].gateway: 'router' is not an IPv4 address; expected an IPv4 "
     "address a.b.c.d"},
    // neighbours.static
    {"static_not_a_sequence", two_ports + "neighbours:\n  static: {address: 10.0.0.5}\n",
     "<string>:9:11: neighbours.static: got a map; expected a sequence of static neighbours"},
    {"static_missing_mac",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, port: "
                 "ext0}\n",
     "<string>:10:7: neighbours.static[0]: missing required key 'mac'; expected a unicast MAC "
     "address"},
    {"static_unknown_key",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, mac: '02:00:00:00:00:01', "
                 "port: ext0, vlan: 3}\n",
     "<string>:10:65: neighbours.static[0]: unknown key 'vlan'; expected one of address, mac, "
     "port"},
    {"static_bad_mac",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, mac: 02-00-00-00-00-01, "
                 "port: ext0}\n",
     "<string>:10:32: neighbours.static[0].mac: '02-00-00-00-00-01' is not a MAC address; "
     "expected a unicast MAC address xx:xx:xx:xx:xx:xx"},
    {"static_multicast_mac",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, mac: '01:00:5e:00:00:01', "
                 "port: ext0}\n",
     "<string>:10:32: neighbours.static[0].mac: a quoted string '01:00:5e:00:00:01' is a "
     "multicast MAC address"},
    {"static_zero_mac",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, mac: '00:00:00:00:00:00', "
                 "port: ext0}\n",
     "neighbours.static[0].mac: a quoted string '00:00:00:00:00:00' is the all-zero MAC address"},
    {"static_unknown_port",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.5, mac: '02:00:00:00:00:01', "
                 "port: eth0}\n",
     "<string>:10:59: neighbours.static[0].port: no port named 'eth0'; expected one of the ports "
     "ext0, int0"},
    {"static_outside_subnet",
     two_ports + "neighbours:\n  static:\n    - {address: 10.1.0.5, mac: '02:00:00:00:00:01', "
                 "port: ext0}\n",
     "<string>:10:17: neighbours.static[0].address: 10.1.0.5 is not in the subnet of port "
     "'ext0' (10.0.0.0/24); expected a host address in the subnet of the port"},
    {"static_port_address",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.1, mac: '02:00:00:00:00:01', "
                 "port: ext0}\n",
     "<string>:10:17: neighbours.static[0].address: 10.0.0.1 is the address of port 'ext0'"},
    {"static_broadcast",
     two_ports + "neighbours:\n  static:\n    - {address: 10.0.0.255, mac: '02:00:00:00:00:01', "
                 "port: ext0}\n",
     "neighbours.static[0].address: 10.0.0.255 is the broadcast address of 10.0.0.0/24"},
    {"static_duplicate",
     two_ports + "neighbours:\n  static:\n"
                 "    - {address: 10.0.0.5, mac: '02:00:00:00:00:01', port: ext0}\n"
                 "    - {address: 10.0.0.5, mac: '02:00:00:00:00:02', port: ext0}\n",
     "<string>:11:17: neighbours.static[1].address: duplicate static neighbour 10.0.0.5 (first "
     "used by neighbours.static[0].address at line 10, column 17); expected each address at "
     "most once"},
    // load_balancing
    {"load_balancing_not_a_map", two_ports + "load_balancing: 5\n",
     "<string>:8:17: load_balancing: got '5'; expected a map with keys flows_per_worker, "
     "persistence_templates, sloppy_tcp, expire_budget, timeouts"},
    {"flows_per_worker_range", two_ports + "load_balancing:\n  flows_per_worker: 1000\n",
     "<string>:9:21: load_balancing.flows_per_worker: '1000' is out of range; expected an "
     "integer 1024..16777216"},
    {"persistence_templates_range",
     two_ports + "load_balancing:\n  persistence_templates: 16777217\n",
     "<string>:9:26: load_balancing.persistence_templates: '16777217' is out of range"},
    {"expire_budget_range", two_ports + "load_balancing:\n  expire_budget: 0\n",
     "<string>:9:18: load_balancing.expire_budget: '0' is out of range; expected an integer "
     "1..65536"},
    {"sloppy_tcp_not_bool", two_ports + "load_balancing:\n  sloppy_tcp: 1\n",
     "<string>:9:15: load_balancing.sloppy_tcp: '1' is not a boolean"},
    {"timeouts_unknown_key", two_ports + "load_balancing:\n  timeouts:\n    tcp_establised: 1h\n",
     "<string>:10:5: load_balancing.timeouts: unknown key 'tcp_establised' (did you mean "
     "'tcp_established'?)"},
    {"timeout_zero", two_ports + "load_balancing:\n  timeouts:\n    udp: 0s\n",
     "<string>:10:10: load_balancing.timeouts.udp: '0s' is out of range; expected a duration "
     "1ms..2147483647ms in whole milliseconds"},
    {"timeout_too_long", two_ports + "load_balancing:\n  timeouts:\n    tcp_established: 25d\n",
     "load_balancing.timeouts.tcp_established: '25d' has an unknown unit 'd'"},
    {"timeout_over_32_bits",
     two_ports + "load_balancing:\n  timeouts:\n    tcp_established: 2147484s\n",
     "<string>:10:22: load_balancing.timeouts.tcp_established: '2147484s' is out of range"},
    {"timeout_submillisecond", two_ports + "load_balancing:\n  timeouts:\n    tcp_close: 1.5ms\n",
     "<string>:10:16: load_balancing.timeouts.tcp_close: '1.5ms' is not in whole milliseconds"},
    // virtual_servers: shape and required keys
    {"virtual_servers_not_a_sequence", with_vrrp + "virtual_servers: {address: 10.0.0.100}\n",
     "<string>:13:18: virtual_servers: got a map; expected a sequence of virtual servers, each a "
     "map with keys address, port, protocol, lb_algo"},
    {"virtual_server_not_a_map", with_vrrp + "virtual_servers:\n  - 10.0.0.100\n",
     "<string>:14:5: virtual_servers[0]: got '10.0.0.100'; expected a map with keys address"},
    {"missing_protocol",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, port: 80, real_servers: []}\n",
     "<string>:14:5: virtual_servers[0]: missing required key 'protocol'; expected tcp or udp"},
    {"missing_port",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, protocol: tcp, real_servers: []}\n",
     "<string>:14:5: virtual_servers[0]: missing required key 'port'; expected an integer "
     "1..65535"},
    {"missing_address", with_vrrp + "virtual_servers:\n  - {port: 80, protocol: tcp}\n",
     "<string>:14:5: virtual_servers[0]: missing required key 'address'; expected the virtual "
     "IPv4 address"},
    {"unknown_key", one_vs + "    lb_algorithm: rr\n",
     "<string>:19:5: virtual_servers[0]: unknown key 'lb_algorithm'"},
    // virtual_servers: values
    {"vip_not_an_address",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.300, port: 80, protocol: tcp}\n",
     "<string>:14:15: virtual_servers[0].address: '10.0.0.300' is not an IPv4 address; expected "
     "the virtual IPv4 address a.b.c.d"},
    {"vip_ipv6",
     with_vrrp + "virtual_servers:\n  - {address: '2001:db8::1', port: 80, protocol: "
                 "tcp}\n",
     "<string>:14:15: virtual_servers[0].address: a quoted string '2001:db8::1' is an IPv6 "
     "address (vipgate is IPv4 only)"},
    {"vip_multicast",
     with_vrrp + "virtual_servers:\n  - {address: 224.0.0.18, port: 80, protocol: tcp}\n",
     "virtual_servers[0].address: '224.0.0.18' is a multicast address"},
    {"port_zero",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, port: 0, protocol: "
                 "tcp}\n",
     "<string>:14:33: virtual_servers[0].port: '0' is out of range; expected an integer 1..65535"},
    {"protocol_sctp",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, port: 80, protocol: sctp}\n",
     "<string>:14:47: virtual_servers[0].protocol: 'sctp' is not supported (vipgate balances TCP "
     "and UDP); expected tcp or udp"},
    {"protocol_unknown",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, port: 80, protocol: icmp}\n",
     "virtual_servers[0].protocol: 'icmp' is not a protocol; expected tcp or udp"},
    {"lb_algo_not_implemented", one_vs + "    lb_algo: lblc\n",
     "<string>:19:14: virtual_servers[0].lb_algo: 'lblc' is an IPVS scheduler vipgate does not "
     "implement; expected rr, wrr, lc, wlc, sh or mh"},
    {"lb_algo_unknown", one_vs + "    lb_algo: fastest\n",
     "<string>:19:14: virtual_servers[0].lb_algo: 'fastest' is not a scheduler"},
    {"lvs_sched_unknown", one_vs + "    lvs_sched: RR\n",
     "<string>:19:16: virtual_servers[0].lvs_sched: 'RR' is not a scheduler"},
    {"lb_algo_and_lvs_sched", one_vs + "    lb_algo: rr\n    lvs_sched: rr\n",
     "<string>:20:16: virtual_servers[0].lvs_sched: is keepalived's other name for lb_algo, "
     "which is also given; expected either lb_algo or lvs_sched"},
    {"lb_kind_dr", one_vs + "    lb_kind: DR\n",
     "<string>:19:14: virtual_servers[0].lb_kind: 'DR' is not supported: vipgate forwards by NAT "
     "only; expected NAT (vipgate forwards by NAT only)"},
    {"lvs_method_tun", one_vs + "    lvs_method: TUN\n",
     "<string>:19:17: virtual_servers[0].lvs_method: 'TUN' is not supported: vipgate forwards by "
     "NAT only"},
    {"lb_kind_unknown", one_vs + "    lb_kind: MASQ\n",
     "virtual_servers[0].lb_kind: 'MASQ' is not a forwarding method"},
    {"lb_kind_and_lvs_method", one_vs + "    lvs_method: NAT\n    lb_kind: NAT\n",
     "<string>:19:17: virtual_servers[0].lvs_method: is keepalived's other name for lb_kind"},
    {"persistence_over_31_days", one_vs + "    persistence_timeout: 745h\n",
     "<string>:19:26: virtual_servers[0].persistence_timeout: '745h' is out of range; expected a "
     "duration 0s..744h in whole seconds"},
    {"persistence_fraction", one_vs + "    persistence_timeout: 1.5s\n",
     "virtual_servers[0].persistence_timeout: '1.5s' is not in whole seconds"},
    {"persistence_bare", one_vs + "    persistence_timeout:\n",
     "<string>:19:5: virtual_servers[0].persistence_timeout: has no value"},
    {"granularity_not_contiguous",
     one_vs + "    persistence_timeout: 5m\n    persistence_granularity: 255.0.255.0\n",
     "<string>:20:30: virtual_servers[0].persistence_granularity: '255.0.255.0' is not a "
     "contiguous netmask; expected a contiguous IPv4 netmask such as 255.255.255.0"},
    {"granularity_prefix_length",
     one_vs + "    persistence_timeout: 5m\n    persistence_granularity: /24\n",
     "virtual_servers[0].persistence_granularity: '/24' is not a netmask a.b.c.d"},
    {"granularity_without_persistence", one_vs + "    persistence_granularity: 255.255.255.0\n",
     "<string>:19:30: virtual_servers[0].persistence_granularity: is set but persistence is off "
     "(no persistence_timeout); expected a persistence_timeout above 0s"},
    {"hash_port_not_bool", one_vs + "    hash_port: port\n",
     "<string>:19:16: virtual_servers[0].hash_port: 'port' is not a boolean"},
    {"delay_loop_too_short", one_vs + "    delay_loop: 1ms\n",
     "<string>:19:17: virtual_servers[0].delay_loop: '1ms' is out of range; expected a duration "
     "10ms..24h in whole milliseconds"},
    {"vs_connect_timeout_zero", one_vs + "    connect_timeout: 0s\n",
     "<string>:19:22: virtual_servers[0].connect_timeout: '0s' is out of range; expected a "
     "duration 10ms..1h"},
    {"vs_retry_range", one_vs + "    retry: 1000001\n",
     "<string>:19:12: virtual_servers[0].retry: '1000001' is out of range; expected an integer "
     "0..1000000"},
    {"real_servers_not_a_sequence",
     with_vrrp + "virtual_servers:\n  - {address: 10.0.0.100, port: 80, protocol: tcp, "
                 "real_servers: 10.1.0.5}\n",
     "virtual_servers[0].real_servers: got '10.1.0.5'; expected a sequence of real servers, "
     "each a map with keys address, port, weight"},
    {"duplicate_service",
     one_vs + "  - {address: 10.0.0.100, port: 80, protocol: TCP, real_servers: []}\n",
     "<string>:19:15: virtual_servers[1].address: duplicate virtual server 10.0.0.100:80/tcp "
     "(first defined at <string>:14:14); expected each VIP, port and protocol at most once"},
    // real_servers
    {"rs_missing_address", one_vs + "      - {weight: 1}\n",
     "<string>:19:9: virtual_servers[0].real_servers[1]: missing required key 'address'; "
     "expected the real server's unicast IPv4 address"},
    {"rs_bad_address", one_vs + "      - {address: 10.1.0}\n",
     "<string>:19:19: virtual_servers[0].real_servers[1].address: '10.1.0' is not an IPv4 "
     "address"},
    {"rs_port_zero", one_vs + "        port: 0\n",
     "<string>:19:15: virtual_servers[0].real_servers[0].port: '0' is out of range; expected an "
     "integer 1..65535"},
    {"rs_weight_range", one_vs + "        weight: 2147483648\n",
     "<string>:19:17: virtual_servers[0].real_servers[0].weight: '2147483648' is out of range; "
     "expected an integer 0..2147483647"},
    {"rs_weight_negative", one_vs + "        weight: -1\n",
     "virtual_servers[0].real_servers[0].weight: '-1' is out of range"},
    {"rs_inhibit_not_bool", one_vs + "        inhibit_on_failure: sometimes\n",
     "<string>:19:29: virtual_servers[0].real_servers[0].inhibit_on_failure: 'sometimes' is not "
     "a boolean"},
    {"rs_duplicate", one_vs + "      - {address: 10.1.0.5, port: 80}\n",
     "<string>:19:19: virtual_servers[0].real_servers[1].address: real server 10.1.0.5:80 is "
     "listed twice in this virtual server (first at <string>:18:18); expected each real server "
     "address and port at most once per virtual server"},
    {"rs_is_a_port", one_vs + "      - {address: 10.1.0.1}\n",
     "<string>:19:19: virtual_servers[0].real_servers[1].address: 10.1.0.1 is the address of port "
     "'int0' (vipgate itself); expected the address of a real server behind one of the ports"},
    {"rs_delay_loop_range", one_vs + "        delay_loop: 25h\n",
     "<string>:19:21: virtual_servers[0].real_servers[0].delay_loop: '25h' is out of range"},
    // check
    {"check_not_a_map", one_vs + "        check: tcp\n",
     "<string>:19:16: virtual_servers[0].real_servers[0].check: got 'tcp'; expected a map with "
     "keys type, delay_loop, connect_timeout, retry, delay_before_retry, connect_ip, "
     "connect_port, misc_path, misc_timeout, misc_dynamic, user, warmup"},
    {"check_missing_type", one_vs + "        check: {connect_timeout: 1s}\n",
     "<string>:19:16: virtual_servers[0].real_servers[0].check: missing required key 'type'; "
     "expected tcp"},
    {"check_http", one_vs + "        check: {type: http}\n",
     "<string>:19:23: virtual_servers[0].real_servers[0].check.type: 'http' checks are not "
     "supported yet (only tcp and misc are implemented); expected tcp (a TCP connect, "
     "keepalived's TCP_CHECK"},
    {"check_ssl", one_vs + "        check: {type: ssl}\n",
     "virtual_servers[0].real_servers[0].check.type: 'ssl' checks are not supported yet"},
    // check, type misc (keepalived's MISC_CHECK)
    {"misc_without_path", one_vs + "        check: {type: misc}\n",
     "<string>:19:16: virtual_servers[0].real_servers[0].check: a misc check has no misc_path; "
     "expected a script and its arguments in one string"},
    {"misc_path_empty", one_vs + "        check: {type: misc, misc_path: \" \"}\n",
     "<string>:19:40: virtual_servers[0].real_servers[0].check.misc_path: has no command; "
     "expected a script and its arguments"},
    {"misc_path_not_a_string", one_vs + "        check: {type: misc, misc_path: [a, b]}\n",
     "<string>:19:40: virtual_servers[0].real_servers[0].check.misc_path: "},
    {"misc_timeout_word",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "misc_timeout: soon}\n",
     "virtual_servers[0].real_servers[0].check.misc_timeout: 'soon'"},
    {"misc_timeout_range",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "misc_timeout: 25h}\n",
     "virtual_servers[0].real_servers[0].check.misc_timeout: '25h' is out of range"},
    {"misc_dynamic_word",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "misc_dynamic: maybe}\n",
     "virtual_servers[0].real_servers[0].check.misc_dynamic: 'maybe'"},
    {"misc_user_three_words",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "user: a b c}\n",
     "virtual_servers[0].real_servers[0].check.user: 'a b c' is not a user and an optional "
     "group; expected a user name, optionally followed by a group name"},
    {"misc_warmup_range",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "warmup: 25h}\n",
     "virtual_servers[0].real_servers[0].check.warmup: '25h' is out of range"},
    {"misc_retry_negative",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "retry: -1}\n",
     "virtual_servers[0].real_servers[0].check.retry: '-1'"},
    {"misc_with_connect_port",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "connect_port: 80}\n",
     "virtual_servers[0].real_servers[0].check.connect_port: is not a key of a misc check; "
     "expected misc_path, misc_timeout"},
    {"misc_with_connect_timeout",
     one_vs + "        check: {type: misc, misc_path: /bin/true, "
              "connect_timeout: 1s}\n",
     "virtual_servers[0].real_servers[0].check.connect_timeout: is not a key of a misc check"},
    {"tcp_with_misc_path", one_vs + "        check: {type: tcp, misc_path: /bin/true}\n",
     "virtual_servers[0].real_servers[0].check.misc_path: is not a key of a tcp check; expected "
     "connect_ip"},
    {"check_unknown_type", one_vs + "        check: {type: ftp}\n",
     "virtual_servers[0].real_servers[0].check.type: 'ftp' is not a check type"},
    {"check_connect_port_zero", one_vs + "        check: {type: tcp, connect_port: 0}\n",
     "<string>:19:42: virtual_servers[0].real_servers[0].check.connect_port: '0' is out of "
     "range; expected an integer 1..65535"},
    {"check_connect_ip_bad", one_vs + "        check: {type: tcp, connect_ip: 10.1.0.256}\n",
     "<string>:19:40: virtual_servers[0].real_servers[0].check.connect_ip: '10.1.0.256' is not "
     "an IPv4 address; expected a unicast IPv4 address"},
    {"check_retry_word", one_vs + "        check: {type: tcp, retry: twice}\n",
     "virtual_servers[0].real_servers[0].check.retry: 'twice' is not an integer"},
    {"check_unknown_key", one_vs + "        check: {type: tcp, url: /}\n",
     "<string>:19:28: virtual_servers[0].real_servers[0].check: unknown key 'url'"},
    // notify_up / notify_down (keepalived's real_server notify scripts)
    {"notify_up_empty", one_vs + "        notify_up: \" \"\n",
     "<string>:19:20: virtual_servers[0].real_servers[0].notify_up: has no command; expected a "
     "script and its arguments in one string"},
    {"notify_up_sequence", one_vs + "        notify_up: [/bin/true, a]\n",
     "<string>:19:20: virtual_servers[0].real_servers[0].notify_up: got a sequence; expected a "
     "script and its arguments in one string"},
    {"notify_down_map_without_script", one_vs + "        notify_down: {user: nobody}\n",
     "<string>:19:22: virtual_servers[0].real_servers[0].notify_down: missing required key "
     "'script'; expected a script and its arguments"},
    {"notify_down_user_three_words",
     one_vs + "        notify_down: {script: /bin/true, user: a b c}\n",
     "<string>:19:48: virtual_servers[0].real_servers[0].notify_down.user: 'a b c' is not a user "
     "and an optional group; expected a user name, optionally followed by a group name"},
    {"notify_up_unknown_key", one_vs + "        notify_up: {script: /bin/true, group: adm}\n",
     "<string>:19:40: virtual_servers[0].real_servers[0].notify_up: unknown key 'group'"},
    {"notify_up_script_empty", one_vs + "        notify_up: {script: \"\"}\n",
     "<string>:19:29: virtual_servers[0].real_servers[0].notify_up.script: "},
};

void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.name;
}

class LbYamlError : public ::testing::TestWithParam<error_case> {};

TEST_P(LbYamlError, ReportsPositionAndExpectation) {
    const auto& c = GetParam();
    auto r = load_string(c.yaml);
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.yaml;
    EXPECT_NE(r.message().find(c.want), std::string::npos) << "yaml:\n"
                                                           << c.yaml << "\ngot:\n"
                                                           << r.message() << "\nwant:\n"
                                                           << c.want;
    std::istringstream lines(r.message());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind("<string>:", 0), 0u) << line;
        EXPECT_NE(line.find("; expected "), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(EachKind, LbYamlError, ::testing::ValuesIn(error_cases),
                         [](const auto& p) { return std::string(p.param.name); });

// keepalived's MISC_CHECK as `check: {type: misc}`: every key, and the
// inheritance (retry's default is MISC_CHECK's 0).
TEST(LbYaml, MiscCheckSetsEveryKey) {
    auto r = load_string(one_vs + "        check:\n"
                                  "          type: misc\n"
                                  "          misc_path: \"/usr/local/bin/check.sh  10.1.0.5 80\"\n"
                                  "          misc_timeout: 3s\n"
                                  "          misc_dynamic: true\n"
                                  "          user: nobody nogroup\n"
                                  "          retry: 2\n"
                                  "          delay_before_retry: 500ms\n"
                                  "          delay_loop: 7s\n"
                                  "          warmup: 2s\n"
                                  "      - address: 10.1.0.6\n"
                                  "        check: {type: misc, misc_path: /bin/true}\n");
    ASSERT_TRUE(r.ok()) << r.message();
    const auto& rs = r->virtual_servers.at(0).real_servers;
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_FALSE(rs[0].check.has_value()); // no TCP check
    ASSERT_EQ(rs[0].misc_checks.size(), 1u);
    const misc_check_config& m = rs[0].misc_checks[0];
    EXPECT_EQ(m.argv, (std::vector<std::string>{"/usr/local/bin/check.sh", "10.1.0.5", "80"}));
    EXPECT_EQ(m.timeout, std::optional<milliseconds>(3s));
    EXPECT_TRUE(m.dynamic);
    EXPECT_EQ(m.user, "nobody");
    EXPECT_EQ(m.group, "nogroup");
    EXPECT_EQ(m.retry, 2u);
    EXPECT_EQ(m.delay_before_retry, milliseconds{500});
    EXPECT_EQ(m.delay_loop, milliseconds{7s});
    EXPECT_EQ(m.warmup, std::optional<milliseconds>(2s));
    EXPECT_EQ(m.where.to_string(), "<string>:20:11");
    ASSERT_EQ(rs[1].misc_checks.size(), 1u);
    const misc_check_config& d = rs[1].misc_checks[0];
    EXPECT_EQ(d.argv, (std::vector<std::string>{"/bin/true"}));
    EXPECT_FALSE(d.timeout.has_value());
    EXPECT_FALSE(d.dynamic);
    EXPECT_EQ(d.user, "");
    EXPECT_EQ(d.retry, 0u); // MISC_CHECK's default_retry
    EXPECT_EQ(d.delay_before_retry, milliseconds{1s});
    EXPECT_EQ(d.delay_loop, milliseconds{60s});
    EXPECT_FALSE(d.warmup.has_value());
}

// keepalived's real_server notify_up / notify_down: the command as one
// string (run as script_user), or {script, user}.
TEST(LbYaml, RealServerNotifyUpAndDown) {
    auto r = load_string(one_vs + "        notify_up: \"/etc/vipgate/rs.sh  up 10.1.0.5\"\n"
                                  "        notify_down:\n"
                                  "          script: /etc/vipgate/rs-down.sh\n"
                                  "          user: nobody nogroup\n"
                                  "      - address: 10.1.0.6\n"
                                  "        notify_down: {script: /bin/echo down, user: nobody}\n"
                                  "      - address: 10.1.0.7\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    const auto& rs = r->virtual_servers.at(0).real_servers;
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].notify_up.argv,
              (std::vector<std::string>{"/etc/vipgate/rs.sh", "up", "10.1.0.5"}));
    EXPECT_EQ(rs[0].notify_up.user, "");
    EXPECT_EQ(rs[0].notify_down.argv, std::vector<std::string>{"/etc/vipgate/rs-down.sh"});
    EXPECT_EQ(rs[0].notify_down.user, "nobody");
    EXPECT_EQ(rs[0].notify_down.group, "nogroup");
    EXPECT_TRUE(rs[1].notify_up.empty());
    EXPECT_EQ(rs[1].notify_down.argv, (std::vector<std::string>{"/bin/echo", "down"}));
    EXPECT_EQ(rs[1].notify_down.user, "nobody");
    EXPECT_EQ(rs[1].notify_down.group, "");
    EXPECT_TRUE(rs[2].notify_up.empty());
    EXPECT_TRUE(rs[2].notify_down.empty());
}

// A value that fails is reported once: the checks that span services do not
// repeat it (no duplicate-service error for a service whose protocol is bad).
TEST(LbYaml, ABadValueIsReportedOnce) {
    auto r = load_string(with_vrrp + "virtual_servers:\n"
                                     "  - {address: 10.0.0.100, port: 80, protocol: sctp}\n"
                                     "  - {address: 10.0.0.100, port: 80, protocol: tcp, "
                                     "real_servers: [{address: 10.1.0.5, weight: -2}]}\n");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message(),
              "<string>:14:47: virtual_servers[0].protocol: 'sctp' is not supported (vipgate "
              "balances TCP and UDP); expected tcp or udp\n"
              "<string>:15:95: virtual_servers[1].real_servers[0].weight: '-2' is out of range; "
              "expected an integer 0..2147483647");
}

// ---- the sample file -------------------------------------------------------------------

TEST(LbYaml, LbExampleLoadsWithoutRemarks) {
    auto r = load_file(std::string(VIPGATE_SOURCE_DIR) + "/conf/lb-example.yaml");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    ASSERT_EQ(r->ports.size(), 2u);
    EXPECT_EQ(r->ports[0].gateway, std::optional<net::ipv4_addr>(ip(192, 168, 44, 1)));
    ASSERT_EQ(r->vrrp_instances.size(), 2u);
    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_TRUE(r->load_balancing.sloppy_tcp);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "192.168.44.100:80/tcp");
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::wrr);
    ASSERT_EQ(vs.real_servers.size(), 2u);
    for (const auto& rs : vs.real_servers) {
        ASSERT_TRUE(rs.check.has_value());
        EXPECT_EQ(rs.check->connect_timeout, milliseconds{3s});
        EXPECT_EQ(rs.check->delay_loop, milliseconds{5s});
        // Reached through int0, whose VRRP address is their gateway.
        EXPECT_TRUE(r->ports[1].address.contains(rs.rs.address));
    }
    EXPECT_EQ(vs.real_servers[0].rs.weight, 2u);
}

} // namespace
} // namespace vipgate::config
