#include "config/lb_check.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <tuple>
#include <utility>

namespace vipgate::config::lb_rules {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string at_text(const source_location& at) {
    return at.line > 0 ? at.to_string() : at.file;
}

// IPVS schedulers that vipgate does not implement (keepalived passes any
// name to the kernel; ip_vs_*.c).
constexpr std::array<std::string_view, 8> other_ipvs_schedulers = {"lblc", "lblcr", "dh",  "sed",
                                                                   "nq",   "fo",    "ovf", "twos"};

bool contiguous(std::uint32_t mask) {
    const std::uint32_t inv = ~mask;
    return (inv & (inv + 1)) == 0;
}

std::string endpoint_text(net::ipv4_addr a, std::uint16_t port) {
    return a.to_string() + ":" + std::to_string(port);
}

bool vip_held(net::ipv4_addr vip, const std::vector<vrrp_instance_config>& instances) {
    for (const auto& vi : instances) {
        const auto& vips = vi.vrrp.virtual_addresses;
        if (std::find(vips.begin(), vips.end(), vip) != vips.end()) {
            return true;
        }
    }
    return false;
}

const port_config* port_with_address(const std::vector<port_config>& ports, net::ipv4_addr a) {
    for (const auto& p : ports) {
        if (p.address.addr == a) {
            return &p;
        }
    }
    return nullptr;
}

bool on_link(const std::vector<port_config>& ports, net::ipv4_addr a) {
    return std::any_of(ports.begin(), ports.end(),
                       [&](const port_config& p) { return p.address.contains(a); });
}

bool any_gateway(const std::vector<port_config>& ports) {
    return std::any_of(ports.begin(), ports.end(),
                       [](const port_config& p) { return p.gateway.has_value(); });
}

std::string rs_subject_of(const vs_entry& e, const rs_entry& r, std::string_view key) {
    if (e.syntax == dialect::yaml) {
        return r.subject + "." + std::string(key) + ": ";
    }
    return r.subject + ": ";
}

// keepalived's sorry_server: an endpoint none of the real servers has (it
// is one more real server of the service to the load balancer), not
// vipgate's own address.
void check_sorry_server(
    diagnostics& diag, const std::vector<port_config>& ports, const vs_entry& e,
    const std::map<std::pair<std::uint32_t, std::uint16_t>, const rs_entry*>& real_servers) {
    const auto& sorry = e.cfg.service.sorry_server;
    if (!sorry || sorry->address.value == 0) {
        return;
    }
    const source_location at = e.where_of("sorry_server");
    const std::uint16_t port = sorry->port == 0 ? e.cfg.service.port : sorry->port;
    if (auto it = real_servers.find(std::pair(sorry->address.value, port));
        it != real_servers.end()) {
        diag.error(at,
                   e.subject_of("sorry_server") + endpoint_text(sorry->address, port) +
                       " is also a real server of this virtual server (at " +
                       at_text(it->second->where_of("address")) + ")",
                   "a sorry server that is none of the real servers");
    } else if (const port_config* p = port_with_address(ports, sorry->address)) {
        diag.error(at,
                   e.subject_of("sorry_server") + sorry->address.to_string() +
                       " is the address of port " + quote(p->name) + " (vipgate itself)",
                   "the address of a server behind one of the ports");
    }
}

void check_real_servers(diagnostics& diag, const std::vector<port_config>& ports,
                        const vs_entry& e) {
    const bool gateway = any_gateway(ports);
    std::map<std::pair<std::uint32_t, std::uint16_t>, const rs_entry*> seen;
    for (std::size_t i = 0; i < e.rs.size() && i < e.cfg.real_servers.size(); ++i) {
        const rs_entry& r = e.rs[i];
        const lb::real_server_config& c = e.cfg.real_servers[i].rs;
        if (c.address.value == 0) {
            continue; // not read: already reported
        }
        const source_location at = r.where_of("address");
        auto [it, fresh] = seen.try_emplace(std::pair(c.address.value, c.port), &r);
        if (!fresh) {
            diag.error(at,
                       rs_subject_of(e, r, "address") + "real server " +
                           endpoint_text(c.address, c.port) +
                           " is listed twice in this virtual server (first at " +
                           at_text(it->second->where_of("address")) + ")",
                       "each real server address and port at most once per virtual server");
            continue;
        }
        if (const port_config* p = port_with_address(ports, c.address)) {
            diag.error(at,
                       rs_subject_of(e, r, "address") + c.address.to_string() +
                           " is the address of port " + quote(p->name) + " (vipgate itself)",
                       "the address of a real server behind one of the ports");
            continue;
        }
        if (!on_link(ports, c.address) && !gateway) {
            diag.warning(at, rs_subject_of(e, r, "address") + "real server " +
                                 c.address.to_string() +
                                 " is in no port's subnet and no port has a gateway: it "
                                 "cannot be reached");
        }
    }
    check_sorry_server(diag, ports, e, seen);
}

} // namespace

// ---- values ------------------------------------------------------------------------

result<lb::scheduler_kind> parse_scheduler(std::string_view text) {
    constexpr std::array<std::pair<std::string_view, lb::scheduler_kind>, 6> names = {{
        {"rr", lb::scheduler_kind::rr},
        {"wrr", lb::scheduler_kind::wrr},
        {"lc", lb::scheduler_kind::lc},
        {"wlc", lb::scheduler_kind::wlc},
        {"sh", lb::scheduler_kind::sh},
        {"mh", lb::scheduler_kind::mh},
    }};
    for (const auto& [name, kind] : names) {
        if (text == name) {
            return kind;
        }
    }
    for (auto other : other_ipvs_schedulers) {
        if (text == other) {
            return make_error("is an IPVS scheduler vipgate does not implement");
        }
    }
    return make_error("is not a scheduler");
}

result<lb::protocol> parse_protocol(std::string_view text) {
    const std::string l = lower(text);
    if (l == "tcp") {
        return lb::protocol::tcp;
    }
    if (l == "udp") {
        return lb::protocol::udp;
    }
    if (l == "sctp") {
        return make_error("is not supported (vipgate balances TCP and UDP)");
    }
    return make_error("is not a protocol");
}

result<void> parse_lb_kind(std::string_view text) {
    const std::string l = lower(text);
    if (l == "nat") {
        return {};
    }
    if (l == "dr" || l == "tun") {
        return make_error("is not supported: vipgate forwards by NAT only");
    }
    return make_error("is not a forwarding method");
}

result<net::ipv4_addr> parse_netmask(std::string_view text) {
    auto a = net::ipv4_addr::parse(text);
    if (!a) {
        return make_error("is not a netmask a.b.c.d");
    }
    // 0.0.0.0 is contiguous too: every client shares one template (as in
    // keepalived's pgr_handler and IPVS).
    if (!contiguous(a->value)) {
        return make_error("is not a contiguous netmask");
    }
    return *a;
}

// ---- entries -------------------------------------------------------------------------

source_location rs_entry::where_of(std::string_view key) const {
    auto it = at.find(key);
    return it != at.end() ? it->second : cfg.where;
}

source_location vs_entry::where_of(std::string_view key) const {
    auto it = at.find(key);
    return it != at.end() ? it->second : cfg.where;
}

std::string vs_entry::subject_of(std::string_view key) const {
    if (syntax == dialect::yaml) {
        return subject + "." + std::string(key) + ": ";
    }
    return subject + ": " + std::string(key) + ": ";
}

void resolve(vs_entry& e) {
    lb::service_config& s = e.cfg.service;
    e.cfg.name =
        s.vip.to_string() + ":" + std::to_string(s.port) + "/" + lb::protocol_name(s.proto);
    s.real_servers.clear();
    e.cfg.real_servers.clear();
    const tcp_check_config builtin;
    for (rs_entry& r : e.rs) {
        real_server_entry out = r.cfg;
        if (out.rs.port == 0) {
            out.rs.port = s.port;
        }
        out.inhibit_on_failure = r.inhibit.value_or(e.inhibit);
        if (r.has_check) {
            tcp_check_config c;
            c.delay_loop =
                r.check.delay_loop.value_or(r.defaults.delay_loop.value_or(e.cfg.delay_loop));
            c.connect_timeout =
                r.check.connect_timeout.value_or(r.defaults.connect_timeout.value_or(
                    e.defaults.connect_timeout.value_or(builtin.connect_timeout)));
            c.retry = r.check.retry.value_or(
                r.defaults.retry.value_or(e.defaults.retry.value_or(builtin.retry)));
            c.delay_before_retry =
                r.check.delay_before_retry.value_or(r.defaults.delay_before_retry.value_or(
                    e.defaults.delay_before_retry.value_or(builtin.delay_before_retry)));
            c.connect_ip = r.connect_ip;
            c.connect_port = r.connect_port;
            out.check = c;
        } else {
            out.check.reset();
        }
        out.misc_checks.clear();
        for (const misc_entry& m : r.misc) {
            misc_check_config c = m.cfg;
            c.delay_loop =
                m.check.delay_loop.value_or(r.defaults.delay_loop.value_or(e.cfg.delay_loop));
            // keepalived's MISC_CHECK default_retry is 0 (check_misc.c).
            c.retry =
                m.check.retry.value_or(r.defaults.retry.value_or(e.defaults.retry.value_or(0)));
            c.delay_before_retry =
                m.check.delay_before_retry.value_or(r.defaults.delay_before_retry.value_or(
                    e.defaults.delay_before_retry.value_or(builtin.delay_before_retry)));
            out.misc_checks.push_back(std::move(c));
        }
        s.real_servers.push_back(out.rs);
        e.cfg.real_servers.push_back(std::move(out));
    }
    if (s.sorry_server && s.sorry_server->port == 0) {
        s.sorry_server->port = s.port;
    }
}

std::string vip_not_held(const vs_entry& e, bool any_vrrp_instance) {
    const std::string vip = e.cfg.service.vip.to_string();
    if (!any_vrrp_instance) {
        return e.subject_of("address") + "VIP " + vip +
               " is not held by any VRRP instance (none is configured): it is never owned, no "
               "traffic will be forwarded";
    }
    return e.subject_of("address") + "VIP " + vip +
           " is not held by any VRRP instance: it is never owned, no traffic will be forwarded";
}

void settle_quorum(diagnostics& diag, vs_entry& e) {
    lb::quorum_rule& q = e.cfg.quorum;
    std::uint64_t total = 0;
    for (const auto& r : e.cfg.real_servers) {
        total += r.rs.weight;
    }
    // Without any weight there is nothing to lower the quorum to (the
    // service has no real servers, or all at weight 0: warned elsewhere or
    // meant to drain); keepalived would set it to 0.
    if (total > 0 && q.quorum > total) {
        diag.warning(e.where_of("quorum"), e.subject_of("quorum") + std::to_string(q.quorum) +
                                               " exceeds the total weight of the real servers (" +
                                               std::to_string(total) + "); " +
                                               std::to_string(total) + " used, as keepalived does");
        q.quorum = static_cast<std::uint32_t>(total);
    }
    if (q.hysteresis >= q.quorum) {
        diag.warning(e.where_of("hysteresis"),
                     e.subject_of("hysteresis") + std::to_string(q.hysteresis) +
                         " is not below the quorum (" + std::to_string(q.quorum) + "); " +
                         std::to_string(q.quorum - 1) + " used, as keepalived does");
        q.hysteresis = q.quorum - 1;
    }
}

void check_lb(diagnostics& diag, const std::vector<port_config>& ports,
              const std::vector<vrrp_instance_config>& vrrp_instances,
              const std::vector<vs_entry>& entries) {
    const lb::table_limits limits;
    std::map<std::tuple<std::uint32_t, std::uint16_t, lb::protocol>, const vs_entry*> services;
    std::size_t total_rs = 0;
    bool rs_limit_reported = false;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const vs_entry& e = entries[i];
        const lb::service_config& s = e.cfg.service;
        if (i == limits.max_services) {
            diag.error(e.cfg.where,
                       e.subject + ": more than " + std::to_string(limits.max_services) +
                           " virtual servers (" + std::to_string(entries.size()) + " in all)",
                       "at most " + std::to_string(limits.max_services) + " virtual servers");
        }
        total_rs += e.cfg.real_servers.size();
        if (total_rs > limits.max_real_servers && !rs_limit_reported) {
            rs_limit_reported = true;
            diag.error(e.cfg.where,
                       e.subject + ": more than " + std::to_string(limits.max_real_servers) +
                           " real servers over all virtual servers",
                       "at most " + std::to_string(limits.max_real_servers) +
                           " real servers in all");
        }
        const bool have_key = e.key_ok && s.vip.value != 0 && s.port != 0;
        if (have_key) {
            auto [it, fresh] = services.try_emplace(std::tuple(s.vip.value, s.port, s.proto), &e);
            if (!fresh) {
                diag.error(e.where_of("address"),
                           e.subject_of("address") + "duplicate virtual server " + e.cfg.name +
                               " (first defined at " + at_text(it->second->where_of("address")) +
                               ")",
                           "each VIP, port and protocol at most once");
            }
        }
        if (s.vip.value != 0 && !vip_held(s.vip, vrrp_instances)) {
            diag.warning(e.cfg.where, vip_not_held(e, !vrrp_instances.empty()));
        }
        if (e.checked) {
            continue;
        }
        check_real_servers(diag, ports, e);
        if (e.cfg.real_servers.empty()) {
            diag.warning(e.cfg.where, e.subject + ": has no real servers: no connection to " +
                                          e.cfg.name + " can be forwarded");
        }
        if (s.hash_port && s.scheduler != lb::scheduler_kind::sh &&
            s.scheduler != lb::scheduler_kind::mh) {
            diag.warning(e.where_of("hash_port"),
                         e.subject_of("hash_port") + "has no effect with lb_algo " +
                             lb::scheduler_name(s.scheduler) + " (only sh and mh hash)");
        }
    }
}

} // namespace vipgate::config::lb_rules
