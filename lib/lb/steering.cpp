#include "lb/steering.hpp"

#include <set>
#include <tuple>

#include "lb/owner.hpp"

namespace vipgate::lb {

namespace {

// Which bits of the owner's key field a rule for `queue` matches, placed in
// the header field: the port (16 bits) or the address (32 bits, shifted).
struct key_bits {
    std::uint32_t value = 0, mask = 0;
    bool reachable = true; // false: no key maps to this queue (short prefix)
};

key_bits bits_for(const service& svc, unsigned queue, unsigned n) {
    const std::uint64_t low = n - 1; // n is a power of two
    if (svc.owner_by_port) {
        return {queue, static_cast<std::uint32_t>(low), true};
    }
    const unsigned shift = owner_address_shift(svc.owner_mask);
    if (shift >= 32) { // a /0 mask: every client has key 0
        return {0, 0, queue == 0};
    }
    const std::uint64_t keys = std::uint64_t{0xffffffffu} >> shift; // largest key
    return {static_cast<std::uint32_t>(std::uint64_t{queue} << shift),
            static_cast<std::uint32_t>(low << shift), queue <= keys};
}

void add_forward(const service& svc, unsigned n, std::vector<steer_rule>& out) {
    for (unsigned q = 0; q < n; ++q) {
        const key_bits k = bits_for(svc, q, n);
        if (!k.reachable) {
            continue;
        }
        steer_rule r{.queue = q, .priority = 0, .direction = steer_direction::from_client};
        r.match.ip_proto = to_ip_proto(svc.proto);
        r.match.dst = svc.vip.value;
        r.match.dst_mask = 0xffffffffu;
        r.match.dst_port = svc.port;
        r.match.dst_port_mask = 0xffff;
        if (svc.owner_by_port) {
            r.match.src_port = static_cast<std::uint16_t>(k.value);
            r.match.src_port_mask = static_cast<std::uint16_t>(k.mask);
        } else {
            r.match.src = k.value;
            r.match.src_mask = k.mask;
        }
        out.push_back(r);
    }
}

void add_reply(const service& svc, const real_server& rs, unsigned n,
               std::vector<steer_rule>& out) {
    for (unsigned q = 0; q < n; ++q) {
        const key_bits k = bits_for(svc, q, n);
        if (!k.reachable) {
            continue;
        }
        steer_rule r{.queue = q, .priority = 1, .direction = steer_direction::from_real_server};
        r.match.ip_proto = to_ip_proto(svc.proto);
        r.match.src = rs.address.value;
        r.match.src_mask = 0xffffffffu;
        r.match.src_port = rs.port;
        r.match.src_port_mask = 0xffff;
        if (svc.owner_by_port) {
            r.match.dst_port = static_cast<std::uint16_t>(k.value);
            r.match.dst_port_mask = static_cast<std::uint16_t>(k.mask);
        } else {
            r.match.dst = k.value;
            r.match.dst_mask = k.mask;
        }
        out.push_back(r);
    }
}

} // namespace

steering_plan plan_steering(const service_table& table, unsigned n_workers) {
    steering_plan plan;
    if (n_workers == 0) {
        plan.reason = "no workers";
        return plan;
    }
    if (!is_power_of_two(n_workers)) {
        plan.reason = std::to_string(n_workers) +
                      " workers is not a power of two: the owner is the client port (or "
                      "address) modulo " +
                      std::to_string(n_workers) + ", which no mask rule expresses";
        return plan;
    }
    plan.expressible = true;
    for (const auto& svc : table.services()) {
        add_forward(svc, n_workers, plan.rules);
    }
    // One set per real-server endpoint: services sharing it share the owner
    // policy (service_table::build), so the first service's policy is theirs.
    std::set<std::tuple<std::uint32_t, std::uint16_t, std::uint8_t>> seen;
    for (const auto& rs : table.all_real_servers()) {
        const service& svc = table.service_of(rs);
        if (seen.emplace(rs.address.value, rs.port, to_ip_proto(svc.proto)).second) {
            add_reply(svc, rs, n_workers, plan.rules);
        }
    }
    return plan;
}

int steer_queue(const steering_plan& plan, std::uint8_t ip_proto, net::ipv4_addr src,
                std::uint16_t src_port, net::ipv4_addr dst, std::uint16_t dst_port) noexcept {
    const steer_rule* best = nullptr;
    for (const auto& r : plan.rules) {
        if ((best == nullptr || r.priority < best->priority) &&
            steer_matches(r.match, ip_proto, src, src_port, dst, dst_port)) {
            best = &r;
        }
    }
    return best == nullptr ? -1 : static_cast<int>(best->queue);
}

} // namespace vipgate::lb
