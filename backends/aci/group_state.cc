#include "backends/aci/group_state.h"

#include "absl/strings/str_cat.h"
#include "backends/aci/json_util.h"

namespace spillway {
namespace {

void NoteWarnings(const nlohmann::json* events, std::string* last_warning) {
  if (events == nullptr) return;
  for (const nlohmann::json& event : *events) {
    if (JsonString(event, "type") == "Warning") {
      const std::string name = JsonString(event, "name");
      const std::string message = JsonString(event, "message");
      *last_warning = name.empty() ? message : absl::StrCat(name, ": ", message);
    }
  }
}

}  // namespace

absl::Time ParseArmTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InfinitePast();
  }
  return time;
}

GroupView ParseGroupView(const nlohmann::json& group, const std::string& container) {
  GroupView view;
  view.name = JsonString(group, "name");
  if (const nlohmann::json* tags = JsonObject(group, "tags")) {
    for (auto it = tags->begin(); it != tags->end(); ++it) {
      if (it.value().is_string()) view.tags[it.key()] = it.value().get<std::string>();
    }
  }
  const nlohmann::json* props = JsonObject(group, "properties");
  if (props == nullptr) return view;
  view.provisioning_state = JsonString(*props, "provisioningState");
  if (const nlohmann::json* iv = JsonObject(*props, "instanceView")) {
    view.instance_state = JsonString(*iv, "state");
    NoteWarnings(JsonArray(*iv, "events"), &view.last_warning);
  }
  const nlohmann::json* containers = JsonArray(*props, "containers");
  if (containers == nullptr) return view;
  for (const nlohmann::json& c : *containers) {
    if (JsonString(c, "name") != container && containers->size() > 1) continue;
    const nlohmann::json* cprops = JsonObject(c, "properties");
    const nlohmann::json* iv = cprops ? JsonObject(*cprops, "instanceView") : nullptr;
    if (iv == nullptr) break;
    NoteWarnings(JsonArray(*iv, "events"), &view.last_warning);
    if (const nlohmann::json* current = JsonObject(*iv, "currentState")) {
      view.container_state = JsonString(*current, "state");
      view.detail_status = JsonString(*current, "detailStatus");
      int64_t code = 0;
      if (JsonInt(*current, "exitCode", &code)) {
        view.has_exit_code = true;
        view.exit_code = static_cast<int>(code);
      }
      view.start_time = ParseArmTime(JsonString(*current, "startTime"));
      view.finish_time = ParseArmTime(JsonString(*current, "finishTime"));
    }
    break;
  }
  return view;
}

GroupVerdict MapGroupState(const GroupView& view) {
  GroupVerdict verdict;
  if (view.provisioning_state == "Failed") {
    verdict.kind = GroupVerdict::Kind::kFailed;
    verdict.reason = view.last_warning.empty()
                         ? "ProvisioningFailed: container group provisioning failed"
                         : view.last_warning;
    return verdict;
  }
  if (view.container_state == "Terminated") {
    verdict.kind = GroupVerdict::Kind::kExited;
    verdict.exit_code = view.has_exit_code ? view.exit_code : -1;
    verdict.reason = absl::StrCat("exited with code ", verdict.exit_code,
                                  view.detail_status.empty() ? "" : " (",
                                  view.detail_status, view.detail_status.empty() ? "" : ")");
    return verdict;
  }
  if (view.container_state == "Running" || view.instance_state == "Running") {
    verdict.kind = GroupVerdict::Kind::kRunning;
    return verdict;
  }
  if (view.instance_state == "Stopped") {
    verdict.kind = GroupVerdict::Kind::kFailed;
    verdict.reason = "ContainerGroupStopped: the container group was stopped";
    return verdict;
  }
  return verdict;
}

}  // namespace spillway
