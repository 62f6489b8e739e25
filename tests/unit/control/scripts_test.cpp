// vrrp_script / track_script and notify scripts on the control core
// (script_manager wired into control_plane and vrrp_manager): a fake runner
// ends each run when the test says so; two control planes on fake shells
// exchange their adverts. keepalived.conf(5), "VRRP script(s)".
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "config/config.hpp"
#include "config/keepalived.hpp"
#include "control/control_plane.hpp"
#include "exec/runner.hpp"
#include "fake_shell.hpp"
#include "net/parse.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;

class fake_runner final : public exec::runner {
  public:
    struct run {
        exec::handle id = 0;
        exec::command cmd;
    };
    result<exec::handle> start(const exec::command& cmd, usec) override {
        runs.push_back({next_, cmd});
        live_.push_back(next_);
        return next_++;
    }
    void poll(usec now, std::vector<exec::finished>& out) override {
        for (auto& f : ended_) {
            f.ended = now;
            out.push_back(f);
        }
        ended_.clear();
    }
    std::size_t running() const override { return live_.size(); }

    // Ends every live run of `program` with exit status `code`.
    void end_all(const std::string& program, int code) {
        for (const auto& r : runs) {
            auto it = std::find(live_.begin(), live_.end(), r.id);
            if (it != live_.end() && r.cmd.argv.at(0) == program) {
                live_.erase(it);
                ended_.push_back({r.id, {exec::end_kind::exited, code}, usec{0}});
            }
        }
    }
    std::vector<std::vector<std::string>> argvs() const {
        std::vector<std::vector<std::string>> out;
        for (const auto& r : runs) {
            out.push_back(r.cmd.argv);
        }
        return out;
    }
    std::vector<run> runs;

  private:
    exec::handle next_ = 1;
    std::vector<exec::handle> live_;
    std::vector<exec::finished> ended_;
};

std::string yaml(const std::string& address) {
    return R"(
ports:
  - name: ext0
    device: net_null0
    address: )" +
           address + "/24\n";
}

// One node: the ports from YAML, VRRP and scripts from keepalived.conf.
struct node {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    fake_runner* runner = nullptr;
    std::unique_ptr<control_plane> cp;

    node(const std::string& address, const std::string& conf, usec& clock) {
        auto base = config::load_string(yaml(address));
        EXPECT_TRUE(base.ok()) << (base.ok() ? "" : base.message());
        const std::string path = ::testing::TempDir() + "/scripts_test_" + address + ".conf";
        FILE* f = std::fopen(path.c_str(), "w");
        std::fputs(conf.c_str(), f);
        std::fclose(f);
        auto c = config::import_keepalived(path, base.value());
        if (!c.ok()) {
            ADD_FAILURE() << c.message();
            std::abort();
        }
        cfg = c.value();
        sh = std::make_unique<fake_shell>(cfg, 1, false);
        cp = std::make_unique<control_plane>(cfg, *sh, [&clock] { return clock; });
        auto r = std::make_unique<fake_runner>();
        runner = r.get();
        cp->use_runner(std::move(r));
        auto in = cp->init();
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    std::string state() { return cp->report_vrrp("VI_1")[0]["state"].get<std::string>(); }
    int priority() { return cp->vrrp()->report(usec{0}, *sh, "VI_1")[0].effective_priority; }
};

std::string instance(int priority, const std::string& extra) {
    return "vrrp_instance VI_1 {\n"
           "    interface ext0\n"
           "    virtual_router_id 51\n"
           "    priority " +
           std::to_string(priority) +
           "\n"
           "    advert_int 1\n"
           "    virtual_ipaddress { 10.0.0.100 }\n" +
           extra + "}\n";
}

const std::string chk_weight = "vrrp_script chk {\n"
                               "    script /bin/false\n"
                               "    interval 1\n"
                               "    weight -60\n"
                               "}\n";
const std::string chk_fault = "vrrp_script chk {\n"
                              "    script /bin/false\n"
                              "    interval 1\n"
                              "}\n";
const std::string track_chk = "    track_script {\n        chk\n    }\n";

// Moves the clock in 10 ms steps; each node's VRRP frames reach the other.
void run(usec& t, usec d, node& a, node* b = nullptr) {
    const usec end = t + d;
    while (t < end) {
        t += 10ms;
        a.cp->run_once(usec{0});
        if (b != nullptr) {
            b->cp->run_once(usec{0});
            for (auto& f : a.sh->take_sent()) {
                b->sh->inject_punt(0, pipeline::punt_kind::vrrp, f.bytes);
            }
            for (auto& f : b->sh->take_sent()) {
                a.sh->inject_punt(0, pipeline::punt_kind::vrrp, f.bytes);
            }
        }
    }
}

TEST(ControlScripts, FailingTrackScriptLowersPriorityByWeightAndTheBackupTakesOver) {
    usec t{1000s};
    node a("10.0.0.2", chk_weight + instance(150, track_chk), t);
    node b("10.0.0.3", instance(120, ""), t);
    run(t, 100ms, a, &b);
    a.runner->end_all("/bin/false", 0); // the check passes: weight not applied
    run(t, 5s, a, &b);
    ASSERT_EQ(a.state(), "MASTER");
    EXPECT_EQ(b.state(), "BACKUP");
    EXPECT_EQ(a.priority(), 150);
    // The next run fails: 150 - 60 = 90 < 120; B preempts (keepalived:
    // "Changing effective priority from 150 to 90").
    run(t, 1s, a, &b);
    a.runner->end_all("/bin/false", 1);
    run(t, 3s, a, &b);
    EXPECT_EQ(a.priority(), 90);
    EXPECT_EQ(b.state(), "MASTER");
    EXPECT_EQ(a.state(), "BACKUP");
    const json rep = a.cp->report_scripts();
    EXPECT_EQ(rep["scripts"][0]["name"], "chk");
    EXPECT_EQ(rep["scripts"][0]["status"], "KO");
}

TEST(ControlScripts, WeightZeroScriptFailingIsFault) {
    usec t{1000s};
    node a("10.0.0.2", chk_fault + instance(150, track_chk), t);
    run(t, 100ms, a);
    // Until the first result keepalived does not let the instance run.
    EXPECT_EQ(a.state(), "FAULT");
    a.runner->end_all("/bin/false", 0);
    run(t, 5s, a);
    EXPECT_EQ(a.state(), "MASTER");
    run(t, 1s, a);
    a.runner->end_all("/bin/false", 2);
    run(t, 100ms, a);
    EXPECT_EQ(a.state(), "FAULT");
    run(t, 1s, a);
    a.runner->end_all("/bin/false", 0);
    run(t, 100ms, a);
    EXPECT_EQ(a.state(), "BACKUP");
}

TEST(ControlScripts, NotifyMasterRunsWithKeepalivedsArgumentsOnTakeover) {
    usec t{1000s};
    node a("10.0.0.2",
           instance(150, "    notify_master \"/bin/echo master\"\n    notify /bin/true\n"), t);
    run(t, 5s, a);
    ASSERT_EQ(a.state(), "MASTER");
    // notify_backup is not configured; notify runs for BACKUP then MASTER, in
    // order, each after the previous one ended (docs/scripts.md).
    auto argvs = a.runner->argvs();
    ASSERT_GE(argvs.size(), 1u);
    EXPECT_EQ(argvs[0],
              (std::vector<std::string>{"/bin/true", "INSTANCE", "VI_1", "BACKUP", "150"}));
    a.runner->end_all("/bin/true", 0);
    run(t, 100ms, a);
    argvs = a.runner->argvs();
    ASSERT_GE(argvs.size(), 2u);
    EXPECT_EQ(argvs[1], (std::vector<std::string>{"/bin/echo", "master"}));
    a.runner->end_all("/bin/echo", 0);
    run(t, 100ms, a);
    argvs = a.runner->argvs();
    ASSERT_EQ(argvs.size(), 3u);
    EXPECT_EQ(argvs[2],
              (std::vector<std::string>{"/bin/true", "INSTANCE", "VI_1", "MASTER", "150"}));
}

TEST(ControlScripts, SyncGroupNotifyRunsOnceEveryMemberIsMaster) {
    usec t{1000s};
    node a("10.0.0.2",
           instance(150, "") +
               "vrrp_instance VI_2 {\n interface ext0\n virtual_router_id 52\n priority 150\n"
               " virtual_ipaddress { 10.0.0.101 }\n}\n"
               "vrrp_sync_group G {\n group { VI_1 VI_2 }\n notify_master /bin/echo\n}\n",
           t);
    run(t, 5s, a);
    ASSERT_EQ(a.state(), "MASTER");
    auto argvs = a.runner->argvs();
    ASSERT_EQ(argvs.size(), 1u);
    EXPECT_EQ(argvs[0], std::vector<std::string>{"/bin/echo"});
}

} // namespace
} // namespace vipgate::control
