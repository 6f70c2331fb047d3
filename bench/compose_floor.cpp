// The engine's own floor for bringing up N containers: N create+start pairs issued straight
// to the API from N threads at once, on a network made beforehand (outside the timing), with
// the same image, init and network alias a compose service gets. Prints the wall time of the
// creates and starts in microseconds, then removes what it made.
// Usage: compose_floor N IMAGE
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"

using varan::engine::Client;
using varan::engine::Json;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: compose_floor N IMAGE\n");
    return 2;
  }
  int n = std::atoi(argv[1]);
  std::string image = argv[2];
  Client client;
  client.api_version();
  const std::string net = "varan-floor_default";
  auto clean = [&] {
    for (const auto& c : client.list_containers(true, {{"label", {"dev.varan.bench=floor"}}}))
      client.remove_container(c.id, true, true);
    for (const auto& nw : client.list_networks({{"name", {net}}}))
      if (nw.name == net) client.remove_network(nw.id);
  };
  try {
    clean();
    client.create_network({{"Name", net}, {"Driver", "bridge"}, {"CheckDuplicate", true}});
    std::vector<std::string> errors(static_cast<std::size_t>(n));
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        try {
          std::string name = "varan-floor-s" + std::to_string(i) + "-1";
          Json body = {
              {"Image", image},
              {"Labels", {{"dev.varan.bench", "floor"}}},
              {"HostConfig", {{"Init", true}, {"NetworkMode", net}}},
              {"NetworkingConfig",
               {{"EndpointsConfig", {{net, {{"Aliases", {"s" + std::to_string(i), name}}}}}}}}};
          client.start_container(client.create_container(name, body));
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(i)] = e.what();
        }
      });
    for (auto& t : threads)
      t.join();
    auto t1 = std::chrono::steady_clock::now();
    for (const auto& e : errors)
      if (!e.empty()) throw std::runtime_error(e);
    std::printf("%lld\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
    clean();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compose_floor: %s\n", e.what());
    try {
      clean();
    } catch (...) {
    }
    return 1;
  }
  return 0;
}
