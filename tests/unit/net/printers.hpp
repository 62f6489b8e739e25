#pragma once
// gtest printers so failures show "192.168.44.44" and "ipv4_bad_checksum"
// instead of raw bytes. Found by ADL.

#include <ostream>

#include "net/types.hpp"
#include "pipeline/drop_reason.hpp"

namespace vipgate::net {
inline void PrintTo(const mac_addr& m, std::ostream* os) {
    *os << m.to_string();
}
inline void PrintTo(const ipv4_addr& a, std::ostream* os) {
    *os << a.to_string();
}
inline void PrintTo(const ipv4_prefix& p, std::ostream* os) {
    *os << p.to_string();
}
} // namespace vipgate::net

namespace vipgate::pipeline {
inline void PrintTo(drop_reason r, std::ostream* os) {
    *os << drop_reason_name(r);
}
} // namespace vipgate::pipeline
