// The `sync` section (flow-state sync, issue 11) and keepalived's
// lvs_sync_daemon / lvs_sync_daemon_interface lines: defaults, every key,
// the key file, one case per error with its FILE:LINE:COLUMN, and what the
// importer makes of each option of keepalived's line.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "config/keepalived.hpp"

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;

class temp_dir {
  public:
    temp_dir() {
        char tmpl[] = "/tmp/vipgate-sync-config-test-XXXXXX";
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
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

net::ipv4_addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return net::ipv4_addr(a, b, c, d);
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) {
        s += l + "\n";
    }
    return s;
}

bool has_warning(const std::vector<std::string>& warnings, const std::string& want) {
    for (const auto& w : warnings) {
        if (w.find(want) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// Lines 1-12: two ports and an instance.
const std::string base_yaml = "ports:\n"
                              "  - name: ext0\n"
                              "    device: net_ring0\n"
                              "    address: 10.0.0.1/24\n"
                              "  - name: int0\n"
                              "    device: net_ring1\n"
                              "    address: 10.1.0.1/24\n"
                              "vrrp_instances:\n"
                              "  - name: VI_1\n"
                              "    port: ext0\n"
                              "    virtual_router_id: 51\n"
                              "    virtual_ipaddress: [10.0.0.100]\n";

// Lines 13-14; a case appends keys from line 15 on.
const std::string with_sync = base_yaml + "sync:\n"
                                          "  port: int0\n";

const std::string key_32 = "0123456789abcdef0123456789abcdef";

// ---- YAML: valid -----------------------------------------------------------------------

TEST(SyncYaml, AbsentMeansNoSync) {
    auto r = load_string(base_yaml);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_FALSE(r->sync.has_value());
}

TEST(SyncYaml, PortAloneTakesLibSyncDefaults) {
    auto r = load_string(with_sync);
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->sync.has_value());
    const sync_config& s = *r->sync;
    const sync::session_config session;
    EXPECT_EQ(s.port, "int0");
    EXPECT_EQ(s.group, ip(224, 0, 0, 84));
    EXPECT_EQ(s.group, sync::default_group);
    EXPECT_TRUE(s.peers.empty());
    EXPECT_EQ(s.udp_port, 8847);
    EXPECT_EQ(s.id, 0u);
    EXPECT_TRUE(s.key_file.empty());
    EXPECT_TRUE(s.key.empty());
    EXPECT_TRUE(s.instance.empty());
    EXPECT_EQ(s.flush_interval, session.flush_interval);
    EXPECT_EQ(s.flush_interval, 5ms);
    EXPECT_EQ(s.bulk_rate, session.bulk_rate);
    EXPECT_EQ(s.bulk_rate, 1'000'000u);
    EXPECT_EQ(s.resync_timeout, 30s);
    EXPECT_EQ(s.where.line, 14);
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
}

TEST(SyncYaml, EveryKeySet) {
    temp_dir dir;
    const std::string key = dir.write("sync.key", key_32 + "tail");
    auto r = load_string(with_sync +
                         "  group: 239.1.2.3\n"
                         "  udp_port: 9001\n"
                         "  id: 4000000000\n"
                         "  key_file: " +
                         key +
                         "\n"
                         "  instance: VI_1\n"
                         "  flush_interval: 20ms\n"
                         "  bulk_rate: 250000\n"
                         "  resync_timeout: 2m\n");
    ASSERT_TRUE(r.ok()) << r.message();
    const sync_config& s = *r->sync;
    EXPECT_EQ(s.resync_timeout, 120s);
    EXPECT_EQ(s.group, ip(239, 1, 2, 3));
    EXPECT_EQ(s.udp_port, 9001);
    EXPECT_EQ(s.id, 4000000000u);
    EXPECT_EQ(s.key_file, key);
    EXPECT_EQ(std::string(s.key.begin(), s.key.end()), key_32 + "tail");
    EXPECT_EQ(s.instance, "VI_1");
    EXPECT_EQ(s.flush_interval, 20ms);
    EXPECT_EQ(s.bulk_rate, 250000u);
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
}

TEST(SyncYaml, UnicastPeers) {
    auto r = load_string(with_sync + "  peers: [10.1.0.2, 10.1.0.3]\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->peers, (std::vector<net::ipv4_addr>{ip(10, 1, 0, 2), ip(10, 1, 0, 3)}));
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
}

TEST(SyncYaml, PeerBehindTheSyncPortsGateway) {
    const std::string ports_gw = "ports:\n"
                                 "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                                 "  - {name: int0, device: net_ring1, address: 10.1.0.1/24, "
                                 "gateway: 10.1.0.254}\n";
    auto r = load_string(ports_gw + "sync:\n  port: int0\n  peers: [10.9.0.2]\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->peers.front(), ip(10, 9, 0, 2));
    // Without the gateway the same peer is unreachable (peer_off_subnet below).
}

TEST(SyncYaml, GroupWithPeersIsAWarning) {
    auto r = load_string(with_sync + "  peers: [10.1.0.2]\n  group: 224.0.0.84\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(has_warning(r->warnings, "<string>:16:10: sync.group: 224.0.0.84 is not used: "
                                         "the stream goes to the unicast peers"))
        << joined(r->warnings);
}

TEST(SyncYaml, SectionMayPrecedePortsAndInstances) {
    auto r = load_string("sync: {port: int0, instance: VI_1}\n" + base_yaml);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->instance, "VI_1");
}

// A relative key_file is relative to the configuration file's directory.
TEST(SyncYaml, RelativeKeyFileIsBesideTheConfiguration) {
    temp_dir dir;
    dir.write("sync.key", key_32);
    const std::string yaml = dir.write("vipgate.yaml", with_sync + "  key_file: sync.key\n");
    auto r = load_file(yaml);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->key_file, "sync.key");
    EXPECT_EQ(r->sync->key.size(), 32u);
}

struct key_case {
    const char* name;
    std::string content; // written to the key file
    std::string want;
};

const key_case key_cases[] = {
    {"empty", "", "is empty"},
    {"short", std::string(31, 'k'),
     "holds 31 bytes, fewer than 32 (RFC 2104 §3: an HMAC-SHA256 key shorter than the 32-byte "
     "hash weakens it)"},
    {"huge", std::string(4097, 'k'), "holds more than 4096 bytes: not a key file"},
};

class SyncKeyFile : public ::testing::TestWithParam<key_case> {};

TEST_P(SyncKeyFile, IsRefused) {
    temp_dir dir;
    const std::string key = dir.write("sync.key", GetParam().content);
    auto r = load_string(with_sync + "  key_file: " + key + "\n");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("<string>:15:13: sync.key_file: "), std::string::npos)
        << r.message();
    EXPECT_NE(r.message().find(GetParam().want), std::string::npos) << r.message();
    EXPECT_NE(r.message().find("; expected the path of a readable file holding the HMAC-SHA256 "
                               "key: 32 to 4096 bytes"),
              std::string::npos)
        << r.message();
}

INSTANTIATE_TEST_SUITE_P(EachKind, SyncKeyFile, ::testing::ValuesIn(key_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(SyncKeyFile, UnreadableOrNotAFile) {
    temp_dir dir;
    auto missing = load_string(with_sync + "  key_file: " + dir.path() + "/none.key\n");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.message().find("cannot be opened (" + dir.path() +
                                     "/none.key): No such file or directory"),
              std::string::npos)
        << missing.message();
    auto directory = load_string(with_sync + "  key_file: " + dir.path() + "\n");
    ASSERT_FALSE(directory.ok());
    EXPECT_NE(directory.message().find("is not a regular file"), std::string::npos)
        << directory.message();
}

// ---- YAML: one case per error ------------------------------------------------------------

struct error_case {
    const char* name;
    std::string yaml;
    std::string want; // substring of the error message
};

const error_case error_cases[] = {
    {"section_empty", base_yaml + "sync:\n", "<string>:13:1: sync: has no value; expected a map"},
    {"section_not_a_map", base_yaml + "sync: on\n", "<string>:13:7: sync: got 'on'"},
    {"unknown_key", with_sync + "  udp_prot: 9000\n",
     "<string>:15:3: sync: unknown key 'udp_prot'"},
    {"missing_port", base_yaml + "sync:\n  id: 1\n",
     "<string>:14:3: sync: missing required key 'port'"},
    {"port_not_a_string", base_yaml + "sync:\n  port: [int0]\n",
     "<string>:14:9: sync.port: got a "
     "sequence"},
    {"port_unknown", base_yaml + "sync:\n  port: eth9\n",
     "<string>:14:9: sync.port: no port named 'eth9'; expected one of the ports ext0, int0"},
    {"group_not_an_address", with_sync + "  group: 224.0.0.256\n",
     "<string>:15:10: sync.group: '224.0.0.256' is not an IPv4 address"},
    {"group_not_multicast", with_sync + "  group: 10.1.0.7\n",
     "<string>:15:10: sync.group: 10.1.0.7 is not a multicast address; expected an IPv4 "
     "multicast group (224.0.0.0/4) of its own, such as 224.0.0.84 (the default)"},
    {"group_vrrp", with_sync + "  group: 224.0.0.18\n",
     "<string>:15:10: sync.group: 224.0.0.18 is VRRP's group (RFC 5798 §5.1.1.2)"},
    {"group_ipvs", with_sync + "  group: 224.0.0.81\n",
     "<string>:15:10: sync.group: 224.0.0.81 is IPVS's sync group (keepalived's lvs_sync_daemon "
     "default): a half-migrated pair would exchange frames neither side can read"},
    {"group_all_systems", with_sync + "  group: 224.0.0.1\n",
     "<string>:15:10: sync.group: 224.0.0.1 is the all-systems group"},
    {"peers_not_a_sequence", with_sync + "  peers: 10.1.0.2\n",
     "<string>:15:10: sync.peers: got '10.1.0.2'; expected a sequence of at least one unicast"},
    {"peers_empty", with_sync + "  peers: []\n", "<string>:15:10: sync.peers: has 0 items"},
    {"peer_not_an_address", with_sync + "  peers: [peer-b]\n",
     "<string>:15:11: sync.peers[0]: 'peer-b' is not an IPv4 address"},
    {"peer_multicast", with_sync + "  peers: [224.0.0.84]\n",
     "<string>:15:11: sync.peers[0]: 224.0.0.84 is a multicast address"},
    {"peer_own_address", with_sync + "  peers: [10.1.0.1]\n",
     "<string>:15:11: sync.peers[0]: 10.1.0.1 is the address of port 'int0' (this node); "
     "expected the unicast IPv4 address of the peer gateway"},
    {"peer_other_port_address", with_sync + "  peers: [10.0.0.1]\n",
     "sync.peers[0]: 10.0.0.1 is the address of port 'ext0' (this node)"},
    {"peer_off_subnet", with_sync + "  peers: [10.0.0.2]\n",
     "<string>:15:11: sync.peers[0]: 10.0.0.2 is not in the subnet of port 'int0' (10.1.0.0/24) "
     "and the port has no gateway"},
    {"peer_twice", with_sync + "  peers: [10.1.0.2, 10.1.0.2]\n",
     "<string>:15:21: sync.peers[1]: 10.1.0.2 is listed twice (first as peers[0])"},
    {"udp_port_zero", with_sync + "  udp_port: 0\n",
     "<string>:15:13: sync.udp_port: '0' is out of range; expected an integer 1..65535"},
    {"udp_port_too_big", with_sync + "  udp_port: 65536\n",
     "<string>:15:13: sync.udp_port: '65536' is out of range"},
    {"udp_port_quoted", with_sync + "  udp_port: \"8847\"\n",
     "<string>:15:13: sync.udp_port: got a quoted string '8847'"},
    {"udp_port_probe_first", with_sync + "  udp_port: 61000\n",
     "<string>:15:13: sync.udp_port: 61000 is in the health-probe port range 61000-61999"},
    {"udp_port_probe_last", with_sync + "  udp_port: 61999\n",
     "sync.udp_port: 61999 is in the health-probe port range"},
    {"id_negative", with_sync + "  id: -1\n",
     "<string>:15:7: sync.id: '-1' is out of range; expected an integer 0..4294967295"},
    {"id_too_big", with_sync + "  id: 4294967296\n", "sync.id: '4294967296' is out of range"},
    {"id_bool", with_sync + "  id: true\n", "<string>:15:7: sync.id: 'true' is not an integer"},
    {"instance_unknown", with_sync + "  instance: VI_9\n",
     "<string>:15:13: sync.instance: no VRRP instance named 'VI_9'; expected the name of a VRRP "
     "instance: one of VI_1"},
    {"flush_interval_too_short", with_sync + "  flush_interval: 500us\n",
     "<string>:15:19: sync.flush_interval: '500us' is out of range"},
    {"flush_interval_too_long", with_sync + "  flush_interval: 2s\n",
     "sync.flush_interval: '2s' is out of range"},
    {"flush_interval_word", with_sync + "  flush_interval: fast\n",
     "sync.flush_interval: 'fast' is not a duration"},
    {"bulk_rate_too_low", with_sync + "  bulk_rate: 999\n",
     "<string>:15:14: sync.bulk_rate: '999' is out of range; expected an integer "
     "1000..100000000"},
    {"resync_timeout_zero", with_sync + "  resync_timeout: 0s\n",
     "<string>:15:19: sync.resync_timeout: '0s' is out of range"},
    {"resync_timeout_too_long", with_sync + "  resync_timeout: 11m\n",
     "<string>:15:19: sync.resync_timeout: '11m' is out of range"},
    {"resync_timeout_word", with_sync + "  resync_timeout: never\n",
     "<string>:15:19: sync.resync_timeout: 'never' is not a duration"},
    {"resync_timeout_sequence", with_sync + "  resync_timeout: [30s]\n",
     "<string>:15:19: sync.resync_timeout:"},
    {"key_file_empty_value", with_sync + "  key_file:\n",
     "<string>:15:3: sync.key_file: has no value"},
};

class SyncYamlError : public ::testing::TestWithParam<error_case> {};

TEST_P(SyncYamlError, ReportsPositionAndExpectation) {
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

INSTANTIATE_TEST_SUITE_P(EachKind, SyncYamlError, ::testing::ValuesIn(error_cases),
                         [](const auto& p) { return std::string(p.param.name); });

// ---- keepalived.conf: lvs_sync_daemon -------------------------------------------------------

const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                               "  - {name: int0, device: net_ring1, address: 10.1.0.1/24}\n";

config base(const std::string& yaml = ports_yaml) {
    auto r = load_string(yaml);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : config{};
}

// Lines 1-3: global_defs holding `line` on line 2; lines 4-8: VI_1, VRID 51.
std::string conf_with(const std::string& line) {
    return "global_defs {\n    " + line +
           "\n}\n"
           "vrrp_instance VI_1 {\n"
           "    interface ext0\n"
           "    virtual_router_id 51\n"
           "    virtual_ipaddress { 10.0.0.9 }\n"
           "}\n";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

TEST(SyncKeepalived, FullLine) {
    temp_dir dir;
    const std::string path = dir.write(
        "k.conf", conf_with("lvs_sync_daemon int0 inst VI_1 id 7 maxlen 1400 port 9000 ttl 1 "
                            "group 224.0.0.90"));
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->sync.has_value());
    const sync_config& s = *r->sync;
    EXPECT_EQ(s.port, "int0");
    EXPECT_EQ(s.instance, "VI_1");
    EXPECT_EQ(s.id, 7u);
    EXPECT_EQ(s.udp_port, 9000);
    EXPECT_EQ(s.group, ip(224, 0, 0, 90));
    EXPECT_TRUE(s.peers.empty());
    EXPECT_TRUE(s.key.empty());
    EXPECT_EQ(s.flush_interval, sync::session_config{}.flush_interval);
    EXPECT_EQ(s.resync_timeout, 30s); // the line has no such option
    EXPECT_EQ(s.where.line, 2);
    EXPECT_TRUE(has_warning(r->warnings, path + ":2:41: global_defs: lvs_sync_daemon: maxlen is "
                                                "not used: vipgate fills sync messages up to the "
                                                "sync port's MTU; ignored"))
        << joined(r->warnings);
    EXPECT_TRUE(has_warning(r->warnings, path + ":2:63: global_defs: lvs_sync_daemon: ttl is not "
                                                "used: vipgate sends with TTL 255"))
        << joined(r->warnings);
    EXPECT_FALSE(has_warning(r->warnings, "not IPVS's defaults")) << joined(r->warnings);
}

// keepalived's defaults: no instance (both ways), sync id 0; vipgate's own
// port and group, with a warning saying so.
TEST(SyncKeepalived, MinimalLine) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", conf_with("lvs_sync_daemon int0"));
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    const sync_config& s = *r->sync;
    EXPECT_EQ(s.port, "int0");
    EXPECT_TRUE(s.instance.empty());
    EXPECT_EQ(s.id, 0u);
    EXPECT_EQ(s.udp_port, sync::default_udp_port);
    EXPECT_EQ(s.group, sync::default_group);
    EXPECT_TRUE(has_warning(r->warnings,
                            path + ":2:5: global_defs: lvs_sync_daemon: vipgate's own sync "
                                   "protocol on UDP port 8847 and group 224.0.0.84, not IPVS's "
                                   "defaults (8848, 224.0.0.81)"))
        << joined(r->warnings);
}

// With an instance and no id, keepalived's sync id is the instance's VRID.
TEST(SyncKeepalived, InstanceWithoutIdTakesItsVrid) {
    temp_dir dir;
    const std::string path =
        dir.write("k.conf", conf_with("lvs_sync_daemon int0 inst VI_1 port 8847"));
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->instance, "VI_1");
    EXPECT_EQ(r->sync->id, 51u);
    EXPECT_TRUE(has_warning(r->warnings, "vipgate's own sync protocol on group 224.0.0.84, not"))
        << joined(r->warnings);
}

TEST(SyncKeepalived, OlderFormsOfTheLine) {
    temp_dir dir;
    const std::string bare = dir.write("a.conf", conf_with("lvs_sync_daemon int0 VI_1"));
    auto a = import_keepalived(bare, base());
    ASSERT_TRUE(a.ok()) << a.message();
    EXPECT_EQ(a->sync->instance, "VI_1");
    EXPECT_EQ(a->sync->id, 51u);

    const std::string bare_id = dir.write("b.conf", conf_with("lvs_sync_daemon int0 VI_1 5"));
    auto b = import_keepalived(bare_id, base());
    ASSERT_TRUE(b.ok()) << b.message();
    EXPECT_EQ(b->sync->id, 5u);
    EXPECT_TRUE(has_warning(b->warnings, bare_id + ":2:31: global_defs: lvs_sync_daemon: a bare "
                                                   "sync id '5' is keepalived's older form; write "
                                                   "`id 5`"))
        << joined(b->warnings);
}

// keepalived 1.x's spelling, inside the instance whose state it follows.
TEST(SyncKeepalived, OldSpellingInTheInstance) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 51\n"
                                                 "    lvs_sync_daemon_interface int0\n"
                                                 "    virtual_ipaddress { 10.0.0.9 }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->sync.has_value());
    EXPECT_EQ(r->sync->port, "int0");
    EXPECT_EQ(r->sync->instance, "VI_1");
    EXPECT_EQ(r->sync->id, 51u);
    EXPECT_EQ(r->sync->where.line, 4);
}

TEST(SyncKeepalived, SecondLineAndUnknownOptionAreWarnings) {
    temp_dir dir;
    const std::string path =
        dir.write("k.conf", conf_with("lvs_sync_daemon int0 inst VI_1 id 3 fast\n"
                                      "    lvs_sync_daemon ext0"));
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->sync->port, "int0");
    EXPECT_TRUE(has_warning(r->warnings, path + ":2:41: global_defs: lvs_sync_daemon: unknown "
                                                "option 'fast'; ignored, as keepalived does"))
        << joined(r->warnings);
    EXPECT_TRUE(has_warning(r->warnings, path + ":3:5: global_defs: lvs_sync_daemon is given a "
                                                "second time; ignored, as keepalived does"))
        << joined(r->warnings);
}

TEST(SyncKeepalived, NoLineKeepsTheYamlSync) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", conf_with("router_id a"));
    auto r = import_keepalived(path, base(ports_yaml + "sync: {port: int0}\n"));
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->sync.has_value());
    EXPECT_EQ(r->sync->port, "int0");
    auto none = import_keepalived(path, base());
    ASSERT_TRUE(none.ok()) << none.message();
    EXPECT_FALSE(none->sync.has_value());
}

struct kerror_case {
    const char* name;
    std::string line; // on line 2, in global_defs
    std::string want; // "F" stands for the path
};

const kerror_case kerror_cases[] = {
    {"no_interface", "lvs_sync_daemon",
     "F:2:5: global_defs: lvs_sync_daemon has no interface; expected lvs_sync_daemon INTERFACE"},
    {"unknown_interface", "lvs_sync_daemon eth1 inst VI_1",
     "F:2:21: global_defs: lvs_sync_daemon: interface: no port named 'eth1'; expected one of the "
     "ports ext0, int0"},
    {"unknown_instance", "lvs_sync_daemon int0 inst VI_9",
     "F:2:31: global_defs: lvs_sync_daemon: inst: no VRRP instance named 'VI_9'"},
    {"id_too_big", "lvs_sync_daemon int0 id 256",
     "F:2:29: global_defs: lvs_sync_daemon: id '256' is out of range; expected an integer 0..255"},
    {"id_word", "lvs_sync_daemon int0 id one",
     "F:2:29: global_defs: lvs_sync_daemon: id 'one' is not an integer"},
    {"id_no_value", "lvs_sync_daemon int0 id",
     "F:2:26: global_defs: lvs_sync_daemon: id has no value; expected id VALUE"},
    {"port_zero", "lvs_sync_daemon int0 port 0",
     "F:2:31: global_defs: lvs_sync_daemon: port '0' is out of range; expected an integer "
     "1..65535"},
    {"port_probe_range", "lvs_sync_daemon int0 port 61500",
     "F:2:31: global_defs: lvs_sync_daemon: port: 61500 is in the health-probe port range"},
    {"group_ipvs", "lvs_sync_daemon int0 group 224.0.0.81",
     "F:2:32: global_defs: lvs_sync_daemon: group: 224.0.0.81 is IPVS's sync group"},
    {"group_unicast", "lvs_sync_daemon int0 group 10.1.0.9",
     "F:2:32: global_defs: lvs_sync_daemon: group: 10.1.0.9 is not a multicast address"},
    {"group_ipv6", "lvs_sync_daemon int0 group ff02::1",
     "F:2:32: global_defs: lvs_sync_daemon: group 'ff02::1' is not an IPv4 address"},
    {"maxlen_bad", "lvs_sync_daemon int0 maxlen 0",
     "F:2:33: global_defs: lvs_sync_daemon: maxlen '0' is out of range; expected an integer "
     "1..65507"},
    {"ttl_bad", "lvs_sync_daemon int0 ttl 256",
     "F:2:30: global_defs: lvs_sync_daemon: ttl '256' is out of range; expected an integer "
     "1..255"},
};

class SyncKeepalivedError : public ::testing::TestWithParam<kerror_case> {};

TEST_P(SyncKeepalivedError, NamesFileLineAndColumn) {
    const auto& c = GetParam();
    temp_dir dir;
    const std::string path = dir.write("keepalived.conf", conf_with(c.line));
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok()) << "accepted: " << c.line;
    const std::string want = replace_all(c.want, "F:", path + ":");
    EXPECT_NE(r.message().find(want), std::string::npos) << "got:\n"
                                                         << r.message() << "\nwant:\n"
                                                         << want;
    std::istringstream lines(r.message());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind(path + ":", 0), 0u) << line;
        EXPECT_NE(line.find("; expected "), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(EachKind, SyncKeepalivedError, ::testing::ValuesIn(kerror_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(SyncKeepalived, OldSpellingWithUnknownPort) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", "vrrp_instance VI_1 {\n"
                                                 "    interface ext0\n"
                                                 "    virtual_router_id 51\n"
                                                 "    lvs_sync_daemon_interface eth7\n"
                                                 "    virtual_ipaddress { 10.0.0.9 }\n"
                                                 "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(path + ":4:31: vrrp_instance VI_1: lvs_sync_daemon_interface: "
                                      "interface: no port named 'eth7'"),
              std::string::npos)
        << r.message();
}

TEST(SyncKeepalived, YamlSectionAndLineTogetherIsAnError) {
    temp_dir dir;
    const std::string path = dir.write("k.conf", conf_with("lvs_sync_daemon int0"));
    auto r = import_keepalived(path, base(ports_yaml + "sync: {port: int0}\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(path + ":2:5: global_defs: lvs_sync_daemon: the YAML "
                                      "configuration has a sync section (at <string>:4:7); "
                                      "expected the sync configured once"),
              std::string::npos)
        << r.message();
}

} // namespace
} // namespace vipgate::config
