#pragma once
// What a worker attaches to a frame it passes on without transmitting it:
// to the control core (punt ring) or to the worker that owns its flow
// (hand-off ring). One typed pack/unpack, used on both sides of each ring.
//
// Carried in the mbuf's 32-bit hash.usr rather than a registered mbuf
// dynfield (grout's way): 32 bits hold all of it, hash.usr is ours once
// the frame left the pipeline (nothing reads the NIC's RSS hash after RX),
// and a dynfield would need registering at start and an offset load per
// access for no gain. Pure (no rte_*.h) so the round trip is unit-tested;
// worker_ctx.hpp reads and writes the field.

#include <cstdint>

#include "pipeline/pipeline.hpp"

namespace vipgate::dataplane {

struct frame_tag {
    // The vipgate port index the frame arrived on: the punt's port, or the
    // port a handed-off frame is processed as received on.
    std::uint16_t port = 0;
    // Punt: what the pipeline punted it as (never none). Hand-off: none.
    pipeline::punt_kind kind = pipeline::punt_kind::none;
    // punt_kind::vrrp: the instance's counter row (pipeline::verdict::slot).
    std::uint8_t slot = pipeline::no_vrrp_slot;

    friend bool operator==(const frame_tag&, const frame_tag&) = default;
};

// port << 16 | slot << 8 | kind.
constexpr std::uint32_t pack(const frame_tag& t) noexcept {
    return (std::uint32_t{t.port} << 16) | (std::uint32_t{t.slot} << 8) |
           static_cast<std::uint32_t>(t.kind);
}

constexpr frame_tag unpack(std::uint32_t v) noexcept {
    frame_tag t;
    t.port = static_cast<std::uint16_t>(v >> 16);
    t.slot = static_cast<std::uint8_t>(v >> 8);
    t.kind = static_cast<pipeline::punt_kind>(v & 0xffu);
    return t;
}

} // namespace vipgate::dataplane
