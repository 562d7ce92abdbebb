#include "sim/plots.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace spillway {
namespace sim {
namespace {

std::string Quote(const std::string& s) { return absl::StrCat("'", s, "'"); }

std::string TimePlot(const std::string& png, const std::string& title, const std::string& ylabel,
                     int column, const std::vector<std::string>& names) {
  std::vector<std::string> lines;
  for (const std::string& n : names) {
    lines.push_back(
        absl::StrCat(Quote(n + ".dat"), " using 1:", column, " with lines title ", Quote(n)));
  }
  return absl::StrCat("set output ", Quote(png), "\nset title ", Quote(title), "\nset ylabel ",
                      Quote(ylabel), "\nplot ", absl::StrJoin(lines, ", \\\n     "), "\n");
}

}  // namespace

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WritePlots(const std::string& dir, const std::vector<std::string>& names,
                        const std::vector<SimResult>& results,
                        const std::vector<FrontierPoint>& frontier) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string data = "# hours queue_depth vm_cpu_utilization_pct aci_groups aci_spend_usd\n";
    for (const Sample& s : results[i].samples) {
      absl::StrAppendFormat(&data, "%.4f %d %.2f %d %.4f\n", absl::ToDoubleHours(s.at),
                            s.queue_depth, 100 * s.vm_cpu_utilization, s.aci_groups,
                            static_cast<double>(s.aci_spend_micro_usd) / 1e6);
    }
    if (absl::Status s = WriteFile(absl::StrCat(dir, "/", names[i], ".dat"), data); !s.ok()) {
      return s;
    }
  }
  std::string script =
      "set terminal pngcairo size 900,420 font 'sans,10'\n"
      "set key outside right\nset grid\nset xlabel 'simulated hours'\n";
  absl::StrAppend(&script, TimePlot("queue_depth.png", "Queue depth", "queued jobs", 2, names),
                  TimePlot("vm_utilization.png", "VM pool cpu allocated", "%", 3, names),
                  TimePlot("aci_groups.png", "Live ACI container groups", "groups", 4, names),
                  TimePlot("aci_spend.png", "Cumulative ACI spend", "USD", 5, names));
  if (!frontier.empty()) {
    std::map<std::string, std::string> by_series;
    for (const FrontierPoint& p : frontier) {
      absl::StrAppendFormat(&by_series[p.series], "%d %.4f \"%s\"\n", p.violations, p.aci_spend_usd,
                            p.knob);
    }
    std::vector<std::string> plots;
    for (const auto& [series, data] : by_series) {
      const std::string file = absl::StrCat("frontier-", series, ".dat");
      if (absl::Status s = WriteFile(absl::StrCat(dir, "/", file), data); !s.ok()) return s;
      plots.push_back(absl::StrCat(Quote(file), " using 1:2 with linespoints title ", Quote(series),
                                   ", ", Quote(file),
                                   " using 1:2:3 with labels offset 0,1 font ',7' notitle"));
    }
    absl::StrAppend(&script,
                    "set output 'frontier.png'\nset title 'ACI spend vs wait-budget violations "
                    "(knob swept)'\nset xlabel 'violations (jobs)'\nset ylabel 'ACI spend (USD)'\n"
                    "plot ",
                    absl::StrJoin(plots, ", \\\n     "), "\n");
  }
  if (absl::Status s = WriteFile(absl::StrCat(dir, "/plots.gp"), script); !s.ok()) return s;
  const std::string command =
      absl::StrCat("cd '", dir, "' && gnuplot plots.gp > /dev/null 2> gnuplot.log");
  if (std::system(command.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("gnuplot failed or is missing (apt-get install gnuplot-nox); see ", dir,
                     "/gnuplot.log; data and plots.gp are written"));
  }
  return absl::OkStatus();
}

}  // namespace sim
}  // namespace spillway
