#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <unistd.h>

#ifndef VIPGATE_SOURCE_DIR
#error "VIPGATE_SOURCE_DIR must be defined by the build (tests/unit/config/meson.build)"
#endif

namespace vipgate::config {
namespace {

// Lines 1-4; sections appended by a case start at line 5.
const std::string one_port = "ports:\n"
                             "  - name: ext0\n"
                             "    device: net_ring0\n"
                             "    address: 10.0.0.1/24\n";

std::string source_path(const std::string& rel) {
    return std::string(VIPGATE_SOURCE_DIR) + "/" + rel;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t line_count(const std::string& s) {
    if (s.empty()) {
        return 0;
    }
    std::size_t n = 1;
    for (char c : s) {
        n += c == '\n' ? 1 : 0;
    }
    return n;
}

// ---- valid configurations ------------------------------------------------------

TEST(LoadString, MinimalAppliesEveryDefault) {
    auto r = load_string(one_port);
    ASSERT_TRUE(r.ok()) << r.message();
    const config& c = *r;
    EXPECT_EQ(c.source_file, "<string>");
    ASSERT_EQ(c.ports.size(), 1u);
    EXPECT_EQ(c.ports[0].name, "ext0");
    EXPECT_EQ(c.ports[0].device, "net_ring0");
    EXPECT_FALSE(c.ports[0].is_pci);
    EXPECT_EQ(c.ports[0].address, (net::ipv4_prefix{net::ipv4_addr(10, 0, 0, 1), 24}));
    EXPECT_EQ(c.ports[0].where.to_string(), "<string>:2:5");

    const dataplane_config dp;
    EXPECT_EQ(c.dataplane.workers, dp.workers);
    EXPECT_EQ(c.dataplane.workers, 0u);
    EXPECT_EQ(c.dataplane.mbufs, 16383u);
    EXPECT_EQ(c.dataplane.mbuf_cache, 256u);
    EXPECT_EQ(c.dataplane.rx_descriptors, 1024);
    EXPECT_EQ(c.dataplane.tx_descriptors, 1024);
    EXPECT_EQ(c.dataplane.burst, 32);
    EXPECT_EQ(c.dataplane.punt_ring_size, 1024u);
    EXPECT_EQ(c.dataplane.control_tx_ring_size, 1024u);
    EXPECT_FALSE(c.dataplane.idle_sleep);
    EXPECT_EQ(c.dataplane.idle_sleep_us, 100u);
    EXPECT_EQ(c.dataplane.idle_polls, 64u);
    EXPECT_EQ(c.dataplane.control_rt_priority, 0u) << "normal scheduling unless asked";
    EXPECT_EQ(c.neighbours.max_entries, 4096u);
    EXPECT_EQ(c.neighbours.reachable_time_s, 300u);
    EXPECT_EQ(c.neighbours.retry_interval_ms, 1000u);
    EXPECT_EQ(c.neighbours.retries, 3u);
}

TEST(LoadString, FullConfigSetsEveryKey) {
    auto r = load_string(R"(
ports:
  - name: ext0
    device: "net_af_packet0,iface=veth-ext"
    address: 192.168.44.44/24
  - name: int.1-b_c
    device: net_ring1
    address: 172.18.0.1/31
dataplane:
  workers: 3
  mbufs: 65535
  mbuf_cache: 512
  rx_descriptors: 2048
  tx_descriptors: 512
  burst: 64
  punt_ring_size: 4096
  control_tx_ring_size: 256
  handoff_ring_size: 8192
  idle_sleep: yes
  idle_sleep_us: 50
  idle_polls: 1000
neighbours:
  max_entries: 16
  reachable_time: 5m
  retry_interval: 0.25s
  retries: 7
)");
    ASSERT_TRUE(r.ok()) << r.message();
    const config& c = *r;
    ASSERT_EQ(c.ports.size(), 2u);
    EXPECT_EQ(c.ports[0].device, "net_af_packet0,iface=veth-ext");
    EXPECT_EQ(c.ports[1].name, "int.1-b_c");
    EXPECT_EQ(c.ports[1].address.len, 31);
    EXPECT_EQ(c.dataplane.workers, 3u);
    EXPECT_EQ(c.dataplane.mbufs, 65535u);
    EXPECT_EQ(c.dataplane.mbuf_cache, 512u);
    EXPECT_EQ(c.dataplane.rx_descriptors, 2048);
    EXPECT_EQ(c.dataplane.tx_descriptors, 512);
    EXPECT_EQ(c.dataplane.burst, 64);
    EXPECT_EQ(c.dataplane.punt_ring_size, 4096u);
    EXPECT_EQ(c.dataplane.control_tx_ring_size, 256u);
    EXPECT_EQ(c.dataplane.handoff_ring_size, 8192u);
    EXPECT_TRUE(c.dataplane.idle_sleep);
    EXPECT_EQ(c.dataplane.idle_sleep_us, 50u);
    EXPECT_EQ(c.dataplane.idle_polls, 1000u);
    EXPECT_EQ(c.neighbours.max_entries, 16u);
    EXPECT_EQ(c.neighbours.reachable_time_s, 300u);
    EXPECT_EQ(c.neighbours.retry_interval_ms, 250u);
    EXPECT_EQ(c.neighbours.retries, 7u);
}

TEST(LoadString, PciDevicesAreNormalised) {
    auto r = load_string("ports:\n"
                         "  - {name: a, device: '03:00.0', address: 10.0.0.1/24}\n"
                         "  - {name: b, device: '0000:AF:00.1,txq_inline=128', address: "
                         "10.0.1.1/24}\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r->ports[0].is_pci);
    EXPECT_EQ(r->ports[0].device, "0000:03:00.0");
    EXPECT_TRUE(r->ports[1].is_pci);
    EXPECT_EQ(r->ports[1].device, "0000:af:00.1,txq_inline=128");
}

TEST(LoadString, WorkersAutoAndEmptySections) {
    auto r = load_string(one_port + "dataplane:\n  workers: auto\nneighbours:\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->dataplane.workers, 0u);
    EXPECT_EQ(r->neighbours.retries, 3u);

    auto z = load_string(one_port + "dataplane: {workers: 0, idle_sleep: on}\n");
    ASSERT_TRUE(z.ok()) << z.message();
    EXPECT_EQ(z->dataplane.workers, 0u);
    EXPECT_TRUE(z->dataplane.idle_sleep);
}

TEST(LoadString, FilenameAppearsInErrors) {
    auto r = load_string("ports: 1\n", "my.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message().rfind("my.yaml:1:8: ports: got '1'", 0), 0u) << r.message();
}

// ---- one case per error kind ----------------------------------------------------

struct error_case {
    const char* name;
    std::string yaml;
    std::string want; // substring of the error message
};

const error_case error_cases[] = {
    // Document shape.
    {"syntax", "ports: [\n",
     "<string>:2:1: YAML syntax error: end of sequence flow not found; expected well-formed YAML"},
    {"syntax_indent", "ports:\n  - name: a\n   device: b\n", "<string>:3:4: YAML syntax error"},
    {"empty_file", "",
     "<string>:1:1: the file has no YAML document; expected a map with keys "
     "ports, dataplane, neighbours"},
    {"comments_only", "# nothing\n", "<string>:1:1: the file has no YAML document"},
    {"null_document", "~\n", "<string>:1:1: top level: has no value; expected a map"},
    {"two_documents", one_port + "---\nports: []\n",
     "<string>:5:1: a second YAML document starts here; expected a single document"},
    // yaml-cpp 0.7's LoadAll never returns on these (it allocates until OOM).
    {"stray_comma", ", a\n",
     "<string>:1:1: YAML syntax error: unexpected ',' outside a flow collection; expected "
     "well-formed YAML"},
    {"stray_comma_after_content", "- a\n, b\n",
     "<string>:2:1: YAML syntax error: unexpected ',' outside a flow collection"},
    {"stray_comma_after_flow", "[a, b]\n, c\n", "<string>:2:1: YAML syntax error: unexpected ','"},
    {"top_sequence", "- ports\n",
     "<string>:1:1: top level: got a sequence; expected a map with keys ports, dataplane, "
     "neighbours"},
    {"top_scalar", "hello\n", "<string>:1:1: top level: got 'hello'; expected a map"},
    // Keys.
    {"unknown_top_key", one_port + "dataplnae:\n  workers: 1\n",
     "<string>:5:1: top level: unknown key 'dataplnae' (did you mean 'dataplane'?); expected one "
     "of ports, dataplane, neighbours"},
    {"unknown_key_no_suggestion", one_port + "flows: 1\n",
     "<string>:5:1: top level: unknown key 'flows'; expected one of ports, dataplane, "
     "neighbours"},
    {"unknown_dataplane_key", one_port + "dataplane:\n  flows_per_worker: 1048576\n",
     "<string>:6:3: dataplane: unknown key 'flows_per_worker'; expected one of workers, mbufs, "
     "mbuf_cache, rx_descriptors, tx_descriptors, burst, punt_ring_size, control_tx_ring_size, "
     "handoff_ring_size, idle_sleep, idle_sleep_us, idle_polls"},
    {"unknown_port_key", "ports:\n  - name: a\n    device: net_ring0\n    adress: 10.0.0.1/24\n",
     "<string>:4:5: ports[0]: unknown key 'adress' (did you mean 'address'?); expected one of "
     "name, device, address"},
    {"key_with_newline", one_port + "\"data\\nplane\": 1\n",
     "<string>:5:1: top level: unknown key 'data\\nplane' (did you mean 'dataplane'?); expected "
     "one of ports"},
    {"duplicate_yaml_key", one_port + "dataplane:\n  burst: 16\n  burst: 32\n",
     "<string>:7:3: dataplane: duplicate key 'burst' (first at line 6, column 3); expected each "
     "key at most once"},
    {"duplicate_top_key", one_port + "ports: []\n",
     "<string>:5:1: top level: duplicate key 'ports'"},
    {"missing_ports", "dataplane:\n  workers: 1\n",
     "<string>:1:1: top level: missing required key 'ports'; expected a sequence of at least one "
     "port, each a map with keys name, device, address"},
    {"missing_port_address", "ports:\n  - name: ext0\n    device: net_ring0\n",
     "<string>:2:5: ports[0]: missing required key 'address'; expected the port's unicast IPv4 "
     "address"},
    {"missing_port_name", "ports:\n  - device: net_ring0\n    address: 10.0.0.1/24\n",
     "<string>:2:5: ports[0]: missing required key 'name'"},
    {"no_value", "ports:\n  - name:\n    device: net_ring0\n    address: 10.0.0.1/24\n",
     "<string>:2:5: ports[0].name: has no value; expected a port name"},
    // Ports sequence.
    {"empty_ports", "ports: []\n",
     "<string>:1:8: ports: has 0 items; expected a sequence of at least one port"},
    {"null_ports", "ports:\n",
     "<string>:1:1: ports: has no value; expected a sequence of at "
     "least one port"},
    {"ports_is_map", "ports:\n  name: ext0\n",
     "<string>:2:3: ports: got a map; expected a sequence of at least one port"},
    {"port_is_scalar", "ports:\n  - ext0\n",
     "<string>:2:5: ports[0]: got 'ext0'; expected a map with keys name, device, address"},
    // Port values.
    {"bad_port_name", "ports:\n  - {name: 0ext, device: net_ring0, address: 10.0.0.1/24}\n",
     "<string>:2:12: ports[0].name: '0ext' is not a valid port name; expected a port name of 1 to "
     "32 characters"},
    {"long_port_name",
     "ports:\n  - {name: a23456789012345678901234567890123, device: net_ring0, address: "
     "10.0.0.1/24}\n",
     "ports[0].name: 'a23456789012345678901234567890123' is not a valid port name"},
    {"port_name_space", "ports:\n  - {name: 'ext 0', device: net_ring0, address: 10.0.0.1/24}\n",
     "ports[0].name: a quoted string 'ext 0' is not a valid port name"},
    {"port_name_sequence", "ports:\n  - {name: [a], device: net_ring0, address: 10.0.0.1/24}\n",
     "<string>:2:12: ports[0].name: got a sequence; expected a port name"},
    {"device_not_vdev", "ports:\n  - {name: a, device: eth0, address: 10.0.0.1/24}\n",
     "<string>:2:23: ports[0].device: 'eth0' is neither a net_ vdev nor a PCI address; expected a "
     "DPDK vdev"},
    {"device_bad_pci", "ports:\n  - {name: a, device: '03:20.0', address: 10.0.0.1/24}\n",
     "ports[0].device: a quoted string '03:20.0' is neither a net_ vdev nor a PCI address"},
    {"device_empty_arg", "ports:\n  - {name: a, device: 'net_ring0,,x=1', address: 10.0.0.1/24}\n",
     "ports[0].device: a quoted string 'net_ring0,,x=1' has an empty device argument"},
    {"device_whitespace",
     "ports:\n  - {name: a, device: 'net_af_packet0, iface=x', address: 10.0.0.1/24}\n",
     "contains whitespace"},
    {"device_bad_vdev_name", "ports:\n  - {name: a, device: net_ring-0, address: 10.0.0.1/24}\n",
     "has an invalid vdev name 'net_ring-0'"},
    {"device_empty", "ports:\n  - {name: a, device: '', address: 10.0.0.1/24}\n",
     "ports[0].device: is an empty string"},
    {"bad_ipv4", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.256/24}\n",
     "<string>:2:43: ports[0].address: '10.0.0.256/24' is not an IPv4 prefix; expected an IPv4 "
     "address with a prefix length a.b.c.d/1..32"},
    {"address_no_prefix", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.1}\n",
     "ports[0].address: '10.0.0.1' has no prefix length"},
    {"prefix_33", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.1/33}\n",
     "ports[0].address: '10.0.0.1/33' is not an IPv4 prefix"},
    {"prefix_0", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.1/0}\n",
     "ports[0].address: '10.0.0.1/0' has an out-of-range prefix length"},
    {"network_address", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.0/24}\n",
     "ports[0].address: '10.0.0.0/24' is the network address of 10.0.0.0/24; expected the port's "
     "unicast IPv4 address"},
    {"broadcast_address", "ports:\n  - {name: a, device: net_ring0, address: 10.0.0.255/24}\n",
     "is the broadcast address of 10.0.0.0/24"},
    {"multicast_address", "ports:\n  - {name: a, device: net_ring0, address: 224.0.0.18/24}\n",
     "is a multicast address"},
    {"zero_address", "ports:\n  - {name: a, device: net_ring0, address: 0.0.0.0/32}\n",
     "is in 0.0.0.0/8"},
    // Uniqueness across ports.
    {"duplicate_port_name",
     one_port + "  - name: ext0\n    device: net_ring1\n    address: 10.0.1.1/24\n",
     "<string>:5:11: ports[1].name: duplicate port name 'ext0' (first used by ports[0].name at "
     "line 2, column 11); expected a unique name for every port"},
    {"duplicate_vdev",
     one_port + "  - name: ext1\n    device: net_ring0,nodeaction=x\n    address: 10.0.1.1/24\n",
     "<string>:6:13: ports[1].device: duplicate device 'net_ring0' (first used by ports[0].device "
     "at line 3, column 13); expected a different DPDK device for every port"},
    {"duplicate_pci",
     "ports:\n  - {name: a, device: '03:00.0', address: 10.0.0.1/24}\n"
     "  - {name: b, device: '0000:03:00.0', address: 10.0.1.1/24}\n",
     "<string>:3:23: ports[1].device: duplicate device '0000:03:00.0' (first used by "
     "ports[0].device at line 2, column 23)"},
    {"duplicate_address",
     one_port + "  - name: ext1\n    device: net_ring1\n    address: 10.0.0.1/16\n",
     "<string>:7:14: ports[1].address: duplicate address 10.0.0.1 (first used by "
     "ports[0].address at line 4, column 14); expected a different address on every port"},
    // Dataplane values.
    {"dataplane_not_map", one_port + "dataplane: [1]\n",
     "<string>:5:12: dataplane: got a sequence; expected a map with keys workers, mbufs"},
    {"workers_sequence", one_port + "dataplane:\n  workers: [1]\n",
     "<string>:6:12: dataplane.workers: got a sequence; expected \"auto\" or an integer 0..64"},
    {"workers_string", one_port + "dataplane:\n  workers: many\n",
     "<string>:6:12: dataplane.workers: 'many' is not an integer; expected \"auto\" or an integer "
     "0..64"},
    {"workers_quoted", one_port + "dataplane:\n  workers: \"2\"\n",
     "<string>:6:12: dataplane.workers: got a quoted string '2'; expected \"auto\" or an integer"},
    {"workers_range", one_port + "dataplane:\n  workers: 65\n",
     "<string>:6:12: dataplane.workers: '65' is out of range; expected \"auto\" or an integer "
     "0..64"},
    {"workers_negative", one_port + "dataplane:\n  workers: -1\n",
     "dataplane.workers: '-1' is out of range"},
    {"mbufs_range", one_port + "dataplane:\n  mbufs: 100\n",
     "<string>:6:10: dataplane.mbufs: '100' is out of range; expected an integer 1023..16777215"},
    {"mbuf_cache_range", one_port + "dataplane:\n  mbuf_cache: 513\n",
     "dataplane.mbuf_cache: '513' is out of range; expected an integer 0..512"},
    {"rx_descriptors_pow2", one_port + "dataplane:\n  rx_descriptors: 1000\n",
     "<string>:6:19: dataplane.rx_descriptors: '1000' is not a power of two; expected a power of "
     "two 64..16384"},
    {"tx_descriptors_range", one_port + "dataplane:\n  tx_descriptors: 32768\n",
     "dataplane.tx_descriptors: '32768' is out of range; expected a power of two 64..16384"},
    {"burst_range", one_port + "dataplane:\n  burst: 0\n",
     "dataplane.burst: '0' is out of range; expected an integer 1..256"},
    {"burst_over_descriptors", one_port + "dataplane:\n  tx_descriptors: 64\n  burst: 128\n",
     "<string>:7:10: dataplane.burst: 128 is larger than the descriptor ring (64); expected a "
     "burst no larger than rx_descriptors and tx_descriptors"},
    {"burst_default_over_descriptors",
     one_port + "dataplane:\n  rx_descriptors: 64\n  burst: "
                "100\n",
     "dataplane.burst: 100 is larger than the descriptor ring (64)"},
    {"punt_ring_pow2", one_port + "dataplane:\n  punt_ring_size: 1000\n",
     "dataplane.punt_ring_size: '1000' is not a power of two; expected a power of two 64..65536"},
    {"control_ring_range", one_port + "dataplane:\n  control_tx_ring_size: 131072\n",
     "dataplane.control_tx_ring_size: '131072' is out of range; expected a power of two "
     "64..65536"},
    {"idle_sleep_bool", one_port + "dataplane:\n  idle_sleep: maybe\n",
     "<string>:6:15: dataplane.idle_sleep: 'maybe' is not a boolean; expected a boolean "
     "(true/false, yes/no, on/off)"},
    {"idle_sleep_us_range", one_port + "dataplane:\n  idle_sleep_us: 0\n",
     "dataplane.idle_sleep_us: '0' is out of range; expected an integer 1..100000"},
    {"idle_polls_range", one_port + "dataplane:\n  idle_polls: 1000001\n",
     "dataplane.idle_polls: '1000001' is out of range; expected an integer 1..1000000"},
    {"control_rt_priority_range", one_port + "dataplane:\n  control_rt_priority: 100\n",
     "<string>:6:24: dataplane.control_rt_priority: '100' is out of range; expected an integer "
     "0..99"},
    // Neighbours values.
    {"neighbours_not_map", one_port + "neighbours: 5\n",
     "<string>:5:13: neighbours: got '5'; expected a map with keys max_entries, reachable_time, "
     "retry_interval, retries"},
    {"max_entries_range", one_port + "neighbours:\n  max_entries: 8\n",
     "neighbours.max_entries: '8' is out of range; expected an integer 16..1048576"},
    {"reachable_time_whole_seconds", one_port + "neighbours:\n  reachable_time: 1500ms\n",
     "<string>:6:19: neighbours.reachable_time: '1500ms' is not in whole seconds; expected a "
     "duration 1s..24h in whole seconds"},
    {"reachable_time_negative", one_port + "neighbours:\n  reachable_time: -5s\n",
     "neighbours.reachable_time: '-5s' is negative"},
    {"reachable_time_junk", one_port + "neighbours:\n  reachable_time: soon\n",
     "neighbours.reachable_time: 'soon' is not a duration"},
    {"reachable_time_unit", one_port + "neighbours:\n  reachable_time: 1d\n",
     "neighbours.reachable_time: '1d' has an unknown unit 'd'"},
    {"reachable_time_overflow", one_port + "neighbours:\n  reachable_time: 99999999999999h\n",
     "neighbours.reachable_time: '99999999999999h' is too large"},
    {"retry_interval_range", one_port + "neighbours:\n  retry_interval: 5ms\n",
     "neighbours.retry_interval: '5ms' is out of range; expected a duration 10ms..1m in whole "
     "milliseconds"},
    {"retries_range", one_port + "neighbours:\n  retries: 0\n",
     "neighbours.retries: '0' is out of range; expected an integer 1..100"},
};

// Readable failure output instead of gtest's byte dump.
void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.name;
}

class LoadStringError : public ::testing::TestWithParam<error_case> {};

TEST_P(LoadStringError, ReportsPositionAndExpectation) {
    const auto& c = GetParam();
    auto r = load_string(c.yaml);
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.yaml;
    EXPECT_NE(r.message().find(c.want), std::string::npos) << "yaml:\n"
                                                           << c.yaml << "\ngot:\n"
                                                           << r.message() << "\nwant:\n"
                                                           << c.want;
    // Every line of the message has the FILE:LINE:COLUMN: ...; expected ... shape.
    std::istringstream lines(r.message());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind("<string>:", 0), 0u) << line;
        EXPECT_NE(line.find("; expected "), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(EachKind, LoadStringError, ::testing::ValuesIn(error_cases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(LoadString, CollectsAllErrorsInOrder) {
    auto r = load_string("ports:\n"
                         "  - name: ext0\n"
                         "    device: eth0\n"
                         "    address: 10.0.0.0/24\n"
                         "  - name: ext0\n"
                         "    device: net_ring1\n"
                         "dataplane:\n"
                         "  burst: 1000\n"
                         "  idle_sleep: 2\n"
                         "bogus: 1\n");
    ASSERT_FALSE(r.ok());
    const std::string m = r.message();
    const std::string want[] = {
        "<string>:3:13: ports[0].device:",
        "<string>:4:14: ports[0].address:",
        "<string>:5:5: ports[1]: missing required key 'address'",
        "<string>:5:11: ports[1].name: duplicate port name 'ext0'",
        "<string>:8:10: dataplane.burst:",
        "<string>:9:15: dataplane.idle_sleep:",
        "<string>:10:1: top level: unknown key 'bogus'",
    };
    EXPECT_EQ(line_count(m), std::size(want)) << m;
    std::size_t pos = 0;
    for (const auto& w : want) {
        const std::size_t at = m.find(w);
        ASSERT_NE(at, std::string::npos) << "missing " << w << " in\n" << m;
        EXPECT_GE(at, pos) << w << " out of order in\n" << m;
        pos = at;
    }
}

TEST(LoadString, HostileInputDoesNotThrow) {
    const std::string deep(5000, '[');
    auto r = load_string(deep);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("YAML syntax error"), std::string::npos) << r.message();

    auto alias = load_string("ports: *nowhere\n");
    ASSERT_FALSE(alias.ok());
    EXPECT_EQ(alias.message().rfind("<string>:1:8: YAML syntax error", 0), 0u) << alias.message();

    auto binary = load_string(std::string("\0\1\2ports", 8));
    EXPECT_FALSE(binary.ok());
}

// ---- files -------------------------------------------------------------------------

TEST(LoadFile, MissingFileNamesFileAndErrno) {
    auto r = load_file("/nonexistent/vipgate.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message(), "/nonexistent/vipgate.yaml: cannot open: No such file or directory; "
                           "expected a readable YAML file");
}

TEST(LoadFile, DirectoryIsUnreadable) {
    auto r = load_file(VIPGATE_SOURCE_DIR);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("Is a directory"), std::string::npos) << r.message();
}

TEST(LoadFile, ErrorsCarryThePath) {
    char tmpl[] = "/tmp/vipgate-config-test-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    const std::string text = "ports:\n  - name: a\n    device: net_ring0\n    address: x\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    auto r = load_file(tmpl);
    std::remove(tmpl);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.message().rfind(std::string(tmpl) + ":4:14: ports[0].address: 'x'", 0), 0u)
        << r.message();
}

TEST(LoadFile, Demo) {
    const std::string path = source_path("conf/demo.yaml");
    auto r = load_file(path);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->source_file, path);
    ASSERT_EQ(r->ports.size(), 2u); // ext0 (clients, VRRP) and int0 (real servers)
    EXPECT_EQ(r->ports[0].name, "ext0");
    EXPECT_EQ(r->ports[0].device, "net_af_packet0,iface=vg-demo0");
    EXPECT_FALSE(r->ports[0].is_pci);
    EXPECT_EQ(r->ports[0].address, (net::ipv4_prefix{net::ipv4_addr(10, 99, 0, 1), 24}));
    EXPECT_EQ(r->dataplane.workers, 1u);
    EXPECT_TRUE(r->dataplane.idle_sleep);
}

TEST(LoadFile, ExampleLoadsWithDefaults) {
    auto r = load_file(source_path("conf/example.yaml"));
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->ports.size(), 2u);
    EXPECT_FALSE(r->ports[0].is_pci);
    EXPECT_TRUE(r->ports[1].is_pci);
    // example.yaml shows every default value: it must load to the defaults.
    const dataplane_config dp;
    EXPECT_EQ(r->dataplane.workers, dp.workers);
    EXPECT_EQ(r->dataplane.mbufs, dp.mbufs);
    EXPECT_EQ(r->dataplane.mbuf_cache, dp.mbuf_cache);
    EXPECT_EQ(r->dataplane.rx_descriptors, dp.rx_descriptors);
    EXPECT_EQ(r->dataplane.tx_descriptors, dp.tx_descriptors);
    EXPECT_EQ(r->dataplane.burst, dp.burst);
    EXPECT_EQ(r->dataplane.punt_ring_size, dp.punt_ring_size);
    EXPECT_EQ(r->dataplane.control_tx_ring_size, dp.control_tx_ring_size);
    EXPECT_EQ(r->dataplane.handoff_ring_size, dp.handoff_ring_size);
    EXPECT_EQ(r->dataplane.idle_sleep, dp.idle_sleep);
    EXPECT_EQ(r->dataplane.idle_sleep_us, dp.idle_sleep_us);
    EXPECT_EQ(r->dataplane.idle_polls, dp.idle_polls);
    const neighbour_config nb;
    EXPECT_EQ(r->neighbours.max_entries, nb.max_entries);
    EXPECT_EQ(r->neighbours.reachable_time_s, nb.reachable_time_s);
    EXPECT_EQ(r->neighbours.retry_interval_ms, nb.retry_interval_ms);
    EXPECT_EQ(r->neighbours.retries, nb.retries);
    // The VRRP part: two instances and a group, loaded without a remark.
    EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
    ASSERT_EQ(r->vrrp_instances.size(), 2u);
    EXPECT_EQ(r->vrrp_instances[0].vrrp.name, "VI_EXT");
    EXPECT_EQ(r->vrrp_instances[0].port, "ext0");
    EXPECT_EQ(r->vrrp_instances[1].vrrp.version, 3);
    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_EQ(r->vrrp_sync_groups[0].members.size(), 2u);
    for (const auto& vi : r->vrrp_instances) {
        auto n = vrrp::normalize(vi.vrrp);
        EXPECT_TRUE(n.ok()) << n.message();
    }
    // The load-balancing part: defaults shown, one service, a gateway and a
    // static neighbour.
    const load_balancing_config lbc;
    EXPECT_EQ(r->load_balancing.flows_per_worker, lbc.flows_per_worker);
    EXPECT_EQ(r->load_balancing.persistence_templates, lbc.persistence_templates);
    EXPECT_EQ(r->load_balancing.sloppy_tcp, lbc.sloppy_tcp);
    EXPECT_EQ(r->load_balancing.expire_budget, lbc.expire_budget);
    for (std::size_t i = 0; i < lb::flow_state_count; ++i) {
        const auto st = static_cast<lb::flow_state>(i);
        EXPECT_EQ(r->load_balancing.timeouts.for_state(st), lbc.timeouts.for_state(st))
            << lb::flow_state_name(st);
    }
    EXPECT_TRUE(r->ports[0].gateway.has_value());
    EXPECT_EQ(r->neighbours.static_entries.size(), 1u);
    ASSERT_EQ(r->virtual_servers.size(), 1u);
    const virtual_server_config& vs = r->virtual_servers[0];
    EXPECT_EQ(vs.name, "192.168.44.100:80/tcp");
    EXPECT_EQ(vs.service.scheduler, lb::scheduler_kind::wlc);
    EXPECT_EQ(vs.delay_loop, std::chrono::milliseconds{60000});
    ASSERT_EQ(vs.real_servers.size(), 2u);
    // The first real server spells out the defaults the second one gets.
    EXPECT_EQ(vs.real_servers[0].rs.port, vs.real_servers[1].rs.port);
    EXPECT_EQ(vs.real_servers[0].rs.weight, vs.real_servers[1].rs.weight);
    EXPECT_EQ(vs.real_servers[0].inhibit_on_failure, vs.real_servers[1].inhibit_on_failure);
    ASSERT_TRUE(vs.real_servers[0].check.has_value());
    const tcp_check_config tc;
    EXPECT_EQ(vs.real_servers[0].check->connect_timeout, tc.connect_timeout);
    EXPECT_EQ(vs.real_servers[0].check->retry, tc.retry);
    EXPECT_EQ(vs.real_servers[0].check->delay_before_retry, tc.delay_before_retry);
    EXPECT_EQ(vs.real_servers[0].check->delay_loop, tc.delay_loop);
}

// The documentation and the example cover the whole schema: a key added to a
// table without docs fails here.
TEST(Schema, DocsAndExampleMentionEveryKey) {
    const auto keys = schema_keys();
    ASSERT_GE(keys.size(), 20u);
    EXPECT_NE(std::find(keys.begin(), keys.end(), "dataplane.idle_polls"), keys.end());
    EXPECT_NE(std::find(keys.begin(), keys.end(), "ports[].address"), keys.end());
    const std::string docs = read_text(source_path("docs/config.md"));
    const std::string example = read_text(source_path("conf/example.yaml"));
    ASSERT_FALSE(docs.empty());
    ASSERT_FALSE(example.empty());
    for (const auto& k : keys) {
        EXPECT_NE(docs.find("`" + k + "`"), std::string::npos) << k << " not in docs/config.md";
        const std::string leaf =
            k.substr(k.find_last_of(".]") == std::string::npos ? 0 : k.find_last_of(".]") + 1);
        EXPECT_NE(example.find(leaf + ":"), std::string::npos) << k << " not in example.yaml";
    }
}

} // namespace
} // namespace vipgate::config
