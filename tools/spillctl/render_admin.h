// Human-readable views of the cluster, nodes and the burst policy.
#ifndef SPILLWAY_TOOLS_SPILLCTL_RENDER_ADMIN_H_
#define SPILLWAY_TOOLS_SPILLCTL_RENDER_ADMIN_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"

namespace spillway::spillctl {

// Nodes, ACI instances, the queue by reason, spend and burst status.
std::string RenderCluster(const v1::GetClusterResponse& cluster,
                          absl::Time now);

// One node as a one-row table (what cordon/uncordon/drain print).
std::string RenderNode(const v1::Node& node);

// Every policy field with its value, then the change history.
std::string RenderPolicy(const v1::GetPolicyResponse& response);

// The outcome of `policy set`: the version change and the diff lines.
std::string RenderPolicyUpdate(int64_t old_version,
                               const v1::UpdatePolicyResponse& response,
                               const std::vector<std::string>& diff);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_RENDER_ADMIN_H_
