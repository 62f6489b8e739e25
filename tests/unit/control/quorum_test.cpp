// keepalived's virtual_server quorum on the control core (lb_manager,
// control_plane::run_quorum_scripts): the live weight against quorum and
// hysteresis, quorum_up / quorum_down through the script runner (a fake one
// here), the sorry server taking the new flows while the quorum is lost, and
// show virtual-servers. man keepalived.conf, virtual_server quorum.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/config.hpp"
#include "control/control_plane.hpp"
#include "exec/runner.hpp"
#include "fake_shell.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;

// Starts nothing; records what it was asked to run.
class recording_runner final : public exec::runner {
  public:
    result<exec::handle> start(const exec::command& cmd, usec) override {
        runs.push_back(cmd.argv);
        ended_.push_back({next_, {exec::end_kind::exited, 0}, usec{0}});
        return next_++;
    }
    void poll(usec now, std::vector<exec::finished>& out) override {
        for (auto& f : ended_) {
            f.ended = now;
            out.push_back(f);
        }
        ended_.clear();
    }
    std::size_t running() const override { return ended_.size(); }
    std::vector<std::vector<std::string>> runs;

  private:
    exec::handle next_ = 1;
    std::vector<exec::finished> ended_;
};

// Three real servers of weight 2 (total 6), quorum 4, hysteresis 1: lost
// below 3, regained at 5.
std::string yaml(bool sorry) {
    return std::string(R"(
ports:
  - name: ext0
    device: net_null0
    address: 10.1.0.2/24
  - name: int0
    device: net_null1
    address: 10.2.0.2/24
virtual_servers:
  - address: 10.1.0.100
    port: 80
    protocol: tcp
    lb_algo: rr
    quorum: 4
    hysteresis: 1
    quorum_up: "/bin/true UP 10.1.0.100"
    quorum_down: "/bin/true DOWN 10.1.0.100"
)") + (sorry ? "    sorry_server: {address: 10.2.0.99, port: 8080}\n" : "") +
           R"(    real_servers:
      - {address: 10.2.0.11, port: 8080, weight: 2}
      - {address: 10.2.0.12, port: 8080, weight: 2}
      - {address: 10.2.0.13, port: 8080, weight: 2}
)";
}

struct rig {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    recording_runner* runner = nullptr;
    usec t{1000s};
    std::unique_ptr<control_plane> cp;
    std::vector<std::string> warnings;

    explicit rig(const std::string& text) {
        auto c = config::load_string(text);
        if (!c.ok()) {
            ADD_FAILURE() << c.message();
            std::abort();
        }
        cfg = c.value();
        sh = std::make_unique<fake_shell>(cfg, 1, true);
        cp = std::make_unique<control_plane>(cfg, *sh, [this] { return t; });
        auto r = std::make_unique<recording_runner>();
        runner = r.get();
        cp->use_runner(std::move(r));
        auto in = cp->init(&warnings);
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    void advance(usec d) {
        const usec end = t + d;
        while (t < end) {
            t += 10ms;
            cp->run_once(usec{0});
        }
    }
    void health(std::size_t rs, bool up) {
        cp->lb()->set_health(0, rs, up, up ? "test: up" : "test: down", t);
        advance(100ms);
    }
    // The scripts run so far, as "UP" / "DOWN".
    std::vector<std::string> scripts() const {
        std::vector<std::string> out;
        for (const auto& argv : runner->runs) {
            out.push_back(argv.at(1));
        }
        return out;
    }
    virtual_server_row row() { return cp->virtual_servers().at(0); }
    // Weights of the real servers (not the sorry server) in the snapshot.
    std::vector<std::uint32_t> weights() const {
        std::vector<std::uint32_t> out;
        for (const auto& r : sh->current().services()->all_real_servers()) {
            if (!r.sorry) {
                out.push_back(r.weight);
            }
        }
        return out;
    }
};

using strings = std::vector<std::string>;
using weights = std::vector<std::uint32_t>;

TEST(ControlQuorum, HysteresisScriptsAndTheSorryServer) {
    rig r(yaml(true));
    r.advance(100ms);
    EXPECT_EQ(r.scripts(), strings{"UP"}) << "starting with quorum: quorum_up";
    EXPECT_EQ(r.runner->runs.at(0), (std::vector<std::string>{"/bin/true", "UP", "10.1.0.100"}));
    EXPECT_EQ(r.row().quorum_state, "up");
    EXPECT_EQ(r.row().live_weight, 6u);

    r.health(0, false); // live 4 >= 3: kept
    EXPECT_EQ(r.row().quorum_state, "up");
    EXPECT_EQ(r.weights(), (weights{2, 2, 2}));
    r.health(1, false); // live 2 < 3: lost
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN"}));
    EXPECT_EQ(r.row().quorum_state, "down");
    EXPECT_EQ(r.row().live_weight, 2u);
    EXPECT_EQ(r.row().quorum_transitions, 2u);
    EXPECT_EQ(r.weights(), (weights{0, 0, 0}))
        << "quorum lost with a sorry server: no real server takes new flows";
    EXPECT_EQ(r.row().real_servers.back().health, "sorry_server: quorum lost, gets the new flows");

    r.health(1, true); // live 4 < 5: still down
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN"}));
    EXPECT_EQ(r.row().quorum_state, "down");
    EXPECT_EQ(r.weights(), (weights{0, 0, 0}));
    r.health(0, true); // live 6 >= 5: gained
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN", "UP"}));
    EXPECT_EQ(r.row().quorum_state, "up");
    EXPECT_EQ(r.row().quorum_transitions, 3u);
    EXPECT_EQ(r.weights(), (weights{2, 2, 2}));
}

TEST(ControlQuorum, WithoutASorryServerTheRealServersStay) {
    rig r(yaml(false));
    r.advance(100ms);
    r.health(0, false);
    r.health(1, false); // lost
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN"}));
    EXPECT_EQ(r.row().quorum_state, "down");
    const auto& all = r.sh->current().services()->all_real_servers();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_TRUE(all[2].eligible()) << "keepalived only runs quorum_down without a sorry server";
}

TEST(ControlQuorum, OperatorWeightCountsInTheLiveWeight) {
    rig r(yaml(true));
    r.advance(100ms);
    ASSERT_TRUE(r.cp->lb()->set_weight("10.1.0.100:80", "10.2.0.11:8080", 0).ok());
    ASSERT_TRUE(r.cp->lb()->set_enabled("10.1.0.100:80", "10.2.0.12:8080", false).ok());
    r.advance(100ms); // live 2 < 3
    EXPECT_EQ(r.row().quorum_state, "down");
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN"}));
}

TEST(ControlQuorum, ReloadKeepsTheStateAndAppliesTheNewQuorum) {
    rig r(yaml(true));
    r.advance(100ms);
    // Disabled by the operator (kept across a reload; a health verdict of a
    // server without a checker is not: it is up again after a reload).
    ASSERT_TRUE(r.cp->lb()->set_enabled("10.1.0.100:80", "10.2.0.11:8080", false).ok());
    r.advance(100ms); // live 4: up (>= 3)
    std::string next = yaml(true);
    next.replace(next.find("quorum: 4"), 9, "quorum: 6");
    next.replace(next.find("hysteresis: 1"), 13, "hysteresis: 0");
    auto c = config::load_string(next);
    ASSERT_TRUE(c.ok()) << c.message();
    auto rl = r.cp->reload(c.value());
    ASSERT_TRUE(rl.ok()) << rl.message();
    r.advance(100ms);
    EXPECT_EQ(r.row().quorum, 6u);
    EXPECT_EQ(r.row().quorum_state, "down") << "live 4 < 6 after the reload";
    EXPECT_EQ(r.scripts(), (strings{"UP", "DOWN"}));
    EXPECT_EQ(r.row().quorum_transitions, 2u) << "kept across the reload";
}

TEST(ControlQuorum, ShowVirtualServersJson) {
    rig r(yaml(false));
    r.advance(100ms);
    const json j = r.cp->report_virtual_servers().at(0);
    EXPECT_EQ(j.at("quorum"), 4);
    EXPECT_EQ(j.at("hysteresis"), 1);
    EXPECT_EQ(j.at("quorum_state"), "up");
    EXPECT_EQ(j.at("live_weight"), 6);
    EXPECT_EQ(j.at("quorum_transitions"), 1);
}

} // namespace
} // namespace vipgate::control
