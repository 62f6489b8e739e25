#pragma once
// Per-worker counters. Each counter has exactly one writer (its worker) and
// is read by the control core for display and telemetry, so increments are a
// relaxed load + relaxed store (a plain add on x86, no lock prefix) and reads
// are relaxed loads. "clear stats" never writes here: the control core keeps
// a baseline and shows differences.

#include <array>
#include <atomic>
#include <cstdint>

#include "config/config.hpp"
#include "pipeline/drop_reason.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::dataplane {

class counter {
  public:
    void add(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

inline constexpr std::size_t max_ports = 16;

// Written by one worker, read by the control core.
struct alignas(64) worker_stats {
    counter rx_packets;
    counter rx_bytes;
    counter tx_packets;     // everything this worker transmitted (replies + control TX)
    counter replies;        // frames answered in place (ARP, ICMP echo)
    counter punts;          // frames handed to the control core
    counter control_tx;     // frames the control core asked this worker to send
    counter drops;          // sum of drop[]
    counter polls;          // loop iterations
    counter busy_polls;     // iterations that found at least one packet
    counter idle_sleeps;    // times the worker slept on an idle queue
    std::array<counter, pipeline::drop_reason_count> drop{};
    std::array<counter, max_ports> port_rx{};
    std::array<counter, max_ports> port_tx{};
    // VRRP adverts rejected by the worker, per instance slot and reason; the
    // last row is for adverts that matched no instance (unknown VRID).
    static constexpr std::size_t vrrp_rows = config::max_vrrp_instances + 1;
    std::array<std::array<counter, vrrp::reject_reason_count>, vrrp_rows> vrrp_reject{};
    // Source address (host order) and reason of the last rejected advert per
    // row, for the log line that explains a split brain.
    std::array<std::atomic<std::uint64_t>, vrrp_rows> vrrp_last_reject{};
    std::array<counter, vrrp_rows> vrrp_punted{}; // valid adverts handed to the control core
};

} // namespace vipgate::dataplane
