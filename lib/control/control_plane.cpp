#include "control/control_plane.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "exec/posix_runner.hpp"
#include "pipeline/snapshot.hpp"
#include <algorithm>

namespace vipgate::control {

control_plane::control_plane(const config::config& cfg, shell& sh, clock_fn clock)
    : cfg_(cfg), sh_(sh), clock_(std::move(clock)), neigh_(sh, cfg.neighbours, counters_),
      started_at_(now()) {
    link_up_.assign(sh_.ports().size(), false);
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        link_up_[i] = sh_.link(i).up;
    }
    worker_base_.resize(sh_.worker_count());
    for (auto& b : worker_base_) {
        b.drop.assign(pipeline::drop_reason_count, 0);
    }
    port_base_.resize(sh_.ports().size());
    stats_cleared_at_ = started_at_;
    add_periodic_tasks();
}

control_plane::~control_plane() = default;

// The loop's periodic work, each with its interval. All run at the first
// iteration, then `interval` after their last run.
void control_plane::add_periodic_tasks() {
    // Explain new VRRP advert rejections by the workers (rate-limited).
    loop_.every("vrrp_reject_log", std::chrono::seconds(1), [this](usec t) {
        if (vrrp_) {
            vrrp_->log_rejections(t, sh_);
        }
    });
    // Removed real servers drain for as long as their longest-lived flow can
    // last.
    loop_.every("lb_drain", std::chrono::seconds(1), [this](usec t) {
        if (!lb_) {
            return;
        }
        const auto& to = cfg_.load_balancing.timeouts;
        usec drain = std::chrono::duration_cast<usec>(std::max(to.tcp_established, to.udp));
        if (lb_->expire_draining(t, drain)) {
            snapshot_dirty_ = true;
        }
    });
    // Real servers and gateways whose MAC is unknown (or failed) again.
    loop_.every("resolve_next_hops", std::chrono::seconds(10),
                [this](usec) { resolve_next_hops(); });
    // Link state, which VRRP instances follow (vrrp_manager::link_changed).
    loop_.every("link_check", std::chrono::seconds(1), [this](usec) { check_links(); });
    // track_file: the tracked files' values (one small read each).
    loop_.every("track_files", track_file_poll, [this](usec t) {
        if (vrrp_) {
            vrrp_->poll_files(t);
        }
    });
    // vrrp_script runs that are due, and the runs that ended (never waits).
    loop_.every("scripts", std::chrono::milliseconds(50), [this](usec t) {
        if (scripts_ && vrrp_) {
            std::vector<exec::instance_changed> changes;
            misc_done_.clear();
            scripts_->poll(t, changes, &misc_done_);
            vrrp_->apply_tracking(t, changes);
            poll_misc(t, misc_done_); // MISC_CHECK shares the runner
        }
    });
}

// Builds the script manager for `cfg`; the old one's runs still going are
// left to the runner (their results are dropped).
result<void> control_plane::start_scripts(const config::config& cfg,
                                          std::vector<std::string>* warnings) {
    if (!runner_) {
        runner_ = std::make_unique<exec::posix_runner>();
    }
    if (!files_) {
        files_ = exec::system_files();
    }
    auto s = script_manager::make(cfg, *runner_, *files_, warnings);
    if (!s) {
        return make_error("scripts: " + s.message());
    }
    scripts_ = std::move(s.value());
    vrrp_->set_scripts(scripts_.get());
    vrrp_->apply_all_tracking(now(), *scripts_);
    return {};
}

// keepalived's do_vs_notifies(): quorum_up / quorum_down of the services
// whose quorum the last rebuilds changed (logged there).
void control_plane::run_quorum_scripts() {
    if (!lb_) {
        return;
    }
    for (const auto& e : lb_->take_quorum_events()) {
        if (scripts_) {
            scripts_->quorum(now(), script_manager::quorum_channel(e.vip, e.port, e.proto), e.up);
        }
    }
}

void control_plane::resolve_next_hops() {
    if (!lb_) {
        return;
    }
    std::vector<net::ipv4_addr> want = lb_->next_hops();
    for (std::size_t i = 0; i < sh_.ports().size(); ++i) {
        if (auto g = gateway_of(i)) {
            want.push_back(*g);
        }
    }
    neigh_.ensure(now(), want);
}

// Managers mark themselves dirty; the loop turns that into one snapshot.
void control_plane::collect_dirty() {
    // The workers see neighbours only as next hops of the load balancer.
    if (neigh_.take_changed() && lb_) {
        snapshot_dirty_ = true;
    }
    if (lb_ && lb_->dirty()) {
        snapshot_dirty_ = true;
    }
}

usec control_plane::next_wakeup(usec now_us) const {
    // The loop never sleeps longer than 1 ms: punt rings have no fd to wait
    // on, and 1 ms keeps ARP/VRRP handling prompt without spinning.
    usec wake = now_us + std::chrono::milliseconds(1);
    auto earlier = [&wake](std::optional<usec> d) {
        if (d && *d < wake) {
            wake = *d;
        }
    };
    earlier(neigh_.table().next_deadline());
    earlier(loop_.next_deadline());
    if (vrrp_) {
        earlier(vrrp_->next_deadline());
    }
    if (health_) {
        earlier(health_->next_deadline());
    }
    return wake;
}

void control_plane::run_once(usec max_wait) {
    ++counters_.loops;
    usec t = now();

    // 1. What the workers punted (bounded so a flood cannot starve timers),
    //    then learn / resolve notices.
    sh_.drain_punts([this](const punt_view& f) { handle_punt(f); }, 1024);
    sh_.drain_notices([this](const notice_view& n) { neigh_.on_notice(now(), n); }, 1024);

    // 2. Protocol timers, neighbour resolution, the periodic tasks, health
    //    checks.
    if (vrrp_) {
        vrrp_->on_timer(now());
    }
    neigh_.tick(t);
    loop_.run_due(t);
    if (health_) {
        auto d = health_->next_deadline();
        if (d && *d <= t) {
            apply_health(health_->tick(t));
        }
    }

    // 3. New state to the workers; snapshots they no longer see; calls from
    //    other threads.
    collect_dirty();
    publish_if_dirty();
    sh_.reclaim();
    loop_.serve_calls();

    // 4. Wait for fds or the next deadline; what their callbacks (console,
    //    control socket) changed is published at once.
    usec wake = std::min(next_wakeup(t), t + max_wait);
    loop_.poll(wake > t ? wake - t : usec{0});
    collect_dirty();
    publish_if_dirty();
}

result<void> control_plane::init(std::vector<std::string>* warnings) {
    auto m = vrrp_manager::make(cfg_, sh_.ports(), *this, warnings);
    if (!m) {
        return m.err();
    }
    vrrp_ = std::move(m.value());
    if (auto sc = start_scripts(cfg_, warnings); !sc) {
        return sc;
    }
    load_rs_notify(cfg_, warnings);
    if (!cfg_.virtual_servers.empty()) {
        auto l = lb_manager::make(cfg_, now());
        if (!l) {
            return make_error("virtual servers: " + l.message());
        }
        lb_ = std::move(l.value());
        rs_init_notifies(cfg_, {});
    }
    for (const auto& sn : cfg_.neighbours.static_entries) {
        std::uint16_t pi = port_index(sn.port);
        if (pi == 0xffff) {
            return make_error("static neighbour " + sn.address.to_string() + ": no port " +
                              sn.port);
        }
        neigh_.table().add_static(pi, sn.address, sn.mac);
    }
    if (auto s = sync_manager::make(cfg_, sh_, *this); !s) {
        return s.err();
    } else if (s.value()) {
        sync_ = std::move(s.value());
        // Worker events to the peers, timers, the bulk stream.
        loop_.every("sync", std::chrono::duration_cast<usec>(cfg_.sync->flush_interval),
                    [this](usec t) {
                        sync_->tick(t);
                        sync_gate(t);
                    });
    }
    resolve_next_hops();
    start_health_checks();
    start_misc_checks(warnings);
    snapshot_dirty_ = true;
    publish_if_dirty();
    if (sync_) {
        // A returning node does not take the VIPs from a live master before
        // it has the master's flows (issue 11: takeover only when in sync).
        preempt_held_ = true;
        vrrp_->hold_preemption(true, sync_->config().instance);
    }
    vrrp_->start(now(), link_up_);
    publish_if_dirty();
    return {};
}

// A starting node waits for its bulk resync before it may preempt, at most
// sync.resync_timeout (availability first; logged and counted). A million
// flows take about a second at the default bulk_rate.
void control_plane::sync_gate(usec now_us) {
    if (!preempt_held_) {
        return;
    }
    const bool synced = sync_->in_sync();
    const auto bound = std::chrono::duration_cast<usec>(sync_->config().resync_timeout);
    if (!synced && now_us - started_at_ < bound) {
        return;
    }
    preempt_held_ = false;
    const std::string& inst = sync_->config().instance;
    vrrp_->hold_preemption(false, inst);
    const std::string who = inst.empty() ? "VRRP" : "VRRP " + inst;
    if (synced) {
        spdlog::info("sync: in sync with every peer: {} may preempt now", who);
    } else {
        sync_->count_resync_timeout();
        spdlog::warn("sync: bulk resync not complete after resync_timeout {} ms: {} may preempt "
                     "anyway",
                     sync_->config().resync_timeout.count(), who);
    }
}

sync_report control_plane::sync_status() {
    if (!sync_) {
        return {};
    }
    sync_report r = sync_->report(now());
    r.preemption_held = preempt_held_;
    if (!r.instance.empty() && vrrp_) {
        if (auto rows = vrrp_->report(now(), sh_, r.instance); !rows.empty()) {
            r.instance_state = rows.front().state;
        }
    }
    return r;
}

// A takeover: what the peers sent is installed before the GARPs draw the
// traffic here. The workers drain their install rings every loop, so this
// waits microseconds; it is bounded all the same. A takeover while not in
// sync (the master died first) goes on: availability first, said once.
void control_plane::before_takeover(const std::string& instance) {
    if (!sync_) {
        return;
    }
    const usec deadline = now() + std::chrono::milliseconds(20);
    while (sh_.install_backlog() > 0 && now() < deadline) {
        ::usleep(100);
    }
    // Only the gated instance's takeovers count (sync.instance, or all).
    if (!sync_->in_sync() && sync_->gates(instance)) {
        sync_->count_takeover_not_in_sync();
        spdlog::warn("VRRP {}: taking over while NOT in sync with the peer: flows it did not "
                     "send are lost",
                     instance);
    }
}

void control_plane::shutdown_protocols() {
    if (vrrp_) {
        vrrp_->shutdown(now());
        publish_if_dirty();
    }
    // Let worker 0 put the priority-0 adverts on the wire before it stops.
    auto deadline = now() + std::chrono::milliseconds(200);
    while (sh_.control_tx_pending() > 0 && now() < deadline) {
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
    run_quorum_scripts();
    pipeline::snapshot_builder b;
    b.set_generation(++generation_);
    for (std::size_t pi = 0; pi < sh_.ports().size(); ++pi) {
        const auto& p = sh_.ports()[pi];
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
            for (std::size_t i = 0; i < sh_.ports().size(); ++i) {
                if (!sh_.ports()[i].cfg.address.contains(vip)) {
                    continue;
                }
                const auto port = static_cast<std::uint16_t>(i);
                if (!b.owns(port, vip)) {
                    b.add_owned(port, {vip, sh_.ports()[i].mac});
                }
                break;
            }
        }
        b.set_services(lb_->table(), lb_->active_flags([this](net::ipv4_addr vip) {
            // A VIP that no VRRP instance manages is always ours.
            return !vrrp_ || !vrrp_->manages(vip) || vrrp_->holds(vip);
        }));
        std::vector<pipeline::next_hop> hops;
        for (const auto& e : neigh_.table().entries()) {
            if (e.st == neigh::state::reachable || e.st == neigh::state::stale ||
                e.st == neigh::state::static_) {
                hops.push_back({e.ip, e.mac, e.port});
            }
        }
        b.set_neighbours(hops);
    }
    if (sync_) {
        // Where the workers punt sync datagrams (pipeline: punt_kind::sync).
        const auto& sc = sync_->config();
        b.set_sync({.port = sync_->port(),
                    .address = sh_.ports()[sync_->port()].cfg.address.addr,
                    .group = sc.peers.empty() ? sc.group : net::ipv4_addr{},
                    .udp_port = sc.udp_port});
    }
    ++counters_.snapshots;
    sh_.publish(b.build());
}

bool control_plane::send_frame(std::uint16_t port, std::span<const std::uint8_t> frame) {
    auto r = sh_.send(port, frame);
    if (r == send_result::no_buffer) {
        ++counters_.control_tx_no_buffer;
    }
    return r == send_result::sent;
}

std::optional<net::ipv4_addr> control_plane::gateway_of(std::size_t port) const {
    return port < cfg_.ports.size() ? cfg_.ports[port].gateway : std::nullopt;
}

std::uint16_t control_plane::port_index(const std::string& name) const {
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        if (sh_.ports()[i].name == name) {
            return i;
        }
    }
    return 0xffff;
}

void control_plane::handle_punt(const punt_view& f) {
    ++counters_.punts_handled;
    switch (f.kind) {
    case pipeline::punt_kind::arp:
        neigh_.on_arp(now(), f);
        break;
    case pipeline::punt_kind::probe:
        handle_probe(f);
        break;
    case pipeline::punt_kind::sync:
        if (sync_) {
            sync_->on_punt(now(), f);
        } else {
            ++counters_.unknown_punts;
        }
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
}

void control_plane::check_links() {
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        auto l = sh_.link(i);
        if (l.up != link_up_[i]) {
            spdlog::info("port {}: link {}", sh_.ports()[i].name, l.up ? "up" : "down");
            link_up_[i] = l.up;
            if (vrrp_) {
                vrrp_->link_changed(now(), i, l.up);
            }
        }
    }
}

void control_plane::request_stop(const std::string& reason) {
    if (!stop_requested_) {
        stop_requested_ = true;
        stop_reason_ = reason;
        spdlog::info("stopping: {}", reason);
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
    loop_.serve_calls();
    return 0;
}

} // namespace vipgate::control
