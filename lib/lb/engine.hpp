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
// Flow sync (flow_sync.hpp, docs/load-balancing.md "Flow sync hooks"):
// events out through attach_sync(), records in through install_synced(),
// export_some() for a bulk resync, sync_refresh() for long-lived flows.
//
// The verdict tells the DPDK shell which way the packet goes and the next-hop
// IP (the real server forward, the client on the way back) to resolve to a
// MAC; drops carry an lb::drop_reason to count.
//
// Owned by one worker; no call allocates, locks, logs or throws.

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "lb/drop_reason.hpp"
#include "lb/flow_sync.hpp"
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
    // Flow sync refresh sweep (sync_refresh()): one pass over the flow table
    // per period, at most this many entries per call.
    milliseconds sync_refresh_period = seconds{10};
    std::uint32_t sync_refresh_budget = 4096;
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
    std::uint64_t sorry_flows = 0;     // new flow sent to the sorry server (none eligible)
    std::uint64_t conn_reused =
        0; // SYN on a finished flow or one to an unavailable server: rescheduled
};

// What install_synced() did with the records it got.
struct sync_install_stats {
    std::uint64_t flows_added = 0;   // new flow from a record
    std::uint64_t flows_updated = 0; // existing flow: state and timer from the record
    std::uint64_t flows_removed = 0; // remove record that found its flow
    std::uint64_t templates = 0;     // persist record installed
    std::array<std::uint64_t, sync_refusal_count> refused{}; // by sync_refusal ([0] unused)
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

    // Flow sync (flow_sync.hpp). attach_sync(): from now on flows created,
    // changed and removed here are written to `out` (nullptr: sync off, the
    // default), and the refresh sweep starts its first pass.
    void attach_sync(flow_event_buffer* out, time_point now) noexcept;
    // Creates or updates the flow (or persistence template) a peer's record
    // describes, against this node's `table`: the service by the record's
    // VIP:port/protocol, the real server by its endpoint within that
    // service. The flow gets the record's state and remaining timeout and
    // flow::flag_synced; nothing is emitted. An update keeps the real
    // server's counts in step (no double count); a record naming another
    // real server than the flow has replaces the flow. A remove record
    // removes the flow of that forward key and real server. Returns why a
    // record was refused (counted in sync_stats()), or none.
    sync_refusal install_synced(const flow_event& e, const service_table& table,
                                time_point now) noexcept;
    // Bulk export: walks the flow table, then the template table, from
    // `cursor`, examining at most `max_entries` entries per call and
    // pushing an add event per live flow (flag_copy on synced ones) and a
    // persist event per live template into `out`; stops before a record
    // that does not fit (resumed at the next call). A flow present for the
    // whole walk is emitted exactly once; flows created meanwhile send their
    // own add. `cursor.done` once finished.
    export_result export_some(export_cursor& cursor, std::uint32_t max_entries,
                              flow_event_buffer& out, const service_table& table,
                              time_point now) noexcept;
    // Paced refresh sweep: visits the entries due by `now` so that a pass
    // over the table takes sync_refresh_period (at most
    // sync_refresh_budget per call) and emits refresh for this node's flows
    // that saw a packet since their previous visit. Returns the entries
    // examined; nothing without a buffer attached. Call once per loop.
    std::uint32_t sync_refresh(time_point now) noexcept;
    const sync_install_stats& sync_stats() const noexcept { return sync_stats_; }

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

    sync_refusal install(const flow_event& e, const service_table& table, time_point now) noexcept;
    sync_refusal install_template(const flow_event& e, const service& svc, const real_server& rs,
                                  time_point now) noexcept;
    flow_event template_event(const persist_entry& t, const real_server& rs,
                              milliseconds remaining) const noexcept;

    engine_config cfg_;
    flow_table flows_;
    persistence_table templates_;
    scheduler_state sched_;
    engine_stats stats_;
    sync_install_stats sync_stats_;
    // Refresh sweep: next entry, entries visited in this pass, when this pass
    // and the previous one started (every entry's previous visit is after
    // prev_pass_start_, which bounds the window).
    std::uint32_t refresh_cursor_ = 0;
    std::uint32_t refresh_done_ = 0;
    time_point pass_start_{};
    time_point prev_pass_start_{};
};

} // namespace vipgate::lb
