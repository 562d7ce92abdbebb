#include "tools/spillctl/render_util.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/spillctl/table.h"

namespace spillway::spillctl {

std::string FormatStringMap(
    const google::protobuf::Map<std::string, std::string>& map) {
  if (map.empty()) return kNone;
  std::vector<std::pair<std::string, std::string>> sorted(map.begin(),
                                                          map.end());
  std::sort(sorted.begin(), sorted.end());
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

std::string FormatList(
    const google::protobuf::RepeatedPtrField<std::string>& items,
    int max_items) {
  if (items.empty()) return kNone;
  if (max_items <= 0 || items.size() <= max_items)
    return absl::StrJoin(items, ",");
  return absl::StrCat(
      absl::StrJoin(items.begin(), items.begin() + max_items, ","), " +",
      items.size() - max_items);
}

std::string Where(const std::string& node_id, const std::string& aci_group) {
  if (!node_id.empty()) return node_id;
  return OrNone(aci_group);
}

}  // namespace spillway::spillctl
