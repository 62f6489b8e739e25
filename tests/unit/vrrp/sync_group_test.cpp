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

} // namespace
} // namespace vipgate::vrrp::test
