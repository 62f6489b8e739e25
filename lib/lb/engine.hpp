#pragma once
// One worker's load balancer: its flow table, persistence templates and
// scheduler state, and the per-packet operations the pipeline calls once
// classify() (owner.hpp) has said what a packet is and the packet is on its
// owner worker.
//
//   forward(): client -> VIP:vport. Flow lookup; on a miss, schedule (with
//              persistence), create the flow; IPVS TCP state transition;
//              rewrite to client -> RS:port.
//   reply():   RS:port -> client. Reverse lookup; state transition; rewrite
//              to VIP:vport -> client.
//   icmp_error(): ICMP error quoting a packet of a flow; translated toward
//              the real server or the client.
//
// The verdict tells the DPDK shell which way the packet goes and the next-hop
// IP (the real server forward, the client on the way back) to resolve to a
// MAC; drops carry an lb::drop_reason to count.
//
// Owned by one worker; no call allocates, locks, logs or throws.

#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "lb/drop_reason.hpp"
#include "lb/flow_table.hpp"
#include "lb/memory.hpp"
#include "lb/nat.hpp"
#include "lb/persistence.hpp"
#include "lb/scheduler.hpp"
#include "lb/service_table.hpp"
#include "lb/tcp_state.hpp"
#include "lb/types.hpp"
#include "net/parse.hpp"

namespace vipgate::lb {

struct engine_config {
    std::uint32_t flow_capacity = 1u << 20;
    std::uint32_t persistence_capacity = 1u << 16; // templates
    std::uint64_t seed = 0;                        // table hash seed: random per worker
    timeouts state_timeouts{};
    table_limits limits{}; // at least those of every snapshot the engine will see
    // Create a flow from a TCP segment other than SYN (IPVS's sloppy_tcp
    // sysctl, off by default there too). On, a new master picks up
    // established connections after a failover; such a flow starts
    // ESTABLISHED (older IPVS tables did that for sNO + ACK; current ones go
    // to CLOSE). RST never creates a flow.
    bool sloppy_tcp = false;
};

struct verdict {
    drop_reason reason = drop_reason::none;
    direction dir = direction::forward;
    net::ipv4_addr next_hop; // RS address (forward) or client address (reply)
    std::uint16_t service_slot = no_slot;
    bool new_flow = false;
    std::uint16_t rs_slot = no_slot; // the flow's real server (per-RS counters)

    constexpr bool ok() const noexcept { return reason == drop_reason::none; }
    static constexpr verdict dropped(drop_reason r) noexcept { return verdict{r}; }
};

struct engine_stats {
    std::uint64_t persist_hits = 0;    // new flow sent to its template's real server
    std::uint64_t persist_resched = 0; // template's real server gone or not eligible
    std::uint64_t conn_reused =
        0; // SYN on a finished flow or one to an unavailable server: rescheduled
};

class engine {
  public:
    static result<engine> create(const engine_config& cfg,
                                 const allocator& alloc = default_allocator());

    engine(engine&&) noexcept = default;
    engine& operator=(engine&&) noexcept = default;

    verdict forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                    const service_table& table, time_point now) noexcept;
    // The same with the packet's forward-table probe already made
    // (probe_forward(), no table change since) and, when the caller has
    // looked it up, `svc` = table.find_service(meta.dst, meta.dst_port,
    // proto) (nullptr: forward() looks it up when it needs it).
    // Inline: the packet of a live flow that cannot be a connection reuse
    // (anything but a lone SYN) is the common case, done here as forward()
    // does it; anything else goes out of line.
    verdict forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                    const service_table& table, time_point now, const forward_probe& probe,
                    const service* svc) noexcept {
        if (probe.index != no_flow && is_lb_protocol(meta.ip_proto)) {
            const std::uint8_t flags = tcp_flags_of(frame, meta);
            flow& f = flows_.at(probe.index);
            if ((meta.ip_proto != net::ip_proto_tcp ||
                 (flags & (net::tcp_flag_syn | net::tcp_flag_ack | net::tcp_flag_rst)) !=
                     net::tcp_flag_syn) &&
                ttl_allows_forwarding(frame, meta) && !flows_.expired(f, now)) {
                flows_.on_packet(f, direction::forward, flags, now);
                const drop_reason r = nat_forward(frame, meta, f.rs, f.rs_port);
                if (r != drop_reason::none) {
                    return verdict::dropped(r);
                }
                return {drop_reason::none, direction::forward, f.rs, f.service_slot, false,
                        f.rs_slot};
            }
        }
        return forward_slow(frame, meta, table, now, probe, svc);
    }
    // The forward-table probe of a TCP/UDP packet (client -> VIP).
    forward_probe probe_forward(const net::packet_meta& meta) const noexcept {
        return flows_.probe_forward({meta.src, meta.dst, meta.src_port, meta.dst_port,
                                     static_cast<protocol>(meta.ip_proto)});
    }
    verdict reply(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                  time_point now) noexcept;
    // The same with the packet's reverse-table probe already made
    // (probe_reverse(), no table change since).
    verdict reply(std::span<std::uint8_t> frame, const net::packet_meta& meta, time_point now,
                  const reverse_probe& probe) noexcept {
        if (!is_lb_protocol(meta.ip_proto)) {
            return verdict::dropped(drop_reason::lb_not_tcp_udp);
        }
        if (!ttl_allows_forwarding(frame, meta)) {
            return verdict::dropped(drop_reason::lb_ttl_exceeded);
        }
        flow* f = flows_.find_reverse(probe, now);
        if (f == nullptr) {
            return verdict::dropped(drop_reason::lb_reply_no_flow);
        }
        flows_.on_packet(*f, direction::reply, tcp_flags_of(frame, meta), now);
        const drop_reason r = nat_reply(frame, meta, f->vip, f->vport);
        if (r != drop_reason::none) {
            return verdict::dropped(r);
        }
        return {drop_reason::none, direction::reply, f->client, f->service_slot, false, f->rs_slot};
    }
    // The reverse-table probe of a TCP/UDP packet (RS -> client).
    reverse_probe probe_reverse(const net::packet_meta& meta) const noexcept {
        return flows_.probe_reverse({meta.src, meta.dst, meta.src_port, meta.dst_port,
                                     static_cast<protocol>(meta.ip_proto)});
    }
    verdict icmp_error(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                       time_point now) noexcept;

    // Incremental expiry of flows and templates: at most `budget` entries of
    // each table are examined. Call once per poll loop iteration.
    expire_result expire(time_point now, std::uint32_t budget) noexcept;

    flow_table& flows() noexcept { return flows_; }
    const flow_table& flows() const noexcept { return flows_; }
    persistence_table& templates() noexcept { return templates_; }
    scheduler_state& scheduler() noexcept { return sched_; }
    const engine_stats& stats() const noexcept { return stats_; }
    const engine_config& config() const noexcept { return cfg_; }

  private:
    engine(engine_config cfg, flow_table flows, persistence_table templates,
           scheduler_state sched) noexcept;

    static std::uint8_t tcp_flags_of(std::span<const std::uint8_t> frame,
                                     const net::packet_meta& meta) noexcept {
        return meta.ip_proto == net::ip_proto_tcp
                   ? frame[std::size_t{meta.l4_offset} + net::tcp_cview::off_flags]
                   : std::uint8_t{0};
    }
    // forward() with the probe, whole.
    verdict forward_slow(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                         const service_table& table, time_point now, const forward_probe& probe,
                         const service* svc) noexcept;

    // Picks the real server for a new flow, through the persistence template
    // when the service has one. Returns nullptr when none is eligible.
    const real_server* pick(const service_table& table, const service& svc, net::ipv4_addr client,
                            std::uint16_t client_port, time_point now,
                            std::uint32_t& tmpl) noexcept;

    engine_config cfg_;
    flow_table flows_;
    persistence_table templates_;
    scheduler_state sched_;
    engine_stats stats_;
};

} // namespace vipgate::lb
