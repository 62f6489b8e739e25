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
        return nullptr;
    }
    const real_server* r = &servers[i];
    if (svc.persistent()) {
        // Creates the template, or re-points the existing one. When the
        // template table is full the flow goes ahead without persistence.
        tmpl = templates_.insert(pk, svc.slot, r->slot, svc.persistence_timeout, now);
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
        const bool server_gone =
            cur == nullptr || !cur->eligible() || cur->address != f->rs || cur->port != f->rs_port;
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

} // namespace vipgate::lb
