#include "control/lb_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "lb/tcp_state.hpp"

namespace vipgate::control {

result<std::tuple<net::ipv4_addr, std::uint16_t, lb::protocol>> parse_endpoint(const std::string& s,
                                                                               bool allow_proto) {
    std::string body = s;
    lb::protocol proto = lb::protocol::tcp;
    if (auto slash = s.find('/'); slash != std::string::npos) {
        if (!allow_proto) {
            return make_error("'" + s + "': expected ADDRESS:PORT");
        }
        std::string p = s.substr(slash + 1);
        if (p == "tcp") {
            proto = lb::protocol::tcp;
        } else if (p == "udp") {
            proto = lb::protocol::udp;
        } else {
            return make_error("'" + s + "': protocol must be tcp or udp");
        }
        body = s.substr(0, slash);
    }
    auto colon = body.rfind(':');
    if (colon == std::string::npos) {
        return make_error("'" + s + "': expected ADDRESS:PORT");
    }
    auto ip = net::ipv4_addr::parse(body.substr(0, colon));
    if (!ip) {
        return make_error("'" + s + "': '" + body.substr(0, colon) + "' is not an IPv4 address");
    }
    std::string ps = body.substr(colon + 1);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(ps, &used);
        if (used != ps.size()) {
            throw std::invalid_argument("junk");
        }
    } catch (...) {
        return make_error("'" + s + "': port '" + ps + "' is not a number");
    }
    if (port == 0 || port > 65535) {
        return make_error("'" + s + "': port must be 1..65535");
    }
    return std::make_tuple(*ip, static_cast<std::uint16_t>(port), proto);
}

result<std::unique_ptr<lb_manager>> lb_manager::make(const config::config& cfg, usec now) {
    auto m = std::make_unique<lb_manager>();
    for (const auto& vs : cfg.virtual_servers) {
        vs_state v;
        v.cfg = vs;
        for (const auto& rs : vs.real_servers) {
            rs_state r;
            r.cfg = rs;
            r.weight = rs.rs.weight;
            r.healthy = true;
            r.health_reason =
                rs.check || !rs.misc_checks.empty() ? "not checked yet" : "no check configured";
            r.health_since = now;
            v.rs.push_back(std::move(r));
        }
        m->services_.push_back(std::move(v));
    }
    if (auto r = m->build_table(); !r) {
        return r.err();
    }
    // The quorum is judged at the first rebuild() (start-up: by the control
    // plane's first publication; reload: after adopt()), not here: a
    // configuration that a reload only reads must log nothing.
    m->dirty_ = true;
    return m;
}

namespace {

using vs_state = lb_manager::vs_state;
using rs_state = lb_manager::rs_state;

// A reload matches services by (VIP, port, protocol) and real servers by
// (address, port); keys are unique within a configuration, so the last
// match is the only one.
bool same_service(const vs_state& a, const vs_state& b) {
    const auto& x = a.cfg.service;
    const auto& y = b.cfg.service;
    return x.vip == y.vip && x.port == y.port && x.proto == y.proto;
}

bool same_real_server(const rs_state& a, const rs_state& b) {
    return a.cfg.rs.address == b.cfg.rs.address && a.cfg.rs.port == b.cfg.rs.port;
}

template <typename List, typename Item, typename Same>
auto* find_last(List& list, const Item& item, Same same) {
    decltype(&*list.begin()) found = nullptr;
    for (auto& cand : list) {
        if (same(cand, item)) {
            found = &cand;
        }
    }
    return found;
}

struct adopt_counts {
    unsigned carried = 0, added = 0, removed = 0;
};

// Real servers in both keep their runtime state (operator's enable/disable,
// health verdict and history); new ones start as configured.
void carry_runtime_state(const std::vector<vs_state>& old, std::vector<vs_state>& next,
                         adopt_counts& n) {
    for (auto& nv : next) {
        const vs_state* ov = find_last(old, nv, same_service);
        if (ov != nullptr && !ov->draining_since) {
            // The quorum state goes on; the next rebuild applies the new
            // quorum / hysteresis to it (a change is logged and scripted).
            nv.quorum_up = ov->quorum_up;
            nv.quorum_evaluated = ov->quorum_evaluated;
            nv.live_weight = ov->live_weight;
            nv.quorum_transitions = ov->quorum_transitions;
        }
        for (auto& nr : nv.rs) {
            const rs_state* orr = ov ? find_last(ov->rs, nr, same_real_server) : nullptr;
            if (orr == nullptr) {
                ++n.added;
                continue;
            }
            nr.enabled = orr->enabled;
            nr.healthy = orr->healthy;
            nr.health_reason = orr->health_reason;
            nr.health_since = orr->health_since;
            nr.transitions = orr->transitions;
            // A MISC_CHECK that the reload keeps keeps its weight; one it
            // restarts drops it (control_plane::start_misc_checks()).
            nr.dynamic_weight = orr->dynamic_weight;
            ++n.carried;
        }
    }
}

void start_draining(std::optional<usec>& since, usec now) {
    if (!since) {
        since = now;
    }
}

// What goes away drains: kept with weight 0 (no new flows) so replies of its
// flows are still recognised, until expire_draining() drops it.
void keep_removed_draining(const std::vector<vs_state>& old, std::vector<vs_state>& next, usec now,
                           adopt_counts& n) {
    for (const auto& v : old) {
        vs_state* nv = find_last(next, v, same_service);
        if (nv == nullptr) {
            vs_state d = v;
            start_draining(d.draining_since, now);
            for (auto& r : d.rs) {
                start_draining(r.draining_since, now);
            }
            n.removed += static_cast<unsigned>(d.rs.size());
            next.push_back(std::move(d));
            continue;
        }
        for (const auto& r : v.rs) {
            if (find_last(nv->rs, r, same_real_server) != nullptr) {
                continue;
            }
            rs_state d = r;
            start_draining(d.draining_since, now);
            nv->rs.push_back(std::move(d));
            ++n.removed;
        }
    }
}

} // namespace

std::string lb_manager::adopt(lb_manager& next, usec now) {
    adopt_counts n;
    carry_runtime_state(services_, next.services_, n);
    keep_removed_draining(services_, next.services_, now, n);
    services_ = std::move(next.services_);
    dirty_ = true;
    return std::to_string(services_.size()) +
           " virtual server(s); real servers: " + std::to_string(n.carried) + " kept, " +
           std::to_string(n.added) + " added, " + std::to_string(n.removed) +
           " removed (their flows drain)";
}

bool lb_manager::expire_draining(usec now, usec drain_time) {
    bool changed = false;
    for (auto it = services_.begin(); it != services_.end();) {
        if (it->draining_since && now - *it->draining_since >= drain_time) {
            spdlog::info("virtual server {}: drained, removed", it->cfg.name);
            it = services_.erase(it);
            changed = true;
            continue;
        }
        auto& rs = it->rs;
        for (auto r = rs.begin(); r != rs.end();) {
            if (r->draining_since && now - *r->draining_since >= drain_time) {
                spdlog::info("virtual server {}: real server {} drained, removed", it->cfg.name,
                             r->cfg.rs.address.to_string());
                r = rs.erase(r);
                changed = true;
            } else {
                ++r;
            }
        }
        ++it;
    }
    if (changed) {
        dirty_ = true;
    }
    return changed;
}

namespace {

// The weight the scheduler is given while the server is healthy.
std::uint32_t scheduled_weight(const rs_state& r) {
    return r.enabled && !r.draining_since ? r.dynamic_weight.value_or(r.weight) : 0;
}

// keepalived's weigh_live_realservers(): the weights of the live servers.
std::uint64_t live_weight(const vs_state& vs) {
    std::uint64_t sum = 0;
    for (const auto& r : vs.rs) {
        if (r.healthy) {
            sum += scheduled_weight(r);
        }
    }
    return sum;
}

} // namespace

// keepalived's update_quorum_state(), with its log line's numbers.
void lb_manager::update_quorum(std::size_t i) {
    vs_state& vs = services_[i];
    const bool first = !vs.quorum_evaluated;
    const bool sorry = vs.cfg.service.sorry_server.has_value();
    vs.live_weight = live_weight(vs);
    const lb::quorum_step st =
        lb::next_quorum(vs.quorum_up, vs.live_weight, vs.cfg.quorum, first, sorry);
    vs.quorum_evaluated = true;
    vs.quorum_up = st.up;
    if (st.change == lb::quorum_change::none) {
        return;
    }
    ++vs.quorum_transitions;
    quorum_events_.push_back(
        {vs.cfg.service.vip, vs.cfg.service.port, vs.cfg.service.proto, st.up});
    const auto& q = vs.cfg.quorum;
    if (st.up) {
        spdlog::info("virtual server {}: {} quorum: live weight {} >= {} (quorum {} + hysteresis "
                     "{}){}",
                     vs.cfg.name, first ? "starting with" : "gained", vs.live_weight, st.threshold,
                     q.quorum, q.hysteresis,
                     sorry && !first ? "; real servers back, the sorry server gets no new flows"
                                     : "");
        return;
    }
    spdlog::warn("virtual server {}: {} quorum: live weight {} < {} (quorum {} - hysteresis "
                 "{}){}",
                 vs.cfg.name, first ? "starting without" : "lost", vs.live_weight, st.threshold,
                 q.quorum, q.hysteresis, sorry ? "; new flows go to the sorry server" : "");
}

result<void> lb_manager::rebuild() {
    for (std::size_t i = 0; i < services_.size(); ++i) {
        if (!services_[i].draining_since) {
            update_quorum(i);
        }
    }
    return build_table();
}

result<void> lb_manager::build_table() {
    std::vector<lb::service_config> cfgs;
    for (const auto& vs : services_) {
        lb::service_config c = vs.cfg.service;
        c.real_servers.clear();
        // Quorum lost with a sorry server: keepalived takes the real
        // servers out of the pool; here they keep their flows but get no
        // new ones, so the sorry server gets them (engine::pick()).
        const bool sorry_only = !vs.quorum_up && c.sorry_server.has_value();
        for (const auto& r : vs.rs) {
            lb::real_server_config rc = r.cfg.rs;
            rc.weight = sorry_only ? 0 : scheduled_weight(r);
            // A failed server leaves scheduling, or with inhibit_on_failure
            // stays listed with weight 0 (keepalived's two behaviours).
            if (!r.healthy) {
                if (r.cfg.inhibit_on_failure) {
                    rc.weight = 0;
                } else {
                    rc.up = false;
                }
            }
            c.real_servers.push_back(rc);
        }
        cfgs.push_back(std::move(c));
    }
    auto t = lb::service_table::build(cfgs, {}, table_.get());
    if (!t) {
        return t.err();
    }
    table_ = std::make_shared<const lb::service_table>(std::move(t.value()));
    dirty_ = false;
    return {};
}

std::vector<std::uint8_t>
lb_manager::active_flags(const std::function<bool(net::ipv4_addr)>& held) const {
    std::vector<std::uint8_t> out;
    if (!table_) {
        return out;
    }
    for (const auto& s : table_->services()) {
        out.push_back(held(s.vip) ? 1 : 0);
    }
    return out;
}

result<std::pair<std::size_t, std::size_t>> lb_manager::find(const std::string& vs,
                                                             const std::string& rs) const {
    auto v = parse_endpoint(vs, true);
    if (!v) {
        return v.err();
    }
    auto r = parse_endpoint(rs, false);
    if (!r) {
        return r.err();
    }
    auto [vip, vport, proto] = *v;
    auto [rip, rport, ignored] = *r;
    for (std::size_t i = 0; i < services_.size(); ++i) {
        const auto& s = services_[i].cfg.service;
        if (s.vip != vip || s.port != vport || s.proto != proto) {
            continue;
        }
        for (std::size_t j = 0; j < services_[i].rs.size(); ++j) {
            const auto& c = services_[i].rs[j].cfg.rs;
            std::uint16_t p = c.port ? c.port : s.port;
            if (c.address == rip && p == rport) {
                return std::make_pair(i, j);
            }
        }
        return make_error("virtual server " + vs + " has no real server " + rs);
    }
    return make_error("no virtual server " + vs);
}

result<void> lb_manager::set_weight(const std::string& vs, const std::string& rs,
                                    std::uint32_t weight) {
    auto f = find(vs, rs);
    if (!f) {
        return f.err();
    }
    auto& r = services_[f->first].rs[f->second];
    spdlog::info("virtual server {}: real server {} weight {} -> {} (operator)", vs, rs, r.weight,
                 weight);
    r.weight = weight;
    dirty_ = true;
    return {};
}

result<void> lb_manager::set_enabled(const std::string& vs, const std::string& rs, bool enabled) {
    auto f = find(vs, rs);
    if (!f) {
        return f.err();
    }
    auto& r = services_[f->first].rs[f->second];
    if (r.enabled != enabled) {
        spdlog::info("virtual server {}: real server {} {} (operator)", vs, rs,
                     enabled ? "enabled" : "disabled: no new flows, existing ones continue");
    }
    r.enabled = enabled;
    dirty_ = true;
    return {};
}

void lb_manager::set_health(std::size_t vs, std::size_t rs, bool up, const std::string& reason,
                            usec now) {
    auto& r = services_.at(vs).rs.at(rs);
    if (r.healthy != up) {
        ++r.transitions;
        r.health_since = now;
        r.healthy = up;
        dirty_ = true;
        const auto& s = services_[vs].cfg;
        std::uint16_t port = r.cfg.rs.port ? r.cfg.rs.port : s.service.port;
        if (up) {
            spdlog::info("virtual server {}: real server {}:{} UP ({})", s.name,
                         r.cfg.rs.address.to_string(), port, reason);
        } else {
            spdlog::warn("virtual server {}: real server {}:{} DOWN ({}){}", s.name,
                         r.cfg.rs.address.to_string(), port, reason,
                         r.cfg.inhibit_on_failure ? "; weight 0 (inhibit_on_failure)"
                                                  : "; removed from scheduling");
        }
    }
    r.health_reason = reason;
}

void lb_manager::set_dynamic_weight(std::size_t vs, std::size_t rs,
                                    std::optional<std::uint32_t> weight) {
    auto& r = services_.at(vs).rs.at(rs);
    if (r.dynamic_weight == weight) {
        return;
    }
    const auto& s = services_[vs].cfg;
    const auto shown = [](const std::optional<std::uint32_t>& w, std::uint32_t base) {
        return std::to_string(w.value_or(base));
    };
    spdlog::info("virtual server {}: real server {}:{} weight {} -> {} (misc_dynamic)", s.name,
                 r.cfg.rs.address.to_string(), r.cfg.rs.port ? r.cfg.rs.port : s.service.port,
                 shown(r.dynamic_weight, r.weight), shown(weight, r.weight));
    r.dynamic_weight = weight;
    dirty_ = true;
}

std::vector<net::ipv4_addr> lb_manager::next_hops() const {
    std::vector<net::ipv4_addr> out;
    for (const auto& vs : services_) {
        for (const auto& r : vs.rs) {
            if (std::find(out.begin(), out.end(), r.cfg.rs.address) == out.end()) {
                out.push_back(r.cfg.rs.address);
            }
        }
    }
    return out;
}

std::vector<virtual_server_row> lb_manager::report(const shell& sh, usec now) {
    std::vector<virtual_server_row> rows;
    if (!table_) {
        return rows;
    }
    for (const auto& vs : services_) {
        const auto& sc = vs.cfg.service;
        virtual_server_row o;
        o.name = vs.cfg.name;
        o.protocol = lb::protocol_name(sc.proto);
        o.address = sc.vip.to_string();
        o.port = sc.port;
        o.scheduler = lb::scheduler_name(sc.scheduler);
        o.persistence_timeout_s = static_cast<std::uint64_t>(sc.persistence_timeout.count());
        o.delay_loop_s = static_cast<double>(vs.cfg.delay_loop.count()) / 1000.0;
        o.quorum = vs.cfg.quorum.quorum;
        o.hysteresis = vs.cfg.quorum.hysteresis;
        o.quorum_state = vs.quorum_up ? "up" : "down";
        o.live_weight = vs.live_weight;
        o.quorum_transitions = vs.quorum_transitions;
        const lb::service* svc = table_->find_service(sc.vip, sc.port, sc.proto);
        for (const auto& r : vs.rs) {
            auto x = rs_report(sh, vs, svc, r, now);
            o.active_conns += x.active_conns;
            o.inactive_conns += x.inactive_conns;
            o.packets += x.packets;
            o.bytes += x.bytes;
            o.real_servers.push_back(std::move(x));
        }
        if (svc != nullptr && svc->sorry_rs != lb::no_index) {
            // keepalived's sorry_server: listed last, never checked.
            const lb::real_server& s = table_->all_real_servers()[svc->sorry_rs];
            real_server_row x;
            slot_counters(sh, sc, s, x);
            x.address = s.address.to_string();
            x.port = s.port;
            x.weight = x.effective_weight = s.weight;
            x.state = "sorry";
            x.check = "none";
            x.health = vs.quorum_up
                           ? "sorry_server: gets new flows while no real server is eligible"
                           : "sorry_server: quorum lost, gets the new flows";
            o.active_conns += x.active_conns;
            o.inactive_conns += x.inactive_conns;
            o.packets += x.packets;
            o.bytes += x.bytes;
            o.real_servers.push_back(std::move(x));
        }
        rows.push_back(std::move(o));
    }
    return rows;
}

// The workers' counters of `rs`'s slot, packets and bytes since this real
// server took the slot (a slot is reused after a real server leaves).
void lb_manager::slot_counters(const shell& sh, const lb::service_config& sc,
                               const lb::real_server& rs, real_server_row& x) {
    if (rs.slot >= max_real_servers) {
        return;
    }
    for (unsigned w = 0; w < sh.worker_count(); ++w) {
        const auto& st = sh.worker(w);
        x.active_conns += st.rs_active[rs.slot].load(std::memory_order_relaxed);
        x.inactive_conns += st.rs_inactive[rs.slot].load(std::memory_order_relaxed);
        x.packets += st.rs_packets[rs.slot].get();
        x.bytes += st.rs_bytes[rs.slot].get();
    }
    const std::uint32_t svc_key =
        sc.vip.value ^ (std::uint32_t{sc.port} << 8) ^ static_cast<std::uint32_t>(sc.proto);
    auto& owner = slot_owners_[rs.slot];
    if (owner.address != rs.address || owner.port != rs.port || owner.service != svc_key) {
        // First report of this slot for this real server.
        bool first_use = owner.address.value == 0 && owner.port == 0;
        owner = {rs.address, rs.port, svc_key, first_use ? 0 : x.packets, first_use ? 0 : x.bytes};
    }
    x.packets -= std::min(x.packets, owner.base_packets);
    x.bytes -= std::min(x.bytes, owner.base_bytes);
}

real_server_row lb_manager::rs_report(const shell& sh, const vs_state& vs, const lb::service* svc,
                                      const rs_state& r, usec now) {
    const auto& sc = vs.cfg.service;
    std::uint16_t port = r.cfg.rs.port ? r.cfg.rs.port : sc.port;
    const lb::real_server* rs = table_->find_real_server(r.cfg.rs.address, port, sc.proto);
    // find_real_server returns the first service's entry for a shared
    // endpoint: use this service's own by scanning it.
    if (svc != nullptr) {
        for (const auto& cand : table_->real_servers(*svc)) {
            if (cand.address == r.cfg.rs.address && cand.port == port) {
                rs = &cand;
            }
        }
    }
    real_server_row x;
    if (rs != nullptr) {
        slot_counters(sh, sc, *rs, x);
    }
    x.address = r.cfg.rs.address.to_string();
    x.port = port;
    x.weight = r.weight;
    x.effective_weight = rs ? rs->weight : 0u;
    x.state = r.draining_since ? "draining" : !r.enabled ? "disabled" : (r.healthy ? "up" : "down");
    x.check = r.cfg.check ? "tcp" : "none";
    x.health = r.health_reason;
    x.health_since_s = static_cast<double>((now - r.health_since).count()) / 1e6;
    x.inhibit_on_failure = r.cfg.inhibit_on_failure;
    return x;
}

std::vector<flow_row> lb_manager::flows(shell& sh, const std::string& vs,
                                        std::uint32_t limit) const {
    flow_dump_request req;
    req.limit = limit;
    if (!vs.empty()) {
        auto e = parse_endpoint(vs, true);
        if (e) {
            req.vip = std::get<0>(*e);
            req.vport = std::get<1>(*e);
            // "VIP:port" means TCP unless "/udp" is given (as everywhere).
            req.proto = static_cast<std::uint8_t>(std::get<2>(*e));
        }
    }
    std::vector<flow_row> rows;
    for (const auto& f : sh.dump_flows(req)) {
        rows.push_back(
            {.protocol = f.proto == net::ip_proto_tcp ? lb::protocol::tcp : lb::protocol::udp,
             .client = f.client,
             .vip = f.vip,
             .rs = f.rs,
             .client_port = f.client_port,
             .vport = f.vport,
             .rs_port = f.rs_port,
             .state = static_cast<lb::flow_state>(f.state),
             .expires_in = std::chrono::milliseconds(f.expires_in_ms)});
    }
    return rows;
}

} // namespace vipgate::control
