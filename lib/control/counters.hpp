#pragma once
// Counters of the control core itself (written and read on the control core;
// `show stats` under "control", baselined by `clear stats`).

#include <cstdint>

namespace vipgate::control {

struct control_counters {
    std::uint64_t punts_handled = 0;
    std::uint64_t arp_punts = 0;
    std::uint64_t arp_malformed = 0;     // a punted ARP the control core could not use
    std::uint64_t arp_not_in_subnet = 0; // sender outside the port's subnet: not learnt
    std::uint64_t arp_conflicts = 0;     // someone else claims one of our addresses
    std::uint64_t unknown_punts = 0;
    std::uint64_t arp_requests_sent = 0;
    std::uint64_t control_tx_alloc_failed = 0;
    std::uint64_t control_tx_no_buffer = 0; // adverts and probes (shown as ring full)
    std::uint64_t loops = 0;
    std::uint64_t notices = 0;     // learn/resolve notices from workers
    std::uint64_t snapshots = 0;   // worker snapshots published
    std::uint64_t probes_sent = 0; // health-check SYNs
    std::uint64_t probe_rsts_sent = 0;
    std::uint64_t probe_answers = 0; // punted segments for probe ports
    std::uint64_t probe_unmatched = 0;
    std::uint64_t probe_bad_checksum = 0;
};

} // namespace vipgate::control
