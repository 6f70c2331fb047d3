// periphery: the agent a Komodo Core drives. Serves Komodo's Periphery API over HTTPS
// (HTTP with ssl_enabled = false) and does each job in-process through engine/, secrets/
// and hooks/.
//
//   periphery [--config-path FILE ...]      (also PERIPHERY_CONFIG_PATHS, comma-separated)
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "engine/client.h"
#include "periphery/api.h"
#include "periphery/config.h"
#include "periphery/server.h"

namespace {
varan::periphery::Server* g_server = nullptr;
void on_signal(int) {
  if (g_server) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace varan::periphery;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config-path" || a == "-c") && i + 1 < argc) {
      files.push_back(argv[++i]);
    } else if (a.starts_with("--config-path=")) {
      files.push_back(a.substr(14));
    } else if (a == "--version") {
      std::cout << "periphery (varan " << VARAN_VERSION << "), Komodo Periphery API " << kApiVersion
                << "\n";
      return 0;
    } else {
      std::cerr << "usage: periphery [--config-path FILE ...]\n";
      return 2;
    }
  }
  auto env = process_environment();
  for (const char* var : {"PERIPHERY_CONFIG_PATHS", "PERIPHERY_CONFIG_PATH"})
    if (files.empty() && env.contains(var)) {
      std::string list = env[var] + ",";
      for (std::size_t start = 0, at; (at = list.find(',', start)) != std::string::npos;
           start = at + 1)
        if (at > start) files.push_back(list.substr(start, at - start));
    }
  try {
    Config config = load_config(files, env);
    for (const auto& w : config.warnings)
      std::cerr << "periphery: warning: " << w << "\n";
    varan::engine::Client client;
    Api api(config, client);
    Server server(config);
    g_server = &server;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    std::cerr << "periphery: serving Komodo's Periphery API on " << config.bind_ip << ":"
              << server.port() << (config.ssl_enabled ? " (https)" : " (http)") << "\n";
    server.run(
        [&](const std::string& body, const std::string& ct) { return api.handle(body, ct); });
    g_server = nullptr;
  } catch (const std::exception& e) {
    std::cerr << "periphery: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
