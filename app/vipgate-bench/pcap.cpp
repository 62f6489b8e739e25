#include "pcap.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace vipgate::bench {

namespace {

constexpr std::uint32_t magic_us = 0xa1b2c3d4u;
constexpr std::uint32_t magic_ns = 0xa1b23c4du;
constexpr std::uint32_t linktype_ethernet = 1;

void put32(std::uint8_t* p, std::uint32_t v) {
    // pcap files are written in the writer's byte order; we write little endian.
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v >> 16);
    p[3] = static_cast<std::uint8_t>(v >> 24);
}
void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
std::uint32_t get32(const std::uint8_t* p, bool swap) {
    std::uint32_t v = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                      (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
    if (swap) {
        v = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
    }
    return v;
}

} // namespace

std::string pcap_writer::open(const std::string& path) {
    close();
    path_ = path;
    f_ = std::fopen(path.c_str(), "wb");
    if (f_ == nullptr) {
        return path + ": " + std::strerror(errno);
    }
    // A large stdio buffer: a million small records.
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    std::uint8_t h[24]{};
    put32(h, magic_us);
    put16(h + 4, 2);
    put16(h + 6, 4);
    put32(h + 16, 65535);
    put32(h + 20, linktype_ethernet);
    if (std::fwrite(h, 1, sizeof h, f_) != sizeof h) {
        failed_ = true;
    }
    frames_ = 0;
    bytes_ = 0;
    return failed_ ? path + ": write failed" : std::string{};
}

bool pcap_writer::write(std::span<const std::uint8_t> frame) {
    if (f_ == nullptr) {
        return false;
    }
    std::uint8_t h[16];
    put32(h, static_cast<std::uint32_t>(frames_ / 1000000));
    put32(h + 4, static_cast<std::uint32_t>(frames_ % 1000000));
    put32(h + 8, static_cast<std::uint32_t>(frame.size()));
    put32(h + 12, static_cast<std::uint32_t>(frame.size()));
    if (std::fwrite(h, 1, sizeof h, f_) != sizeof h ||
        std::fwrite(frame.data(), 1, frame.size(), f_) != frame.size()) {
        failed_ = true;
        return false;
    }
    ++frames_;
    bytes_ += frame.size();
    return true;
}

std::string pcap_writer::close() {
    if (f_ == nullptr) {
        return {};
    }
    const bool bad = std::fclose(f_) != 0 || failed_;
    f_ = nullptr;
    failed_ = false;
    return bad ? path_ + ": write failed" : std::string{};
}

std::string read_pcap(const std::string& path, const std::function<void(const pcap_record&)>& fn) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        return path + ": " + std::strerror(errno);
    }
    std::uint8_t h[24];
    if (std::fread(h, 1, sizeof h, f.get()) != sizeof h) {
        return path + ": not a pcap file (short header)";
    }
    const std::uint32_t m = get32(h, false);
    bool swap = false;
    bool ns = false;
    if (m == magic_us || m == magic_ns) {
        ns = m == magic_ns;
    } else if (get32(h, true) == magic_us || get32(h, true) == magic_ns) {
        swap = true;
        ns = get32(h, true) == magic_ns;
    } else {
        return path + ": not a pcap file (magic)";
    }
    std::vector<std::uint8_t> buf;
    for (;;) {
        std::uint8_t r[16];
        const std::size_t got = std::fread(r, 1, sizeof r, f.get());
        if (got == 0) {
            break;
        }
        if (got != sizeof r) {
            return path + ": truncated record header";
        }
        const std::uint32_t sec = get32(r, swap);
        const std::uint32_t frac = get32(r + 4, swap);
        const std::uint32_t caplen = get32(r + 8, swap);
        const std::uint32_t len = get32(r + 12, swap);
        if (caplen > 262144) {
            return path + ": record too large";
        }
        buf.resize(caplen);
        if (std::fread(buf.data(), 1, caplen, f.get()) != caplen) {
            return path + ": truncated record";
        }
        pcap_record rec;
        rec.time_ns =
            std::int64_t{sec} * 1000000000 + (ns ? std::int64_t{frac} : std::int64_t{frac} * 1000);
        rec.data = buf;
        rec.orig_len = len;
        fn(rec);
    }
    return {};
}

} // namespace vipgate::bench
