// control_plane: health checks (TCP_CHECK) wired to the shell and to the
// virtual servers. lib/health decides; this file sends its SYNs and RSTs,
// feeds it the punted answers and hands its verdicts to lb_manager.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "control/control_plane.hpp"
#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::control {

void control_plane::start_health_checks() {
    if (!lb_) {
        return;
    }
    health::probe_table_config pc;
    pc.port_first = pipeline::probe_port_first;
    pc.port_last = pipeline::probe_port_last;
    // Unpredictable ISNs (RFC 6528): a guessable one lets anybody keep a
    // dead server UP with a forged SYN-ACK.
    std::random_device rd;
    pc.isn_seed = (std::uint64_t{rd()} << 32) ^ rd() ^ static_cast<std::uint64_t>(now().count());
    health_ = std::make_unique<health::monitor>(pc);
    std::mt19937 jitter(rd());
    usec t = now();
    auto& services = lb_->services();
    for (std::size_t i = 0; i < services.size(); ++i) {
        const auto& vs = services[i];
        for (std::size_t j = 0; j < vs.rs.size(); ++j) {
            const auto& r = vs.rs[j].cfg;
            if (!r.check || vs.rs[j].draining_since) {
                continue;
            }
            health::checker_config c;
            c.target.ip = r.check->connect_ip.value_or(r.rs.address);
            c.target.port =
                r.check->connect_port.value_or(r.rs.port ? r.rs.port : vs.cfg.service.port);
            c.delay_loop = r.check->delay_loop;
            c.connect_timeout = r.check->connect_timeout;
            c.retry = r.check->retry;
            c.delay_before_retry = r.check->delay_before_retry;
            c.alpha = !vs.rs[j].healthy; // after a reload: keep a DOWN server DOWN
            // First probe after the real servers' MACs are resolved (at
            // most a second), spread like keepalived spreads its checkers.
            auto spread = std::min<usec>(c.delay_loop, std::chrono::seconds(1));
            c.warmup = std::chrono::milliseconds(200) +
                       usec(std::uniform_int_distribution<std::int64_t>(0, spread.count())(jitter));
            if (auto v = health::validate(c); !v) {
                spdlog::error("virtual server {}: real server {}: health check: {}", vs.cfg.name,
                              r.rs.address.to_string(), v.message());
                continue;
            }
            checked_[health_->add(c, t)] = {i, j};
        }
    }
    if (checked_.empty()) {
        health_.reset();
    } else {
        spdlog::info("health checks: {} TCP_CHECK checker(s), probes from ports {}-{}",
                     checked_.size(), pc.port_first, pc.port_last);
    }
}

bool control_plane::send_tcp(net::ipv4_addr dst, const net::tcp_spec& tcp, bool& no_route) {
    no_route = false;
    // Route: the port whose subnet holds dst, else a port's gateway.
    std::uint16_t port = 0xffff;
    net::ipv4_addr via = dst;
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        if (sh_.ports()[i].cfg.address.contains(dst)) {
            port = i;
            break;
        }
    }
    if (port == 0xffff) {
        for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
            if (auto g = gateway_of(i)) {
                port = i;
                via = *g;
                break;
            }
        }
    }
    if (port == 0xffff) {
        no_route = true;
        return false;
    }
    const auto* e = neigh_.table().find(via);
    if (e == nullptr || !(e->st == neigh::state::reachable || e->st == neigh::state::stale ||
                          e->st == neigh::state::static_)) {
        // Failed resolution is a failed probe; still resolving: ask again and
        // let the probe time out if it never resolves.
        if (e != nullptr && e->st == neigh::state::failed) {
            no_route = true;
        }
        neigh_.table().resolve(port, via, now());
        return false;
    }
    const auto& p = sh_.ports()[port];
    std::uint8_t buf[128];
    std::size_t n =
        net::build_tcp_frame(std::span<std::uint8_t>(buf), {.dst = e->mac, .src = p.mac},
                             {.src = p.cfg.address.addr, .dst = dst}, tcp);
    if (n == 0) {
        return false;
    }
    return send_frame(port, std::span<const std::uint8_t>(buf, n));
}

void control_plane::apply_health(const health::actions& a) {
    for (const auto& syn : a.syns) {
        bool no_route = false;
        if (send_tcp(syn.syn.dst.ip, syn.syn.tcp_spec(), no_route)) {
            ++counters_.probes_sent;
        } else if (no_route) {
            apply_health(health_->on_no_route(now(), syn.checker, syn.probe_id));
        }
    }
    for (const auto& rst : a.rsts) {
        bool no_route = false;
        if (send_tcp(rst.dst.ip, rst.tcp_spec(), no_route)) {
            ++counters_.probe_rsts_sent;
        }
    }
    for (const auto& ch : a.changes) {
        auto it = checked_.find(ch.checker);
        if (it == checked_.end() || !lb_) {
            continue;
        }
        update_rs_health(it->second.first, it->second.second, ch.change.to == health::state::up,
                         ch.change.reason);
    }
}

void control_plane::handle_probe(const punt_view& f) {
    ++counters_.probe_answers;
    if (!health_) {
        ++counters_.probe_unmatched;
        return;
    }
    std::span<const std::uint8_t> frame = f.frame;
    net::packet_meta meta;
    if (net::parse(frame, meta) != pipeline::drop_reason::none ||
        meta.ip_proto != net::ip_proto_tcp) {
        ++counters_.probe_unmatched;
        return;
    }
    // Only a segment with a good checksum may keep a server UP or take it
    // DOWN.
    if (!net::tcp_checksum_ok(meta.src, meta.dst, frame.subspan(meta.l4_offset, meta.l4_len))) {
        ++counters_.probe_bad_checksum;
        return;
    }
    net::tcp_cview tcp(frame.subspan(meta.l4_offset, net::tcp_min_header_len));
    health::segment seg;
    seg.src_ip = meta.src;
    seg.src_port = meta.src_port;
    seg.dst_port = meta.dst_port;
    seg.flags = tcp.flags();
    seg.seq = tcp.seq();
    seg.ack = tcp.ack();
    apply_health(health_->on_segment(now(), seg));
}

void control_plane::refresh_health_reasons() {
    // A checker only reports changes; successes that change nothing still
    // update what the operator sees (the last probe's outcome).
    if (!health_ || !lb_) {
        return;
    }
    for (const auto& [id, where] : checked_) {
        const auto* c = health_->find(id);
        if (c == nullptr || c->stats().last_reason.empty() || has_misc(where.first, where.second)) {
            continue; // with a MISC_CHECK too: the reason of the last change stays
        }
        lb_->services()[where.first].rs[where.second].health_reason = c->stats().last_reason;
    }
}

void control_plane::update_rs_health(std::size_t vs, std::size_t rs, bool reporter_up,
                                     const std::string& reason) {
    if (!lb_) {
        return;
    }
    // A TCP_CHECK alone decides by itself; with MISC_CHECKs every checker's
    // current verdict counts.
    bool up = reporter_up;
    if (has_misc(vs, rs)) {
        for (const auto& [id, where] : checked_) {
            const auto* c = health_ ? health_->find(id) : nullptr;
            if (where == std::pair{vs, rs} && c != nullptr && c->current() != health::state::up) {
                up = false;
            }
        }
        for (const auto& m : misc_) {
            if (m.vs == vs && m.rs == rs && !m.checker->is_up()) {
                up = false;
            }
        }
    }
    set_rs_health(vs, rs, up,
                  reporter_up && !up ? reason + " (another checker of it is still down)" : reason);
    snapshot_dirty_ = true;
}

bool control_plane::has_misc(std::size_t vs, std::size_t rs) const {
    return std::any_of(misc_.begin(), misc_.end(),
                       [&](const misc_slot& m) { return m.vs == vs && m.rs == rs; });
}

std::vector<health_row> control_plane::health_checks() {
    std::vector<health_row> rows;
    if (!lb_) {
        return rows;
    }
    if (!health_) {
        misc_rows(rows);
        return rows;
    }
    refresh_health_reasons();
    for (const auto& [id, where] : checked_) {
        const auto* c = health_->find(id);
        if (c == nullptr) {
            continue;
        }
        const auto& vs = lb_->services()[where.first];
        const auto& rs = vs.rs[where.second];
        const auto& st = c->stats();
        rows.push_back({.virtual_server = vs.cfg.name,
                        .rs_address = rs.cfg.rs.address,
                        .rs_port = rs.cfg.rs.port ? rs.cfg.rs.port : vs.cfg.service.port,
                        .checker = "TCP_CHECK",
                        .up = c->current() == health::state::up,
                        .reason = st.last_reason.empty() ? rs.health_reason : st.last_reason,
                        .probes = st.probes_sent,
                        .successes = st.successes,
                        .timeouts = st.timeouts,
                        .refused = st.refused,
                        .no_route = st.no_route});
    }
    misc_rows(rows);
    return rows;
}

} // namespace vipgate::control
