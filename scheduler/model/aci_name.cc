#include "scheduler/model/aci_name.h"

#include "absl/strings/str_cat.h"

namespace spillway {

std::string SanitizeAciName(absl::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string AciGroupName(absl::string_view cluster, absl::string_view job_id, int attempt) {
  const std::string tail = SanitizeAciName(absl::StrCat(job_id, "-a", attempt));
  std::string head = SanitizeAciName(absl::StrCat("sw-", cluster));
  const size_t room = 63 - std::min<size_t>(62, tail.size()) - 1;
  if (head.size() > room) head.resize(room);
  while (!head.empty() && head.back() == '-') head.pop_back();
  std::string name = head.empty() ? tail : absl::StrCat(head, "-", tail);
  if (name.size() > 63) name = name.substr(name.size() - 63);
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  return name;
}

}  // namespace spillway
