#include "control/control_plane.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "pipeline/snapshot.hpp"

namespace vipgate::control {

namespace {

neigh::limits neighbour_limits(const config::neighbour_config& n) {
    neigh::limits l;
    l.max_entries = n.max_entries;
    l.reachable_time = std::chrono::seconds(n.reachable_time_s);
    l.retry_interval = std::chrono::milliseconds(n.retry_interval_ms);
    l.retries = n.retries;
    return l;
}

} // namespace

bool log_limiter::allow(usec now, std::uint64_t& suppressed) {
    if (now - window_start_ >= period_) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (in_window_ < burst_) {
        ++in_window_;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }
    ++suppressed_;
    return false;
}

usec control_plane::now() {
    return std::chrono::duration_cast<usec>(std::chrono::steady_clock::now().time_since_epoch());
}

control_plane::control_plane(const config::config& cfg, dataplane::dataplane& dp)
    : cfg_(cfg), dp_(dp), neighbours_(neighbour_limits(cfg.neighbours)), started_at_(now()) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ >= 0) {
        watch_fd(wake_fd_, POLLIN, [this](short) {
            std::uint64_t v;
            while (::read(wake_fd_, &v, sizeof v) > 0) {
            }
        });
    }
    link_up_.assign(dp_.ports().size(), false);
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        link_up_[i] = dp_.link(i).up;
    }
    worker_base_.resize(dp_.worker_count());
    for (auto& b : worker_base_) {
        b.drop.assign(pipeline::drop_reason_count, 0);
    }
    port_base_.resize(dp_.ports().size());
    stats_cleared_at_ = started_at_;
}

control_plane::~control_plane() {
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

result<void> control_plane::init(std::vector<std::string>* warnings) {
    auto m = vrrp_manager::make(cfg_, dp_.ports(), *this, warnings);
    if (!m) {
        return m.err();
    }
    vrrp_ = std::move(m.value());
    if (!cfg_.virtual_servers.empty()) {
        auto l = lb_manager::make(cfg_, now());
        if (!l) {
            return make_error("virtual servers: " + l.message());
        }
        lb_ = std::move(l.value());
    }
    for (const auto& sn : cfg_.neighbours.static_entries) {
        std::uint16_t pi = port_index(sn.port);
        if (pi == 0xffff) {
            return make_error("static neighbour " + sn.address.to_string() + ": no port " +
                              sn.port);
        }
        neighbours_.add_static(pi, sn.address, sn.mac);
    }
    resolve_next_hops();
    start_health_checks();
    snapshot_dirty_ = true;
    publish_if_dirty();
    vrrp_->start(now(), link_up_);
    publish_if_dirty();
    return {};
}

void control_plane::shutdown_protocols() {
    if (vrrp_) {
        vrrp_->shutdown(now());
        publish_if_dirty();
    }
    // Let worker 0 put the priority-0 adverts on the wire before it stops.
    auto deadline = now() + std::chrono::milliseconds(200);
    while (dp_.control_tx_pending() > 0 && now() < deadline) {
        ::usleep(1000);
    }
}

void control_plane::publish_if_dirty() {
    if (!snapshot_dirty_) {
        return;
    }
    snapshot_dirty_ = false;
    if (lb_ && lb_->dirty()) {
        if (auto r = lb_->rebuild(); !r) {
            spdlog::error("virtual servers: cannot rebuild the service table: {}", r.message());
        }
    }
    pipeline::snapshot_builder b;
    b.set_generation(++generation_);
    for (std::size_t pi = 0; pi < dp_.ports().size(); ++pi) {
        const auto& p = dp_.ports()[pi];
        // The gateway may change on reload: take it from the live config.
        b.add_port(p.mac, p.cfg.address, gateway_of(pi).value_or(net::ipv4_addr{}));
    }
    if (vrrp_) {
        vrrp_->fill_snapshot(b);
    }
    if (lb_) {
        // A VIP that no VRRP instance manages is always held here: answer
        // ARP and ping for it on the port whose subnet holds it.
        for (const auto& vs : lb_->services()) {
            net::ipv4_addr vip = vs.cfg.service.vip;
            if (vrrp_ && vrrp_->manages(vip)) {
                continue;
            }
            for (std::size_t i = 0; i < dp_.ports().size(); ++i) {
                if (!dp_.ports()[i].cfg.address.contains(vip)) {
                    continue;
                }
                const auto port = static_cast<std::uint16_t>(i);
                if (!b.owns(port, vip)) {
                    b.add_owned(port, {vip, dp_.ports()[i].mac});
                }
                break;
            }
        }
        b.set_services(lb_->table(), lb_->active_flags([this](net::ipv4_addr vip) {
            // A VIP that no VRRP instance manages is always ours.
            return !vrrp_ || !vrrp_->manages(vip) || vrrp_->holds(vip);
        }));
        std::vector<pipeline::next_hop> hops;
        for (const auto& e : neighbours_.entries()) {
            if (e.st == neigh::state::reachable || e.st == neigh::state::stale ||
                e.st == neigh::state::static_) {
                hops.push_back({e.ip, e.mac, e.port});
            }
        }
        b.set_neighbours(hops);
    }
    ++counters_.snapshots;
    dp_.publish(b.build());
}

bool control_plane::send_frame(std::uint16_t port, std::span<const std::uint8_t> frame) {
    return dp_.send_copy(port, frame);
}

std::optional<net::mac_addr> control_plane::neighbour_mac(std::uint16_t port, net::ipv4_addr ip) {
    const auto* e = neighbours_.find(ip);
    if (e != nullptr && (e->st == neigh::state::reachable || e->st == neigh::state::stale ||
                         e->st == neigh::state::static_)) {
        return e->mac;
    }
    neighbours_.resolve(port, ip, now());
    return std::nullopt;
}

void control_plane::handle_notice(const dataplane::dataplane::notice_view& n) {
    ++counters_.notices;
    if (n.port >= dp_.ports().size()) {
        return;
    }
    if (n.resolve) {
        // A worker needs this next hop: resolve it (no-op while resolving).
        const auto* e = neighbours_.find(n.ip);
        if (e == nullptr || e->st == neigh::state::failed || e->st == neigh::state::stale) {
            neighbours_.resolve(n.port, n.ip, now());
        }
        return;
    }
    // Learnt from an ARP request for one of our addresses (RFC 826).
    if (!dp_.ports()[n.port].cfg.address.contains(n.ip)) {
        return;
    }
    auto r = neighbours_.learn(n.port, n.ip, n.mac, now());
    if (lb_ && (r == neigh::learn_result::added || r == neigh::learn_result::updated)) {
        snapshot_dirty_ = true;
    }
}

void control_plane::resolve_next_hops() {
    if (!lb_) {
        return;
    }
    auto want = [this](net::ipv4_addr ip) {
        const auto* e = neighbours_.find(ip);
        if (e != nullptr && (e->st == neigh::state::reachable || e->st == neigh::state::static_ ||
                             e->st == neigh::state::incomplete)) {
            return;
        }
        auto r = resolve(ip);
        if (!r) {
            spdlog::debug("next hop {}: {}", ip.to_string(), r.message());
        }
    };
    for (const auto& ip : lb_->next_hops()) {
        want(ip);
    }
    for (std::size_t i = 0; i < dp_.ports().size(); ++i) {
        if (auto g = gateway_of(i)) {
            want(*g);
        }
    }
}

std::optional<net::ipv4_addr> control_plane::gateway_of(std::size_t port) const {
    return port < cfg_.ports.size() ? cfg_.ports[port].gateway : std::nullopt;
}

result<std::string> control_plane::reload_from_source() {
    if (!config_loader) {
        return make_error("no configuration source to reload from");
    }
    spdlog::info("reload: reading the configuration again");
    auto next = config_loader();
    if (!next) {
        ++reloads_failed_;
        spdlog::error("reload refused, the running configuration stays:\n{}", next.message());
        return make_error("reload refused, the running configuration stays:\n" + next.message());
    }
    for (const auto& w : next->warnings) {
        spdlog::warn("{}", w);
    }
    auto r = reload(*next);
    if (!r) {
        ++reloads_failed_;
        spdlog::error("reload refused, the running configuration stays: {}", r.message());
        return r;
    }
    ++reloads_;
    spdlog::info("reload done: {}", *r);
    return r;
}

result<std::string> control_plane::reload(const config::config& next) {
    // 1. What only a restart can change.
    std::vector<std::string> restart;
    if (next.ports.size() != cfg_.ports.size()) {
        restart.push_back("the number of ports changed");
    } else {
        for (std::size_t i = 0; i < next.ports.size(); ++i) {
            const auto& a = cfg_.ports[i];
            const auto& b = next.ports[i];
            if (a.name != b.name || a.device != b.device || !(a.address == b.address)) {
                restart.push_back("port " + a.name + " changed (name, device or address)");
            }
        }
    }
    if (!(next.dataplane == cfg_.dataplane)) {
        restart.push_back("dataplane settings changed");
    }
    if (!(next.load_balancing == cfg_.load_balancing)) {
        restart.push_back("load_balancing settings changed (flow tables are sized at start)");
    }
    if (!next.virtual_servers.empty() && !dp_.lb_enabled()) {
        restart.push_back(
            "virtual servers added to a gateway started without any (no flow tables)");
    }
    if (next.neighbours.max_entries != cfg_.neighbours.max_entries ||
        next.neighbours.reachable_time_s != cfg_.neighbours.reachable_time_s ||
        next.neighbours.retry_interval_ms != cfg_.neighbours.retry_interval_ms ||
        next.neighbours.retries != cfg_.neighbours.retries) {
        restart.push_back("neighbours settings changed");
    }
    if (!restart.empty()) {
        std::string msg = "needs a restart: ";
        for (std::size_t i = 0; i < restart.size(); ++i) {
            msg += (i ? "; " : "") + restart[i];
        }
        return make_error(msg);
    }
    // 2. Build everything new before touching anything running.
    auto vm = vrrp_manager::make(next, dp_.ports(), *this, nullptr);
    if (!vm) {
        return make_error("vrrp: " + vm.message());
    }
    std::unique_ptr<lb_manager> lm;
    if (!next.virtual_servers.empty() || lb_) {
        auto l = lb_manager::make(next, now());
        if (!l) {
            return make_error("virtual servers: " + l.message());
        }
        lm = std::move(l.value());
    }
    for (const auto& sn : next.neighbours.static_entries) {
        if (port_index(sn.port) == 0xffff) {
            return make_error("static neighbour " + sn.address.to_string() + ": no port " +
                              sn.port);
        }
    }

    // 3. Apply.
    usec t = now();
    std::string summary = "vrrp: " + vrrp_->adopt(t, *vm.value(), link_up_, dp_);
    if (lm) {
        if (lb_) {
            summary += "; " + lb_->adopt(*lm, t);
        } else {
            lb_ = std::move(lm);
            summary += "; virtual servers added";
        }
        if (auto r = lb_->rebuild(); !r) {
            spdlog::error("reload: service table: {}", r.message());
        }
    }
    for (const auto& sn : next.neighbours.static_entries) {
        neighbours_.add_static(port_index(sn.port), sn.address, sn.mac);
    }
    cfg_ = next;
    // Checkers restart with the new settings; a server that was DOWN starts
    // DOWN (alpha) so one success brings it back, as before the reload.
    checked_.clear();
    health_.reset();
    start_health_checks();
    resolve_next_hops();
    snapshot_dirty_ = true;
    publish_if_dirty();
    return summary;
}

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
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        if (dp_.ports()[i].cfg.address.contains(dst)) {
            port = i;
            break;
        }
    }
    if (port == 0xffff) {
        for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
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
    const auto* e = neighbours_.find(via);
    if (e == nullptr || !(e->st == neigh::state::reachable || e->st == neigh::state::stale ||
                          e->st == neigh::state::static_)) {
        // Failed resolution is a failed probe; still resolving: ask again and
        // let the probe time out if it never resolves.
        if (e != nullptr && e->st == neigh::state::failed) {
            no_route = true;
        }
        neighbours_.resolve(port, via, now());
        return false;
    }
    const auto& p = dp_.ports()[port];
    std::uint8_t buf[128];
    std::size_t n =
        net::build_tcp_frame(std::span<std::uint8_t>(buf), {.dst = e->mac, .src = p.mac},
                             {.src = p.cfg.address.addr, .dst = dst}, tcp);
    if (n == 0) {
        return false;
    }
    return dp_.send_copy(port, std::span<const std::uint8_t>(buf, n));
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
        lb_->set_health(it->second.first, it->second.second, ch.change.to == health::state::up,
                        ch.change.reason, now());
        snapshot_dirty_ = true;
    }
}

void control_plane::handle_probe(const dataplane::punted_frame& f) {
    ++counters_.probe_answers;
    if (!health_) {
        ++counters_.probe_unmatched;
        return;
    }
    std::span<const std::uint8_t> frame(f.data, f.length);
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
        if (c == nullptr || c->stats().last_reason.empty()) {
            continue;
        }
        lb_->services()[where.first].rs[where.second].health_reason = c->stats().last_reason;
    }
}

json control_plane::report_health() {
    json rows = json::array();
    if (!health_ || !lb_) {
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
        json o = json::object();
        o["virtual_server"] = vs.cfg.name;
        o["real_server"] = rs.cfg.rs.address.to_string() + ":" +
                           std::to_string(rs.cfg.rs.port ? rs.cfg.rs.port : vs.cfg.service.port);
        o["state"] = c->current() == health::state::up ? "UP" : "DOWN";
        o["reason"] = rs.health_reason;
        const auto& st = c->stats();
        o["probes"] = st.probes_sent;
        o["successes"] = st.successes;
        o["timeouts"] = st.timeouts;
        o["refused"] = st.refused;
        o["no_route"] = st.no_route;
        rows.push_back(std::move(o));
    }
    return rows;
}

json control_plane::report_virtual_servers() {
    if (!lb_) {
        return json::array();
    }
    refresh_health_reasons();
    return lb_->report(dp_, now());
}

json control_plane::report_flows(const std::string& vs, std::uint32_t limit) {
    if (!lb_) {
        return json::array();
    }
    return lb_->report_flows(dp_, vs, limit);
}

json control_plane::report_vrrp(const std::string& name) {
    if (!vrrp_) {
        return json::array();
    }
    return vrrp_->report(now(), dp_, name);
}

void control_plane::watch_fd(int fd, short events, fd_callback cb) {
    unwatch_fd(fd);
    fds_.push_back({fd, events, std::move(cb)});
}

void control_plane::set_fd_events(int fd, short events) {
    for (auto& w : fds_) {
        if (w.fd == fd) {
            w.events = events;
        }
    }
}

void control_plane::unwatch_fd(int fd) {
    fds_.erase(
        std::remove_if(fds_.begin(), fds_.end(), [fd](const watched& w) { return w.fd == fd; }),
        fds_.end());
}

void control_plane::request_stop(const std::string& reason) {
    if (!stop_requested_) {
        stop_requested_ = true;
        stop_reason_ = reason;
        spdlog::info("stopping: {}", reason);
    }
}

usec control_plane::next_wakeup(usec now_us) const {
    // The loop never sleeps longer than 1 ms: punt rings have no fd to wait
    // on, and 1 ms keeps ARP/VRRP handling prompt without spinning.
    usec wake = now_us + std::chrono::milliseconds(1);
    if (auto d = neighbours_.next_deadline(); d && *d < wake) {
        wake = *d;
    }
    if (vrrp_) {
        if (auto d = vrrp_->next_deadline(); d && *d < wake) {
            wake = *d;
        }
    }
    if (health_) {
        if (auto d = health_->next_deadline(); d && *d < wake) {
            wake = *d;
        }
    }
    return wake;
}

void control_plane::run_once(usec max_wait) {
    ++counters_.loops;
    usec t = now();

    // 1. What the workers punted (bounded so a flood cannot starve timers).
    dp_.drain_punts([this](const dataplane::punted_frame& f) { handle_punt(f); }, 1024);

    // 1b. Learn / resolve notices.
    dp_.drain_notices([this](const dataplane::dataplane::notice_view& n) { handle_notice(n); },
                      1024);

    // 2. Protocol timers, then neighbour resolution.
    if (vrrp_) {
        vrrp_->on_timer(now());
        if (t >= next_reject_log_) {
            vrrp_->log_rejections(t, dp_);
            next_reject_log_ = t + std::chrono::seconds(1);
        }
    }
    {
        std::size_t before = neighbours_.size();
        for (const auto& p : neighbours_.tick(t)) {
            send_arp_request(p.port, p.target);
        }
        if (lb_ && neighbours_.size() != before) {
            snapshot_dirty_ = true;
        }
    }
    if (lb_ && t >= next_drain_check_) {
        // Removed real servers drain for as long as their longest-lived flow
        // can last.
        const auto& to = cfg_.load_balancing.timeouts;
        usec drain = std::chrono::duration_cast<usec>(std::max(to.tcp_established, to.udp));
        if (lb_->expire_draining(t, drain)) {
            snapshot_dirty_ = true;
        }
        next_drain_check_ = t + std::chrono::seconds(1);
    }
    if (lb_ && t >= next_resolve_) {
        resolve_next_hops();
        next_resolve_ = t + std::chrono::seconds(10);
    }
    if (health_) {
        auto d = health_->next_deadline();
        if (d && *d <= t) {
            apply_health(health_->tick(t));
        }
    }
    if (lb_ && lb_->dirty()) {
        snapshot_dirty_ = true;
    }

    // 3. Link state.
    if (t >= next_link_check_) {
        check_links();
        next_link_check_ = t + std::chrono::seconds(1);
    }

    // 4. New ownership to the workers; snapshots they no longer see; calls
    //    from other threads.
    publish_if_dirty();
    dp_.reclaim();
    serve_cross_thread_calls();

    // 5. Wait for fds or the next deadline.
    usec wake = std::min(next_wakeup(t), t + max_wait);
    usec wait = wake > t ? wake - t : usec{0};
    std::vector<pollfd> pfds;
    pfds.reserve(fds_.size());
    for (const auto& w : fds_) {
        pfds.push_back({w.fd, w.events, 0});
    }
    timespec ts{static_cast<time_t>(wait.count() / 1000000),
                static_cast<long>((wait.count() % 1000000) * 1000)};
    int n = ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    if (n > 0) {
        // Callbacks may add or remove fds: copy the ready ones first.
        std::vector<std::pair<int, short>> ready;
        for (const auto& p : pfds) {
            if (p.revents != 0) {
                ready.emplace_back(p.fd, p.revents);
            }
        }
        for (const auto& [fd, rev] : ready) {
            for (auto& w : fds_) {
                if (w.fd == fd) {
                    auto cb = w.cb; // keep alive if the callback unwatches itself
                    cb(rev);
                    break;
                }
            }
        }
    }
}

int control_plane::run(const std::atomic<bool>* external_stop, std::atomic<bool>* external_reload) {
    while (!stop_requested_) {
        if (external_stop != nullptr && external_stop->load()) {
            request_stop("signal");
            break;
        }
        if (external_reload != nullptr && external_reload->exchange(false)) {
            (void)reload_from_source();
        }
        run_once(std::chrono::milliseconds(1));
    }
    // Anyone still waiting in call_sync gets an answer.
    serve_cross_thread_calls();
    return 0;
}

json control_plane::call_sync(std::function<json()> fn, usec timeout) {
    auto call = std::make_shared<pending_call>();
    call->fn = std::move(fn);
    {
        std::lock_guard<std::mutex> g(calls_mutex_);
        calls_.push_back(call);
    }
    if (wake_fd_ >= 0) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
    }
    std::unique_lock<std::mutex> lk(calls_mutex_);
    if (!calls_cv_.wait_for(lk, timeout, [&] { return call->done; })) {
        json e = json::object();
        e["error"] = "control core did not answer in time";
        return e;
    }
    return call->result;
}

void control_plane::serve_cross_thread_calls() {
    std::deque<std::shared_ptr<pending_call>> todo;
    {
        std::lock_guard<std::mutex> g(calls_mutex_);
        todo.swap(calls_);
    }
    if (todo.empty()) {
        return;
    }
    for (auto& c : todo) {
        json r;
        try {
            r = c->fn();
        } catch (const std::exception& e) {
            r = json::object();
            r["error"] = e.what();
        }
        std::lock_guard<std::mutex> g(calls_mutex_);
        c->result = std::move(r);
        c->done = true;
    }
    calls_cv_.notify_all();
}

void control_plane::check_links() {
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        auto l = dp_.link(i);
        if (l.up != link_up_[i]) {
            spdlog::info("port {}: link {}", dp_.ports()[i].name, l.up ? "up" : "down");
            link_up_[i] = l.up;
            if (vrrp_) {
                vrrp_->link_changed(now(), i, l.up);
            }
        }
    }
}

std::uint16_t control_plane::port_index(const std::string& name) const {
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        if (dp_.ports()[i].name == name) {
            return i;
        }
    }
    return 0xffff;
}

result<void> control_plane::resolve(net::ipv4_addr ip) {
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        const auto& a = dp_.ports()[i].cfg.address;
        if (a.contains(ip)) {
            if (ip == a.addr) {
                return make_error(ip.to_string() + " is port " + dp_.ports()[i].name +
                                  "'s own address");
            }
            if (!neighbours_.resolve(i, ip, now())) {
                return make_error("neighbour table full (" +
                                  std::to_string(neighbours_.settings().max_entries) + " entries)");
            }
            return {};
        }
    }
    return make_error(ip.to_string() + " is in no port's subnet");
}

void control_plane::handle_punt(const dataplane::punted_frame& f) {
    ++counters_.punts_handled;
    switch (f.kind) {
    case pipeline::punt_kind::arp:
        handle_arp(f);
        break;
    case pipeline::punt_kind::probe:
        handle_probe(f);
        break;
    case pipeline::punt_kind::vrrp:
        if (vrrp_) {
            vrrp_->on_punt(now(), f);
        } else {
            ++counters_.unknown_punts;
        }
        break;
    default:
        ++counters_.unknown_punts;
        break;
    }
    dataplane::dataplane::free(f.mbuf);
}

void control_plane::handle_arp(const dataplane::punted_frame& f) {
    ++counters_.arp_punts;
    std::span<const std::uint8_t> frame(f.data, f.length);
    // The worker's parser (VLAN / 802.1ad tag included): the punted frame
    // passed it there, so a failure here means a corrupted punt.
    net::packet_meta meta;
    if (f.port_index >= dp_.ports().size() || net::parse(frame, meta) != net::drop_reason::none ||
        meta.ethertype != net::ethertype_arp) {
        ++counters_.arp_malformed;
        return;
    }
    const auto& port = dp_.ports()[f.port_index];
    const net::ipv4_addr spa = meta.src;
    const net::mac_addr sha = net::arp_cview(frame.subspan(meta.l3_offset, net::arp_len)).sha();

    // Someone else claiming one of our addresses is worth a (rate-limited) log.
    const auto& owned = dp_.current().ports()[f.port_index].owned;
    bool ours = std::any_of(owned.begin(), owned.end(), [&](const pipeline::owned_address& o) {
        return o.addr == spa && o.mac != sha;
    });
    if (ours) {
        ++counters_.arp_conflicts;
        static log_limiter lim(5, std::chrono::seconds(10));
        std::uint64_t skipped = 0;
        if (lim.allow(now(), skipped)) {
            spdlog::warn("port {}: {} claims {}, an address this port owns ({} similar "
                         "messages suppressed)",
                         port.name, sha.to_string(), spa.to_string(), skipped);
        }
        return;
    }
    if (!port.cfg.address.contains(spa)) {
        ++counters_.arp_not_in_subnet;
        return;
    }
    auto r = neighbours_.learn(f.port_index, spa, sha, now());
    if (lb_ && (r == neigh::learn_result::added || r == neigh::learn_result::updated)) {
        snapshot_dirty_ = true;
    }
    if (r == neigh::learn_result::added) {
        spdlog::debug("neighbour {} is {} on port {}", spa.to_string(), sha.to_string(), port.name);
    } else if (r == neigh::learn_result::updated) {
        spdlog::info("neighbour {} moved to {} on port {}", spa.to_string(), sha.to_string(),
                     port.name);
    }
}

void control_plane::send_arp_request(std::uint16_t port, net::ipv4_addr target) {
    const auto& p = dp_.ports().at(port);
    rte_mbuf* m = dp_.alloc_frame();
    if (m == nullptr) {
        ++counters_.control_tx_alloc_failed;
        return;
    }
    std::uint8_t* data = dp_.frame_data(m, net::eth_min_frame_len);
    if (data == nullptr) {
        dataplane::dataplane::free(m);
        ++counters_.control_tx_alloc_failed;
        return;
    }
    std::span<std::uint8_t> out(data, net::eth_min_frame_len);
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    std::size_t n = net::build_arp_request(out, p.mac, p.cfg.address.addr, target);
    if (n == 0) {
        dataplane::dataplane::free(m);
        return;
    }
    if (dp_.send(port, m)) {
        ++counters_.arp_requests_sent;
    }
}

// ---------------------------------------------------------------- reports --

json control_plane::report_summary() {
    json o = json::object();
    o["uptime_s"] = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now() - started_at_).count());
    o["ports"] = static_cast<std::uint64_t>(dp_.ports().size());
    o["workers"] = dp_.worker_count();
    o["config"] = cfg_.source_file;
    return o;
}

json control_plane::report_ports() {
    json rows = json::array();
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        const auto& p = dp_.ports()[i];
        auto l = dp_.link(i);
        json r = json::object();
        r["name"] = p.name;
        r["port_id"] = static_cast<unsigned>(p.port_id);
        r["device"] = p.eal_name;
        r["driver"] = p.driver;
        r["mac"] = p.mac.to_string();
        r["address"] = p.cfg.address.to_string();
        r["link"] = l.up ? "up" : "down";
        r["speed_mbps"] = static_cast<std::uint64_t>(l.speed_mbps);
        r["queues"] = dp_.worker_count();
        // Where adverts, GARPs, ARP requests and probes leave.
        r["control_tx"] = p.control_queue >= 0 ? "queue " + std::to_string(p.control_queue)
                                               : std::string("via worker 0");
        rows.push_back(std::move(r));
    }
    return rows;
}

json control_plane::report_port_stats() {
    json rows = json::array();
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        const auto& p = dp_.ports()[i];
        rte_eth_stats s{};
        rte_eth_stats_get(p.port_id, &s);
        const auto& b = port_base_[i];
        json r = json::object();
        r["name"] = p.name;
        r["port_id"] = static_cast<unsigned>(p.port_id);
        r["rx_packets"] = s.ipackets - b.ipackets;
        r["rx_bytes"] = s.ibytes - b.ibytes;
        r["rx_missed"] = s.imissed - b.imissed;
        r["rx_errors"] = s.ierrors - b.ierrors;
        r["rx_nombuf"] = s.rx_nombuf - b.rx_nombuf;
        r["tx_packets"] = s.opackets - b.opackets;
        r["tx_bytes"] = s.obytes - b.obytes;
        r["tx_errors"] = s.oerrors - b.oerrors;
        rows.push_back(std::move(r));
    }
    return rows;
}

json control_plane::report_lcores() {
    json rows = json::array();
    for (unsigned w = 0; w < dp_.worker_count(); ++w) {
        const auto& s = dp_.stats(w);
        const auto& b = worker_base_[w];
        std::uint64_t polls = s.polls.get() - b.polls;
        std::uint64_t busy = s.busy_polls.get() - b.busy_polls;
        json r = json::object();
        r["worker"] = w;
        r["lcore"] = dp_.worker_lcore(w);
        r["rx_packets"] = s.rx_packets.get() - b.rx;
        r["tx_packets"] = s.tx_packets.get() - b.tx;
        r["replies"] = s.replies.get() - b.replies;
        r["punts"] = s.punts.get() - b.punts;
        r["control_tx"] = s.control_tx.get() - b.control_tx;
        r["drops"] = s.drops.get() - b.drops;
        r["polls"] = polls;
        r["busy_pct"] =
            polls ? static_cast<double>(busy) * 100.0 / static_cast<double>(polls) : 0.0;
        r["idle_sleeps"] = s.idle_sleeps.get() - b.idle_sleeps;
        if (dp_.lb_enabled()) {
            r["forwarded"] = s.forwarded.get();
            r["new_flows"] = s.new_flows.get();
            r["conn_reused"] = s.conn_reused.load(std::memory_order_relaxed);
            r["persist_hits"] = s.persist_hits.load(std::memory_order_relaxed);
            r["persist_resched"] = s.persist_resched.load(std::memory_order_relaxed);
            r["flows"] = s.flows_active.load(std::memory_order_relaxed);
            r["flow_capacity"] = s.flow_capacity.load(std::memory_order_relaxed);
            r["handoffs_out"] = s.handoffs_out.get();
            r["handoffs_in"] = s.handoffs_in.get();
            r["expired"] = s.flows_expired.get();
            r["taken_over"] = s.flows_taken_over.load(std::memory_order_relaxed);
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

json control_plane::report_stats() {
    json o = json::object();
    json drops = json::object();
    std::uint64_t total = 0;
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        std::uint64_t v = 0;
        for (unsigned w = 0; w < dp_.worker_count(); ++w) {
            v += dp_.stats(w).drop[r].get() - worker_base_[w].drop[r];
        }
        total += v;
        drops[pipeline::drop_reason_name(static_cast<pipeline::drop_reason>(r))] = v;
    }
    o["drops_total"] = total;
    o["drops"] = std::move(drops);
    const auto& c = counters_;
    const auto& b = counters_base_;
    json ctl = json::object();
    ctl["punts_handled"] = c.punts_handled - b.punts_handled;
    ctl["arp_punts"] = c.arp_punts - b.arp_punts;
    ctl["arp_malformed"] = c.arp_malformed - b.arp_malformed;
    ctl["arp_not_in_subnet"] = c.arp_not_in_subnet - b.arp_not_in_subnet;
    ctl["arp_conflicts"] = c.arp_conflicts - b.arp_conflicts;
    ctl["unknown_punts"] = c.unknown_punts - b.unknown_punts;
    ctl["arp_requests_sent"] = c.arp_requests_sent - b.arp_requests_sent;
    ctl["control_tx_alloc_failed"] = c.control_tx_alloc_failed - b.control_tx_alloc_failed;
    ctl["control_tx_ring_full"] = dp_.control_tx_dropped();
    ctl["control_tx_queue_full"] = dp_.control_tx_queue_full();
    ctl["punt_ring_backlog"] = dp_.punt_ring_count();
    ctl["notices"] = c.notices - b.notices;
    std::uint64_t lost = 0;
    for (unsigned w = 0; w < dp_.worker_count(); ++w) {
        lost += dp_.stats(w).notices_lost.get();
    }
    ctl["notices_lost"] = lost;
    ctl["snapshots_published"] = c.snapshots - b.snapshots;
    ctl["probes_sent"] = c.probes_sent - b.probes_sent;
    ctl["probe_rsts_sent"] = c.probe_rsts_sent - b.probe_rsts_sent;
    ctl["probe_answers"] = c.probe_answers - b.probe_answers;
    ctl["probe_unmatched"] = c.probe_unmatched - b.probe_unmatched;
    ctl["probe_bad_checksum"] = c.probe_bad_checksum - b.probe_bad_checksum;
    o["control"] = std::move(ctl);
    const auto& ns = neighbours_.stats();
    json n = json::object();
    n["entries"] = static_cast<std::uint64_t>(neighbours_.size());
    n["learnt"] = ns.learnt;
    n["mac_changes"] = ns.mac_changes;
    n["table_full"] = ns.table_full;
    n["requests_sent"] = ns.requests_sent;
    n["resolutions_failed"] = ns.resolutions_failed;
    n["expired"] = ns.expired;
    o["neighbours"] = std::move(n);
    if (vrrp_) {
        o["vrrp"] = vrrp_->tx_report(dp_);
    }
    o["since_s"] = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now() - stats_cleared_at_).count());
    return o;
}

json control_plane::report_arp() {
    json rows = json::array();
    usec t = now();
    for (const auto& e : neighbours_.entries()) {
        json r = json::object();
        r["address"] = e.ip.to_string();
        r["mac"] = e.st == neigh::state::incomplete || e.st == neigh::state::failed
                       ? std::string("-")
                       : e.mac.to_string();
        r["port"] = e.port < dp_.ports().size() ? dp_.ports()[e.port].name : std::string("?");
        r["state"] = neigh::state_name(e.st);
        r["age_s"] =
            e.st == neigh::state::static_
                ? json(nullptr)
                : json(static_cast<std::uint64_t>(
                      std::chrono::duration_cast<std::chrono::seconds>(t - e.updated).count()));
        r["probes"] = e.probes;
        rows.push_back(std::move(r));
    }
    return rows;
}

void control_plane::clear_stats() {
    for (unsigned w = 0; w < dp_.worker_count(); ++w) {
        const auto& s = dp_.stats(w);
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
    for (std::uint16_t i = 0; i < dp_.ports().size(); ++i) {
        rte_eth_stats s{};
        rte_eth_stats_get(dp_.ports()[i].port_id, &s);
        port_base_[i] = {s.ipackets, s.opackets, s.ibytes,  s.obytes,
                         s.imissed,  s.ierrors,  s.oerrors, s.rx_nombuf};
    }
    counters_base_ = counters_;
    stats_cleared_at_ = now();
    spdlog::info("statistics cleared");
}

} // namespace vipgate::control
