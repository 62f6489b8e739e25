// keepalived 2.2.7's one rule for tracking weights and sync groups
// (vrrp.c vrrp_complete_instance() and sync_group_tracking_init();
// keepalived.conf(5) vrrp_sync_group): config::sync_track_weight(), table
// driven, and the sync_group_tracking_weight / global_tracking keywords.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keepalived.hpp"

namespace vipgate::config {
namespace {

TEST(SyncTrackWeight, Rule) {
    using k = track_kind;
    struct row {
        const char* name;
        track_kind kind;
        track_context c;
        int weight;
        bool tracked;
        int want;
        bool note;
    };
    const track_context alone{};
    const track_context member{.in_group = true};
    const track_context member_tw{.in_group = true, .tracking_weight = true};
    const track_context owner{.owner = true};
    const track_context grp{.of_group = true, .in_group = true};
    const track_context grp_owner{.of_group = true, .in_group = true, .group_has_owner = true};
    const track_context grp_tw_owner{
        .of_group = true, .in_group = true, .tracking_weight = true, .group_has_owner = true};
    const row rows[] = {
        // An instance outside any group keeps everything.
        {"alone_script", k::script, alone, -20, true, -20, false},
        {"alone_file", k::file, alone, 5, true, 5, false},
        {"alone_interface", k::interface, alone, 10, true, 10, false},
        // Unweighted lines never change.
        {"member_unweighted_script", k::script, member, 0, true, 0, false},
        {"member_unweighted_file", k::file, member, 0, true, 0, false},
        // A member's own weighted lines without sync_group_tracking_weight.
        {"member_script_dropped", k::script, member, -20, false, -20, true},
        {"member_file_default_weight_zeroed", k::file, member, 1, true, 0, true},
        {"member_file_weight_dropped", k::file, member, 3, false, 3, true},
        {"member_file_negative_dropped", k::file, member, -1, false, -1, true},
        {"member_interface_keeps_weight", k::interface, member, -20, true, -20, false},
        // ... with sync_group_tracking_weight: kept.
        {"member_tw_script", k::script, member_tw, -20, true, -20, false},
        {"member_tw_file", k::file, member_tw, 3, true, 3, false},
        // An address owner outside a group: as a member without the option.
        {"owner_script_dropped", k::script, owner, 10, false, 10, true},
        {"owner_file_default", k::file, owner, 1, true, 0, true},
        // The group's own lines: the group's weight for every member ...
        {"group_script", k::script, grp, -30, true, -30, false},
        {"group_interface", k::interface, grp, -30, true, -30, false},
        {"group_file", k::file, grp, 2, true, 2, false},
        // ... cleared when a member is an address owner, option or not.
        {"group_owner_script", k::script, grp_owner, -30, true, 0, true},
        {"group_owner_interface", k::interface, grp_owner, 10, true, 0, true},
        {"group_owner_file", k::file, grp_owner, 2, true, 0, true},
        {"group_tw_owner_file", k::file, grp_tw_owner, 2, true, 0, true},
        {"group_owner_unweighted", k::script, grp_owner, 0, true, 0, false},
    };
    for (const auto& r : rows) {
        const auto w = sync_track_weight(r.kind, r.c, r.weight);
        EXPECT_EQ(w.tracked, r.tracked) << r.name;
        if (w.tracked) {
            EXPECT_EQ(w.weight, r.want) << r.name;
        }
        EXPECT_EQ(!w.note.empty(), r.note) << r.name << ": " << w.note;
    }
}

std::string write_conf(const std::string& text) {
    static int n = 0;
    const std::string path = ::testing::TempDir() + "/track_weight_" + std::to_string(::getpid()) +
                             "_" + std::to_string(n++) + ".conf";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
}

config base() {
    auto r = load_string("ports:\n"
                         "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n");
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : config{};
}

const std::string two_instances = "vrrp_instance A {\n"
                                  "    interface ext0\n"
                                  "    virtual_router_id 1\n"
                                  "    virtual_ipaddress { 10.0.0.9 }\n"
                                  "}\n"
                                  "vrrp_instance B {\n"
                                  "    interface ext0\n"
                                  "    virtual_router_id 2\n"
                                  "    priority 255\n"
                                  "    virtual_ipaddress { 10.0.0.10 }\n"
                                  "}\n";

TEST(SyncTrackWeight, Keywords) {
    struct row {
        const char* name;
        std::string group_body;
        bool want;
        std::string warning; // "" = none expected
    };
    const row rows[] = {
        {"absent", "", false, ""},
        {"sync_group_tracking_weight", "    sync_group_tracking_weight\n", true, ""},
        {"global_tracking", "    global_tracking\n", true,
         ":14:5: vrrp_sync_group G: "
         "global_tracking is deprecated"},
    };
    for (const auto& r : rows) {
        const std::string path = write_conf(two_instances +
                                            "vrrp_sync_group G {\n"
                                            "    group { A B }\n" +
                                            r.group_body + "}\n");
        auto c = import_keepalived(path, base());
        ASSERT_TRUE(c.ok()) << r.name << ": " << c.message();
        ASSERT_EQ(c->vrrp_sync_groups.size(), 1u);
        EXPECT_EQ(c->vrrp_sync_groups[0].tracking_weight, r.want) << r.name;
        std::string all;
        for (const auto& w : c->warnings) {
            all += w + "\n";
        }
        if (!r.warning.empty()) {
            EXPECT_NE(all.find(path + r.warning), std::string::npos) << r.name << ": " << all;
        }
        // B is an address owner: track_context_of() says so for A's group lines.
        const auto ctx = track_context_of(*c, c->vrrp_instances[0], true);
        EXPECT_TRUE(ctx.in_group && ctx.group_has_owner && !ctx.owner) << r.name;
        EXPECT_EQ(ctx.tracking_weight, r.want) << r.name;
    }
}

TEST(SyncTrackWeight, Yaml) {
    auto ok = load_string(
        "ports:\n"
        "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
        "vrrp_instances:\n"
        "  - {name: A, port: ext0, virtual_router_id: 1, virtual_ipaddress: [10.0.0.9]}\n"
        "vrrp_sync_groups:\n"
        "  - {name: G, group: [A], sync_group_tracking_weight: true}\n");
    ASSERT_TRUE(ok.ok()) << ok.message();
    EXPECT_TRUE(ok->vrrp_sync_groups[0].tracking_weight);
    auto bad = load_string(
        "ports:\n"
        "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
        "vrrp_instances:\n"
        "  - {name: A, port: ext0, virtual_router_id: 1, virtual_ipaddress: [10.0.0.9]}\n"
        "vrrp_sync_groups:\n"
        "  - {name: G, group: [A], sync_group_tracking_weight: maybe}\n",
        "t.yaml");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.message().find("t.yaml:6:"), std::string::npos) << bad.message();
}

} // namespace
} // namespace vipgate::config
