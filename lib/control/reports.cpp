// control_plane: the reports behind `show ...`, telemetry and the control
// socket, and the `clear stats` baselines they subtract.
#include <spdlog/spdlog.h>

#include "control/control_plane.hpp"

namespace vipgate::control {

summary_report control_plane::info() {
    return {.uptime = std::chrono::duration_cast<std::chrono::seconds>(now() - started_at_),
            .ports = sh_.ports().size(),
            .workers = sh_.worker_count(),
            .config = cfg_.source_file};
}

std::vector<port_row> control_plane::ports() {
    std::vector<port_row> rows;
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        const auto& p = sh_.ports()[i];
        auto l = sh_.link(i);
        port_row r{.name = p.name,
                   .port_id = p.port_id,
                   .device = p.eal_name,
                   .driver = p.driver,
                   .mac = p.mac,
                   .address = p.cfg.address,
                   .link_up = l.up,
                   .speed_mbps = l.speed_mbps,
                   .queues = sh_.worker_count(),
                   .steering = p.steering};
        if (p.control_queue >= 0) {
            r.control_queue = static_cast<unsigned>(p.control_queue);
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<port_stats_row> control_plane::port_stats() {
    std::vector<port_stats_row> rows;
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        auto s = sh_.port_stats(i);
        const auto& b = port_base_[i];
        rows.push_back({.name = sh_.ports()[i].name,
                        .port_id = sh_.ports()[i].port_id,
                        .rx_packets = s.ipackets - b.ipackets,
                        .rx_bytes = s.ibytes - b.ibytes,
                        .rx_missed = s.imissed - b.imissed,
                        .rx_errors = s.ierrors - b.ierrors,
                        .rx_nombuf = s.rx_nombuf - b.rx_nombuf,
                        .tx_packets = s.opackets - b.opackets,
                        .tx_bytes = s.obytes - b.obytes,
                        .tx_errors = s.oerrors - b.oerrors});
    }
    return rows;
}

std::vector<lcore_row> control_plane::lcores() {
    std::vector<lcore_row> rows;
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        const auto& s = sh_.worker(w);
        const auto& b = worker_base_[w];
        lcore_row r;
        r.worker = w;
        r.lcore = sh_.worker_lcore(w);
        r.rx_packets = s.rx_packets.get() - b.rx;
        r.tx_packets = s.tx_packets.get() - b.tx;
        r.replies = s.replies.get() - b.replies;
        r.punts = s.punts.get() - b.punts;
        r.control_tx = s.control_tx.get() - b.control_tx;
        r.drops = s.drops.get() - b.drops;
        r.polls = s.polls.get() - b.polls;
        std::uint64_t busy = s.busy_polls.get() - b.busy_polls;
        r.busy_pct =
            r.polls ? static_cast<double>(busy) * 100.0 / static_cast<double>(r.polls) : 0.0;
        r.idle_sleeps = s.idle_sleeps.get() - b.idle_sleeps;
        if (sh_.lb_enabled()) {
            auto g = [](const auto& gauge) { return gauge.load(std::memory_order_relaxed); };
            r.lb = lcore_row::lb_counters{.forwarded = s.forwarded.get(),
                                          .new_flows = s.new_flows.get(),
                                          .conn_reused = g(s.conn_reused),
                                          .persist_hits = g(s.persist_hits),
                                          .persist_resched = g(s.persist_resched),
                                          .sorry_flows = g(s.sorry_flows),
                                          .flows = g(s.flows_active),
                                          .flow_capacity = g(s.flow_capacity),
                                          .handoffs_out = s.handoffs_out.get(),
                                          .handoffs_in = s.handoffs_in.get(),
                                          .expired = s.flows_expired.get(),
                                          .taken_over = g(s.flows_taken_over)};
        }
        rows.push_back(r);
    }
    return rows;
}

stats_report control_plane::stats() {
    stats_report o;
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        std::uint64_t v = 0;
        for (unsigned w = 0; w < sh_.worker_count(); ++w) {
            v += sh_.worker(w).drop[r].get() - worker_base_[w].drop[r];
        }
        o.drops_total += v;
        o.drops.emplace_back(pipeline::drop_reason_name(static_cast<pipeline::drop_reason>(r)), v);
    }
    o.control = control_stats();
    o.neighbours = neigh_.stats();
    if (vrrp_) {
        o.vrrp = vrrp_->tx_report(sh_);
    }
    o.since_s = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now() - stats_cleared_at_).count());
    return o;
}

named_counters control_plane::control_stats() const {
    const auto& c = counters_;
    const auto& b = counters_base_;
    auto tx = sh_.control_tx();
    std::uint64_t lost = 0;
    for (unsigned w = 0; w < sh_.worker_count(); ++w) {
        lost += sh_.worker(w).notices_lost.get();
    }
    return {
        {"punts_handled", c.punts_handled - b.punts_handled},
        {"arp_punts", c.arp_punts - b.arp_punts},
        {"arp_malformed", c.arp_malformed - b.arp_malformed},
        {"arp_not_in_subnet", c.arp_not_in_subnet - b.arp_not_in_subnet},
        {"arp_conflicts", c.arp_conflicts - b.arp_conflicts},
        {"unknown_punts", c.unknown_punts - b.unknown_punts},
        {"arp_requests_sent", c.arp_requests_sent - b.arp_requests_sent},
        {"control_tx_alloc_failed", c.control_tx_alloc_failed - b.control_tx_alloc_failed},
        // Not baselined: the shell's own counters.
        {"control_tx_ring_full", tx.ring_full + c.control_tx_no_buffer},
        {"control_tx_queue_full", tx.queue_full},
        {"punt_ring_backlog", sh_.punt_backlog()},
        {"notices", c.notices - b.notices},
        {"notices_lost", lost},
        {"snapshots_published", c.snapshots - b.snapshots},
        {"probes_sent", c.probes_sent - b.probes_sent},
        {"probe_rsts_sent", c.probe_rsts_sent - b.probe_rsts_sent},
        {"probe_answers", c.probe_answers - b.probe_answers},
        {"probe_unmatched", c.probe_unmatched - b.probe_unmatched},
        {"probe_bad_checksum", c.probe_bad_checksum - b.probe_bad_checksum},
    };
}

std::vector<virtual_server_row> control_plane::virtual_servers() {
    if (!lb_) {
        return {};
    }
    refresh_health_reasons();
    return lb_->report(sh_, now());
}

std::vector<flow_row> control_plane::flows(const std::string& vs, std::uint32_t limit) {
    if (!lb_) {
        return {};
    }
    return lb_->flows(sh_, vs, limit);
}

std::vector<vrrp_instance_row> control_plane::vrrp_instances(const std::string& name) {
    if (!vrrp_) {
        return {};
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

namespace vipgate::control {

json to_json(const named_counters& c) {
    json o = json::object();
    for (const auto& [k, v] : c) {
        o[k] = v;
    }
    return o;
}

std::string control_tx_text(const port_row& r) {
    return r.control_queue ? "queue " + std::to_string(*r.control_queue)
                           : std::string("via worker 0");
}

std::string steering_text(const port_steering& s) {
    switch (s.mode) {
    case steering_mode::nic:
        return "nic (" + std::to_string(s.rules) + " rules)";
    case steering_mode::rss_handoff:
        return "rss+handoff (" + s.reason + ")";
    case steering_mode::none:
        break;
    }
    return s.reason.empty() ? std::string("none") : "none (" + s.reason + ")";
}

std::string endpoint_text(net::ipv4_addr a, std::uint16_t port) {
    return a.to_string() + ":" + std::to_string(port);
}

json to_json(const summary_report& s) {
    json o = json::object();
    o["uptime_s"] = static_cast<std::uint64_t>(s.uptime.count());
    o["ports"] = s.ports;
    o["workers"] = s.workers;
    o["config"] = s.config;
    return o;
}

json to_json(const std::vector<port_row>& rows) {
    json out = json::array();
    for (const auto& p : rows) {
        json r = json::object();
        r["name"] = p.name;
        r["port_id"] = p.port_id;
        r["device"] = p.device;
        r["driver"] = p.driver;
        r["mac"] = p.mac.to_string();
        r["address"] = p.address.to_string();
        r["link"] = p.link_up ? "up" : "down";
        r["speed_mbps"] = p.speed_mbps;
        r["queues"] = p.queues;
        r["control_tx"] = control_tx_text(p);
        r["steering"] = steering_text(p.steering);
        out.push_back(std::move(r));
    }
    return out;
}

json to_json(const std::vector<arp_row>& rows) {
    json out = json::array();
    for (const auto& e : rows) {
        json r = json::object();
        r["address"] = e.address.to_string();
        r["mac"] = e.mac ? e.mac->to_string() : std::string("-");
        r["port"] = e.port;
        r["state"] = neigh::state_name(e.state);
        r["age_s"] = e.age ? json(static_cast<std::uint64_t>(e.age->count())) : json(nullptr);
        r["probes"] = e.probes;
        out.push_back(std::move(r));
    }
    return out;
}

json to_json(const std::vector<health_row>& rows) {
    json out = json::array();
    for (const auto& h : rows) {
        json o = json::object();
        o["virtual_server"] = h.virtual_server;
        o["real_server"] = endpoint_text(h.rs_address, h.rs_port);
        o["checker"] = h.checker;
        o["state"] = h.up ? "UP" : "DOWN";
        o["reason"] = h.reason;
        o["probes"] = h.probes;
        o["successes"] = h.successes;
        o["timeouts"] = h.timeouts;
        o["refused"] = h.refused;
        o["no_route"] = h.no_route;
        out.push_back(std::move(o));
    }
    return out;
}

json to_json(const std::vector<flow_row>& rows) {
    json out = json::array();
    for (const auto& f : rows) {
        json o = json::object();
        o["protocol"] = lb::protocol_name(f.protocol);
        o["client"] = endpoint_text(f.client, f.client_port);
        o["virtual"] = endpoint_text(f.vip, f.vport);
        o["real_server"] = endpoint_text(f.rs, f.rs_port);
        o["state"] = lb::flow_state_name(f.state);
        o["expires_s"] = static_cast<double>(f.expires_in.count()) / 1000.0;
        out.push_back(std::move(o));
    }
    return out;
}

json to_json(const std::vector<port_stats_row>& rows) {
    json out = json::array();
    for (const auto& p : rows) {
        json r = json::object();
        r["name"] = p.name;
        r["port_id"] = p.port_id;
        r["rx_packets"] = p.rx_packets;
        r["rx_bytes"] = p.rx_bytes;
        r["rx_missed"] = p.rx_missed;
        r["rx_errors"] = p.rx_errors;
        r["rx_nombuf"] = p.rx_nombuf;
        r["tx_packets"] = p.tx_packets;
        r["tx_bytes"] = p.tx_bytes;
        r["tx_errors"] = p.tx_errors;
        out.push_back(std::move(r));
    }
    return out;
}

namespace {

void add_lb(json& r, const lcore_row::lb_counters& l) {
    r["forwarded"] = l.forwarded;
    r["new_flows"] = l.new_flows;
    r["conn_reused"] = l.conn_reused;
    r["persist_hits"] = l.persist_hits;
    r["persist_resched"] = l.persist_resched;
    r["sorry_flows"] = l.sorry_flows;
    r["flows"] = l.flows;
    r["flow_capacity"] = l.flow_capacity;
    r["handoffs_out"] = l.handoffs_out;
    r["handoffs_in"] = l.handoffs_in;
    r["expired"] = l.expired;
    r["taken_over"] = l.taken_over;
}

} // namespace

json to_json(const std::vector<lcore_row>& rows) {
    json out = json::array();
    for (const auto& w : rows) {
        json r = json::object();
        r["worker"] = w.worker;
        r["lcore"] = w.lcore;
        r["rx_packets"] = w.rx_packets;
        r["tx_packets"] = w.tx_packets;
        r["replies"] = w.replies;
        r["punts"] = w.punts;
        r["control_tx"] = w.control_tx;
        r["drops"] = w.drops;
        r["polls"] = w.polls;
        r["busy_pct"] = w.busy_pct;
        r["idle_sleeps"] = w.idle_sleeps;
        if (w.lb) {
            add_lb(r, *w.lb);
        }
        out.push_back(std::move(r));
    }
    return out;
}

json to_json(const stats_report& s) {
    json o = json::object();
    o["drops_total"] = s.drops_total;
    o["drops"] = to_json(s.drops);
    o["control"] = to_json(s.control);
    o["neighbours"] = to_json(s.neighbours);
    if (s.vrrp) {
        o["vrrp"] = *s.vrrp;
    }
    o["since_s"] = s.since_s;
    return o;
}

json to_json(const std::vector<virtual_server_row>& rows) {
    json out = json::array();
    for (const auto& v : rows) {
        json o = json::object();
        o["name"] = v.name;
        o["protocol"] = v.protocol;
        o["address"] = v.address;
        o["port"] = v.port;
        o["scheduler"] = v.scheduler;
        o["persistence_timeout_s"] = v.persistence_timeout_s;
        o["delay_loop_s"] = v.delay_loop_s;
        o["quorum"] = v.quorum;
        o["hysteresis"] = v.hysteresis;
        o["quorum_state"] = v.quorum_state;
        o["live_weight"] = v.live_weight;
        o["quorum_transitions"] = v.quorum_transitions;
        json rss = json::array();
        for (const auto& r : v.real_servers) {
            json x = json::object();
            x["address"] = r.address;
            x["port"] = r.port;
            x["forward"] = r.forward;
            x["weight"] = r.weight;
            x["effective_weight"] = r.effective_weight;
            x["state"] = r.state;
            x["check"] = r.check;
            x["health"] = r.health;
            x["health_since_s"] = r.health_since_s;
            x["inhibit_on_failure"] = r.inhibit_on_failure;
            x["active_conns"] = r.active_conns;
            x["inactive_conns"] = r.inactive_conns;
            x["packets"] = r.packets;
            x["bytes"] = r.bytes;
            rss.push_back(std::move(x));
        }
        o["active_conns"] = v.active_conns;
        o["inactive_conns"] = v.inactive_conns;
        o["packets"] = v.packets;
        o["bytes"] = v.bytes;
        o["real_servers"] = std::move(rss);
        out.push_back(std::move(o));
    }
    return out;
}

namespace {

json strings(const std::vector<std::string>& v) {
    json a = json::array();
    for (const auto& e : v) {
        a.push_back(e);
    }
    return a;
}

void add_vrrp_counters(json& o, const vrrp::instance_counters& c) {
    o["adverts_sent"] = c.adverts_sent;
    o["adverts_received"] = c.adverts_received;
    o["adverts_ignored"] = c.adverts_ignored;
    o["lower_priority_discarded"] = c.lower_priority_discarded;
    o["priority_zero_sent"] = c.priority_zero_sent;
    o["priority_zero_received"] = c.priority_zero_received;
    o["became_master"] = c.became_master;
    o["released_master"] = c.released_master;
    o["forced_elections"] = c.forced_elections;
    o["garp_bursts"] = c.garp_bursts;
    o["interval_adopted"] = c.interval_adopted;
}

} // namespace

json to_json(const vrrp_instance_row& r) {
    json o = json::object();
    o["name"] = r.name;
    o["port"] = r.port;
    o["vrid"] = r.vrid;
    o["version"] = r.version;
    o["state"] = r.state;
    o["priority"] = r.priority;
    o["effective_priority"] = r.effective_priority;
    o["master_address"] = r.master_address;
    o["master_priority"] = r.master_priority;
    o["advert_interval_s"] = r.advert_interval_s;
    o["master_adver_interval_s"] = r.master_adver_interval_s;
    o["master_down_interval_s"] = r.master_down_interval_s;
    o["time_to_master_down_s"] =
        r.time_to_master_down_s ? json(*r.time_to_master_down_s) : json(nullptr);
    o["preempt"] = r.preempt;
    o["preempt_delay_s"] = r.preempt_delay_s;
    o["resigned"] = r.resigned;
    o["owns_vips"] = r.owns_vips;
    o["virtual_addresses"] = strings(r.virtual_addresses);
    o["source_address"] = r.source_address;
    o["mac"] = r.mac;
    o["unicast_peers"] = strings(r.unicast_peers);
    o["authentication"] = r.authentication;
    o["sync_group"] = r.sync_group ? json(*r.sync_group) : json(nullptr);
    add_vrrp_counters(o, r.counters);
    o["adverts_accepted_by_workers"] = r.adverts_accepted_by_workers;
    o["rejected_total"] = r.rejected_total;
    o["rejected"] = to_json(r.rejected);
    if (r.last_rejected) {
        json lr = json::object();
        lr["reason"] = r.last_rejected->reason;
        lr["source"] = r.last_rejected->source;
        o["last_rejected"] = std::move(lr);
    } else {
        o["last_rejected"] = nullptr;
    }
    json hist = json::array();
    for (const auto& t : r.transitions) {
        json h = json::object();
        h["ago_s"] = t.ago_s;
        h["from"] = t.from;
        h["to"] = t.to;
        h["reason"] = t.reason;
        hist.push_back(std::move(h));
    }
    o["transitions"] = std::move(hist);
    return o;
}

json to_json(const std::vector<vrrp_instance_row>& rows) {
    json out = json::array();
    for (const auto& r : rows) {
        out.push_back(to_json(r));
    }
    return out;
}

} // namespace vipgate::control
