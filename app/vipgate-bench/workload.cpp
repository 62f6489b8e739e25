#include "workload.hpp"

#include <array>

#include "lb/owner.hpp"
#include "lb/scheduler.hpp"
#include "net/builder.hpp"
#include "net/headers.hpp"

namespace vipgate::bench {

std::vector<lb::service_config> topology::services() const {
    lb::service_config s;
    s.vip = vip;
    s.port = vport;
    s.proto = lb::protocol::tcp;
    s.scheduler = scheduler;
    for (std::uint32_t k = 0; k < real_servers; ++k) {
        s.real_servers.push_back({.address = rs_addr(k), .port = rs_port, .weight = 1, .up = true});
    }
    return {s};
}

const char* kind_name(kind k) noexcept {
    switch (k) {
    case kind::established:
        return "established";
    case kind::reply:
        return "reply";
    case kind::syn:
        return "syn";
    case kind::seed:
        return "seed";
    }
    return "?";
}

bool parse_kind(const std::string& s, kind& out) noexcept {
    for (kind k : {kind::established, kind::reply, kind::syn, kind::seed}) {
        if (s == kind_name(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

generator::generator(topology t) : topo(t) {
    auto built = lb::service_table::build(topo.services());
    if (built) {
        table_ = std::move(*built);
    }
}

std::uint32_t generator::real_server_of(std::uint32_t flow) const noexcept {
    // mh and sh are pure functions of the snapshot and the client: the same
    // answer as every vipgate worker (docs/load-balancing.md, Schedulers).
    static thread_local auto state = lb::scheduler_state::create(table_.limits());
    if (table_.services().empty() || !state) {
        return 0;
    }
    const std::uint32_t i = lb::schedule(table_, table_.services()[0], *state,
                                         topo.client_addr(flow), topo.client_port(flow));
    return i == lb::no_index ? 0 : i;
}

unsigned generator::owner_of(std::uint32_t flow, unsigned workers) const noexcept {
    if (table_.services().empty()) {
        return 0;
    }
    return lb::owner_worker(table_.services()[0], topo.client_addr(flow), topo.client_port(flow),
                            lb::protocol::tcp, workers);
}

std::string generator::run(const spec& s, void (*fn)(void*, std::span<const std::uint8_t>),
                           void* ctx) const {
    if (s.frame_size < 64 || s.frame_size > 1518) {
        return "frame size must be 64..1518 (on the wire, with the FCS)";
    }
    if (s.flows == 0 || s.first > max_flows || s.flows > max_flows - s.first) {
        return "flows must be 1.." + std::to_string(max_flows) + " in all";
    }
    if (s.stride == 0 || s.phase >= s.stride) {
        return "phase must be below stride";
    }
    if (s.what == kind::reply && topo.scheduler != lb::scheduler_kind::mh &&
        topo.scheduler != lb::scheduler_kind::sh && topo.real_servers != 1) {
        return "the reply workload needs a deterministic scheduler (mh, sh) or one real server";
    }
    if (table_.services().empty()) {
        return "cannot build the service table";
    }
    const std::size_t wire = s.frame_size - 4; // no FCS in a pcap
    // Ethernet 14 + IPv4 20 + TCP 20 = 54 bytes of headers; the rest is payload
    // (a SYN carries none: Ethernet padding brings it to the minimum).
    constexpr std::size_t headers = 14 + 20 + 20;
    std::array<std::uint8_t, 1600> payload{};
    for (std::size_t k = 0; k < payload.size(); ++k) {
        payload[k] = static_cast<std::uint8_t>('a' + k % 26);
    }
    const std::size_t plen = s.what == kind::syn ? 0 : wire - headers;
    std::array<std::uint8_t, 1600> buf{};
    for (std::uint32_t n = 0; n < s.flows; ++n) {
        const std::uint32_t i = s.first + n;
        if (i % s.stride != s.phase) {
            continue;
        }
        if (s.owner >= 0 && owner_of(i, s.workers) != static_cast<unsigned>(s.owner)) {
            continue;
        }
        const net::ipv4_addr client = topo.client_addr(i);
        const std::uint16_t cport = topo.client_port(i);
        net::eth_spec l2;
        net::ipv4_spec ip;
        net::tcp_spec tcp;
        tcp.seq = 0x10000000u + i * 1000u;
        tcp.ack = 0x20000000u + i * 7u;
        tcp.payload = std::span<const std::uint8_t>(payload.data(), plen);
        ip.ttl = 64;
        ip.id = static_cast<std::uint16_t>(i);
        switch (s.what) {
        case kind::established:
        case kind::seed:
        case kind::syn:
            l2.dst = s.what == kind::seed ? topo.seed_mac : topo.ext_mac;
            l2.src = topo.router_mac;
            ip.src = client;
            ip.dst = topo.vip;
            tcp.src_port = cport;
            tcp.dst_port = topo.vport;
            tcp.flags = s.what == kind::syn
                            ? net::tcp_flag_syn
                            : static_cast<std::uint8_t>(net::tcp_flag_ack | net::tcp_flag_psh);
            if (s.what == kind::syn) {
                tcp.ack = 0;
            }
            break;
        case kind::reply: {
            const std::uint32_t k = real_server_of(i);
            l2.dst = topo.int_mac;
            l2.src = topo.rs_mac(k);
            ip.src = topo.rs_addr(k);
            ip.dst = client;
            tcp.src_port = topo.rs_port;
            tcp.dst_port = cport;
            tcp.flags = static_cast<std::uint8_t>(net::tcp_flag_ack | net::tcp_flag_psh);
            break;
        }
        }
        const std::size_t len = net::build_tcp_frame(buf, l2, ip, tcp);
        if (len == 0) {
            return "frame builder refused flow " + std::to_string(i);
        }
        // Pad a SYN to the wire size (the builder pads to 60 only).
        std::size_t out = len;
        if (out < wire) {
            std::fill(buf.begin() + static_cast<std::ptrdiff_t>(out),
                      buf.begin() + static_cast<std::ptrdiff_t>(wire), std::uint8_t{0});
            out = wire;
        }
        fn(ctx, std::span<const std::uint8_t>(buf.data(), out));
    }
    return {};
}

std::vector<std::vector<std::uint8_t>> generator::frames(const spec& s, std::string& err) const {
    std::vector<std::vector<std::uint8_t>> out;
    err = run(
        s,
        [](void* ctx, std::span<const std::uint8_t> f) {
            static_cast<std::vector<std::vector<std::uint8_t>>*>(ctx)->emplace_back(f.begin(),
                                                                                    f.end());
        },
        &out);
    return out;
}

} // namespace vipgate::bench
