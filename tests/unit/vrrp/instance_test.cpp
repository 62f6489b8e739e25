// The instance state machine, driven by a fake clock; every timing assertion
// is exact to the microsecond.

#include "test_util.hpp"

namespace vipgate::vrrp::test {
namespace {

const ipv4_addr lower_ip{10, 99, 0, 1};  // below our 10.99.0.2
const ipv4_addr higher_ip{10, 99, 0, 3}; // above our 10.99.0.2

struct fixture {
    explicit fixture(instance_config cfg) : i(make_instance(cfg)) {}
    instance i;
    std::vector<action> out;

    std::string start(time_point now) {
        out.clear();
        i.start(now, out);
        return describe(out);
    }
    std::string timer(time_point now) {
        out.clear();
        i.on_timer(now, out);
        return describe(out);
    }
    std::string rx(time_point now, ipv4_addr src, std::uint8_t prio) {
        return rx(now, src, peer_advert(i, prio));
    }
    std::string rx(time_point now, ipv4_addr src, const advert& a) {
        out.clear();
        i.on_advert(now, src, a, out);
        return describe(out);
    }
    // Runs the timer until the instance is master, returns when.
    time_point run_to_master(time_point from) {
        start(from);
        const auto when = *i.next_deadline();
        timer(when);
        EXPECT_EQ(i.state(), instance_state::master);
        return when;
    }
};

// --- Init ---------------------------------------------------------------------

TEST(instance_init, backup_waits_master_down) {
    fixture f(v2_config(100));
    EXPECT_EQ(f.i.state(), instance_state::init);
    EXPECT_EQ(f.i.next_deadline(), std::nullopt);
    EXPECT_EQ(f.start(at(1s)), "notify(init->backup)");
    EXPECT_EQ(f.i.state(), instance_state::backup);
    EXPECT_EQ(f.i.next_deadline(), at(1s + 3609375us));
    EXPECT_EQ(f.i.time_to_master_down(at(2s)), 2609375us);
    EXPECT_EQ(f.start(at(2s)), ""); // start twice is harmless
}

TEST(instance_init, owner_255_becomes_master_at_once) {
    fixture f(v2_config(255));
    EXPECT_EQ(f.start(at(7s)), "advert(255), take, garps(5), notify(init->master)");
    EXPECT_EQ(notify_reason(f.out), "priority 255 (address owner) at start");
    EXPECT_EQ(f.i.next_deadline(), at(8s)); // Adver_Timer
    EXPECT_EQ(f.i.master_address(), (ipv4_addr{10, 99, 0, 2}));
    EXPECT_EQ(f.i.counters().became_master, 1u);
}

TEST(instance_init, state_master_below_255_still_waits_master_down) {
    // keepalived: 3.41 s observed at priority 150.
    auto cfg = v2_config(150);
    cfg.initial_state = state_hint::master;
    fixture f(cfg);
    EXPECT_EQ(f.start(t0), "notify(init->backup)");
    EXPECT_EQ(f.i.next_deadline(), at(3414062us));
    EXPECT_EQ(f.timer(at(3414061us)), "");
    EXPECT_EQ(f.timer(at(3414062us)), "advert(150), take, garps(5), notify(backup->master)");
}

TEST(instance_init, owner_with_explicit_backup_state_waits) {
    auto cfg = v2_config(255);
    cfg.initial_state = state_hint::backup;
    fixture f(cfg);
    EXPECT_EQ(f.start(t0), "notify(init->backup)");
    EXPECT_EQ(f.i.next_deadline(), at(3003906us));
}

TEST(instance_init, port_down_before_start_means_fault) {
    fixture f(v2_config());
    f.i.port_down(t0, f.out);
    EXPECT_EQ(describe(f.out), ""); // still init
    EXPECT_EQ(f.start(t0), "notify(init->fault)");
    EXPECT_EQ(f.i.next_deadline(), std::nullopt);
}

// --- Backup -------------------------------------------------------------------

struct takeover_case {
    const char* name;
    instance_config cfg;
    microseconds down;
};

TEST(instance_backup, takes_over_after_exactly_master_down) {
    const takeover_case cases[] = {
        {"v2 prio 100", v2_config(100), 3609375us},
        {"v2 prio 254", v2_config(254), 3007812us},
        {"v2 prio 1, 3 s",
         [] {
             auto c = v2_config(1);
             c.advert_int = 3s;
             return c;
         }(),
         9996093us},
        {"v3 prio 100, 1 s", v3_config(100), 3609375us},
        {"v3 prio 150, 0.5 s", v3_config(150, 500ms), 1707031us},
        {"v3 prio 100, 0.01 s", v3_config(100, 10ms), 36093us},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        fixture f(c.cfg);
        f.start(at(10s));
        EXPECT_EQ(f.i.next_deadline(), at(10s + c.down));
        EXPECT_EQ(f.timer(at(10s + c.down - 1us)), "");
        EXPECT_EQ(f.i.state(), instance_state::backup);
        EXPECT_EQ(f.timer(at(10s + c.down)), "advert(" + std::to_string(*c.cfg.priority) +
                                                 "), take, garps(5), notify(backup->master)");
        EXPECT_EQ(notify_reason(f.out), "no advert within Master_Down_Interval after start");
        EXPECT_EQ(f.i.next_deadline(), at(10s + c.down + c.cfg.advert_int));
    }
}

TEST(instance_backup, higher_or_equal_priority_resets_the_down_timer) {
    fixture f(v2_config(100));
    f.start(t0);
    EXPECT_EQ(f.rx(at(2s), higher_ip, 200), "");
    EXPECT_EQ(f.i.next_deadline(), at(2s + 3609375us));
    EXPECT_EQ(f.i.master_address(), higher_ip);
    EXPECT_EQ(f.i.master_priority(), 200);
    // Equal priority is accepted whatever the sender's address.
    EXPECT_EQ(f.rx(at(3s), lower_ip, 100), "");
    EXPECT_EQ(f.i.next_deadline(), at(3s + 3609375us));
    EXPECT_EQ(f.i.master_address(), lower_ip);
    EXPECT_EQ(f.i.counters().adverts_received, 2u);
}

TEST(instance_backup, lower_priority_is_discarded_when_preempting) {
    fixture f(v2_config(100));
    f.start(t0);
    EXPECT_EQ(f.rx(at(1s), higher_ip, 50), "log");
    EXPECT_NE(
        log_text(f.out).find("received lower priority (50) advert from 10.99.0.3 - discarding"),
        std::string::npos);
    EXPECT_EQ(f.i.next_deadline(), at(3609375us)); // not reset
    EXPECT_EQ(f.rx(at(2s), higher_ip, 50), "log");
    EXPECT_EQ(f.i.counters().lower_priority_discarded, 2u);
    EXPECT_EQ(f.timer(at(3609375us)), "advert(100), take, garps(5), notify(backup->master)");
    EXPECT_EQ(notify_reason(f.out), "preempting lower priority master");
}

TEST(instance_backup, nopreempt_accepts_lower_priority) {
    auto cfg = v2_config(100);
    cfg.preempt = false;
    fixture f(cfg);
    f.start(t0);
    EXPECT_EQ(f.rx(at(1s), higher_ip, 50), "");
    EXPECT_EQ(f.i.next_deadline(), at(1s + 3609375us));
    EXPECT_EQ(f.i.counters().lower_priority_discarded, 0u);
}

// Flow-state sync (docs/ha.md): a returning node whose flow table is not
// complete accepts the live lower-priority master; once released it
// preempts at the next advert; held, it still takes over a silent master.
TEST(instance_backup, held_preemption_accepts_lower_priority_until_released) {
    fixture f(v2_config(100));
    f.i.hold_preemption(true);
    f.start(t0);
    EXPECT_EQ(f.rx(at(1s), higher_ip, 50), "");
    EXPECT_EQ(f.i.next_deadline(), at(1s + 3609375us)) << "timer reset: the master is accepted";
    EXPECT_EQ(f.i.counters().lower_priority_discarded, 0u);
    f.i.hold_preemption(false);
    EXPECT_EQ(f.rx(at(2s), higher_ip, 50), "log");
    EXPECT_EQ(f.i.counters().lower_priority_discarded, 1u);
    EXPECT_EQ(f.timer(at(1s + 3609375us)), "advert(100), take, garps(5), notify(backup->master)");
}

TEST(instance_backup, held_preemption_still_takes_over_a_silent_master) {
    fixture f(v2_config(100));
    f.i.hold_preemption(true);
    f.start(t0);
    EXPECT_EQ(f.rx(at(1s), higher_ip, 50), "");
    EXPECT_EQ(f.timer(at(1s + 3609375us)), "advert(100), take, garps(5), notify(backup->master)");
}

TEST(instance_backup, priority_zero_sets_the_timer_to_skew) {
    struct zero_case {
        instance_config cfg;
        microseconds skew;
    };
    for (const auto& c : {zero_case{v2_config(100), 609375us}, zero_case{v2_config(200), 218750us},
                          zero_case{v3_config(100, 10ms), 6093us}}) {
        fixture f(c.cfg);
        f.start(t0);
        EXPECT_EQ(f.rx(at(1s), higher_ip, 0), "");
        EXPECT_EQ(f.i.next_deadline(), at(1s + c.skew));
        EXPECT_EQ(f.i.counters().priority_zero_received, 1u);
        EXPECT_EQ(f.timer(at(1s + c.skew - 1us)), "");
        EXPECT_EQ(f.timer(at(1s + c.skew)).substr(0, 7), "advert(");
        EXPECT_EQ(notify_reason(f.out), "master resigned (priority 0), Skew_Time expired");
    }
}

TEST(instance_backup, preempt_delay_keeps_accepting_lower_priority_until_it_expires) {
    auto cfg = v2_config(100);
    cfg.preempt_delay = 5s;
    fixture f(cfg);
    f.start(t0);
    // Lower priority master advertising every second from t = 1 s.
    for (int s = 1; s <= 5; ++s) {
        EXPECT_EQ(f.rx(at(std::chrono::seconds{s}), higher_ip, 50), "") << s;
        EXPECT_EQ(f.i.next_deadline(), at(std::chrono::seconds{s} + 3609375us));
    }
    // preempt_time = 1 s + 5 s = 6 s: from then on, discarded.
    for (int s = 6; s <= 8; ++s) {
        EXPECT_EQ(f.rx(at(std::chrono::seconds{s}), higher_ip, 50), "log") << s;
    }
    EXPECT_EQ(f.timer(at(5s + 3609375us - 1us)), "");
    EXPECT_EQ(f.timer(at(5s + 3609375us)), "advert(100), take, garps(5), notify(backup->master)");
}

TEST(instance_backup, preempt_delay_is_cleared_by_a_higher_priority_advert) {
    auto cfg = v2_config(100);
    cfg.preempt_delay = 5s;
    fixture f(cfg);
    f.start(t0);
    f.rx(at(1s), higher_ip, 50);                // starts preempt_time = 6 s
    f.rx(at(2s), higher_ip, 200);               // stop preempt delay
    f.rx(at(3s), higher_ip, 50);                // restarts it: 8 s
    EXPECT_EQ(f.rx(at(7s), higher_ip, 50), ""); // still inside the delay
    EXPECT_EQ(f.rx(at(8s), higher_ip, 50), "log");
}

TEST(instance_backup, v3_adopts_the_masters_interval) {
    fixture f(v3_config(100, 1s));
    f.start(t0);
    advert a = peer_advert(f.i, 200);
    a.interval = v3_advert_int{50};
    EXPECT_EQ(f.rx(at(1s), higher_ip, a), "log");
    EXPECT_EQ(f.i.master_adver_interval(), 500ms);
    // 3 * 0.5 s + (256-100)*50*625/16 us
    EXPECT_EQ(f.i.next_deadline(), at(1s + 1804687us));
    EXPECT_EQ(f.i.counters().interval_adopted, 1u);
    // Our own adverts keep our configured interval.
    EXPECT_EQ(f.i.make_advert(100).interval,
              (std::variant<v2_advert_int, v3_advert_int>{v3_advert_int{100}}));
}

TEST(instance_backup, v3_subsecond_takeover_and_adverts) {
    fixture f(v3_config(100, 10ms));
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(m, at(36093us));
    EXPECT_EQ(f.i.next_deadline(), at(46093us));
    EXPECT_EQ(f.timer(at(46093us)), "advert(100)");
    EXPECT_EQ(f.i.next_deadline(), at(56093us));
}

TEST(instance_backup, adverts_in_init_and_fault_are_ignored) {
    fixture f(v2_config());
    EXPECT_EQ(f.rx(t0, higher_ip, 200), "");
    f.start(t0);
    f.i.port_down(at(1s), f.out);
    EXPECT_EQ(f.rx(at(2s), higher_ip, 200), "");
    EXPECT_EQ(f.i.counters().adverts_ignored, 2u);
    EXPECT_EQ(f.i.counters().adverts_received, 0u);
}

TEST(instance_backup, wrong_vrid_is_ignored_defensively) {
    fixture f(v2_config());
    f.start(t0);
    advert a = peer_advert(f.i, 200);
    a.vrid = 99;
    EXPECT_EQ(f.rx(at(1s), higher_ip, a), "log");
    EXPECT_EQ(f.i.next_deadline(), at(3609375us));
}

// --- Master -------------------------------------------------------------------

TEST(instance_master, advertises_every_advert_int) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(f.timer(m + 999999us), ""); // early: harmless
    EXPECT_EQ(f.timer(m + 1s), "advert(100)");
    EXPECT_EQ(f.i.next_deadline(), m + 2s);
    // Late by 2.5 s: one advert, rescheduled from now (keepalived).
    EXPECT_EQ(f.timer(m + 4500ms), "advert(100)");
    EXPECT_EQ(f.i.next_deadline(), m + 5s); // the second GARP burst comes first
    EXPECT_EQ(f.timer(m + 5s), "garps(5)");
    EXPECT_EQ(f.i.next_deadline(), m + 5500ms);
    EXPECT_EQ(f.i.counters().adverts_sent, 3u);
}

TEST(instance_master, garp_schedule_with_delay_and_refresh) {
    auto cfg = v2_config(100);
    cfg.garp_master_repeat = 3;
    cfg.garp_master_delay = 5s;
    cfg.garp_master_refresh = 10s;
    cfg.garp_master_refresh_repeat = 2;
    cfg.advert_int = 7s; // keep adverts out of the way
    fixture f(cfg);
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(describe(f.out), "advert(100), take, garps(3), notify(backup->master)");
    EXPECT_EQ(f.i.next_deadline(), m + 5s);
    EXPECT_EQ(f.timer(m + 5s), "garps(3)");
    EXPECT_EQ(f.i.next_deadline(), m + 7s);
    EXPECT_EQ(f.timer(m + 7s), "advert(100)");
    EXPECT_EQ(f.i.next_deadline(), m + 10s);
    EXPECT_EQ(f.timer(m + 10s), "garps(2)");
    EXPECT_EQ(f.timer(m + 14s), "advert(100)");
    EXPECT_EQ(f.timer(m + 20s), "garps(2)");
    EXPECT_EQ(f.i.next_deadline(), m + 21s);
    EXPECT_EQ(f.i.counters().garp_bursts, 4u);
}

TEST(instance_master, no_second_burst_without_delay) {
    auto cfg = v2_config(100);
    cfg.garp_master_delay = 0s;
    fixture f(cfg);
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(f.i.next_deadline(), m + 1s);
    for (int k = 1; k <= 6; ++k) {
        EXPECT_EQ(f.timer(m + std::chrono::seconds{k}), "advert(100)");
    }
}

TEST(instance_master, priority_zero_gets_an_immediate_advert) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(f.rx(m + 300ms, higher_ip, 0), "advert(100)");
    EXPECT_EQ(f.i.next_deadline(), m + 1300ms); // Adver_Timer reset
    EXPECT_EQ(f.i.state(), instance_state::master);
}

struct master_rx_case {
    const char* name;
    ipv4_addr src;
    std::uint8_t prio;
    const char* actions;
    instance_state after;
    const char* reason;
};

TEST(instance_master, election_rules) {
    const master_rx_case cases[] = {
        {"higher priority", lower_ip, 101, "release, notify(master->backup)",
         instance_state::backup, "higher priority 101 advert from 10.99.0.1, ours 100"},
        {"equal priority, higher address", higher_ip, 100, "release, notify(master->backup)",
         instance_state::backup, "same priority 100 advert from higher address 10.99.0.3"},
        {"equal priority, lower address: forcing new election", lower_ip, 100,
         "log, advert(100), garps(5)", instance_state::master, ""},
        {"lower priority: forcing new election", higher_ip, 99, "log, advert(100), garps(5)",
         instance_state::master, ""},
        {"equal priority from our own address", ipv4_addr{10, 99, 0, 2}, 100, "log",
         instance_state::master, ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        fixture f(v2_config(100));
        const auto m = f.run_to_master(t0);
        EXPECT_EQ(f.rx(m + 200ms, c.src, c.prio), c.actions);
        EXPECT_EQ(f.i.state(), c.after);
        EXPECT_EQ(notify_reason(f.out), c.reason);
        if (c.after == instance_state::backup) {
            EXPECT_EQ(f.i.next_deadline(), m + 200ms + 3609375us);
            EXPECT_EQ(f.i.master_address(), c.src);
            EXPECT_EQ(f.i.counters().released_master, 1u);
        }
    }
}

TEST(instance_master, lower_priority_re_advertises_and_regarps_later) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    f.timer(m + 5s); // the become-master second burst is out of the way
    f.timer(m + 5s);
    const auto t = m + 5500ms;
    EXPECT_EQ(f.rx(t, higher_ip, 50), "log, advert(100), garps(5)");
    EXPECT_NE(log_text(f.out).find("with lower priority 50, ours 100, forcing new election"),
              std::string::npos);
    EXPECT_EQ(f.i.counters().forced_elections, 1u);
    EXPECT_EQ(f.i.next_deadline(), t + 1s); // Adver_Timer reset by the advert
    f.timer(t + 1s);
    f.timer(t + 2s);
    f.timer(t + 3s);
    f.timer(t + 4s);
    EXPECT_EQ(f.i.next_deadline(), t + 5s);
    EXPECT_EQ(f.timer(t + 5s), "advert(100), garps(5)");
}

TEST(instance_master, lower_prio_no_advert_and_no_garps) {
    auto cfg = v2_config(100);
    cfg.lower_prio_no_advert = true;
    cfg.garp_lower_prio_repeat = 0;
    fixture f(cfg);
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(f.rx(m + 200ms, higher_ip, 50), "log");
    EXPECT_EQ(f.i.next_deadline(), m + 1s);
}

TEST(instance_master, higher_prio_send_advert_before_leaving) {
    auto cfg = v2_config(100);
    cfg.higher_prio_send_advert = true;
    fixture f(cfg);
    const auto m = f.run_to_master(t0);
    EXPECT_EQ(f.rx(m + 1ms, higher_ip, 200), "advert(100), release, notify(master->backup)");
}

TEST(instance_master, two_owners_drop_to_254) {
    fixture f(v2_config(255));
    f.start(t0);
    EXPECT_EQ(f.rx(at(1ms), lower_ip, 255), "log, release, notify(master->backup)");
    EXPECT_NE(log_text(f.out).find("CONFIGURATION ERROR"), std::string::npos);
    EXPECT_EQ(f.i.effective_priority(), 254);
    EXPECT_EQ(f.i.base_priority(), 254);
    EXPECT_EQ(f.i.next_deadline(), at(1ms + 3007812us)); // skew at 254
}

TEST(instance_master, v3_backup_from_master_adopts_the_new_interval) {
    fixture f(v3_config(100, 1s));
    const auto m = f.run_to_master(t0);
    advert a = peer_advert(f.i, 200);
    a.interval = v3_advert_int{25};
    EXPECT_EQ(f.rx(m, higher_ip, a), "release, notify(master->backup)");
    EXPECT_EQ(f.i.master_adver_interval(), 250ms);
    EXPECT_EQ(f.i.next_deadline(), m + 750ms + 152343us); // 156*25*625/16 = 152343.75
}

// --- Fault, resign, shutdown, priority ------------------------------------------

TEST(instance_fault, backup_port_down_and_up) {
    fixture f(v2_config(100));
    f.start(t0);
    f.out.clear();
    f.i.port_down(at(1s), f.out);
    EXPECT_EQ(describe(f.out), "notify(backup->fault)");
    EXPECT_EQ(notify_reason(f.out), "port down");
    EXPECT_EQ(f.i.next_deadline(), std::nullopt);
    EXPECT_EQ(f.timer(at(10s)), "");
    f.out.clear();
    f.i.port_up(at(20s), f.out);
    EXPECT_EQ(describe(f.out), "notify(fault->backup)");
    EXPECT_EQ(f.i.next_deadline(), at(20s + 3609375us));
}

TEST(instance_fault, master_port_down_sends_priority_zero_first) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    f.out.clear();
    f.i.port_down(m + 1s, f.out);
    EXPECT_EQ(describe(f.out), "advert(0), release, notify(master->fault)");
    EXPECT_EQ(f.i.next_deadline(), std::nullopt);
    EXPECT_EQ(f.i.counters().priority_zero_sent, 1u);
    f.out.clear();
    f.i.port_up(m + 2s, f.out);
    EXPECT_EQ(describe(f.out), "notify(fault->backup)");
}

TEST(instance_fault, owner_goes_master_when_the_port_comes_back) {
    fixture f(v2_config(255));
    f.start(t0);
    f.out.clear();
    f.i.port_down(at(1s), f.out);
    f.out.clear();
    f.i.port_up(at(2s), f.out);
    EXPECT_EQ(describe(f.out), "advert(255), take, garps(5), notify(fault->master)");
}

TEST(instance_fault, port_and_admin_faults_both_have_to_clear) {
    fixture f(v2_config(100));
    f.start(t0);
    f.i.port_down(at(1s), f.out);
    f.i.set_fault(at(2s), true, "track script", f.out);
    f.out.clear();
    f.i.port_up(at(3s), f.out);
    EXPECT_EQ(describe(f.out), "");
    EXPECT_EQ(f.i.state(), instance_state::fault);
    f.i.set_fault(at(4s), false, "track script ok", f.out);
    EXPECT_EQ(describe(f.out), "notify(fault->backup)");
    EXPECT_EQ(notify_reason(f.out), "track script ok");
}

TEST(instance_admin, resign_hands_over_and_stops_preempting) {
    fixture f(v2_config(200));
    const auto m = f.run_to_master(t0);
    f.out.clear();
    ASSERT_TRUE(f.i.resign(m + 1s, f.out).ok());
    EXPECT_EQ(describe(f.out), "advert(0), release, notify(master->backup)");
    EXPECT_EQ(notify_reason(f.out), "resigned by operator");
    EXPECT_TRUE(f.i.resigned());
    // The lower priority peer takes over; we do not preempt it back.
    EXPECT_EQ(f.rx(m + 2s, higher_ip, 100), "");
    EXPECT_EQ(f.i.next_deadline(), m + 2s + 3218750us);
    f.out.clear();
    f.i.resume(m + 3s, f.out);
    EXPECT_EQ(describe(f.out), "log");
    EXPECT_EQ(f.rx(m + 3s, higher_ip, 100), "log"); // discarded again
    EXPECT_FALSE(f.i.resign(m + 4s, f.out).ok());   // not master
}

TEST(instance_admin, resigned_backup_still_takes_over_a_silent_master) {
    fixture f(v2_config(200));
    const auto m = f.run_to_master(t0);
    ASSERT_TRUE(f.i.resign(m, f.out).ok());
    EXPECT_EQ(f.timer(m + 3218750us), "advert(200), take, garps(5), notify(backup->master)");
}

TEST(instance_admin, shutdown_from_master_and_restart) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    f.out.clear();
    f.i.shutdown(m + 1s, f.out);
    EXPECT_EQ(describe(f.out), "advert(0), release, notify(master->init)");
    EXPECT_EQ(f.i.next_deadline(), std::nullopt);
    EXPECT_EQ(f.start(m + 2s), "notify(init->backup)");
    f.out.clear();
    f.i.shutdown(m + 3s, f.out);
    EXPECT_EQ(describe(f.out), "notify(backup->init)");
}

TEST(instance_admin, set_priority_moves_a_backup_deadline_by_the_skew_change) {
    fixture f(v2_config(100));
    f.start(t0);
    ASSERT_TRUE(f.i.set_priority(at(1s), 200, f.out).ok());
    EXPECT_EQ(f.i.effective_priority(), 200);
    EXPECT_EQ(f.i.next_deadline(), at(3000000us + 218750us)); // 609375 -> 218750
    EXPECT_FALSE(f.i.set_priority(at(1s), 0, f.out).ok());
    EXPECT_FALSE(f.i.set_priority(at(1s), 255, f.out).ok());
    fixture owner(v2_config(255));
    EXPECT_FALSE(owner.i.set_priority(t0, 100, owner.out).ok());
}

TEST(instance_admin, master_advertises_a_new_priority_at_the_next_advert) {
    fixture f(v2_config(100));
    const auto m = f.run_to_master(t0);
    f.out.clear();
    ASSERT_TRUE(f.i.set_priority(m + 1ms, 50, f.out).ok());
    EXPECT_EQ(describe(f.out), "log");
    EXPECT_EQ(f.timer(m + 1s), "advert(50)");
}

// --- Observability -------------------------------------------------------------

TEST(instance_observe, history_is_bounded_and_ordered) {
    fixture f(v2_config(100));
    f.start(t0);
    for (int k = 0; k < 40; ++k) {
        f.i.port_down(at(std::chrono::seconds{2 * k + 1}), f.out);
        f.i.port_up(at(std::chrono::seconds{2 * k + 2}), f.out);
    }
    const auto& h = f.i.history();
    ASSERT_EQ(h.size(), instance::history_capacity);
    EXPECT_EQ(h.back().at, at(80s));
    EXPECT_EQ(h.back().from, instance_state::fault);
    EXPECT_EQ(h.back().to, instance_state::backup);
    EXPECT_EQ(h.back().reason, "port up");
    EXPECT_EQ(h.front().at, at(49s));
}

TEST(instance_observe, adverts_it_builds_match_keepalived_bytes) {
    // VRID 51, prio 150, PASS "secret12", 10.99.0.100/101, 1 s: the golden v2.
    auto cfg = v2_config(150);
    cfg.auth = auth_kind::pass;
    cfg.auth_pass = "secret12";
    cfg.virtual_addresses = {ipv4_addr{10, 99, 0, 100}, ipv4_addr{10, 99, 0, 101}};
    fixture f(cfg);
    std::array<std::uint8_t, max_message_size> buf{};
    const auto n = encode(f.i.make_advert(150), ipv4_addr{10, 99, 0, 1}, multicast_group, buf);
    const std::vector<std::uint8_t> got(buf.begin(), buf.begin() + static_cast<long>(n));
    const std::vector<std::uint8_t> want{0x21, 0x33, 0x96, 0x02, 0x01, 0x01, 0xc4, 0xbb,
                                         0x0a, 0x63, 0x00, 0x64, 0x0a, 0x63, 0x00, 0x65,
                                         's',  'e',  'c',  'r',  'e',  't',  '1',  '2'};
    EXPECT_EQ(got, want);
    // v3: VRID 52, prio 100, 0.5 s, 10.99.0.200 from 10.99.0.1.
    auto c3 = v3_config(100, 500ms);
    c3.vrid = 52;
    c3.virtual_addresses = {ipv4_addr{10, 99, 0, 200}};
    fixture f3(c3);
    const auto n3 = encode(f3.i.make_advert(100), ipv4_addr{10, 99, 0, 1}, multicast_group, buf);
    const std::vector<std::uint8_t> got3(buf.begin(), buf.begin() + static_cast<long>(n3));
    EXPECT_EQ(got3, (std::vector<std::uint8_t>{0x31, 0x34, 0x64, 0x01, 0x00, 0x32, 0x74, 0x7a, 0x0a,
                                               0x63, 0x00, 0xc8}));
}

} // namespace
} // namespace vipgate::vrrp::test
