#pragma once
// The workers' counters are part of the control seam: control/worker_stats.hpp.

#include "control/worker_stats.hpp"

namespace vipgate::dataplane {

using control::counter;
using control::max_ports;
using control::max_real_servers;
using control::max_workers;
using control::worker_stats;

} // namespace vipgate::dataplane
