#include "dataplane/shell_impl.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstring>

namespace vipgate::dataplane {

control::port_counters shell_impl::port_stats(std::uint16_t port) const {
    rte_eth_stats s{};
    rte_eth_stats_get(dp_.ports().at(port).port_id, &s);
    return {s.ipackets, s.opackets, s.ibytes,  s.obytes,
            s.imissed,  s.ierrors,  s.oerrors, s.rx_nombuf};
}

unsigned shell_impl::drain_punts(const std::function<void(const control::punt_view&)>& fn,
                                 unsigned budget) {
    return dp_.drain_punts(
        [&fn](const punted_frame& f) {
            fn({.port = f.port_index,
                .kind = f.kind,
                .slot = f.slot,
                .frame = std::span<const std::uint8_t>(f.data, f.length)});
            // The view dies with the callback: the buffer goes back here.
            dataplane::free(f.mbuf);
        },
        budget);
}

control::send_result shell_impl::send(std::uint16_t port, std::span<const std::uint8_t> frame) {
    rte_mbuf* m = dp_.alloc_frame();
    if (m == nullptr) {
        return control::send_result::no_buffer;
    }
    std::uint8_t* d = dp_.frame_data(m, static_cast<std::uint16_t>(frame.size()));
    if (d == nullptr) {
        dataplane::free(m);
        return control::send_result::no_buffer;
    }
    std::memcpy(d, frame.data(), frame.size());
    return dp_.send(port, m) ? control::send_result::sent : control::send_result::full;
}

} // namespace vipgate::dataplane
