#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/config.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::pipeline {

neighbour_map::neighbour_map(std::span<const next_hop> entries) {
    std::size_t cap = 16;
    while (cap < entries.size() * 2) {
        cap <<= 1;
    }
    slots_.assign(cap, next_hop{});
    mask_ = static_cast<std::uint32_t>(cap - 1);
    for (const auto& e : entries) {
        if (e.ip.value == 0) {
            continue;
        }
        std::uint32_t i = (e.ip.value * 2654435761u) & mask_;
        while (slots_[i].ip.value != 0 && slots_[i].ip != e.ip) {
            i = (i + 1) & mask_;
        }
        if (slots_[i].ip.value == 0) {
            ++count_;
        }
        slots_[i] = e;
    }
}

namespace {

using net::ipv4_addr;
using net::mac_addr;

// The entry that answers for `a` on this port, or nullptr.
const owned_address* find_owned(const port_view& port, ipv4_addr a) noexcept {
    // A handful of addresses per port: a linear scan beats any hashing here.
    for (const owned_address& o : port.owned) {
        if (o.addr == a) {
            return &o;
        }
    }
    return nullptr;
}

bool owns(const port_view& port, ipv4_addr a) noexcept {
    return find_owned(port, a) != nullptr;
}

// L2 destinations this port takes besides group addresses: its own MAC and
// the virtual MACs of its MASTER use_vmac instances (RFC 5798 §7.3: the
// virtual router's traffic is addressed to 00:00:5e:00:01:VRID).
bool accepts_unicast_mac(const port_view& port, const mac_addr& dst) noexcept {
    if (dst == port.mac) {
        return true;
    }
    for (const mac_addr& v : port.virtual_macs) {
        if (v == dst) {
            return true;
        }
    }
    return false;
}

// Sources a host must never answer (RFC 1122 §3.2.1.3 and §3.2.2.6): "this
// network" 0/8, loopback 127/8, multicast 224/4, class E 240/4 and the
// limited broadcast. Answering them would reflect traffic to places that
// never sent it.
bool is_martian_source(ipv4_addr a) noexcept {
    const std::uint32_t first = a.value >> 24;
    return first == 0 || first == 127 || first >= 224;
}

verdict handle_arp(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                   const port_view& port) noexcept {
    // parse() checked that 28 bytes of Ethernet/IPv4 ARP follow l3_offset.
    const net::arp_view arp(frame.subspan(meta.l3_offset, net::arp_len));
    const mac_addr sha = arp.sha();
    const ipv4_addr spa = meta.src;
    const ipv4_addr tpa = meta.dst;
    // A reply would go to a group address, and learning it would poison the
    // neighbour table. spa = 0 is an RFC 5227 probe and stays valid.
    if (sha.is_zero() || sha.is_multicast() || spa.value >= 0xe0000000u) {
        return verdict::dropped(drop_reason::arp_bad_sender);
    }
    // Replies, and gratuitous requests (spa == tpa, RFC 5227 §2.3
    // announcement / keepalived's GARP), feed the neighbour table. A GARP for
    // an address we own from another MAC is a conflict the control core logs,
    // so it is punted too, never answered here.
    if (meta.arp_op == net::arp_op_reply || (spa == tpa && spa.value != 0)) {
        return verdict::punted(punt_kind::arp);
    }
    const owned_address* target = find_owned(port, tpa);
    if (target == nullptr) {
        return verdict::dropped(drop_reason::arp_not_owned);
    }
    // RFC 826 "Packet Reception": swap hardware and protocol fields, put the
    // local hardware address in the sender field, set op to reply and send it
    // back to the requester (ar$sha). Probes (spa = 0) get the reply too, as
    // Linux does, which is how the prober learns the address is taken.
    // The local hardware address is the one that answers for tpa: the VMAC
    // for a use_vmac VIP (RFC 5798 §7.3), used as Ethernet source too so
    // that switches learn it on this port.
    arp.set_tha(sha);
    arp.set_tpa(spa);
    arp.set_sha(target->mac);
    arp.set_spa(tpa);
    arp.set_op(net::arp_op_reply);
    const net::eth_view eth(frame);
    eth.set_dst(sha);
    eth.set_src(target->mac);
    // RFC 826: "if we are the target, merge the sender into the table": the
    // worker passes the requester to the neighbour table, so a client that
    // asked for a VIP can be answered without an ARP of ours.
    verdict v = verdict::replied(); // VLAN tag and padding untouched
    v.learn = spa.value != 0;
    v.sender.ip = spa.value;
    v.sender.set_hw(sha);
    return v;
}

// `local` is the owned entry the echo request was addressed to.
verdict handle_icmp(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                    const owned_address& local) noexcept {
    const auto icmp_bytes = frame.subspan(meta.l4_offset, meta.l4_len);
    // RFC 792: the checksum covers the whole ICMP message.
    if (!net::checksum_ok(icmp_bytes)) {
        return verdict::dropped(drop_reason::icmp_bad_checksum);
    }
    const net::icmp_view icmp(icmp_bytes);
    if (icmp.type() != net::icmp_type_echo_request) {
        return verdict::dropped(drop_reason::icmp_not_echo_request);
    }
    const std::size_t ip_hlen = std::size_t{meta.l4_offset} - meta.l3_offset;
    // RFC 1122 §3.2.2.6 wants Record Route / Timestamp updated and source
    // routes reversed in the reply; an in-place rewrite cannot do that, and
    // reflecting them unchanged would be wrong, so such pings are dropped.
    if (ip_hlen != net::ipv4_min_header_len) {
        return verdict::dropped(drop_reason::icmp_ip_options);
    }

    const net::eth_view eth(frame);
    eth.set_dst(eth.src());
    eth.set_src(local.mac); // the VMAC when the VIP belongs to a use_vmac instance

    const auto ip_bytes = frame.subspan(meta.l3_offset, ip_hlen);
    const net::ipv4_view ip(ip_bytes);
    ip.set_src(meta.dst);
    ip.set_dst(meta.src);
    ip.set_ttl(net::ipv4_default_ttl);
    // Recomputing 20 bytes is as cheap as patching TTL and both addresses.
    ip.set_checksum(net::ipv4_header_checksum(ip_bytes));

    // Echo reply: type 0, code 0 (RFC 792); data, id and sequence unchanged,
    // so only the type/code word changes: RFC 1624 incremental update.
    const auto old_word = static_cast<std::uint16_t>((icmp.type() << 8) | icmp.code());
    icmp.set_type(net::icmp_type_echo_reply);
    icmp.set_code(0);
    icmp.set_checksum(net::checksum_update16(icmp.checksum(), old_word, 0));
    return verdict::replied();
}

const vrrp_view* find_vrrp(const port_view& port, std::uint8_t vrid) noexcept {
    // Sorted by VRID (pipeline.hpp); at most 255 entries, no allocation.
    const auto it =
        std::lower_bound(port.vrrp.begin(), port.vrrp.end(), vrid,
                         [](const vrrp_view& v, std::uint8_t id) noexcept { return v.vrid < id; });
    if (it == port.vrrp.end() || it->vrid != vrid || it->cfg == nullptr) {
        return nullptr;
    }
    return &*it;
}

// The control core shows the source of the last rejected advert per
// instance (`show vrrp`), so the verdict carries it.
verdict vrrp_rejected(vrrp::reject_reason r, std::uint8_t slot,
                      const net::packet_meta& meta) noexcept {
    verdict v = verdict::vrrp_rejected(static_cast<std::uint8_t>(r), slot);
    v.sender.ip = meta.src.value;
    return v;
}

// A VRRP advertisement (IP protocol 112) that passed the IPv4 checks: the
// receive checks of RFC 5798 §7.1 / RFC 3768 §7.1 in keepalived's order
// (vrrp.c vrrp_check_packet()), so that what vipgate punts to the state
// machine is what keepalived would act on.
verdict handle_vrrp(std::span<const std::uint8_t> frame, const net::packet_meta& meta,
                    const port_view& port) noexcept {
    if (port.vrrp.empty()) {
        return verdict::dropped(drop_reason::vrrp_no_instance);
    }
    // The VRRP message is the IP payload only: l4_len comes from the IPv4
    // total length, so Ethernet padding of short frames is not part of it
    // (keepalived requires the exact length, vrrp.c:839, 970).
    const auto msg = frame.subspan(meta.l4_offset, meta.l4_len);
    // Without a whole header the VRID byte is not trusted to name an
    // instance: counted in the no-instance row.
    if (msg.size() < vrrp::header_size) {
        return vrrp_rejected(vrrp::reject_reason::too_short, no_vrrp_slot, meta);
    }
    const vrrp_view* inst = find_vrrp(port, msg[1]); // RFC 5798 §5.2.3: VRID is byte 1
    if (inst == nullptr) {
        return vrrp_rejected(vrrp::reject_reason::unknown_vrid, no_vrrp_slot, meta);
    }
    const vrrp::instance_config& cfg = *inst->cfg;
    const net::ipv4_cview ip(frame.subspan(meta.l3_offset));
    // RFC 5798 §5.1.1.3 / RFC 3768 §7.1: TTL MUST be 255 (a sender off-link
    // cannot forge it). keepalived checks it only for multicast instances
    // (vrrp.c:848-860): a unicast peer may be routed. We follow keepalived,
    // so that a pair that works with keepalived works with vipgate.
    const vrrp::decode_options opts{
        .expected_version = cfg.version,
        .ip_ttl = ip.ttl(),
        .check_ttl = cfg.unicast_peers.empty(),
    };
    vrrp::advert adv; // fixed-size address list: on the stack, no allocation
    if (const auto d = vrrp::decode(msg, meta.src, meta.dst, opts, adv); !d.ok()) {
        return vrrp_rejected(d.reason, inst->slot, meta);
    }
    if (const auto r = vrrp::check_advert(adv, cfg, meta.src, meta.dst);
        r != vrrp::reject_reason::none) {
        return vrrp_rejected(r, inst->slot, meta);
    }
    return verdict::punted(punt_kind::vrrp, inst->slot);
}

// Flow-state sync (docs/ha.md): UDP to the sync endpoint, arriving on the
// sync port. Everything about the message itself (magic, sync id, peer,
// HMAC) is checked by the control core; here only where it came from.
bool is_sync(const net::packet_meta& meta, const sync_endpoint& se) noexcept {
    return meta.ip_proto == net::ip_proto_udp && meta.dst_port == se.udp_port &&
           (meta.dst == se.address || (meta.dst == se.group && se.group.value != 0));
}

verdict handle_ipv4(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                    const port_view& port, const sync_endpoint* sync) noexcept {
    if (sync != nullptr && is_sync(meta, *sync)) {
        // A source we own is our own message looped back (or a conflict).
        if (is_martian_source(meta.src) || owns(port, meta.src)) {
            return verdict::dropped(drop_reason::ipv4_bad_src);
        }
        return verdict::punted(punt_kind::sync);
    }
    if (meta.ip_proto == net::ip_proto_vrrp) {
        // VRRP goes to 224.0.0.18 (RFC 5798 §5.1.1.2), which no port owns,
        // or to a unicast peer: here the port's primary address, the
        // address keepalived's peers are configured with (unicast_peer).
        if (meta.dst != vrrp::multicast_group && meta.dst != port.address) {
            return verdict::dropped(drop_reason::ipv4_not_owned);
        }
        // A source we own is our own advert looped back (or an address
        // conflict): never a peer. Same rule and reason as for any IPv4.
        if (is_martian_source(meta.src) || owns(port, meta.src)) {
            return verdict::dropped(drop_reason::ipv4_bad_src);
        }
        return handle_vrrp(frame, meta, port);
    }
    const owned_address* local = find_owned(port, meta.dst);
    if (local == nullptr) {
        return verdict::dropped(drop_reason::ipv4_not_owned);
    }
    if (is_martian_source(meta.src) || owns(port, meta.src)) {
        return verdict::dropped(drop_reason::ipv4_bad_src);
    }
    switch (meta.ip_proto) {
    case net::ip_proto_icmp:
        return handle_icmp(frame, meta, *local);
    case net::ip_proto_tcp:
        // Answers to the control core's health-check SYNs (to the port's
        // own address, from the probe source-port range).
        if (meta.dst == port.address && meta.dst_port >= probe_port_first &&
            meta.dst_port <= probe_port_last) {
            return verdict::punted(punt_kind::probe);
        }
        return verdict::dropped(drop_reason::no_service);
    case net::ip_proto_udp:
        return verdict::dropped(drop_reason::no_service);
    default:
        return verdict::dropped(drop_reason::ipv4_other_protocol);
    }
}

// The layer-2 next hop toward `ip` (the address itself when on-link, else
// a port's gateway) and the port to use. False: no route.
[[gnu::always_inline]] inline bool route(const context& ctx, ipv4_addr ip, ipv4_addr& via,
                                         std::uint16_t& out) noexcept {
    for (std::size_t i = 0; i < ctx.ports.size(); ++i) {
        const port_view& p = ctx.ports[i];
        const net::ipv4_prefix subnet{p.address, p.prefix_len};
        if (subnet.contains(ip)) {
            via = ip;
            out = static_cast<std::uint16_t>(i);
            return true;
        }
    }
    for (std::size_t i = 0; i < ctx.ports.size(); ++i) {
        if (ctx.ports[i].gateway.value != 0) {
            via = ctx.ports[i].gateway;
            out = static_cast<std::uint16_t>(i);
            return true;
        }
    }
    return false;
}

// A TCP/UDP packet's own tuple.
lb::flow_key key_of(const net::packet_meta& meta) noexcept {
    return {meta.src, meta.dst, meta.src_port, meta.dst_port,
            static_cast<lb::protocol>(meta.ip_proto)};
}

// A TCP/UDP packet not to a VIP: the reverse-table probe, and the reply
// classification its flow gives (kind none: classify() decides). Out of
// line: it keeps the forward path's registers free.
[[gnu::noinline]] lb::classification reply_by_flow(const lb::service_table& table,
                                                   const lb::engine& engine,
                                                   const net::packet_meta& meta,
                                                   const lookahead* la,
                                                   lb::reverse_probe& probe) noexcept {
    probe = la != nullptr && la->table == lookahead::reverse
                ? engine.flows().probe_reverse_in(la->bucket, key_of(meta))
                : engine.probe_reverse(meta);
    if (probe.index == lb::no_flow) {
        return {};
    }
    const auto proto = static_cast<lb::protocol>(meta.ip_proto);
    const lb::real_server* r = table.real_server_by_slot(engine.flows().at(probe.index).rs_slot);
    if (r == nullptr || r->address != meta.src || r->port != meta.src_port ||
        table.service_of(*r).proto != proto) {
        return {};
    }
    return {lb::packet_kind::reply, &table.reply_service(*r), meta.dst, meta.dst_port, proto};
}

// NAT load balancing (lib/lb): virtual-service traffic, replies from real
// servers and ICMP errors quoting either. `handled` false: not load-balancer
// traffic, the caller goes on with the host rules.
template <bool Ahead>
verdict handle_lb(std::span<std::uint8_t> frame, const net::packet_meta& meta, const context& ctx,
                  worker_state& ws, const lookahead* la, bool& handled) noexcept {
    handled = false;
    if (meta.ip_proto != net::ip_proto_tcp && meta.ip_proto != net::ip_proto_udp &&
        meta.ip_proto != net::ip_proto_icmp) {
        return verdict::dropped(drop_reason::none);
    }
    // Traffic to a port's own address is the host's (health-check answers
    // come from a real server's service port but belong to no flow).
    if (ctx.may_be_ours(meta.dst)) {
        for (const port_view& p : ctx.ports) {
            if (meta.dst == p.address) {
                return verdict::dropped(drop_reason::none);
            }
        }
    }
    const lb::service_table& table = *ctx.services;
    // Established fast path: TCP/UDP to what may be a VIP looks up the flow
    // first (the probe is reused by engine::forward()). A flow names its
    // service by slot; when the service in that slot is still the one at
    // dst:dport/proto it is the one classify() would find (services are
    // unique by VIP:port:proto), so the service lookup is skipped.
    lb::classification c;
    lb::forward_probe probe;
    bool probed = false;
    if (lb::is_lb_protocol(meta.ip_proto) && table.may_be_vip(meta.dst)) {
        probe = Ahead && la->table == lookahead::forward
                    ? ws.engine->flows().probe_forward_in(la->bucket, key_of(meta))
                    : ws.engine->probe_forward(meta);
        probed = true;
        if (probe.index != lb::no_flow) {
            const auto proto = static_cast<lb::protocol>(meta.ip_proto);
            const lb::service* s =
                table.service_by_slot(ws.engine->flows().at(probe.index).service_slot);
            if (s != nullptr && s->vip == meta.dst && s->port == meta.dst_port &&
                s->proto == proto) {
                c = {lb::packet_kind::forward, s, meta.src, meta.src_port, proto};
            }
        }
    }
    // Likewise toward a client: not to a VIP, so classify() would only look
    // for a reply. A flow names its real server by slot; when that slot
    // still holds the packet's source endpoint, classify() would find that
    // endpoint, and its first real server's service (reply_service()).
    lb::reverse_probe rprobe;
    bool rprobed = false;
    if (!probed && lb::is_lb_protocol(meta.ip_proto)) {
        rprobed = true;
        c = reply_by_flow(table, *ws.engine, meta, Ahead ? la : nullptr, rprobe);
    }
    if (c.kind == lb::packet_kind::none) {
        c = lb::classify(table, frame, meta);
    }
    if (c.kind == lb::packet_kind::none) {
        return verdict::dropped(drop_reason::none);
    }
    handled = true;
    // Never forward for a source no host may use (RFC 1812 5.3.7), nor one
    // of our own addresses (a spoofed VIP or port address).
    if (is_martian_source(meta.src)) {
        return verdict::dropped(drop_reason::ipv4_bad_src);
    }
    if (ctx.may_be_ours(meta.src)) {
        for (const port_view& p : ctx.ports) {
            if (owns(p, meta.src)) {
                return verdict::dropped(drop_reason::ipv4_bad_src);
            }
        }
    }
    // Only the holder of the VIP (VRRP MASTER) forwards its services.
    if (c.svc->index >= ctx.service_active.size() || ctx.service_active[c.svc->index] == 0) {
        return verdict::dropped(drop_reason::lb_backup);
    }
    // Both directions of a flow on one worker: the owner is a function of
    // the client endpoint (docs/architecture.md).
    if (!ws.handed_off && ws.workers > 1) {
        const unsigned owner = lb::owner_worker(c, ws.workers);
        if (owner != ws.worker) {
            return verdict::handed_to(owner);
        }
    }
    lb::verdict lv;
    switch (c.kind) {
    case lb::packet_kind::forward:
        // classify() found a service at dst: may_be_vip(dst) held, so the
        // flow table was probed above, with no change since.
        lv = probed ? ws.engine->forward(frame, meta, table, ws.now, probe, c.svc)
                    : ws.engine->forward(frame, meta, table, ws.now);
        break;
    case lb::packet_kind::reply:
        lv = rprobed ? ws.engine->reply(frame, meta, ws.now, rprobe)
                     : ws.engine->reply(frame, meta, ws.now);
        break;
    default:
        lv = ws.engine->icmp_error(frame, meta, ws.now);
        break;
    }
    if (!lv.ok()) {
        return verdict::dropped(from_lb(lv.reason));
    }
    // Toward a real server: the snapshot's precomputed rewrite for its slot,
    // when that slot still holds this server's address.
    if (lv.dir == lb::direction::forward && lv.rs_slot < ctx.rs_hops.size()) {
        const rs_hop& h = ctx.rs_hops[lv.rs_slot];
        if (h.usable && h.rs == lv.next_hop) {
            net::store_mac(frame.data() + net::eth_cview::off_dst, h.dst);
            net::store_mac(frame.data() + net::eth_cview::off_src, h.src);
            verdict fv = verdict::forwarded(h.out_port, lv.rs_slot);
            fv.new_flow = lv.new_flow;
            return fv;
        }
    }
    ipv4_addr via;
    std::uint16_t out = 0;
    if (!route(ctx, lv.next_hop, via, out)) {
        return verdict::dropped(drop_reason::no_route);
    }
    const next_hop* nh = ctx.neighbours != nullptr ? ctx.neighbours->find(via) : nullptr;
    if (nh == nullptr) {
        verdict v = verdict::dropped(drop_reason::no_neighbour);
        v.resolve = via;
        v.out_port = out;
        return v;
    }
    // Toward a client the frame comes from the VIP's MAC (the VMAC with
    // use_vmac); toward a real server from the port's MAC.
    const port_view& op = ctx.ports[out];
    mac_addr src = op.mac;
    if (lv.dir == lb::direction::reply) {
        const net::ipv4_cview ip(std::span<const std::uint8_t>(frame).subspan(meta.l3_offset, 20));
        if (const owned_address* o = find_owned(op, ip.src())) {
            src = o->mac;
        }
    }
    const net::eth_view eth(frame);
    eth.set_dst(nh->mac);
    eth.set_src(src);
    verdict fv = verdict::forwarded(out, lv.rs_slot);
    fv.new_flow = lv.new_flow;
    return fv;
}

} // namespace

std::uint64_t build_own_filter(const context& ctx) noexcept {
    std::uint64_t f = 0;
    for (const port_view& p : ctx.ports) {
        f |= std::uint64_t{1} << own_filter_bit(p.address);
        for (const owned_address& o : p.owned) {
            f |= std::uint64_t{1} << own_filter_bit(o.addr);
        }
    }
    return f;
}

std::vector<rs_hop> build_rs_hops(const context& ctx) {
    std::vector<rs_hop> hops;
    if (ctx.services == nullptr) {
        return hops;
    }
    for (const lb::real_server& r : ctx.services->all_real_servers()) {
        if (r.slot == lb::no_slot) {
            continue;
        }
        if (r.slot >= hops.size()) {
            hops.resize(std::size_t{r.slot} + 1);
        }
        rs_hop& h = hops[r.slot];
        h.rs = r.address;
        // What handle_lb() does for a packet toward r (direction forward).
        ipv4_addr via;
        std::uint16_t out = 0;
        if (!route(ctx, r.address, via, out)) {
            continue;
        }
        const next_hop* nh = ctx.neighbours != nullptr ? ctx.neighbours->find(via) : nullptr;
        if (nh == nullptr) {
            continue;
        }
        h.usable = true;
        h.out_port = out;
        h.dst = nh->mac;
        h.src = ctx.ports[out].mac;
    }
    return hops;
}

verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx) noexcept {
    worker_state none;
    return process(frame, port, ctx, none);
}

namespace {

// Ahead: `la` is a lookahead of this frame (else nullptr); a template, so
// that the plain process() pays nothing for the staged one.
template <bool Ahead>
verdict process_frame(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx,
                      worker_state& ws, const lookahead* la) noexcept {
    if (port >= ctx.ports.size()) {
        return verdict::dropped(drop_reason::port_unknown);
    }
    const port_view& pv = ctx.ports[port];

    net::packet_meta meta;
    // The common TCP/UDP frame in one pass; anything else (or anything
    // wrong) through parse_l2/parse_l3, which name the drop reason.
    bool parsed;
    if (Ahead && la->parsed) {
        meta = la->meta;
        parsed = true;
    } else {
        parsed = net::parse_fast(frame, meta);
    }
    if (!parsed) {
        if (const auto r = net::parse_l2(frame, meta); r != drop_reason::none) {
            return verdict::dropped(r);
        }
    }
    // L2 filter before any L3 work: a NIC in promiscuous mode (af_packet,
    // some VMs) hands us unicast for other hosts. Broadcast has the group bit.
    // (Raw bytes: the port's own MAC is compared in place, the common case.)
    const std::uint8_t* l2 = frame.data();
    if ((l2[net::eth_cview::off_dst] & 1u) == 0 &&
        std::memcmp(l2 + net::eth_cview::off_dst, pv.mac.bytes.data(), net::eth_addr_len) != 0 &&
        !accepts_unicast_mac(pv, net::load_mac(l2 + net::eth_cview::off_dst))) {
        return verdict::dropped(drop_reason::eth_dst_not_ours);
    }
    // IEEE 802: a group address is never a valid source.
    if ((l2[net::eth_cview::off_src] & 1u) != 0) {
        return verdict::dropped(drop_reason::eth_src_multicast);
    }
    if (!parsed) {
        if (const auto r = net::parse_l3(frame, meta); r != drop_reason::none) {
            return verdict::dropped(r);
        }
    }
    switch (meta.ethertype) {
    case net::ethertype_arp:
        return handle_arp(frame, meta, pv);
    case net::ethertype_ipv4:
        if (ctx.services != nullptr && ws.engine != nullptr) {
            bool handled = false;
            verdict v = handle_lb<Ahead>(frame, meta, ctx, ws, la, handled);
            if (handled) {
                return v;
            }
        }
        // Sync is looked for on the sync port only (udp_port 0: sync off).
        return handle_ipv4(frame, meta, pv,
                           ctx.sync.udp_port != 0 && ctx.sync.port == port ? &ctx.sync : nullptr);
    default:
        return verdict::dropped(drop_reason::eth_unknown_ethertype);
    }
}

} // namespace

verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx,
                worker_state& ws) noexcept {
    return process_frame<false>(frame, port, ctx, ws, nullptr);
}

verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx,
                worker_state& ws, const lookahead& la) noexcept {
    return process_frame<true>(frame, port, ctx, ws, &la);
}

void look_ahead(std::span<const std::uint8_t> frame, const context& ctx, const worker_state& ws,
                lookahead& la) noexcept {
    la.table = lookahead::none;
    la.parsed = net::parse_fast(frame, la.meta);
    if (!la.parsed || ctx.services == nullptr || ws.engine == nullptr) {
        return;
    }
    // The probe handle_lb() will make: forward when dst may be a VIP, else
    // reverse (parse_fast() only accepts TCP and UDP).
    const lb::flow_table& flows = ws.engine->flows();
    const lb::flow_key k = key_of(la.meta);
    if (ctx.services->may_be_vip(la.meta.dst)) {
        la.table = lookahead::forward;
        la.bucket = flows.forward_bucket(k);
    } else {
        la.table = lookahead::reverse;
        la.bucket = flows.reverse_bucket(k);
    }
    flows.prefetch_head(la.bucket);
}

void prefetch_flow(const worker_state& ws, const lookahead& la) noexcept {
    if (la.table != lookahead::none) {
        ws.engine->flows().prefetch_first(la.bucket);
    }
}

} // namespace vipgate::pipeline
