// libFuzzer harness: the YAML configuration loader, config::load_string()
// (yaml-cpp underneath, then vipgate's schema and validation).
//
// Any text must give a config or an error, never a crash, a hang or an
// exception out of load_string(). An accepted config must also pass the
// checks of config_invariants.hpp (what the control core relies on later),
// and an error must say something.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "config_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto r = vipgate::config::load_string(text, "fuzz.yaml");
    // FUZZ_VERBOSE=1: say what became of the input (checking seeds).
    static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        std::fprintf(stderr, "%s\n", r.ok() ? "accepted" : r.message().c_str());
    }
    if (!r.ok()) {
        if (r.message().empty()) {
            vipgate::fuzz::config_fail("fuzz_config_yaml", "rejected with an empty message");
        }
        return 0;
    }
    vipgate::fuzz::check_accepted_config("fuzz_config_yaml", r.value());
    return 0;
}
