#include "lb/maglev.hpp"

#include <algorithm>
#include <bit>
#include <numeric>

#include "lb/hash.hpp"

namespace vipgate::lb {

namespace {

// Fixed seeds: the table must be the same on every node (see header).
constexpr std::uint64_t offset_seed = 0x6d61676c65763031ULL; // "maglev01"
constexpr std::uint64_t skip_seed = 0x6d61676c65763032ULL;   // "maglev02"
constexpr std::uint64_t lookup_seed = 0x6d61676c65763033ULL; // "maglev03"
// ip_vs_mh.c IP_VS_MH_TAB_BITS with the default CONFIG_IP_VS_MH_TAB_INDEX 12.
constexpr int turns_bits = 6;

std::uint64_t backend_word(const maglev_backend& b) noexcept {
    return (std::uint64_t{b.address.value} << 16) | b.port;
}

} // namespace

void build_maglev_table(std::span<const maglev_backend> backends, std::span<std::uint16_t> table) {
    const std::uint32_t m = maglev_table_size;
    std::fill(table.begin(), table.end(), maglev_empty);
    if (table.size() < m) {
        return;
    }

    struct setup {
        std::uint32_t offset;
        std::uint32_t skip;
        std::uint32_t perm; // this backend's current position in its permutation
        std::uint32_t turns;
        std::uint16_t index; // into `backends`
    };
    std::vector<setup> s;
    std::uint32_t g = 0;
    std::uint32_t max_w = 0;
    for (std::size_t i = 0; i < backends.size() && i < maglev_empty; ++i) {
        const auto w = backends[i].weight;
        if (w == 0) {
            continue;
        }
        g = std::gcd(g, w);
        max_w = std::max(max_w, w);
        const std::uint64_t word = backend_word(backends[i]);
        // offset <- h1(name) mod M, skip <- h2(name) mod (M - 1) + 1 (NSDI'16 §3.4).
        s.push_back({static_cast<std::uint32_t>(hash_words(word, 0, offset_seed) % m),
                     static_cast<std::uint32_t>(hash_words(word, 0, skip_seed) % (m - 1) + 1), 0, w,
                     static_cast<std::uint16_t>(i)});
        s.back().perm = s.back().offset;
    }
    if (s.empty()) {
        return;
    }
    // Order-independent: population order breaks ties between backends that
    // want the same slot, so fix it by the backends' identity.
    std::sort(s.begin(), s.end(), [&](const setup& a, const setup& b) {
        return backend_word(backends[a.index]) < backend_word(backends[b.index]);
    });
    // ip_vs_mh_shift_weight(): turns = (w / gcd) >> shift, at least 1.
    const int shift = std::max(0, static_cast<int>(std::bit_width(max_w / g)) - turns_bits);
    for (auto& e : s) {
        e.turns = std::max<std::uint32_t>(1, (e.turns / g) >> shift);
    }

    std::uint32_t filled = 0;
    for (;;) {
        for (auto& e : s) {
            for (std::uint32_t t = 0; t < e.turns; ++t) {
                // permutation[i][j] = (offset + j * skip) mod M, walked
                // incrementally; take the next preferred slot still empty.
                while (table[e.perm] != maglev_empty) {
                    e.perm += e.skip;
                    if (e.perm >= m) {
                        e.perm -= m;
                    }
                }
                table[e.perm] = e.index;
                if (++filled == m) {
                    return;
                }
            }
        }
    }
}

std::uint32_t maglev_slot(net::ipv4_addr client, std::uint16_t client_port) noexcept {
    return static_cast<std::uint32_t>(hash_words(client.value, client_port, lookup_seed) %
                                      maglev_table_size);
}

} // namespace vipgate::lb
