#include "vrrp/advert.hpp"

#include "vrrp/checksum.hpp"

namespace vipgate::vrrp {

namespace {

void put_addr(std::span<std::uint8_t> out, std::size_t at, net::ipv4_addr a) noexcept {
    out[at] = static_cast<std::uint8_t>(a.value >> 24);
    out[at + 1] = static_cast<std::uint8_t>(a.value >> 16);
    out[at + 2] = static_cast<std::uint8_t>(a.value >> 8);
    out[at + 3] = static_cast<std::uint8_t>(a.value);
}

net::ipv4_addr get_addr(std::span<const std::uint8_t> in, std::size_t at) noexcept {
    return net::ipv4_addr{in[at], in[at + 1], in[at + 2], in[at + 3]};
}

bool sums_to_ones(std::span<const std::uint8_t> msg, std::uint32_t acc) noexcept {
    return detail::fold(detail::sum16(msg, acc)) == 0xffff;
}

} // namespace

std::string_view checksum_form_name(checksum_form f) noexcept {
    switch (f) {
    case checksum_form::message_only:
        return "message_only";
    case checksum_form::pseudo_header:
        return "pseudo_header";
    case checksum_form::pseudo_header_mcast:
        return "pseudo_header_mcast";
    }
    return "unknown";
}

std::size_t encode(const advert& a, net::ipv4_addr src, net::ipv4_addr dst,
                   std::span<std::uint8_t> out, checksum_form v3_form) noexcept {
    const std::size_t len = encoded_size(a);
    if (out.size() < len) {
        return 0;
    }
    auto msg = out.first(len);
    const std::uint8_t version = a.version();

    msg[0] = static_cast<std::uint8_t>(version << 4 | type_advertisement);
    msg[1] = a.vrid;
    msg[2] = a.priority;
    msg[3] = static_cast<std::uint8_t>(a.addresses.size());
    if (version == 2) {
        // RFC 3768 §5.1: Auth Type, Adver Int (seconds).
        msg[4] = a.auth_type;
        msg[5] = std::get<v2_advert_int>(a.interval).seconds();
    } else {
        // RFC 5798 §5.2.6-5.2.7: 4 reserved bits (zero) + 12 bits of centiseconds.
        const std::uint16_t cs = std::get<v3_advert_int>(a.interval).centiseconds();
        msg[4] = static_cast<std::uint8_t>(cs >> 8);
        msg[5] = static_cast<std::uint8_t>(cs);
    }
    msg[6] = 0;
    msg[7] = 0;
    std::size_t at = header_size;
    for (auto addr : a.addresses) {
        put_addr(msg, at, addr);
        at += 4;
    }

    std::uint32_t acc = 0;
    if (version == 2) {
        // RFC 3768 §5.3.10: always 8 bytes; zero unless keepalived PASS uses them.
        for (std::size_t i = 0; i < v2_auth_size; ++i) {
            msg[at + i] = a.auth_type == auth_type_none ? 0 : a.auth_data[i];
        }
    } else if (v3_form != checksum_form::message_only) {
        // RFC 5798 §5.2.8: the IPv4 pseudo-header is part of the v3 checksum.
        const auto pdst = v3_form == checksum_form::pseudo_header_mcast ? multicast_group : dst;
        acc = detail::pseudo_header_sum(src.value, pdst.value, static_cast<std::uint16_t>(len));
    }
    const std::uint16_t ck = detail::finish(detail::sum16(msg, acc));
    msg[6] = static_cast<std::uint8_t>(ck >> 8);
    msg[7] = static_cast<std::uint8_t>(ck);
    return len;
}

decode_result decode(std::span<const std::uint8_t> in, net::ipv4_addr src, net::ipv4_addr dst,
                     const decode_options& opts, advert& out) noexcept {
    // RFC 5798 §7.1 / RFC 3768 §7.1, in the RFC's order where it has one.
    if (opts.check_ttl && opts.ip_ttl != required_ttl) {
        return {reject_reason::bad_ttl};
    }
    if (in.size() < header_size) {
        return {reject_reason::too_short};
    }
    const std::uint8_t version = in[0] >> 4;
    if (version != 2 && version != 3) {
        return {reject_reason::bad_version};
    }
    if (opts.expected_version != 0 && version != opts.expected_version) {
        return {reject_reason::version_mismatch};
    }
    if ((in[0] & 0x0f) != type_advertisement) {
        return {reject_reason::bad_type};
    }
    const std::size_t count = in[3];
    const std::size_t expected =
        header_size + 4 * count + (version == 2 ? v2_auth_size : std::size_t{0});
    if (in.size() != expected) {
        return {reject_reason::bad_length};
    }

    checksum_form form = checksum_form::message_only;
    if (version == 2) {
        if (!sums_to_ones(in, 0)) { // RFC 3768 §5.3.8: the message only
            return {reject_reason::bad_checksum};
        }
    } else {
        const auto len = static_cast<std::uint16_t>(in.size());
        if (sums_to_ones(in, detail::pseudo_header_sum(src.value, dst.value, len))) {
            form = checksum_form::pseudo_header;
        } else if (dst != multicast_group &&
                   sums_to_ones(in,
                                detail::pseudo_header_sum(src.value, multicast_group.value, len))) {
            form = checksum_form::pseudo_header_mcast;
        } else if (sums_to_ones(in, 0)) {
            form = checksum_form::message_only;
        } else {
            return {reject_reason::bad_checksum};
        }
    }

    out.vrid = in[1];
    out.priority = in[2];
    out.addresses.clear();
    for (std::size_t i = 0; i < count; ++i) {
        (void)out.addresses.push_back(get_addr(in, header_size + 4 * i));
    }
    if (version == 2) {
        out.auth_type = in[4];
        out.interval = v2_advert_int{in[5]};
        for (std::size_t i = 0; i < v2_auth_size; ++i) {
            out.auth_data[i] = in[header_size + 4 * count + i];
        }
    } else {
        const v3_advert_int interval{static_cast<std::uint16_t>(in[4] << 8 | in[5])};
        if (interval.centiseconds() == 0) {
            return {reject_reason::bad_interval};
        }
        out.auth_type = auth_type_none;
        out.auth_data = {};
        out.interval = interval;
    }
    return {reject_reason::none, form};
}

} // namespace vipgate::vrrp
