#pragma once
// One vipgate per port and per EAL file prefix: advisory locks (flock) on
// files under /run/vipgate/locks, held for the life of the process. A second
// vipgate on the same interface (af_packet/af_xdp iface=), the same PCI
// device or the same --file-prefix refuses to start and says who holds it.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"

namespace vipgate::app {

class instance_locks {
  public:
    instance_locks() = default;
    instance_locks(const instance_locks&) = delete;
    instance_locks& operator=(const instance_locks&) = delete;
    ~instance_locks();

    // `dir`: where the lock files live (created if missing).
    result<void> acquire(const config::config& cfg, const std::string& file_prefix,
                         const std::string& dir = "/run/vipgate/locks");

    // The resources a config claims: "iface-<name>", "pci-<addr>", "prefix-<p>".
    static std::vector<std::string> keys(const config::config& cfg, const std::string& file_prefix);

  private:
    std::vector<int> fds_;
};

// EAL's --file-prefix among `eal_args` ("rte" when absent).
std::string file_prefix_of(const std::vector<std::string>& eal_args);

} // namespace vipgate::app
