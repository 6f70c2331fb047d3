// Latency of listing containers and inspecting one through Varan's engine client, in one
// process with its kept-alive connection. Prints the median and the 10th/90th percentile
// in microseconds. Usage: engine_latency CONTAINER [ITERATIONS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: engine_latency CONTAINER [ITERATIONS]\n");
    return 2;
  }
  int n = argc > 2 ? std::atoi(argv[2]) : 200;
  varan::engine::Client client;
  client.api_version();
  for (int i = 0; i < 5; ++i) {  // warm-up
    client.list_containers();
    client.inspect_container(argv[1]);
  }
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto list = client.list_containers();
    auto one = client.inspect_container(argv[1]);
    auto t1 = std::chrono::steady_clock::now();
    if (list.empty() || one.id.empty()) return 1;
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("%.0f %.0f %.0f\n", us[us.size() / 2], us[us.size() / 10], us[us.size() * 9 / 10]);
  return 0;
}
