#include "lb/engine.hpp"

#include "lb/nat.hpp"
#include "net/headers.hpp"

namespace vipgate::lb {

namespace {

// Flow release hook: the flow no longer holds its persistence template.
// Context: the template entry array, which does not move with the engine.
void release_template(void* ctx, const flow& f) noexcept {
    persistence_table::detach(static_cast<persist_entry*>(ctx), f.persist);
}

} // namespace

result<engine> engine::create(const engine_config& cfg, const allocator& alloc) {
    auto flows = flow_table::create({cfg.flow_capacity, cfg.seed, cfg.state_timeouts}, alloc);
    if (!flows) {
        return flows.err();
    }
    auto templates = persistence_table::create(cfg.persistence_capacity,
                                               cfg.seed ^ 0x7065727369737421ULL, alloc);
    if (!templates) {
        return templates.err();
    }
    auto sched = scheduler_state::create(cfg.limits, alloc);
    if (!sched) {
        return sched.err();
    }
    return engine(cfg, std::move(*flows), std::move(*templates), std::move(*sched));
}

engine::engine(engine_config cfg, flow_table flows, persistence_table templates,
               scheduler_state sched) noexcept
    : cfg_(cfg), flows_(std::move(flows)), templates_(std::move(templates)),
      sched_(std::move(sched)) {
    // Both point into allocator memory, which stays put when the engine moves.
    flows_.attach_counts(sched_.counts());
    flows_.set_release_hook(&release_template, templates_.entries());
}

const real_server* engine::pick(const service_table& table, const service& svc,
                                net::ipv4_addr client, std::uint16_t client_port, time_point now,
                                std::uint32_t& tmpl) noexcept {
    const auto servers = table.real_servers(svc);
    tmpl = no_template;
    persist_key pk;
    if (svc.persistent()) {
        pk = {client.value & svc.persistence_mask, svc.vip, svc.port, svc.proto};
        tmpl = templates_.find(pk, now);
        if (tmpl != no_template) {
            const real_server* r = table.real_server_by_slot(templates_.at(tmpl).rs_slot);
            // A template whose server left, went down or was drained is
            // re-pointed (IPVS with expire_quiescent_template=1; weight 0
            // means no new flows, persistent or not).
            if (r != nullptr && r->service_index == svc.index && r->eligible()) {
                ++stats_.persist_hits;
                return r;
            }
            ++stats_.persist_resched;
        }
    }
    const std::uint32_t i = schedule(table, svc, sched_, client, client_port);
    if (i == no_index) {
        // keepalived's sorry_server: no real server is eligible. No
        // persistence template points at it (the next connection tries the
        // real servers again).
        if (svc.sorry_rs != no_index) [[unlikely]] {
            ++stats_.sorry_flows;
            tmpl = no_template;
            return &table.all_real_servers()[svc.sorry_rs];
        }
        return nullptr;
    }
    const real_server* r = &servers[i];
    if (svc.persistent()) {
        // Creates the template, or re-points the existing one. When the
        // template table is full the flow goes ahead without persistence.
        tmpl = templates_.insert(pk, svc.slot, r->slot, svc.persistence_timeout, now);
        if (tmpl != no_template && flows_.events() != nullptr) [[unlikely]] {
            flows_.events()->push(template_event(templates_.at(tmpl), *r, svc.persistence_timeout));
        }
    }
    return r;
}

verdict engine::forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                        const service_table& table, time_point now) noexcept {
    if (!is_lb_protocol(meta.ip_proto)) {
        return verdict::dropped(drop_reason::lb_not_tcp_udp);
    }
    return forward(frame, meta, table, now, probe_forward(meta), nullptr);
}

verdict engine::forward_slow(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                             const service_table& table, time_point now, const forward_probe& probe,
                             const service* svc) noexcept {
    if (!is_lb_protocol(meta.ip_proto)) {
        return verdict::dropped(drop_reason::lb_not_tcp_udp);
    }
    // Before any state changes: a packet that cannot be forwarded must not
    // create a flow or move one to another TCP state.
    if (!ttl_allows_forwarding(frame, meta)) {
        return verdict::dropped(drop_reason::lb_ttl_exceeded);
    }
    const auto proto = static_cast<protocol>(meta.ip_proto);
    const std::uint8_t flags = tcp_flags_of(frame, meta);
    bool created = false;
    forward_probe where = probe;
    flow* f = flows_.find_forward(where, now);
    if (f != nullptr && proto == protocol::tcp &&
        (flags & (net::tcp_flag_syn | net::tcp_flag_ack | net::tcp_flag_rst)) ==
            net::tcp_flag_syn) {
        // Connection reuse (IPVS conn_reuse_mode 1, ip_vs_core.c
        // is_new_conn_expected()): a new SYN on the client port of a
        // connection that is closing or closed, or whose real server no
        // longer takes new flows (weight 0, down, removed), is a new
        // connection: forget the old flow and schedule afresh. A SYN on a live
        // connection to a healthy server is a retransmission: keep it.
        const flow_state st = f->state();
        const real_server* cur = table.real_server_by_slot(f->rs_slot);
        const bool server_gone = cur == nullptr || !(cur->eligible() || cur->sorry) ||
                                 cur->address != f->rs || cur->port != f->rs_port;
        const bool finished = st == flow_state::fin_wait || st == flow_state::time_wait ||
                              st == flow_state::close || st == flow_state::close_wait ||
                              st == flow_state::last_ack;
        if (finished || server_gone) {
            flows_.erase(*f);
            ++stats_.conn_reused;
            f = nullptr;
            where.index = no_flow;
        }
    }
    if (f == nullptr) {
        if (svc == nullptr) {
            svc = table.find_service(meta.dst, meta.dst_port, proto);
        }
        if (svc == nullptr) {
            return verdict::dropped(drop_reason::lb_no_service);
        }
        flow_state initial = flow_state::udp;
        if (proto == protocol::tcp) {
            // ip_vs_proto_tcp.c tcp_conn_schedule(): only a SYN (without RST)
            // opens a connection, unless sloppy_tcp.
            if ((flags & net::tcp_flag_rst) != 0) {
                return verdict::dropped(drop_reason::lb_tcp_rst_no_flow);
            }
            if ((flags & net::tcp_flag_syn) != 0) {
                initial = next_tcp_state(flow_state::none, direction::forward, flags);
            } else if (cfg_.sloppy_tcp) {
                initial = flow_state::established;
            } else {
                return verdict::dropped(drop_reason::lb_tcp_not_syn);
            }
        }
        std::uint32_t tmpl = no_template;
        const real_server* rs = pick(table, *svc, meta.src, meta.src_port, now, tmpl);
        if (rs == nullptr) {
            return verdict::dropped(drop_reason::lb_no_real_server);
        }
        // The forward key has no live entry now: find_forward() found none
        // or an expired one (taken over in place), or the reuse above
        // erased it.
        const insert_result ins = flows_.insert_after_miss({.client = meta.src,
                                                            .client_port = meta.src_port,
                                                            .vip = meta.dst,
                                                            .vport = meta.dst_port,
                                                            .rs = rs->address,
                                                            .rs_port = rs->port,
                                                            .proto = proto,
                                                            .state = initial,
                                                            .service_slot = svc->slot,
                                                            .rs_slot = rs->slot,
                                                            .persist = tmpl},
                                                           where, now);
        switch (ins.status) {
        case insert_status::ok:
            break;
        case insert_status::full:
            return verdict::dropped(drop_reason::lb_flow_table_full);
        case insert_status::reverse_in_use:
            return verdict::dropped(drop_reason::lb_reverse_in_use);
        case insert_status::exists: // not after a miss; handle it as a hit anyway
            break;
        }
        f = ins.f;
        if (ins.status == insert_status::ok) {
            created = true;
            if (tmpl != no_template) {
                templates_.attach(tmpl, now);
            }
        }
    }
    if (!created) {
        flows_.on_packet(*f, direction::forward, flags, now);
    }
    const drop_reason r = nat_forward(frame, meta, f->rs, f->rs_port);
    if (r != drop_reason::none) {
        return verdict::dropped(r);
    }
    return {drop_reason::none, direction::forward, f->rs, f->service_slot, created, f->rs_slot};
}

verdict engine::reply(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                      time_point now) noexcept {
    if (!is_lb_protocol(meta.ip_proto)) {
        return verdict::dropped(drop_reason::lb_not_tcp_udp);
    }
    return reply(frame, meta, now, probe_reverse(meta));
}

verdict engine::icmp_error(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                           time_point now) noexcept {
    icmp_quote q;
    if (const drop_reason r = parse_icmp_error(frame, meta, q, true); r != drop_reason::none) {
        return verdict::dropped(r);
    }
    const flow_key k = q.lookup_key();
    // IPVS does not move a connection's TCP state or timer on ICMP errors;
    // neither does vipgate.
    if (const flow* f = flows_.find_forward(k, now)) {
        const drop_reason r = nat_icmp_forward(frame, meta, q, f->rs, f->rs_port);
        if (r != drop_reason::none) {
            return verdict::dropped(r);
        }
        return {drop_reason::none, direction::forward, f->rs, f->service_slot, false, f->rs_slot};
    }
    if (const flow* f = flows_.find_reverse(k, now)) {
        const drop_reason r = nat_icmp_reply(frame, meta, q, f->vip, f->vport);
        if (r != drop_reason::none) {
            return verdict::dropped(r);
        }
        return {drop_reason::none, direction::reply, f->client, f->service_slot, false, f->rs_slot};
    }
    return verdict::dropped(drop_reason::lb_icmp_no_flow);
}

expire_result engine::expire(time_point now, std::uint32_t budget) noexcept {
    const expire_result r = flows_.expire(now, budget);
    // No templates (no persistent service in use): nothing to sweep, and
    // the sweep would only pull cold lines into the cache.
    if (templates_.size() != 0) {
        templates_.expire(now, budget);
    }
    return r;
}

flow_event engine::template_event(const persist_entry& t, const real_server& rs,
                                  milliseconds remaining) const noexcept {
    flow_event e;
    e.kind = flow_event_kind::persist;
    e.proto = t.proto;
    e.client = net::ipv4_addr{t.client};
    e.vip = t.vip;
    e.vport = t.vport;
    e.rs = rs.address;
    e.rs_port = rs.port;
    e.timeout_ms = static_cast<std::uint32_t>(remaining.count());
    return e;
}

void engine::attach_sync(flow_event_buffer* out, time_point now) noexcept {
    flows_.attach_events(out);
    // The first pass refreshes what moved since now: earlier flows were
    // never sent (a bulk export sends them).
    refresh_cursor_ = 0;
    refresh_done_ = 0;
    pass_start_ = now;
    prev_pass_start_ = now;
}

sync_refusal engine::install_synced(const flow_event& e, const service_table& table,
                                    time_point now) noexcept {
    const sync_refusal r = install(e, table, now);
    if (r != sync_refusal::none) {
        ++sync_stats_.refused[static_cast<std::size_t>(r)];
    }
    return r;
}

sync_refusal engine::install(const flow_event& e, const service_table& table,
                             time_point now) noexcept {
    if (static_cast<std::size_t>(e.kind) >= flow_event_kind_count) {
        return sync_refusal::sync_bad_kind;
    }
    if (!is_lb_protocol(to_ip_proto(e.proto))) {
        return sync_refusal::sync_bad_protocol;
    }
    const service* svc = table.find_service(e.vip, e.vport, e.proto);
    if (svc == nullptr) {
        return sync_refusal::sync_unknown_service;
    }
    // The endpoint's first real server is usually this service's; when
    // services share the endpoint, look in this one's list.
    const real_server* rs = table.find_real_server(e.rs, e.rs_port, e.proto);
    if (rs != nullptr && rs->service_index != svc->index) {
        rs = nullptr;
        for (const real_server& r : table.real_servers(*svc)) {
            if (r.address == e.rs && r.port == e.rs_port) {
                rs = &r;
                break;
            }
        }
    }
    if (rs == nullptr) {
        return sync_refusal::sync_unknown_real_server;
    }
    if (e.kind == flow_event_kind::persist) {
        return install_template(e, *svc, *rs, now);
    }
    const flow_key k{e.client, e.vip, e.client_port, e.vport, e.proto};
    flow* f = flows_.find_forward(k, now);
    if (e.kind == flow_event_kind::remove) {
        if (f != nullptr && f->rs == e.rs && f->rs_port == e.rs_port) {
            // Synced first: its removal is the peer's news, not to be echoed.
            f->bits = static_cast<std::uint8_t>(f->bits | flow::flag_synced);
            flows_.erase(*f);
            ++sync_stats_.flows_removed;
        }
        return sync_refusal::none;
    }
    const flow_state st = e.state;
    const bool state_ok = e.proto == protocol::udp
                              ? st == flow_state::udp
                              : static_cast<std::size_t>(st) < flow_state_count &&
                                    st != flow_state::udp &&
                                    st != flow_state::none; // no transition leads to NONE
    if (!state_ok) {
        return sync_refusal::sync_bad_state;
    }
    const milliseconds left{e.timeout_ms};
    if (left.count() == 0 || left > flows_.timeout_of(st)) {
        return sync_refusal::sync_bad_timeout;
    }
    if (f != nullptr) {
        // Only the VIP's holder forwards, so a record about a flow is
        // newer than ours, unless it is a copy the peer holds for us.
        if (!f->synced() && (e.flags & flow_event::flag_copy) != 0) {
            return sync_refusal::sync_kept_local;
        }
        if (f->rs == e.rs && f->rs_port == e.rs_port) {
            flows_.resync(*f, st, left, now);
            ++sync_stats_.flows_updated;
            return sync_refusal::none;
        }
        // The peer rescheduled this client endpoint (connection reuse).
        f->bits = static_cast<std::uint8_t>(f->bits | flow::flag_synced);
        flows_.erase(*f);
    }
    std::uint32_t tmpl = no_template;
    if (svc->persistent()) {
        // The flow holds its client's template, as one created here does;
        // without one yet, the flow's server is the client's.
        const persist_key pk{e.client.value & svc->persistence_mask, svc->vip, svc->port,
                             svc->proto};
        tmpl = templates_.find(pk, now);
        if (tmpl == no_template) {
            tmpl = templates_.insert(pk, svc->slot, rs->slot, svc->persistence_timeout, now);
        }
    }
    // Not announced: the peer owns it (resync() marks it below). An expired
    // entry this takes over goes quietly too: the peer's copy expires alike.
    flow_event_buffer* const events = flows_.events();
    flows_.attach_events(nullptr);
    const insert_result ins = flows_.insert({.client = e.client,
                                             .client_port = e.client_port,
                                             .vip = e.vip,
                                             .vport = e.vport,
                                             .rs = rs->address,
                                             .rs_port = rs->port,
                                             .proto = e.proto,
                                             .state = st,
                                             .service_slot = svc->slot,
                                             .rs_slot = rs->slot,
                                             .persist = tmpl},
                                            now);
    flows_.attach_events(events);
    switch (ins.status) {
    case insert_status::ok:
        break;
    case insert_status::reverse_in_use:
        return sync_refusal::sync_reverse_in_use;
    case insert_status::full:
    case insert_status::exists: // not after the lookup above
        return sync_refusal::sync_table_full;
    }
    if (tmpl != no_template) {
        templates_.attach(tmpl, now);
    }
    flows_.resync(*ins.f, st, left, now);
    ++sync_stats_.flows_added;
    return sync_refusal::none;
}

sync_refusal engine::install_template(const flow_event& e, const service& svc,
                                      const real_server& rs, time_point now) noexcept {
    if (!svc.persistent()) {
        return sync_refusal::sync_not_persistent;
    }
    const milliseconds left{e.timeout_ms};
    if (left.count() == 0 || left > svc.persistence_timeout) {
        return sync_refusal::sync_bad_timeout;
    }
    const persist_key pk{e.client.value & svc.persistence_mask, svc.vip, svc.port, svc.proto};
    // Creates the template or re-points it; its flows stay counted.
    const std::uint32_t i = templates_.insert(pk, svc.slot, rs.slot, svc.persistence_timeout, now);
    if (i == no_template) {
        return sync_refusal::sync_table_full;
    }
    templates_.set_remaining(i, left, now);
    ++sync_stats_.templates;
    return sync_refusal::none;
}

export_result engine::export_some(export_cursor& c, std::uint32_t max_entries,
                                  flow_event_buffer& out, const service_table& table,
                                  time_point now) noexcept {
    export_result r;
    if (c.done) {
        r.done = true;
        return r;
    }
    if (!c.templates) {
        r = flows_.export_some(c.index, max_entries, out, now);
        if (!r.done) {
            return r;
        }
        c.templates = true;
        c.index = 0;
        r.done = false;
    }
    const std::uint32_t cap = templates_.capacity();
    while (c.index < cap && r.examined < max_entries) {
        const persist_entry& t = templates_.at(c.index);
        const milliseconds left = templates_.remaining(c.index, now);
        const real_server* rs = table.real_server_by_slot(t.rs_slot);
        if (left.count() > 0 && rs != nullptr) {
            if (out.full()) {
                return r;
            }
            out.push(template_event(t, *rs, left));
            ++r.emitted;
        }
        ++c.index;
        ++r.examined;
    }
    c.done = c.index >= cap;
    r.done = c.done;
    return r;
}

std::uint32_t engine::sync_refresh(time_point now) noexcept {
    flow_event_buffer* out = flows_.events();
    if (out == nullptr) {
        return 0;
    }
    const std::uint64_t cap = flows_.capacity();
    const std::int64_t period =
        cfg_.sync_refresh_period.count() > 0 ? cfg_.sync_refresh_period.count() : std::int64_t{1};
    const std::int64_t elapsed = (now - pass_start_).count();
    if (elapsed <= 0) {
        return 0;
    }
    const std::uint64_t due = elapsed >= period ? cap
                                                : cap * static_cast<std::uint64_t>(elapsed) /
                                                      static_cast<std::uint64_t>(period);
    if (due <= refresh_done_) {
        return 0;
    }
    const std::uint64_t n64 = due - refresh_done_;
    const std::uint32_t n =
        n64 < cfg_.sync_refresh_budget ? static_cast<std::uint32_t>(n64) : cfg_.sync_refresh_budget;
    const std::uint32_t examined =
        flows_.refresh_some(refresh_cursor_, n, now - prev_pass_start_, *out, now);
    refresh_done_ += examined;
    if (refresh_done_ >= cap) {
        // A pass ends no earlier than one period after it started (the last
        // entry is due then): the next one starts now, so every entry is
        // visited about once per period.
        prev_pass_start_ = pass_start_;
        pass_start_ = now;
        refresh_done_ = 0;
        refresh_cursor_ = 0;
    }
    return examined;
}

} // namespace vipgate::lb
