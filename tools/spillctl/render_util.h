// Small formatting helpers shared by the renderers.
#ifndef SPILLWAY_TOOLS_SPILLCTL_RENDER_UTIL_H_
#define SPILLWAY_TOOLS_SPILLCTL_RENDER_UTIL_H_

#include <string>

#include "google/protobuf/map.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace spillway::spillctl {

// "a=1,b=2" sorted by key; "-" when empty.
std::string FormatStringMap(
    const google::protobuf::Map<std::string, std::string>& map);

// "a,b,c"; "-" when empty. With max_items > 0, the rest is summarized: "a,b,c
// +4".
std::string FormatList(
    const google::protobuf::RepeatedPtrField<std::string>& items,
    int max_items = 0);

// The node or container group a job or attempt is on; "-" for neither.
std::string Where(const std::string& node_id, const std::string& aci_group);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_RENDER_UTIL_H_
