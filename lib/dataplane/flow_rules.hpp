#pragma once
// NIC steering with rte_flow: lb::plan_steering()'s rules as rte_flow rules
// (ETH / IPV4 / TCP or UDP, spec + mask -> QUEUE), docs/load-balancing.md
// "The owner function and NIC steering". Control core only, at port start
// and stop.

#include <cstdint>
#include <string>

#include "control/shell.hpp"
#include "lb/steering.hpp"

namespace vipgate::dataplane {

// Validates then creates every rule of `plan` on the started port
// `port_id`. On the first refusal, removes what it created (rte_flow_flush)
// and reports rss_handoff with the PMD's message; otherwise nic with the
// count. `driver` names the PMD in the message.
control::port_steering install_flow_rules(std::uint16_t port_id, const std::string& driver,
                                          const lb::steering_plan& plan);

// Removes every rte_flow rule of the port (at stop).
void remove_flow_rules(std::uint16_t port_id);

} // namespace vipgate::dataplane
