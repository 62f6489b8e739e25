#include "sync/session.hpp"

#include <algorithm>
#include <string>

namespace vipgate::sync {

namespace {

std::string seqs(std::uint32_t a, std::uint32_t b) {
    return std::to_string(a) + ".." + std::to_string(b);
}

} // namespace

std::string_view peer_state_name(peer_state s) noexcept {
    switch (s) {
    case peer_state::bulk:
        return "bulk";
    case peer_state::in_sync:
        return "in-sync";
    case peer_state::lost:
        return "lost";
    }
    return "?";
}

std::uint64_t session_counters::refused_total() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 1; i < reason_count; ++i) {
        n += refused[i];
    }
    return n;
}

result<void> session_config::validate() const {
    if (node == 0) {
        return make_error("sync: node id must not be 0");
    }
    if (epoch == 0) {
        return make_error("sync: epoch must not be 0");
    }
    const std::size_t trailer = key.empty() ? 0 : hmac_size;
    if (max_message < header_size + trailer + flow_record_size || max_message > max_message_size) {
        return make_error("sync: message size " + std::to_string(max_message) +
                          " cannot hold one record (or exceeds 65535)");
    }
    if (flush_interval.count() < 0 || ack_delay.count() < 0 || retransmit_timeout.count() <= 0 ||
        keepalive_interval.count() <= 0 || peer_timeout <= keepalive_interval) {
        return make_error("sync: timers must be positive and peer_timeout > keepalive_interval");
    }
    if (bulk_rate == 0) {
        return make_error("sync: bulk_rate must be > 0");
    }
    if (queue_capacity == 0) {
        return make_error("sync: queue_capacity must be > 0");
    }
    return {};
}

session::session(session_config cfg) : cfg_(std::move(cfg)) {}

result<session> session::make(session_config cfg) {
    if (auto r = cfg.validate(); !r) {
        return r.err();
    }
    return session(std::move(cfg));
}

peer_info* session::find(std::uint32_t node) noexcept {
    for (auto& p : peers_) {
        if (p.node == node) {
            return &p;
        }
    }
    return nullptr;
}

const peer_info* session::peer(std::uint32_t node) const noexcept {
    for (const auto& p : peers_) {
        if (p.node == node) {
            return &p;
        }
    }
    return nullptr;
}

bool session::in_sync() const noexcept {
    return !peers_.empty() && std::all_of(peers_.begin(), peers_.end(), [](const peer_info& p) {
        return p.state == peer_state::in_sync;
    });
}

void session::set_state(peer_info& p, peer_state to, std::string why, std::vector<action>& out) {
    if (p.state == to && p.reason == why) {
        return;
    }
    peer_changed c;
    c.peer = p.node;
    c.from = p.state;
    c.to = to;
    c.reason = why;
    out.emplace_back(std::move(c));
    p.state = to;
    p.reason = std::move(why);
}

// --- sending ----------------------------------------------------------------

header session::base_header(msg_type t) noexcept {
    header h;
    h.type = t;
    h.node = cfg_.node;
    h.sync_id = cfg_.sync_id;
    h.epoch = cfg_.epoch;
    return h;
}

void session::fill_ack(header& h, const peer_info& p) const noexcept {
    h.flags |= flag_ack;
    h.ack_node = p.node;
    h.ack_epoch = p.epoch;
    h.ack_cum = p.expected - 1;
    std::uint64_t bits = 0;
    for (std::uint32_t i = 0; i + 1 < window && i < 64; ++i) {
        const std::uint32_t s = p.expected + 1 + i;
        const auto& slot = p.reorder[s % window];
        if (slot.used && slot.seq == s) {
            bits |= std::uint64_t{1} << i;
        }
    }
    h.sack = bits;
}

// Piggybacks the ACK that is due first (one peer per message: the header
// has room for one stream's acknowledgement).
void session::attach_ack(header& h, time_point now) noexcept {
    (void)now;
    peer_info* best = nullptr;
    for (auto& p : peers_) {
        if (p.ack_pending && p.state != peer_state::lost &&
            (best == nullptr || p.ack_due < best->ack_due)) {
            best = &p;
        }
    }
    if (best != nullptr) {
        fill_ack(h, *best);
        best->ack_pending = false;
        best->since_ack = 0;
    }
}

void session::seal(time_point now, std::vector<record>& recs, bool bulk, std::vector<action>& out) {
    std::vector<std::uint8_t> buf(cfg_.max_message);
    encoder enc(buf, cfg_.max_message, cfg_.key);
    for (const auto& r : recs) {
        (void)enc.add(r); // the caller sized recs to fit
    }
    header h = base_header(msg_type::data);
    h.seq = next_seq_++;
    h.oldest = unacked_.empty() ? h.seq : unacked_.front().seq;
    if (bulk) {
        h.flags |= flag_bulk;
    }
    attach_ack(h, now);
    buf.resize(enc.finish(h));
    counters_.messages_sent++;
    counters_.bytes_sent += buf.size();
    counters_.records_sent += recs.size();
    last_sent_ = now;
    sent_any_ = true;
    sent s{h.seq, buf, now, 0, {}};
    for (const auto& p : peers_) {
        if (p.state != peer_state::lost) {
            s.waiting.push_back(p.node);
        }
    }
    out.push_back(send_message{std::move(buf), false});
    // Kept only while someone owes an ACK: with no live peer, a peer that
    // appears later learns from `oldest` that it missed this and resyncs.
    if (!s.waiting.empty()) {
        unacked_.push_back(std::move(s));
    }
    recs.clear();
}

void session::send_ack(time_point now, peer_info* p, std::vector<action>& out) {
    std::vector<std::uint8_t> buf(header_size + hmac_size);
    encoder enc(buf, buf.size(), cfg_.key);
    header h = base_header(msg_type::ack);
    h.oldest = oldest_kept();
    if (p != nullptr) {
        fill_ack(h, *p);
        p->ack_pending = false;
        p->since_ack = 0;
    }
    buf.resize(enc.finish(h));
    counters_.messages_sent++;
    counters_.bytes_sent += buf.size();
    last_sent_ = now;
    sent_any_ = true;
    out.push_back(send_message{std::move(buf), false});
}

void session::queue(time_point now, const record& r, std::vector<action>& out) {
    if (queue_.size() >= cfg_.queue_capacity) {
        refuse(reason::queue_full);
        return;
    }
    queue_.emplace_back(now, r);
    pump(now, out);
}

// Seals incremental events: full messages at once, a partial one when its
// first event has waited flush_interval. Then bulk records, rate-bounded.
void session::pump(time_point now, std::vector<action>& out) {
    const std::size_t trailer = cfg_.key.empty() ? 0 : hmac_size;
    const std::size_t room = cfg_.max_message - header_size - trailer;
    while (!queue_.empty() && window_open()) {
        std::size_t bytes = 0;
        std::size_t n = 0;
        for (const auto& [at, r] : queue_) {
            const std::size_t sz = encoded_size(r);
            if (bytes + sz > room || n == 0xffff) {
                break;
            }
            bytes += sz;
            ++n;
        }
        const bool full = n < queue_.size() || bytes + flow_record_size > room;
        if (!full && now - queue_.front().first < cfg_.flush_interval) {
            break;
        }
        std::vector<record> recs;
        recs.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            recs.push_back(queue_.front().second);
            queue_.pop_front();
        }
        seal(now, recs, false, out);
    }
    serve_bulk(now, out);
}

void session::serve_bulk(time_point now, std::vector<action>& out) {
    if (!serving_) {
        return;
    }
    const double elapsed = static_cast<double>((now - tokens_at_).count());
    tokens_at_ = now;
    const std::size_t trailer = cfg_.key.empty() ? 0 : hmac_size;
    const std::size_t room = cfg_.max_message - header_size - trailer;
    const double per_msg = static_cast<double>(room / flow_record_size);
    // Burst: 10 ms of rate, at least one full message.
    const double burst = std::max(per_msg, static_cast<double>(cfg_.bulk_rate) / 100.0);
    tokens_ = std::min(burst, tokens_ + elapsed * static_cast<double>(cfg_.bulk_rate) / 1000.0);
    while (window_open() && serving_ && (tokens_ >= 1.0 || source_done_)) {
        std::vector<record> recs;
        std::size_t bytes = 0;
        record r;
        bool starved = false;
        while (!source_done_ && tokens_ >= 1.0) {
            if (source_ == nullptr || !source_->next(r)) {
                starved = source_ != nullptr && source_->pending();
                source_done_ = !starved;
                break;
            }
            recs.push_back(r);
            bytes += encoded_size(r);
            tokens_ -= 1.0;
            counters_.bulk_records_sent++;
            if (bytes + flow_record_size > room) {
                break;
            }
        }
        if (source_done_) {
            while (!bulk_waiting_.empty() && bytes + bulk_end_record_size <= room) {
                const auto& w = bulk_waiting_.front();
                recs.push_back(bulk_end_record{
                    w.target, w.bulk_id,
                    static_cast<std::uint32_t>(counters_.bulk_records_sent - w.start)});
                bytes += bulk_end_record_size;
                bulk_waiting_.erase(bulk_waiting_.begin());
            }
            if (bulk_waiting_.empty()) {
                serving_ = false;
                counters_.bulk_served++;
            }
        }
        if (recs.empty()) {
            break;
        }
        seal(now, recs, true, out);
        if (starved) {
            break; // the rest when the source has it (next on_timer)
        }
    }
}

void session::request_bulk(time_point now, std::uint32_t node, std::string why,
                           std::vector<action>& out) {
    peer_info* p = find(node);
    if (p == nullptr) {
        return;
    }
    p->bulk_id = next_bulk_id_++;
    if (next_bulk_id_ == 0) {
        next_bulk_id_ = 1;
    }
    p->bulk_received = 0;
    p->bulk_requested = now;
    set_state(*p, peer_state::bulk, std::move(why), out);
    // In our own reliable stream, ahead of queued events.
    std::vector<record> recs{bulk_request_record{node, p->bulk_id}};
    if (window_open()) {
        seal(now, recs, false, out);
    } else {
        queue_.emplace_front(now - cfg_.flush_interval, recs.front());
        pump(now, out);
    }
}

// --- receiving --------------------------------------------------------------

peer_info& session::first_contact(time_point now, const header& h, std::vector<action>& out) {
    peer_info p;
    p.node = h.node;
    p.reorder.resize(window);
    reset_peer(now, p, h);
    peers_.push_back(std::move(p));
    peer_info& ref = peers_.back();
    peer_changed c;
    c.peer = ref.node;
    c.first_contact = true;
    c.to = peer_state::bulk;
    c.reason = "first contact";
    out.emplace_back(std::move(c));
    ref.reason = "first contact";
    return ref;
}

// A peer's new incarnation (or first sight): its stream starts here; we
// owe ACKs for nothing older, it owes us ACKs for nothing we sent before.
void session::reset_peer(time_point now, peer_info& p, const header& h) {
    p.epoch = h.epoch;
    p.expected = h.type == msg_type::data ? h.seq : h.oldest;
    p.acked = next_seq_ - 1;
    p.last_heard = now;
    p.ack_pending = false;
    p.bulk_id = 0;
    p.bulk_received = 0;
    for (auto& slot : p.reorder) {
        slot = {};
    }
    forget_peer_acks(p.node);
}

void session::forget_peer_acks(std::uint32_t node) {
    for (auto& s : unacked_) {
        std::erase(s.waiting, node);
    }
    release_done();
}

void session::release_done() {
    std::erase_if(unacked_, [](const sent& s) { return s.waiting.empty(); });
}

void session::process_ack(const header& h, peer_info& p) {
    if ((h.flags & flag_ack) == 0 || h.ack_node != cfg_.node || h.ack_epoch != cfg_.epoch) {
        return;
    }
    // Old (reordered or retransmitted) ACKs carry an older cumulative ACK:
    // it only ever moves forward.
    if (seq_before(p.acked, h.ack_cum)) {
        p.acked = h.ack_cum;
    }
    for (auto& s : unacked_) {
        bool got = !seq_before(h.ack_cum, s.seq);
        if (!got) {
            const std::uint32_t off = s.seq - h.ack_cum - 2;
            got = off < 64 && ((h.sack >> off) & 1u) != 0;
        }
        if (got || !seq_before(p.acked, s.seq)) {
            std::erase(s.waiting, p.node);
        }
    }
    release_done();
}

void session::check_gap(time_point now, peer_info& p, std::uint32_t oldest,
                        std::vector<action>& out) {
    if (!seq_before(p.expected, oldest)) {
        return;
    }
    // The sender no longer keeps [expected, oldest): those are gone for us.
    const std::string why =
        "gap: sequences " + seqs(p.expected, oldest - 1) + " abandoned by the sender";
    p.gaps += oldest - p.expected;
    for (auto& slot : p.reorder) {
        if (slot.used && seq_before(slot.seq, oldest)) {
            slot = {};
        }
    }
    p.expected = oldest;
    // Messages already held from `oldest` on can go now, in order.
    while (true) {
        auto& slot = p.reorder[p.expected % window];
        if (!slot.used || slot.seq != p.expected) {
            break;
        }
        peer_info::held m = std::move(slot);
        slot = {};
        ++p.expected;
        deliver(now, p, m, out);
    }
    request_bulk(now, p.node, why, out);
}

void session::deliver(time_point now, peer_info& p, peer_info::held& m, std::vector<action>& out) {
    install_records ins{p.node, m.bulk, {}};
    for (auto& r : m.records) {
        counters_.records_received++;
        p.records_received++;
        if (const auto* q = std::get_if<bulk_request_record>(&r)) {
            if (q->target == cfg_.node) {
                // Start a pass (or restart it so this requester gets a whole
                // one); everyone waiting gets a bulk_end at its end.
                bulk_waiting_.push_back({p.node, q->bulk_id, counters_.bulk_records_sent});
                if (source_ != nullptr) {
                    source_->rewind();
                }
                serving_ = true;
                source_done_ = false;
                tokens_at_ = now;
            }
            continue;
        }
        if (const auto* e = std::get_if<bulk_end_record>(&r)) {
            if (e->target == cfg_.node && e->bulk_id == p.bulk_id && p.bulk_id != 0) {
                p.last_bulk_records = e->records;
                p.bulks_completed++;
                p.last_bulk_time =
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - p.bulk_requested);
                p.bulk_id = 0;
                set_state(p, peer_state::in_sync,
                          "bulk resync done (" + std::to_string(e->records) + " records)", out);
            }
            continue;
        }
        if (m.bulk) {
            p.bulk_received++;
        }
        ins.records.push_back(r);
    }
    if (!ins.records.empty()) {
        out.emplace_back(std::in_place_type<install_records>, std::move(ins));
    }
}

void session::on_data(time_point now, peer_info& p, const decoded& d, std::vector<action>& out) {
    const std::uint32_t seq = d.hdr.seq;
    // Acknowledge whatever happens: our previous ACK may have been lost.
    if (!p.ack_pending) {
        p.ack_pending = true;
        p.ack_due = now + cfg_.ack_delay;
    }
    if (seq_before(seq, p.expected)) {
        refuse(reason::duplicate);
        return;
    }
    if (seq - p.expected >= window) {
        refuse(reason::out_of_window);
        return;
    }
    auto& slot = p.reorder[seq % window];
    if (slot.used && slot.seq == seq) {
        refuse(reason::duplicate);
        return;
    }
    p.messages_received++;
    slot.used = true;
    slot.seq = seq;
    slot.bulk = (d.hdr.flags & flag_bulk) != 0;
    slot.records.clear();
    record_reader rd(d);
    record r;
    while (rd.next(r)) {
        slot.records.push_back(r);
    }
    if (seq != p.expected || ++p.since_ack >= ack_every) {
        // Out of order: tell the sender soon what we hold (selective ACK).
        // In order: every quarter window, so a sender with a full window
        // (a bulk stream) is not held for ack_delay each round.
        p.ack_due = now;
    }
    while (true) {
        auto& s = p.reorder[p.expected % window];
        if (!s.used || s.seq != p.expected) {
            break;
        }
        peer_info::held m = std::move(s);
        s = {};
        ++p.expected;
        deliver(now, p, m, out);
    }
}

void session::on_message(time_point now, std::span<const std::uint8_t> bytes,
                         std::vector<action>& out) {
    decoded d;
    const reason r = decode(bytes, decode_options{cfg_.key}, d);
    if (r != reason::none) {
        refuse(r);
        return;
    }
    const header& h = d.hdr;
    if (h.node == cfg_.node) {
        refuse(reason::own_message);
        return;
    }
    if (h.sync_id != cfg_.sync_id) {
        refuse(reason::wrong_sync_id);
        return;
    }
    if (!cfg_.peers.empty() &&
        std::find(cfg_.peers.begin(), cfg_.peers.end(), h.node) == cfg_.peers.end()) {
        refuse(reason::unknown_peer);
        return;
    }
    counters_.messages_received++;
    counters_.bytes_received += bytes.size();
    peer_info* p = find(h.node);
    if (p == nullptr) {
        p = &first_contact(now, h, out);
        process_ack(h, *p);
        if (h.type == msg_type::data) {
            on_data(now, *p, d, out);
        }
        request_bulk(now, h.node, "first contact", out);
        return;
    }
    if (h.epoch != p->epoch) {
        // An older epoch is a replay while the current incarnation is
        // alive. Once it is lost, any other epoch is a restart: a node whose
        // clock went backwards must not be shut out for good.
        if (seq_before(h.epoch, p->epoch) && p->state != peer_state::lost) {
            refuse(reason::old_epoch);
            return;
        }
        reset_peer(now, *p, h);
        process_ack(h, *p);
        if (h.type == msg_type::data) {
            on_data(now, *p, d, out);
        }
        request_bulk(now, h.node, "peer restarted (epoch " + std::to_string(h.epoch) + ")", out);
        return;
    }
    p->last_heard = now;
    process_ack(h, *p);
    if (p->state == peer_state::lost) {
        // Back: what we kept for it is gone and it may have missed our
        // messages (it resyncs from us the same way); resync from it.
        p->acked = next_seq_ - 1;
        check_gap(now, *p, h.oldest, out);
        if (h.type == msg_type::data) {
            on_data(now, *p, d, out);
        }
        if (p->state == peer_state::lost) {
            request_bulk(now, h.node, "peer back after being lost", out);
        }
        return;
    }
    // A gap first: the messages it abandoned no longer hold this one back.
    check_gap(now, *p, h.oldest, out);
    if (h.type == msg_type::data) {
        on_data(now, *p, d, out);
    }
    pump(now, out);
}

// --- timers -----------------------------------------------------------------

void session::on_timer(time_point now, std::vector<action>& out) {
    // Peers gone silent.
    for (auto& p : peers_) {
        if (p.state != peer_state::lost && now - p.last_heard >= cfg_.peer_timeout) {
            set_state(p, peer_state::lost,
                      "silent for " + std::to_string((now - p.last_heard).count()) + " ms", out);
            forget_peer_acks(p.node);
        }
    }
    // Retransmission, bounded: after max_retries the peers that still owe
    // an ACK are lost (VPP nat44-ei HA gives up after 3 resends too).
    std::vector<std::uint32_t> give_up;
    for (auto& s : unacked_) {
        if (now - s.sent_at < cfg_.retransmit_timeout) {
            continue;
        }
        if (s.retries >= cfg_.max_retries) {
            for (const auto n : s.waiting) {
                counters_.abandoned++;
                if (std::find(give_up.begin(), give_up.end(), n) == give_up.end()) {
                    give_up.push_back(n);
                }
            }
            s.waiting.clear();
            continue;
        }
        s.retries++;
        s.sent_at = now;
        counters_.retransmitted++;
        out.push_back(send_message{s.bytes, true});
    }
    release_done();
    for (const auto n : give_up) {
        if (peer_info* p = find(n)) {
            set_state(*p, peer_state::lost,
                      "no ACK after " + std::to_string(cfg_.max_retries) + " retransmissions", out);
            forget_peer_acks(n);
        }
    }
    pump(now, out);
    // ACKs that found no data message to ride on.
    for (auto& p : peers_) {
        if (p.ack_pending && now >= p.ack_due) {
            send_ack(now, &p, out);
        }
    }
    // Keepalive: peers time us out after peer_timeout of silence.
    if (!sent_any_ || now - last_sent_ >= cfg_.keepalive_interval) {
        peer_info* any = nullptr;
        for (auto& p : peers_) {
            if (p.state != peer_state::lost) {
                any = &p;
                break;
            }
        }
        send_ack(now, any, out);
    }
}

time_point session::next_deadline(time_point now) const noexcept {
    time_point t = sent_any_ ? last_sent_ + cfg_.keepalive_interval : now;
    for (const auto& p : peers_) {
        if (p.ack_pending) {
            t = std::min(t, p.ack_due);
        }
        if (p.state != peer_state::lost) {
            t = std::min(t, p.last_heard + cfg_.peer_timeout);
        }
    }
    for (const auto& s : unacked_) {
        t = std::min(t, s.sent_at + cfg_.retransmit_timeout);
    }
    if (!queue_.empty() && window_open()) {
        t = std::min(t, queue_.front().first + cfg_.flush_interval);
    }
    if (serving_ && window_open()) {
        t = std::min(t, now + milliseconds{1});
    }
    return std::max(t, now);
}

} // namespace vipgate::sync
