// Binary seeds for the packet fuzzers, built with lib/net's builders and
// vrrp::encode() on the gateway of pipeline_context.hpp.
//
//   fuzz_gen_seeds DIR           write DIR/fuzz_pipeline/*.bin,
//                                DIR/fuzz_vrrp_advert/*.bin and
//                                DIR/fuzz_sync_decode/*.bin (each pipeline
//                                seed is checked first)
//   fuzz_gen_seeds --check DIR   the pipeline seeds in DIR still get the
//                                verdicts they were made for (suite fuzz)
//
// Each pipeline seed lists the verdict of each of its frames, so a seed that
// stops reaching its code path (a forward, a punt, a reply) is noticed.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "pipeline/drop_reason.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline_context.hpp"
#include "sync/codec.hpp"
#include "vrrp/advert.hpp"

namespace {

using namespace vipgate;
using namespace vipgate::fuzz;
using bytes = std::vector<std::uint8_t>;

std::string describe(const pipeline::verdict& v) {
    switch (v.act) {
    case pipeline::action::drop:
        return std::string("drop(") + pipeline::drop_reason_name(v.reason) + ")";
    case pipeline::action::reply:
        return "reply";
    case pipeline::action::punt:
        switch (v.punt) {
        case pipeline::punt_kind::arp:
            return "punt(arp)";
        case pipeline::punt_kind::vrrp:
            return "punt(vrrp@" + std::to_string(v.slot) + ")";
        case pipeline::punt_kind::probe:
            return "punt(probe)";
        case pipeline::punt_kind::sync:
            return "punt(sync)";
        case pipeline::punt_kind::none:
            break;
        }
        return "punt(?)";
    case pipeline::action::forward:
        return "forward(port " + std::to_string(v.out_port) + ")";
    case pipeline::action::handoff:
        return "handoff(worker " + std::to_string(v.worker) + ")";
    }
    return "?";
}

template <class F>
bytes frame_of(F&& build) {
    bytes b(2048);
    const std::size_t n = build(std::span<std::uint8_t>(b));
    if (n == 0) {
        die("gen_seeds: a builder failed");
    }
    b.resize(n);
    return b;
}

// One record of the fuzz_pipeline input format.
void add_record(bytes& out, std::uint8_t hdr, const bytes& frame) {
    out.push_back(hdr);
    out.push_back(static_cast<std::uint8_t>(frame.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(frame.size()));
    out.insert(out.end(), frame.begin(), frame.end());
}

struct pipeline_seed {
    std::string name;
    bytes input;
    std::vector<std::string> want; // one verdict per record
};

struct seed_builder {
    pipeline_seed s;
    seed_builder(std::string name) { s.name = std::move(name); }
    seed_builder& then(std::uint8_t hdr, const bytes& frame, std::string want) {
        add_record(s.input, hdr, frame);
        s.want.push_back(std::move(want));
        return *this;
    }
    pipeline_seed done() { return std::move(s); }
};

constexpr std::uint8_t ext = 0;
constexpr std::uint8_t in1 = hdr_port1;
constexpr std::uint8_t lb = hdr_handed_off; // skip the owner check: this worker owns it

bytes arp_frame(const net::eth_spec& l2, const net::arp_spec& a) {
    return frame_of([&](auto out) { return net::build_arp_frame(out, l2, a); });
}

bytes ping(const mac_addr& dst_mac, ipv4_addr dst, std::optional<std::uint16_t> vlan = {}) {
    static const std::uint8_t payload[] = {'v', 'i', 'p', 'g', 'a', 't', 'e', '!'};
    return frame_of([&](auto out) {
        return net::build_icmp_echo_frame(
            out, {.dst = dst_mac, .src = client_mac, .vlan_tci = vlan},
            {.src = client_ip, .dst = dst, .id = 7}, {.id = 0x1234, .seq = 1, .payload = payload});
    });
}

bytes tcp(const mac_addr& dst_mac, const mac_addr& src_mac, ipv4_addr src, std::uint16_t sport,
          ipv4_addr dst, std::uint16_t dport, std::uint8_t flags, std::uint32_t seq,
          std::uint32_t ack, std::span<const std::uint8_t> payload = {}) {
    return frame_of([&](auto out) {
        return net::build_tcp_frame(out, {.dst = dst_mac, .src = src_mac}, {.src = src, .dst = dst},
                                    {.src_port = sport,
                                     .dst_port = dport,
                                     .seq = seq,
                                     .ack = ack,
                                     .flags = flags,
                                     .payload = payload});
    });
}

bytes udp(const mac_addr& dst_mac, const mac_addr& src_mac, ipv4_addr src, std::uint16_t sport,
          ipv4_addr dst, std::uint16_t dport, std::span<const std::uint8_t> payload) {
    return frame_of([&](auto out) {
        return net::build_udp_frame(out, {.dst = dst_mac, .src = src_mac}, {.src = src, .dst = dst},
                                    {.src_port = sport, .dst_port = dport, .payload = payload});
    });
}

// An ICMP error (type/code, 4 bytes of rest-of-header) quoting the IPv4
// header and first 8 bytes of `quoted` (a whole frame, Ethernet included),
// as RFC 792 routers send it.
bytes icmp_error(const mac_addr& dst_mac, const mac_addr& src_mac, ipv4_addr src, ipv4_addr dst,
                 std::uint8_t type, std::uint8_t code, std::uint16_t mtu, const bytes& quoted) {
    bytes msg{type,
              code,
              0,
              0,
              0,
              0,
              static_cast<std::uint8_t>(mtu >> 8),
              static_cast<std::uint8_t>(mtu)};
    msg.insert(msg.end(), quoted.begin() + net::eth_header_len,
               quoted.begin() + net::eth_header_len + 20 + 8);
    const std::uint16_t ck = net::internet_checksum(msg);
    msg[2] = static_cast<std::uint8_t>(ck >> 8);
    msg[3] = static_cast<std::uint8_t>(ck);
    return frame_of([&](auto out) {
        return net::build_ipv4_frame(out, {.dst = dst_mac, .src = src_mac},
                                     {.src = src, .dst = dst}, net::ip_proto_icmp, msg);
    });
}

bytes vrrp_frame(const mac_addr& dst_mac, const mac_addr& src_mac, ipv4_addr src, ipv4_addr dst,
                 std::uint8_t ttl, const bytes& msg) {
    return frame_of([&](auto out) {
        return net::build_ipv4_frame(out, {.dst = dst_mac, .src = src_mac},
                                     {.src = src, .dst = dst, .ttl = ttl, .tos = 0xc0},
                                     net::ip_proto_vrrp, msg);
    });
}

bytes hex(const char* s) {
    bytes out;
    int hi = -1;
    for (; *s != 0; ++s) {
        int v = -1;
        if (*s >= '0' && *s <= '9') {
            v = *s - '0';
        } else if (*s >= 'a' && *s <= 'f') {
            v = *s - 'a' + 10;
        }
        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

// shared/reference/keepalived-interop.md, observed from keepalived 2.2.7.
const bytes golden_v2 = hex("21339602 0101 c4bb 0a630064 0a630065 7365637265743132");
const bytes golden_v3 = hex("31346401 0032 747a 0a6300c8"); // from 10.99.0.1 to 224.0.0.18

bytes encode(const vrrp::advert& a, ipv4_addr src, ipv4_addr dst,
             vrrp::checksum_form form = vrrp::checksum_form::pseudo_header) {
    bytes b(vrrp::max_message_size);
    const std::size_t n = vrrp::encode(a, src, dst, b, form);
    if (n == 0) {
        die("gen_seeds: vrrp::encode failed");
    }
    b.resize(n);
    return b;
}

const vrrp::advert adv60{
    .vrid = 60, .priority = 100, .interval = vrrp::v3_advert_int{100}, .addresses = {vip60}};
const vrrp::advert adv61{
    .vrid = 61, .priority = 200, .interval = vrrp::v2_advert_int{1}, .addresses = {vip61}};

std::vector<pipeline_seed> pipeline_seeds() {
    using net::tcp_flag_ack;
    using net::tcp_flag_fin;
    using net::tcp_flag_psh;
    using net::tcp_flag_rst;
    using net::tcp_flag_syn;
    static const std::uint8_t hello[] = {'G', 'E', 'T', ' ', '/', '\r', '\n'};
    static const std::uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
    const auto bcast = mac_addr::broadcast();
    std::vector<pipeline_seed> v;

    // ---- ARP
    v.push_back(seed_builder("arp_request_port")
                    .then(ext,
                          arp_frame({.dst = bcast, .src = client_mac}, {.op = net::arp_op_request,
                                                                        .sha = client_mac,
                                                                        .spa = client_ip,
                                                                        .tpa = ext_ip}),
                          "reply")
                    .done());
    v.push_back(
        seed_builder("arp_request_vip_vmac_vlan")
            .then(
                ext,
                arp_frame(
                    {.dst = bcast, .src = client_mac, .vlan_tci = 12},
                    {.op = net::arp_op_request, .sha = client_mac, .spa = client_ip, .tpa = vip52}),
                "reply")
            .done());
    v.push_back(seed_builder("arp_reply_from_peer")
                    .then(ext,
                          arp_frame({.dst = ext_mac, .src = peer_mac}, {.op = net::arp_op_reply,
                                                                        .sha = peer_mac,
                                                                        .spa = peer_ip,
                                                                        .tha = ext_mac,
                                                                        .tpa = ext_ip}),
                          "punt(arp)")
                    .done());
    v.push_back(seed_builder("arp_gratuitous_int")
                    .then(in1, frame_of([](auto out) {
                              return net::build_garp(out, int_peer_mac, int_peer_ip);
                          }),
                          "punt(arp)")
                    .done());
    v.push_back(seed_builder("arp_probe_for_vip")
                    .then(ext,
                          arp_frame({.dst = bcast, .src = client_mac}, {.op = net::arp_op_request,
                                                                        .sha = client_mac,
                                                                        .spa = ipv4_addr{},
                                                                        .tpa = vip51a}),
                          "reply")
                    .done());

    // ---- ICMP echo
    v.push_back(seed_builder("icmp_echo_port").then(ext, ping(ext_mac, ext_ip), "reply").done());
    v.push_back(
        seed_builder("icmp_echo_vip_vlan").then(ext, ping(ext_mac, vip51b, 100), "reply").done());
    v.push_back(seed_builder("icmp_echo_vip_vmac").then(ext, ping(vmac52, vip52), "reply").done());

    // ---- VRRP
    v.push_back(seed_builder("vrrp_v2_golden")
                    .then(ext,
                          vrrp_frame(mcast_vrrp_mac, peer_mac, peer_ip, vrrp::multicast_group, 255,
                                     golden_v2),
                          "punt(vrrp@0)")
                    .done());
    v.push_back(seed_builder("vrrp_v3_golden")
                    .then(ext,
                          vrrp_frame(mcast_vrrp_mac, peer_mac, peer_ip, vrrp::multicast_group, 255,
                                     golden_v3),
                          "punt(vrrp@1)")
                    .done());
    v.push_back(seed_builder("vrrp_v3_unicast")
                    .then(ext,
                          vrrp_frame(ext_mac, peer_mac, peer_ip, ext_ip, 64,
                                     encode(adv60, peer_ip, ext_ip)),
                          "punt(vrrp@2)")
                    .done());
    v.push_back(seed_builder("vrrp_v3_unicast_mcast_checksum")
                    .then(ext,
                          vrrp_frame(ext_mac, peer_mac, peer_ip, ext_ip, 64,
                                     encode(adv60, peer_ip, ext_ip,
                                            vrrp::checksum_form::pseudo_header_mcast)),
                          "punt(vrrp@2)")
                    .done());
    v.push_back(seed_builder("vrrp_v2_unicast_int")
                    .then(in1,
                          vrrp_frame(int_mac, int_peer_mac, int_peer_ip, int_ip, 64,
                                     encode(adv61, int_peer_ip, int_ip)),
                          "punt(vrrp@3)")
                    .done());

    // ---- load balancing: TCP 10.99.0.100:80 (rr) and UDP 10.99.0.200:53 (wlc)
    const bytes syn =
        tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport, tcp_flag_syn, 1000, 0);
    v.push_back(seed_builder("tcp_syn_vip").then(ext | lb, syn, "forward(port 1)").done());
    // Which real server the SYN went to decides who answers: rr starts at
    // the first one after the per-input reset.
    const ipv4_addr rs = rs_ip[0];
    const mac_addr rsm = rs_mac[0];
    const bytes synack =
        tcp(int_mac, rsm, rs, 8080, client_ip, 40000, tcp_flag_syn | tcp_flag_ack, 5000, 1001);
    v.push_back(seed_builder("tcp_connection")
                    .then(ext | lb, syn, "forward(port 1)")
                    .then(in1 | lb, synack, "forward(port 0)")
                    .then(ext | lb,
                          tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport,
                              tcp_flag_ack, 1001, 5001),
                          "forward(port 1)")
                    .then(ext | lb | 0x10,
                          tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport,
                              tcp_flag_ack | tcp_flag_psh, 1001, 5001, hello),
                          "forward(port 1)")
                    .then(in1 | lb | 0x10,
                          tcp(int_mac, rsm, rs, 8080, client_ip, 40000, tcp_flag_ack | tcp_flag_fin,
                              5001, 1008),
                          "forward(port 0)")
                    .then(ext | lb,
                          tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport,
                              tcp_flag_rst, 1008, 0),
                          "forward(port 1)")
                    .done());
    // One burst (same header, clock step 0, as a worker's RX burst): the
    // lookaheads of the ACK and the data are taken before the SYN ahead of
    // them in the burst made their flow.
    v.push_back(seed_builder("tcp_connection_one_burst")
                    .then(ext | lb, syn, "forward(port 1)")
                    .then(ext | lb,
                          tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport,
                              tcp_flag_ack, 1001, 5001),
                          "forward(port 1)")
                    .then(ext | lb,
                          tcp(ext_mac, client_mac, client_ip, 40000, vip51a, tcp_vport,
                              tcp_flag_ack | tcp_flag_psh, 1001, 5001, hello),
                          "forward(port 1)")
                    .done());
    v.push_back(seed_builder("tcp_remote_client_via_gateway")
                    .then(ext | lb,
                          tcp(ext_mac, gw_mac, remote_client_ip, 51000, vip51a, tcp_vport,
                              tcp_flag_syn, 77, 0),
                          "forward(port 1)")
                    .then(in1 | lb,
                          tcp(int_mac, rsm, rs, 8080, remote_client_ip, 51000,
                              tcp_flag_syn | tcp_flag_ack, 9, 78),
                          "forward(port 0)")
                    .done());
    v.push_back(seed_builder("tcp_reply_to_unresolved_client")
                    .then(ext | lb,
                          tcp(ext_mac, unknown_client_mac, unknown_client_ip, 40001, vip51a,
                              tcp_vport, tcp_flag_syn, 1, 0),
                          "forward(port 1)")
                    .then(in1 | lb,
                          tcp(int_mac, rsm, rs, 8080, unknown_client_ip, 40001,
                              tcp_flag_syn | tcp_flag_ack, 9, 2),
                          "drop(no_neighbour)")
                    .done());
    v.push_back(seed_builder("tcp_syn_vip_backup")
                    .then(ext | lb | hdr_backup, syn, "drop(lb_backup)")
                    .done());
    {
        // Without handed_off, one of the two workers does not own the flow.
        std::int64_t base = 0;
        gateway g;
        bytes probe;
        add_record(probe, ext, syn);
        std::string got;
        run_records(g, base, probe.data(), probe.size(),
                    [&](auto, auto, auto, const pipeline::verdict& vd) { got = describe(vd); });
        const std::uint8_t other = got.rfind("handoff", 0) == 0 ? ext : ext | hdr_worker1;
        bytes probe2;
        add_record(probe2, other, syn);
        run_records(g, base, probe2.data(), probe2.size(),
                    [&](auto, auto, auto, const pipeline::verdict& vd) { got = describe(vd); });
        v.push_back(seed_builder("tcp_syn_vip_other_worker").then(other, syn, got).done());
    }
    const bytes query = udp(vmac52, client_mac, client_ip, 5353, vip52, udp_vport, dns);
    v.push_back(seed_builder("udp_vip_persistent")
                    .then(ext | lb, query, "forward(port 1)")
                    .then(in1 | lb, udp(int_mac, rs_mac[2], rs_ip[2], 53, client_ip, 5353, dns),
                          "forward(port 0)")
                    .then(ext | lb | 0x20,
                          udp(vmac52, client_mac, client_ip, 5354, vip52, udp_vport, dns),
                          "forward(port 1)")
                    .done());
    // ICMP errors quoting a flow: from the client side about our reply
    // (VIP:80 -> client), translated toward the real server ...
    const bytes our_reply = tcp(client_mac, ext_mac, vip51a, tcp_vport, client_ip, 40000,
                                tcp_flag_syn | tcp_flag_ack, 5000, 1001);
    v.push_back(seed_builder("icmp_frag_needed_from_client_side")
                    .then(ext | lb, syn, "forward(port 1)")
                    .then(ext | lb,
                          icmp_error(ext_mac, client_mac, client_ip, vip51a, 3, 4, 1400, our_reply),
                          "forward(port 1)")
                    .done());
    // ... and from the real server's side about the forwarded SYN
    // (client -> RS:8080), translated toward the client.
    const bytes forwarded_syn =
        tcp(rsm, int_mac, client_ip, 40000, rs, 8080, tcp_flag_syn, 1000, 0);
    v.push_back(seed_builder("icmp_frag_needed_from_rs_side")
                    .then(ext | lb, syn, "forward(port 1)")
                    .then(in1 | lb,
                          icmp_error(int_mac, rsm, rs, client_ip, 3, 4, 1280, forwarded_syn),
                          "forward(port 0)")
                    .done());
    v.push_back(seed_builder("icmp_port_unreachable_udp")
                    .then(ext | lb, query, "forward(port 1)")
                    .then(in1 | lb,
                          icmp_error(int_mac, rs_mac[2], rs_ip[2], client_ip, 3, 3, 0,
                                     udp(rs_mac[2], int_mac, client_ip, 5353, rs_ip[2], 53, dns)),
                          "forward(port 0)")
                    .done());

    // ---- host traffic
    v.push_back(
        seed_builder("tcp_probe_answer")
            .then(in1,
                  tcp(int_mac, rsm, rs, 8080, int_ip, 61000, tcp_flag_syn | tcp_flag_ack, 1, 2),
                  "punt(probe)")
            .done());
    v.push_back(seed_builder("udp_to_port_address")
                    .then(ext, udp(ext_mac, client_mac, client_ip, 1000, ext_ip, 53, dns),
                          "drop(no_service)")
                    .done());
    return v;
}

struct advert_seed {
    std::string name;
    bytes input;
};

// fuzz_vrrp_advert input: [options][ttl][source] + message.
advert_seed advert_input(std::string name, std::uint8_t opt, std::uint8_t ttl, std::uint8_t src,
                         const bytes& msg) {
    advert_seed s{std::move(name), {opt, ttl, src}};
    s.input.insert(s.input.end(), msg.begin(), msg.end());
    return s;
}

std::vector<advert_seed> advert_seeds() {
    const vrrp::advert many{.vrid = 7,
                            .priority = 254,
                            .interval = vrrp::v3_advert_int{4095},
                            .addresses = {ipv4_addr{10, 0, 0, 1}, ipv4_addr{10, 0, 0, 2},
                                          ipv4_addr{10, 0, 0, 3}, ipv4_addr{10, 0, 0, 4}}};
    return {
        advert_input("v2_golden", 0x01, 255, 0, golden_v2),
        advert_input("v3_golden", 0x02, 255, 0, golden_v3),
        // unicast v3 to the port address: skip TTL, dst index 1
        advert_input("v3_unicast", 0x02 | 0x04 | 0x08, 64, 0, encode(adv60, peer_ip, ext_ip)),
        advert_input("v3_unicast_mcast_form", 0x02 | 0x04 | 0x08, 64, 0,
                     encode(adv60, peer_ip, ext_ip, vrrp::checksum_form::pseudo_header_mcast)),
        advert_input(
            "v3_message_only_form", 0x00, 255, 0,
            encode(many, peer_ip, vrrp::multicast_group, vrrp::checksum_form::message_only)),
        // v2 unicast to int0's address from its configured peer: dst index 2
        advert_input("v2_unicast_int", 0x01 | 0x04 | 0x10, 64, 1,
                     encode(adv61, int_peer_ip, int_ip)),
        advert_input("v2_priority_0", 0x00, 255, 0,
                     encode(vrrp::advert{.vrid = 51,
                                         .priority = 0,
                                         .interval = vrrp::v2_advert_int{1},
                                         .auth_type = vrrp::auth_type_pass,
                                         .auth_data = vrrp::pass_auth_data("secret12"),
                                         .addresses = {vip51a, vip51b}},
                            peer_ip, vrrp::multicast_group)),
    };
}

// fuzz_sync_decode input: [options] + message (bit 0: keyed, bit 1: session).
bytes sync_message(std::uint8_t opt, const sync::header& h, const std::vector<sync::record>& recs) {
    static const std::uint8_t key[] = {'v', 'i', 'p', 'g', 'a', 't', 'e', '-',
                                       'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'};
    bytes b(sync::max_message_size);
    sync::encoder e(b, 1472,
                    (opt & 1) != 0 ? std::span<const std::uint8_t>(key)
                                   : std::span<const std::uint8_t>());
    for (const auto& r : recs) {
        if (!e.add(r)) {
            die("gen_seeds: sync record does not fit");
        }
    }
    b.resize(e.finish(h));
    b.insert(b.begin(), opt);
    return b;
}

std::vector<advert_seed> sync_seeds() {
    const sync::flow_record flow{.type = sync::record_type::flow_add,
                                 .client = client_ip,
                                 .vip = vip51a,
                                 .rs = rs_ip[0],
                                 .client_port = 40000,
                                 .vport = tcp_vport,
                                 .rs_port = 8080,
                                 .proto = lb::protocol::tcp,
                                 .state = lb::flow_state::established,
                                 .timeout_ms = 900000};
    sync::flow_record udp_flow = flow;
    udp_flow.type = sync::record_type::flow_refresh;
    udp_flow.proto = lb::protocol::udp;
    udp_flow.state = lb::flow_state::udp;
    sync::flow_record del = flow;
    del.type = sync::record_type::flow_delete;
    const sync::persist_record tmpl{.client = client_ip,
                                    .vip = vip52,
                                    .rs = rs_ip[2],
                                    .vport = udp_vport,
                                    .rs_port = 53,
                                    .proto = lb::protocol::udp,
                                    .timeout_ms = 360000};
    const sync::header data{.type = sync::msg_type::data,
                            .flags = sync::flag_ack,
                            .node = 1,
                            .sync_id = 51,
                            .epoch = 7,
                            .seq = 1,
                            .oldest = 1,
                            .ack_node = 2,
                            .ack_epoch = 1,
                            .ack_cum = 0,
                            .sack = 2};
    sync::header bulk = data;
    bulk.flags = sync::flag_bulk;
    bulk.ack_node = bulk.ack_epoch = 0;
    bulk.sack = 0;
    const sync::header keepalive{
        .type = sync::msg_type::ack, .node = 1, .sync_id = 51, .epoch = 7, .oldest = 1};
    return {
        {"data_all_records", sync_message(0x02, data, {flow, udp_flow, del, tmpl})},
        {"data_keyed", sync_message(0x03, data, {flow, tmpl})},
        {"bulk_request", sync_message(0x02, data, {sync::bulk_request_record{2, 1}})},
        {"bulk_stream_end", sync_message(0x02, bulk, {flow, sync::bulk_end_record{2, 1, 1}})},
        {"ack_keepalive", sync_message(0x02, keepalive, {})},
        {"decode_only", sync_message(0x00, data, {flow})},
    };
}

bool write_file(const std::filesystem::path& p, const bytes& b) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return static_cast<bool>(f);
}

std::optional<bytes> read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) {
        return std::nullopt;
    }
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs `input` through a fresh gateway; true when each record got its verdict.
bool check_seed(const std::string& name, const bytes& input, const std::vector<std::string>& want) {
    gateway g;
    std::int64_t base = 0;
    std::vector<std::string> got;
    run_records(g, base, input.data(), input.size(),
                [&](auto, auto, auto, const pipeline::verdict& v) { got.push_back(describe(v)); });
    if (got == want) {
        std::printf("ok   %-40s", name.c_str());
        for (const auto& s : got) {
            std::printf(" %s", s.c_str());
        }
        std::printf("\n");
        return true;
    }
    std::printf("FAIL %-40s want:", name.c_str());
    for (const auto& s : want) {
        std::printf(" %s", s.c_str());
    }
    std::printf("\n     %-40s got: ", "");
    for (const auto& s : got) {
        std::printf(" %s", s.c_str());
    }
    std::printf("\n");
    return false;
}

} // namespace

int main(int argc, char** argv) {
    const bool check = argc == 3 && std::strcmp(argv[1], "--check") == 0;
    if (argc != 2 && !check) {
        std::fprintf(stderr, "usage: %s DIR | --check DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[argc - 1];
    bool ok = true;
    if (check) {
        for (const auto& s : pipeline_seeds()) {
            const auto b = read_file(dir / "fuzz_pipeline" / (s.name + ".bin"));
            if (!b) {
                std::printf("FAIL %s: missing (run fuzz_gen_seeds %s)\n", s.name.c_str(),
                            dir.c_str());
                ok = false;
                continue;
            }
            ok = check_seed(s.name, *b, s.want) && ok;
        }
        return ok ? 0 : 1;
    }
    std::filesystem::create_directories(dir / "fuzz_pipeline");
    std::filesystem::create_directories(dir / "fuzz_vrrp_advert");
    for (const auto& s : pipeline_seeds()) {
        ok = check_seed(s.name, s.input, s.want) && ok;
        ok = write_file(dir / "fuzz_pipeline" / (s.name + ".bin"), s.input) && ok;
    }
    for (const auto& s : advert_seeds()) {
        ok = write_file(dir / "fuzz_vrrp_advert" / (s.name + ".bin"), s.input) && ok;
    }
    std::filesystem::create_directories(dir / "fuzz_sync_decode");
    for (const auto& s : sync_seeds()) {
        ok = write_file(dir / "fuzz_sync_decode" / (s.name + ".bin"), s.input) && ok;
    }
    return ok ? 0 : 1;
}
