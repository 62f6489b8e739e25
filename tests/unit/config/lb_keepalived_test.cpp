// keepalived.conf import of virtual_server blocks: values and keepalived's
// inheritance into virtual_server_config, keepalived's defaults (UDP, wlc,
// NAT, a bare persistence_timeout of 360 s), a warning with file:line for
// every keyword and checker vipgate does not implement, errors with
// file:line:column, and the interplay with the YAML's own virtual servers.

#include "config/keepalived.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

class temp_dir {
  public:
    temp_dir() {
        char tmpl[] = "/tmp/vipgate-lb-keepalived-test-XXXXXX";
        const char* p = mkdtemp(tmpl);
        EXPECT_NE(p, nullptr);
        path_ = p != nullptr ? p : "/tmp";
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path p = std::filesystem::path(path_) / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }

  private:
    std::string path_;
};

const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                               "  - {name: int0, device: net_ring1, address: 10.1.0.1/24}\n";

config base() {
    auto r = load_string(ports_yaml);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : config{};
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) {
        s += l + "\n";
    }
    return s;
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& want) {
    std::size_t n = 0;
    for (const auto& l : lines) {
        n += l.find(want) != std::string::npos ? 1 : 0;
    }
    return n;
}

net::ipv4_addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return net::ipv4_addr(a, b, c, d);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

// "F:" at the start, and after "at ", stands for the file's path.
std::string with_path(const std::string& want, const std::string& path) {
    std::string w = want;
    if (w.rfind("F:", 0) == 0) {
        w = path + w.substr(1);
    }
    return replace_all(w, "at F:", "at " + path + ":");
}

// ---- a realistic virtual_server ---------------------------------------------------------

const std::string realistic = R"(vrrp_instance VI_EXT {
    interface ext0
    virtual_router_id 51
    virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance VI_INT {
    interface int0
    virtual_router_id 52
    virtual_ipaddress { 10.1.0.254 }
}

virtual_server 10.0.0.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    persistence_timeout
    persistence_granularity 255.255.255.0
    inhibit_on_failure
    connect_timeout 4
    retry 2
    delay_before_retry 0.5

    real_server 10.1.0.5 8080 {
        weight 3
        inhibit_on_failure off
        TCP_CHECK {
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 2
            connect_ip 10.1.0.50
            connect_port 8081
        }
    }
    real_server 10.1.0.6 8080 {
        weight 1
        delay_loop 10
        TCP_CHECK {
        }
    }
}
)";

TEST(KeepalivedLb, RealisticVirtualServerWithTwoRealServersAndTcpCheck) {
    temp_dir dir;
    const std::string path = dir.write("keepalived.conf", realistic);
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);

    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "10.0.0.100:80/tcp");
    EXPECT_EQ(vs.where.to_string(), path + ":12:1");
    EXPECT_EQ(vs.service.vip, ip(10, 0, 0, 100));
    EXPECT_EQ(vs.service.port, 80);
    EXPECT_EQ(vs.service.proto, lb::protocol::tcp);
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::rr);
    EXPECT_EQ(vs.service.persistence_timeout, std::chrono::seconds{360}); // bare keyword
    EXPECT_EQ(vs.service.persistence_netmask, ip(255, 255, 255, 0));
    EXPECT_FALSE(vs.service.hash_port);
    EXPECT_EQ(vs.delay_loop, milliseconds{6s});

    ASSERT_EQ(vs.real_servers.size(), 2u);
    const real_server_entry& a = vs.real_servers[0];
    EXPECT_EQ(a.where.to_string(), path + ":24:5");
    EXPECT_EQ(a.rs.address, ip(10, 1, 0, 5));
    EXPECT_EQ(a.rs.port, 8080);
    EXPECT_EQ(a.rs.weight, 3u);
    EXPECT_FALSE(a.inhibit_on_failure); // its own `off` beats the virtual server's
    ASSERT_TRUE(a.check.has_value());
    EXPECT_EQ(a.check->connect_timeout, milliseconds{3s});
    EXPECT_EQ(a.check->retry, 3u); // nb_get_retry
    EXPECT_EQ(a.check->delay_before_retry, milliseconds{2s});
    EXPECT_EQ(a.check->delay_loop, milliseconds{6s});
    EXPECT_EQ(a.check->connect_ip, std::optional<net::ipv4_addr>(ip(10, 1, 0, 50)));
    EXPECT_EQ(a.check->connect_port, std::optional<std::uint16_t>(8081));

    const real_server_entry& b = vs.real_servers[1];
    EXPECT_EQ(b.rs.weight, 1u);
    EXPECT_TRUE(b.inhibit_on_failure); // the virtual server's
    ASSERT_TRUE(b.check.has_value());
    EXPECT_EQ(b.check->connect_timeout, milliseconds{4s});     // virtual server
    EXPECT_EQ(b.check->retry, 2u);                             // virtual server
    EXPECT_EQ(b.check->delay_before_retry, milliseconds{500}); // virtual server
    EXPECT_EQ(b.check->delay_loop, milliseconds{10s});         // real server
    EXPECT_FALSE(b.check->connect_ip.has_value());
    EXPECT_FALSE(b.check->connect_port.has_value());

    ASSERT_EQ(vs.service.real_servers.size(), 2u);
    auto t = lb::service_table::build(std::span<const lb::service_config>(&vs.service, 1));
    EXPECT_TRUE(t.ok()) << t.message();
}

// keepalived's own defaults, each with the warning keepalived logs.
TEST(KeepalivedLb, DefaultsAreKeepalivedsWithItsWarnings) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 1\n"
                                                 "    virtual_ipaddress { 10.0.0.9 }\n"
                                                 "}\n"
                                                 "virtual_server 10.0.0.9 53 {\n"
                                                 "    persistence_granularity 255.255.0.0\n"
                                                 "    real_server 10.1.0.5\n"
                                                 "    real_server 10.1.0.6 5353 {\n"
                                                 "        TCP_CHECK {\n"
                                                 "        }\n"
                                                 "    }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "10.0.0.9:53/udp"); // keepalived's default protocol
    EXPECT_EQ(vs.service.proto, lb::protocol::udp);
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::wlc);
    EXPECT_EQ(vs.service.persistence_timeout, std::chrono::seconds{360});
    EXPECT_EQ(vs.delay_loop, milliseconds{60s});
    ASSERT_EQ(vs.real_servers.size(), 2u);
    EXPECT_EQ(vs.real_servers[0].rs.port, 53); // no port: the service's
    EXPECT_EQ(vs.real_servers[0].rs.weight, 1u);
    EXPECT_FALSE(vs.real_servers[0].check.has_value());
    EXPECT_FALSE(vs.real_servers[0].inhibit_on_failure);
    EXPECT_EQ(vs.real_servers[1].rs.port, 5353);
    ASSERT_TRUE(vs.real_servers[1].check.has_value());
    EXPECT_EQ(vs.real_servers[1].check->connect_timeout, milliseconds{5s});
    EXPECT_EQ(vs.real_servers[1].check->retry, 1u);
    EXPECT_EQ(vs.real_servers[1].check->delay_before_retry, milliseconds{1s});
    EXPECT_EQ(vs.real_servers[1].check->delay_loop, milliseconds{60s});

    const std::string want[] = {
        path + ":6:1: virtual_server 10.0.0.9 53: no protocol; UDP used, as keepalived does (it "
               "reports a configuration error): add `protocol TCP` for a TCP service",
        path + ":6:1: virtual_server 10.0.0.9 53: no lb_algo; wlc used, as keepalived does",
        path + ":6:1: virtual_server 10.0.0.9 53: no lb_kind; NAT used, as keepalived does",
        path + ":7:29: virtual_server 10.0.0.9 53: persistence_granularity without "
               "persistence_timeout; persistence_timeout 360 used, as keepalived does",
    };
    for (const auto& w : want) {
        EXPECT_EQ(count_containing(r->warnings, w), 1u) << w << "\nin\n" << joined(r->warnings);
    }
    EXPECT_EQ(r->warnings.size(), std::size(want)) << joined(r->warnings);
}

TEST(KeepalivedLb, AliasesAndHashPortFlags) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 1\n"
                                                 "    virtual_ipaddress { 10.0.0.9 }\n"
                                                 "}\n"
                                                 "virtual_server 10.0.0.9 80 {\n"
                                                 "    lvs_sched mh\n"
                                                 "    lvs_method NAT\n"
                                                 "    protocol udp\n"
                                                 "    mh-port\n"
                                                 "    ip_family inet\n"
                                                 "    real_server 10.1.0.5 80 {\n"
                                                 "        lvs_method NAT\n"
                                                 "        weight 0\n"
                                                 "    }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    EXPECT_EQ(r->virtual_servers[0].service.scheduler, lb::scheduler_kind::mh);
    EXPECT_EQ(r->virtual_servers[0].service.proto, lb::protocol::udp);
    EXPECT_TRUE(r->virtual_servers[0].service.hash_port);
    EXPECT_EQ(r->virtual_servers[0].real_servers[0].rs.weight, 0u);
}

// ---- never a silent ignore ----------------------------------------------------------------

struct warning_case {
    const char* name;
    std::string text;     // from line 6 on, after a VRRP instance holding 10.0.0.9
    std::string want;     // one warning; "F" stands for the path
    std::size_t services; // virtual servers imported
};

// Lines 6-9: a service opened with its main keys; a case continues at line 10.
const std::string vs_open = "virtual_server 10.0.0.9 80 {\n"
                            "    protocol TCP\n"
                            "    lb_algo rr\n"
                            "    lb_kind NAT\n";
const std::string rs_open = vs_open + "    real_server 10.1.0.5 80 {\n"; // line 10
// Lines 11-12: a MISC_CHECK with its script; a case continues at line 13.
const std::string misc_open = rs_open + "        MISC_CHECK {\n            misc_path /bin/true\n";

const warning_case warning_cases[] = {
    // Checkers other than TCP_CHECK and MISC_CHECK.
    {"http_get", rs_open + "        HTTP_GET {\n url { path /health }\n }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: HTTP_GET: only TCP_CHECK and "
     "MISC_CHECK are implemented; real server 10.1.0.5:80 is treated as always up (ignored with "
     "its block)",
     1},
    {"ssl_get", rs_open + "        SSL_GET { url { path / } }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: SSL_GET: only TCP_CHECK and "
     "MISC_CHECK are implemented; real server 10.1.0.5:80 is treated as always up",
     1},
    {"smtp_check", rs_open + "        SMTP_CHECK { helo_name x }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: SMTP_CHECK: only TCP_CHECK", 1},
    {"dns_check", rs_open + "        DNS_CHECK { name example.com }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: DNS_CHECK: only TCP_CHECK", 1},
    {"udp_check", rs_open + "        UDP_CHECK { }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: UDP_CHECK: only TCP_CHECK", 1},
    {"ping_check", rs_open + "        PING_CHECK { }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: PING_CHECK: only TCP_CHECK", 1},
    {"http_get_next_to_tcp_check",
     rs_open + "        TCP_CHECK { connect_timeout 2 }\n        HTTP_GET { }\n    }\n}\n",
     "F:12:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: HTTP_GET: only TCP_CHECK and "
     "MISC_CHECK are implemented; real server 10.1.0.5:80 is checked by its TCP_CHECK only",
     1},
    {"http_get_next_to_misc_check",
     rs_open + "        MISC_CHECK {\n            misc_path /bin/true\n        }\n"
               "        HTTP_GET { }\n    }\n}\n",
     "F:14:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: HTTP_GET: only TCP_CHECK and "
     "MISC_CHECK are implemented; real server 10.1.0.5:80 is checked by its TCP_CHECK and "
     "MISC_CHECK blocks only",
     1},
    // Inside MISC_CHECK.
    {"misc_connect_timeout",
     rs_open + "        MISC_CHECK {\n            misc_path /bin/true\n"
               "            connect_timeout 3\n        }\n    }\n}\n",
     "F:13:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: connect_timeout "
     "is not supported by vipgate (a MISC_CHECK has no connection: misc_timeout); ignored",
     1},
    {"misc_alpha",
     rs_open + "        MISC_CHECK {\n            misc_path /bin/true\n"
               "            alpha\n        }\n    }\n}\n",
     "F:13:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: alpha is not "
     "supported by vipgate",
     1},
    {"misc_unknown_keyword",
     rs_open + "        MISC_CHECK {\n            misc_path /bin/true\n"
               "            misc_pathx /bin/false\n        }\n    }\n}\n",
     "F:13:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: unknown keyword "
     "'misc_pathx'",
     1},
    {"second_tcp_check",
     rs_open + "        TCP_CHECK { connect_port 80 }\n        TCP_CHECK { connect_port 81 }\n"
               "    }\n}\n",
     "F:12:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: a second TCP_CHECK; only the "
     "first is used (ignored with its block)",
     1},
    // Inside TCP_CHECK.
    {"bindto", rs_open + "        TCP_CHECK {\n            bindto 10.1.0.1\n        }\n    }\n}\n",
     "F:12:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: bindto is not "
     "supported by vipgate (vipgate chooses the check's source address); ignored",
     1},
    {"bind_port",
     rs_open + "        TCP_CHECK {\n            bind_port 5000\n        }\n    }\n}\n",
     "F:12:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: bind_port is not "
     "supported by vipgate (vipgate chooses the check's source port); ignored",
     1},
    {"check_warmup", rs_open + "        TCP_CHECK {\n            warmup 5\n        }\n    }\n}\n",
     "F:12:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: warmup is not "
     "supported by vipgate; ignored",
     1},
    // Inside real_server.
    // keepalived keeps the first notify_up ("already specified - ignoring").
    {"notify_up_twice",
     rs_open + "        notify_up /bin/true\n        notify_up /bin/false\n    }\n}\n",
     "F:12:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_up is already given; "
     "this line is ignored, as keepalived does",
     1},
    {"notify_down_twice",
     rs_open + "        notify_down /bin/true\n        notify_down /bin/false\n    }\n}\n",
     "F:12:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_down is already given",
     1},
    {"notify_up_after_the_group",
     rs_open + "        notify_up /bin/true root root extra\n    }\n}\n",
     "F:11:39: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_up: extra arguments "
     "after the group ignored",
     1},
    // keepalived reads notify_up / notify_down in a real_server only.
    {"vs_notify_up", vs_open + "    notify_up /bin/true\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: unknown keyword 'notify_up'; ignored, as keepalived "
     "does",
     1},
    {"rs_smtp_alert", rs_open + "        smtp_alert\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: smtp_alert is not supported "
     "by vipgate (no e-mail)",
     1},
    {"uthreshold", rs_open + "        uthreshold 100\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: uthreshold is not supported", 1},
    {"rs_unknown", rs_open + "        frobnicate { x }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: unknown keyword "
     "'frobnicate'; ignored (with its block), as keepalived does",
     1},
    // Inside virtual_server.
    {"sorry_server_inhibit",
     vs_open + "    sorry_server 10.1.0.9 80\n    sorry_server_inhibit\n}\n",
     "F:11:5: virtual_server 10.0.0.9 80: sorry_server_inhibit is not supported by vipgate (not "
     "needed: vipgate's sorry server is never scheduled while a real server is eligible)",
     1},
    // keepalived's quorum checks (check_data.c): lowered, with a warning.
    {"quorum_above_total", vs_open + "    quorum 5\n    real_server 10.1.0.5 80 { weight 2 }\n}\n",
     "F:10:12: virtual_server 10.0.0.9 80: quorum: 5 exceeds the total weight of the real servers "
     "(2); 2 used, as keepalived does",
     1},
    {"hysteresis_not_below_quorum",
     vs_open + "    quorum 2\n    hysteresis 2\n    real_server 10.1.0.5 80 { weight 3 }\n}\n",
     "F:11:16: virtual_server 10.0.0.9 80: hysteresis: 2 is not below the quorum (2); 1 used, as "
     "keepalived does",
     1},
    {"alpha", vs_open + "    alpha\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: alpha is not supported by vipgate (real servers start "
     "as up, keepalived's default)",
     1},
    {"omega", vs_open + "    omega\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: omega is not supported by vipgate (quorum_down and "
     "notify_down are not run at shutdown); ignored",
     1},
    {"vs_smtp_alert", vs_open + "    smtp_alert on\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: smtp_alert is not supported by vipgate (no e-mail)", 1},
    {"ha_suspend", vs_open + "    ha_suspend\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: ha_suspend is not supported by vipgate; ignored", 1},
    {"virtualhost", vs_open + "    virtualhost www.example.com\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: virtualhost is not supported by vipgate (only HTTP "
     "checkers use it)",
     1},
    {"sh_fallback", vs_open + "    sh-fallback\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: sh-fallback is not needed: vipgate's sh and mh tables "
     "hold only available real servers; ignored",
     1},
    {"vs_unknown", vs_open + "    mystery 1\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: unknown keyword 'mystery'; ignored, as keepalived does",
     1},
    {"hash_port_with_rr", vs_open + "    sh-port\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: hash_port: has no effect with lb_algo rr (only sh and "
     "mh hash)",
     1},
    // Services vipgate cannot express.
    {"fwmark", "virtual_server fwmark 7 {\n    protocol TCP\n}\n",
     "F:6:1: virtual_server fwmark 7 is not supported by vipgate (a virtual server is one VIP "
     "and port); skipped with its block",
     0},
    {"group", "virtual_server group WEB {\n    protocol TCP\n}\n",
     "F:6:1: virtual_server group WEB is not supported by vipgate", 0},
    // The VIP is not VI_1's.
    {"vip_not_held",
     "virtual_server 10.0.0.10 80 {\n    protocol TCP\n    lb_algo rr\n    lb_kind NAT\n}\n",
     "F:6:1: virtual_server 10.0.0.10 80: address: VIP 10.0.0.10 is not held by any VRRP "
     "instance: it is never owned, no traffic will be forwarded",
     1},
    // A real server behind no port and no gateway.
    {"unreachable_real_server", vs_open + "    real_server 192.168.5.5 80\n}\n",
     "F:10:17: virtual_server 10.0.0.9 80: real_server 192.168.5.5 80: real server 192.168.5.5 "
     "is in no port's subnet and no port has a gateway: it cannot be reached",
     1},
};

void PrintTo(const warning_case& c, std::ostream* os) {
    *os << c.name;
}

class KeepalivedLbWarning : public ::testing::TestWithParam<warning_case> {};

TEST_P(KeepalivedLbWarning, WarnsWithFileAndLine) {
    const auto& c = GetParam();
    temp_dir dir;
    const std::string path = dir.write("keepalived.conf", "vrrp_instance VI_1 {\n"
                                                          "    interface ext0\n"
                                                          "    virtual_router_id 1\n"
                                                          "    virtual_ipaddress { 10.0.0.9 }\n"
                                                          "}\n" +
                                                              c.text);
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->virtual_servers.size(), c.services);
    const std::string want = with_path(c.want, path);
    EXPECT_EQ(count_containing(r->warnings, want), 1u) << "want\n"
                                                       << want << "\nin\n"
                                                       << joined(r->warnings);
}

INSTANTIATE_TEST_SUITE_P(EachKeyword, KeepalivedLbWarning, ::testing::ValuesIn(warning_cases),
                         [](const auto& p) { return std::string(p.param.name); });

// MISC_CHECK (man keepalived.conf): every keyword, keepalived's inheritance of
// delay_loop / retry / delay_before_retry (retry's own default is 0), and
// several checkers on one real server.
TEST(KeepalivedLb, MiscCheckWithEveryKeywordNextToATcpCheck) {
    temp_dir dir;
    const std::string path =
        dir.write("keepalived.conf", "vrrp_instance VI_1 {\n"
                                     "    interface ext0\n"
                                     "    virtual_router_id 1\n"
                                     "    virtual_ipaddress { 10.0.0.9 }\n"
                                     "}\n" +
                                         vs_open +
                                         "    delay_loop 4\n"
                                         "    delay_before_retry 2\n"
                                         "    real_server 10.1.0.5 80 {\n"
                                         "        TCP_CHECK { }\n"
                                         "        MISC_CHECK {\n"
                                         "            misc_path \"/usr/lib/check.sh 10.1.0.5 80\"\n"
                                         "            misc_timeout 3\n"
                                         "            misc_dynamic\n"
                                         "            user nobody nogroup\n"
                                         "            nb_get_retry 2\n"
                                         "            delay_before_retry 0.5\n"
                                         "            delay_loop 7\n"
                                         "            warmup 1.5\n"
                                         "        }\n"
                                         "        MISC_CHECK {\n"
                                         "            misc_path /bin/true\n"
                                         "        }\n"
                                         "    }\n"
                                         "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const real_server_entry& rs = r->virtual_servers[0].real_servers.at(0);
    EXPECT_TRUE(rs.check.has_value());
    ASSERT_EQ(rs.misc_checks.size(), 2u);
    const misc_check_config& m = rs.misc_checks[0];
    EXPECT_EQ(m.where.to_string(), path + ":14:9");
    EXPECT_EQ(m.argv, (std::vector<std::string>{"/usr/lib/check.sh", "10.1.0.5", "80"}));
    EXPECT_EQ(m.timeout, std::optional<milliseconds>(3s));
    EXPECT_TRUE(m.dynamic);
    EXPECT_EQ(m.user, "nobody");
    EXPECT_EQ(m.group, "nogroup");
    EXPECT_EQ(m.retry, 2u);
    EXPECT_EQ(m.delay_before_retry, milliseconds{500});
    EXPECT_EQ(m.delay_loop, milliseconds{7s});
    EXPECT_EQ(m.warmup, std::optional<milliseconds>(1500ms));
    const misc_check_config& d = rs.misc_checks[1];
    EXPECT_EQ(d.argv, (std::vector<std::string>{"/bin/true"}));
    EXPECT_FALSE(d.timeout.has_value());
    EXPECT_FALSE(d.dynamic);
    EXPECT_EQ(d.user, "");
    EXPECT_EQ(d.retry, 0u);                            // MISC_CHECK's default_retry
    EXPECT_EQ(d.delay_before_retry, milliseconds{2s}); // the virtual server's
    EXPECT_EQ(d.delay_loop, milliseconds{4s});         // the virtual server's
    EXPECT_FALSE(d.warmup.has_value());
}

// ---- errors name file, line and column -----------------------------------------------------

struct error_case {
    const char* name;
    std::string text; // from line 6 on
    std::string want; // "F" stands for the path
};

const error_case error_cases[] = {
    {"quorum_zero", vs_open + "    quorum 0\n}\n", "F:10:12: virtual_server 10.0.0.9 80: quorum"},
    {"hysteresis_negative", vs_open + "    hysteresis -1\n}\n",
     "F:10:16: virtual_server 10.0.0.9 80: hysteresis"},
    {"quorum_up_no_command", vs_open + "    quorum_up\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: quorum_up has no command"},
    {"sorry_no_address", vs_open + "    sorry_server\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: sorry_server needs an address and an optional port; "
     "expected sorry_server IP [PORT]"},
    {"sorry_bad_port", vs_open + "    sorry_server 10.1.0.9 0\n}\n",
     "F:10:27: virtual_server 10.0.0.9 80: sorry_server: port '0' is out of range"},
    {"sorry_is_a_real_server",
     vs_open + "    sorry_server 10.1.0.5\n    real_server 10.1.0.5 80 { weight 1 }\n}\n",
     "F:10:18: virtual_server 10.0.0.9 80: sorry_server: 10.1.0.5:80 is also a real server of this "
     "virtual server (at F:11:17); expected a sorry server that is none of the real servers"},
    {"sorry_is_vipgate", vs_open + "    sorry_server 10.1.0.1 80\n}\n",
     "F:10:18: virtual_server 10.0.0.9 80: sorry_server: 10.1.0.1 is the address of port 'int0' "
     "(vipgate itself)"},
    {"no_port", "virtual_server 10.0.0.9 {\n    protocol TCP\n}\n",
     "F:6:1: virtual_server needs an address and a port; expected virtual_server IP PORT { ... } "
     "(fwmark and group services are not supported)"},
    {"port_zero", "virtual_server 10.0.0.9 0 {\n    protocol TCP\n}\n",
     "F:6:25: virtual_server 10.0.0.9 0: port '0' is out of range (port 0, all ports, is not "
     "supported); expected a port 1..65535"},
    {"port_word", "virtual_server 10.0.0.9 http {\n    protocol TCP\n}\n",
     "F:6:25: virtual_server 10.0.0.9 http: port 'http' is not an integer"},
    {"vip_ipv6", "virtual_server 2001:db8::1 80 {\n    protocol TCP\n}\n",
     "F:6:16: virtual_server 2001:db8::1 80: address '2001:db8::1' is an IPv6 address (vipgate's "
     "load balancer is IPv4 only)"},
    {"vip_bad", "virtual_server 10.0.0.256 80 {\n    protocol TCP\n}\n",
     "F:6:16: virtual_server 10.0.0.256 80: address '10.0.0.256' is not an IPv4 address"},
    {"no_block", "virtual_server 10.0.0.9 80\n",
     "F:6:1: virtual_server has no { ... } block; expected virtual_server followed by a { ... } "
     "block"},
    {"lb_kind_dr", vs_open + "    lb_kind DR\n}\n",
     "F:10:13: virtual_server 10.0.0.9 80: lb_kind 'DR' is not supported: vipgate forwards by NAT "
     "only; expected NAT (vipgate forwards by NAT only)"},
    {"lvs_method_tun", vs_open + "    lvs_method TUN\n}\n",
     "F:10:16: virtual_server 10.0.0.9 80: lvs_method 'TUN' is not supported: vipgate forwards by "
     "NAT only"},
    {"lb_kind_unknown", vs_open + "    lb_kind MASQ\n}\n",
     "F:10:13: virtual_server 10.0.0.9 80: lb_kind 'MASQ' is not a forwarding method"},
    {"lb_algo_not_implemented", vs_open + "    lb_algo lblcr\n}\n",
     "F:10:13: virtual_server 10.0.0.9 80: lb_algo 'lblcr' is an IPVS scheduler vipgate does not "
     "implement; expected rr, wrr, lc, wlc, sh or mh"},
    {"lvs_sched_unknown", vs_open + "    lvs_sched best\n}\n",
     "F:10:15: virtual_server 10.0.0.9 80: lvs_sched 'best' is not a scheduler"},
    {"protocol_sctp", "virtual_server 10.0.0.9 80 {\n    protocol SCTP\n}\n",
     "F:7:14: virtual_server 10.0.0.9 80: protocol 'SCTP' is not supported (vipgate balances TCP "
     "and UDP); expected tcp or udp"},
    {"protocol_unknown", "virtual_server 10.0.0.9 80 {\n    protocol ICMP\n}\n",
     "F:7:14: virtual_server 10.0.0.9 80: protocol 'ICMP' is not a protocol"},
    {"persistence_zero", vs_open + "    persistence_timeout 0\n}\n",
     "F:10:25: virtual_server 10.0.0.9 80: persistence_timeout '0' is out of range; expected an "
     "integer 1..2678400"},
    {"persistence_over_31_days", vs_open + "    persistence_timeout 2678401\n}\n",
     "F:10:25: virtual_server 10.0.0.9 80: persistence_timeout '2678401' is out of range"},
    {"granularity_not_contiguous", vs_open + "    persistence_granularity 255.0.255.0\n}\n",
     "F:10:29: virtual_server 10.0.0.9 80: persistence_granularity '255.0.255.0' is not a "
     "contiguous netmask; expected a contiguous IPv4 netmask"},
    {"ip_family_inet6", vs_open + "    ip_family inet6\n}\n",
     "F:10:15: virtual_server 10.0.0.9 80: ip_family 'inet6' is not supported (vipgate's load "
     "balancer is IPv4 only)"},
    {"delay_loop_word", vs_open + "    delay_loop often\n}\n",
     "F:10:16: virtual_server 10.0.0.9 80: delay_loop 'often' is not a number of seconds; "
     "expected a number of seconds 0.01..86400"},
    {"connect_timeout_too_short", vs_open + "    connect_timeout 0.001\n}\n",
     "F:10:21: virtual_server 10.0.0.9 80: connect_timeout '0.001' is out of range"},
    {"retry_negative", vs_open + "    retry -1\n}\n",
     "F:10:11: virtual_server 10.0.0.9 80: retry '-1' is out of range"},
    {"inhibit_not_bool", vs_open + "    inhibit_on_failure maybe\n}\n",
     "F:10:24: virtual_server 10.0.0.9 80: inhibit_on_failure 'maybe' is not a boolean"},
    {"duplicate_service", vs_open + "}\n" + vs_open + "}\n",
     "F:11:16: virtual_server 10.0.0.9 80: address: duplicate virtual server 10.0.0.9:80/tcp "
     "(first defined at F:6:16); expected each VIP, port and protocol at most once"},
    // real_server
    {"rs_without_address", vs_open + "    real_server {\n    }\n}\n",
     "F:10:5: virtual_server 10.0.0.9 80: real_server needs an address; expected real_server IP "
     "[PORT] { ... }"},
    {"rs_ipv6", vs_open + "    real_server fd00::5 80\n}\n",
     "F:10:17: virtual_server 10.0.0.9 80: real_server fd00::5 80: address 'fd00::5' is an IPv6 "
     "address"},
    {"rs_port_bad", vs_open + "    real_server 10.1.0.5 65536\n}\n",
     "F:10:26: virtual_server 10.0.0.9 80: real_server 10.1.0.5 65536: port '65536' is out of "
     "range; expected a port 1..65535, or none for the virtual server's port"},
    {"rs_weight_range", rs_open + "        weight 2147483648\n    }\n}\n",
     "F:11:16: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: weight '2147483648' is out "
     "of range; expected an integer 0..2147483647"},
    {"rs_lvs_method_dr", rs_open + "        lvs_method DR\n    }\n}\n",
     "F:11:20: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: lvs_method 'DR' is not "
     "supported: vipgate forwards by NAT only"},
    {"rs_duplicate", vs_open + "    real_server 10.1.0.5 80\n    real_server 10.1.0.5\n}\n",
     "F:11:17: virtual_server 10.0.0.9 80: real_server 10.1.0.5: real server 10.1.0.5:80 is "
     "listed twice in this virtual server (first at F:10:17); expected each real server address "
     "and port at most once per virtual server"},
    {"notify_up_without_command", rs_open + "        notify_up\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_up has no command; "
     "expected a script and its arguments, quoted when there are several words"},
    {"notify_down_empty_command", rs_open + "        notify_down \"  \"\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_down has no command"},
    {"notify_up_with_a_block", rs_open + "        notify_up /bin/true { }\n    }\n}\n",
     "F:11:29: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: notify_up does not take a "
     "block"},
    {"rs_is_a_port", vs_open + "    real_server 10.1.0.1 80\n}\n",
     "F:10:17: virtual_server 10.0.0.9 80: real_server 10.1.0.1 80: 10.1.0.1 is the address of "
     "port 'int0' (vipgate itself)"},
    // TCP_CHECK
    {"tcp_check_without_block", rs_open + "        TCP_CHECK\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK has no { ... } "
     "block"},
    {"connect_port_zero", rs_open + "        TCP_CHECK { connect_port 0 }\n    }\n}\n",
     "F:11:34: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: connect_port '0' "
     "is out of range; expected an integer 1..65535"},
    {"connect_ip_ipv6", rs_open + "        TCP_CHECK { connect_ip fd00::1 }\n    }\n}\n",
     "F:11:32: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: connect_ip "
     "'fd00::1' is an IPv6 address"},
    {"check_retry_word", rs_open + "        TCP_CHECK { retry often }\n    }\n}\n",
     "F:11:27: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: retry 'often' is "
     "not an integer"},
    {"check_delay_before_retry_range",
     rs_open + "        TCP_CHECK { delay_before_retry 3601 }\n    }\n}\n",
     "F:11:40: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: TCP_CHECK: "
     "delay_before_retry '3601' is out of range"},
    // MISC_CHECK (line 11; its keywords from line 12 on, a case's own at 13)
    {"misc_check_without_block", rs_open + "        MISC_CHECK\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK has no { ... } "
     "block"},
    {"misc_check_without_path",
     rs_open + "        MISC_CHECK {\n            misc_timeout 5\n        }\n    }\n}\n",
     "F:11:9: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK has no misc_path; "
     "expected misc_path \"/path/to/script [ARGS]\" inside MISC_CHECK { ... }"},
    {"misc_path_without_command",
     rs_open + "        MISC_CHECK {\n            misc_path\n        }\n    }\n}\n",
     "F:12:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: misc_path has no "
     "command; expected a script and its arguments"},
    {"misc_timeout_word", misc_open + "            misc_timeout soon\n        }\n    }\n}\n",
     "F:13:26: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: misc_timeout "
     "'soon'"},
    {"misc_timeout_range", misc_open + "            misc_timeout 86401\n        }\n    }\n}\n",
     "F:13:26: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: misc_timeout "
     "'86401' is out of range"},
    {"misc_dynamic_word", misc_open + "            misc_dynamic maybe\n        }\n    }\n}\n",
     "F:13:26: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: misc_dynamic "
     "'maybe' is not a boolean"},
    {"misc_user_missing", misc_open + "            user\n        }\n    }\n}\n",
     "F:13:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: user has no "
     "value; expected user USER [GROUP]"},
    {"misc_user_three_words", misc_open + "            user a b c\n        }\n    }\n}\n",
     "F:13:13: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: user has too "
     "many values; expected user USER [GROUP]"},
    {"misc_retry_word", misc_open + "            retry often\n        }\n    }\n}\n",
     "F:13:19: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: retry 'often' is "
     "not an integer"},
    {"misc_nb_get_retry_negative", misc_open + "            nb_get_retry -1\n        }\n    }\n}\n",
     "F:13:26: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: nb_get_retry "
     "'-1'"},
    {"misc_delay_before_retry_range",
     misc_open + "            delay_before_retry 3601\n        }\n    }\n}\n",
     "F:13:32: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: "
     "delay_before_retry '3601' is out of range"},
    {"misc_delay_loop_range", misc_open + "            delay_loop 0\n        }\n    }\n}\n",
     "F:13:24: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: delay_loop '0' "
     "is out of range"},
    {"misc_warmup_word", misc_open + "            warmup later\n        }\n    }\n}\n",
     "F:13:20: virtual_server 10.0.0.9 80: real_server 10.1.0.5 80: MISC_CHECK: warmup 'later'"},
};

void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.name;
}

class KeepalivedLbError : public ::testing::TestWithParam<error_case> {};

TEST_P(KeepalivedLbError, NamesFileLineAndColumn) {
    const auto& c = GetParam();
    temp_dir dir;
    const std::string path = dir.write("keepalived.conf", "vrrp_instance VI_1 {\n"
                                                          "    interface ext0\n"
                                                          "    virtual_router_id 1\n"
                                                          "    virtual_ipaddress { 10.0.0.9 }\n"
                                                          "}\n" +
                                                              c.text);
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.text;
    const std::string want = with_path(c.want, path);
    EXPECT_NE(r.message().find(want), std::string::npos) << "conf:\n"
                                                         << c.text << "\ngot:\n"
                                                         << r.message() << "\nwant:\n"
                                                         << want;
    std::istringstream lines(r.message());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind(path + ":", 0), 0u) << line;
        EXPECT_NE(line.find("; expected "), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(EachKind, KeepalivedLbError, ::testing::ValuesIn(error_cases),
                         [](const auto& p) { return std::string(p.param.name); });

// real_server notify_up / notify_down "CMD ARGS" [USER [GROUP]] (man
// keepalived.conf, real_server): the command split into words, the user and
// group kept for the script manager.
TEST(KeepalivedLb, RealServerNotifyUpAndDown) {
    temp_dir dir;
    const std::string path =
        dir.write("keepalived.conf", "vrrp_instance VI_1 {\n"
                                     "    interface ext0\n"
                                     "    virtual_router_id 1\n"
                                     "    virtual_ipaddress { 10.0.0.9 }\n"
                                     "}\n" +
                                         vs_open +
                                         "    real_server 10.1.0.5 80 {\n"
                                         "        notify_up \"/etc/k/rs.sh UP 10.1.0.5\"\n"
                                         "        notify_down /etc/k/down.sh nobody nogroup\n"
                                         "    }\n"
                                         "    real_server 10.1.0.6 80 {\n"
                                         "        notify_down '/etc/k/rs.sh DOWN' nobody\n"
                                         "    }\n"
                                         "    real_server 10.1.0.7 80\n"
                                         "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const auto& rs = r->virtual_servers[0].real_servers;
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].notify_up.argv, (std::vector<std::string>{"/etc/k/rs.sh", "UP", "10.1.0.5"}));
    EXPECT_EQ(rs[0].notify_up.user, "");
    EXPECT_EQ(rs[0].notify_down.argv, std::vector<std::string>{"/etc/k/down.sh"});
    EXPECT_EQ(rs[0].notify_down.user, "nobody");
    EXPECT_EQ(rs[0].notify_down.group, "nogroup");
    EXPECT_TRUE(rs[1].notify_up.empty());
    EXPECT_EQ(rs[1].notify_down.argv, (std::vector<std::string>{"/etc/k/rs.sh", "DOWN"}));
    EXPECT_EQ(rs[1].notify_down.user, "nobody");
    EXPECT_EQ(rs[1].notify_down.group, "");
    EXPECT_TRUE(rs[2].notify_up.empty());
    EXPECT_TRUE(rs[2].notify_down.empty());
    EXPECT_FALSE(r->scripts.rs_init_notifies);

    const std::string with_init = dir.write("init.conf", "global_defs {\n"
                                                         "    rs_init_notifies\n"
                                                         "}\n");
    auto i = import_keepalived(with_init, base());
    ASSERT_TRUE(i.ok()) << i.message();
    EXPECT_TRUE(i->warnings.empty()) << joined(i->warnings);
    EXPECT_TRUE(i->scripts.rs_init_notifies);
}

// ---- together with the YAML's own virtual servers -------------------------------------------

// sorry_server IP [PORT]: into the service, its port defaulting to the
// virtual server's (as a real server's does).
TEST(KeepalivedLb, SorryServerIsImported) {
    for (const auto& [line, port] : {std::pair{std::string("sorry_server 10.1.0.9 8080"), 8080},
                                     std::pair{std::string("sorry_server 10.1.0.9"), 80}}) {
        temp_dir dir;
        const std::string path = dir.write(
            "keepalived.conf", "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 1\n"
                               "    virtual_ipaddress { 10.0.0.9 }\n}\n" +
                                   vs_open + "    " + line +
                                   "\n    real_server 10.1.0.5 80 { weight 1 }\n}\n");
        auto r = import_keepalived(path, base());
        ASSERT_TRUE(r.ok()) << r.message();
        ASSERT_EQ(r->virtual_servers.size(), 1u);
        const auto& s = r->virtual_servers[0].service.sorry_server;
        ASSERT_TRUE(s.has_value()) << line;
        EXPECT_EQ(s->address, ip(10, 1, 0, 9));
        EXPECT_EQ(s->port, port) << line;
        EXPECT_EQ(count_containing(r->warnings, "sorry_server"), 0u) << joined(r->warnings);
    }
}

// quorum, hysteresis, quorum_up / quorum_down "CMD ARGS" [USER [GROUP]]
// (man keepalived.conf, virtual_server).
TEST(KeepalivedLb, QuorumAndItsScriptsAreImported) {
    temp_dir dir;
    const std::string path = dir.write(
        "keepalived.conf", "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 1\n"
                           "    virtual_ipaddress { 10.0.0.9 }\n}\n" +
                               vs_open +
                               "    quorum 3\n    hysteresis 1\n"
                               "    quorum_up \"/bin/echo up 10.0.0.9\" nobody nogroup\n"
                               "    quorum_down /bin/false\n"
                               "    real_server 10.1.0.5 80 { weight 2 }\n"
                               "    real_server 10.1.0.6 80 { weight 2 }\n}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const auto& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.quorum.quorum, 3u);
    EXPECT_EQ(vs.quorum.hysteresis, 1u);
    EXPECT_EQ(vs.quorum_up.argv, (std::vector<std::string>{"/bin/echo", "up", "10.0.0.9"}));
    EXPECT_EQ(vs.quorum_up.user, "nobody");
    EXPECT_EQ(vs.quorum_up.group, "nogroup");
    EXPECT_EQ(vs.quorum_down.argv, (std::vector<std::string>{"/bin/false"}));
    EXPECT_EQ(vs.quorum_down.user, "");
    EXPECT_EQ(count_containing(r->warnings, "quorum"), 0u) << joined(r->warnings);
    EXPECT_EQ(count_containing(r->warnings, "hysteresis"), 0u) << joined(r->warnings);
}

TEST(KeepalivedLb, YamlServicesTakePartInTheChecks) {
    // The YAML has a service but no VRRP: its VIP warning is withdrawn once
    // the imported instance holds the VIP.
    auto yaml = load_string(ports_yaml + "virtual_servers:\n"
                                         "  - {address: 10.0.0.9, port: 80, protocol: tcp, "
                                         "real_servers: [{address: 10.1.0.5}]}\n"
                                         "  - {address: 10.0.0.10, port: 80, protocol: tcp, "
                                         "real_servers: [{address: 10.1.0.5}]}\n");
    ASSERT_TRUE(yaml.ok()) << yaml.message();
    ASSERT_EQ(yaml->warnings.size(), 2u) << joined(yaml->warnings);
    EXPECT_NE(yaml->warnings[0].find("(none is configured)"), std::string::npos);

    temp_dir dir;
    const std::string vrrp_only = dir.write("vrrp.conf", "vrrp_instance VI_1 {\n"
                                                         "    interface ext0\n"
                                                         "    virtual_router_id 1\n"
                                                         "    virtual_ipaddress { 10.0.0.9 }\n"
                                                         "}\n");
    auto r = import_keepalived(vrrp_only, *yaml);
    ASSERT_TRUE(r.ok()) << r.message();
    // 10.0.0.9 is held now; 10.0.0.10 still is not, and the message says so
    // without "(none is configured)".
    ASSERT_EQ(r->warnings.size(), 1u) << joined(r->warnings);
    EXPECT_EQ(r->warnings[0], "<string>:6:5: virtual_servers[1].address: VIP 10.0.0.10 is not "
                              "held by any VRRP instance: it is never owned, no traffic will be "
                              "forwarded");
    EXPECT_EQ(r->virtual_servers.size(), 2u);

    // A keepalived service with the YAML's VIP, port and protocol.
    const std::string clash = dir.write("clash.conf", "virtual_server 10.0.0.9 80 {\n"
                                                      "    protocol TCP\n"
                                                      "}\n");
    auto c = import_keepalived(clash, *yaml);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.message().find(clash + ":1:16: virtual_server 10.0.0.9 80: address: duplicate "
                                       "virtual server 10.0.0.9:80/tcp (first defined at "
                                       "<string>:5:5)"),
              std::string::npos)
        << c.message();

    // Another protocol is another service: both are kept, the YAML's first.
    const std::string udp = dir.write("udp.conf", "virtual_server 10.0.0.9 80 {\n"
                                                  "    protocol UDP\n"
                                                  "    lb_algo rr\n"
                                                  "    lb_kind NAT\n"
                                                  "    real_server 10.1.0.5 80\n"
                                                  "}\n");
    auto both = import_keepalived(udp, *yaml);
    ASSERT_TRUE(both.ok()) << both.message();
    ASSERT_EQ(both->virtual_servers.size(), 3u);
    EXPECT_EQ(both->virtual_servers[0].name, "10.0.0.9:80/tcp");
    EXPECT_EQ(both->virtual_servers[2].name, "10.0.0.9:80/udp");
    // No VRRP anywhere: three "none is configured" warnings.
    EXPECT_EQ(count_containing(both->warnings, "(none is configured)"), 3u)
        << joined(both->warnings);
}

} // namespace
} // namespace vipgate::config
