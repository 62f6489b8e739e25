#pragma once
// DPDK telemetry endpoints under /vipgate/..., readable with
// dpdk-telemetry.py. Callbacks run on DPDK's telemetry thread; they ask the
// control core for a report through control_plane::call_sync(). Part of the
// DPDK shell: lib/control only offers the reports (no rte_telemetry there).

#include "control/control_plane.hpp"

namespace vipgate::dataplane {

// Register /vipgate/ports, /vipgate/lcores, /vipgate/stats, /vipgate/arp and
// /vipgate/info. Call once after EAL init. `cp` must outlive EAL.
void register_telemetry(control::control_plane* cp);
// Stop answering (before the control plane goes away).
void unregister_telemetry();

} // namespace vipgate::dataplane
