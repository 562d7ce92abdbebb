// spillctl: the command-line client of the Spillway burst scheduler (see
// README.md).
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "absl/time/clock.h"
#include "tools/spillctl/cli.h"

int main(int argc, char** argv) {
  std::optional<std::string> server_env;
  if (const char* server = std::getenv("SPILLWAY_SERVER")) server_env = server;
  spillway::spillctl::CliEnvironment env;
  env.server_env = server_env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.now = spillway::RealClock::Get()->Now();
  return spillway::spillctl::RunCli(
      std::vector<std::string>(argv + 1, argv + argc), env);
}
