#include "lb/owner.hpp"

#include "lb/nat.hpp"

namespace vipgate::lb {

unsigned owner_worker(const service& svc, net::ipv4_addr client, std::uint16_t client_port,
                      protocol /*proto*/, unsigned n_workers) noexcept {
    if (n_workers <= 1) {
        return 0;
    }
    const std::uint32_t key = owner_key(svc, client, client_port);
    return is_power_of_two(n_workers) ? key & (n_workers - 1) : key % n_workers;
}

classification classify(const service_table& table, std::span<const std::uint8_t> frame,
                        const net::packet_meta& meta) noexcept {
    classification c;
    if (is_lb_protocol(meta.ip_proto)) {
        const auto proto = static_cast<protocol>(meta.ip_proto);
        if (table.may_be_vip(meta.dst)) {
            if (const service* s = table.find_service(meta.dst, meta.dst_port, proto)) {
                return {packet_kind::forward, s, meta.src, meta.src_port, proto};
            }
        }
        if (const real_server* r = table.find_real_server(meta.src, meta.src_port, proto)) {
            return {packet_kind::reply, &table.service_of(*r), meta.dst, meta.dst_port, proto};
        }
        return c;
    }
    if (meta.ip_proto == net::ip_proto_icmp) {
        icmp_quote q;
        if (parse_icmp_error(frame, meta, q, false) != drop_reason::none) {
            return c;
        }
        const flow_key& k = q.quoted;
        // The quote is a packet we sent: a reply VIP -> client ...
        if (const service* s = table.find_service(k.src, k.src_port, k.proto)) {
            return {packet_kind::icmp_error, s, k.dst, k.dst_port, k.proto};
        }
        // ... or a forwarded packet client -> RS.
        if (const real_server* r = table.find_real_server(k.dst, k.dst_port, k.proto)) {
            return {packet_kind::icmp_error, &table.service_of(*r), k.src, k.src_port, k.proto};
        }
    }
    return c;
}

std::optional<unsigned> owner_of(const service_table& table, std::span<const std::uint8_t> frame,
                                 const net::packet_meta& meta, unsigned n_workers) noexcept {
    const classification c = classify(table, frame, meta);
    if (c.kind == packet_kind::none) {
        return std::nullopt;
    }
    return owner_worker(c, n_workers);
}

} // namespace vipgate::lb
