// The worker loop: the only code that runs per packet. No allocation, no
// locks, no logging, no exceptions (see docs/architecture.md).

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <array>
#include <cstring>

#include "dataplane/worker_ctx.hpp"

namespace vipgate::dataplane {

namespace {

constexpr unsigned max_burst = 256;

struct tx_buffer {
    std::array<rte_mbuf*, max_burst> pkts;
    unsigned count = 0;
};

inline void count_drop(worker_stats& st, pipeline::drop_reason r) noexcept {
    st.drop[static_cast<std::size_t>(r)].add();
    st.drops.add();
}

inline void flush(tx_buffer& b, std::uint16_t port_id, std::uint16_t queue, worker_stats& st,
                  unsigned port_index) noexcept {
    if (b.count == 0) {
        return;
    }
    std::uint16_t sent =
        rte_eth_tx_burst(port_id, queue, b.pkts.data(), static_cast<std::uint16_t>(b.count));
    st.tx_packets.add(sent);
    st.port_tx[port_index].add(sent);
    if (sent < b.count) {
        unsigned lost = b.count - sent;
        st.drop[static_cast<std::size_t>(pipeline::drop_reason::tx_full)].add(lost);
        st.drops.add(lost);
        for (unsigned i = sent; i < b.count; ++i) {
            rte_pktmbuf_free(b.pkts[i]);
        }
    }
    b.count = 0;
}

inline std::size_t vrrp_row(std::uint8_t slot) noexcept {
    return slot < config::max_vrrp_instances ? slot : worker_stats::vrrp_rows - 1;
}

// Per-instance reject counter, and the reason and source of the last
// rejected advert (the verdict's sender).
inline void count_vrrp_reject(worker_stats& st, const pipeline::verdict& v) noexcept {
    std::size_t row = vrrp_row(v.slot);
    if (v.detail < vrrp::reject_reason_count) {
        st.vrrp_reject[row][v.detail].add();
    }
    st.vrrp_last_reject[row].store((std::uint64_t{v.detail} << 32) | v.sender.ip,
                                   std::memory_order_relaxed);
}

// Token bucket in TSC cycles: `rate` tokens a second, at most one second's
// worth banked. Fast path: two multiplies, no division.
struct token_bucket {
    std::uint64_t cycles_per_token = 0; // 0: unlimited
    std::uint64_t cap_cycles = 0;
    std::uint64_t last = 0;   // TSC of the last refill
    std::uint64_t credit = 0; // banked cycles

    void init(std::uint32_t rate, std::uint64_t hz, std::uint64_t now) noexcept {
        cycles_per_token = rate == 0 ? 0 : std::max<std::uint64_t>(1, hz / rate);
        cap_cycles = hz;
        last = now;
        credit = hz;
    }
    bool take(std::uint64_t now) noexcept {
        if (cycles_per_token == 0) {
            return true;
        }
        credit = std::min(cap_cycles, credit + (now - last));
        last = now;
        if (credit < cycles_per_token) {
            return false;
        }
        credit -= cycles_per_token;
        return true;
    }
};

// The worker's loop state, so the per-frame step can be one function for
// frames from the NIC and frames handed over by other workers.
struct loop {
    dataplane::worker_ctx& w;
    dataplane& dp;
    worker_stats& st;
    std::uint16_t queue;
    unsigned nports;
    unsigned burst;
    std::array<std::uint16_t, max_ports> port_ids{};
    std::array<tx_buffer, max_ports> tx{};
    pipeline::worker_state ws;
    // to_owner[j]: the ring into worker j's hand-off inbox from this worker.
    std::array<rte_ring*, max_workers> to_owner{};
    // Slow-path protection: punts per second by kind.
    token_bucket arp_bucket, vrrp_bucket, probe_bucket, sync_bucket;
    std::uint64_t tsc = 0; // this burst's TSC
    // Counted per frame, added to worker_stats once per burst (flush_counts):
    // fewer writes to lines the control core reads.
    std::uint64_t forwarded = 0;
    std::uint64_t new_flows = 0;
    // The RX burst's lookaheads (pipeline::look_ahead), by position.
    std::array<pipeline::lookahead, max_burst> ahead{};
    // Frames for other workers, staged per owner and enqueued on its ring
    // in one burst (flush_handoffs) after each RX burst, each tagged with
    // its arrival port (frame_tag).
    struct handoff_stage {
        std::array<rte_mbuf*, max_burst> pkts;
        unsigned count = 0;
    };
    std::array<handoff_stage, max_workers> ho{};

    // Enqueues the frames staged for worker `j`; what its ring cannot take
    // is dropped (lb_handoff_ring_full).
    void flush_handoff(unsigned j) noexcept {
        handoff_stage& h = ho[j];
        if (h.count == 0) {
            return;
        }
        unsigned done = 0;
        if (to_owner[j] != nullptr) {
            done = rte_ring_sp_enqueue_burst(
                to_owner[j], reinterpret_cast<void* const*>(h.pkts.data()), h.count, nullptr);
        }
        if (done != 0) {
            st.handoffs_out.add(done);
        }
        for (unsigned i = done; i < h.count; ++i) {
            count_drop(st, pipeline::drop_reason::lb_handoff_ring_full);
            rte_pktmbuf_free(h.pkts[i]);
        }
        h.count = 0;
    }
    // A burst in three passes (pipeline::look_ahead): parse and hash every
    // frame and prefetch its flow bucket, prefetch the buckets' first
    // entries, then process; with many flows the table misses of the whole
    // burst overlap instead of queueing. `port` < nports: every frame came
    // in there; else each frame's arrival port is in its frame_tag (frames
    // handed over by another worker). Returns the burst's bytes.
    std::uint64_t run_burst(rte_mbuf** pkts, unsigned n, unsigned port,
                            const pipeline::context& ctx) noexcept {
        std::uint64_t bytes = 0;
        for (unsigned i = 0; i < n; ++i) {
            if (i + 1 < n) {
                rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
            }
            rte_mbuf* m = pkts[i];
            bytes += m->pkt_len;
            if (m->nb_segs == 1) {
                pipeline::look_ahead(std::span<const std::uint8_t>(
                                         rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len),
                                     ctx, ws, ahead[i]);
            } else {
                ahead[i] = pipeline::lookahead{};
            }
        }
        for (unsigned i = 0; i < n; ++i) {
            pipeline::prefetch_flow(ws, ahead[i]);
        }
        for (unsigned i = 0; i < n; ++i) {
            handle(pkts[i], port < nports ? port : tag_of(pkts[i]).port, ctx, ahead[i]);
        }
        return bytes;
    }

    void flush_handoffs(unsigned nworkers) noexcept {
        for (unsigned j = 0; j < nworkers && j < max_workers; ++j) {
            flush_handoff(j);
        }
    }

    void flush_counts() noexcept {
        if (forwarded != 0) {
            st.forwarded.add(forwarded);
            forwarded = 0;
        }
        if (new_flows != 0) {
            st.new_flows.add(new_flows);
            new_flows = 0;
        }
    }

    void send(unsigned p, rte_mbuf* m) noexcept {
        tx[p].pkts[tx[p].count++] = m;
        if (tx[p].count == max_burst) {
            flush(tx[p], port_ids[p], queue, st, p);
        }
    }

    void notify(notice::kind_t kind, std::uint16_t port, net::ipv4_addr ip,
                const net::mac_addr* mac) noexcept {
        notice n{};
        n.kind = kind;
        n.port = port;
        n.ip = ip.value;
        if (mac != nullptr) {
            std::memcpy(n.mac.data(), mac->bytes.data(), 6);
        }
        if (rte_ring_sp_enqueue_elem(w.notices, &n, sizeof n) != 0) {
            st.notices_lost.add();
        }
    }

    // One frame received on port `p` (or handed over by another worker),
    // with its lookahead from run_burst().
    void handle(rte_mbuf* m, unsigned p, const pipeline::context& ctx,
                const pipeline::lookahead& la) noexcept {
        if (m->nb_segs != 1) {
            count_drop(st, pipeline::drop_reason::multi_segment);
            rte_pktmbuf_free(m);
            return;
        }
        std::span<std::uint8_t> frame(rte_pktmbuf_mtod(m, std::uint8_t*), m->data_len);
        pipeline::verdict v = pipeline::process(frame, static_cast<std::uint16_t>(p), ctx, ws, la);
        switch (v.act) {
        case pipeline::action::reply:
            st.replies.add();
            if (v.learn) {
                // The ARP requester (RFC 826: merge the sender).
                const net::mac_addr mac = v.sender.hw();
                notify(notice::learn, static_cast<std::uint16_t>(p), v.sender.address(), &mac);
            }
            send(p, m);
            break;
        case pipeline::action::forward:
            ++forwarded;
            new_flows += v.new_flow ? 1u : 0u;
            if (v.rs_slot < max_real_servers) {
                st.rs_packets[v.rs_slot].add();
                st.rs_bytes[v.rs_slot].add(m->pkt_len);
            }
            send(v.out_port < nports ? v.out_port : p, m);
            break;
        case pipeline::action::handoff: {
            if (v.worker >= max_workers || to_owner[v.worker] == nullptr) {
                count_drop(st, pipeline::drop_reason::lb_handoff_ring_full);
                rte_pktmbuf_free(m);
                break;
            }
            set_tag(m, frame_tag{.port = static_cast<std::uint16_t>(p)}); // for the owner
            handoff_stage& h = ho[v.worker];
            h.pkts[h.count++] = m;
            if (h.count == max_burst) {
                flush_handoff(v.worker);
            }
            break;
        }
        case pipeline::action::punt: {
            token_bucket& b = v.punt == pipeline::punt_kind::vrrp    ? vrrp_bucket
                              : v.punt == pipeline::punt_kind::probe ? probe_bucket
                              : v.punt == pipeline::punt_kind::sync  ? sync_bucket
                                                                     : arp_bucket;
            if (!b.take(tsc)) {
                count_drop(st, pipeline::drop_reason::punt_rate_limited);
                rte_pktmbuf_free(m);
                break;
            }
            // Read back by drain_punts().
            set_tag(m, frame_tag{
                           .port = static_cast<std::uint16_t>(p), .kind = v.punt, .slot = v.slot});
            if (v.punt == pipeline::punt_kind::vrrp) {
                st.vrrp_punted[vrrp_row(v.slot)].add();
            } else if (v.punt == pipeline::punt_kind::sync) {
                st.sync_punted.add();
            }
            if (rte_ring_sp_enqueue(w.punt, m) != 0) {
                count_drop(st, pipeline::drop_reason::punt_ring_full);
                rte_pktmbuf_free(m);
            } else {
                st.punts.add();
            }
            break;
        }
        case pipeline::action::drop:
        default:
            if (v.reason == pipeline::drop_reason::vrrp_rejected) {
                count_vrrp_reject(st, v);
            } else if (v.reason == pipeline::drop_reason::no_neighbour) {
                notify(notice::resolve, v.out_port, v.resolve, nullptr);
            }
            count_drop(st, v.reason);
            rte_pktmbuf_free(m);
            break;
        }
    }

    void answer_dump() noexcept {
        dump_phase expected = dump_phase::requested;
        if (!w.dump_state.compare_exchange_strong(expected, dump_phase::copying)) {
            return;
        }
        const flow_dump_request req = w.dump_req;
        if (w.engine) {
            lb::flow_table& ft = w.engine->flows();
            for (std::uint32_t i = 0; i < ft.capacity() && w.dump_out.size() < req.limit &&
                                      w.dump_out.size() < w.dump_out.capacity();
                 ++i) {
                const lb::flow& f = w.engine->flows().at(i);
                if ((f.bits & lb::flow::flag_used) == 0 || ft.expired(f, ws.now)) {
                    continue;
                }
                if (req.vip.value != 0 && f.vip != req.vip) {
                    continue;
                }
                if (req.vport != 0 && f.vport != req.vport) {
                    continue;
                }
                if (req.proto != 0 && static_cast<std::uint8_t>(f.proto) != req.proto) {
                    continue;
                }
                flow_record r;
                r.client = f.client;
                r.vip = f.vip;
                r.rs = f.rs;
                r.client_port = f.client_port;
                r.vport = f.vport;
                r.rs_port = f.rs_port;
                r.proto = static_cast<std::uint8_t>(f.proto);
                r.state = f.bits & lb::flow::state_mask;
                r.expires_in_ms = static_cast<std::uint32_t>(ft.remaining(f, ws.now).count());
                w.dump_out.push_back(r); // capacity reserved: no allocation
            }
        }
        w.dump_state.store(dump_phase::done, std::memory_order_release);
    }

    // Flow-state sync: the events the engine wrote since the last call go
    // to the event ring in one burst; what it cannot take is counted (the
    // refresh sweep sends those flows again).
    void flush_sync_events() noexcept {
        const auto ev = w.sync_buf.events();
        if (ev.empty()) {
            return;
        }
        const unsigned n = static_cast<unsigned>(ev.size());
        const unsigned done = rte_ring_sp_enqueue_burst_elem(w.sync_events, ev.data(),
                                                             sizeof(lb::flow_event), n, nullptr);
        st.sync_events.add(done);
        if (done < n) {
            st.sync_events_lost.add(n - done);
        }
        w.sync_buf.clear();
    }

    // A peer's records, routed here by the control core (this worker owns
    // their client endpoints). Refusals are counted by the engine.
    void take_installs(const pipeline::context& ctx) noexcept {
        std::array<lb::flow_event, 64> in;
        const unsigned n =
            rte_ring_sc_dequeue_burst_elem(w.sync_installs, in.data(), sizeof(lb::flow_event),
                                           static_cast<unsigned>(in.size()), nullptr);
        if (n == 0 || ctx.services == nullptr) {
            return;
        }
        st.sync_installs.add(n);
        for (unsigned i = 0; i < n; ++i) {
            (void)w.engine->install_synced(in[i], *ctx.services, ws.now);
        }
    }

    // One bounded step of a bulk export walk (export_phase): at most what
    // the export ring has room for, so nothing of a walk is ever dropped.
    void export_step(const pipeline::context& ctx) noexcept {
        export_phase ph = w.export_state.load(std::memory_order_acquire);
        if (ph == export_phase::requested) {
            if (!w.export_state.compare_exchange_strong(ph, export_phase::running)) {
                return;
            }
            w.export_cursor = lb::export_cursor{};
            ph = export_phase::running;
        }
        if (ph != export_phase::running || ctx.services == nullptr) {
            return;
        }
        std::array<lb::flow_event, export_step_events> out;
        const unsigned room = std::min<unsigned>(static_cast<unsigned>(out.size()),
                                                 rte_ring_free_count(w.sync_export));
        if (room == 0) {
            return;
        }
        lb::flow_event_buffer buf(std::span<lb::flow_event>(out.data(), room));
        w.engine->export_some(w.export_cursor, export_step_events * 4, buf, *ctx.services, ws.now);
        const auto ev = buf.events();
        const unsigned done =
            rte_ring_sp_enqueue_burst_elem(w.sync_export, ev.data(), sizeof(lb::flow_event),
                                           static_cast<unsigned>(ev.size()), nullptr);
        st.sync_exported.add(done); // == ev.size(): room was checked, one producer
        if (w.export_cursor.done) {
            export_phase running = export_phase::running;
            w.export_state.compare_exchange_strong(running, export_phase::done);
        }
    }

    void sync_step(const pipeline::context& ctx) noexcept {
        take_installs(ctx);
        w.engine->sync_refresh(ws.now);
        flush_sync_events();
        export_step(ctx);
    }

    void publish_gauges() noexcept {
        if (!w.engine) {
            return;
        }
        if (w.sync_events != nullptr) {
            const auto& ss = w.engine->sync_stats();
            st.sync_buffer_dropped.store(w.sync_buf.dropped(), std::memory_order_relaxed);
            st.sync_installed.store(ss.flows_added + ss.flows_updated + ss.flows_removed +
                                        ss.templates,
                                    std::memory_order_relaxed);
            for (std::size_t i = 0; i < ss.refused.size(); ++i) {
                st.sync_refused[i].store(ss.refused[i], std::memory_order_relaxed);
            }
        }
        st.flows_active.store(w.engine->flows().size(), std::memory_order_relaxed);
        st.flows_taken_over.store(w.engine->flows().stats().taken_over, std::memory_order_relaxed);
        const auto& es = w.engine->stats();
        st.conn_reused.store(es.conn_reused, std::memory_order_relaxed);
        st.persist_hits.store(es.persist_hits, std::memory_order_relaxed);
        st.persist_resched.store(es.persist_resched, std::memory_order_relaxed);
        st.sorry_flows.store(es.sorry_flows, std::memory_order_relaxed);
        auto counts = w.engine->scheduler().counts();
        for (std::size_t i = 0; i < counts.size() && i < max_real_servers; ++i) {
            st.rs_active[i].store(counts[i].active, std::memory_order_relaxed);
            st.rs_inactive[i].store(counts[i].inactive, std::memory_order_relaxed);
        }
    }
};

} // namespace

int worker_main(void* arg) {
    auto* w = static_cast<dataplane::worker_ctx*>(arg);
    dataplane& dp = *w->dp;
    loop L{*w,
           dp,
           w->stats,
           static_cast<std::uint16_t>(w->index),
           static_cast<unsigned>(dp.ports_.size()),
           std::min<unsigned>(dp.settings_.burst, max_burst)};
    worker_stats& st = w->stats;
    const bool idle_sleep = dp.settings_.idle_sleep;
    const std::uint32_t idle_polls = dp.settings_.idle_polls;
    const std::uint32_t sleep_us = dp.settings_.idle_sleep_us;
    const std::uint32_t expire_budget = dp.lb_cfg_.expire_budget;
    const unsigned nworkers = static_cast<unsigned>(dp.workers_.size());
    const std::uint64_t tsc_per_ms = std::max<std::uint64_t>(1, rte_get_tsc_hz() / 1000);

    for (unsigned p = 0; p < L.nports; ++p) {
        L.port_ids[p] = dp.ports_[p].port_id;
    }
    L.ws.engine = w->engine ? &*w->engine : nullptr;
    // Flow-state sync: the engine writes its events to the worker's buffer.
    const bool sync = L.ws.engine != nullptr && w->sync_events != nullptr;
    if (sync) {
        const std::uint64_t t = rte_get_tsc_cycles();
        L.ws.engine->attach_sync(&w->sync_buf, lb::time_point{lb::milliseconds{
                                                   static_cast<std::int64_t>(t / tsc_per_ms)}});
    }
    {
        const std::uint64_t hz = rte_get_tsc_hz();
        const std::uint64_t t0 = rte_get_tsc_cycles();
        L.arp_bucket.init(dp.settings_.punt_rate_arp, hz, t0);
        L.vrrp_bucket.init(dp.settings_.punt_rate_vrrp, hz, t0);
        L.probe_bucket.init(dp.settings_.punt_rate_probe, hz, t0);
        L.sync_bucket.init(dp.settings_.punt_rate_sync, hz, t0);
    }
    for (unsigned j = 0; j < nworkers && j < max_workers; ++j) {
        L.to_owner[j] = dp.workers_[j]->handoff[w->index];
    }
    L.ws.worker = w->index;
    L.ws.workers = nworkers;

    std::array<rte_mbuf*, max_burst> rx;
    std::uint32_t empty_polls = 0;
    std::uint64_t iteration = 0;
    lb::time_point last_expire{};

    rte_rcu_qsbr_thread_online(dp.qsbr_, w->index);

    while (!dp.stop_.load(std::memory_order_acquire)) {
        // Between bursts: report quiescence, then pick up the newest snapshot.
        rte_rcu_qsbr_quiescent(dp.qsbr_, w->index);
        const snapshot* snap = dp.current_.load(std::memory_order_acquire);
        const pipeline::context& ctx = snap->ctx();
        L.tsc = rte_get_tsc_cycles();
        L.ws.now = lb::time_point{lb::milliseconds{static_cast<std::int64_t>(L.tsc / tsc_per_ms)}};
        st.polls.add();
        unsigned got_total = 0;

        // First the frames other workers received for flows this one owns:
        // they have waited already, and a full ring drops
        // (lb_handoff_ring_full) while the NIC queue can wait.
        if (nworkers > 1) {
            L.ws.handed_off = true;
            for (unsigned from = 0; from < nworkers; ++from) {
                rte_ring* r = w->handoff[from];
                if (r == nullptr) {
                    continue;
                }
                // Drain up to four bursts: the peer may hand over as much as
                // it receives.
                for (int round = 0; round < 4; ++round) {
                    unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(rx.data()),
                                                           L.burst, nullptr);
                    if (n == 0) {
                        break;
                    }
                    got_total += n;
                    st.handoffs_in.add(n);
                    L.run_burst(rx.data(), n, max_ports, ctx);
                    L.flush_counts();
                    if (sync) {
                        L.flush_sync_events();
                    }
                    if (n < L.burst) {
                        break;
                    }
                }
            }
            L.ws.handed_off = false;
        }

        for (unsigned p = 0; p < L.nports; ++p) {
            std::uint16_t n = rte_eth_rx_burst(L.port_ids[p], L.queue, rx.data(),
                                               static_cast<std::uint16_t>(L.burst));
            if (n == 0) {
                continue;
            }
            got_total += n;
            st.rx_packets.add(n);
            st.port_rx[p].add(n);
            const std::uint64_t bytes = L.run_burst(rx.data(), n, p, ctx);
            st.rx_bytes.add(bytes);
            L.flush_counts();
            if (sync) {
                L.flush_sync_events();
            }
            if (nworkers > 1) {
                L.flush_handoffs(nworkers);
            }
        }

        // Worker 0 transmits what the control core queued (adverts, GARPs,
        // ARP requests, probes) for ports without a spare TX queue of the
        // control core's own (af_packet, af_xdp, tap: port_info::control_queue).
        if (w->index == 0) {
            unsigned n = rte_ring_sc_dequeue_burst(
                dp.control_tx_, reinterpret_cast<void**>(rx.data()), L.burst, nullptr);
            if (n != 0) {
                got_total += n;
                st.control_tx.add(n);
                for (unsigned i = 0; i < n; ++i) {
                    rte_mbuf* m = rx[i];
                    unsigned p = 0;
                    while (p < L.nports && L.port_ids[p] != m->port) {
                        ++p;
                    }
                    if (p == L.nports) {
                        rte_pktmbuf_free(m);
                        continue;
                    }
                    L.send(p, m);
                }
            }
        }
        for (unsigned p = 0; p < L.nports; ++p) {
            flush(L.tx[p], L.port_ids[p], L.queue, st, p);
        }

        // Expiry by time, not per iteration: `expire_budget` entries per
        // millisecond (a busy worker loops every few hundred nanoseconds;
        // sweeping each time would evict its hot flows from the cache).
        if (L.ws.engine != nullptr && L.ws.now > last_expire) {
            const auto ms = static_cast<std::uint64_t>((L.ws.now - last_expire).count());
            const auto budget =
                static_cast<std::uint32_t>(std::min<std::uint64_t>(ms, 64) * expire_budget);
            last_expire = L.ws.now;
            auto er = L.ws.engine->expire(L.ws.now, budget);
            if (er.removed != 0) {
                st.flows_expired.add(er.removed);
            }
            if ((++iteration & 255) == 0) {
                L.publish_gauges();
            }
        }
        if (sync) {
            L.sync_step(ctx); // expiry's removes, installs, refresh, export
        }
        if (w->dump_state.load(std::memory_order_relaxed) == dump_phase::requested) {
            L.answer_dump();
        }

        if (got_total != 0) {
            st.busy_polls.add();
            empty_polls = 0;
        } else if (idle_sleep && ++empty_polls >= idle_polls) {
            // Shared machines and the lab: give the CPU back while idle.
            st.idle_sleeps.add();
            if (L.ws.engine != nullptr) {
                L.publish_gauges();
            }
            rte_delay_us_sleep(sleep_us);
        }
    }

    rte_rcu_qsbr_thread_offline(dp.qsbr_, w->index);
    L.flush_handoffs(nworkers);
    for (unsigned p = 0; p < L.nports; ++p) {
        flush(L.tx[p], L.port_ids[p], L.queue, st, p);
    }
    return 0;
}

} // namespace vipgate::dataplane
