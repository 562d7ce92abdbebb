// A VM node as the core sees it: capacity, what is allocated, labels, state, and the keys of the
// jobs it runs (for affinity and anti-affinity).
#ifndef SPILLWAY_SCHEDULER_MODEL_NODE_H_
#define SPILLWAY_SCHEDULER_MODEL_NODE_H_

#include <map>
#include <set>
#include <string>

#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

struct NodeInfo {
  std::string id;
  Resources capacity;
  Resources allocated;
  std::map<std::string, std::string> labels;
  spillway::v1::NodeState state = spillway::v1::NODE_STATE_READY;
  std::set<std::string> tasks;                  // "job_id#attempt" of the attempts placed here.
  std::map<std::string, int> affinity_keys;     // key -> number of tasks carrying it.
  std::map<std::string, int> anti_affinity_keys;

  Resources Free() const { return capacity - allocated; }
  bool Schedulable() const { return state == spillway::v1::NODE_STATE_READY; }
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_NODE_H_
