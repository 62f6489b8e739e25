#pragma once
// Minimal pcap files (libpcap's classic format, LINKTYPE_ETHERNET): enough
// to write the benchmark workloads and to read back what a net_pcap port
// transmitted (tx_pcap=, nanosecond timestamps in DPDK 22.11). No libpcap.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>

namespace vipgate::bench {

class pcap_writer {
  public:
    pcap_writer() = default;
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;
    ~pcap_writer() { close(); }

    // "" on success, else the error text.
    std::string open(const std::string& path);
    // Timestamps go up by 1 us per frame (replay ignores them).
    bool write(std::span<const std::uint8_t> frame);
    std::string close(); // "" on success
    std::uint64_t frames() const noexcept { return frames_; }
    std::uint64_t bytes() const noexcept { return bytes_; }

  private:
    std::FILE* f_ = nullptr;
    std::string path_;
    std::uint64_t frames_ = 0;
    std::uint64_t bytes_ = 0;
    bool failed_ = false;
};

struct pcap_record {
    std::int64_t time_ns = 0; // since the epoch
    std::span<const std::uint8_t> data;
    std::uint32_t orig_len = 0;
};

// Calls fn for every record; "" on success, else the error text.
std::string read_pcap(const std::string& path, const std::function<void(const pcap_record&)>& fn);

} // namespace vipgate::bench
