#include "control/sync_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "net/builder.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::control {

namespace {

lb::time_point to_tp(usec now) {
    return lb::time_point{std::chrono::duration_cast<lb::milliseconds>(now)};
}

// RFC 1112 §6.4: the group's low 23 bits under 01:00:5e.
net::mac_addr group_mac(net::ipv4_addr g) {
    return net::mac_addr{{0x01, 0x00, 0x5e, static_cast<std::uint8_t>((g.value >> 16) & 0x7f),
                          static_cast<std::uint8_t>(g.value >> 8),
                          static_cast<std::uint8_t>(g.value)}};
}

// A new incarnation at every start, serially larger than the last one: the
// wall clock in 1/16 s (wraps after ~8.5 years; lib/sync compares epochs
// modulo 2^32 and takes any epoch of a lost peer as a restart).
// Within one process (tests run several nodes) never the same twice.
std::uint32_t new_epoch() {
    static std::uint32_t last = 0;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::uint32_t e = static_cast<std::uint32_t>(ms / 62);
    if (last != 0 && !sync::seq_before(last, e)) {
        e = last + 1;
    }
    if (e == 0) {
        e = 1;
    }
    last = e;
    return e;
}

sync::record_type wire_type(lb::flow_event_kind k) {
    switch (k) {
    case lb::flow_event_kind::add:
        return sync::record_type::flow_add;
    case lb::flow_event_kind::state_change:
        return sync::record_type::flow_state;
    case lb::flow_event_kind::refresh:
        return sync::record_type::flow_refresh;
    default:
        return sync::record_type::flow_delete;
    }
}

sync::record to_record(const lb::flow_event& e) {
    if (e.kind == lb::flow_event_kind::persist) {
        return sync::persist_record{e.client,  e.vip,   e.rs,        e.vport,
                                    e.rs_port, e.proto, e.timeout_ms};
    }
    return sync::flow_record{wire_type(e.kind), e.client,  e.vip,   e.rs,    e.client_port,
                             e.vport,           e.rs_port, e.proto, e.state, e.timeout_ms};
}

lb::flow_event_kind event_kind(sync::record_type t) {
    switch (t) {
    case sync::record_type::flow_add:
        return lb::flow_event_kind::add;
    case sync::record_type::flow_state:
        return lb::flow_event_kind::state_change;
    case sync::record_type::flow_refresh:
        return lb::flow_event_kind::refresh;
    default:
        return lb::flow_event_kind::remove;
    }
}

// A peer's record as the engine installs it; false for records that are
// not flows or templates. Bulk records are copies: they fill this node's
// table but never override a flow it forwards itself (flow_event::flag_copy).
bool to_event(const sync::record& r, bool bulk, lb::flow_event& e) {
    e = lb::flow_event{};
    e.flags = bulk ? lb::flow_event::flag_copy : std::uint8_t{0};
    if (const auto* f = std::get_if<sync::flow_record>(&r)) {
        e.kind = event_kind(f->type);
        e.proto = f->proto;
        e.state = f->state;
        e.client = f->client;
        e.vip = f->vip;
        e.rs = f->rs;
        e.client_port = f->client_port;
        e.vport = f->vport;
        e.rs_port = f->rs_port;
        e.timeout_ms = f->timeout_ms;
        return true;
    }
    if (const auto* p = std::get_if<sync::persist_record>(&r)) {
        e.kind = lb::flow_event_kind::persist;
        e.proto = p->proto;
        e.client = p->client;
        e.vip = p->vip;
        e.rs = p->rs;
        e.vport = p->vport;
        e.rs_port = p->rs_port;
        e.timeout_ms = p->timeout_ms;
        return true;
    }
    return false;
}

} // namespace

std::string_view sync_wire_refusal_name(sync_wire_refusal r) noexcept {
    switch (r) {
#define VIPGATE_SYNC_WIRE_X(name, help)                                                            \
    case sync_wire_refusal::name:                                                                  \
        return #name;
        VIPGATE_SYNC_WIRE_REFUSALS(VIPGATE_SYNC_WIRE_X)
#undef VIPGATE_SYNC_WIRE_X
    }
    return "unknown";
}

// ---- the bulk stream's source -------------------------------------------

void sync_manager::export_source::rewind() {
    // A walk under way restarts; what it handed over already is dropped so
    // the new pass is whole and counted once.
    sh_.drain_export([](const lb::flow_event&) {}, ~0u);
    sh_.request_export();
    buf_.clear();
    pos_ = 0;
    running_ = true;
}

bool sync_manager::export_source::next(sync::record& out) {
    if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
        if (running_) {
            sh_.drain_export([this](const lb::flow_event& e) { buf_.push_back(e); }, 4096);
        }
        if (buf_.empty()) {
            if (running_ && sh_.export_done()) {
                running_ = false;
            }
            return false;
        }
    }
    out = to_record(buf_[pos_++]);
    return true;
}

bool sync_manager::export_source::pending() const {
    return running_ && !sh_.export_done();
}

// ---- construction ---------------------------------------------------------

result<std::unique_ptr<sync_manager>> sync_manager::make(const config::config& cfg, shell& sh,
                                                         vrrp_host& host) {
    if (!cfg.sync) {
        return std::unique_ptr<sync_manager>{};
    }
    if (!sh.flow_sync()) {
        spdlog::warn("sync: no virtual servers, so no flows to sync: the sync section is unused");
        return std::unique_ptr<sync_manager>{};
    }
    const config::sync_config& sc = *cfg.sync;
    std::uint16_t port = 0xffff;
    for (std::uint16_t i = 0; i < sh.ports().size(); ++i) {
        if (sh.ports()[i].name == sc.port) {
            port = i;
        }
    }
    if (port == 0xffff) {
        return make_error("sync: no port " + sc.port);
    }
    const net::ipv4_prefix address = sh.ports()[port].cfg.address;
    sync::session_config s;
    // The node id is the sync port's address: unique on the link, and what
    // `show sync` prints for a peer.
    s.node = address.addr.value;
    s.sync_id = sc.id;
    s.epoch = new_epoch();
    s.flush_interval = sc.flush_interval;
    s.bulk_rate = sc.bulk_rate;
    s.key = sc.key;
    for (const auto& p : sc.peers) {
        s.peers.push_back(p.value);
    }
    auto sess = sync::session::make(s);
    if (!sess) {
        return make_error(sess.message());
    }
    std::unique_ptr<sync_manager> m(
        new sync_manager(sc, sh, host, port, address, std::move(sess.value())));
    spdlog::info("sync: node {} on port {} ({}), sync id {}, epoch {}, {}",
                 address.addr.to_string(), sc.port,
                 sc.peers.empty() ? "multicast " + sc.group.to_string() : "unicast peers", sc.id,
                 s.epoch, sc.key.empty() ? "no key" : "HMAC-SHA256");
    return m;
}

sync_manager::sync_manager(const config::sync_config& cfg, shell& sh, vrrp_host& host,
                           std::uint16_t port, net::ipv4_prefix address, sync::session s)
    : cfg_(cfg), sh_(sh), host_(host), port_(port), address_(address), session_(std::move(s)),
      source_(sh) {
    session_.set_source(&source_);
    frame_.resize(net::eth_header_len + 4 + 20 + 8 + sync::max_message_size);
}

// ---- the loop ---------------------------------------------------------------

void sync_manager::tick(usec now) {
    const lb::time_point t = to_tp(now);
    // Bounded so a flood of events cannot stall the control core; the rest
    // waits in the rings until the next tick.
    sh_.drain_flow_events([&](const lb::flow_event& e) { session_.queue(t, to_record(e), acts_); },
                          65536);
    session_.on_timer(t, acts_);
    apply();
    if (!tombstones_.empty() &&
        std::none_of(session_.peers().begin(), session_.peers().end(),
                     [](const sync::peer_info& p) { return p.bulk_id != 0; })) {
        tombstones_.clear();
    }
}

void sync_manager::on_punt(usec now, const punt_view& f) {
    if (f.port != port_) {
        refuse(sync_wire_refusal::wrong_port);
        return;
    }
    net::packet_meta meta;
    if (net::parse(f.frame, meta) != net::drop_reason::none ||
        meta.ethertype != net::ethertype_ipv4 || meta.ip_proto != net::ip_proto_udp ||
        meta.l4_offset == 0) {
        refuse(sync_wire_refusal::not_udp);
        return;
    }
    if (auto r = check_source(meta, f.frame)) {
        refuse(*r);
        return;
    }
    // The UDP length (parse() checked it fits the IP payload), not the
    // frame: Ethernet padding is no part of the message.
    const std::uint8_t* u = f.frame.data() + meta.l4_offset;
    const std::size_t ulen = static_cast<std::size_t>((u[4] << 8) | u[5]);
    const auto payload = f.frame.subspan(std::size_t{meta.l4_offset} + net::udp_header_len,
                                         ulen - net::udp_header_len);
    session_.on_message(to_tp(now), payload, acts_);
    // An ACK due now (out of order, or every ack_every messages) leaves now,
    // not at the next tick: a bulk sender's window waits for it.
    session_.on_timer(to_tp(now), acts_);
    apply();
}

// Who is accepted (issue 11): with unicast peers, only their addresses;
// with multicast, senders on the sync port's subnet whose datagram still
// has TTL 255 (nothing routed can have it, RFC 5798 §5.1.1.3's rule for
// VRRP). The sync id, the peers' node ids and the HMAC are the session's.
std::optional<sync_wire_refusal>
sync_manager::check_source(const net::packet_meta& meta,
                           std::span<const std::uint8_t> frame) const {
    if (!cfg_.peers.empty()) {
        if (std::find(cfg_.peers.begin(), cfg_.peers.end(), meta.src) == cfg_.peers.end()) {
            return sync_wire_refusal::unknown_address;
        }
        return std::nullopt;
    }
    if (!address_.contains(meta.src)) {
        return sync_wire_refusal::off_subnet;
    }
    const net::ipv4_cview ip(frame.subspan(meta.l3_offset));
    if (ip.ttl() != 255) {
        return sync_wire_refusal::bad_ttl;
    }
    return std::nullopt;
}

void sync_manager::apply() {
    for (auto& a : acts_) {
        if (auto* s = std::get_if<sync::send_message>(&a)) {
            send(s->bytes);
        } else if (auto* ins = std::get_if<sync::install_records>(&a)) {
            install(*ins);
        } else if (auto* pc = std::get_if<sync::peer_changed>(&a)) {
            const std::string who = net::ipv4_addr(pc->peer).to_string();
            const auto to = sync::peer_state_name(pc->to);
            if (pc->first_contact) {
                spdlog::info("sync: peer {} is {}: {}", who, to, pc->reason);
            } else if (pc->to == sync::peer_state::lost) {
                spdlog::warn("sync: peer {} {} -> {}: {}", who, sync::peer_state_name(pc->from), to,
                             pc->reason);
            } else {
                spdlog::info("sync: peer {} {} -> {}: {}", who, sync::peer_state_name(pc->from), to,
                             pc->reason);
            }
        }
    }
    acts_.clear();
}

std::size_t sync_manager::tombstone_hash::operator()(const tombstone& t) const noexcept {
    std::uint64_t h = (std::uint64_t{t.client} << 32) ^ t.vip;
    h ^= (std::uint64_t{t.client_port} << 24) ^ (std::uint64_t{t.vport} << 8) ^ t.proto;
    h ^= std::uint64_t{t.peer} * 0x9e3779b97f4a7c15ull;
    return static_cast<std::size_t>(h ^ (h >> 29));
}

bool sync_manager::fresh(const sync::install_records& ins, const lb::flow_event& e) {
    const sync::peer_info* p = session_.peer(ins.peer);
    if (p == nullptr || p->bulk_id == 0) {
        return true; // no bulk from it under way: records arrive in order
    }
    const tombstone key{ins.peer,      e.client.value, e.vip.value,
                        e.client_port, e.vport,        static_cast<std::uint8_t>(e.proto)};
    if (ins.bulk) {
        if (e.kind == lb::flow_event_kind::persist || tombstones_.count(key) == 0) {
            return true;
        }
        refuse(sync_wire_refusal::bulk_overtaken);
        return false;
    }
    // A delete, or a delete and a new flow on the same endpoint: what the
    // incremental stream said is newer than any bulk record still to come.
    if (e.kind == lb::flow_event_kind::remove || e.kind == lb::flow_event_kind::add) {
        if (tombstones_.size() < max_tombstones) {
            tombstones_.insert(key);
        } else {
            ++tombstones_overflow_;
        }
    }
    return true;
}

void sync_manager::install(const sync::install_records& ins) {
    lb::flow_event e;
    for (const auto& r : ins.records) {
        if (!to_event(r, ins.bulk, e) || !fresh(ins, e)) {
            continue;
        }
        switch (sh_.install_flow(e)) {
        case install_result::queued:
            ++installs_queued_;
            break;
        case install_result::no_service:
            refuse(sync_wire_refusal::no_service);
            break;
        case install_result::full:
        case install_result::sync_off:
            refuse(sync_wire_refusal::install_ring_full);
            break;
        }
    }
}

// One message: to the group, or a copy to each unicast peer. TTL 255 so a
// receiver can tell an on-link sender (check_source).
void sync_manager::send(std::span<const std::uint8_t> payload) {
    if (cfg_.peers.empty()) {
        send_to(cfg_.group, group_mac(cfg_.group), payload);
        return;
    }
    for (const auto& p : cfg_.peers) {
        const auto mac = host_.neighbour_mac(port_, p);
        if (!mac) {
            refuse(sync_wire_refusal::unresolved_peer); // the session resends
            continue;
        }
        send_to(p, *mac, payload);
    }
}

void sync_manager::send_to(net::ipv4_addr dst, const net::mac_addr& mac,
                           std::span<const std::uint8_t> payload) {
    const std::size_t n = net::build_udp_frame(
        frame_, {.dst = mac, .src = sh_.ports()[port_].mac},
        {.src = address_.addr, .dst = dst, .ttl = 255},
        {.src_port = cfg_.udp_port, .dst_port = cfg_.udp_port, .payload = payload});
    if (n == 0 || !host_.send_frame(port_, std::span<const std::uint8_t>(frame_.data(), n))) {
        refuse(sync_wire_refusal::tx_failed);
        return;
    }
    ++frames_sent_;
}

// ---- show sync -------------------------------------------------------------

namespace {

sync_peer_row peer_row(const sync::peer_info& p, lb::time_point now) {
    sync_peer_row r;
    r.node = p.node;
    r.address = net::ipv4_addr(p.node).to_string();
    r.state = std::string(sync::peer_state_name(p.state));
    r.reason = p.reason;
    r.epoch = p.epoch;
    r.acked = p.acked;
    r.expected = p.expected;
    r.lag_ms = now > p.last_heard ? static_cast<std::uint64_t>((now - p.last_heard).count()) : 0;
    r.messages_received = p.messages_received;
    r.records_received = p.records_received;
    r.gaps = p.gaps;
    r.bulk_running = p.bulk_id != 0;
    r.bulk_received = p.bulk_received;
    r.last_bulk_records = p.last_bulk_records;
    r.bulks_completed = p.bulks_completed;
    r.last_bulk_ms = static_cast<std::uint64_t>(p.last_bulk_time.count());
    return r;
}

} // namespace

sync_report sync_manager::report(usec now) const {
    sync_report r;
    r.enabled = true;
    r.port = cfg_.port;
    r.mode = cfg_.peers.empty() ? "multicast " + cfg_.group.to_string() : "unicast";
    r.udp_port = cfg_.udp_port;
    const auto& sc = session_.config();
    r.node = sc.node;
    r.sync_id = sc.sync_id;
    r.epoch = sc.epoch;
    r.in_sync = session_.in_sync();
    r.serving_bulk = session_.serving_bulk();
    r.unacked = session_.unacked();
    r.queued = session_.queued();
    r.takeovers_not_in_sync = takeovers_not_in_sync_;
    r.instance = cfg_.instance;
    r.resync_timeout_ms = static_cast<std::uint64_t>(cfg_.resync_timeout.count());
    r.resync_timeouts = resync_timeouts_;
    const auto& c = session_.counters();
    r.sent = {{"messages", c.messages_sent},  {"bytes", c.bytes_sent},
              {"records", c.records_sent},    {"retransmitted", c.retransmitted},
              {"abandoned", c.abandoned},     {"frames", frames_sent_},
              {"bulk_served", c.bulk_served}, {"bulk_records", c.bulk_records_sent}};
    r.received = {{"messages", c.messages_received},
                  {"bytes", c.bytes_received},
                  {"records", c.records_received},
                  {"installs_queued", installs_queued_},
                  {"tombstones_overflow", tombstones_overflow_}};
    std::uint64_t ev = 0, lost = 0, overflow = 0, exported = 0, taken = 0, installed = 0;
    std::array<std::uint64_t, lb::sync_refusal_count> lbref{};
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        const worker_stats& st = sh_.worker(w);
        ev += st.sync_events.get();
        lost += st.sync_events_lost.get();
        overflow += st.sync_buffer_dropped.load(std::memory_order_relaxed);
        exported += st.sync_exported.get();
        taken += st.sync_installs.get();
        installed += st.sync_installed.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < lbref.size(); ++i) {
            lbref[i] += st.sync_refused[i].load(std::memory_order_relaxed);
        }
    }
    r.workers = {{"events", ev},
                 {"events_lost", lost + overflow},
                 {"exported", exported},
                 {"installs", taken},
                 {"installed", installed}};
    for (std::size_t i = 1; i < sync::reason_count; ++i) {
        r.refused.emplace_back(sync::reason_name(static_cast<sync::reason>(i)), c.refused[i]);
    }
    for (std::size_t i = 0; i < sync_wire_refusal_count; ++i) {
        r.refused.emplace_back(sync_wire_refusal_name(static_cast<sync_wire_refusal>(i)),
                               refused_[i]);
    }
    for (std::size_t i = 1; i < lbref.size(); ++i) {
        r.refused.emplace_back(lb::sync_refusal_name(static_cast<lb::sync_refusal>(i)), lbref[i]);
    }
    for (const auto& p : session_.peers()) {
        r.peers.push_back(peer_row(p, to_tp(now)));
    }
    return r;
}

json to_json(const sync_report& r) {
    json j = json::object();
    j["enabled"] = r.enabled;
    if (!r.enabled) {
        return j;
    }
    j["port"] = r.port;
    j["mode"] = r.mode;
    j["udp_port"] = r.udp_port;
    j["node"] = net::ipv4_addr(r.node).to_string();
    j["sync_id"] = r.sync_id;
    j["epoch"] = r.epoch;
    j["in_sync"] = r.in_sync;
    j["serving_bulk"] = r.serving_bulk;
    j["unacked"] = r.unacked;
    j["queued"] = r.queued;
    j["takeovers_not_in_sync"] = r.takeovers_not_in_sync;
    j["instance"] = r.instance.empty() ? json(nullptr) : json(r.instance);
    if (!r.instance.empty()) {
        j["instance_state"] = r.instance_state;
    }
    j["in_sync_for_takeover"] = r.in_sync;
    j["preemption_held"] = r.preemption_held;
    j["resync_timeout_ms"] = r.resync_timeout_ms;
    j["resync_timeouts"] = r.resync_timeouts;
    const auto counters = [](const named_counters& nc) {
        json o = json::object();
        for (const auto& [k, v] : nc) {
            o[k] = v;
        }
        return o;
    };
    j["sent"] = counters(r.sent);
    j["received"] = counters(r.received);
    j["workers"] = counters(r.workers);
    j["refused"] = counters(r.refused);
    json peers = json::array();
    for (const auto& p : r.peers) {
        json o = json::object();
        o["address"] = p.address;
        o["state"] = p.state;
        o["reason"] = p.reason;
        o["epoch"] = p.epoch;
        o["acked"] = p.acked;
        o["expected"] = p.expected;
        o["lag_ms"] = p.lag_ms;
        o["messages_received"] = p.messages_received;
        o["records_received"] = p.records_received;
        o["gaps"] = p.gaps;
        json b = json::object();
        b["running"] = p.bulk_running;
        b["received"] = p.bulk_received;
        b["last_records"] = p.last_bulk_records;
        b["completed"] = p.bulks_completed;
        b["last_ms"] = p.last_bulk_ms;
        o["bulk"] = b;
        peers.push_back(o);
    }
    j["peers"] = peers;
    return j;
}

} // namespace vipgate::control
