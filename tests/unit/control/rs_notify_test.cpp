// keepalived's real_server notify_up / notify_down on the control core
// (rs_notify.cpp): a change of a real server's health state (every checker
// up / one down) runs its script through the script manager's notify
// dispatcher, with its configured words only; nothing at start, nothing
// while the state stays; a reload that removes an up real server runs its
// notify_down (keepalived 2.2.7 check/ipwrapper.c do_rs_notifies(),
// clear_diff_rs()). The checkers here are MISC_CHECKs ended by a fake runner.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "config/config.hpp"
#include "config/keepalived.hpp"
#include "control/control_plane.hpp"
#include "exec/runner.hpp"
#include "fake_shell.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;
using argv_list = std::vector<std::vector<std::string>>;

// Starts nothing; the test ends the live runs of a program as it likes.
class fake_runner final : public exec::runner {
  public:
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
    int exit(const std::string& program, int code) {
        int n = 0;
        for (const auto& r : runs) {
            auto it = std::find(live_.begin(), live_.end(), r.id);
            if (it != live_.end() && r.cmd.argv.at(0) == program) {
                live_.erase(it);
                ended_.push_back({r.id, {exec::end_kind::exited, code}, usec{0}});
                ++n;
            }
        }
        return n;
    }
    // The notify runs (argv[0] /bin/echo), in the order started.
    argv_list notifies() const {
        argv_list out;
        for (const auto& r : runs) {
            if (r.cmd.argv.at(0) == "/bin/echo") {
                out.push_back(r.cmd.argv);
            }
        }
        return out;
    }
    struct run {
        exec::handle id = 0;
        exec::command cmd;
    };
    std::vector<run> runs;

  private:
    exec::handle next_ = 1;
    std::vector<exec::handle> live_;
    std::vector<exec::finished> ended_;
};

const std::string ports = R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.1.0.2/24
  - name: int0
    device: net_null1
    address: 10.2.0.2/24
neighbours:
  static:
    - {address: 10.2.0.11, mac: "02:00:00:00:aa:11", port: int0}
    - {address: 10.2.0.12, mac: "02:00:00:00:aa:12", port: int0}
)";

// One service; each real server's lines (8 spaces) follow its address.
std::string service(const std::vector<std::string>& real_servers) {
    std::string s = ports + "virtual_servers:\n"
                            "  - address: 10.1.0.100\n"
                            "    port: 80\n"
                            "    protocol: tcp\n"
                            "    delay_loop: 2s\n"
                            "    real_servers:";
    s += real_servers.empty() ? " []\n" : "\n";
    for (const auto& r : real_servers) {
        s += r;
    }
    return s;
}

// A real server checked by /bin/true (ended by the test) with notify scripts.
std::string rs(const std::string& address, const std::string& extra = {}) {
    return "      - address: " + address +
           "\n"
           "        port: 8080\n"
           "        check: {type: misc, misc_path: /bin/true, warmup: 0s}\n"
           "        notify_up: \"/bin/echo up " +
           address +
           "\"\n"
           "        notify_down: \"/bin/echo down " +
           address + "\"\n" + extra;
}

config::config load(const std::string& text) {
    auto c = config::load_string(text);
    if (!c.ok()) {
        ADD_FAILURE() << c.message();
        std::abort();
    }
    return c.value();
}

struct rig {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    fake_runner* runner = nullptr;
    usec t{1000s};
    std::unique_ptr<control_plane> cp;
    std::vector<std::string> warnings;

    explicit rig(const config::config& c) : cfg(c) {
        sh = std::make_unique<fake_shell>(cfg, 1, true);
        cp = std::make_unique<control_plane>(cfg, *sh, [this] { return t; });
        auto r = std::make_unique<fake_runner>();
        runner = r.get();
        cp->use_runner(std::move(r));
        auto in = cp->init(&warnings);
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    ~rig() { cp.reset(); }

    void advance(usec d) {
        const usec end = t + d;
        while (t < end) {
            t += 10ms;
            cp->run_once(usec{0});
        }
    }
    // Ends the running checks with `code`, one delay_loop later the next.
    void check(int code) {
        runner->exit("/bin/true", code);
        advance(100ms);
    }
    void next_round() { advance(2s); }
    bool up(std::size_t i = 0) { return cp->lb()->services()[0].rs[i].healthy; }
};

TEST(ControlRsNotify, AHealthChangeRunsTheScriptOfTheNewState) {
    rig r(load(service({rs("10.2.0.11")})));
    EXPECT_TRUE(r.warnings.empty());
    r.advance(100ms);
    r.check(0);
    EXPECT_TRUE(r.up());
    EXPECT_TRUE(r.runner->notifies().empty()) << "up at start and still up: nothing runs";

    r.next_round();
    r.check(1);
    ASSERT_FALSE(r.up());
    ASSERT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo", "down", "10.2.0.11"}}))
        << "its configured words only (keepalived appends nothing)";
    EXPECT_EQ(r.runner->runs.back().cmd.timeout, notify_timeout);
    EXPECT_FALSE(r.runner->runs.back().cmd.user.has_value()) << "no script_user: vipgate's own";

    r.next_round();
    r.check(1);
    EXPECT_EQ(r.runner->notifies().size(), 1u) << "still down: nothing more";

    r.runner->exit("/bin/echo", 0);
    r.next_round();
    r.check(0);
    ASSERT_TRUE(r.up());
    EXPECT_EQ(r.runner->notifies(),
              (argv_list{{"/bin/echo", "down", "10.2.0.11"}, {"/bin/echo", "up", "10.2.0.11"}}));
    r.runner->exit("/bin/echo", 3);
    r.advance(100ms);

    const json rep = r.cp->report_scripts();
    ASSERT_EQ(rep["real_servers"].size(), 1u);
    const json& x = rep["real_servers"][0];
    EXPECT_EQ(x["virtual_server"], "10.1.0.100:80/tcp");
    EXPECT_EQ(x["real_server"], "10.2.0.11:8080");
    EXPECT_EQ(x["notify_up"], "'/bin/echo' 'up' '10.2.0.11'");
    EXPECT_EQ(x["notify_down"], "'/bin/echo' 'down' '10.2.0.11'");
    EXPECT_EQ(x["up_runs"], 1u);
    EXPECT_EQ(x["down_runs"], 1u);
    EXPECT_EQ(x["failed"], 1u) << "the notify_up exited 3";
    EXPECT_EQ(x["last"], "UP");
    EXPECT_EQ(rep["notify"]["transitions"], 2u);
}

// vipgate runs one real server's notify scripts in transition order (its
// notify dispatcher; keepalived starts them without waiting).
TEST(ControlRsNotify, AnUpWaitsForTheRunningDown) {
    rig r(load(service({rs("10.2.0.11")})));
    r.advance(100ms);
    r.check(1);
    ASSERT_EQ(r.runner->notifies().size(), 1u);
    r.next_round();
    r.check(0);
    ASSERT_TRUE(r.up());
    EXPECT_EQ(r.runner->notifies().size(), 1u) << "notify_down still running";
    r.runner->exit("/bin/echo", 0);
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies(),
              (argv_list{{"/bin/echo", "down", "10.2.0.11"}, {"/bin/echo", "up", "10.2.0.11"}}));
}

// Only the configured direction runs; a real server without scripts runs
// nothing.
TEST(ControlRsNotify, OnlyConfiguredScriptsRun) {
    const std::string only_down = "      - address: 10.2.0.12\n"
                                  "        port: 8080\n"
                                  "        check: {type: misc, misc_path: /bin/true, warmup: 0s}\n"
                                  "        notify_down: /bin/echo\n";
    const std::string none = "      - address: 10.2.0.11\n"
                             "        port: 8080\n"
                             "        check: {type: misc, misc_path: /bin/true, warmup: 0s}\n";
    rig r(load(service({none, only_down})));
    r.advance(100ms);
    r.check(1);
    ASSERT_FALSE(r.up(0));
    ASSERT_FALSE(r.up(1));
    EXPECT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo"}}));
    r.runner->exit("/bin/echo", 0);
    r.next_round();
    r.check(0);
    ASSERT_TRUE(r.up(1));
    EXPECT_EQ(r.runner->notifies().size(), 1u) << "no notify_up configured";
    EXPECT_EQ(r.cp->report_scripts()["real_servers"].size(), 1u);
}

// keepalived: the real server is up only while all its checkers are; its
// scripts follow the real server, not each checker.
TEST(ControlRsNotify, SeveralCheckersNotifyOnTheRealServersChangeOnly) {
    auto base = config::load_string(ports);
    ASSERT_TRUE(base.ok()) << base.message();
    const std::string path = ::testing::TempDir() + "/rs_notify_test.conf";
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("virtual_server 10.1.0.100 80 {\n"
               "    delay_loop 2\n"
               "    protocol TCP\n"
               "    real_server 10.2.0.11 8080 {\n"
               "        notify_up \"/bin/echo UP\"\n"
               "        notify_down \"/bin/echo DOWN\"\n"
               "        MISC_CHECK {\n"
               "            misc_path /bin/true\n"
               "            warmup 0\n"
               "        }\n"
               "        MISC_CHECK {\n"
               "            misc_path /bin/false\n"
               "            warmup 0\n"
               "        }\n"
               "    }\n"
               "}\n",
               f);
    std::fclose(f);
    auto c = config::import_keepalived(path, base.value());
    ASSERT_TRUE(c.ok()) << c.message();
    rig r(c.value());
    r.advance(100ms);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    ASSERT_FALSE(r.up());
    EXPECT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo", "DOWN"}}));
    r.runner->exit("/bin/echo", 0);
    r.runner->exit("/bin/false", 1);
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies().size(), 1u) << "the second checker down: no change";

    r.next_round();
    r.runner->exit("/bin/true", 0);
    r.advance(100ms);
    EXPECT_FALSE(r.up()) << "/bin/false's checker is still down";
    EXPECT_EQ(r.runner->notifies().size(), 1u);
    r.runner->exit("/bin/false", 0);
    r.advance(100ms);
    ASSERT_TRUE(r.up());
    EXPECT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo", "DOWN"}, {"/bin/echo", "UP"}}));
}

// keepalived clear_diff_rs(): a reload that removes an up real server runs
// its notify_down; a removed one that is down and a kept one run nothing.
TEST(ControlRsNotify, AReloadRemovingAnUpRealServerRunsItsNotifyDown) {
    rig r(load(service({rs("10.2.0.11"), rs("10.2.0.12")})));
    r.advance(100ms);
    r.check(0);
    ASSERT_TRUE(r.up(0));
    ASSERT_TRUE(r.up(1));
    auto rl = r.cp->reload(load(service({rs("10.2.0.12")})));
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo", "down", "10.2.0.11"}}));
    r.runner->exit("/bin/echo", 0);

    // 10.2.0.12 goes down, then a reload removes it: already down, nothing.
    r.next_round();
    r.check(1);
    ASSERT_EQ(r.runner->notifies().size(), 2u);
    EXPECT_EQ(r.runner->notifies()[1],
              (std::vector<std::string>{"/bin/echo", "down", "10.2.0.12"}));
    r.runner->exit("/bin/echo", 0);
    rl = r.cp->reload(load(service({})));
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies().size(), 2u);
}

// A reload that changes a real server's scripts: the next change runs the
// new one; the real server's counters stay.
TEST(ControlRsNotify, AReloadReplacesTheScripts) {
    rig r(load(service({rs("10.2.0.11")})));
    r.advance(100ms);
    r.check(1);
    ASSERT_EQ(r.runner->notifies().size(), 1u);
    r.runner->exit("/bin/echo", 0);
    const std::string changed = "      - address: 10.2.0.11\n"
                                "        port: 8080\n"
                                "        check: {type: misc, misc_path: /bin/true, warmup: 0s}\n"
                                "        notify_up: /bin/echo changed\n";
    auto rl = r.cp->reload(load(service({changed})));
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies().size(), 1u) << "a kept real server: nothing at the reload";
    r.next_round();
    r.check(0);
    ASSERT_TRUE(r.up());
    EXPECT_EQ(r.runner->notifies().back(), (std::vector<std::string>{"/bin/echo", "changed"}));
    const json x = r.cp->report_scripts()["real_servers"][0];
    EXPECT_EQ(x["down_runs"], 1u);
    EXPECT_EQ(x["up_runs"], 1u);
    EXPECT_EQ(x["notify_down"], "");
}

// keepalived.conf with `rs_init_notifies`: every real server that starts up
// runs notify_up (init_service_rs()): at start, and when a reload adds it.
config::config with_init_notifies(const std::vector<std::string>& addresses) {
    auto base = config::load_string(ports);
    EXPECT_TRUE(base.ok()) << base.message();
    std::string text = "global_defs {\n    rs_init_notifies\n}\n"
                       "virtual_server 10.1.0.100 80 {\n    protocol TCP\n";
    for (const auto& a : addresses) {
        text += "    real_server " + a + " 8080 {\n        notify_up \"/bin/echo up " + a +
                "\"\n    }\n";
    }
    text += "}\n";
    const std::string path = ::testing::TempDir() + "/rs_init_notifies_test.conf";
    FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    auto c = config::import_keepalived(path, base.value());
    if (!c.ok()) {
        ADD_FAILURE() << c.message();
        std::abort();
    }
    return c.value();
}

TEST(ControlRsNotify, RsInitNotifiesRunsNotifyUpAtStartAndForAddedServers) {
    rig r(with_init_notifies({"10.2.0.11"}));
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies(), (argv_list{{"/bin/echo", "up", "10.2.0.11"}}));
    r.runner->exit("/bin/echo", 0);
    auto rl = r.cp->reload(with_init_notifies({"10.2.0.11", "10.2.0.12"}));
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.runner->notifies(),
              (argv_list{{"/bin/echo", "up", "10.2.0.11"}, {"/bin/echo", "up", "10.2.0.12"}}))
        << "the kept one runs nothing";

    rig without(load(service({rs("10.2.0.11")})));
    without.advance(100ms);
    EXPECT_TRUE(without.runner->notifies().empty());
}

// A script that may not run (here: it does not exist) is disabled with a
// warning naming the real server, as every keepalived script; the health
// check itself goes on.
TEST(ControlRsNotify, AScriptThatCannotRunIsDisabledWithAWarning) {
    const std::string bad = "      - address: 10.2.0.11\n"
                            "        port: 8080\n"
                            "        check: {type: misc, misc_path: /bin/true, warmup: 0s}\n"
                            "        notify_down: /nonexistent/vipgate-rs-down.sh\n";
    rig r(load(service({bad})));
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("real server 10.2.0.11:8080: notify_down"), std::string::npos)
        << r.warnings[0];
    EXPECT_NE(r.warnings[0].find("- disabling"), std::string::npos) << r.warnings[0];
    r.advance(100ms);
    r.check(1);
    EXPECT_FALSE(r.up());
    EXPECT_EQ(r.runner->runs.size(), 1u) << "the check only";
}

} // namespace
} // namespace vipgate::control
