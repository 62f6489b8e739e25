// The worker loop: the only code that runs per packet. No allocation, no
// locks, no logging, no exceptions (see docs/architecture.md).

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <array>

#include "dataplane/worker_ctx.hpp"

namespace vipgate::dataplane {

namespace {

constexpr unsigned max_burst = 256;

struct tx_buffer {
    std::array<rte_mbuf*, max_burst> pkts;
    unsigned count = 0;
};

inline void flush(tx_buffer& b, std::uint16_t port_id, std::uint16_t queue, worker_stats& st,
                  unsigned port_index) noexcept {
    if (b.count == 0)
        return;
    std::uint16_t sent = rte_eth_tx_burst(port_id, queue, b.pkts.data(),
                                          static_cast<std::uint16_t>(b.count));
    st.tx_packets.add(sent);
    st.port_tx[port_index].add(sent);
    if (sent < b.count) {
        unsigned lost = b.count - sent;
        st.drop[static_cast<std::size_t>(pipeline::drop_reason::tx_full)].add(lost);
        st.drops.add(lost);
        for (unsigned i = sent; i < b.count; ++i)
            rte_pktmbuf_free(b.pkts[i]);
    }
    b.count = 0;
}

inline std::size_t vrrp_row(std::uint8_t slot) noexcept {
    return slot < config::max_vrrp_instances ? slot : worker_stats::vrrp_rows - 1;
}

// Per-instance reject counter, and the source of the last rejected advert
// (IPv4 source at l3 + 12; the pipeline only rejects parsed IPv4 frames).
inline void count_vrrp_reject(worker_stats& st, const pipeline::verdict& v,
                              std::span<const std::uint8_t> frame) noexcept {
    std::size_t row = vrrp_row(v.slot);
    if (v.detail < vrrp::reject_reason_count)
        st.vrrp_reject[row][v.detail].add();
    std::size_t l3 = 14;
    if (frame.size() >= 18 && (frame[12] == 0x81 || frame[12] == 0x88) &&
        (frame[13] == 0x00 || frame[13] == 0xa8))
        l3 = 18;
    std::uint32_t src = 0;
    if (frame.size() >= l3 + 16)
        src = (std::uint32_t{frame[l3 + 12]} << 24) | (std::uint32_t{frame[l3 + 13]} << 16) |
              (std::uint32_t{frame[l3 + 14]} << 8) | std::uint32_t{frame[l3 + 15]};
    st.vrrp_last_reject[row].store((std::uint64_t{v.detail} << 32) | src,
                                   std::memory_order_relaxed);
}

inline void count_drop(worker_stats& st, pipeline::drop_reason r) noexcept {
    st.drop[static_cast<std::size_t>(r)].add();
    st.drops.add();
}

} // namespace

int worker_main(void* arg) {
    auto* w = static_cast<dataplane::worker_ctx*>(arg);
    dataplane& dp = *w->dp;
    worker_stats& st = w->stats;
    const auto queue = static_cast<std::uint16_t>(w->index);
    const unsigned nports = static_cast<unsigned>(dp.ports_.size());
    const unsigned burst = std::min<unsigned>(dp.settings_.burst, max_burst);
    const bool idle_sleep = dp.settings_.idle_sleep;
    const std::uint32_t idle_polls = dp.settings_.idle_polls;
    const std::uint32_t sleep_us = dp.settings_.idle_sleep_us;

    std::array<std::uint16_t, max_ports> port_ids{};
    for (unsigned p = 0; p < nports; ++p)
        port_ids[p] = dp.ports_[p].port_id;

    std::array<rte_mbuf*, max_burst> rx;
    std::array<tx_buffer, max_ports> tx{};
    std::uint32_t empty_polls = 0;

    rte_rcu_qsbr_thread_online(dp.qsbr_, w->index);

    while (!dp.stop_.load(std::memory_order_acquire)) {
        // Between bursts: report quiescence, then pick up the newest snapshot.
        rte_rcu_qsbr_quiescent(dp.qsbr_, w->index);
        const snapshot* snap = dp.current_.load(std::memory_order_acquire);
        const pipeline::context& ctx = snap->ctx;
        st.polls.add();
        unsigned got_total = 0;

        for (unsigned p = 0; p < nports; ++p) {
            std::uint16_t n = rte_eth_rx_burst(port_ids[p], queue, rx.data(),
                                               static_cast<std::uint16_t>(burst));
            if (n == 0)
                continue;
            got_total += n;
            st.rx_packets.add(n);
            st.port_rx[p].add(n);
            for (std::uint16_t i = 0; i < n; ++i) {
                if (i + 1 < n)
                    rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void*));
                rte_mbuf* m = rx[i];
                st.rx_bytes.add(m->pkt_len);
                if (m->nb_segs != 1) {
                    count_drop(st, pipeline::drop_reason::multi_segment);
                    rte_pktmbuf_free(m);
                    continue;
                }
                std::span<std::uint8_t> frame(rte_pktmbuf_mtod(m, std::uint8_t*), m->data_len);
                pipeline::verdict v =
                    pipeline::process(frame, static_cast<std::uint16_t>(p), ctx);
                switch (v.act) {
                case pipeline::action::reply:
                    st.replies.add();
                    tx[p].pkts[tx[p].count++] = m;
                    break;
                case pipeline::action::punt:
                    // port << 16 | VRRP slot << 8 | kind: read back by drain_punts().
                    m->hash.usr = (std::uint32_t{static_cast<std::uint16_t>(p)} << 16) |
                                  (std::uint32_t{v.slot} << 8) |
                                  static_cast<std::uint32_t>(v.punt);
                    if (v.punt == pipeline::punt_kind::vrrp)
                        st.vrrp_punted[vrrp_row(v.slot)].add();
                    if (rte_ring_sp_enqueue(w->punt, m) != 0) {
                        count_drop(st, pipeline::drop_reason::punt_ring_full);
                        rte_pktmbuf_free(m);
                    } else {
                        st.punts.add();
                    }
                    break;
                case pipeline::action::drop:
                default:
                    if (v.reason == pipeline::drop_reason::vrrp_rejected)
                        count_vrrp_reject(st, v, frame);
                    count_drop(st, v.reason);
                    rte_pktmbuf_free(m);
                    break;
                }
            }
            flush(tx[p], port_ids[p], queue, st, p);
        }

        // Worker 0 transmits what the control core queued (adverts, GARPs,
        // ARP requests): the control core owns no TX queue of its own.
        if (w->index == 0) {
            unsigned n = rte_ring_sc_dequeue_burst(dp.control_tx_, reinterpret_cast<void**>(rx.data()),
                                                   burst, nullptr);
            if (n != 0) {
                got_total += n;
                st.control_tx.add(n);
                for (unsigned i = 0; i < n; ++i) {
                    rte_mbuf* m = rx[i];
                    unsigned p = 0;
                    while (p < nports && port_ids[p] != m->port)
                        ++p;
                    if (p == nports) {
                        rte_pktmbuf_free(m);
                        continue;
                    }
                    tx[p].pkts[tx[p].count++] = m;
                    if (tx[p].count == burst)
                        flush(tx[p], port_ids[p], queue, st, p);
                }
                for (unsigned p = 0; p < nports; ++p)
                    flush(tx[p], port_ids[p], queue, st, p);
            }
        }

        if (got_total != 0) {
            st.busy_polls.add();
            empty_polls = 0;
        } else if (idle_sleep && ++empty_polls >= idle_polls) {
            // Shared machines and the lab: give the CPU back while idle.
            st.idle_sleeps.add();
            rte_delay_us_sleep(sleep_us);
        }
    }

    rte_rcu_qsbr_thread_offline(dp.qsbr_, w->index);
    for (unsigned p = 0; p < nports; ++p)
        flush(tx[p], port_ids[p], queue, st, p);
    return 0;
}

} // namespace vipgate::dataplane
