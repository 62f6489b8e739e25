#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vipgate::app {

namespace {

std::string sanitize(const std::string& s) {
    std::string out;
    for (char c : s) {
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
                   ? c
                   : '_';
    }
    return out;
}

std::string kv(const std::string& device, const std::string& key) {
    std::size_t pos = device.find(',');
    while (pos != std::string::npos) {
        std::size_t end = device.find(',', pos + 1);
        std::string item =
            device.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
        if (item.rfind(key + "=", 0) == 0) {
            return item.substr(key.size() + 1);
        }
        pos = end;
    }
    return {};
}

} // namespace

std::string file_prefix_of(const std::vector<std::string>& eal_args) {
    for (std::size_t i = 0; i < eal_args.size(); ++i) {
        const auto& a = eal_args[i];
        if (a == "--file-prefix" && i + 1 < eal_args.size()) {
            return eal_args[i + 1];
        }
        if (a.rfind("--file-prefix=", 0) == 0) {
            return a.substr(14);
        }
    }
    return "rte";
}

std::vector<std::string> instance_locks::keys(const config::config& cfg,
                                              const std::string& file_prefix) {
    std::vector<std::string> out;
    for (const auto& p : cfg.ports) {
        if (p.is_pci) {
            out.push_back("pci-" + sanitize(p.device.substr(0, p.device.find(','))));
            continue;
        }
        // Kernel interfaces (af_packet, af_xdp): two processes on one
        // interface would both answer ARP and fight over the VIPs.
        // Interface names are per network namespace: the key carries the
        // namespace's inode too.
        std::string iface = kv(p.device, "iface");
        if (!iface.empty()) {
            struct stat st {};
            std::string ns =
                ::stat("/proc/self/ns/net", &st) == 0 ? std::to_string(st.st_ino) : "0";
            out.push_back("iface-" + sanitize(iface) + "@netns" + ns);
        }
    }
    out.push_back("prefix-" + sanitize(file_prefix));
    return out;
}

result<void> instance_locks::acquire(const config::config& cfg, const std::string& file_prefix,
                                     const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return make_error("cannot create " + dir + ": " + ec.message());
    }
    for (const auto& k : keys(cfg, file_prefix)) {
        std::string path = dir + "/" + k + ".lock";
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            return make_error("cannot open " + path + ": " + std::strerror(errno));
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            char buf[32] = {};
            ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
            std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
            while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
                holder.pop_back();
            }
            ::close(fd);
            std::string what;
            if (k.rfind("prefix-", 0) == 0) {
                what = "EAL file prefix '" + file_prefix + "' (give another --file-prefix)";
            } else if (k.rfind("pci-", 0) == 0) {
                what = "PCI device " + k.substr(4);
            } else {
                what = "interface " + k.substr(6, k.find('@') - 6);
            }
            return make_error(what + " is in use by another vipgate (pid " + holder + ", lock " +
                              path + ")");
        }
        std::string pid = std::to_string(::getpid()) + "\n";
        [[maybe_unused]] int r = ::ftruncate(fd, 0);
        [[maybe_unused]] ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
        fds_.push_back(fd);
    }
    return {};
}

instance_locks::~instance_locks() {
    for (int fd : fds_) {
        ::close(fd);
    }
}

} // namespace vipgate::app
