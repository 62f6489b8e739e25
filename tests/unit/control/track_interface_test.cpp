// track_interface and the link state on the control core: a fake shell whose
// links the test changes (the control plane polls them once a second), the
// VRRP instances configured from keepalived.conf. keepalived.conf(5),
// track_interface; vrrp_track.c initialise_interface_tracking_priorities().
#include <gtest/gtest.h>

#include <cstdio>
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

// Ports 0 ext0, 1 int0, 2 mgmt0.
const std::string ports_yaml = "ports:\n"
                               "  - {name: ext0, device: net_null0, address: 10.0.0.2/24}\n"
                               "  - {name: int0, device: net_null1, address: 10.1.0.2/24}\n"
                               "  - {name: mgmt0, device: net_null2, address: 10.2.0.2/24}\n";
constexpr std::uint16_t ext0 = 0, int0 = 1, mgmt0 = 2;

struct node {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    instant_runner* runner = nullptr;
    std::unique_ptr<control_plane> cp;
    usec t{1000s};

    // `down`: ports whose link is down before the control plane starts.
    explicit node(const std::string& conf, std::vector<std::uint16_t> down = {}) {
        cfg = load(conf);
        sh = std::make_unique<fake_shell>(cfg, 1, false);
        for (auto p : down) {
            sh->links[p].up = false;
        }
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
        static int n = 0;
        const std::string path =
            ::testing::TempDir() + "/track_if_control_" + std::to_string(n++) + ".conf";
        FILE* f = std::fopen(path.c_str(), "w");
        std::fputs(conf.c_str(), f);
        std::fclose(f);
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
    void link(std::uint16_t port, bool up) { sh->links.at(port).up = up; }
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

std::string track(const std::string& lines) {
    return "    track_interface {\n" + lines + "    }\n";
}

TEST(TrackInterface, OwnPortDownIsFaultAndBack) {
    node a(instance(""));
    a.run(4s);
    ASSERT_EQ(a.state(), "MASTER");
    a.link(ext0, false);
    a.run(1100ms); // polled once a second
    EXPECT_EQ(a.state(), "FAULT");
    a.link(ext0, true);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "BACKUP");
    a.run(4s);
    EXPECT_EQ(a.state(), "MASTER");
}

TEST(TrackInterface, WeightZeroDownIsFaultAndBack) {
    node a(instance(track("        int0\n")));
    a.run(4s);
    ASSERT_EQ(a.state(), "MASTER");
    a.link(mgmt0, false); // not tracked: nothing happens
    a.run(1100ms);
    EXPECT_EQ(a.state(), "MASTER");
    a.link(int0, false);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "FAULT");
    EXPECT_EQ(a.priority(), 100); // unweighted: no priority change
    a.link(int0, true);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "BACKUP");
    a.run(4s);
    EXPECT_EQ(a.state(), "MASTER");
}

TEST(TrackInterface, WeightZeroDownAtStartIsFaultAtStart) {
    node a(instance(track("        int0\n")), {int0});
    a.run(100ms);
    EXPECT_EQ(a.state(), "FAULT");
    a.link(int0, true);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "BACKUP");
}

TEST(TrackInterface, ReverseWeightZeroFaultsWhileUp) {
    // keepalived.conf(5): "'weight 0 reverse' will cause the vrrp instance to
    // be down when the interface is up, and vice versa".
    node a(instance(track("        int0 weight 0 reverse\n")));
    a.run(4s);
    EXPECT_EQ(a.state(), "FAULT");
    a.link(int0, false);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "BACKUP");
}

// The priority while the tracked port is up and while it is down, for each
// weight and direction (keepalived.conf(5): a positive weight is added while
// up, a negative one while down; reverse swaps the direction).
TEST(TrackInterface, WeightChangesThePriority) {
    struct row {
        const char* line;
        int up, down;
    };
    const row rows[] = {
        {"int0 weight 20", 120, 100},        {"int0 weight -30", 100, 70},
        {"int0 weight 20 reverse", 80, 100}, {"int0 weight -30 reverse", 100, 130},
        {"int0 weight 253", 254, 100},       {"int0 weight -253", 100, 1}, // clamped 1..254
    };
    for (const auto& r : rows) {
        node a(instance(track("        " + std::string(r.line) + "\n")));
        a.run(100ms);
        EXPECT_EQ(a.priority(), r.up) << r.line;
        a.link(int0, false);
        a.run(1100ms);
        EXPECT_EQ(a.priority(), r.down) << r.line;
        EXPECT_NE(a.state(), "FAULT") << r.line;
        a.link(int0, true);
        a.run(1100ms);
        EXPECT_EQ(a.priority(), r.up) << r.line;
    }
}

TEST(TrackInterface, SeveralPortsAddUp) {
    node a(instance(track("        int0 weight -10\n        mgmt0 weight -25\n")));
    a.run(100ms);
    EXPECT_EQ(a.priority(), 100);
    a.link(int0, false);
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 90);
    a.link(mgmt0, false);
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 65);
    a.link(int0, true);
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 75);
}

// track_script and track_interface deltas are one total (keepalived's
// total_priority): a failing script (-60) and a port down (-30).
TEST(TrackInterface, CombinesWithTrackScriptDelta) {
    const std::string chk = "vrrp_script chk {\n    script /bin/false\n    interval 1\n"
                            "    weight -60\n}\n";
    node a(chk +
           instance("    track_script {\n        chk\n    }\n" + track("        int0 weight -30\n"),
                    150));
    a.runner->code = 0;
    a.run(2s);
    EXPECT_EQ(a.priority(), 150);
    a.link(int0, false);
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 120);
    a.runner->code = 1; // the script fails from its next run
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 60);
    a.link(int0, true);
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 90);
    a.runner->code = 0;
    a.run(1100ms);
    EXPECT_EQ(a.priority(), 150);
}

// A script's FAULT and a port's FAULT: the instance leaves FAULT only when
// neither holds it.
TEST(TrackInterface, ScriptFaultAndPortFaultBothHold) {
    const std::string chk = "vrrp_script chk {\n    script /bin/false\n    interval 1\n}\n";
    node a(chk + instance("    track_script {\n        chk\n    }\n" + track("        int0\n")));
    a.run(4s);
    ASSERT_EQ(a.state(), "MASTER");
    a.link(int0, false);
    a.runner->code = 1;
    a.run(1100ms);
    EXPECT_EQ(a.state(), "FAULT");
    a.link(int0, true);
    a.run(1100ms);
    EXPECT_EQ(a.state(), "FAULT"); // the script still fails
    a.runner->code = 0;
    a.run(1100ms);
    EXPECT_EQ(a.state(), "BACKUP");
}

// A sync group's track_interface is tracked by every member; a member's
// FAULT faults the group.
TEST(TrackInterface, SyncGroupLineFaultsEveryMember) {
    node a(instance("") + instance("", 100, "VI_2", "int0", 52) +
           "vrrp_sync_group G {\n    group { VI_1 VI_2 }\n" + track("        mgmt0\n") + "}\n");
    a.run(4s);
    ASSERT_EQ(a.state("VI_1"), "MASTER");
    ASSERT_EQ(a.state("VI_2"), "MASTER");
    a.link(mgmt0, false);
    a.run(1100ms);
    EXPECT_EQ(a.state("VI_1"), "FAULT");
    EXPECT_EQ(a.state("VI_2"), "FAULT");
    a.link(mgmt0, true);
    a.run(5s);
    EXPECT_EQ(a.state("VI_1"), "MASTER");
    EXPECT_EQ(a.state("VI_2"), "MASTER");
}

TEST(TrackInterface, SyncGroupWeightAppliesToMembers) {
    node a(instance("") + instance("", 90, "VI_2", "int0", 52) +
           "vrrp_sync_group G {\n    group { VI_1 VI_2 }\n" + track("        mgmt0 weight -40\n") +
           "}\n");
    a.run(100ms);
    a.link(mgmt0, false);
    a.run(1100ms);
    EXPECT_EQ(a.priority("VI_1"), 60);
    EXPECT_EQ(a.priority("VI_2"), 50);
}

// A reload that adds a track_interface to a running instance applies it.
TEST(TrackInterface, ReloadAddsTracking) {
    node a(instance(""));
    a.link(int0, false);
    a.run(4s);
    ASSERT_EQ(a.state(), "MASTER");
    auto next = node::load(instance(track("        int0 weight -30\n")));
    auto r = a.cp->reload(next);
    ASSERT_TRUE(r.ok()) << r.message();
    a.run(100ms);
    EXPECT_EQ(a.priority(), 70);
    auto back = node::load(instance(""));
    ASSERT_TRUE(a.cp->reload(back).ok());
    a.run(100ms);
    EXPECT_EQ(a.priority(), 100);
}

} // namespace
} // namespace vipgate::control
