// A SimGrid platform file named by a scenario (network.platform_file), read as untrusted input.
//
// SimGrid's own reader obeys everything a platform file may say: a <config> block sets engine
// options (tracing/filename writes any file, network/latency-factor changes every result), <include>
// and the *_file attributes read other files, <trace> adds availability profiles, and a file whose
// name ends in .so is loaded as a shared library (dlopen: its code runs). None of that is for a
// shared scenario to decide. So shsim reads the file itself, against an allow-list of what its
// runs use, and hands SimGrid only a canonical copy it wrote, never the file:
//
//   platform  version (4 or 4.1)
//   zone      id, routing (Full, Floyd, Dijkstra, DijkstraCache, None, Vivaldi, Cluster)
//   host      id, speed (flops; a comma list of power states), core, coordinates
//   router    id, coordinates
//   link      id, bandwidth, latency, sharing_policy (SHARED, SPLITDUPLEX, FATPIPE)
//   route     src, dst, symmetrical            (children: link_ctn)
//   zoneRoute src, dst, gw_src, gw_dst, symmetrical   (children: link_ctn)
//   link_ctn  id, direction (UP, DOWN, NONE)
//   cluster   id, prefix, suffix, radical, speed, core, bw, lat, sharing_policy, topology,
//             topo_parameters, router_id, loopback_bw, loopback_lat, limiter_link, bb_bw, bb_lat,
//             bb_sharing_policy
//   backbone  id, bandwidth, latency
//   host_link id, up, down
//
// Everything else is refused with file:line:column: another element (<config>, <prop>, <include>,
// <trace>, <trace_connect>, <disk>, <actor>, ...), another attribute (every *_file among them), a
// name with other characters than letters, digits, '.', '_', '-' and ':', a quantity without a
// known unit or out of bounds (a latency above an hour, a bandwidth or speed of 0), text between
// elements, a DOCTYPE with an internal subset, entity declarations and processing instructions.
// The canonical copy keeps every element on its original line, so that SimGrid's own messages
// (an unknown host in a route, say) point at the user's file.
#pragma once

#include <string>

namespace shsim {

/// Reads platform file `text` (from `file`, which names it in errors) and returns the canonical
/// copy that SimGrid may load. Throws InputError "file:line:column: element.attribute: reason".
std::string sanitize_platform_file(const std::string& text, const std::string& file);

}  // namespace shsim
