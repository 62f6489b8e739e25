#pragma once
// The per-worker NAT flow table.
//
// One instance per worker core, written and read by that worker only (the
// control core may read it only while the worker is stopped). Memory comes
// from the caller's allocator at create(); insert, lookup and expiry never
// allocate.
//
// Layout: one array of 36-byte flow entries and one array of 32-bit bucket
// heads. A packet of either direction finds the same entry by one of its
// two keys:
//   forward key (proto, client ip, client port, VIP, vport)   <- client -> VIP
//   reverse key (proto, RS ip, RS port, client ip, client port) <- RS -> client
// Both keys hold the client endpoint (proto, client ip, client port), and
// the bucket is a seeded hash of that endpoint alone, so an entry is in one
// bucket for both directions: one singly linked chain (32-bit `next`
// indices), one head to read on a lookup, one chain to unlink on removal
// and to link on insertion. Entries on a chain share the client endpoint
// only by a hash collision or when one client endpoint talks to several
// virtual services; the latter is bounded by the number of services, so a
// remote host cannot lengthen a chain at will (it does not know the seed).
// The bucket count is twice the largest power of two <= capacity (load
// factor 0.5..1 when full: most hits are the first entry of their chain,
// the one a burst prefetches), so a flow costs at most sizeof(flow) + 2 x 4
// = 44 bytes (bytes_per_flow()); exactly that when the capacity is a power
// of two.
//
// Expiry: every entry carries its deadline. A lookup that meets an expired
// entry reports a miss, so timeouts are exact whatever the sweep does;
// expire(now, budget) is a clock sweep that examines at most `budget`
// entries per call and reclaims the expired ones, so no sweep ever stalls a
// worker. A new flow whose forward key is on an expired entry takes that
// entry over in place (same bucket: nothing to unlink or link). Deadlines
// are 32-bit millisecond ticks compared modulo 2^32: call expire() often
// enough that a full pass takes less than 2^31 ms - the longest timeout
// (days, in practice: milliseconds).

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "lb/flow_sync.hpp"
#include "lb/hash.hpp"
#include "lb/memory.hpp"
#include "lb/tcp_state.hpp"
#include "lb/types.hpp"

namespace vipgate::lb {

inline constexpr std::uint32_t no_flow = 0xffffffffu;

// One NAT flow. 36 bytes.
struct flow {
    static constexpr std::uint8_t state_mask = 0x0f;
    static constexpr std::uint8_t flag_inactive = 0x10; // counted in rs_counts::inactive
    // Installed from a peer's sync record and not forwarded here since: its
    // removal emits nothing (the peer owns it) and its first packet here
    // makes it this node's (an add event). Set, it also keeps the flow off
    // on_packet()'s inline path, which compares the whole byte.
    static constexpr std::uint8_t flag_synced = 0x20;
    static constexpr std::uint8_t flag_used = 0x80;

    net::ipv4_addr client;
    net::ipv4_addr vip;
    net::ipv4_addr rs;
    std::uint16_t client_port = 0;
    std::uint16_t vport = 0;
    std::uint16_t rs_port = 0;
    protocol proto = protocol::tcp;
    std::uint8_t bits = 0;          // flow_state | flags
    std::uint16_t service_slot = 0; // service_table slots (stable across snapshots)
    std::uint16_t rs_slot = 0;
    std::uint32_t expires = 0;       // deadline, ms tick modulo 2^32
    std::uint32_t next = no_flow;    // bucket chain (free list when unused)
    std::uint32_t persist = no_flow; // persistence template (persistence_table index)

    flow_state state() const noexcept { return static_cast<flow_state>(bits & state_mask); }
    bool in_use() const noexcept { return (bits & flag_used) != 0; }
    bool inactive() const noexcept { return (bits & flag_inactive) != 0; }
    bool synced() const noexcept { return (bits & flag_synced) != 0; }
};
static_assert(sizeof(flow) == 36, "flow entry layout changed: update docs/load-balancing.md");

// What a new flow is made of.
struct flow_spec {
    net::ipv4_addr client;
    std::uint16_t client_port = 0;
    net::ipv4_addr vip;
    std::uint16_t vport = 0;
    net::ipv4_addr rs;
    std::uint16_t rs_port = 0;
    protocol proto = protocol::tcp;
    flow_state state = flow_state::none; // initial state: its timeout starts now
    std::uint16_t service_slot = 0;
    std::uint16_t rs_slot = 0;
    std::uint32_t persist = no_flow;
};

enum class insert_status : std::uint8_t {
    ok,
    full,           // no free entry (and none expired nearby): refuse the flow
    exists,         // a live flow has this forward key; `f` points to it
    reverse_in_use, // a live flow has this reverse key: the RS could not tell them apart
};

struct insert_result {
    flow* f = nullptr;
    insert_status status = insert_status::full;
};

// Where a packet's forward key is in the table: its bucket and the entry
// with that key (no_flow: none), live or expired. Computed once per packet
// (flow_table::probe_forward) and used for the lookup and the insertion of
// a new flow (which takes an expired entry over in place), so the key is
// hashed once.
struct forward_probe {
    std::uint32_t bucket = 0;
    std::uint32_t index = no_flow;
};

// The same for a packet's reverse key (RS -> client).
struct reverse_probe {
    std::uint32_t bucket = 0;
    std::uint32_t index = no_flow;
};

struct expire_result {
    std::uint32_t examined = 0;
    std::uint32_t removed = 0;
};

struct flow_table_stats {
    std::uint64_t inserted = 0;
    std::uint64_t expired = 0;     // removed or taken over on timeout (sweep, lookup, insert)
    std::uint64_t taken_over = 0;  // expired entries a new flow of the same forward key reused
    std::uint64_t erased = 0;      // removed by erase()
    std::uint64_t insert_full = 0; // insert() refused: table full
};

struct flow_table_config {
    std::uint32_t capacity = 1u << 20; // flows; 1 .. 2^32 - 2
    // Seed of the bucket hash: give each worker a random one (IPVS seeds its
    // connection hash with ip_vs_conn_rnd so remote hosts cannot aim at one
    // chain).
    std::uint64_t seed = 0;
    timeouts state_timeouts{};
};

class flow_table {
  public:
    // Called for every flow just before its entry is freed or taken over,
    // whatever the reason (expiry, erase). The flow is still intact.
    using release_fn = void (*)(void* ctx, const flow& f) noexcept;

    // Bytes of table memory per flow slot at most: the entry plus two bucket
    // heads.
    static constexpr std::size_t bytes_per_flow() noexcept {
        return sizeof(flow) + 2 * sizeof(std::uint32_t);
    }

    static result<flow_table> create(const flow_table_config& cfg,
                                     const allocator& alloc = default_allocator());

    flow_table(flow_table&&) noexcept = default;
    flow_table& operator=(flow_table&&) noexcept = default;

    // Lookups take the packet's own tuple. A hit on an expired flow removes
    // it and returns nullptr.
    flow* find_forward(const flow_key& client_to_vip, time_point now) noexcept;
    flow* find_reverse(const flow_key& rs_to_client, time_point now) noexcept;

    // The lookup in two steps: probe_forward() changes nothing;
    // find_forward(probe) is find_forward(key) for the probed key, except
    // that it leaves an expired entry where it is (insert_after_miss() takes
    // it over). No other table change may come between the two.
    forward_probe probe_forward(const flow_key& client_to_vip) const noexcept {
        return probe_forward_in(forward_bucket(client_to_vip), client_to_vip);
    }
    reverse_probe probe_reverse(const flow_key& rs_to_client) const noexcept {
        return probe_reverse_in(reverse_bucket(rs_to_client), rs_to_client);
    }
    flow* find_reverse(const reverse_probe& probe, time_point now) noexcept {
        if (probe.index == no_flow) {
            return nullptr;
        }
        if (expired(flows_[probe.index], now)) {
            ++stats_.expired;
            remove_in(probe.index, probe.bucket);
            return nullptr;
        }
        return &flows_[probe.index];
    }
    // The same probes with the bucket computed ahead (forward_bucket() /
    // reverse_bucket() of the same key: both are the bucket of the key's
    // client endpoint), and prefetch hints for a burst: the bucket head,
    // then the first entry of its chain. None of these changes the table.
    std::uint32_t forward_bucket(const flow_key& k) const noexcept {
        return bucket_of(k.src, k.src_port, k.proto);
    }
    std::uint32_t reverse_bucket(const flow_key& k) const noexcept {
        return bucket_of(k.dst, k.dst_port, k.proto);
    }
    forward_probe probe_forward_in(std::uint32_t bucket, const flow_key& k) const noexcept {
        return {bucket, find_fwd_in(bucket, k.src, k.src_port, k.dst, k.dst_port, k.proto)};
    }
    reverse_probe probe_reverse_in(std::uint32_t bucket, const flow_key& k) const noexcept {
        return {bucket, find_rev_in(bucket, k.src, k.src_port, k.dst, k.dst_port, k.proto)};
    }
    void prefetch_head(std::uint32_t bucket) const noexcept { __builtin_prefetch(&heads_[bucket]); }
    void prefetch_first(std::uint32_t bucket) const noexcept {
        const std::uint32_t i = heads_[bucket];
        if (i != no_flow) {
            // 36-byte entries: the first and the last byte may be on two lines.
            __builtin_prefetch(&flows_[i]);
            __builtin_prefetch(reinterpret_cast<const char*>(&flows_[i]) + sizeof(flow) - 1);
        }
    }
    flow* find_forward(const forward_probe& probe, time_point now) noexcept {
        if (probe.index == no_flow || expired(flows_[probe.index], now)) {
            return nullptr;
        }
        return &flows_[probe.index];
    }

    // Adds a flow in spec.state with that state's timeout. Expired flows with
    // the same keys are removed first. When no entry is free, examines up to
    // reclaim_budget entries for an expired one before giving up.
    insert_result insert(const flow_spec& spec, time_point now) noexcept;
    static constexpr std::uint32_t reclaim_budget = 16;
    // insert() after find_forward(probe) found no live flow: no live entry
    // has the spec's forward key, which is in probe.bucket; an expired one
    // (probe.index) is released and its entry reused in place. A caller that
    // erased the probed entry since passes index no_flow.
    insert_result insert_after_miss(const flow_spec& spec, const forward_probe& probe,
                                    time_point now) noexcept;

    // One packet of `f` in `dir`: for TCP the IPVS state transition on its
    // flags (tcp_state.hpp), for UDP nothing; then the flow's timer restarts
    // with its (new) state's timeout. Keeps rs_counts in step.
    void on_packet(flow& f, direction dir, std::uint8_t tcp_flags, time_point now) noexcept {
        // The common case, inline: a plain ACK (no SYN, FIN or RST) on an
        // ESTABLISHED TCP flow stays ESTABLISHED in both directions of
        // IPVS's table, and a UDP flow stays UDP; neither changes its
        // active/inactive count, so only the timer restarts.
        constexpr std::uint8_t tcp_est =
            flow::flag_used | static_cast<std::uint8_t>(flow_state::established);
        constexpr std::uint8_t udp_live =
            flow::flag_used | static_cast<std::uint8_t>(flow_state::udp);
        constexpr std::uint8_t deciding =
            net::tcp_flag_syn | net::tcp_flag_fin | net::tcp_flag_rst | net::tcp_flag_ack;
        if ((f.proto == protocol::tcp && f.bits == tcp_est &&
             (tcp_flags & deciding) == net::tcp_flag_ack) ||
            (f.proto == protocol::udp && f.bits == udp_live)) {
            f.expires = tick(now) + timeout_ms_[f.bits & flow::state_mask];
            return;
        }
        on_packet_slow(f, dir, tcp_flags, now);
    }

    // Moves `f` to state `s` and restarts its timer. Clears flag_synced.
    void set_state(flow& f, flow_state s, time_point now) noexcept;
    // A peer's record for `f`: state `s` (counts kept in step, no event),
    // `remaining` left before it expires, flag_synced set.
    void resync(flow& f, flow_state s, milliseconds remaining, time_point now) noexcept {
        set_state(f, s, now);
        f.bits = static_cast<std::uint8_t>(f.bits | flow::flag_synced);
        f.expires = tick(now) + static_cast<std::uint32_t>(remaining.count());
    }

    void erase(flow& f) noexcept;

    // Clock sweep: examines the next min(budget, capacity) entries, removes
    // those that are expired.
    expire_result expire(time_point now, std::uint32_t budget) noexcept;

    // The per-real-server counts this table keeps up to date (indexed by
    // flow::rs_slot; slots beyond the span are not counted).
    void attach_counts(std::span<rs_counts> counts) noexcept { counts_ = counts; }
    void set_release_hook(release_fn fn, void* ctx) noexcept {
        release_ = fn;
        release_ctx_ = ctx;
    }

    // Flow sync (flow_sync.hpp): with a buffer attached, creating a flow
    // emits add, a change to a sync_state() emits state_change, the first
    // packet of a synced flow emits add, and releasing a flow that is not
    // synced emits remove; each only for a flow in an announced_state()
    // (never for a half-open TCP flow). nullptr (the default) turns it off.
    void attach_events(flow_event_buffer* out) noexcept { events_ = out; }
    flow_event_buffer* events() const noexcept { return events_; }
    // `f` as an event of `kind`, with its remaining timeout (0 for remove).
    flow_event event_of(const flow& f, flow_event_kind kind, time_point now) const noexcept;
    // Bulk export: from entry `cursor` on, examines at most `max_entries`
    // entries and pushes an add event for every live, announced flow into `out`
    // (flow_event::flag_copy on synced ones); stops before a flow that does
    // not fit, so nothing is lost. `cursor` reaching capacity() ends the walk.
    export_result export_some(std::uint32_t& cursor, std::uint32_t max_entries,
                              flow_event_buffer& out, time_point now) const noexcept;
    // Refresh sweep: from entry `cursor` on (wrapping), examines at most
    // `max_entries` entries and pushes a refresh event for every live flow of
    // this node (not synced) that saw a packet within `window`: its remaining
    // timeout exceeds its state's timeout minus `window`. A caller that
    // revisits every entry within `window` thus refreshes exactly the flows
    // whose deadline moved since the last visit. States whose timeout is at
    // most `window` are left out (they would always qualify). Stops early
    // when `out` is full. Returns the entries examined.
    std::uint32_t refresh_some(std::uint32_t& cursor, std::uint32_t max_entries,
                               milliseconds window, flow_event_buffer& out,
                               time_point now) const noexcept;

    // Time left before `f` expires (negative once expired).
    milliseconds remaining(const flow& f, time_point now) const noexcept;
    bool expired(const flow& f, time_point now) const noexcept {
        return static_cast<std::int32_t>(tick(now) - f.expires) >= 0;
    }
    milliseconds timeout_of(flow_state s) const noexcept {
        return milliseconds{timeout_ms_[static_cast<std::size_t>(s)]};
    }

    // Entries in use, live or expired but not yet reclaimed.
    std::uint32_t size() const noexcept { return size_; }
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(flows_.size()); }
    std::uint32_t bucket_count() const noexcept { return bucket_mask_ + 1; }
    // Exact bytes allocated for entries and buckets.
    std::size_t memory_bytes() const noexcept { return flows_.bytes() + heads_.bytes(); }
    const flow_table_stats& stats() const noexcept { return stats_; }

    std::uint32_t index_of(const flow& f) const noexcept {
        return static_cast<std::uint32_t>(&f - flows_.data());
    }
    flow& at(std::uint32_t index) noexcept { return flows_[index]; }
    const flow& at(std::uint32_t index) const noexcept { return flows_[index]; }

    // Visits every flow in use (diagnostics: `show flows`). Owner thread only.
    template <class F>
    void for_each(F&& fn) const {
        for (std::size_t i = 0; i < flows_.size(); ++i) {
            if (flows_[i].in_use()) {
                fn(static_cast<const flow&>(flows_[i]));
            }
        }
    }

  private:
    flow_table() = default;

    // The bucket of a client endpoint: one fmix64 round over the seeded
    // endpoint.
    std::uint32_t bucket_of(net::ipv4_addr client, std::uint16_t cport, protocol p) const noexcept {
        return static_cast<std::uint32_t>(fmix64(((std::uint64_t{client.value} << 32) |
                                                  (std::uint64_t{cport} << 8) | to_ip_proto(p)) ^
                                                 seed_)) &
               bucket_mask_;
    }
    std::uint32_t bucket_of(const flow& f) const noexcept {
        return bucket_of(f.client, f.client_port, f.proto);
    }
    std::uint32_t find_fwd_in(std::uint32_t bucket, net::ipv4_addr client, std::uint16_t cport,
                              net::ipv4_addr vip, std::uint16_t vport, protocol p) const noexcept {
        for (std::uint32_t i = heads_[bucket]; i != no_flow; i = flows_[i].next) {
            const flow& f = flows_[i];
            if (f.client == client && f.vip == vip && f.client_port == cport && f.vport == vport &&
                f.proto == p) {
                return i;
            }
        }
        return no_flow;
    }
    std::uint32_t find_rev_in(std::uint32_t bucket, net::ipv4_addr rs, std::uint16_t rport,
                              net::ipv4_addr client, std::uint16_t cport,
                              protocol p) const noexcept {
        for (std::uint32_t i = heads_[bucket]; i != no_flow; i = flows_[i].next) {
            const flow& f = flows_[i];
            if (f.rs == rs && f.client == client && f.rs_port == rport && f.client_port == cport &&
                f.proto == p) {
                return i;
            }
        }
        return no_flow;
    }
    // Unlinks entry `index` of chain `bucket` and frees it.
    void remove_in(std::uint32_t index, std::uint32_t bucket) noexcept;
    void remove(std::uint32_t index) noexcept { remove_in(index, bucket_of(flows_[index])); }
    // Writes a new flow into entry `idx` (chain links untouched).
    void fill(flow& f, const flow_spec& spec, time_point now) noexcept;
    // Releases the flow in `f` (counts, release hook) without freeing it.
    void release(const flow& f) noexcept {
        if (events_ != nullptr) [[unlikely]] {
            announce_removal(f);
        }
        release_quiet(f);
    }
    void release_quiet(const flow& f) noexcept {
        count(f, -1);
        if (release_ != nullptr) {
            release_(release_ctx_, f);
        }
    }
    void announce_removal(const flow& f) noexcept {
        // Not synced (a peer's copy goes quietly) and announced: a flow
        // that never left SYN_RECV was never sent, so neither is its end.
        // (One that went back to SYN_RECV, a reused endpoint, goes quietly
        // too: the peer's copy expires by its own timeout.)
        if (!f.synced() && announced_state(f.proto, f.state())) {
            events_->push(event_of(f, flow_event_kind::remove, time_point{}));
        }
    }
    void on_packet_slow(flow& f, direction dir, std::uint8_t tcp_flags, time_point now) noexcept;
    void count(const flow& f, int delta) noexcept {
        if (f.rs_slot >= counts_.size()) {
            return;
        }
        std::uint32_t& c = f.inactive() ? counts_[f.rs_slot].inactive : counts_[f.rs_slot].active;
        if (delta > 0) {
            ++c;
        } else if (c > 0) { // saturate: a slot reused after a snapshot change
            --c;
        }
    }
    static std::uint32_t tick(time_point now) noexcept {
        return static_cast<std::uint32_t>(now.time_since_epoch().count());
    }

    fixed_array<flow> flows_;
    fixed_array<std::uint32_t> heads_;
    std::uint32_t bucket_mask_ = 0;
    std::uint32_t free_head_ = no_flow;
    std::uint32_t size_ = 0;
    std::uint32_t cursor_ = 0;
    std::uint64_t seed_ = 0;
    std::array<std::uint32_t, flow_state_count> timeout_ms_{};
    std::span<rs_counts> counts_;
    release_fn release_ = nullptr;
    void* release_ctx_ = nullptr;
    flow_event_buffer* events_ = nullptr;
    flow_table_stats stats_;
};

} // namespace vipgate::lb
