// lib/sync session: the reliability and bulk resync state machines, two
// nodes on a fake clock joined by a lossy fake link (drop every Nth frame,
// or a seeded random share), checked for exactly-once in-order delivery,
// bounded retransmission, replay refusal, epochs and bulk completion.

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <tuple>

#include "sync/session.hpp"

namespace {

using namespace vipgate;
using namespace vipgate::sync;
using bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

time_point at(std::int64_t ms) {
    return time_point{milliseconds{ms}};
}

flow_record flow(std::uint32_t i, record_type t = record_type::flow_add) {
    return flow_record{.type = t,
                       .client = net::ipv4_addr{0xc0000000u + (i >> 16)},
                       .vip = {10, 99, 0, 100},
                       .rs = {172, 16, 0, static_cast<std::uint8_t>(i % 7)},
                       .client_port = static_cast<std::uint16_t>(i & 0xffff),
                       .vport = 80,
                       .rs_port = 8080,
                       .proto = lb::protocol::tcp,
                       .state = lb::flow_state::established,
                       .timeout_ms = 900000};
}

using flow_key = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;
flow_key key_of(const flow_record& f) {
    return {f.client.value, f.client_port, f.vip.value, f.vport};
}

// A node's flow table, as a map; also the source of its bulk streams.
struct table : table_source {
    std::map<flow_key, flow_record> flows;
    std::map<flow_key, flow_record>::const_iterator it;
    void rewind() override { it = flows.begin(); }
    bool next(record& out) override {
        if (it == flows.end()) {
            return false;
        }
        flow_record f = it->second;
        f.type = record_type::flow_add;
        out = f;
        ++it;
        return true;
    }
    void apply(const record& r) {
        const auto* f = std::get_if<flow_record>(&r);
        if (f == nullptr) {
            return;
        }
        if (f->type == record_type::flow_delete) {
            flows.erase(key_of(*f));
        } else {
            flows[key_of(*f)] = *f;
        }
    }
};

struct node {
    session s;
    table own;                       // flows this node forwards (its bulk source)
    table received;                  // flows installed from the peer
    std::vector<record> incremental; // non-bulk records installed, in order
    std::uint64_t bulk_records = 0;
    std::vector<peer_changed> changes;
    std::vector<bytes> outbox;
    std::uint64_t sent_frames = 0;

    explicit node(session_config cfg) : s(session::make(std::move(cfg)).value()) {
        s.set_source(&own);
    }
    void take(std::vector<action>& acts) {
        for (auto& a : acts) {
            if (auto* m = std::get_if<send_message>(&a)) {
                outbox.push_back(std::move(m->bytes));
            } else if (auto* ins = std::get_if<install_records>(&a)) {
                for (const auto& r : ins->records) {
                    received.apply(r);
                    if (ins->bulk) {
                        ++bulk_records;
                    } else {
                        incremental.push_back(r);
                    }
                }
            } else if (auto* c = std::get_if<peer_changed>(&a)) {
                changes.push_back(*c);
            }
        }
        acts.clear();
    }
    // Forward an event: into our own table and the sync stream.
    void event(time_point now, const flow_record& f) {
        own.apply(f);
        std::vector<action> acts;
        s.queue(now, f, acts);
        take(acts);
    }
};

session_config config(std::uint32_t node_id, std::uint32_t epoch = 100) {
    session_config c;
    c.node = node_id;
    c.sync_id = 51;
    c.epoch = epoch;
    c.retransmit_timeout = milliseconds{50};
    c.max_retries = 10;
    c.keepalive_interval = milliseconds{200};
    c.peer_timeout = milliseconds{1000};
    c.bulk_rate = 100'000;
    return c;
}

// Frames in flight take 1 ms; `drop` decides per frame.
struct link {
    struct frame {
        std::int64_t due;
        bytes data;
        bool to_b;
    };
    std::deque<frame> air;
    std::function<bool(bool to_b)> drop = [](bool) { return false; };
    std::uint64_t dropped = 0;
    std::vector<bytes> seen_by_b; // every frame delivered to b
    unsigned jitter = 0;          // extra delay 0..jitter-1 ms: reorders frames
    std::mt19937 jrng{42};

    void step(std::int64_t t, node& a, node& b) {
        std::vector<action> acts;
        a.s.on_timer(at(t), acts);
        a.take(acts);
        b.s.on_timer(at(t), acts);
        b.take(acts);
        send(t, a, true);
        send(t, b, false);
        while (!air.empty() && air.front().due <= t) {
            frame f = std::move(air.front());
            air.pop_front();
            node& dst = f.to_b ? b : a;
            if (f.to_b) {
                seen_by_b.push_back(f.data);
            }
            dst.s.on_message(at(t), f.data, acts);
            dst.take(acts);
            send(t, dst, !f.to_b);
        }
    }
    void send(std::int64_t t, node& n, bool to_b) {
        for (auto& m : n.outbox) {
            ++n.sent_frames;
            if (drop(to_b)) {
                ++dropped;
                continue;
            }
            const std::int64_t due =
                t + 1 + (jitter > 0 ? static_cast<std::int64_t>(jrng() % jitter) : 0);
            // Kept sorted by arrival time: a later frame may overtake.
            auto pos = std::upper_bound(air.begin(), air.end(), due,
                                        [](std::int64_t d, const frame& f) { return d < f.due; });
            air.insert(pos, frame{due, std::move(m), to_b});
        }
        n.outbox.clear();
    }
    void run(std::int64_t& t, std::int64_t until, node& a, node& b) {
        for (; t < until; ++t) {
            step(t, a, b);
        }
    }
};

TEST(SyncSession, ConfigIsValidated) {
    EXPECT_FALSE(session::make(session_config{}).ok());
    session_config c = config(1);
    EXPECT_TRUE(session::make(c).ok());
    c.max_message = 60;
    EXPECT_FALSE(session::make(c).ok());
    c = config(1);
    c.peer_timeout = c.keepalive_interval;
    EXPECT_FALSE(session::make(c).ok());
    c = config(1);
    c.bulk_rate = 0;
    EXPECT_FALSE(session::make(c).ok());
}

TEST(SyncSession, PeersMeetResyncAndGetInSync) {
    node a(config(1));
    node b(config(2));
    a.own.apply(flow(1));
    a.own.apply(flow(2));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    ASSERT_NE(b.s.peer(1), nullptr);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    EXPECT_EQ(a.s.peer(2)->state, peer_state::in_sync);
    EXPECT_TRUE(a.s.in_sync());
    EXPECT_TRUE(b.s.in_sync());
    EXPECT_EQ(b.received.flows, a.own.flows);
    EXPECT_EQ(b.bulk_records, 2u);
    EXPECT_EQ(b.s.peer(1)->last_bulk_records, 2u);
    ASSERT_GE(b.changes.size(), 2u);
    EXPECT_TRUE(b.changes[0].first_contact);
    EXPECT_EQ(b.changes.back().to, peer_state::in_sync);
    EXPECT_EQ(b.changes.back().reason, "bulk resync done (2 records)");
    EXPECT_EQ(a.s.counters().refused_total(), 0u);
    EXPECT_EQ(a.s.unacked(), 0u);
}

// A source read by other threads (the workers' export walks): it has
// nothing for a while but says pending(); the bulk pass waits, then sends
// every record before its bulk_end.
struct slow_table : table_source {
    table inner;
    int dry_calls = 0; // next() says "nothing yet" this many times after a rewind
    int dry_left = 0;
    void rewind() override {
        inner.rewind();
        dry_left = dry_calls;
    }
    bool was_dry = false;
    bool next(record& out) override {
        was_dry = dry_left > 0;
        if (was_dry) {
            --dry_left;
            return false;
        }
        return inner.next(out);
    }
    bool pending() const override { return was_dry; }
};

TEST(SyncSession, BulkWaitsForAPendingSource) {
    node a(config(1));
    node b(config(2));
    slow_table src;
    src.dry_calls = 40;
    for (std::uint32_t i = 0; i < 300; ++i) {
        src.inner.apply(flow(i));
    }
    a.s.set_source(&src);
    link l;
    std::int64_t t = 0;
    l.run(t, 20, a, b);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::bulk) << "the pass waits, it does not end empty";
    l.run(t, 500, a, b);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    EXPECT_EQ(b.bulk_records, 300u);
    EXPECT_EQ(b.s.peer(1)->last_bulk_records, 300u);
    EXPECT_EQ(b.received.flows, src.inner.flows);
}

// Exactly once, in order, under loss; retransmissions bounded.
void lossy_stream(std::function<bool(bool)> drop, const char* what, unsigned jitter = 0) {
    node a(config(1));
    node b(config(2));
    link l;
    l.jitter = jitter;
    std::int64_t t = 0;
    l.run(t, 3000, a, b); // meet, even if the first keepalives are lost
    ASSERT_TRUE(a.s.in_sync()) << what;
    ASSERT_TRUE(b.s.in_sync()) << what;
    l.drop = std::move(drop);
    std::vector<record> sent;
    for (std::uint32_t i = 0; i < 6000; ++i) {
        const auto type = i % 5 == 4   ? record_type::flow_delete
                          : i % 5 == 3 ? record_type::flow_state
                                       : record_type::flow_add;
        flow_record f = flow(i % 1500, type);
        f.timeout_ms = i; // makes every record distinct
        a.event(at(t), f);
        sent.push_back(f);
        if (i % 3 == 0) {
            l.step(t++, a, b);
        }
    }
    l.run(t, t + 3000, a, b);
    EXPECT_GT(l.dropped, 0u) << what;
    EXPECT_EQ(b.incremental, sent) << what;
    EXPECT_EQ(b.received.flows, a.own.flows) << what;
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync) << what;
    EXPECT_EQ(a.s.peer(2)->state, peer_state::in_sync) << what;
    EXPECT_EQ(a.s.unacked(), 0u) << what;
    EXPECT_EQ(a.s.counters().abandoned, 0u) << what;
    const auto& c = a.s.counters();
    EXPECT_GT(c.retransmitted, 0u) << what;
    // Every data message is resent at most max_retries times.
    EXPECT_LE(c.retransmitted, (a.s.next_seq() - 1) * a.s.config().max_retries) << what;
}

TEST(SyncSession, DropEvery7thFrame) {
    std::uint64_t n = 0;
    lossy_stream([n](bool) mutable { return ++n % 7 == 0; }, "every 7th");
}

TEST(SyncSession, DropSeededRandomFivePercent) {
    for (const unsigned seed : {12345u, 1u, 2u, 3u, 4u}) {
        std::mt19937 rng(seed);
        lossy_stream([rng](bool) mutable { return rng() % 100 < 5; },
                     ("random 5%, seed " + std::to_string(seed)).c_str());
    }
}

TEST(SyncSession, DropSeededRandomTwentyPercent) {
    std::mt19937 rng(99);
    lossy_stream([rng](bool) mutable { return rng() % 100 < 20; }, "random 20%");
}

TEST(SyncSession, ReorderedAndLost) {
    std::mt19937 rng(5);
    lossy_stream([rng](bool) mutable { return rng() % 100 < 5; }, "5% and reordered", 8);
}

TEST(SyncSession, ReplaysAndForeignMessagesAreRefused) {
    node a(config(1));
    node b(config(2));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    a.event(at(t), flow(7));
    l.run(t, t + 100, a, b);
    ASSERT_EQ(b.incremental.size(), 1u);
    // Every frame b has seen, again: nothing is installed twice.
    const auto before = b.s.counters().refused[static_cast<std::size_t>(reason::duplicate)];
    std::vector<action> acts;
    for (const auto& f : l.seen_by_b) {
        b.s.on_message(at(t), f, acts);
    }
    b.take(acts);
    EXPECT_EQ(b.incremental.size(), 1u);
    EXPECT_GT(b.s.counters().refused[static_cast<std::size_t>(reason::duplicate)], before);
    // Its own frames (multicast loopback), another sync id, an unknown peer.
    node c(config(3));
    c.s.on_timer(at(t), acts); // keepalive
    c.take(acts);
    ASSERT_FALSE(c.outbox.empty());
    const bytes from_c = c.outbox.front();
    node b2([] {
        auto cfg = config(2);
        cfg.peers = {1};
        return cfg;
    }());
    b2.s.on_message(at(t), from_c, acts);
    EXPECT_EQ(b2.s.counters().refused[static_cast<std::size_t>(reason::unknown_peer)], 1u);
    c.s.on_message(at(t), from_c, acts);
    EXPECT_EQ(c.s.counters().refused[static_cast<std::size_t>(reason::own_message)], 1u);
    node d([] {
        auto cfg = config(4);
        cfg.sync_id = 52;
        return cfg;
    }());
    d.s.on_message(at(t), from_c, acts);
    EXPECT_EQ(d.s.counters().refused[static_cast<std::size_t>(reason::wrong_sync_id)], 1u);
    EXPECT_TRUE(b2.s.peers().empty());
    EXPECT_TRUE(d.s.peers().empty());
    // Garbage counts its decoder reason.
    const bytes junk = {0, 1, 2};
    d.s.on_message(at(t), junk, acts);
    EXPECT_EQ(d.s.counters().refused[static_cast<std::size_t>(reason::too_short)], 1u);
    // A keyed node refuses unauthenticated frames.
    node e([] {
        auto cfg = config(5);
        cfg.key = {1, 2, 3};
        return cfg;
    }());
    e.s.on_message(at(t), from_c, acts);
    EXPECT_EQ(e.s.counters().refused[static_cast<std::size_t>(reason::missing_hmac)], 1u);
    EXPECT_TRUE(acts.empty());
}

TEST(SyncSession, KeyedPairSyncs) {
    auto ca = config(1);
    auto cb = config(2);
    ca.key = cb.key = {9, 9, 9, 9};
    node a(ca);
    node b(cb);
    a.own.apply(flow(1));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    EXPECT_TRUE(b.s.in_sync());
    EXPECT_EQ(b.received.flows, a.own.flows);
    EXPECT_EQ(b.s.counters().refused_total(), 0u);
}

TEST(SyncSession, CutLinkLosesThePeerWithBoundedRetriesAndRecoversByBulk) {
    auto ca = config(1);
    ca.max_retries = 3;
    node a(ca);
    node b(config(2));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    ASSERT_TRUE(a.s.in_sync());
    bool cut = true;
    l.drop = [&cut](bool) { return cut; };
    const auto retrans0 = a.s.counters().retransmitted;
    a.event(at(t), flow(42));
    // 3 retransmissions 50 ms apart, then the 4th timeout gives up.
    l.run(t, t + 300, a, b);
    EXPECT_EQ(a.s.counters().retransmitted - retrans0, 3u);
    EXPECT_EQ(a.s.counters().abandoned, 1u);
    EXPECT_EQ(a.s.peer(2)->state, peer_state::lost);
    EXPECT_EQ(a.s.peer(2)->reason, "no ACK after 3 retransmissions");
    EXPECT_EQ(a.s.unacked(), 0u);
    // b hears nothing for peer_timeout.
    l.run(t, t + 1100, a, b);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::lost);
    EXPECT_EQ(b.received.flows.count(key_of(flow(42))), 0u);
    // The link heals: both resync by bulk, and b has the flow it missed.
    cut = false;
    a.event(at(t), flow(43));
    l.run(t, t + 500, a, b);
    EXPECT_EQ(a.s.peer(2)->state, peer_state::in_sync);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    EXPECT_EQ(b.received.flows, a.own.flows);
    EXPECT_GE(b.s.peer(1)->bulks_completed, 2u);
}

TEST(SyncSession, RestartedPeerIsANewEpochAndOldEpochIsAReplay) {
    node a(config(1, 100));
    node b(config(2));
    a.own.apply(flow(1));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    ASSERT_TRUE(b.s.in_sync());
    const bytes old_frame = l.seen_by_b.back();
    // a restarts: a new epoch, a table of its own (say, what it forwarded
    // since), sequences from 1 again.
    node a2(config(1, 101));
    a2.own.apply(flow(2));
    l.air.clear();
    l.run(t, t + 100, a2, b);
    EXPECT_EQ(b.s.peer(1)->epoch, 101u);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    bool saw_restart = false;
    for (const auto& c : b.changes) {
        saw_restart |= c.reason == "peer restarted (epoch 101)";
    }
    EXPECT_TRUE(saw_restart);
    EXPECT_EQ(b.received.flows.count(key_of(flow(2))), 1u);
    // The restarted a asked b for its table too.
    EXPECT_TRUE(a2.s.in_sync());
    std::vector<action> acts;
    b.s.on_message(at(t), old_frame, acts);
    EXPECT_EQ(b.s.counters().refused[static_cast<std::size_t>(reason::old_epoch)], 1u);
    EXPECT_TRUE(acts.empty());

    // a restarts again with a clock that went backwards (epoch 99): refused
    // while epoch 101 is alive, accepted once that one is lost.
    node a3(config(1, 99));
    l.air.clear();
    l.run(t, t + 100, a3, b);
    EXPECT_EQ(b.s.peer(1)->epoch, 101u);
    EXPECT_GT(b.s.counters().refused[static_cast<std::size_t>(reason::old_epoch)], 1u);
    l.run(t, t + 1000, a3, b);
    EXPECT_EQ(b.s.peer(1)->epoch, 99u);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    EXPECT_TRUE(a3.s.in_sync());
}

TEST(SyncSession, BulkUnderLossIsRateBoundedAndCompletesWithItsMarker) {
    node a(config(1));
    node b(config(2));
    for (std::uint32_t i = 0; i < 20000; ++i) {
        a.own.apply(flow(i));
    }
    std::mt19937 rng(7);
    link l;
    l.drop = [&rng](bool) { return rng() % 100 < 5; };
    std::int64_t t = 0;
    std::int64_t done_at = -1;
    std::uint32_t next_event = 20000;
    for (; t < 5000; ++t) {
        // Incremental events keep flowing during the bulk: new flows.
        if (t % 10 == 0 && t < 300) {
            a.event(at(t), flow(next_event++));
        }
        l.step(t, a, b);
        if (done_at < 0 && b.s.peer(1) != nullptr && b.s.peer(1)->bulks_completed > 0) {
            done_at = t;
        }
    }
    ASSERT_GE(done_at, 0);
    // 20000 records at 100000/s cannot take less than 200 ms (minus the
    // 10 ms burst).
    EXPECT_GE(done_at, 190);
    EXPECT_LT(done_at, 1000);
    EXPECT_TRUE(b.s.in_sync());
    EXPECT_EQ(b.received.flows, a.own.flows);
    const auto* pa = b.s.peer(1);
    EXPECT_EQ(pa->last_bulk_records, b.bulk_records);
    // The requester measures the bulk from its request to the bulk_end: at
    // least the time to the first delivery, at most the end of the run.
    EXPECT_GE(pa->last_bulk_time.count(), 190);
    EXPECT_LE(pa->last_bulk_time.count(), done_at);
    EXPECT_EQ(b.s.counters().records_received,
              b.bulk_records + b.incremental.size() + /* bulk_request, bulk_end */ 2);
    EXPECT_GT(l.dropped, 0u);
}

TEST(SyncSession, GapAbandonedBySenderTriggersBulk) {
    auto ca = config(1);
    ca.max_retries = 0; // give up at the first timeout
    node a(ca);
    node b(config(2));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    // Drop exactly the next data frame a sends to b.
    int n = 0;
    l.drop = [&n](bool to_b) { return to_b && n++ == 0; };
    a.event(at(t), flow(1));
    l.run(t, t + 10, a, b);
    l.drop = [](bool) { return false; };
    l.run(t, t + 100, a, b); // a gives up; its next frames show the gap
    a.event(at(t), flow(2));
    l.run(t, t + 300, a, b);
    EXPECT_GE(b.s.peer(1)->gaps, 1u);
    EXPECT_EQ(b.s.peer(1)->state, peer_state::in_sync);
    EXPECT_EQ(b.received.flows, a.own.flows);
}

// The shell will sleep until next_deadline() or a frame: nothing may stall
// when the sessions are only woken then.
TEST(SyncSession, DrivenOnlyByNextDeadline) {
    node a(config(1));
    node b(config(2));
    for (std::uint32_t i = 0; i < 5000; ++i) {
        a.own.apply(flow(i));
    }
    std::mt19937 rng(3);
    link l;
    l.drop = [&rng](bool) { return rng() % 100 < 5; };
    std::int64_t t = 0;
    std::uint64_t wakeups = 0;
    std::uint32_t next_event = 5000;
    while (t < 3000) {
        if (t >= 100 && next_event < 5100) {
            a.event(at(t), flow(next_event++));
        }
        l.step(t, a, b);
        ++wakeups;
        std::int64_t next =
            std::min(a.s.next_deadline(at(t)), b.s.next_deadline(at(t))).time_since_epoch().count();
        if (!l.air.empty()) {
            next = std::min(next, l.air.front().due);
        }
        t = std::max(next, t + 1);
    }
    EXPECT_TRUE(a.s.in_sync());
    EXPECT_TRUE(b.s.in_sync());
    EXPECT_EQ(b.received.flows, a.own.flows);
    EXPECT_EQ(a.s.unacked(), 0u);
    EXPECT_EQ(a.s.queued(), 0u);
    EXPECT_LT(wakeups, 3000u); // it did sleep
}

TEST(SyncSession, QueueFullIsCounted) {
    auto ca = config(1);
    ca.queue_capacity = 4;
    node a(ca);
    for (std::uint32_t i = 0; i < 10; ++i) {
        a.event(at(0), flow(i));
    }
    EXPECT_EQ(a.s.queued(), 4u);
    EXPECT_EQ(a.s.counters().refused[static_cast<std::size_t>(reason::queue_full)], 6u);
}

TEST(SyncSession, EventsAreBatchedUpToTheMessageSize) {
    node a(config(1));
    node b(config(2));
    link l;
    std::int64_t t = 0;
    l.run(t, 100, a, b);
    const auto sent0 = a.s.counters().messages_sent;
    // 120 events at once: two full messages (50 flows each) leave at once,
    // the remaining 20 after flush_interval.
    for (std::uint32_t i = 0; i < 120; ++i) {
        a.event(at(t), flow(i));
    }
    EXPECT_EQ(a.s.counters().messages_sent - sent0, 2u);
    EXPECT_EQ(a.s.queued(), 20u);
    l.run(t, t + 10, a, b);
    EXPECT_EQ(a.s.queued(), 0u);
    EXPECT_EQ(b.incremental.size(), 120u);
}

} // namespace

namespace {

// A full window is acknowledged long before ack_delay: the receiver ACKs
// every ack_every in-order messages at once (a bulk stream would otherwise
// wait ack_delay per window: 1M flows took 4.9 s instead of 1 s).
TEST(SyncSession, AReceiverAcknowledgesEveryQuarterWindowWithoutWaiting) {
    session_config cb = config(2);
    cb.ack_delay = milliseconds{100};
    node a(config(1));
    node b(cb);
    link l;
    std::int64_t t = 0;
    l.run(t, 500, a, b);
    ASSERT_TRUE(b.s.in_sync());
    ASSERT_EQ(a.s.unacked(), 0u);
    for (std::uint32_t i = 0; i < 2000; ++i) {
        a.event(at(t), flow(i));
    }
    const std::size_t sent = a.s.unacked();
    ASSERT_GE(sent, 2 * ack_every) << "the events fill several messages at once";
    l.run(t, t + 4, a, b); // 1 ms on the link each way: far less than ack_delay
    EXPECT_LE(a.s.unacked(), sent % ack_every + ack_every)
        << "every full quarter window is acknowledged";
    EXPECT_LT(a.s.unacked(), sent);
}

} // namespace
