#pragma once
// keepalived's track_file (vrrp_track_file) for VRRP instances
// (keepalived.conf(5), "track_file"; 2.2.7 trackers/track_file.c
// process_track_file(), update_track_file_status(),
// process_update_vrrp_track_file_status() and vrrp_track.c
// initialise_vrrp_file_tracking_priorities()): the file holds a number;
// each tracking instance turns it into a priority delta or FAULT.
//
// Control path only. read_track_file() does one small non-blocking read;
// the rest is pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exec/tracker.hpp"

namespace vipgate::exec {

// keepalived reads at most 127 bytes of the file.
inline constexpr std::size_t track_file_read_max = 127;

// The value of the file's text, as keepalived's strtol(buf, NULL, 0):
// leading blanks, a sign, then decimal, 0x hex or 0 octal digits, anything
// after them ignored; no digits at all (an empty file too) is 0. nullopt
// (keepalived: "Invalid number ... - ignoring", the last value stays) when
// the number overflows or is outside INT32_MIN..INT32_MAX+1.
std::optional<std::int64_t> parse_track_file(std::string_view text);

// Reads the file (open O_RDONLY|O_NONBLOCK, one read of up to 127 bytes):
// its text, or "" when it cannot be opened or read (keepalived: a missing
// or unreadable file reads as 0; so is a deleted one).
std::string read_track_file(const std::string& path);

// What value `v` does to one tracking instance, keepalived's rule:
// * weight 0: FAULT while v is non-zero (reverse: while v is 0);
// * otherwise s = v * weight (* -1 with reverse); s <= -254 is FAULT, else
//   the priority moves by s, at most +253 (the effective priority is then
//   kept in 1..254 by lib/vrrp, as for scripts).
track_effect file_effect(std::int64_t v, int weight, bool reverse) noexcept;

// init_file [VALUE] [overwrite] (track_file.c track_file_end_handler()):
// writes "VALUE\n" when the file does not exist, or with `overwrite` when
// it is a regular file (never on a reload). Returns an error message, or
// "" when done or nothing had to be done.
std::string init_track_file(const std::string& path, std::int64_t value, bool overwrite,
                            bool reload);

} // namespace vipgate::exec
