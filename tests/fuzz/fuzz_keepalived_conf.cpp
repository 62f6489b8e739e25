// libFuzzer harness: the keepalived.conf importer, config::import_keepalived()
// (the grammar of keepalived's lib/parser.c, then the keywords), on top of a
// fixed YAML base with the two ports ext0 (192.168.44.2/24) and int0
// (172.18.0.2/24) of conf/keepalived-example.yaml.
//
// import_keepalived() reads a path (includes are resolved against the
// including file's directory), so each input is written to a file in a
// private temporary directory made once per fuzzer process and removed at
// exit. Includes that name other files of that directory or absolute paths
// are read as they would be by vipgate; a relative include of the input
// itself is an include cycle, which the importer reports.
//
// Checks: no crash or exception; an error says something; an accepted
// config passes config_invariants.hpp.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config.hpp"
#include "config/keepalived.hpp"
#include "config_invariants.hpp"

namespace {

using namespace vipgate;

struct scratch {
    std::string dir;
    std::string path;
    config::config base;

    scratch() {
        char tmpl[] = "/tmp/vipgate-fuzz-keepalived-XXXXXX";
        const char* d = mkdtemp(tmpl);
        if (d == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        dir = d;
        path = dir + "/keepalived.conf";
        // The ports of conf/keepalived-example.yaml, which the seeds use.
        auto b =
            config::load_string("ports:\n"
                                "  - {name: ext0, device: net_ring0, address: 192.168.44.2/24,"
                                " gateway: 192.168.44.1}\n"
                                "  - {name: int0, device: net_ring1, address: 172.18.0.2/24}\n",
                                "base.yaml");
        if (!b.ok()) {
            std::fprintf(stderr, "base config: %s\n", b.message().c_str());
            std::abort();
        }
        base = std::move(b).value();
    }
    ~scratch() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

scratch& s() {
    static scratch sc;
    return sc;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    scratch& sc = s();
    std::FILE* f = std::fopen(sc.path.c_str(), "wb");
    if (f == nullptr) {
        std::perror("fopen");
        std::abort();
    }
    if (size != 0 && std::fwrite(data, 1, size, f) != size) {
        std::perror("fwrite");
        std::abort();
    }
    std::fclose(f);
    auto r = config::import_keepalived(sc.path, sc.base);
    // FUZZ_VERBOSE=1: say what became of the input (checking seeds).
    static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        std::fprintf(stderr, "%s\n", r.ok() ? "accepted" : r.message().c_str());
    }
    if (!r.ok()) {
        if (r.message().empty()) {
            fuzz::config_fail("fuzz_keepalived_conf", "rejected with an empty message");
        }
        return 0;
    }
    fuzz::check_accepted_config("fuzz_keepalived_conf", r.value());
    return 0;
}
