// track_file / vrrp_track_file blocks and track_file lines in vrrp_instance
// and vrrp_sync_group (keepalived.conf(5), "track_file"; 2.2.7
// trackers/track_file.c), and the YAML `track_file` key: each form, each
// error with FILE:LINE:COLUMN.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "config/config.hpp"
#include "config/keepalived.hpp"

namespace vipgate::config {
namespace {

const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n";

config base() {
    auto r = load_string(ports_yaml);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : config{};
}

std::string write_conf(const std::string& text) {
    static int n = 0;
    const std::string path = ::testing::TempDir() + "/track_file_cfg_" +
                             std::to_string(::getpid()) + "_" + std::to_string(n++) + ".conf";
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

// "F" at the start of `want` stands for the file's path.
std::string with_path(std::string want, const std::string& path) {
    if (want.rfind("F:", 0) == 0) {
        want.replace(0, 1, path);
    }
    return want;
}

// Lines 1-5: the block `tf`; 6-9: VI_1's head; a case adds from line 10.
const std::string tf_block = "track_file tf {\n"
                             "    file /run/vg/tf\n"
                             "    weight 3 reverse\n"
                             "    init_file 7 overwrite\n"
                             "}\n";
const std::string vi_head = "vrrp_instance VI_1 {\n"
                            "    interface ext0\n"
                            "    virtual_router_id 1\n"
                            "    virtual_ipaddress { 10.0.0.9 }\n";

using refs = std::vector<std::tuple<std::string, std::string, int, bool>>; // name, path, w, rev

refs of(const std::vector<track_file_ref>& v) {
    refs out;
    for (const auto& t : v) {
        out.emplace_back(t.name, t.path, t.weight, t.reverse);
    }
    return out;
}

TEST(TrackFileKeepalived, Block) {
    const std::string path = write_conf(tf_block + "vrrp_track_file old {\n    file /x\n}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->track_files.size(), 2u);
    const auto& f = r->track_files[0];
    EXPECT_EQ(f.name, "tf");
    EXPECT_EQ(f.path, "/run/vg/tf");
    EXPECT_EQ(f.weight, 3);
    EXPECT_TRUE(f.weight_reverse);
    EXPECT_EQ(f.init_value, 7);
    EXPECT_TRUE(f.init_overwrite);
    EXPECT_EQ(f.where.to_string(), path + ":1:1");
    const auto& g = r->track_files[1]; // defaults
    EXPECT_EQ(g.name, "old");
    EXPECT_EQ(g.weight, 1);
    EXPECT_FALSE(g.weight_reverse);
    EXPECT_FALSE(g.init_value.has_value());
}

struct form_case {
    const char* name;
    std::string lines; // inside track_file { }, from line 11
    refs want;
};

const form_case forms[] = {
    {"block_defaults", "        tf\n", {{"tf", "/run/vg/tf", 3, true}}},
    {"line_weight_keeps_block_reverse", "        tf weight -2\n", {{"tf", "/run/vg/tf", -2, true}}},
    {"noreverse", "        tf weight 2 noreverse\n", {{"tf", "/run/vg/tf", 2, false}}},
    {"weight_254", "        tf weight -254 reverse\n", {{"tf", "/run/vg/tf", -254, true}}},
    {"weight_0", "        tf weight 0\n", {{"tf", "/run/vg/tf", 0, true}}},
};

TEST(TrackFileKeepalived, LineForms) {
    for (const auto& c : forms) {
        const std::string path =
            write_conf(tf_block + vi_head + "    track_file {\n" + c.lines + "    }\n}\n");
        auto r = import_keepalived(path, base());
        ASSERT_TRUE(r.ok()) << c.name << ": " << r.message();
        EXPECT_EQ(of(r->vrrp_instances[0].track_files), c.want) << c.name;
        EXPECT_EQ(r->vrrp_instances[0].track_files[0].where.to_string(), path + ":11:9") << c.name;
    }
}

TEST(TrackFileKeepalived, SyncGroupLineAndRepeat) {
    const std::string path = write_conf(tf_block + vi_head +
                                        "    track_file {\n        tf\n        tf weight 9\n"
                                        "    }\n}\n"
                                        "vrrp_sync_group G {\n    group { VI_1 }\n"
                                        "    track_file {\n        tf weight -1\n    }\n}\n");
    auto r = import_keepalived(path, base());
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(of(r->vrrp_instances[0].track_files), (refs{{"tf", "/run/vg/tf", 3, true}}));
    EXPECT_EQ(of(r->vrrp_sync_groups[0].track_files), (refs{{"tf", "/run/vg/tf", -1, true}}));
    const std::string w = joined(r->warnings);
    EXPECT_NE(w.find(path + ":12:9: vrrp_instance VI_1: duplicate track_file tf (first at " + path +
                     ":11:9); ignored"),
              std::string::npos)
        << w;
    // VI_1's own weighted line (weight 3) is not tracked: it is in a group.
    EXPECT_NE(w.find(path + ":11:9: vrrp_instance VI_1: track_file tf: weighted; not tracked"),
              std::string::npos)
        << w;
}

struct error_case {
    const char* name;
    std::string conf;
    std::string want; // "F" stands for the file's path
};

const error_case errors[] = {
    {"no_file", "track_file tf {\n    weight 2\n}\n",
     "F:1:1: track_file tf: no file; expected file /path/to/file"},
    {"two_files", "track_file tf {\n    file /a\n    file /b\n}\n",
     "F:3:10: track_file tf: file: a second file"},
    {"duplicate_block", tf_block + "track_file tf {\n    file /b\n}\n",
     "F:6:12: track_file tf: a second track_file of that name (the first is at F:1:1)"},
    {"block_weight_255", "track_file tf {\n    file /a\n    weight 255\n}\n",
     "F:3:12: track_file tf: weight: weight '255' is out of range; expected an integer -254..254"},
    {"block_weight_word", "track_file tf {\n    file /a\n    weight 2 upside\n}\n",
     "F:3:14: track_file tf: weight: 'upside' after the weight; expected reverse, or nothing"},
    {"init_bad", "track_file tf {\n    file /a\n    init_file lots\n}\n",
     "F:3:15: track_file tf: init_file: weight 'lots'"},
    {"unknown_name", vi_head + "    track_file {\n        nope\n    }\n}\n",
     "F:6:9: vrrp_instance VI_1: track_file 'nope' is not defined; expected the name of a "
     "track_file block"},
    {"not_weight", tf_block + vi_head + "    track_file {\n        tf wait 3\n    }\n}\n",
     "F:11:12: vrrp_instance VI_1: track_file tf: 'wait' is not an option"},
    {"weight_no_value", tf_block + vi_head + "    track_file {\n        tf weight\n    }\n}\n",
     "F:11:12: vrrp_instance VI_1: track_file tf: weight has no value"},
    {"bad_reverse", tf_block + vi_head + "    track_file {\n        tf weight 1 up\n    }\n}\n",
     "F:11:21: vrrp_instance VI_1: track_file tf: 'up' after the weight; expected reverse, "
     "noreverse, or nothing"},
    {"unknown_in_group",
     vi_head + "}\nvrrp_sync_group G {\n    group { VI_1 }\n    track_file {\n        x\n"
               "    }\n}\n",
     "F:9:9: vrrp_sync_group G: track_file 'x' is not defined"},
};

TEST(TrackFileKeepalived, Errors) {
    for (const auto& c : errors) {
        const std::string path = write_conf(c.conf);
        auto r = import_keepalived(path, base());
        ASSERT_FALSE(r.ok()) << c.name;
        const std::string want = with_path(with_path(c.want, path), path);
        std::string msg = r.message();
        // "(the first is at F:1:1)": the path inside the text too.
        std::string want_full = want;
        for (auto at = want_full.find("at F:"); at != std::string::npos;
             at = want_full.find("at F:")) {
            want_full.replace(at + 3, 1, path);
        }
        EXPECT_NE(msg.find(want_full), std::string::npos)
            << c.name << "\nwant " << want_full << "\ngot  " << msg;
    }
}

// ---- YAML --------------------------------------------------------------------------

const std::string yaml_head = ports_yaml + "vrrp_instances:\n"
                                           "  - name: VI_1\n"
                                           "    port: ext0\n"
                                           "    virtual_router_id: 1\n"
                                           "    virtual_ipaddress: [10.0.0.9]\n";

TEST(TrackFileYaml, Forms) {
    auto r = load_string(yaml_head + "    track_file:\n"
                                     "      - {file: /run/a}\n"
                                     "      - {file: /run/b, weight: -254, reverse: true}\n"
                                     "      - {file: /run/c, weight: 0}\n"
                                     "vrrp_sync_groups:\n"
                                     "  - {name: G, group: [VI_1], sync_group_tracking_weight: "
                                     "true, track_file: [{file: /run/d, weight: 4}]}\n",
                         "t.yaml");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(of(r->vrrp_instances[0].track_files), (refs{{"/run/a", "/run/a", 1, false},
                                                          {"/run/b", "/run/b", -254, true},
                                                          {"/run/c", "/run/c", 0, false}}));
    EXPECT_EQ(r->vrrp_instances[0].track_files[1].where.to_string(), "t.yaml:10:9");
    EXPECT_EQ(of(r->vrrp_sync_groups[0].track_files), (refs{{"/run/d", "/run/d", 4, false}}));
    // Only the sync group of one is remarked on.
    EXPECT_EQ(r->warnings.size(), 1u) << joined(r->warnings);
}

TEST(TrackFileYaml, Errors) {
    struct row {
        const char* name;
        std::string items;
        std::string want;
    };
    const row rows[] = {
        {"no_file", "      - {weight: 2}\n", "t.yaml:9:9:"},
        {"relative", "      - {file: run/a}\n",
         "t.yaml:9:16: vrrp_instances[0].track_file[0].file"},
        {"weight_255", "      - {file: /a, weight: 255}\n",
         "t.yaml:9:28: vrrp_instances[0].track_file[0].weight"},
        {"not_a_map", "      - /run/a\n", "t.yaml:9:9:"},
        {"unknown_key", "      - {file: /a, wait: 1}\n", "t.yaml:9:20:"},
    };
    for (const auto& r : rows) {
        auto c = load_string(yaml_head + "    track_file:\n" + r.items, "t.yaml");
        ASSERT_FALSE(c.ok()) << r.name;
        EXPECT_NE(c.message().find(r.want), std::string::npos) << r.name << ": " << c.message();
    }
}

TEST(TrackFileYaml, RepeatedPathIsAWarning) {
    auto r = load_string(yaml_head + "    track_file:\n"
                                     "      - {file: /run/a}\n"
                                     "      - {file: /run/a, weight: 3}\n",
                         "t.yaml");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->vrrp_instances[0].track_files.size(), 1u);
    EXPECT_NE(joined(r->warnings).find("t.yaml:10:9: vrrp_instances[0].track_file[1]"),
              std::string::npos)
        << joined(r->warnings);
}

} // namespace
} // namespace vipgate::config
