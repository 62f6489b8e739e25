#include "sync/codec.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/byte_order.hpp"

namespace vipgate::sync {

namespace {

using net::load_be16;
using net::load_be32;
using net::store_be16;
using net::store_be32;

void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
    store_be32(p, static_cast<std::uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<std::uint32_t>(v));
}
std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

// The longest lb timeout a flow deadline can hold (lb/tcp_state.hpp).
constexpr std::uint32_t max_timeout_ms = 0x7fffffffu;

struct size_visitor {
    std::size_t operator()(const flow_record&) const noexcept { return flow_record_size; }
    std::size_t operator()(const persist_record&) const noexcept { return persist_record_size; }
    std::size_t operator()(const bulk_request_record&) const noexcept {
        return bulk_request_record_size;
    }
    std::size_t operator()(const bulk_end_record&) const noexcept { return bulk_end_record_size; }
};

void put_record_header(std::uint8_t* p, record_type t, family f, std::size_t len) noexcept {
    p[0] = static_cast<std::uint8_t>(t);
    p[1] = static_cast<std::uint8_t>(f);
    store_be16(p + 2, static_cast<std::uint16_t>(len));
}

// Writes `r` at p (encoded_size(r) bytes available).
void put_record(std::uint8_t* p, const record& r) noexcept {
    if (const auto* f = std::get_if<flow_record>(&r)) {
        put_record_header(p, f->type, family::ipv4, flow_record_size);
        std::uint8_t* b = p + record_header_size;
        net::store_ipv4(b, f->client);
        net::store_ipv4(b + 4, f->vip);
        net::store_ipv4(b + 8, f->rs);
        store_be16(b + 12, f->client_port);
        store_be16(b + 14, f->vport);
        store_be16(b + 16, f->rs_port);
        b[18] = lb::to_ip_proto(f->proto);
        b[19] = static_cast<std::uint8_t>(f->state);
        store_be32(b + 20, f->timeout_ms);
    } else if (const auto* t = std::get_if<persist_record>(&r)) {
        put_record_header(p, record_type::persist, family::ipv4, persist_record_size);
        std::uint8_t* b = p + record_header_size;
        net::store_ipv4(b, t->client);
        net::store_ipv4(b + 4, t->vip);
        net::store_ipv4(b + 8, t->rs);
        store_be16(b + 12, t->vport);
        store_be16(b + 14, t->rs_port);
        b[16] = lb::to_ip_proto(t->proto);
        b[17] = 0;
        store_be16(b + 18, 0);
        store_be32(b + 20, t->timeout_ms);
    } else if (const auto* q = std::get_if<bulk_request_record>(&r)) {
        put_record_header(p, record_type::bulk_request, family::none, bulk_request_record_size);
        store_be32(p + 4, q->target);
        store_be32(p + 8, q->bulk_id);
    } else if (const auto* e = std::get_if<bulk_end_record>(&r)) {
        put_record_header(p, record_type::bulk_end, family::none, bulk_end_record_size);
        store_be32(p + 4, e->target);
        store_be32(p + 8, e->bulk_id);
        store_be32(p + 12, e->records);
    }
}

bool valid_proto(std::uint8_t p) noexcept {
    return lb::is_lb_protocol(p);
}

// TCP flows are in one of IPVS's TCP states, UDP flows in `udp`.
bool valid_state(std::uint8_t proto, std::uint8_t state) noexcept {
    if (proto == net::ip_proto_udp) {
        return state == static_cast<std::uint8_t>(lb::flow_state::udp);
    }
    return state < static_cast<std::uint8_t>(lb::flow_state::udp);
}

// Checks one record at the head of `rest`; on success `len` is its length.
reason check_record(std::span<const std::uint8_t> rest, std::size_t& len) noexcept {
    if (rest.size() < record_header_size) {
        return reason::truncated_record;
    }
    const std::uint8_t type = rest[0];
    const std::uint8_t fam = rest[1];
    len = load_be16(rest.data() + 2);
    if (type == 0 || type > max_record_type) {
        return reason::unknown_record_type;
    }
    const auto t = static_cast<record_type>(type);
    const bool addressed = t != record_type::bulk_request && t != record_type::bulk_end;
    if (addressed ? fam != static_cast<std::uint8_t>(family::ipv4)
                  : fam != static_cast<std::uint8_t>(family::none)) {
        return reason::unsupported_family;
    }
    std::size_t want = 0;
    switch (t) {
    case record_type::flow_add:
    case record_type::flow_state:
    case record_type::flow_refresh:
    case record_type::flow_delete:
        want = flow_record_size;
        break;
    case record_type::persist:
        want = persist_record_size;
        break;
    case record_type::bulk_request:
        want = bulk_request_record_size;
        break;
    case record_type::bulk_end:
        want = bulk_end_record_size;
        break;
    }
    if (len != want) {
        return reason::bad_record_length;
    }
    if (rest.size() < len) {
        return reason::truncated_record;
    }
    const std::uint8_t* b = rest.data() + record_header_size;
    if (t == record_type::persist) {
        if (!valid_proto(b[16]) || b[17] != 0 || load_be16(b + 18) != 0 ||
            load_be32(b + 20) > max_timeout_ms) {
            return reason::bad_record_field;
        }
    } else if (addressed) {
        if (!valid_proto(b[18]) || !valid_state(b[18], b[19]) ||
            load_be32(b + 20) > max_timeout_ms) {
            return reason::bad_record_field;
        }
    }
    return reason::none;
}

} // namespace

record_type type_of(const record& r) noexcept {
    if (const auto* f = std::get_if<flow_record>(&r)) {
        return f->type;
    }
    if (std::holds_alternative<persist_record>(r)) {
        return record_type::persist;
    }
    if (std::holds_alternative<bulk_request_record>(r)) {
        return record_type::bulk_request;
    }
    return record_type::bulk_end;
}

std::size_t encoded_size(const record& r) noexcept {
    return std::visit(size_visitor{}, r);
}

encoder::encoder(std::span<std::uint8_t> buf, std::size_t max_bytes,
                 std::span<const std::uint8_t> key) noexcept
    : buf_(buf), key_(key) {
    // The trailer comes out of the budget; the 16-bit length field bounds
    // header + records.
    const std::size_t limit = std::min(buf.size(), max_bytes);
    const std::size_t trailer = key.empty() ? 0 : hmac_size;
    limit_ = std::min(limit > trailer ? limit - trailer : 0, max_message_size);
}

bool encoder::fits(const record& r) const noexcept {
    return count_ < 0xffff && used_ + encoded_size(r) <= limit_;
}

bool encoder::add(const record& r) noexcept {
    if (!fits(r)) {
        return false;
    }
    put_record(buf_.data() + used_, r);
    used_ += encoded_size(r);
    ++count_;
    return true;
}

std::size_t encoder::finish(header h) noexcept {
    if (limit_ < header_size) {
        return 0;
    }
    std::uint8_t* p = buf_.data();
    h.count = count_;
    h.flags = static_cast<std::uint16_t>(h.flags & ~flag_hmac);
    if (!key_.empty()) {
        h.flags |= flag_hmac;
    }
    store_be32(p, magic);
    p[4] = version;
    p[5] = static_cast<std::uint8_t>(h.type);
    store_be16(p + 6, h.flags);
    store_be16(p + 8, static_cast<std::uint16_t>(used_));
    store_be16(p + 10, h.count);
    store_be32(p + 12, h.node);
    store_be32(p + 16, h.sync_id);
    store_be32(p + 20, h.epoch);
    store_be32(p + 24, h.seq);
    store_be32(p + 28, h.oldest);
    store_be32(p + 32, h.ack_node);
    store_be32(p + 36, h.ack_epoch);
    store_be32(p + 40, h.ack_cum);
    store_be64(p + 44, h.sack);
    if (key_.empty()) {
        return used_;
    }
    const auto mac = hmac_sha256(key_, std::span<const std::uint8_t>(p, used_));
    std::memcpy(p + used_, mac.data(), mac.size());
    return used_ + hmac_size;
}

reason decode(std::span<const std::uint8_t> msg, const decode_options& opts,
              decoded& out) noexcept {
    if (msg.size() < header_size) {
        return reason::too_short;
    }
    const std::uint8_t* p = msg.data();
    if (load_be32(p) != magic) {
        return reason::bad_magic;
    }
    if (p[4] != version) {
        return reason::bad_version;
    }
    if (p[5] != static_cast<std::uint8_t>(msg_type::data) &&
        p[5] != static_cast<std::uint8_t>(msg_type::ack)) {
        return reason::bad_type;
    }
    header h;
    h.type = static_cast<msg_type>(p[5]);
    h.flags = load_be16(p + 6);
    if ((h.flags & ~known_flags) != 0) {
        return reason::bad_flags;
    }
    const std::size_t length = load_be16(p + 8);
    const std::size_t trailer = (h.flags & flag_hmac) != 0 ? hmac_size : 0;
    if (length < header_size || length + trailer != msg.size()) {
        return reason::bad_length;
    }
    // Authentication before anything else is believed (RFC 2104 §5: the
    // tag is compared in constant time).
    if (!opts.key.empty()) {
        if (trailer == 0) {
            return reason::missing_hmac;
        }
        const auto mac = hmac_sha256(opts.key, msg.first(length));
        if (CRYPTO_memcmp(mac.data(), p + length, hmac_size) != 0) {
            return reason::bad_hmac;
        }
    } else if (trailer != 0) {
        return reason::unexpected_hmac;
    }
    h.count = load_be16(p + 10);
    h.node = load_be32(p + 12);
    h.sync_id = load_be32(p + 16);
    h.epoch = load_be32(p + 20);
    h.seq = load_be32(p + 24);
    h.oldest = load_be32(p + 28);
    h.ack_node = load_be32(p + 32);
    h.ack_epoch = load_be32(p + 36);
    h.ack_cum = load_be32(p + 40);
    h.sack = load_be64(p + 44);
    if (h.node == 0 || h.epoch == 0) {
        return reason::bad_header_field;
    }
    if ((h.flags & flag_ack) != 0 ? (h.ack_node == 0 || h.ack_epoch == 0)
                                  : (h.ack_node | h.ack_epoch | h.ack_cum) != 0 || h.sack != 0) {
        return reason::bad_header_field;
    }
    if (h.type == msg_type::ack) {
        if (h.seq != 0 || h.count != 0 || length != header_size || (h.flags & flag_bulk) != 0) {
            return reason::unexpected_records;
        }
    } else {
        if (seq_before(h.seq, h.oldest)) {
            return reason::bad_sequence;
        }
        if (h.count == 0) {
            return reason::empty_data;
        }
    }
    std::span<const std::uint8_t> rest = msg.subspan(header_size, length - header_size);
    std::size_t n = 0;
    while (!rest.empty()) {
        std::size_t len = 0;
        const reason r = check_record(rest, len);
        if (r != reason::none) {
            return r;
        }
        rest = rest.subspan(len);
        ++n;
    }
    if (n != h.count) {
        return reason::count_mismatch;
    }
    out.hdr = h;
    out.records = msg.subspan(header_size, length - header_size);
    return reason::none;
}

bool record_reader::next(record& out) noexcept {
    if (rest_.size() < record_header_size) {
        return false;
    }
    const std::uint8_t* p = rest_.data();
    const auto t = static_cast<record_type>(p[0]);
    const std::size_t len = load_be16(p + 2);
    const std::uint8_t* b = p + record_header_size;
    switch (t) {
    case record_type::flow_add:
    case record_type::flow_state:
    case record_type::flow_refresh:
    case record_type::flow_delete: {
        flow_record f;
        f.type = t;
        f.client = net::load_ipv4(b);
        f.vip = net::load_ipv4(b + 4);
        f.rs = net::load_ipv4(b + 8);
        f.client_port = load_be16(b + 12);
        f.vport = load_be16(b + 14);
        f.rs_port = load_be16(b + 16);
        f.proto = static_cast<lb::protocol>(b[18]);
        f.state = static_cast<lb::flow_state>(b[19]);
        f.timeout_ms = load_be32(b + 20);
        out = f;
        break;
    }
    case record_type::persist: {
        persist_record r;
        r.client = net::load_ipv4(b);
        r.vip = net::load_ipv4(b + 4);
        r.rs = net::load_ipv4(b + 8);
        r.vport = load_be16(b + 12);
        r.rs_port = load_be16(b + 14);
        r.proto = static_cast<lb::protocol>(b[16]);
        r.timeout_ms = load_be32(b + 20);
        out = r;
        break;
    }
    case record_type::bulk_request:
        out = bulk_request_record{load_be32(b), load_be32(b + 4)};
        break;
    case record_type::bulk_end:
        out = bulk_end_record{load_be32(b), load_be32(b + 4), load_be32(b + 8)};
        break;
    }
    rest_ = rest_.subspan(len);
    return true;
}

std::array<std::uint8_t, hmac_size> hmac_sha256(std::span<const std::uint8_t> key,
                                                std::span<const std::uint8_t> data) noexcept {
    std::array<std::uint8_t, hmac_size> out{};
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
         out.data(), &n);
    return out;
}

} // namespace vipgate::sync
