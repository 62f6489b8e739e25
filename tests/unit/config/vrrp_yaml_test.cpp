// The YAML sections vrrp_instances and vrrp_sync_groups: values into
// vrrp::instance_config (not normalized), defaults, warnings, and one case
// per error kind with its <string>:LINE:COLUMN.

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

// Lines 1-7: two ports.
const std::string two_ports = "ports:\n"
                              "  - name: ext0\n"
                              "    device: net_ring0\n"
                              "    address: 10.0.0.1/24\n"
                              "  - name: int0\n"
                              "    device: net_ring1\n"
                              "    address: 10.1.0.1/24\n";

// Lines 8-12: one instance with its required keys; a case appends keys of
// that instance from line 13 on (4 spaces of indent).
const std::string one_instance = two_ports + "vrrp_instances:\n"
                                             "  - name: VI_1\n"
                                             "    port: ext0\n"
                                             "    virtual_router_id: 51\n"
                                             "    virtual_ipaddress: [10.0.0.100]\n";

net::ipv4_addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return net::ipv4_addr(a, b, c, d);
}

bool has_warning(const config& c, const std::string& want) {
    for (const auto& w : c.warnings) {
        if (w.find(want) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string all_warnings(const config& c) {
    std::string s;
    for (const auto& w : c.warnings) {
        s += w + "\n";
    }
    return s;
}

// ---- valid ---------------------------------------------------------------------------

TEST(VrrpYaml, MinimalInstanceKeepsKeepalivedDefaults) {
    auto r = load_string(one_instance);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    ASSERT_EQ(r->vrrp_instances.size(), 1u);
    const vrrp_instance_config& vi = r->vrrp_instances[0];
    EXPECT_EQ(vi.port, "ext0");
    EXPECT_EQ(vi.where.to_string(), "<string>:9:5");
    const vrrp::instance_config& v = vi.vrrp;
    EXPECT_EQ(v.name, "VI_1");
    EXPECT_EQ(v.vrid, 51);
    // Left for normalize(): 100, or 255 with state MASTER.
    EXPECT_FALSE(v.priority.has_value());
    EXPECT_FALSE(v.initial_state.has_value());
    EXPECT_EQ(v.version, 2);
    EXPECT_EQ(v.advert_int, microseconds{1s});
    EXPECT_TRUE(v.preempt);
    EXPECT_EQ(v.preempt_delay, microseconds{0});
    EXPECT_TRUE(v.accept);
    EXPECT_EQ(v.auth, vrrp::auth_kind::none);
    EXPECT_TRUE(v.auth_pass.empty());
    EXPECT_EQ(v.virtual_addresses, std::vector<net::ipv4_addr>{ip(10, 0, 0, 100)});
    EXPECT_TRUE(v.unicast_peers.empty());
    EXPECT_FALSE(v.check_unicast_src);
    EXPECT_FALSE(v.use_vmac);
    EXPECT_EQ(v.primary_address.value, 0u); // the runtime fills in the port's address
    EXPECT_EQ(v.garp_master_delay, microseconds{5s});
    EXPECT_EQ(v.garp_master_repeat, 5u);
    EXPECT_EQ(v.garp_master_refresh, microseconds{0});
    EXPECT_EQ(v.garp_master_refresh_repeat, 1u);
    EXPECT_FALSE(v.garp_lower_prio_delay.has_value());
    EXPECT_FALSE(v.garp_lower_prio_repeat.has_value());
    EXPECT_FALSE(v.lower_prio_no_advert);
    EXPECT_FALSE(v.higher_prio_send_advert);
    EXPECT_TRUE(r->vrrp_sync_groups.empty());

    // What the runtime will make of it.
    auto n = vrrp::normalize(v);
    ASSERT_TRUE(n.ok()) << n.message();
    EXPECT_EQ(n->priority, 100);
    EXPECT_EQ(n->initial_state, vrrp::state_hint::backup);
}

TEST(VrrpYaml, NoSectionsAndEmptySections) {
    auto none = load_string(two_ports);
    ASSERT_TRUE(none.ok()) << none.message();
    EXPECT_TRUE(none->vrrp_instances.empty());
    auto empty = load_string(two_ports + "vrrp_instances:\nvrrp_sync_groups: []\n");
    ASSERT_TRUE(empty.ok()) << empty.message();
    EXPECT_TRUE(empty->vrrp_instances.empty());
    EXPECT_TRUE(empty->vrrp_sync_groups.empty());
}

TEST(VrrpYaml, FullInstanceSetsEveryKey) {
    auto r = load_string(two_ports + R"(
vrrp_instances:
  - name: VI_EXT
    port: ext0
    virtual_router_id: 51
    priority: 150
    state: MASTER
    version: 2
    advert_int: 3s
    preempt: true
    nopreempt: false
    preempt_delay: 0s
    accept: false
    authentication:
      auth_type: PASS
      auth_pass: "12345678"
    virtual_ipaddress: [10.0.0.100, 10.0.0.101/32]
    unicast_src_ip: 10.0.0.1
    unicast_peer: [10.0.0.2, 10.0.0.3]
    check_unicast_src: yes
    use_vmac: on
    garp_master_delay: 0s
    garp_master_repeat: 3
    garp_master_refresh: 1m
    garp_master_refresh_repeat: 2
    garp_lower_prio_delay: 2s
    garp_lower_prio_repeat: 0
    lower_prio_no_advert: true
    higher_prio_send_advert: true
  - name: VI_INT
    port: int0
    virtual_router_id: 51
    version: 3
    advert_int: 250ms
    preempt_delay: 30s
    virtual_ipaddress: [10.1.0.100]
  - name: VI_3
    port: int0
    virtual_router_id: 53
    priority: 50
    nopreempt: true
    virtual_ipaddress: [10.1.0.101]
vrrp_sync_groups:
  - name: GW
    group: [VI_EXT, VI_INT, VI_3]
)");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << all_warnings(*r);
    ASSERT_EQ(r->vrrp_instances.size(), 3u);
    const auto& a = r->vrrp_instances[0].vrrp;
    EXPECT_EQ(a.name, "VI_EXT");
    EXPECT_EQ(a.vrid, 51);
    EXPECT_EQ(a.priority, std::optional<std::uint8_t>(150));
    EXPECT_EQ(a.initial_state, vrrp::state_hint::master);
    EXPECT_EQ(a.version, 2);
    EXPECT_EQ(a.advert_int, microseconds{3s});
    EXPECT_TRUE(a.preempt);
    EXPECT_FALSE(a.accept);
    EXPECT_EQ(a.auth, vrrp::auth_kind::pass);
    EXPECT_EQ(a.auth_pass, "12345678");
    EXPECT_EQ(a.virtual_addresses,
              (std::vector<net::ipv4_addr>{ip(10, 0, 0, 100), ip(10, 0, 0, 101)}));
    EXPECT_EQ(a.primary_address, ip(10, 0, 0, 1));
    EXPECT_EQ(a.unicast_peers, (std::vector<net::ipv4_addr>{ip(10, 0, 0, 2), ip(10, 0, 0, 3)}));
    EXPECT_TRUE(a.check_unicast_src);
    EXPECT_TRUE(a.use_vmac);
    EXPECT_EQ(a.garp_master_delay, microseconds{0});
    EXPECT_EQ(a.garp_master_repeat, 3u);
    EXPECT_EQ(a.garp_master_refresh, microseconds{60s});
    EXPECT_EQ(a.garp_master_refresh_repeat, 2u);
    EXPECT_EQ(a.garp_lower_prio_delay, std::optional<microseconds>(2s));
    EXPECT_EQ(a.garp_lower_prio_repeat, std::optional<std::uint32_t>(0));
    EXPECT_TRUE(a.lower_prio_no_advert);
    EXPECT_TRUE(a.higher_prio_send_advert);

    // The same VRID on another port is another virtual router.
    const auto& b = r->vrrp_instances[1];
    EXPECT_EQ(b.port, "int0");
    EXPECT_EQ(b.vrrp.vrid, 51);
    EXPECT_EQ(b.vrrp.version, 3);
    EXPECT_EQ(b.vrrp.advert_int, microseconds{250ms});
    EXPECT_TRUE(b.vrrp.preempt);
    EXPECT_EQ(b.vrrp.preempt_delay, microseconds{30s});
    EXPECT_FALSE(r->vrrp_instances[2].vrrp.preempt); // nopreempt: true

    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_EQ(r->vrrp_sync_groups[0].name, "GW");
    EXPECT_EQ(r->vrrp_sync_groups[0].members,
              (std::vector<std::string>{"VI_EXT", "VI_INT", "VI_3"}));
    EXPECT_EQ(r->vrrp_sync_groups[0].where.to_string(), "<string>:51:5");
}

TEST(VrrpYaml, SectionsMayPrecedePorts) {
    auto r = load_string("vrrp_sync_groups:\n"
                         "  - {name: G, group: [A, B]}\n"
                         "vrrp_instances:\n"
                         "  - {name: A, port: p, virtual_router_id: 1, virtual_ipaddress: "
                         "[10.0.0.9]}\n"
                         "  - {name: B, port: p, virtual_router_id: 2, virtual_ipaddress: "
                         "[10.0.0.10]}\n"
                         "ports:\n"
                         "  - {name: p, device: net_ring0, address: 10.0.0.1/24}\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->vrrp_instances.size(), 2u);
    EXPECT_EQ(r->vrrp_sync_groups.size(), 1u);
}

// ---- warnings: accepted, adjusted as keepalived does, with the position -----------

TEST(VrrpYaml, AdvertIntRoundedWithWarningButStoredAsWritten) {
    auto r = load_string(one_instance + "    advert_int: 1.5s\n");
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->warnings.size(), 1u) << all_warnings(*r);
    EXPECT_EQ(r->warnings[0].rfind("<string>:13:17: vrrp_instances[0]: advert_int 1.500000s "
                                   "rounded to 2.000000s (VRRPv2 uses whole seconds)",
                                   0),
              0u)
        << r->warnings[0];
    // Not normalized: the runtime normalizes (and rounds) again.
    EXPECT_EQ(r->vrrp_instances[0].vrrp.advert_int, microseconds{1500ms});
}

TEST(VrrpYaml, LongAuthPassIsTruncatedWithWarning) {
    auto r = load_string(one_instance + "    authentication:\n"
                                        "      auth_type: PASS\n"
                                        "      auth_pass: secret12345\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->vrrp_instances[0].vrrp.auth_pass, "secret12");
    ASSERT_EQ(r->warnings.size(), 1u) << all_warnings(*r);
    EXPECT_EQ(r->warnings[0],
              "<string>:15:18: vrrp_instances[0].authentication.auth_pass: is longer than 8 "
              "characters; only the first 8 are used, as keepalived does");
    EXPECT_EQ(r->warnings[0].find("secret"), std::string::npos); // never echoed
}

TEST(VrrpYaml, NormalizeAdjustmentsAreWarningsAtTheirKey) {
    auto r = load_string(one_instance + "    priority: 150\n"
                                        "    state: MASTER\n"
                                        "    nopreempt: true\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(has_warning(*r, "<string>:15:16: vrrp_instances[0]: nopreempt will not work with "
                                "initial state MASTER - clearing"))
        << all_warnings(*r);

    auto v3 = load_string(one_instance + "    version: 3\n"
                                         "    authentication: {auth_type: PASS, auth_pass: x}\n");
    ASSERT_TRUE(v3.ok()) << v3.message();
    EXPECT_TRUE(has_warning(*v3, "<string>:14:21: vrrp_instances[0]: VRRP version 3 does not "
                                 "support authentication - ignoring"))
        << all_warnings(*v3);
}

TEST(VrrpYaml, ForeignUnicastSourceAndGroupOfOneWarn) {
    auto r = load_string(one_instance + "    unicast_src_ip: 10.0.0.7\n"
                                        "vrrp_sync_groups:\n"
                                        "  - {name: G, group: [VI_1]}\n");
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->warnings.size(), 2u) << all_warnings(*r);
    EXPECT_EQ(r->warnings[0].rfind("<string>:13:21: vrrp_instances[0].unicast_src_ip: 10.0.0.7 "
                                   "is not the address of port 'ext0' (10.0.0.1)",
                                   0),
              0u)
        << r->warnings[0];
    EXPECT_EQ(r->warnings[1], "<string>:15:5: vrrp_sync_groups[0]: has only one member; a sync "
                              "group of one changes nothing");
}

// ---- one case per error kind --------------------------------------------------------

struct error_case {
    const char* name;
    std::string yaml;
    std::string want; // substring of the error message
};

std::string instance_lines(const std::string& body) {
    return two_ports + "vrrp_instances:\n" + body;
}

std::string many_instances(std::size_t n) {
    std::string s = two_ports + "vrrp_instances:\n";
    for (std::size_t i = 1; i <= n; ++i) {
        s += "  - {name: V" + std::to_string(i) +
             ", port: ext0, virtual_router_id: " + std::to_string(i) +
             ", virtual_ipaddress: [10.0.0." + std::to_string(100 + i) + "]}\n";
    }
    return s;
}

const error_case error_cases[] = {
    // Section shapes.
    {"instances_not_sequence", two_ports + "vrrp_instances: {name: a}\n",
     "<string>:8:17: vrrp_instances: got a map; expected a sequence of VRRP instances, each a "
     "map with keys name, port, virtual_router_id"},
    {"instance_not_map", two_ports + "vrrp_instances:\n  - VI_1\n",
     "<string>:9:5: vrrp_instances[0]: got 'VI_1'; expected a map with keys name, port"},
    {"unknown_instance_key", one_instance + "    prority: 100\n",
     "<string>:13:5: vrrp_instances[0]: unknown key 'prority' (did you mean 'priority'?); "
     "expected one of name, port"},
    {"interface_is_not_a_key", one_instance + "    interface: ext0\n",
     "<string>:13:5: vrrp_instances[0]: unknown key 'interface'"},
    // Required keys.
    {"missing_name",
     instance_lines(
         "  - port: ext0\n    virtual_router_id: 1\n    virtual_ipaddress: [10.0.0.9]\n"),
     "<string>:9:5: vrrp_instances[0]: missing required key 'name'; expected a name of 1 to 64 "
     "characters"},
    {"missing_port",
     instance_lines("  - name: A\n    virtual_router_id: 1\n    virtual_ipaddress: [10.0.0.9]\n"),
     "<string>:9:5: vrrp_instances[0]: missing required key 'port'; expected the name of a port "
     "defined in `ports`"},
    {"missing_vrid",
     instance_lines("  - name: A\n    port: ext0\n    virtual_ipaddress: [10.0.0.9]\n"),
     "<string>:9:5: vrrp_instances[0]: missing required key 'virtual_router_id'; expected an "
     "integer 1..255"},
    {"missing_vips", instance_lines("  - name: A\n    port: ext0\n    virtual_router_id: 1\n"),
     "<string>:9:5: vrrp_instances[0]: missing required key 'virtual_ipaddress'; expected a "
     "sequence of at least one IPv4 address"},
    // Values.
    {"bad_name",
     instance_lines("  - {name: 'my vi', port: ext0, virtual_router_id: 1, "
                    "virtual_ipaddress: [10.0.0.9]}\n"),
     "<string>:9:12: vrrp_instances[0].name: a quoted string 'my vi' is not a valid instance "
     "name; expected a name of 1 to 64 characters"},
    {"unknown_port",
     instance_lines("  - name: A\n    port: ext9\n    virtual_router_id: 1\n    "
                    "virtual_ipaddress: [10.0.0.9]\n"),
     "<string>:10:11: vrrp_instances[0].port: no port named 'ext9'; expected one of the ports "
     "ext0, int0"},
    {"vrid_zero",
     one_instance + "    priority: 1\n" +
         "  - {name: B, port: ext0, "
         "virtual_router_id: 0, "
         "virtual_ipaddress: [10.0.0.9]}\n",
     "<string>:14:46: vrrp_instances[1].virtual_router_id: '0' is out of range; expected an "
     "integer 1..255"},
    {"vrid_256",
     instance_lines("  - {name: A, port: ext0, virtual_router_id: 256, "
                    "virtual_ipaddress: [10.0.0.9]}\n"),
     "<string>:9:46: vrrp_instances[0].virtual_router_id: '256' is out of range; expected an "
     "integer 1..255"},
    {"priority_zero", one_instance + "    priority: 0\n",
     "<string>:13:15: vrrp_instances[0].priority: '0' is out of range; expected an integer "
     "1..255"},
    {"state_lower_case", one_instance + "    state: master\n",
     "<string>:13:12: vrrp_instances[0].state: 'master' is not a state; expected MASTER or "
     "BACKUP"},
    {"version_4", one_instance + "    version: 4\n",
     "<string>:13:14: vrrp_instances[0].version: '4' is out of range; expected an integer 2..3"},
    {"advert_int_too_small", one_instance + "    advert_int: 5ms\n",
     "<string>:13:17: vrrp_instances[0].advert_int: '5ms' is out of range; expected a duration "
     "10ms..255s, such as 1s, 100ms or 2m"},
    {"advert_int_v3_over_40.95s", one_instance + "    version: 3\n    advert_int: 50s\n",
     "<string>:14:17: vrrp_instances[0]: advert_int 50.000000s exceeds 40.950000s; expected an "
     "advert_int of 1s..255s in whole seconds for VRRP version 2, or 10ms..40.95s in "
     "centiseconds for version 3"},
    {"advert_int_below_1us", one_instance + "    advert_int: 1.0000005s\n",
     "<string>:13:17: vrrp_instances[0].advert_int: '1.0000005s' is more precise than 1us"},
    {"preempt_contradiction", one_instance + "    preempt: true\n    nopreempt: true\n",
     "<string>:14:16: vrrp_instances[0].nopreempt: contradicts preempt; expected either preempt "
     "or nopreempt"},
    {"preempt_not_bool", one_instance + "    nopreempt: 1\n",
     "<string>:13:16: vrrp_instances[0].nopreempt: '1' is not a boolean"},
    {"preempt_delay_range", one_instance + "    preempt_delay: 1001s\n",
     "<string>:13:20: vrrp_instances[0].preempt_delay: '1001s' is out of range; expected a "
     "duration 0s..1000s, such as"},
    {"auth_ah", one_instance + "    authentication:\n      auth_type: AH\n      auth_pass: x\n",
     "<string>:14:18: vrrp_instances[0].authentication.auth_type: AH authentication is not "
     "supported; expected PASS or NONE"},
    {"auth_type_unknown", one_instance + "    authentication: {auth_type: pass}\n",
     "<string>:13:33: vrrp_instances[0].authentication.auth_type: 'pass' is not an "
     "authentication type"},
    {"auth_pass_missing", one_instance + "    authentication:\n      auth_type: PASS\n",
     "<string>:14:7: vrrp_instances[0].authentication: missing required key 'auth_pass' for "
     "auth_type PASS"},
    {"auth_pass_with_none", one_instance + "    authentication: {auth_type: NONE, auth_pass: x}\n",
     "<string>:13:50: vrrp_instances[0].authentication.auth_pass: is set with auth_type NONE"},
    {"auth_unknown_key", one_instance + "    authentication: {auth_type: PASS, password: x}\n",
     "<string>:13:39: vrrp_instances[0].authentication: unknown key 'password'; expected one of "
     "auth_type, auth_pass"},
    {"auth_not_map", one_instance + "    authentication: PASS\n",
     "<string>:13:21: vrrp_instances[0].authentication: got 'PASS'; expected a map with keys "
     "auth_type, auth_pass"},
    {"vips_empty",
     instance_lines("  - {name: A, port: ext0, virtual_router_id: 1, virtual_ipaddress: []}\n"),
     "<string>:9:68: vrrp_instances[0].virtual_ipaddress: has 0 items; expected a sequence of at "
     "least one IPv4 address"},
    {"vips_scalar",
     instance_lines("  - {name: A, port: ext0, virtual_router_id: 1, "
                    "virtual_ipaddress: 10.0.0.9}\n"),
     "<string>:9:68: vrrp_instances[0].virtual_ipaddress: got '10.0.0.9'; expected a sequence"},
    {"vip_not_ipv4",
     one_instance + "    unicast_peer: [10.0.0.2]\n  - {name: B, port: int0, "
                    "virtual_router_id: 1, virtual_ipaddress: [10.1.0.300]}\n",
     "<string>:14:69: vrrp_instances[1].virtual_ipaddress[0]: '10.1.0.300' is not an IPv4 "
     "address"},
    {"vip_prefix_24",
     instance_lines("  - name: A\n    port: ext0\n    virtual_router_id: 1\n"
                    "    virtual_ipaddress:\n      - 10.0.0.9/24\n"),
     "<string>:13:9: vrrp_instances[0].virtual_ipaddress[0]: '10.0.0.9/24' has a prefix length "
     "other than /32 (a virtual address is one host)"},
    {"vip_multicast",
     instance_lines("  - name: A\n    port: ext0\n    virtual_router_id: 1\n"
                    "    virtual_ipaddress:\n      - 224.0.0.18\n"),
     "<string>:13:9: vrrp_instances[0].virtual_ipaddress[0]: '224.0.0.18' is a multicast "
     "address"},
    {"vip_duplicate",
     instance_lines("  - name: A\n    port: ext0\n    virtual_router_id: 1\n"
                    "    virtual_ipaddress:\n      - 10.0.0.9\n      - 10.0.0.9/32\n"),
     "<string>:14:9: vrrp_instances[0].virtual_ipaddress[1]: duplicate address 10.0.0.9 (first "
     "at line 13, column 9); expected each address once"},
    {"unicast_src_not_ip", one_instance + "    unicast_src_ip: 10.0.0.1/24\n",
     "<string>:13:21: vrrp_instances[0].unicast_src_ip: '10.0.0.1/24' is not an IPv4 address"},
    {"unicast_src_broadcast", one_instance + "    unicast_src_ip: 255.255.255.255\n",
     "<string>:13:21: vrrp_instances[0].unicast_src_ip: '255.255.255.255' is the limited "
     "broadcast address"},
    {"unicast_peer_multicast", one_instance + "    unicast_peer: [10.0.0.2, 239.1.1.1]\n",
     "<string>:13:30: vrrp_instances[0].unicast_peer[1]: '239.1.1.1' is a multicast address"},
    {"unicast_peer_duplicate", one_instance + "    unicast_peer: [10.0.0.2, 10.0.0.2]\n",
     "<string>:13:30: vrrp_instances[0].unicast_peer[1]: duplicate address 10.0.0.2 (first at line "
     "13, "
     "column 20); expected each address once"},
    {"unicast_peer_empty", one_instance + "    unicast_peer: []\n",
     "<string>:13:19: vrrp_instances[0].unicast_peer: has 0 items"},
    {"garp_repeat_zero", one_instance + "    garp_master_repeat: 0\n",
     "<string>:13:25: vrrp_instances[0].garp_master_repeat: '0' is out of range; expected an "
     "integer 1..1000"},
    {"garp_delay_not_duration", one_instance + "    garp_master_delay: soon\n",
     "<string>:13:24: vrrp_instances[0].garp_master_delay: 'soon' is not a duration"},
    {"use_vmac_quoted", one_instance + "    use_vmac: \"yes\"\n",
     "<string>:13:15: vrrp_instances[0].use_vmac: got a quoted string 'yes'; expected a boolean"},
    // Cross checks.
    {"duplicate_name",
     one_instance + "  - {name: VI_1, port: int0, virtual_router_id: 2, "
                    "virtual_ipaddress: [10.1.0.9]}\n",
     "<string>:13:12: vrrp_instances[1].name: duplicate VRRP instance name 'VI_1' (first defined "
     "at <string>:9:11); expected a unique name for every VRRP instance"},
    {"duplicate_port_vrid",
     one_instance + "  - {name: VI_2, port: ext0, virtual_router_id: 51, "
                    "virtual_ipaddress: [10.0.0.9]}\n",
     "<string>:13:49: vrrp_instances[1].virtual_router_id: VRID 51 is already used on port 'ext0' "
     "by vrrp_instances[0] (at <string>:11:24); expected a different virtual_router_id for every "
     "instance on a port"},
    {"too_many_instances", many_instances(65),
     "<string>:73:5: vrrp_instances[64]: more than 64 VRRP instances (65 in all); expected at "
     "most 64 VRRP instances"},
    // Sync groups.
    {"groups_not_sequence", one_instance + "vrrp_sync_groups: GW\n",
     "<string>:13:19: vrrp_sync_groups: got 'GW'; expected a sequence of sync groups, each a map "
     "with keys name, group"},
    {"group_missing_group", one_instance + "vrrp_sync_groups:\n  - name: GW\n",
     "<string>:14:5: vrrp_sync_groups[0]: missing required key 'group'; expected a sequence of at "
     "least one VRRP instance name"},
    {"group_empty", one_instance + "vrrp_sync_groups:\n  - {name: GW, group: []}\n",
     "<string>:14:23: vrrp_sync_groups[0].group: has 0 items"},
    {"group_unknown_member",
     one_instance + "vrrp_sync_groups:\n  - {name: GW, group: [VI_1, VI_9]}\n",
     "<string>:14:30: vrrp_sync_groups[0]: no VRRP instance named 'VI_9'; expected names of VRRP "
     "instances"},
    {"group_member_twice",
     one_instance + "vrrp_sync_groups:\n  - {name: GW, group: [VI_1, VI_1]}\n",
     "<string>:14:30: vrrp_sync_groups[0]: instance 'VI_1' is listed twice (first at "
     "<string>:14:24)"},
    {"member_in_two_groups",
     one_instance + "vrrp_sync_groups:\n  - {name: G1, group: [VI_1]}\n  - {name: G2, group: "
                    "[VI_1]}\n",
     "<string>:15:24: vrrp_sync_groups[1]: instance 'VI_1' is already a member of "
     "vrrp_sync_groups[0] (at <string>:14:24); expected each VRRP instance in at most one sync "
     "group"},
    {"duplicate_group_name",
     one_instance + "  - {name: VI_2, port: int0, virtual_router_id: 2, virtual_ipaddress: "
                    "[10.1.0.9]}\nvrrp_sync_groups:\n  - {name: G, group: [VI_1]}\n  - {name: G, "
                    "group: [VI_2]}\n",
     "<string>:16:12: vrrp_sync_groups[1]: duplicate sync group name 'G' (first defined at "
     "<string>:15:12)"},
    {"bad_group_name", one_instance + "vrrp_sync_groups:\n  - {name: '-x', group: [VI_1]}\n",
     "<string>:14:12: vrrp_sync_groups[0].name: a quoted string '-x' is not a valid sync group "
     "name"},
};

void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.name;
}

class VrrpYamlError : public ::testing::TestWithParam<error_case> {};

TEST_P(VrrpYamlError, ReportsPositionAndExpectation) {
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

INSTANTIATE_TEST_SUITE_P(EachKind, VrrpYamlError, ::testing::ValuesIn(error_cases),
                         [](const auto& param_info) {
                             std::string n = param_info.param.name;
                             for (auto& ch : n) {
                                 if (ch == '.') {
                                     ch = '_';
                                 }
                             }
                             return n;
                         });

TEST(VrrpYaml, ABadValueIsReportedOnce) {
    // vrid 0 fails reading: no second message from normalize() or the VRID check.
    auto r = load_string(instance_lines("  - {name: A, port: ext0, virtual_router_id: 0, "
                                        "virtual_ipaddress: [10.0.0.9]}\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message().find('\n'), std::string::npos) << r.message();
}

} // namespace
} // namespace vipgate::config
