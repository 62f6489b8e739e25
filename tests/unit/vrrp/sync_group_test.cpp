// vrrp_sync_group: members move together.

#include "test_util.hpp"
#include "vrrp/sync_group.hpp"

namespace vipgate::vrrp::test {
namespace {

const ipv4_addr peer{10, 99, 0, 3};

instance_config member(const char* name, std::uint8_t vrid, std::uint8_t prio = 100) {
    auto c = v2_config(prio);
    c.name = name;
    c.vrid = vrid;
    c.virtual_addresses = {ipv4_addr{10, 99, 0, vrid}};
    return c;
}

struct group_fixture {
    group_fixture(instance_config a_cfg, instance_config b_cfg)
        : a(make_instance(a_cfg)), b(make_instance(b_cfg)),
          g(std::move(sync_group::make("G", {&a, &b})).value()) {}
    instance a;
    instance b;
    sync_group g;
    std::vector<action> out;
    std::vector<sync_group::member_action> gout;

    void start(time_point now) {
        a.start(now, out);
        b.start(now, out);
        sync(now);
    }
    // "a: advert(100), b: release" for the group's extra actions.
    std::string sync(time_point now) {
        gout.clear();
        g.sync(now, gout);
        std::string s;
        for (const auto& m : gout) {
            s += (s.empty() ? "" : ", ") + std::string(m.member == 0 ? "a: " : "b: ") +
                 describe(m.act);
        }
        return s;
    }
    std::string reason_for(std::size_t member) const {
        std::string r;
        for (const auto& m : gout) {
            if (auto* n = std::get_if<notify>(&m.act); n && m.member == member) {
                r = n->reason;
            }
        }
        return r;
    }
};

TEST(sync_group, make_rejects_bad_member_lists) {
    auto a = make_instance(member("A", 1));
    EXPECT_FALSE(sync_group::make("G", {}).ok());
    EXPECT_FALSE(sync_group::make("G", {&a, &a}).ok());
    EXPECT_FALSE(sync_group::make("G", {&a, nullptr}).ok());
    EXPECT_TRUE(sync_group::make("G", {&a}).ok());
}

TEST(sync_group, goes_master_only_when_every_member_wants_to) {
    group_fixture f(member("A", 1), member("B", 2));
    f.start(t0);
    EXPECT_EQ(f.g.state(), instance_state::backup);
    // A's down timer expires first: it waits for B instead of going master.
    f.out.clear();
    f.a.on_timer(at(3609375us), f.out);
    EXPECT_EQ(describe(f.out), "");
    EXPECT_TRUE(f.a.wants_master());
    EXPECT_EQ(f.a.next_deadline(), at(2 * 3609375us)); // re-armed
    EXPECT_EQ(f.sync(at(3609375us)), "");
    // B still hears its master.
    f.b.on_advert(at(3s), peer, peer_advert(f.b, 200), f.out);
    EXPECT_EQ(f.sync(at(3s)), "");
    // B's master goes silent: B wants master too, the group moves.
    f.b.on_timer(at(3s + 3609375us), f.out);
    EXPECT_TRUE(f.b.wants_master());
    EXPECT_EQ(f.sync(at(3s + 3609375us)),
              "a: advert(100), a: take, a: garps(5), a: notify(backup->master), "
              "b: advert(100), b: take, b: garps(5), b: notify(backup->master)");
    EXPECT_EQ(f.g.state(), instance_state::master);
    EXPECT_EQ(f.reason_for(1), "sync group G: member A went master");
    EXPECT_FALSE(f.a.wants_master());
}

TEST(sync_group, an_advert_clears_wanting_master) {
    group_fixture f(member("A", 1), member("B", 2));
    f.start(t0);
    f.a.on_timer(at(3609375us), f.out);
    f.a.on_advert(at(4s), peer, peer_advert(f.a, 200), f.out);
    EXPECT_FALSE(f.a.wants_master());
}

TEST(sync_group, a_held_owner_waits_for_the_group) {
    group_fixture f(member("A", 1, 255), member("B", 2));
    f.a.start(t0, f.out);
    f.b.start(t0, f.out);
    // The owner is held by the group: backup, wanting master.
    EXPECT_EQ(f.a.state(), instance_state::backup);
    EXPECT_TRUE(f.a.wants_master());
    EXPECT_EQ(f.sync(t0), "");
    f.b.on_timer(at(3609375us), f.out);
    const auto moved = f.sync(at(3609375us));
    EXPECT_NE(moved.find("a: notify(backup->master)"), std::string::npos) << moved;
    EXPECT_NE(moved.find("b: notify(backup->master)"), std::string::npos) << moved;
    EXPECT_EQ(f.a.effective_priority(), 255);
}

TEST(sync_group, a_member_already_master_pulls_the_others) {
    auto a = make_instance(member("A", 1, 255));
    auto b = make_instance(member("B", 2));
    std::vector<action> out;
    a.start(t0, out); // before the group exists: master at once
    b.start(t0, out);
    ASSERT_EQ(a.state(), instance_state::master);
    auto g = std::move(sync_group::make("G", {&a, &b})).value();
    std::vector<sync_group::member_action> gout;
    g.sync(at(1ms), gout);
    ASSERT_EQ(gout.size(), 4u);
    EXPECT_EQ(gout[0].member, 1u);
    EXPECT_EQ(describe(gout[0].act), "advert(100)");
    const auto* n = std::get_if<notify>(&gout[3].act);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->reason, "sync group G: member A went master");
    EXPECT_EQ(g.state(), instance_state::master);
}

TEST(sync_group, a_member_leaving_master_takes_the_others_to_backup) {
    group_fixture f(member("A", 1), member("B", 2));
    f.start(t0);
    f.a.on_timer(at(3609375us), f.out);
    f.b.on_timer(at(3609375us), f.out);
    f.sync(at(3609375us));
    ASSERT_EQ(f.g.state(), instance_state::master);
    f.out.clear();
    f.a.on_advert(at(5s), peer, peer_advert(f.a, 200), f.out);
    EXPECT_EQ(describe(f.out), "release, notify(master->backup)");
    EXPECT_EQ(f.sync(at(5s)), "b: release, b: notify(master->backup)");
    EXPECT_EQ(f.reason_for(1), "sync group G: member A went backup");
    EXPECT_EQ(f.g.state(), instance_state::backup);
    EXPECT_EQ(f.b.next_deadline(), at(5s + 3609375us));
}

TEST(sync_group, fault_spreads_and_clears) {
    group_fixture f(member("A", 1), member("B", 2));
    f.start(t0);
    f.a.on_timer(at(3609375us), f.out);
    f.b.on_timer(at(3609375us), f.out);
    f.sync(at(3609375us));
    ASSERT_EQ(f.b.state(), instance_state::master);
    f.out.clear();
    f.a.port_down(at(5s), f.out);
    EXPECT_EQ(describe(f.out), "advert(0), release, notify(master->fault)");
    EXPECT_EQ(f.sync(at(5s)), "b: advert(0), b: release, b: notify(master->fault)");
    EXPECT_EQ(f.reason_for(1), "sync group G: member A went fault");
    EXPECT_EQ(f.g.state(), instance_state::fault);
    EXPECT_EQ(f.sync(at(6s)), ""); // stable
    f.out.clear();
    f.a.port_up(at(7s), f.out);
    EXPECT_EQ(describe(f.out), ""); // still held in fault by the group
    EXPECT_EQ(f.sync(at(7s)), "a: notify(fault->backup), b: notify(fault->backup)");
    EXPECT_EQ(f.reason_for(1), "sync group G: all members up");
    EXPECT_EQ(f.g.state(), instance_state::backup);
    EXPECT_EQ(f.a.next_deadline(), at(7s + 3609375us));
}

// Both members MASTER at `m`.
time_point run_group_to_master(group_fixture& f) {
    f.start(t0);
    const auto m = at(3609375us);
    f.a.on_timer(m, f.out);
    f.b.on_timer(m, f.out);
    f.sync(m);
    return m;
}

std::string resign(group_fixture& f, time_point now, std::size_t member) {
    f.gout.clear();
    EXPECT_TRUE(f.g.resign(now, member, f.gout).ok());
    std::string s;
    for (const auto& ma : f.gout) {
        s += (s.empty() ? "" : ", ") + std::string(ma.member == 0 ? "a: " : "b: ") +
             describe(ma.act);
    }
    return s;
}

TEST(sync_group, resigning_one_member_resigns_the_whole_group) {
    group_fixture f(member("A", 1), member("B", 2));
    const auto m = run_group_to_master(f);
    ASSERT_EQ(f.g.state(), instance_state::master);
    // RFC 5798 §6.4.3: every member sends priority 0, so the peer's whole
    // group takes over after Skew_Time.
    EXPECT_EQ(resign(f, m + 1s, 0), "a: log, a: advert(0), a: release, a: notify(master->backup), "
                                    "b: log, b: advert(0), b: release, b: notify(master->backup)");
    EXPECT_EQ(f.reason_for(1), "sync group G: member A resigned by operator");
    EXPECT_EQ(f.g.state(), instance_state::backup);
    EXPECT_TRUE(f.a.resigned());
    EXPECT_TRUE(f.b.resigned());
    EXPECT_EQ(f.a.counters().priority_zero_sent, 1u);
    EXPECT_EQ(f.b.counters().priority_zero_sent, 1u);
    EXPECT_EQ(f.sync(m + 1s), "");
    // Not master any more: a second resign is refused.
    EXPECT_FALSE(f.g.resign(m + 2s, 1, f.gout).ok());
}

TEST(sync_group, resigned_group_stays_backup_when_the_peer_is_slow_to_take_over) {
    group_fixture f(member("A", 1), member("B", 2));
    const auto m = run_group_to_master(f);
    const auto r = m + 1s;
    resign(f, r, 1);
    // The peer's first adverts come after our own Master_Down_Interval from
    // the resign (its group waited for a member that missed priority 0).
    const auto late = r + 3609375us + 500ms;
    for (auto now = r; now < late; now += 100ms) {
        f.a.on_timer(now, f.out);
        f.b.on_timer(now, f.out);
        ASSERT_EQ(f.sync(now), "") << (now - r).count();
    }
    EXPECT_FALSE(f.a.wants_master());
    EXPECT_FALSE(f.b.wants_master());
    // Then the peer (lower priority) keeps advertising: we never take over.
    for (auto now = late; now < late + 20s; now += 100ms) {
        if ((now - late) % 1s == microseconds{0}) {
            f.a.on_advert(now, peer, peer_advert(f.a, 50), f.out);
            f.b.on_advert(now, peer, peer_advert(f.b, 50), f.out);
        }
        f.a.on_timer(now, f.out);
        f.b.on_timer(now, f.out);
        ASSERT_EQ(f.sync(now), "") << (now - late).count();
    }
    EXPECT_EQ(f.a.state(), instance_state::backup);
    EXPECT_EQ(f.b.state(), instance_state::backup);
    // The peer really goes silent: the group takes over (availability).
    const auto last = late + 19s;
    const auto down = last + 3609375us;
    f.a.on_timer(down, f.out);
    f.b.on_timer(down, f.out);
    const auto moved = f.sync(down);
    EXPECT_NE(moved.find("a: notify(backup->master)"), std::string::npos) << moved;
    EXPECT_NE(moved.find("b: notify(backup->master)"), std::string::npos) << moved;
}

TEST(sync_group, resigned_group_takes_over_a_peer_that_never_does) {
    group_fixture f(member("A", 1), member("B", 2));
    const auto m = run_group_to_master(f);
    resign(f, m, 0);
    // Down timer = resign grace (4 intervals, the peer's longest
    // Master_Down_Interval) + our Master_Down_Interval.
    const auto down = m + 4s + 3609375us;
    EXPECT_EQ(f.a.next_deadline(), down);
    EXPECT_EQ(f.b.next_deadline(), down);
    f.a.on_timer(down - 1us, f.out);
    f.b.on_timer(down - 1us, f.out);
    EXPECT_EQ(f.sync(down - 1us), "");
    f.a.on_timer(down, f.out);
    f.b.on_timer(down, f.out);
    EXPECT_NE(f.sync(down).find("notify(backup->master)"), std::string::npos);
}

TEST(sync_group, resume_of_one_member_resumes_the_group) {
    group_fixture f(member("A", 1, 200), member("B", 2, 200));
    const auto m = run_group_to_master(f);
    resign(f, m, 0);
    f.a.on_advert(m + 1s, peer, peer_advert(f.a, 50), f.out);
    f.b.on_advert(m + 1s, peer, peer_advert(f.b, 50), f.out);
    f.gout.clear();
    f.g.resume(m + 2s, 1, f.gout);
    EXPECT_FALSE(f.a.resigned());
    EXPECT_FALSE(f.b.resigned());
    ASSERT_FALSE(f.gout.empty());
    EXPECT_EQ(log_text({f.gout.front().act}),
              "(A) sync group G: member B resumed by operator, resuming the group\n");
    // Preempting again: a lower priority advert is discarded.
    f.out.clear();
    f.a.on_advert(m + 3s, peer, peer_advert(f.a, 50), f.out);
    EXPECT_EQ(describe(f.out), "log");
}

} // namespace
} // namespace vipgate::vrrp::test
