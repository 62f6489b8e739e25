// track_interface in vrrp_instance / vrrp_sync_group (keepalived.conf(5);
// vrrp_track.c alloc_track_if, vrrp.c vrrp_complete_instance and
// sync_group_tracking_init) and its YAML twin `track_interface`: one case
// per form and per error, with FILE:LINE:COLUMN; and the rules of
// tracked_interfaces() (own port, repeats, the sync group's lines).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keepalived.hpp"

namespace vipgate::config {
namespace {

// Three ports: ext0, int0, mgmt0.
const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                               "  - {name: int0, device: net_ring1, address: 10.1.0.1/24}\n"
                               "  - {name: mgmt0, device: net_ring2, address: 10.2.0.1/24}\n";

config base() {
    auto r = load_string(ports_yaml);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : config{};
}

std::string write_conf(const std::string& text) {
    static int n = 0;
    const std::string path = ::testing::TempDir() + "/track_if_" + std::to_string(::getpid()) +
                             "_" + std::to_string(n++) + ".conf";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
}

std::string joined(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& x : w) {
        s += x + "\n";
    }
    return s;
}

// "F" in `want` stands for the file's path.
std::string with_path(std::string want, const std::string& path) {
    if (auto at = want.find("F:"); at == 0) {
        want.replace(0, 1, path);
    }
    return want;
}

// Lines 1-4 of VI_1 on ext0; a case adds lines from 5 and the closing brace.
const std::string vi_head = "vrrp_instance VI_1 {\n"
                            "    interface ext0\n"
                            "    virtual_router_id 1\n"
                            "    virtual_ipaddress { 10.0.0.9 }\n";

using refs = std::vector<std::tuple<std::string, int, bool>>; // port, weight, reverse

refs of(const std::vector<track_interface_ref>& v) {
    refs out;
    for (const auto& t : v) {
        out.emplace_back(t.port, t.weight, t.reverse);
    }
    return out;
}

// ---- keepalived.conf: the forms --------------------------------------------------------

struct form_case {
    const char* name;
    std::string body; // from line 5 of VI_1
    refs want;
    std::string warning; // "" = no warning at all
};

const form_case keepalived_forms[] = {
    {"bare", "    track_interface {\n        int0\n    }\n", {{"int0", 0, false}}, ""},
    {"weight", "    track_interface {\n        int0 weight 20\n    }\n", {{"int0", 20, false}}, ""},
    {"negative_weight",
     "    track_interface {\n        int0 weight -30\n    }\n",
     {{"int0", -30, false}},
     ""},
    {"plus_sign",
     "    track_interface {\n        int0 weight +5\n    }\n",
     {{"int0", 5, false}},
     ""},
    {"reverse",
     "    track_interface {\n        int0 weight -10 reverse\n    }\n",
     {{"int0", -10, true}},
     ""},
    {"weight_0_reverse",
     "    track_interface {\n        int0 weight 0 reverse\n    }\n",
     {{"int0", 0, true}},
     ""},
    {"several",
     "    track_interface {\n        int0 weight 10\n        mgmt0\n    }\n",
     {{"int0", 10, false}, {"mgmt0", 0, false}},
     ""},
    {"weight_254",
     "    track_interface {\n        int0 weight 254\n    }\n",
     {{"int0", 253, false}},
     "F:6:21: vrrp_instance VI_1: track_interface int0: weight cannot be +/-254; 253 is used, as "
     "keepalived does"},
    {"weight_minus_254",
     "    track_interface {\n        int0 weight -254\n    }\n",
     {{"int0", -253, false}},
     "253 is used"},
    {"extra_words",
     "    track_interface {\n        int0 weight 1 reverse now\n    }\n",
     {{"int0", 1, true}},
     "F:6:31: vrrp_instance VI_1: track_interface int0: extra arguments ignored"},
};

class TrackInterfaceKeepalived : public ::testing::TestWithParam<form_case> {};

TEST_P(TrackInterfaceKeepalived, Form) {
    const auto& c = GetParam();
    const std::string path = write_conf(vi_head + c.body + "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->vrrp_instances.size(), 1u);
    EXPECT_EQ(of(r->vrrp_instances[0].track_interfaces), c.want);
    if (c.warning.empty()) {
        EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    } else {
        const std::string want = with_path(c.warning, path);
        bool found = false;
        for (const auto& w : r->warnings) {
            found = found || w.find(want) != std::string::npos;
        }
        EXPECT_TRUE(found) << want << "\n" << joined(r->warnings);
    }
}

INSTANTIATE_TEST_SUITE_P(EachForm, TrackInterfaceKeepalived, ::testing::ValuesIn(keepalived_forms),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(TrackInterfaceKeepalived, LineAndColumnOfEachName) {
    const std::string path = write_conf(
        vi_head + "    track_interface {\n        int0\n        mgmt0 weight 3\n    }\n}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    const auto& t = r->vrrp_instances[0].track_interfaces;
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].where.to_string(), path + ":6:9");
    EXPECT_EQ(t[1].where.to_string(), path + ":7:9");
}

TEST(TrackInterfaceKeepalived, SyncGroupLines) {
    const std::string path = write_conf(vi_head + "}\n"
                                                  "vrrp_instance VI_2 {\n"
                                                  "    interface int0\n"
                                                  "    virtual_router_id 2\n"
                                                  "    virtual_ipaddress { 10.1.0.9 }\n"
                                                  "}\n"
                                                  "vrrp_sync_group G {\n"
                                                  "    group { VI_1 VI_2 }\n"
                                                  "    track_interface {\n"
                                                  "        mgmt0 weight -50\n"
                                                  "    }\n"
                                                  "}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
    EXPECT_EQ(of(r->vrrp_sync_groups[0].track_interfaces), (refs{{"mgmt0", -50, false}}));
    EXPECT_EQ(r->vrrp_sync_groups[0].track_interfaces[0].where.to_string(), path + ":14:9");
    EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
}

// ---- keepalived.conf: the errors ----------------------------------------------------------

struct error_case {
    const char* name;
    std::string conf;
    std::string want; // "F" stands for the file's path
};

const error_case keepalived_errors[] = {
    {"unknown_port", vi_head + "    track_interface {\n        eth7\n    }\n}\n",
     "F:6:9: vrrp_instance VI_1: track_interface: no port named 'eth7'; expected one of the ports "
     "ext0, int0, mgmt0"},
    {"unknown_port_in_group",
     vi_head + "}\nvrrp_sync_group G {\n    group { VI_1 }\n    track_interface {\n"
               "        eth7 weight 2\n    }\n}\n",
     "F:9:9: vrrp_sync_group G: track_interface: no port named 'eth7'"},
    {"not_weight", vi_head + "    track_interface {\n        int0 wait 3\n    }\n}\n",
     "F:6:14: vrrp_instance VI_1: track_interface int0: 'wait' is not an option; expected weight N "
     "[reverse], or nothing"},
    {"weight_no_value", vi_head + "    track_interface {\n        int0 weight\n    }\n}\n",
     "F:6:14: vrrp_instance VI_1: track_interface int0: weight has no value; expected an integer "
     "-254..254"},
    {"weight_255", vi_head + "    track_interface {\n        int0 weight 255\n    }\n}\n",
     "F:6:21: vrrp_instance VI_1: track_interface int0: weight '255' is out of range; expected an "
     "integer -254..254"},
    {"weight_word", vi_head + "    track_interface {\n        int0 weight heavy\n    }\n}\n",
     "F:6:21: vrrp_instance VI_1: track_interface int0: weight 'heavy' is not an integer"},
    {"reverse_typo", vi_head + "    track_interface {\n        int0 weight 5 revers\n    }\n}\n",
     "F:6:23: vrrp_instance VI_1: track_interface int0: 'revers' after the weight; expected "
     "reverse, or nothing"},
    {"no_block", vi_head + "    track_interface int0\n}\n",
     "F:5:5: vrrp_instance VI_1: track_interface has no { ... } block"},
    {"line_with_block", vi_head + "    track_interface {\n        int0 { x }\n    }\n}\n",
     "F:6:14: vrrp_instance VI_1: track_interface: 'int0' takes no block"},
};

class TrackInterfaceKeepalivedError : public ::testing::TestWithParam<error_case> {};

TEST_P(TrackInterfaceKeepalivedError, NamesFileLineAndWhatWasExpected) {
    const auto& c = GetParam();
    const std::string path = write_conf(c.conf);
    auto r = import_keepalived(path, base());
    ASSERT_FALSE(r.ok());
    const std::string want = with_path(c.want, path);
    EXPECT_NE(r.message().find(want), std::string::npos) << want << "\n--- got:\n" << r.message();
}

INSTANTIATE_TEST_SUITE_P(EachError, TrackInterfaceKeepalivedError,
                         ::testing::ValuesIn(keepalived_errors),
                         [](const auto& p) { return std::string(p.param.name); });

// ---- YAML ---------------------------------------------------------------------------------

// Lines 1-4 ports, 5-9 VI_1 on ext0; a case adds VI_1's keys from line 10.
const std::string yaml_head = ports_yaml + "vrrp_instances:\n"
                                           "  - name: VI_1\n"
                                           "    port: ext0\n"
                                           "    virtual_router_id: 1\n"
                                           "    virtual_ipaddress: [10.0.0.9]\n";

const form_case yaml_forms[] = {
    {"names",
     "    track_interface: [int0, mgmt0]\n",
     {{"int0", 0, false}, {"mgmt0", 0, false}},
     ""},
    {"map",
     "    track_interface:\n      - {port: int0, weight: -20}\n",
     {{"int0", -20, false}},
     ""},
    {"map_reverse",
     "    track_interface:\n      - {port: int0, weight: 15, reverse: true}\n",
     {{"int0", 15, true}},
     ""},
    {"map_port_only", "    track_interface:\n      - port: int0\n", {{"int0", 0, false}}, ""},
    {"mixed",
     "    track_interface:\n      - mgmt0\n      - {port: int0, weight: 7}\n",
     {{"mgmt0", 0, false}, {"int0", 7, false}},
     ""},
    {"empty", "    track_interface: []\n", {}, ""},
    {"weight_254",
     "    track_interface:\n      - {port: int0, weight: -254}\n",
     {{"int0", -253, false}},
     "<string>:11:30: vrrp_instances[0].track_interface[0].weight: cannot be +/-254; -253 is "
     "used, as keepalived does"},
};

class TrackInterfaceYaml : public ::testing::TestWithParam<form_case> {};

TEST_P(TrackInterfaceYaml, Form) {
    const auto& c = GetParam();
    auto r = load_string(yaml_head + c.body);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(of(r->vrrp_instances[0].track_interfaces), c.want);
    if (c.warning.empty()) {
        EXPECT_TRUE(r->warnings.empty()) << joined(r->warnings);
    } else {
        bool found = false;
        for (const auto& w : r->warnings) {
            found = found || w.find(c.warning) != std::string::npos;
        }
        EXPECT_TRUE(found) << c.warning << "\n" << joined(r->warnings);
    }
}

INSTANTIATE_TEST_SUITE_P(EachForm, TrackInterfaceYaml, ::testing::ValuesIn(yaml_forms),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(TrackInterfaceYaml, SyncGroup) {
    auto r = load_string(yaml_head + "vrrp_sync_groups:\n"
                                     "  - name: G\n"
                                     "    group: [VI_1]\n"
                                     "    track_interface: [{port: mgmt0, weight: 30}]\n");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(of(r->vrrp_sync_groups[0].track_interfaces), (refs{{"mgmt0", 30, false}}));
    EXPECT_EQ(r->vrrp_sync_groups[0].track_interfaces[0].where.to_string(), "<string>:13:30");
}

const error_case yaml_errors[] = {
    {"unknown_port", "    track_interface: [eth7]\n",
     "<string>:10:23: vrrp_instances[0]: track_interface: no port named 'eth7'; expected one of "
     "the ports ext0, int0, mgmt0"},
    {"unknown_port_map", "    track_interface: [{port: eth7, weight: 1}]\n",
     "<string>:10:30: vrrp_instances[0]: track_interface: no port named 'eth7'"},
    {"not_a_sequence", "    track_interface: int0\n",
     "<string>:10:22: vrrp_instances[0].track_interface: got 'int0'; expected a sequence of port "
     "names"},
    {"weight_range", "    track_interface: [{port: int0, weight: 300}]\n",
     "<string>:10:44: vrrp_instances[0].track_interface[0].weight: '300' is out of range; "
     "expected an integer -254..254"},
    {"weight_word", "    track_interface: [{port: int0, weight: lots}]\n",
     "vrrp_instances[0].track_interface[0].weight: 'lots' is not an integer"},
    {"reverse_not_bool", "    track_interface: [{port: int0, reverse: maybe}]\n",
     "vrrp_instances[0].track_interface[0].reverse:"},
    {"missing_port", "    track_interface: [{weight: 3}]\n",
     "vrrp_instances[0].track_interface[0]: missing required key 'port'"},
    {"unknown_key", "    track_interface: [{port: int0, wieght: 3}]\n",
     "vrrp_instances[0].track_interface[0]"},
};

class TrackInterfaceYamlError : public ::testing::TestWithParam<error_case> {};

TEST_P(TrackInterfaceYamlError, NamesLineAndWhatWasExpected) {
    const auto& c = GetParam();
    auto r = load_string(yaml_head + c.conf);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(c.want), std::string::npos) << c.want << "\n--- got:\n"
                                                           << r.message();
}

INSTANTIATE_TEST_SUITE_P(EachError, TrackInterfaceYamlError, ::testing::ValuesIn(yaml_errors),
                         [](const auto& p) { return std::string(p.param.name); });

// ---- tracked_interfaces(): keepalived's rules ------------------------------------------

vrrp_instance_config instance(const std::string& port, std::vector<track_interface_ref> t,
                              std::optional<std::uint8_t> priority = std::nullopt) {
    vrrp_instance_config vi;
    vi.port = port;
    vi.vrrp.name = "VI_1";
    vi.vrrp.priority = priority;
    vi.track_interfaces = std::move(t);
    return vi;
}

TEST(TrackedInterfaces, Rules) {
    using tl = std::vector<track_interface_ref>;
    struct row {
        const char* name;
        tl own;
        std::optional<tl> group; // a sync group with these lines
        bool owner;              // a member of the group is an address owner
        refs want;
        std::size_t notes;
    };
    const row rows[] = {
        {"plain", {{"int0", 0, false, {}}}, std::nullopt, false, {{"int0", 0, false}}, 0},
        {"own_port_ignored",
         {{"ext0", 10, false, {}}, {"int0", -5, false, {}}},
         std::nullopt,
         false,
         {{"int0", -5, false}},
         1},
        {"repeat_ignored_first_counts",
         {{"int0", 10, false, {}}, {"int0", -5, true, {}}},
         std::nullopt,
         false,
         {{"int0", 10, false}},
         1},
        {"group_lines_added",
         {{"int0", 0, false, {}}},
         tl{{"mgmt0", -20, false, {}}},
         false,
         {{"int0", 0, false}, {"mgmt0", -20, false}},
         0},
        {"group_weight_replaces_weighted",
         {{"int0", 10, false, {}}},
         tl{{"int0", -20, true, {}}},
         false,
         {{"int0", -20, true}},
         1},
        {"unweighted_instance_line_stays",
         {{"int0", 0, false, {}}},
         tl{{"int0", -20, false, {}}},
         false,
         {{"int0", 0, false}},
         1},
        {"group_owner_clears_weight",
         {},
         tl{{"mgmt0", 40, false, {}}},
         true,
         {{"mgmt0", 0, false}},
         1},
        {"group_line_on_own_port", {}, tl{{"ext0", 0, false, {}}}, false, {}, 1},
    };
    for (const auto& r : rows) {
        const auto vi = instance("ext0", r.own);
        vrrp_sync_group_config g;
        g.name = "G";
        g.members = {"VI_1"};
        if (r.group) {
            g.track_interfaces = *r.group;
        }
        std::vector<track_note> notes;
        EXPECT_EQ(of(tracked_interfaces(vi, r.group ? &g : nullptr, r.owner, &notes)), r.want)
            << r.name;
        EXPECT_EQ(notes.size(), r.notes) << r.name;
    }
}

TEST(TrackedInterfaces, AddressOwner) {
    EXPECT_TRUE(address_owner(instance("ext0", {}, 255)));
    EXPECT_FALSE(address_owner(instance("ext0", {}, 254)));
    EXPECT_FALSE(address_owner(instance("ext0", {})));
    auto master = instance("ext0", {});
    master.vrrp.initial_state = vrrp::state_hint::master;
    EXPECT_TRUE(address_owner(master)); // state MASTER without a priority: 255
}

// Own port and repeats are warnings naming the line.
TEST(TrackInterfaceKeepalived, OwnPortAndRepeatAreWarnings) {
    const std::string path = write_conf(vi_head + "    track_interface {\n"
                                                  "        ext0 weight 10\n"
                                                  "        int0\n"
                                                  "        int0 weight 3\n"
                                                  "    }\n}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    // The loader keeps the lines as written; tracked_interfaces() drops them.
    EXPECT_EQ(r->vrrp_instances[0].track_interfaces.size(), 3u);
    const std::string w = joined(r->warnings);
    EXPECT_NE(w.find(path + ":6:9: vrrp_instance VI_1: track_interface ext0 is the instance's own "
                            "port, whose link it follows already; ignored"),
              std::string::npos)
        << w;
    EXPECT_NE(w.find(path + ":8:9: vrrp_instance VI_1: duplicate track_interface int0 (first at " +
                     path + ":7:9); ignored"),
              std::string::npos)
        << w;
}

} // namespace
} // namespace vipgate::config
