// Serves /metrics (Prometheus text format) with prometheus-cpp's exposer. prometheus-cpp reports
// bind failures by throwing: this is the one place that catches, and turns them into a Status.
#ifndef SPILLWAY_METRICS_METRICS_SERVER_H_
#define SPILLWAY_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace spillway {

class MetricsServer {
 public:
  // Listens on `address` ("127.0.0.1:9464"; port 0 picks one) and serves `registry`.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);

  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port)
      : exposer_(std::move(exposer)), port_(port) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace spillway

#endif  // SPILLWAY_METRICS_METRICS_SERVER_H_
