// keepalived.conf import: the grammar (parse_file), the keywords
// (import_keepalived) with values round-tripped into vrrp::instance_config,
// a warning with file:line for everything ignored, and errors with
// file:line:column.

#include "config/keepalived.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#ifndef VIPGATE_SOURCE_DIR
#error "VIPGATE_SOURCE_DIR must be defined by the build (tests/unit/config/meson.build)"
#endif

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

// A directory under /tmp, removed with everything in it.
class temp_dir {
  public:
    temp_dir() {
        char tmpl[] = "/tmp/vipgate-keepalived-test-XXXXXX";
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

    // Writes `text` to `name` (creating subdirectories); returns the path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path p = std::filesystem::path(path_) / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

config base() {
    auto r = load_string("ports:\n"
                         "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                         "  - {name: int0, device: net_ring1, address: 10.1.0.1/24}\n");
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

const vrrp_instance_config* find(const config& c, const std::string& name) {
    for (const auto& vi : c.vrrp_instances) {
        if (vi.vrrp.name == name) {
            return &vi;
        }
    }
    return nullptr;
}

// ---- a realistic file, with an include ---------------------------------------------

const std::string main_conf = R"(! Gateway pair, node A.
# Both comment styles; '{' on the next line; one-line blocks; quotes.
global_defs {
    router_id gw-a                  # informational
    vrrp_version 3
    vrrp_garp_master_delay 10
    vrrp_garp_master_repeat 3
    vrrp_garp_lower_prio_repeat 2
    vrrp_higher_prio_send_advert
    notification_email { ops@example.com }
}

vrrp_instance VI_EXT
{
    state MASTER                    ! a comment after a value
    interface ext0
    virtual_router_id 51
    version 2
    advert_int 2
    authentication {
        auth_type PASS
        auth_pass "pa ss#1"
    }
    virtual_ipaddress {
        10.0.0.100/24 dev ext0 label ext0:1
        10.0.0.101
    }
    track_interface { ext0 weight 10 }
}

include "conf.d/*.conf"
)";

const std::string int_conf = R"(vrrp_instance VI_INT {
    interface int0
    virtual_router_id 52
    priority 90
    nopreempt
    advert_int 0.5
    unicast_src_ip 10.1.0.1
    unicast_peer {
        10.1.0.2
        10.1.0.3
    }
    virtual_ipaddress { 10.1.0.100 }
    lower_prio_no_advert off
    garp_master_refresh 60
}
vrrp_sync_group GW { group { VI_EXT VI_INT } }
)";

TEST(KeepalivedImport, RealisticFileWithIncludeRoundTrips) {
    temp_dir dir;
    const std::string main_path = dir.write("keepalived.conf", main_conf);
    const std::string int_path = dir.write("conf.d/int.conf", int_conf);
    auto r = import_keepalived(main_path, base());
    ASSERT_TRUE(r.ok()) << r.message();

    ASSERT_EQ(r->vrrp_instances.size(), 2u);
    const vrrp_instance_config* ext = find(*r, "VI_EXT");
    ASSERT_NE(ext, nullptr);
    EXPECT_EQ(ext->port, "ext0");
    EXPECT_EQ(ext->where.to_string(), main_path + ":13:1");
    const vrrp::instance_config& e = ext->vrrp;
    EXPECT_EQ(e.vrid, 51);
    EXPECT_FALSE(e.priority.has_value()); // normalize(): 255 for state MASTER
    EXPECT_EQ(e.initial_state, vrrp::state_hint::master);
    EXPECT_EQ(e.version, 2); // the instance's own version beats global_defs
    EXPECT_EQ(e.advert_int, microseconds{2s});
    EXPECT_TRUE(e.preempt);
    EXPECT_TRUE(e.accept);
    EXPECT_EQ(e.auth, vrrp::auth_kind::pass);
    EXPECT_EQ(e.auth_pass, "pa ss#1"); // quoted: the space and '#' are part of it
    EXPECT_EQ(e.virtual_addresses,
              (std::vector<net::ipv4_addr>{ip(10, 0, 0, 100), ip(10, 0, 0, 101)}));
    EXPECT_TRUE(e.unicast_peers.empty());
    EXPECT_EQ(e.primary_address.value, 0u);
    EXPECT_EQ(e.garp_master_delay, microseconds{10s}); // global_defs
    EXPECT_EQ(e.garp_master_repeat, 3u);               // global_defs
    EXPECT_EQ(e.garp_lower_prio_repeat, std::optional<std::uint32_t>(2));
    EXPECT_FALSE(e.garp_lower_prio_delay.has_value());
    EXPECT_TRUE(e.higher_prio_send_advert); // bare global keyword: on
    EXPECT_FALSE(e.lower_prio_no_advert);

    const vrrp_instance_config* in = find(*r, "VI_INT");
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->port, "int0");
    EXPECT_EQ(in->where.to_string(), int_path + ":1:1"); // the included file names itself
    const vrrp::instance_config& i = in->vrrp;
    EXPECT_EQ(i.vrid, 52);
    EXPECT_EQ(i.priority, std::optional<std::uint8_t>(90));
    EXPECT_FALSE(i.initial_state.has_value());
    EXPECT_EQ(i.version, 3); // global_defs vrrp_version
    EXPECT_FALSE(i.preempt);
    EXPECT_EQ(i.advert_int, microseconds{500ms});
    EXPECT_EQ(i.primary_address, ip(10, 1, 0, 1));
    EXPECT_EQ(i.unicast_peers, (std::vector<net::ipv4_addr>{ip(10, 1, 0, 2), ip(10, 1, 0, 3)}));
    EXPECT_EQ(i.virtual_addresses, std::vector<net::ipv4_addr>{ip(10, 1, 0, 100)});
    EXPECT_FALSE(i.lower_prio_no_advert);
    EXPECT_EQ(i.garp_master_refresh, microseconds{60s});
    EXPECT_EQ(i.garp_master_delay, microseconds{10s});

    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_EQ(r->vrrp_sync_groups[0].name, "GW");
    EXPECT_EQ(r->vrrp_sync_groups[0].members, (std::vector<std::string>{"VI_EXT", "VI_INT"}));
    EXPECT_EQ(r->vrrp_sync_groups[0].where.to_string(), int_path + ":16:1");

    // Exactly two warnings (an ignored keyword, a track_interface of the
    // instance's own port), each with file:line:column.
    ASSERT_EQ(r->warnings.size(), 2u) << joined(r->warnings);
    EXPECT_EQ(r->warnings[0].rfind(main_path + ":10:5: global_defs: notification_email is not "
                                               "supported by vipgate; ignored (with its block)",
                                   0),
              0u)
        << r->warnings[0];
    EXPECT_EQ(r->warnings[1].rfind(main_path + ":28:23: vrrp_instance VI_EXT: track_interface "
                                               "ext0 is the instance's own port",
                                   0),
              0u)
        << r->warnings[1];

    // The runtime's view: keepalived's derivations.
    auto ne = vrrp::normalize(e);
    ASSERT_TRUE(ne.ok()) << ne.message();
    EXPECT_EQ(ne->priority, 255);
    EXPECT_EQ(ne->garp_lower_prio_delay, std::optional<microseconds>(10s));
    auto ni = vrrp::normalize(i);
    ASSERT_TRUE(ni.ok()) << ni.message();
    EXPECT_EQ(ni->priority, 90);
    EXPECT_EQ(ni->initial_state, vrrp::state_hint::backup);
}

// ---- defaults -------------------------------------------------------------------------

TEST(KeepalivedImport, DefaultsAreKeepalivedsAndLateGlobalsFollowKeepalived) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", R"(vrrp_instance A {
    interface ext0
    virtual_router_id 1
    virtual_ipaddress { 10.0.0.9 }
}
global_defs {
    vrrp_version 3
    vrrp_garp_master_delay 1
    vrrp_lower_prio_no_advert on
}
vrrp_instance B {
    state MASTER
    interface int0
    virtual_router_id 1
    virtual_ipaddress { 10.1.0.9 }
}
)");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    const auto& a = find(*r, "A")->vrrp;
    EXPECT_FALSE(a.priority.has_value());
    EXPECT_FALSE(a.initial_state.has_value());
    EXPECT_TRUE(a.preempt);
    EXPECT_EQ(a.preempt_delay, microseconds{0});
    EXPECT_TRUE(a.accept);
    EXPECT_EQ(a.advert_int, microseconds{1s});
    EXPECT_EQ(a.auth, vrrp::auth_kind::none);
    EXPECT_FALSE(a.use_vmac);
    EXPECT_EQ(a.garp_master_repeat, 5u);
    EXPECT_EQ(a.garp_master_refresh, microseconds{0});
    EXPECT_EQ(a.garp_master_refresh_repeat, 1u);
    // Applied when keepalived completes the instance: position does not matter.
    EXPECT_EQ(a.version, 3);
    EXPECT_TRUE(a.lower_prio_no_advert);
    // Copied when the instance starts (alloc_vrrp): only later instances get it.
    EXPECT_EQ(a.garp_master_delay, microseconds{5s});
    const auto& b = find(*r, "B")->vrrp;
    EXPECT_EQ(b.garp_master_delay, microseconds{1s});
    auto nb = vrrp::normalize(b);
    ASSERT_TRUE(nb.ok()) << nb.message();
    EXPECT_EQ(nb->priority, 255); // state MASTER without priority
    auto na = vrrp::normalize(a);
    ASSERT_TRUE(na.ok()) << na.message();
    EXPECT_EQ(na->priority, 100);
    EXPECT_EQ(count_containing(r->warnings, path + ":8:5: global_defs: vrrp_garp_master_delay "
                                                   "after a vrrp_instance applies only to the "
                                                   "instances that follow it"),
              1u)
        << joined(r->warnings);
}

TEST(KeepalivedImport, KeywordsAndFlags) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", R"(vrrp_instance A {
    interface ext0
    virtual_router_id 7
    priority 200
    no_accept
    preempt_delay 12.5
    use_vmac
    check_unicast_src
    garp_master_delay 0
    garp_master_repeat 2
    garp_master_refresh_repeat 4
    garp_lower_prio_delay 3
    garp_lower_prio_repeat 0
    lower_prio_no_advert
    higher_prio_send_advert false
    mcast_src_ip 10.0.0.1
    virtual_ipaddress {
        10.0.0.9
    }
}
)");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    const auto& a = find(*r, "A")->vrrp;
    EXPECT_EQ(a.priority, std::optional<std::uint8_t>(200));
    EXPECT_FALSE(a.accept);
    EXPECT_EQ(a.preempt_delay, microseconds{12500ms});
    EXPECT_TRUE(a.use_vmac);
    EXPECT_TRUE(a.check_unicast_src);
    EXPECT_EQ(a.garp_master_delay, microseconds{0});
    EXPECT_EQ(a.garp_master_repeat, 2u);
    EXPECT_EQ(a.garp_master_refresh_repeat, 4u);
    EXPECT_EQ(a.garp_lower_prio_delay, std::optional<microseconds>(3s));
    EXPECT_EQ(a.garp_lower_prio_repeat, std::optional<std::uint32_t>(0));
    EXPECT_TRUE(a.lower_prio_no_advert);
    EXPECT_FALSE(a.higher_prio_send_advert);
    EXPECT_EQ(a.primary_address, ip(10, 0, 0, 1));
}

TEST(KeepalivedImport, AdjustmentsAreWarnings) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", R"(vrrp_instance A {
    interface ext0
    virtual_router_id 7
    state SLAVE
    advert_int 1.5
    authentication {
        auth_type PASS
        auth_pass secret12345
    }
    virtual_ipaddress {
        10.0.0.9/24 dev eth1 brd 10.0.0.255 scope global
    }
    use_vmac vrrp.7
}
)");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    const auto& a = find(*r, "A")->vrrp;
    EXPECT_EQ(a.initial_state, vrrp::state_hint::backup);
    EXPECT_EQ(a.auth_pass, "secret12");
    EXPECT_EQ(a.advert_int, microseconds{1500ms}); // stored as written
    const std::string want[] = {
        path + ":4:11: vrrp_instance A: state 'SLAVE' is not MASTER or BACKUP; BACKUP used",
        path + ":8:19: vrrp_instance A: authentication: auth_pass is longer than 8 characters; "
               "only the first 8 are used",
        path + ":11:25: vrrp_instance A: virtual_ipaddress dev 'eth1' is not the instance's "
               "interface 'ext0'",
        path + ":13:14: vrrp_instance A: use_vmac: the interface name and MAC are ignored",
        path + ":5:16: vrrp_instance A: advert_int 1.500000s rounded to 2.000000s",
    };
    for (const auto& w : want) {
        EXPECT_EQ(count_containing(r->warnings, w), 1u) << w << "\nin\n" << joined(r->warnings);
    }
    EXPECT_EQ(r->warnings.size(), std::size(want)) << joined(r->warnings);
    EXPECT_EQ(joined(r->warnings).find("secret1"), std::string::npos); // never echoed
}

TEST(KeepalivedImport, InterfaceMayBeInferredFromUnicastSrcIp) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance A {\n"
                                                 "  unicast_src_ip 10.1.0.1\n"
                                                 "  unicast_peer { 10.1.0.2 }\n"
                                                 "  virtual_router_id 3\n"
                                                 "  virtual_ipaddress { 10.1.0.50 }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(find(*r, "A")->port, "int0");
    EXPECT_EQ(count_containing(r->warnings, path + ":1:1: vrrp_instance A: no interface; using "
                                                   "port 'int0'"),
              1u)
        << joined(r->warnings);
}

// ---- every ignored keyword is a warning naming file and line --------------------------

struct ignored_case {
    const char* name;
    std::string text; // placed at line 5, inside (instance) or after (top) the instance
    bool top;         // at the top level rather than inside vrrp_instance
    std::string want; // in the warning, after "FILE:5:COL: "
};

const ignored_case ignored_cases[] = {
    {"track_process", "track_process { p }", false, "track_process is not supported"},
    {"notify_deleted", "notify_deleted /bin/true", false, "notify_deleted is not supported"},
    {"smtp_alert", "smtp_alert", false, "smtp_alert is not supported"},
    {"strict_mode", "strict_mode on", false, "strict_mode is not supported"},
    {"native_ipv6", "native_ipv6", false, "native_ipv6 is not supported by vipgate (IPv4 only)"},
    {"virtual_routes", "virtual_routes {\n 0.0.0.0/0 via 10.0.0.254\n }", false,
     "virtual_routes is not supported"},
    {"virtual_ipaddress_excluded", "virtual_ipaddress_excluded { 10.0.0.50 }", false,
     "virtual_ipaddress_excluded is not supported by vipgate (excluded addresses are neither "
     "advertised nor owned by vipgate); ignored"},
    {"dont_track_primary", "dont_track_primary", false, "dont_track_primary is not supported"},
    {"debug", "debug 2", false, "debug is not supported"},
    {"unknown_in_instance", "frobnicate 3 { x }", false,
     "vrrp_instance VI_1: unknown keyword 'frobnicate'; ignored (with its block), as keepalived "
     "does"},
    // A supported block in the same place: no warning at all.
    {"authentication_is_supported", "authentication {\n auth_type PASS\n auth_pass x\n}", false,
     ""},
    {"vrrp_script", "vrrp_script chk {\n script \"/bin/true\"\n interval 2\n}", true, ""},
    {"virtual_server_fwmark",
     "virtual_server fwmark 1 {\n lb_algo rr\n real_server 10.1.0.5 80 {\n weight 1\n "
     "TCP_CHECK { connect_timeout 3 }\n }\n}",
     true,
     "virtual_server fwmark 1 is not supported by vipgate (a virtual server is one VIP and port); "
     "skipped with its block"},
    {"virtual_server_group_ref", "virtual_server group G {\n protocol TCP\n}", true,
     "virtual_server group G is not supported by vipgate (a virtual server is one VIP and port); "
     "skipped with its block"},
    {"virtual_server_group", "virtual_server_group G {\n 10.0.0.100 80\n}", true,
     "virtual_server_group is not supported by vipgate (a virtual server is one VIP and port; "
     "`virtual_server group` blocks are skipped too); ignored (with its block)"},
    {"top_level_real_server", "real_server 10.1.0.5 80 {\n weight 1\n}", true,
     "unknown keyword 'real_server'; ignored (with its block), as keepalived does"},
    {"static_ipaddress", "static_ipaddress {\n 10.0.0.77/24 dev ext0\n}", true,
     "static_ipaddress is not supported by vipgate (vipgate owns no kernel addresses); ignored"},
    {"unknown_top", "mystery_block {\n a { b }\n}", true,
     "unknown keyword 'mystery_block'; ignored (with its block), as keepalived does"},
    {"global_defs_other", "global_defs { lvs_flush }", true,
     "global_defs: lvs_flush is not supported by vipgate; ignored"},
    {"global_defs_argument", "global_defs gw {\n router_id a\n}", true,
     "global_defs: 'gw' before the block ignored, as keepalived does"},
    {"block_argument", "unicast_peer extra { 10.0.0.10 }", false,
     "vrrp_instance VI_1: unicast_peer: 'extra' before the block ignored"},
    {"global_defs_rt_priority", "global_defs { vrrp_rt_priority 50 }", true,
     "global_defs: vrrp_rt_priority is not supported by vipgate (vipgate's control core has "
     "its own setting: dataplane.control_rt_priority"},
    {"global_defs_strict", "global_defs { vrrp_strict }", true,
     "global_defs: vrrp_strict is not supported by vipgate (instances run as without it"},
    {"sync_group_notify", "vrrp_sync_group G {\n group { VI_1 }\n notify_master /bin/true\n}", true,
     "vrrp_sync_group G: has only one member"},
};

void PrintTo(const ignored_case& c, std::ostream* os) {
    *os << c.name;
}

class KeepalivedIgnored : public ::testing::TestWithParam<ignored_case> {};

TEST_P(KeepalivedIgnored, WarnsWithFileAndLineAndSkipsTheBlock) {
    const auto& c = GetParam();
    temp_dir dir;
    // Lines 1-4 open an instance; the case's text starts on line 5.
    const std::string head = "vrrp_instance VI_1 {\n"
                             "    interface ext0\n"
                             "    virtual_router_id 1\n"
                             "    virtual_ipaddress { 10.0.0.9 }\n";
    const std::string text = c.top ? head + "}\n" : head + c.text + "\n}\n";
    const std::string path = dir.write("k.conf", c.top ? "vrrp_instance VI_1 {\n"
                                                         "    interface ext0\n"
                                                         "    virtual_router_id 1\n"
                                                         "    virtual_ipaddress { 10.0.0.9 } }\n" +
                                                             c.text + "\n"
                                                       : text);
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    // The block was skipped as a whole: the instance is intact.
    ASSERT_EQ(r->vrrp_instances.size(), 1u);
    EXPECT_EQ(r->vrrp_instances[0].vrrp.virtual_addresses.size(), 1u);
    if (c.want.empty()) {
        EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
        return;
    }
    ASSERT_FALSE(r->warnings.empty());
    bool found = false;
    for (const auto& w : r->warnings) {
        found = found || (w.rfind(path + ":5:", 0) == 0 && w.find(c.want) != std::string::npos);
    }
    EXPECT_TRUE(found) << "want " << path << ":5:...: " << c.want << "\nin\n"
                       << joined(r->warnings);
}

INSTANTIATE_TEST_SUITE_P(EachKeyword, KeepalivedIgnored, ::testing::ValuesIn(ignored_cases),
                         [](const auto& p) { return std::string(p.param.name); });

// Every warning of a file where the sync group sits at line 5 (it also has
// an ignored keyword at line 7).
TEST(KeepalivedImport, SyncGroupKeywordsAreWarned) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 1\n"
                                                 "    virtual_ipaddress { 10.0.0.9 } }\n"
                                                 "vrrp_sync_group G {\n"
                                                 " group { VI_1 }\n"
                                                 " smtp_alert\n"
                                                 " track_interface { ext0 }\n"
                                                 " group { VI_1 }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(count_containing(r->warnings, path + ":7:2: vrrp_sync_group G: smtp_alert is "
                                                   "not supported by vipgate"),
              1u)
        << joined(r->warnings);
    EXPECT_EQ(count_containing(r->warnings, path + ":8:20: vrrp_sync_group G: track_interface "
                                                   "ext0 is the port of member VI_1"),
              1u)
        << joined(r->warnings);
    EXPECT_EQ(count_containing(r->warnings, path + ":9:2: vrrp_sync_group G: a second group "
                                                   "list; ignored"),
              1u);
}

// ---- vrrp_script, track_script, notify_* ----------------------------------------------------

TEST(KeepalivedImport, ScriptsTracksAndNotifyAreImported) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "global_defs {\n"
                                                 "    script_user nobody nogroup\n"
                                                 "    enable_script_security\n"
                                                 "    notify_fifo /run/k.fifo\n"
                                                 "    vrrp_notify_fifo /run/v.fifo\n"
                                                 "}\n"
                                                 "vrrp_script chk {\n"
                                                 "    script \"/usr/bin/check -p 80\"\n"
                                                 "    interval 2.5\n"
                                                 "    timeout 1\n"
                                                 "    weight -20 reverse\n"
                                                 "    rise 3\n"
                                                 "    fall 2\n"
                                                 "    user www www-data\n"
                                                 "    init_fail\n"
                                                 "}\n"
                                                 "vrrp_script plain {\n"
                                                 "    script /bin/true\n"
                                                 "}\n"
                                                 "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 1\n"
                                                 "    virtual_ipaddress { 10.0.0.9 }\n"
                                                 "    track_script {\n"
                                                 "        chk\n"
                                                 "        plain weight 10\n"
                                                 "    }\n"
                                                 "    notify_master \"/bin/echo master\" root\n"
                                                 "    notify_backup /bin/backup\n"
                                                 "    notify_fault /bin/fault\n"
                                                 "    notify_stop /bin/stop\n"
                                                 "    notify /bin/any\n"
                                                 "    notify_master_rx_lower_pri /bin/lower\n"
                                                 "}\n"
                                                 "vrrp_instance VI_2 {\n"
                                                 "    interface int0\n"
                                                 "    virtual_router_id 2\n"
                                                 "    virtual_ipaddress { 10.1.0.9 }\n"
                                                 "}\n"
                                                 "vrrp_sync_group G {\n"
                                                 "    group { VI_1 VI_2 }\n"
                                                 "    track_script { plain }\n"
                                                 "    notify \"/bin/g arg\"\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    EXPECT_EQ(r->scripts.script_user, "nobody");
    EXPECT_EQ(r->scripts.script_group, "nogroup");
    EXPECT_TRUE(r->scripts.enable_script_security);
    EXPECT_EQ(r->scripts.notify_fifo, "/run/k.fifo");
    EXPECT_EQ(r->scripts.vrrp_notify_fifo, "/run/v.fifo");
    ASSERT_EQ(r->vrrp_scripts.size(), 2u);
    const vrrp_script_config& chk = r->vrrp_scripts[0];
    EXPECT_EQ(chk.name, "chk");
    EXPECT_EQ(chk.argv, (std::vector<std::string>{"/usr/bin/check", "-p", "80"}));
    EXPECT_EQ(chk.interval, std::chrono::milliseconds(2500));
    EXPECT_EQ(chk.timeout, std::optional(std::chrono::milliseconds(1000)));
    EXPECT_EQ(chk.weight, -20);
    EXPECT_TRUE(chk.weight_reverse);
    EXPECT_EQ(chk.rise, 3u);
    EXPECT_EQ(chk.fall, 2u);
    EXPECT_EQ(chk.user, "www");
    EXPECT_EQ(chk.group, "www-data");
    EXPECT_TRUE(chk.init_fail);
    EXPECT_EQ(chk.where.line, 7);
    const vrrp_script_config& plain = r->vrrp_scripts[1];
    EXPECT_EQ(plain.interval, std::chrono::milliseconds(1000)); // keepalived's defaults
    EXPECT_FALSE(plain.timeout);
    EXPECT_EQ(plain.weight, 0);
    EXPECT_EQ(plain.rise, 1u);
    EXPECT_FALSE(plain.init_fail);

    const auto* vi = find(*r, "VI_1");
    ASSERT_NE(vi, nullptr);
    ASSERT_EQ(vi->track_scripts.size(), 2u);
    EXPECT_EQ(vi->track_scripts[0].script, "chk");
    EXPECT_FALSE(vi->track_scripts[0].weight); // the script's
    EXPECT_EQ(vi->track_scripts[1].script, "plain");
    EXPECT_EQ(vi->track_scripts[1].weight, std::optional(10));
    EXPECT_EQ(vi->track_scripts[1].reverse, std::optional(false));
    EXPECT_EQ(vi->track_scripts[1].where.line, 26);
    EXPECT_EQ(vi->notify.master.argv, (std::vector<std::string>{"/bin/echo", "master"}));
    EXPECT_EQ(vi->notify.master.user, "root");
    EXPECT_EQ(vi->notify.backup.argv, std::vector<std::string>{"/bin/backup"});
    EXPECT_EQ(vi->notify.fault.argv, std::vector<std::string>{"/bin/fault"});
    EXPECT_EQ(vi->notify.stop.argv, std::vector<std::string>{"/bin/stop"});
    EXPECT_EQ(vi->notify.any.argv, std::vector<std::string>{"/bin/any"});
    EXPECT_EQ(vi->notify.master_rx_lower_pri.argv, std::vector<std::string>{"/bin/lower"});
    EXPECT_TRUE(find(*r, "VI_2")->notify.empty());
    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    const auto& g = r->vrrp_sync_groups[0];
    ASSERT_EQ(g.track_scripts.size(), 1u);
    EXPECT_EQ(g.track_scripts[0].script, "plain");
    EXPECT_EQ(g.notify.any.argv, (std::vector<std::string>{"/bin/g", "arg"}));
}

// A track_script naming an unknown vrrp_script in a sync group is an error too.
TEST(KeepalivedImport, SyncGroupTrackScriptMustExist) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 1\n"
                                                 "    virtual_ipaddress { 10.0.0.9 } }\n"
                                                 "vrrp_sync_group G {\n"
                                                 " group { VI_1 }\n"
                                                 " track_script { nope }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(path + ":7:17: vrrp_sync_group G: track_script 'nope' is not "
                                      "defined; expected the name of a vrrp_script block"),
              std::string::npos)
        << r.message();
}

// ---- errors name file, line and column -------------------------------------------------

struct error_case {
    const char* name;
    std::string conf;
    std::string want; // "F" stands for the file's path
};

// Lines 1-4 of a valid instance, without its closing brace.
const std::string vi_head = "vrrp_instance VI_1 {\n"
                            "    interface ext0\n"
                            "    virtual_router_id 1\n"
                            "    virtual_ipaddress { 10.0.0.9 }\n";

const error_case error_cases[] = {
    // vrrp_script / track_script / notify_* (man keepalived.conf, "VRRP script(s)").
    {"track_script_undefined", vi_head + "    track_script {\n        chk\n    }\n}\n",
     "F:6:9: vrrp_instance VI_1: track_script 'chk' is not defined; expected the name of a "
     "vrrp_script block"},
    {"track_script_bad_option",
     "vrrp_script chk {\n script /bin/true\n}\n" + vi_head +
         "    track_script {\n        chk wait 3\n    }\n}\n",
     "F:9:13: vrrp_instance VI_1: track_script chk: 'wait' is not an option; expected weight N "
     "[reverse], or nothing"},
    {"track_script_weight_range",
     "vrrp_script chk {\n script /bin/true\n}\n" + vi_head +
         "    track_script {\n        chk weight 254\n    }\n}\n",
     "F:9:20: vrrp_instance VI_1: track_script chk: weight: weight '254' is out of range; "
     "expected an integer -253..253"},
    {"vrrp_script_no_script", "vrrp_script chk {\n interval 2\n}\n",
     "F:1:1: vrrp_script chk: no script; expected script \"/path/to/check args\""},
    {"vrrp_script_weight_word", "vrrp_script chk {\n script /bin/true\n weight heavy\n}\n",
     "F:3:9: vrrp_script chk: weight: weight 'heavy' is not an integer; expected an integer "
     "-253..253"},
    {"vrrp_script_reverse_typo", "vrrp_script chk {\n script /bin/true\n weight 10 revers\n}\n",
     "F:3:12: vrrp_script chk: weight: 'revers' after the weight; expected reverse, or nothing"},
    {"vrrp_script_rise_zero", "vrrp_script chk {\n script /bin/true\n rise 0\n}\n",
     "F:3:7: vrrp_script chk: rise '0' is out of range"},
    {"vrrp_script_twice",
     "vrrp_script chk {\n script /bin/true\n}\nvrrp_script chk {\n script /bin/false\n}\n",
     "F:4:13: vrrp_script chk: a second vrrp_script of that name (the first is at F:1:1); "
     "expected a unique vrrp_script name"},
    {"notify_master_empty", vi_head + "    notify_master \"\"\n}\n",
     "F:5:5: vrrp_instance VI_1: notify_master has no command; expected a script and its "
     "arguments"},
    {"unknown_interface",
     "vrrp_instance VI_1 {\n    interface eth9\n    virtual_router_id 1\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:2:15: vrrp_instance VI_1: interface: no port named 'eth9'; expected one of the ports "
     "ext0, int0"},
    {"missing_interface",
     "vrrp_instance VI_1 {\n    virtual_router_id 1\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:1:1: vrrp_instance VI_1: no interface; expected interface PORT"},
    {"missing_vrid",
     "vrrp_instance VI_1 {\n    interface ext0\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:1:1: vrrp_instance VI_1: no virtual_router_id; expected virtual_router_id 1..255"},
    {"vrid_zero",
     "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 0\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:3:23: vrrp_instance VI_1: virtual_router_id '0' is out of range; expected an integer "
     "1..255"},
    {"vrid_256",
     "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 256\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:3:23: vrrp_instance VI_1: virtual_router_id '256' is out of range"},
    {"vrid_word",
     "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id fifty\n"
     "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:3:23: vrrp_instance VI_1: virtual_router_id 'fifty' is not an integer"},
    {"vrid_no_value", vi_head + "    virtual_router_id\n}\n",
     "F:5:5: vrrp_instance VI_1: virtual_router_id has no value; expected an integer 1..255"},
    {"priority_zero", vi_head + "    priority 0\n}\n",
     "F:5:14: vrrp_instance VI_1: priority '0' is out of range; expected an integer 1..255"},
    {"priority_with_block", vi_head + "    priority { 100 }\n}\n",
     "F:5:14: vrrp_instance VI_1: priority does not take a block"},
    {"version_4", vi_head + "    version 4\n}\n",
     "F:5:13: vrrp_instance VI_1: version '4' is out of range"},
    {"advert_int_word", vi_head + "    advert_int fast\n}\n",
     "F:5:16: vrrp_instance VI_1: advert_int 'fast' is not a number of seconds; expected a "
     "number of seconds 0.01..255"},
    {"advert_int_v3_over", vi_head + "    version 3\n    advert_int 41\n}\n",
     "F:6:16: vrrp_instance VI_1: advert_int 41.000000s exceeds 40.950000s"},
    {"garp_delay_fraction", vi_head + "    garp_master_delay 1.5\n}\n",
     "F:5:23: vrrp_instance VI_1: garp_master_delay '1.5' is not a whole number of seconds"},
    {"bad_vip",
     "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 1\n"
     "    virtual_ipaddress {\n        10.0.0.300/24\n    }\n}\n",
     "F:5:9: vrrp_instance VI_1: virtual_ipaddress: address '10.0.0.300/24' is not an IPv4 "
     "address"},
    {"ipv6_vip", vi_head + "    virtual_ipaddress { fe80::1 }\n}\n",
     "F:5:25: vrrp_instance VI_1: virtual_ipaddress: address 'fe80::1' is an IPv6 address "
     "(vipgate's VRRP is IPv4 only)"},
    {"vip_bad_prefix", vi_head + "    virtual_ipaddress { 10.0.0.8/33 }\n}\n",
     "F:5:25: vrrp_instance VI_1: virtual_ipaddress: address '10.0.0.8/33' has an invalid prefix "
     "length"},
    {"vip_multicast", vi_head + "    virtual_ipaddress { 224.0.0.18 }\n}\n",
     "F:5:25: vrrp_instance VI_1: virtual_ipaddress: address '224.0.0.18' is a multicast address"},
    {"vip_duplicate", vi_head + "    virtual_ipaddress { 10.0.0.9 }\n}\n",
     "F:5:25: vrrp_instance VI_1: virtual_ipaddress: duplicate address 10.0.0.9 (first at "
     "F:4:25)"},
    {"vip_dev_without_value", vi_head + "    virtual_ipaddress { 10.0.0.8 dev }\n}\n",
     "F:5:34: vrrp_instance VI_1: virtual_ipaddress: 'dev' has no value"},
    {"no_vip", "vrrp_instance VI_1 {\n    interface ext0\n    virtual_router_id 1\n}\n",
     "F:1:1: vrrp_instance VI_1: no virtual address; expected a virtual_ipaddress block"},
    {"bad_unicast_src", vi_head + "    unicast_src_ip 10.0.0\n}\n",
     "F:5:20: vrrp_instance VI_1: unicast_src_ip '10.0.0' is not an IPv4 address"},
    {"bad_peer", vi_head + "    unicast_peer {\n        10.0.0.2\n        10.0.0.2\n    }\n}\n",
     "F:7:9: vrrp_instance VI_1: unicast_peer: duplicate peer 10.0.0.2 (first at F:6:9)"},
    {"auth_ah",
     vi_head + "    authentication {\n        auth_type AH\n        auth_pass x\n    }\n}\n",
     "F:6:19: vrrp_instance VI_1: authentication: auth_type AH is not supported; expected "
     "auth_type PASS, or no authentication block"},
    {"auth_bogus", vi_head + "    authentication { auth_type MD5 }\n}\n",
     "F:5:32: vrrp_instance VI_1: authentication: auth_type 'MD5' is not an authentication type"},
    {"authentication_without_block", vi_head + "    authentication PASS\n}\n",
     "F:5:5: vrrp_instance VI_1: authentication has no { ... } block"},
    {"bool_value", vi_head + "    lower_prio_no_advert maybe\n}\n",
     "F:5:26: vrrp_instance VI_1: lower_prio_no_advert 'maybe' is not a boolean"},
    {"instance_without_name", "vrrp_instance {\n}\n",
     "F:1:1: vrrp_instance needs exactly one name; expected vrrp_instance NAME { ... }"},
    {"instance_bad_name", "vrrp_instance \"VI 1\" {\n}\n",
     "F:1:15: vrrp_instance 'VI 1' is not a valid instance name"},
    {"instance_without_block", "vrrp_instance VI_1\n", "F:1:1: vrrp_instance has no { ... } block"},
    {"duplicate_name", vi_head + "}\n" + vi_head + "}\n",
     "F:6:15: vrrp_instance VI_1: duplicate VRRP instance name 'VI_1' (first defined at F:1:15)"},
    {"duplicate_port_vrid",
     vi_head + "}\nvrrp_instance VI_2 {\n    interface ext0\n    virtual_router_id 1\n"
               "    virtual_ipaddress { 10.0.0.8 }\n}\n",
     "F:8:23: vrrp_instance VI_2: virtual_router_id: VRID 1 is already used on port 'ext0' by "
     "vrrp_instance VI_1 (at F:3:23)"},
    {"sync_group_unknown_member",
     vi_head + "}\nvrrp_sync_group G {\n group {\n  VI_1\n  VI_9\n }\n}\n",
     "F:9:3: vrrp_sync_group G: no VRRP instance named 'VI_9'"},
    {"sync_group_without_group", vi_head + "}\nvrrp_sync_group G {\n}\n",
     "F:6:1: vrrp_sync_group G: no group list; expected group { INSTANCE ... }"},
    {"sync_group_empty", vi_head + "}\nvrrp_sync_group G {\n group { }\n}\n",
     "F:7:8: vrrp_sync_group G: the group list is empty"},
    // Grammar.
    {"unclosed_brace", vi_head,
     "F:1:20: unbalanced braces: this '{' is never closed; expected a "
     "matching '}'"},
    {"extra_close", vi_head + "}\n}\n", "F:6:1: unbalanced braces: '}' without an open block"},
    {"stray_open", "{\n}\n", "F:1:1: unexpected '{' (a block must follow a keyword)"},
    {"unterminated_quote", vi_head + "    notify \"/bin/true\n}\n",
     "F:5:12: unterminated quote \"; expected a closing \" on the same line"},
    {"continuation", vi_head + "    priority \\\n 100\n}\n",
     "F:5:14: a '\\' at the end of a line (line continuation) is not supported"},
    {"conditional_line", vi_head + "    @node1 priority 150\n}\n",
     "F:5:5: '@' conditional lines (config_id) are not supported"},
    {"definition", "$IF=ext0\n" + vi_head + "}\n",
     "F:1:1: parameter definitions ($NAME=...) are not supported"},
    {"seq", "~SEQ(i, 1, 3)\n", "F:1:1: ~SEQ is not supported"},
    {"missing_include", "include missing.conf\n", "F:1:9: include 'missing.conf': no such file"},
    {"include_two_args", "include a.conf b.conf\n",
     "F:1:1: include takes one file name or pattern"},
    {"strict_include_no_match", "includem conf.d/*.conf\n",
     "F:1:10: includem 'conf.d/*.conf': no such file"},
};

void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.name;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

class KeepalivedError : public ::testing::TestWithParam<error_case> {};

TEST_P(KeepalivedError, NamesFileLineAndColumn) {
    const auto& c = GetParam();
    temp_dir dir;
    const std::string path = dir.write("keepalived.conf", c.conf);
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.conf;
    // "F:" only at the start of the text or after "at " stands for the path.
    std::string want = c.want;
    if (want.rfind("F:", 0) == 0) {
        want = path + want.substr(1);
    }
    want = replace_all(want, "at F:", "at " + path + ":");
    EXPECT_NE(r.message().find(want), std::string::npos) << "conf:\n"
                                                         << c.conf << "\ngot:\n"
                                                         << r.message() << "\nwant:\n"
                                                         << want;
    std::istringstream lines(r.message());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind(path + ":", 0), 0u) << line;
        EXPECT_NE(line.find("; expected "), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(EachKind, KeepalivedError, ::testing::ValuesIn(error_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(KeepalivedImport, ErrorInIncludedFileNamesThatFile) {
    temp_dir dir;
    const std::string main_path = dir.write("keepalived.conf", "# main\ninclude vrrp.conf\n");
    const std::string inc = dir.write("vrrp.conf", vi_head + "    priority 300\n}\n");
    auto r = import_keepalived(main_path, base());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(
        r.message().rfind(inc + ":5:14: vrrp_instance VI_1: priority '300' is out of range", 0), 0u)
        << r.message();
}

TEST(KeepalivedImport, IncludeCycleIsAnError) {
    temp_dir dir;
    const std::string a = dir.write("a.conf", "include b.conf\n");
    const std::string b = dir.write("b.conf", "\ninclude a.conf\n");
    auto r = import_keepalived(a, base());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message(), b + ":2:9: include cycle: '" + dir.path() +
                               "/a.conf' is already being read; expected includes that do not "
                               "include themselves");
}

TEST(KeepalivedImport, IncludesAreRelativeToTheIncludingFileAndNest) {
    temp_dir dir;
    const std::string top = dir.write("keepalived.conf", "include sub/one.conf\n");
    dir.write("sub/one.conf", "include two.conf\n"); // sub/two.conf, not ./two.conf
    const std::string two = dir.write("sub/two.conf", vi_head + "}\n");
    auto r = import_keepalived(top, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->vrrp_instances.size(), 1u);
    EXPECT_EQ(r->vrrp_instances[0].where.file, two);
}

TEST(KeepalivedImport, WildcardMatchingNothingIsAWarning) {
    temp_dir dir;
    const std::string top = dir.write("keepalived.conf", vi_head + "}\ninclude conf.d/*.conf\n");
    auto r = import_keepalived(top, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(joined(r->warnings), top + ":6:9: include 'conf.d/*.conf' matches no file; nothing "
                                         "included, as in keepalived\n");
}

TEST(KeepalivedImport, IncludeInsideABlockSplicesTheFile) {
    temp_dir dir;
    const std::string top = dir.write("keepalived.conf", "vrrp_instance VI_1 {\n"
                                                         "    include vi1.inc\n"
                                                         "}\n");
    dir.write("vi1.inc", "interface ext0\nvirtual_router_id 9\nvirtual_ipaddress { 10.0.0.9 }\n");
    auto r = import_keepalived(top, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->vrrp_instances[0].vrrp.vrid, 9);
}

TEST(KeepalivedImport, NestingIsBounded) {
    temp_dir dir;
    std::string deep;
    for (int i = 0; i < 100; ++i) {
        deep += "a {\n";
    }
    const std::string top = dir.write("deep.conf", deep);
    auto r = import_keepalived(top, base());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("blocks nested more than 32 levels deep"), std::string::npos)
        << r.message();

    const std::string self = dir.write("self.conf", "include self.conf\n");
    EXPECT_FALSE(import_keepalived(self, base()).ok());
}

TEST(KeepalivedImport, FileProblems) {
    auto missing = import_keepalived("/nonexistent/keepalived.conf", base());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.message(), "/nonexistent/keepalived.conf: cannot open: No such file or "
                                 "directory; expected a readable keepalived.conf");

    temp_dir dir;
    const std::string bin = dir.write("bin.conf", std::string("global_defs\0{", 13));
    auto b = import_keepalived(bin, base());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.message(), bin + ": contains a NUL byte; expected a text file in keepalived.conf "
                                 "syntax");

    auto d = import_keepalived(dir.path(), base());
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.message().find("is not a regular file"), std::string::npos) << d.message();

    // Comments only: nothing to import, and that is fine.
    const std::string empty = dir.write("empty.conf", "# nothing\n! here\n\n");
    auto e = import_keepalived(empty, base());
    ASSERT_TRUE(e.ok()) << e.message();
    EXPECT_TRUE(e->vrrp_instances.empty());
    EXPECT_TRUE(e->warnings.empty());
}

// ---- together with the YAML's own instances -------------------------------------------

TEST(KeepalivedImport, YamlInstancesTakePartInTheChecks) {
    auto yaml = load_string("ports:\n"
                            "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                            "vrrp_instances:\n"
                            "  - {name: VI_1, port: ext0, virtual_router_id: 1, "
                            "virtual_ipaddress: [10.0.0.5]}\n"
                            "vrrp_sync_groups:\n"
                            "  - {name: G, group: [VI_1]}\n");
    ASSERT_TRUE(yaml.ok()) << yaml.message();
    ASSERT_EQ(yaml->warnings.size(), 1u); // the group of one
    temp_dir dir;
    const std::string clash = dir.write("clash.conf", vi_head + "}\n");
    auto r = import_keepalived(clash, *yaml);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(clash + ":1:15: vrrp_instance VI_1: duplicate VRRP instance name "
                                       "'VI_1' (first defined at <string>:4:5)"),
              std::string::npos)
        << r.message();
    EXPECT_NE(r.message().find(clash + ":3:23: vrrp_instance VI_1: virtual_router_id: VRID 1 is "
                                       "already used on port 'ext0' by vrrp_instances[0] VI_1"),
              std::string::npos)
        << r.message();

    const std::string ok = dir.write("ok.conf", "vrrp_instance VI_2 {\n"
                                                "    interface ext0\n"
                                                "    virtual_router_id 2\n"
                                                "    virtual_ipaddress { 10.0.0.6 }\n"
                                                "}\n"
                                                "vrrp_sync_group G2 { group { VI_2 VI_1 } }\n");
    auto added = import_keepalived(ok, *yaml);
    ASSERT_FALSE(added.ok()); // VI_1 is already in the YAML's group G
    EXPECT_NE(added.message().find(ok + ":6:35: vrrp_sync_group G2: instance 'VI_1' is already a "
                                        "member of vrrp_sync_groups[0] G"),
              std::string::npos)
        << added.message();

    const std::string fine = dir.write("fine.conf", "vrrp_instance VI_2 {\n"
                                                    "    interface ext0\n"
                                                    "    virtual_router_id 2\n"
                                                    "    virtual_ipaddress { 10.0.0.6 }\n"
                                                    "}\n");
    auto both = import_keepalived(fine, *yaml);
    ASSERT_TRUE(both.ok()) << both.message();
    ASSERT_EQ(both->vrrp_instances.size(), 2u);
    EXPECT_EQ(both->vrrp_instances[0].vrrp.name, "VI_1"); // the YAML's first
    EXPECT_EQ(both->vrrp_instances[1].vrrp.name, "VI_2");
    EXPECT_EQ(both->warnings.size(), 1u); // the YAML's warning is kept
    EXPECT_EQ(both->ports.size(), 1u);    // the rest of the base is untouched
}

// ---- the grammar on its own -----------------------------------------------------------

TEST(KeepalivedParse, StatementsBlocksQuotesAndComments) {
    temp_dir dir;
    const std::string path = dir.write("p.conf", "a 1 2 # comment\n"
                                                 "b\n"
                                                 "\n"
                                                 "   # between\n"
                                                 "{ c d } e\n"
                                                 "f{g}\n"
                                                 "h \"x y # z\" 'q!r' \"j\"oin \\#lit\n");
    auto r = keepalived::parse_file(path);
    ASSERT_TRUE(r.ok()) << r.message();
    const auto& s = r->statements;
    ASSERT_EQ(s.size(), 5u);
    EXPECT_EQ(s[0].keyword.text, "a");
    ASSERT_EQ(s[0].args.size(), 2u);
    EXPECT_EQ(s[0].args[1].text, "2");
    EXPECT_EQ(s[0].args[1].at.to_string(), path + ":1:5");
    EXPECT_FALSE(s[0].has_block);
    // `b` takes the block that opens two lines later.
    EXPECT_EQ(s[1].keyword.text, "b");
    ASSERT_TRUE(s[1].has_block);
    EXPECT_EQ(s[1].block_at.to_string(), path + ":5:1");
    ASSERT_EQ(s[1].block.size(), 1u);
    EXPECT_EQ(s[1].block[0].keyword.text, "c");
    EXPECT_EQ(s[1].block[0].args[0].text, "d");
    // Text after '}' is a statement of its own.
    EXPECT_EQ(s[2].keyword.text, "e");
    EXPECT_EQ(s[2].keyword.at.to_string(), path + ":5:9");
    EXPECT_FALSE(s[2].has_block);
    // Braces split words: `f{g}` is f with a block holding g.
    EXPECT_EQ(s[3].keyword.text, "f");
    ASSERT_TRUE(s[3].has_block);
    ASSERT_EQ(s[3].block.size(), 1u);
    EXPECT_EQ(s[3].block[0].keyword.text, "g");
    // Quotes keep spaces and comment characters; a quoted part joins its word.
    EXPECT_EQ(s[4].keyword.text, "h");
    ASSERT_EQ(s[4].args.size(), 4u);
    EXPECT_EQ(s[4].args[0].text, "x y # z");
    EXPECT_EQ(s[4].args[1].text, "q!r");
    EXPECT_EQ(s[4].args[2].text, "join");
    EXPECT_EQ(s[4].args[3].text, "#lit");
    EXPECT_EQ(r->files, std::vector<std::string>{path});
}

// ---- the sample files -----------------------------------------------------------------

TEST(KeepalivedImport, ExampleFilesLoad) {
    const std::string src = VIPGATE_SOURCE_DIR;
    auto yaml = load_file(src + "/conf/keepalived-example.yaml");
    ASSERT_TRUE(yaml.ok()) << yaml.message();
    EXPECT_TRUE(yaml->vrrp_instances.empty());
    const std::string conf = src + "/conf/keepalived-example.conf";
    auto r = import_keepalived(conf, *yaml);
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->vrrp_instances.size(), 2u);
    const auto& ext = r->vrrp_instances[0];
    EXPECT_EQ(ext.port, "ext0");
    EXPECT_EQ(ext.vrrp.name, "VI_EXT");
    EXPECT_EQ(ext.vrrp.vrid, 51);
    EXPECT_EQ(ext.vrrp.priority, std::optional<std::uint8_t>(150));
    EXPECT_EQ(ext.vrrp.auth, vrrp::auth_kind::pass);
    EXPECT_EQ(ext.vrrp.virtual_addresses.size(), 2u);
    const auto& in = r->vrrp_instances[1];
    EXPECT_EQ(in.port, "int0");
    EXPECT_FALSE(in.vrrp.preempt);
    EXPECT_EQ(in.vrrp.unicast_peers.size(), 1u);
    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_EQ(r->vrrp_sync_groups[0].members.size(), 2u);
    ASSERT_EQ(r->vrrp_scripts.size(), 1u);
    EXPECT_EQ(r->vrrp_scripts[0].weight, 0); // FAULT while failing
    ASSERT_EQ(ext.track_scripts.size(), 1u);
    EXPECT_EQ(r->vrrp_sync_groups[0].notify.any.argv,
              std::vector<std::string>{"/usr/local/bin/gw-notify"});
    // Each ignored keyword of the sample, once, with its line.
    const std::string want[] = {
        conf + ":11:5: global_defs: notification_email",
        conf + ":89:13: virtual_server 192.168.44.100 80: real_server 172.18.0.12 80: TCP_CHECK: "
               "bindto is not supported",
    };
    for (const auto& w : want) {
        EXPECT_EQ(count_containing(r->warnings, w), 1u) << w << "\nin\n" << joined(r->warnings);
    }
    EXPECT_EQ(r->warnings.size(), std::size(want)) << joined(r->warnings);
    for (const auto& vi : r->vrrp_instances) {
        auto n = vrrp::normalize(vi.vrrp);
        EXPECT_TRUE(n.ok()) << n.message();
    }
    // The virtual_server, with keepalived's inheritance.
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "192.168.44.100:80/tcp");
    EXPECT_EQ(vs.where.to_string(), conf + ":67:1");
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::wrr);
    EXPECT_EQ(vs.service.persistence_timeout, std::chrono::seconds{300});
    EXPECT_EQ(vs.delay_loop, std::chrono::milliseconds{6000});
    ASSERT_EQ(vs.real_servers.size(), 2u);
    EXPECT_EQ(vs.real_servers[0].rs.weight, 2u);
    EXPECT_TRUE(vs.real_servers[0].inhibit_on_failure); // from the virtual server
    ASSERT_TRUE(vs.real_servers[0].check.has_value());
    EXPECT_EQ(vs.real_servers[0].check->retry, 3u);
    EXPECT_EQ(vs.real_servers[0].check->delay_loop, std::chrono::milliseconds{6000});
    ASSERT_TRUE(vs.real_servers[1].check.has_value());
    EXPECT_EQ(vs.real_servers[1].check->connect_port, std::optional<std::uint16_t>(80));
    EXPECT_EQ(vs.real_servers[1].check->retry, 1u); // keepalived's default
}

} // namespace
} // namespace vipgate::config
