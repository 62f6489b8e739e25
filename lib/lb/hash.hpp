#pragma once
// Hash functions of the load-balancing core.
//
// Two families, on purpose:
//  * table hashes (flow and template tables) take a per-table seed, so a
//    worker's bucket layout cannot be predicted from outside (IPVS seeds its
//    connection hash with a random ip_vs_conn_rnd for the same reason);
//  * scheduler hashes (sh, mh) are fixed functions of the addresses, so every
//    worker and every node with the same configuration computes the same
//    answer: a backup that takes over makes the same Maglev choice as the old
//    master. (The flow owner, owner.hpp, is fixed too, but no hash: the low
//    bits of the client port or address, so that a NIC can steer by it.)

#include <cstdint>

namespace vipgate::lb {

// MurmurHash3's 64-bit finalizer (fmix64): full avalanche, a few cycles.
constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// Two 64-bit words and a seed.
constexpr std::uint64_t hash_words(std::uint64_t a, std::uint64_t b, std::uint64_t seed) noexcept {
    return fmix64(fmix64(a ^ seed) ^ (b + 0x9e3779b97f4a7c15ULL));
}

// The kernel's hash_32() (include/linux/hash.h), which IPVS sh uses to pick
// one of its 2^bits buckets: multiply by GOLDEN_RATIO_32, keep the top bits.
constexpr std::uint32_t hash_32(std::uint32_t v, unsigned bits) noexcept {
    return static_cast<std::uint32_t>(v * 0x61C88647u) >> (32u - bits);
}

// Maps a 32-bit hash onto [0, n) without a division (Lemire's multiply-shift).
constexpr std::uint32_t reduce(std::uint32_t h, std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>((std::uint64_t{h} * n) >> 32);
}

} // namespace vipgate::lb
