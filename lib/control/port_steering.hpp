#pragma once
// A port's steering state (control::port_info, `show ports`).

#include <cstdint>
#include <string>

namespace vipgate::control {

// How a port's RX queues get both directions of a flow to its owner worker
// (lb/steering.hpp, docs/load-balancing.md "The owner function and NIC
// steering").
enum class steering_mode : std::uint8_t {
    none,        // one worker, or no load balancing: nothing to steer
    nic,         // rte_flow rules installed: the NIC picks the owner's queue
    rss_handoff, // the NIC (RSS, or the vdev) picks; the hand-off rings fix it up
};

struct port_steering {
    steering_mode mode = steering_mode::none;
    unsigned rules = 0; // installed (nic)
    std::string reason; // none / rss_handoff: why (with rss_handoff, the PMD's refusal)
};

} // namespace vipgate::control
