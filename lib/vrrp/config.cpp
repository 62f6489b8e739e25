#include "vrrp/config.hpp"

#include "vrrp/format.hpp"

#include <algorithm>

namespace vipgate::vrrp {

namespace {

void warn(std::vector<std::string>* warnings, const instance_config& cfg, std::string text) {
    if (warnings) {
        warnings->push_back("(" + cfg.name + ") " + std::move(text));
    }
}

error fail(const instance_config& cfg, const std::string& text) {
    return make_error("vrrp_instance " + cfg.name + ": " + text);
}

// Round half up to a multiple of `unit`, at least one unit.
microseconds round_to(microseconds d, microseconds unit) {
    auto n = (d + unit / 2) / unit;
    return unit * std::max<decltype(n)>(n, 1);
}

bool is_multicast(net::ipv4_addr a) {
    return (a.value >> 28) == 0xe;
} // 224.0.0.0/4

} // namespace

result<instance_config> normalize(instance_config cfg, std::vector<std::string>* warnings) {
    if (cfg.name.empty()) {
        return make_error("vrrp_instance: a name is required");
    }
    if (cfg.vrid == 0) {
        return fail(cfg, "virtual_router_id must be 1..255");
    }
    if (cfg.version != 2 && cfg.version != 3) {
        return fail(cfg, "version must be 2 or 3");
    }
    if (cfg.priority && *cfg.priority == 0) {
        return fail(cfg, "priority must be 1..255 (0 is reserved for resigning)");
    }

    // advert_int (vrrp.c:3254-3295): whole seconds for v2, centiseconds for v3.
    if (cfg.advert_int <= microseconds{0}) {
        return fail(cfg, "advert_int must be positive");
    }
    const microseconds unit = cfg.version == 2 ? microseconds{1s} : microseconds{centiseconds{1}};
    const microseconds max =
        cfg.version == 2 ? microseconds{255s} : microseconds{centiseconds{4095}};
    if (cfg.advert_int % unit != microseconds{0}) {
        const auto rounded = round_to(cfg.advert_int, unit);
        warn(warnings, cfg,
             "advert_int " + detail::format_duration(cfg.advert_int) + " rounded to " +
                 detail::format_duration(rounded) +
                 (cfg.version == 2 ? " (VRRPv2 uses whole seconds)"
                                   : " (VRRPv3 uses centiseconds)"));
        cfg.advert_int = rounded;
    }
    if (cfg.advert_int > max) {
        return fail(cfg, "advert_int " + detail::format_duration(cfg.advert_int) + " exceeds " +
                             detail::format_duration(max));
    }

    if (cfg.preempt_delay < microseconds{0} || cfg.preempt_delay > microseconds{1000s}) {
        return fail(cfg, "preempt_delay must be 0..1000 s");
    }
    if (cfg.garp_master_delay < microseconds{0} || cfg.garp_master_refresh < microseconds{0} ||
        (cfg.garp_lower_prio_delay && *cfg.garp_lower_prio_delay < microseconds{0})) {
        return fail(cfg, "garp delays must not be negative");
    }

    // Virtual addresses: at most 255 fit the 8-bit count (vrrp.c:3060-3098).
    if (cfg.virtual_addresses.size() > max_addresses) {
        return fail(cfg, "at most 255 virtual addresses can be advertised");
    }
    for (std::size_t i = 0; i < cfg.virtual_addresses.size(); ++i) {
        for (std::size_t j = i + 1; j < cfg.virtual_addresses.size(); ++j) {
            if (cfg.virtual_addresses[i] == cfg.virtual_addresses[j]) {
                return fail(cfg, "duplicate virtual address " +
                                     detail::format_ipv4(cfg.virtual_addresses[i]));
            }
        }
    }
    if (cfg.version == 3 && cfg.virtual_addresses.empty()) {
        return fail(cfg, "VRRPv3 needs at least one virtual address");
    }
    for (auto p : cfg.unicast_peers) {
        if (is_multicast(p)) {
            return fail(cfg, "unicast_peer " + detail::format_ipv4(p) + " is a multicast address");
        }
    }

    // Authentication (vrrp.c:2923-2934): v2 only, needs a password.
    if (cfg.auth != auth_kind::none && cfg.version == 3) {
        warn(warnings, cfg, "VRRP version 3 does not support authentication - ignoring");
        cfg.auth = auth_kind::none;
        cfg.auth_pass.clear();
    } else if (cfg.auth == auth_kind::pass && cfg.auth_pass.empty()) {
        warn(warnings, cfg, "authentication specified but no password given - ignoring");
        cfg.auth = auth_kind::none;
    } else if (cfg.auth == auth_kind::pass && cfg.auth_pass.size() > 8) {
        warn(warnings, cfg, "auth_pass is longer than 8 characters - only the first 8 are used");
    }

    // Priority and initial state (vrrp.c:2905-2912).
    if (!cfg.priority) {
        cfg.priority = cfg.initial_state == state_hint::master ? 255 : 100;
    }
    const bool explicit_master = cfg.initial_state == state_hint::master;
    if (!cfg.initial_state) {
        cfg.initial_state = *cfg.priority == 255 ? state_hint::master : state_hint::backup;
    }

    // Preemption (vrrp.c:3100-3137).
    if (*cfg.priority == 255 && !cfg.preempt) {
        warn(warnings, cfg, "nopreempt is incompatible with priority 255 - resetting nopreempt");
        cfg.preempt = true;
    }
    if (explicit_master && !cfg.preempt) {
        warn(warnings, cfg, "nopreempt will not work with initial state MASTER - clearing");
        cfg.preempt = true;
    }
    if (explicit_master && cfg.preempt_delay > microseconds{0}) {
        warn(warnings, cfg, "preempt_delay will not work with initial state MASTER - clearing");
        cfg.preempt_delay = microseconds{0};
    }
    if (!cfg.preempt && cfg.preempt_delay > microseconds{0}) {
        warn(warnings, cfg, "preempt_delay is incompatible with nopreempt - resetting");
        cfg.preempt_delay = microseconds{0};
    }

    // GARP for lower priority adverts defaults to the master ones (vrrp.c:4506-4509).
    if (!cfg.garp_lower_prio_delay) {
        cfg.garp_lower_prio_delay = cfg.garp_master_delay;
    }
    if (!cfg.garp_lower_prio_repeat) {
        cfg.garp_lower_prio_repeat = cfg.garp_master_repeat;
    }
    return cfg;
}

reject_reason check_advert(const advert& a, const instance_config& cfg, net::ipv4_addr src,
                           net::ipv4_addr dst) noexcept {
    // Order follows keepalived's vrrp_check_packet() so counters line up.
    if (a.vrid != cfg.vrid) {
        return reject_reason::unknown_vrid;
    }
    if (a.version() != cfg.version) { // RFC 5798 §7.1: MUST verify the version
        return reject_reason::version_mismatch;
    }
    if (cfg.version == 2) {
        // RFC 3768 §7.1: MUST perform the authentication of the Auth Type.
        if (a.auth_type != auth_type_none && a.auth_type != auth_type_pass &&
            a.auth_type != auth_type_ah) {
            return reject_reason::bad_auth_type;
        }
        const std::uint8_t want = cfg.auth == auth_kind::pass ? auth_type_pass : auth_type_none;
        if (a.auth_type != want) {
            return reject_reason::auth_type_mismatch;
        }
        if (want == auth_type_pass && a.auth_data != pass_auth_data(cfg.auth_pass)) {
            return reject_reason::auth_mismatch;
        }
        // RFC 3768 §7.1: MUST verify the Adver Interval matches the local one.
        if (a.interval_duration() != cfg.advert_int) {
            return reject_reason::interval_mismatch;
        }
    }
    // RFC 5798 §7.1: MAY verify the addresses; keepalived always does.
    if (a.addresses.size() != cfg.virtual_addresses.size()) {
        return reject_reason::address_count_mismatch;
    }
    const bool multicast = is_multicast(dst);
    if (cfg.unicast_peers.empty() && !multicast) {
        return reject_reason::unexpected_unicast;
    }
    if (!cfg.unicast_peers.empty() && multicast) {
        return reject_reason::unexpected_multicast;
    }
    for (auto vip : cfg.virtual_addresses) {
        if (!a.addresses.contains(vip)) {
            return reject_reason::address_mismatch;
        }
    }
    if (cfg.check_unicast_src && !cfg.unicast_peers.empty() &&
        std::find(cfg.unicast_peers.begin(), cfg.unicast_peers.end(), src) ==
            cfg.unicast_peers.end()) {
        return reject_reason::unknown_unicast_peer;
    }
    return reject_reason::none;
}

} // namespace vipgate::vrrp
