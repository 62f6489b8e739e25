// keepalived's MISC_CHECK on the control core (misc_wiring.cpp): each real
// server's script runs through the runner (a fake one here: the test ends
// each run), and its verdict takes the real server up or down in the
// workers' snapshot as a TCP_CHECK's does. man keepalived.conf, MISC_CHECK.
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

    // Ends every live run of `program` so; returns how many.
    int end_all(const std::string& program, exec::exit_status st) {
        int n = 0;
        for (const auto& r : runs) {
            auto it = std::find(live_.begin(), live_.end(), r.id);
            if (it != live_.end() && r.cmd.argv.at(0) == program) {
                live_.erase(it);
                ended_.push_back({r.id, st, usec{0}});
                ++n;
            }
        }
        return n;
    }
    int exit(const std::string& program, int code) {
        return end_all(program, {exec::end_kind::exited, code});
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

// Lines of the YAML before the real server's check.
const std::string ports_and_service = R"(
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
virtual_servers:
  - address: 10.1.0.100
    port: 80
    protocol: tcp
    lb_algo: wrr
    delay_loop: 2s
    real_servers:
      - address: 10.2.0.11
        port: 8080
        weight: 7
)";

// The control plane on a fake shell, a fake runner and the test's clock.
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
    const lb::real_server& rs(std::size_t i = 0) const {
        return sh->current().services()->all_real_servers()[i];
    }
    json health(std::size_t i = 0) { return cp->report_health().at(i); }
    std::string rs_reason() { return cp->lb()->services()[0].rs[0].health_reason; }
};

config::config yaml(const std::string& check) {
    auto c = config::load_string(ports_and_service + "        check: " + check + "\n");
    if (!c.ok()) {
        ADD_FAILURE() << c.message();
        std::abort();
    }
    return c.value();
}

TEST(ControlMisc, ExitZeroKeepsTheServerUpExitOneTakesItDown) {
    rig r(yaml("{type: misc, misc_path: \"/bin/true 10.2.0.11\", warmup: 0s}"));
    r.advance(100ms);
    ASSERT_EQ(r.runner->runs.size(), 1u) << "the first run at start + warmup";
    EXPECT_EQ(r.runner->runs[0].cmd.argv, (std::vector<std::string>{"/bin/true", "10.2.0.11"}));
    EXPECT_EQ(r.runner->runs[0].cmd.timeout, 2s) << "no misc_timeout: the delay_loop";
    EXPECT_EQ(r.health()["checker"], "MISC_CHECK");
    EXPECT_EQ(r.health()["reason"], "not run yet");

    ASSERT_EQ(r.runner->exit("/bin/true", 0), 1);
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.health()["state"], "UP");
    EXPECT_EQ(r.health()["reason"], "succeeded");
    EXPECT_EQ(r.rs_reason(), "Misc check by [/bin/true] succeeded.");
    EXPECT_EQ(r.runner->runs.size(), 1u) << "nothing runs again before delay_loop";

    r.advance(2s);
    ASSERT_EQ(r.runner->runs.size(), 2u);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up) << "retry 0: the first failure takes it down";
    EXPECT_EQ(r.health()["state"], "DOWN");
    EXPECT_EQ(r.health()["reason"], "exited with status 1");
    EXPECT_EQ(r.health()["probes"], 2u);
    EXPECT_EQ(r.health()["successes"], 1u);
    EXPECT_EQ(r.rs_reason(),
              "Misc check by [/bin/true] failed with retry disabled (exited with status 1).");

    r.advance(2s);
    r.runner->exit("/bin/true", 0);
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.cp->lb()->services()[0].rs[0].transitions, 2u);
}

TEST(ControlMisc, MiscDynamicSetsTheWeightFromTheExitStatus) {
    rig r(yaml("{type: misc, misc_path: /bin/true, misc_dynamic: true, warmup: 0s}"));
    r.advance(100ms);
    EXPECT_EQ(r.rs().weight, 7u);
    r.runner->exit("/bin/true", 5); // 2..255: up with weight status - 2
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.rs().weight, 3u);
    EXPECT_EQ(r.health()["reason"], "exited with status 5: weight 3 (misc_dynamic)");
    EXPECT_EQ(r.cp->report_virtual_servers()[0]["real_servers"][0]["effective_weight"], 3u);

    r.advance(2s);
    r.runner->exit("/bin/true", 2); // weight 0: no new flows, still up
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.rs().weight, 0u);

    r.advance(2s);
    r.runner->exit("/bin/true", 0); // exit 0: the configured weight again
    r.advance(100ms);
    EXPECT_EQ(r.rs().weight, 7u);

    r.advance(2s);
    r.runner->exit("/bin/true", 1); // 1 stays a failure with misc_dynamic
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up);
}

TEST(ControlMisc, ATimedOutRunIsAFailure) {
    rig r(yaml("{type: misc, misc_path: /bin/sleep, misc_timeout: 500ms, warmup: 0s}"));
    r.advance(100ms);
    ASSERT_EQ(r.runner->runs.size(), 1u);
    EXPECT_EQ(r.runner->runs[0].cmd.timeout, 500ms) << "the runner kills it at misc_timeout";
    // What the runner reports when it killed the run at its timeout.
    r.runner->end_all("/bin/sleep", {exec::end_kind::timed_out, 15});
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up);
    EXPECT_EQ(r.health()["reason"], "timed out");
    EXPECT_EQ(r.health()["timeouts"], 1u);
    EXPECT_EQ(r.rs_reason(), "Misc check by [/bin/sleep] timed out with retry disabled.");
}

TEST(ControlMisc, RetriesBeforeDownAfterDelayBeforeRetry) {
    rig r(yaml("{type: misc, misc_path: /bin/true, retry: 2, delay_before_retry: 500ms, "
               "warmup: 0s}"));
    r.advance(100ms);
    r.runner->exit("/bin/true", 0);
    r.advance(2s);
    ASSERT_EQ(r.runner->runs.size(), 2u);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up) << "first failure: retry 1 of 2";
    EXPECT_EQ(r.runner->runs.size(), 2u);
    r.advance(500ms);
    ASSERT_EQ(r.runner->runs.size(), 3u) << "the retry after delay_before_retry";
    r.runner->exit("/bin/true", 1);
    r.advance(600ms);
    EXPECT_TRUE(r.rs().up) << "retry 2 of 2";
    ASSERT_EQ(r.runner->runs.size(), 4u);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up) << "failed after the retries";
    EXPECT_EQ(r.rs_reason(),
              "Misc check by [/bin/true] failed after 2 retries (exited with status 1).");
}

TEST(ControlMisc, AScriptThatCannotRunIsRefusedWithItsReason) {
    rig r(yaml("{type: misc, misc_path: /nonexistent/vipgate-check.sh, warmup: 0s}"));
    r.advance(100ms);
    EXPECT_TRUE(r.runner->runs.empty());
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("MISC_CHECK"), std::string::npos) << r.warnings[0];
    EXPECT_NE(r.warnings[0].find("- disabling"), std::string::npos) << r.warnings[0];
    EXPECT_TRUE(r.rs().up) << "checked by no checker: always up";
    EXPECT_TRUE(r.cp->report_health().empty());
}

// keepalived: a real server with several checkers is up only while all are.
TEST(ControlMisc, SeveralCheckersMustAllBeUp) {
    auto base = config::load_string("ports:\n"
                                    "  - {name: ext0, device: net_null0, address: 10.1.0.2/24}\n"
                                    "  - {name: int0, device: net_null1, address: 10.2.0.2/24}\n");
    ASSERT_TRUE(base.ok()) << base.message();
    const std::string path = ::testing::TempDir() + "/misc_test.conf";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("virtual_server 10.1.0.100 80 {\n"
               "    delay_loop 2\n"
               "    protocol TCP\n"
               "    real_server 10.2.0.11 8080 {\n"
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
    ASSERT_EQ(r.runner->runs.size(), 2u);
    r.runner->exit("/bin/true", 0);
    r.runner->exit("/bin/false", 1);
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up);
    ASSERT_EQ(r.cp->report_health().size(), 2u);
    EXPECT_EQ(r.health(0)["state"], "UP");
    EXPECT_EQ(r.health(1)["state"], "DOWN");

    r.advance(2s);
    r.runner->exit("/bin/true", 0);
    r.advance(100ms);
    EXPECT_FALSE(r.rs().up) << "the other checker is still down";

    r.runner->exit("/bin/false", 0);
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.rs_reason(), "Misc check by [/bin/false] succeeded.");
}

// A reload keeps an unchanged checker running (its state, schedule and a run
// in flight); a changed one restarts, down if the server was down
// (keepalived's alpha), so one success brings it back.
TEST(ControlMisc, AReloadKeepsAnUnchangedCheckerAndRestartsAChangedOne) {
    const auto same = yaml("{type: misc, misc_path: /bin/true, warmup: 0s}");
    rig r(same);
    r.advance(100ms);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    ASSERT_FALSE(r.rs().up);
    r.advance(1900ms);
    ASSERT_EQ(r.runner->runs.size(), 2u) << "the second run is going";

    auto rl = r.cp->reload(same);
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.runner->runs.size(), 2u) << "kept: no new run";
    r.runner->exit("/bin/true", 0); // the run started before the reload
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.health()["probes"], 2u);

    r.advance(2s);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    ASSERT_FALSE(r.rs().up);
    rl = r.cp->reload(yaml("{type: misc, misc_path: \"/bin/true changed\", warmup: 0s}"));
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    ASSERT_EQ(r.runner->runs.size(), 4u) << "changed: a new checker runs at once";
    EXPECT_EQ(r.runner->runs[3].cmd.argv, (std::vector<std::string>{"/bin/true", "changed"}));
    EXPECT_FALSE(r.rs().up);
    EXPECT_EQ(r.health()["probes"], 0u);
    r.runner->exit("/bin/true", 0);
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
}

// A reload that removes the only check of a down server leaves it always up
// (checked by nothing), not down for good.
TEST(ControlMisc, AReloadRemovingTheCheckOfADownServerBringsItUp) {
    rig r(yaml("{type: misc, misc_path: /bin/true, warmup: 0s}"));
    r.advance(100ms);
    r.runner->exit("/bin/true", 1);
    r.advance(100ms);
    ASSERT_FALSE(r.rs().up);
    auto plain = config::load_string(ports_and_service);
    ASSERT_TRUE(plain.ok()) << plain.message();
    auto rl = r.cp->reload(plain.value());
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_TRUE(r.rs().up);
    EXPECT_EQ(r.rs_reason(), "no check configured");
    EXPECT_TRUE(r.cp->report_health().empty());
}

} // namespace
} // namespace vipgate::control
