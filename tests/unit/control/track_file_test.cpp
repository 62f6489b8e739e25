// track_file on the control core (keepalived.conf(5), "track_file"; 2.2.7
// trackers/track_file.c): the test writes the tracked file and lets the
// control plane poll it (vrrp_manager::poll_files, every track_file_poll);
// and keepalived's rule for sync groups' tracking weights
// (config::sync_track_weight) with track_script and track_file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keepalived.hpp"
#include "control/control_plane.hpp"
#include "exec/runner.hpp"
#include "fake_shell.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;

// Every run ends at the next poll with exit status `code`.
class instant_runner final : public exec::runner {
  public:
    int code = 0;
    result<exec::handle> start(const exec::command&, usec) override {
        live_.push_back(next_);
        return next_++;
    }
    void poll(usec now, std::vector<exec::finished>& out) override {
        for (auto h : live_) {
            out.push_back({h, {exec::end_kind::exited, code}, now});
        }
        live_.clear();
    }
    std::size_t running() const override { return live_.size(); }

  private:
    exec::handle next_ = 1;
    std::vector<exec::handle> live_;
};

const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_null0, address: 10.0.0.2/24}\n"
                               "  - {name: int0, device: net_null1, address: 10.1.0.2/24}\n";

std::string temp(const std::string& tag) {
    static int n = 0;
    return ::testing::TempDir() + "/track_file_ctl_" + std::to_string(::getpid()) + "_" + tag +
           std::to_string(n++);
}

void put(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

struct node {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    instant_runner* runner = nullptr;
    std::unique_ptr<control_plane> cp;
    usec t{1000s};

    explicit node(const std::string& conf) {
        cfg = load(conf);
        sh = std::make_unique<fake_shell>(cfg, 1, false);
        cp = std::make_unique<control_plane>(cfg, *sh, [this] { return t; });
        auto r = std::make_unique<instant_runner>();
        runner = r.get();
        cp->use_runner(std::move(r));
        auto in = cp->init();
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    static config::config load(const std::string& conf) {
        auto base = config::load_string(ports_yaml);
        EXPECT_TRUE(base.ok()) << (base.ok() ? "" : base.message());
        const std::string path = temp("conf") + ".conf";
        put(path, conf);
        auto c = config::import_keepalived(path, base.value());
        if (!c.ok()) {
            ADD_FAILURE() << c.message();
            std::abort();
        }
        return c.value();
    }
    void run(usec d) {
        const usec end = t + d;
        while (t < end) {
            t += 10ms;
            cp->run_once(usec{0});
        }
    }
    std::string state(const std::string& name = "VI_1") {
        return cp->report_vrrp(name)[0]["state"].get<std::string>();
    }
    int priority(const std::string& name = "VI_1") {
        return cp->vrrp()->report(usec{0}, *sh, name)[0].effective_priority;
    }
};

std::string instance(const std::string& extra, int priority = 100, const std::string& name = "VI_1",
                     const std::string& port = "ext0", int vrid = 51) {
    return "vrrp_instance " + name + " {\n    interface " + port + "\n    virtual_router_id " +
           std::to_string(vrid) + "\n    priority " + std::to_string(priority) +
           "\n    advert_int 1\n    virtual_ipaddress { " +
           (port == "ext0" ? "10.0.0.100" : "10.1.0.100") + " }\n" + extra + "}\n";
}

std::string file_block(const std::string& path, const std::string& extra = "") {
    return "track_file tf {\n    file " + path + "\n" + extra + "}\n";
}

std::string tracks(const std::string& lines) {
    return "    track_file {\n" + lines + "    }\n";
}

TEST(TrackFile, WeightZeroNonZeroIsFaultAndBack) {
    const auto p = temp("w0");
    put(p, "0\n");
    node a(file_block(p, "    weight 0\n") + instance(tracks("        tf\n")));
    a.run(4s);
    ASSERT_EQ(a.state(), "MASTER");
    put(p, "3\n");
    a.run(600ms); // polled every 500 ms
    EXPECT_EQ(a.state(), "FAULT");
    EXPECT_EQ(a.priority(), 100);
    put(p, "0\n");
    a.run(600ms);
    EXPECT_EQ(a.state(), "BACKUP");
    a.run(4s);
    EXPECT_EQ(a.state(), "MASTER");
    std::remove(p.c_str());
}

TEST(TrackFile, NonZeroAtStartIsFaultAtStart) {
    const auto p = temp("start");
    put(p, "1");
    node a(file_block(p) + instance(tracks("        tf weight 0\n")));
    a.run(100ms);
    EXPECT_EQ(a.state(), "FAULT");
    std::remove(p.c_str()); // a missing file reads 0
    a.run(600ms);
    EXPECT_EQ(a.state(), "BACKUP");
}

// The priority for each value, weight and direction (value * weight, reverse
// negates; <= -254 is FAULT; at most +253; lib/vrrp keeps 1..254).
TEST(TrackFile, ValueTimesWeightIsThePriorityDelta) {
    struct row {
        const char* block_weight; // the track_file block's `weight` line, "" = default 1
        const char* line;         // the instance's track_file line
        const char* value;
        int priority; // 0: FAULT
    };
    const row rows[] = {
        {"", "tf", "10", 110},
        {"", "tf", "-30", 70},
        {"    weight 5\n", "tf", "-3", 85},
        {"    weight 5 reverse\n", "tf", "-3", 115},
        {"    weight 5\n", "tf weight -2", "4", 92},        // the line's weight wins
        {"    weight 5\n", "tf weight 2 reverse", "4", 92}, // and its reverse
        {"", "tf", "0x14", 120},                            // strtol base 0
        {"", "tf", "200", 254},                             // clamped by lib/vrrp
        {"", "tf", "-253", 1},
        {"", "tf", "-254", 0},                    // FAULT
        {"    weight 0 reverse\n", "tf", "0", 0}, // FAULT while zero
        {"    weight 0 reverse\n", "tf", "7", 100},
    };
    for (const auto& r : rows) {
        const auto p = temp("tbl");
        put(p, "0");
        node a(file_block(p, r.block_weight) +
               instance(tracks("        " + std::string(r.line) + "\n")));
        a.run(100ms);
        put(p, r.value);
        a.run(600ms);
        if (r.priority == 0) {
            EXPECT_EQ(a.state(), "FAULT") << r.line << " " << r.value;
        } else {
            EXPECT_NE(a.state(), "FAULT") << r.line << " " << r.value;
            EXPECT_EQ(a.priority(), r.priority) << r.block_weight << r.line << " " << r.value;
        }
        std::remove(p.c_str());
    }
}

TEST(TrackFile, InvalidNumberKeepsTheLastValue) {
    const auto p = temp("inv");
    put(p, "-20");
    node a(file_block(p) + instance(tracks("        tf\n")));
    a.run(100ms);
    EXPECT_EQ(a.priority(), 80);
    put(p, "99999999999"); // beyond INT32: keepalived ignores it
    a.run(600ms);
    EXPECT_EQ(a.priority(), 80);
    std::remove(p.c_str());
}

TEST(TrackFile, InitFileCreatesTheFile) {
    const auto p = temp("init");
    std::remove(p.c_str());
    node a(file_block(p, "    init_file -15\n") + instance(tracks("        tf\n")));
    a.run(100ms);
    EXPECT_EQ(a.priority(), 85);
    std::ifstream f(p);
    std::string text;
    std::getline(f, text);
    EXPECT_EQ(text, "-15");
    std::remove(p.c_str());
}

// keepalived 2.2.7 (config::sync_track_weight): a sync group's line is
// tracked by every member with the group's weight.
TEST(TrackFile, SyncGroupWeightAppliesToMembers) {
    const auto p = temp("sg");
    put(p, "0");
    node a(file_block(p) + instance("") + instance("", 90, "VI_2", "int0", 52) +
           "vrrp_sync_group G {\n    group { VI_1 VI_2 }\n" + tracks("        tf weight -4\n") +
           "}\n");
    a.run(100ms);
    put(p, "5");
    a.run(600ms);
    EXPECT_EQ(a.priority("VI_1"), 80);
    EXPECT_EQ(a.priority("VI_2"), 70);
    std::remove(p.c_str());
}

// A member's own track_file with the default weight 1 is tracked with weight
// 0 (FAULT while non-zero) without sync_group_tracking_weight; with it the
// value moves the priority.
TEST(TrackFile, MemberOwnDefaultWeightIsZeroInASyncGroup) {
    struct row {
        const char* option;
        bool fault;
        int priority;
    };
    const row rows[] = {{"", true, 0}, {"    sync_group_tracking_weight\n", false, 105}};
    for (const auto& r : rows) {
        const auto p = temp("own");
        put(p, "0");
        node a(file_block(p) + instance(tracks("        tf\n")) +
               instance("", 100, "VI_2", "int0", 52) +
               "vrrp_sync_group G {\n    group { VI_1 VI_2 }\n" + r.option + "}\n");
        a.run(4s);
        put(p, "5");
        a.run(600ms);
        EXPECT_EQ(a.state() == "FAULT", r.fault) << r.option;
        if (!r.fault) {
            EXPECT_EQ(a.priority(), r.priority) << r.option;
        }
        std::remove(p.c_str());
    }
}

// The same rule for track_script: the group's weight applies (it used to be
// forced to 0), a member's own weighted script is not tracked unless
// sync_group_tracking_weight.
TEST(SyncGroupTracking, ScriptWeights) {
    const std::string chk = "vrrp_script chk {\n    script /bin/false\n    interval 1\n"
                            "    weight -60\n}\n";
    const std::string own = "    track_script {\n        chk\n    }\n";
    struct row {
        const char* name;
        std::string vi1_extra, group_extra;
        int vi1, vi2; // priorities while the script fails
    };
    const row rows[] = {
        {"group_line", "", "    track_script {\n        chk\n    }\n", 90, 80},
        {"group_line_own_weight", "", "    track_script {\n        chk weight -5\n    }\n", 145,
         135},
        {"member_line_dropped", own, "", 150, 140},
        {"member_line_kept_with_option", own, "    sync_group_tracking_weight\n", 90, 140},
    };
    for (const auto& r : rows) {
        node a(chk + instance(r.vi1_extra, 150) + instance("", 140, "VI_2", "int0", 52) +
               "vrrp_sync_group G {\n    group { VI_1 VI_2 }\n" + r.group_extra + "}\n");
        a.runner->code = 1;
        a.run(2s);
        EXPECT_EQ(a.priority("VI_1"), r.vi1) << r.name;
        EXPECT_EQ(a.priority("VI_2"), r.vi2) << r.name;
        EXPECT_NE(a.state("VI_1"), "FAULT") << r.name;
    }
}

} // namespace
} // namespace vipgate::control
