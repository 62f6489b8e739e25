// frame_tag: the metadata a worker attaches to a punted or handed-off frame
// survives its trip through the mbuf's 32-bit field unchanged.

#include <gtest/gtest.h>

#include <cstdint>

#include "dataplane/frame_tag.hpp"

namespace vipgate::dataplane {
namespace {

using pipeline::punt_kind;

TEST(FrameTag, PackUnpackRoundTripsEveryField) {
    const punt_kind kinds[] = {punt_kind::none, punt_kind::arp, punt_kind::vrrp, punt_kind::probe};
    const std::uint16_t ports[] = {0, 1, 7, 255, 256, 0x8001, 0xffff};
    const std::uint8_t slots[] = {0, 1, 3, 0x80, 0xfe, pipeline::no_vrrp_slot};
    for (const punt_kind k : kinds) {
        for (const std::uint16_t p : ports) {
            for (const std::uint8_t s : slots) {
                const frame_tag t{.port = p, .kind = k, .slot = s};
                const frame_tag back = unpack(pack(t));
                EXPECT_EQ(back.port, p);
                EXPECT_EQ(back.kind, k);
                EXPECT_EQ(back.slot, s);
            }
        }
    }
}

TEST(FrameTag, FieldsDoNotOverlap) {
    // One field at its maximum leaves the others at zero.
    EXPECT_EQ(unpack(pack({.port = 0xffff, .kind = punt_kind::none, .slot = 0})),
              (frame_tag{.port = 0xffff, .kind = punt_kind::none, .slot = 0}));
    EXPECT_EQ(unpack(pack({.port = 0, .kind = punt_kind::none, .slot = 0xff})),
              (frame_tag{.port = 0, .kind = punt_kind::none, .slot = 0xff}));
    EXPECT_EQ(unpack(pack({.port = 0, .kind = punt_kind::probe, .slot = 0})),
              (frame_tag{.port = 0, .kind = punt_kind::probe, .slot = 0}));
}

TEST(FrameTag, HandOffTagIsTheArrivalPortAlone) {
    // What the worker writes for a hand-off: only the port, kind none.
    const frame_tag t{.port = 3};
    EXPECT_EQ(t.kind, punt_kind::none);
    EXPECT_EQ(unpack(pack(t)).port, 3);
    EXPECT_EQ(unpack(pack(t)).kind, punt_kind::none);
}

static_assert(unpack(pack({.port = 2, .kind = punt_kind::vrrp, .slot = 9})) ==
              frame_tag{.port = 2, .kind = punt_kind::vrrp, .slot = 9});

} // namespace
} // namespace vipgate::dataplane
