// libFuzzer harness: the sync message decoder, sync::decode(), and a fresh
// session's on_message() (lib/sync, docs/ha.md).
//
// Input: [options:1] then the UDP payload.
//   options bit 0: the receiver has the key "vipgate-fuzz-key" (HMAC
//   trailer required and checked); bit 1: also hand the message to a
//   session (node 2, sync id 51) and run its timer.
//
// Checks beyond the sanitizers: the reason is in the table; an accepted
// message's records are exactly `count`, each inside the message; encoding
// the decoded header and records again gives the same bytes (the format
// has one encoding per message: reserved bytes must be zero).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sync/codec.hpp"
#include "sync/session.hpp"

namespace {

using namespace vipgate;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_sync_decode: invariant violated: %s\n", what);
    std::abort();
}

constexpr std::uint8_t key_bytes[] = {'v', 'i', 'p', 'g', 'a', 't', 'e', '-',
                                      'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::uint8_t opt = data[0];
    const std::span<const std::uint8_t> key =
        (opt & 1) != 0 ? std::span<const std::uint8_t>(key_bytes) : std::span<const std::uint8_t>();
    // An exact-size heap copy: ASan sees any read past the message.
    const std::vector<std::uint8_t> msg(data + 1, data + size);

    sync::decoded d;
    const sync::reason r = sync::decode(msg, sync::decode_options{key}, d);
    if (static_cast<std::size_t>(r) >= sync::reason_count) {
        fail("decode returned a reason outside the table");
    }
    if (r == sync::reason::none) {
        if (d.records.data() < msg.data() ||
            d.records.data() + d.records.size() > msg.data() + msg.size()) {
            fail("records span outside the message");
        }
        std::vector<sync::record> recs;
        sync::record_reader rd(d);
        sync::record rec;
        while (rd.next(rec)) {
            recs.push_back(rec);
        }
        if (recs.size() != d.hdr.count) {
            fail("record count differs from the header");
        }
        std::vector<std::uint8_t> again(msg.size() + sync::hmac_size);
        sync::encoder enc(again, again.size(), key);
        for (const auto& x : recs) {
            if (!enc.add(x)) {
                fail("a decoded record does not fit again");
            }
        }
        again.resize(enc.finish(d.hdr));
        if (again != msg) {
            fail("encode(decode(x)) != x");
        }
    }

    if ((opt & 2) != 0) {
        sync::session_config cfg;
        cfg.node = 2;
        cfg.sync_id = 51;
        cfg.epoch = 1;
        cfg.key.assign(key.begin(), key.end());
        auto s = sync::session::make(cfg);
        if (!s.ok()) {
            fail("session config refused");
        }
        std::vector<sync::action> out;
        const sync::time_point t0{sync::milliseconds{1000}};
        s->on_message(t0, msg, out);
        s->on_message(t0, msg, out); // the same again: a duplicate at most
        s->on_timer(t0 + sync::milliseconds{10}, out);
        for (const auto& a : out) {
            if (const auto* m = std::get_if<sync::send_message>(&a)) {
                sync::decoded back;
                if (sync::decode(m->bytes, sync::decode_options{key}, back) != sync::reason::none) {
                    fail("the session sent a message its own decoder refuses");
                }
            }
        }
    }
    return 0;
}
