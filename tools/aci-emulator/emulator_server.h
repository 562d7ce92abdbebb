// Serves an Emulator over HTTP (cpp-httplib) on one address, with a ticker thread that moves
// groups along. Port 0 picks a free port.
#ifndef SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_SERVER_H_
#define SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "tools/aci-emulator/emulator.h"

namespace httplib {
class Server;
}

namespace spillway {

class EmulatorServer {
 public:
  explicit EmulatorServer(Emulator* emulator);  // Not owned; must outlive the server.
  ~EmulatorServer();

  // Binds `host:port` and returns the bound port.
  absl::StatusOr<int> Bind(const std::string& host, int port);
  // Serves until Stop() (blocking).
  void Serve();
  // Thread-safe; idempotent.
  void Stop();

 private:
  Emulator* const emulator_;
  std::unique_ptr<httplib::Server> server_;
  absl::Notification stopping_;
  std::thread ticker_;
};

}  // namespace spillway

#endif  // SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_SERVER_H_
