// control_plane: the reports behind `show ...`, telemetry and the control
// socket, and the `clear stats` baselines they subtract.
#include <spdlog/spdlog.h>

#include "control/control_plane.hpp"

namespace vipgate::control {

json control_plane::report_summary() {
    json o = json::object();
    o.set("uptime_s",
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::seconds>(now() - started_at_).count()));
    o.set("ports", static_cast<std::uint64_t>(sh_.ports().size()));
    o.set("workers", sh_.worker_count());
    o.set("config", cfg_.source_file);
    return o;
}

json control_plane::report_ports() {
    json rows = json::array();
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        const auto& p = sh_.ports()[i];
        auto l = sh_.link(i);
        json r = json::object();
        r.set("name", p.name);
        r.set("port_id", static_cast<unsigned>(p.port_id));
        r.set("device", p.eal_name);
        r.set("driver", p.driver);
        r.set("mac", p.mac.to_string());
        r.set("address", p.cfg.address.to_string());
        r.set("link", l.up ? "up" : "down");
        r.set("speed_mbps", static_cast<std::uint64_t>(l.speed_mbps));
        r.set("queues", sh_.worker_count());
        // Where adverts, GARPs, ARP requests and probes leave.
        r.set("control_tx", p.control_queue >= 0 ? "queue " + std::to_string(p.control_queue)
                                                 : std::string("via worker 0"));
        rows.push(std::move(r));
    }
    return rows;
}

json control_plane::report_port_stats() {
    json rows = json::array();
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        const auto& p = sh_.ports()[i];
        auto s = sh_.port_stats(i);
        const auto& b = port_base_[i];
        json r = json::object();
        r.set("name", p.name);
        r.set("port_id", static_cast<unsigned>(p.port_id));
        r.set("rx_packets", s.ipackets - b.ipackets);
        r.set("rx_bytes", s.ibytes - b.ibytes);
        r.set("rx_missed", s.imissed - b.imissed);
        r.set("rx_errors", s.ierrors - b.ierrors);
        r.set("rx_nombuf", s.rx_nombuf - b.rx_nombuf);
        r.set("tx_packets", s.opackets - b.opackets);
        r.set("tx_bytes", s.obytes - b.obytes);
        r.set("tx_errors", s.oerrors - b.oerrors);
        rows.push(std::move(r));
    }
    return rows;
}

json control_plane::report_lcores() {
    json rows = json::array();
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        const auto& s = sh_.worker(w);
        const auto& b = worker_base_[w];
        std::uint64_t polls = s.polls.get() - b.polls;
        std::uint64_t busy = s.busy_polls.get() - b.busy_polls;
        json r = json::object();
        r.set("worker", w);
        r.set("lcore", sh_.worker_lcore(w));
        r.set("rx_packets", s.rx_packets.get() - b.rx);
        r.set("tx_packets", s.tx_packets.get() - b.tx);
        r.set("replies", s.replies.get() - b.replies);
        r.set("punts", s.punts.get() - b.punts);
        r.set("control_tx", s.control_tx.get() - b.control_tx);
        r.set("drops", s.drops.get() - b.drops);
        r.set("polls", polls);
        r.set("busy_pct",
              polls ? static_cast<double>(busy) * 100.0 / static_cast<double>(polls) : 0.0);
        r.set("idle_sleeps", s.idle_sleeps.get() - b.idle_sleeps);
        if (sh_.lb_enabled()) {
            r.set("forwarded", s.forwarded.get());
            r.set("new_flows", s.new_flows.get());
            r.set("conn_reused", s.conn_reused.load(std::memory_order_relaxed));
            r.set("persist_hits", s.persist_hits.load(std::memory_order_relaxed));
            r.set("persist_resched", s.persist_resched.load(std::memory_order_relaxed));
            r.set("flows", s.flows_active.load(std::memory_order_relaxed));
            r.set("flow_capacity", s.flow_capacity.load(std::memory_order_relaxed));
            r.set("handoffs_out", s.handoffs_out.get());
            r.set("handoffs_in", s.handoffs_in.get());
            r.set("expired", s.flows_expired.get());
            r.set("taken_over", s.flows_taken_over.load(std::memory_order_relaxed));
        }
        rows.push(std::move(r));
    }
    return rows;
}

json control_plane::report_stats() {
    json o = json::object();
    json drops = json::object();
    std::uint64_t total = 0;
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        std::uint64_t v = 0;
        for (unsigned w = 0; w < sh_.worker_count(); ++w) {
            v += sh_.worker(w).drop[r].get() - worker_base_[w].drop[r];
        }
        total += v;
        drops.set(pipeline::drop_reason_name(static_cast<pipeline::drop_reason>(r)), v);
    }
    o.set("drops_total", total);
    o.set("drops", std::move(drops));
    const auto& c = counters_;
    const auto& b = counters_base_;
    json ctl = json::object();
    ctl.set("punts_handled", c.punts_handled - b.punts_handled);
    ctl.set("arp_punts", c.arp_punts - b.arp_punts);
    ctl.set("arp_malformed", c.arp_malformed - b.arp_malformed);
    ctl.set("arp_not_in_subnet", c.arp_not_in_subnet - b.arp_not_in_subnet);
    ctl.set("arp_conflicts", c.arp_conflicts - b.arp_conflicts);
    ctl.set("unknown_punts", c.unknown_punts - b.unknown_punts);
    ctl.set("arp_requests_sent", c.arp_requests_sent - b.arp_requests_sent);
    ctl.set("control_tx_alloc_failed", c.control_tx_alloc_failed - b.control_tx_alloc_failed);
    auto tx = sh_.control_tx();
    ctl.set("control_tx_ring_full", tx.ring_full + c.control_tx_no_buffer);
    ctl.set("control_tx_queue_full", tx.queue_full);
    ctl.set("punt_ring_backlog", sh_.punt_backlog());
    ctl.set("notices", c.notices - b.notices);
    std::uint64_t lost = 0;
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        lost += sh_.worker(w).notices_lost.get();
    }
    ctl.set("notices_lost", lost);
    ctl.set("snapshots_published", c.snapshots - b.snapshots);
    ctl.set("probes_sent", c.probes_sent - b.probes_sent);
    ctl.set("probe_rsts_sent", c.probe_rsts_sent - b.probe_rsts_sent);
    ctl.set("probe_answers", c.probe_answers - b.probe_answers);
    ctl.set("probe_unmatched", c.probe_unmatched - b.probe_unmatched);
    ctl.set("probe_bad_checksum", c.probe_bad_checksum - b.probe_bad_checksum);
    o.set("control", std::move(ctl));
    o.set("neighbours", neigh_.report_stats());
    if (vrrp_) {
        o.set("vrrp", vrrp_->tx_report(sh_));
    }
    o.set("since_s",
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::seconds>(now() - stats_cleared_at_).count()));
    return o;
}

json control_plane::report_virtual_servers() {
    if (!lb_) {
        return json::array();
    }
    refresh_health_reasons();
    return lb_->report(sh_, now());
}

json control_plane::report_flows(const std::string& vs, std::uint32_t limit) {
    if (!lb_) {
        return json::array();
    }
    return lb_->report_flows(sh_, vs, limit);
}

json control_plane::report_vrrp(const std::string& name) {
    if (!vrrp_) {
        return json::array();
    }
    return vrrp_->report(now(), sh_, name);
}

void control_plane::clear_stats() {
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        const auto& s = sh_.worker(w);
        auto& b = worker_base_[w];
        b.rx = s.rx_packets.get();
        b.rx_bytes = s.rx_bytes.get();
        b.tx = s.tx_packets.get();
        b.replies = s.replies.get();
        b.punts = s.punts.get();
        b.control_tx = s.control_tx.get();
        b.drops = s.drops.get();
        b.polls = s.polls.get();
        b.busy_polls = s.busy_polls.get();
        b.idle_sleeps = s.idle_sleeps.get();
        for (std::size_t r = 0; r < pipeline::drop_reason_count; ++r) {
            b.drop[r] = s.drop[r].get();
        }
    }
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        port_base_[i] = sh_.port_stats(i);
    }
    counters_base_ = counters_;
    stats_cleared_at_ = now();
    spdlog::info("statistics cleared");
}

} // namespace vipgate::control
