// PNG plots through gnuplot (Debian's gnuplot-nox): the data files and the script are written to
// `dir` first, so they can be re-plotted by hand (`gnuplot DIR/plots.gp`).
//
//   queue_depth.png, vm_utilization.png, aci_groups.png, aci_spend.png: one line per policy over
//   simulated hours; frontier.png (when sweep points are given): ACI spend against wait-budget
//   violations, one line per strategy, one point per knob value.
#ifndef SPILLWAY_SIM_PLOTS_H_
#define SPILLWAY_SIM_PLOTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sim/simulation.h"

namespace spillway {
namespace sim {

struct FrontierPoint {
  std::string series;  // e.g. "cost-aware"
  std::string knob;    // e.g. "default_max_wait=30s"
  double aci_spend_usd = 0;
  int64_t violations = 0;
};

// Writes <name>.dat per run, frontier.dat, plots.gp; then runs gnuplot. FAILED_PRECONDITION when
// gnuplot is missing or fails (the data files are still written).
absl::Status WritePlots(const std::string& dir, const std::vector<std::string>& names,
                        const std::vector<SimResult>& results,
                        const std::vector<FrontierPoint>& frontier);

absl::Status WriteFile(const std::string& path, const std::string& text);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_PLOTS_H_
