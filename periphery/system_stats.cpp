#include "periphery/system_stats.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/io.h"
#include "komodo/time.h"

namespace varan::periphery {

using Json = nlohmann::json;
using komodo::now_ms;

namespace {

std::string read_small(const std::string& path) {
  try {
    SecureBytes b = read_file(path, 1 << 20);
    return std::string(b.begin(), b.end());
  } catch (const std::exception&) {
    return "";
  }
}

std::string os_release(const std::string& key) {
  std::istringstream in(read_small("/etc/os-release"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + "=")) {
      std::string v = line.substr(key.size() + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return "";
}

}  // namespace

Json system_information(const Config& cfg) {
  utsname u{};
  ::uname(&u);
  std::string cpu;
  std::istringstream in(read_small("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"name", os_release("NAME")},
          {"os", os_release("PRETTY_NAME")},
          {"kernel", u.release},
          {"core_count", std::thread::hardware_concurrency()},
          {"host_name", u.nodename},
          {"cpu_brand", cpu},
          {"terminals_disabled", cfg.disable_terminals},
          {"container_exec_disabled", cfg.disable_container_exec}};
}

// SystemStats from /proc and statvfs; CPU use is measured since the previous reading.
Json system_stats(const Config& cfg, std::uint64_t (&last)[2]) {
  constexpr double kGb = 1073741824.0;
  std::istringstream stat(read_small("/proc/stat"));
  std::string cpu;
  std::uint64_t v, total = 0, idle = 0;
  stat >> cpu;
  for (int i = 0; i < 8 && stat >> v; ++i) {
    total += v;
    if (i == 3 || i == 4) idle += v;
  }
  double cpu_perc = 0;
  if (last[0] && total > last[0])
    cpu_perc = 100.0 * (1.0 - double(idle - last[1]) / double(total - last[0]));
  last[0] = total;
  last[1] = idle;
  double load[3] = {0, 0, 0};
  std::istringstream la(read_small("/proc/loadavg"));
  la >> load[0] >> load[1] >> load[2];
  std::map<std::string, double> mem;
  std::istringstream mi(read_small("/proc/meminfo"));
  for (std::string k; mi >> k >> v;) {
    mem[k] = double(v) * 1024;
    mi.ignore(64, '\n');
  }
  Json disks = Json::array();
  std::istringstream mounts(read_small("/proc/mounts"));
  std::set<std::string> seen;
  for (std::string dev, mount, fs_type, rest; mounts >> dev >> mount >> fs_type;) {
    std::getline(mounts, rest);
    auto listed = [&](const std::vector<std::string>& l) {
      return std::find(l.begin(), l.end(), mount) != l.end();
    };
    bool real = dev.starts_with("/dev/") && fs_type != "overlay" && fs_type != "squashfs";
    if (!cfg.include_disk_mounts.empty() ? !listed(cfg.include_disk_mounts) : !real) continue;
    if (listed(cfg.exclude_disk_mounts) || !seen.insert(dev).second) continue;
    struct statvfs sv {};
    if (::statvfs(mount.c_str(), &sv) != 0) continue;
    double size = double(sv.f_blocks) * sv.f_frsize, free = double(sv.f_bfree) * sv.f_frsize;
    disks.push_back({{"mount", mount},
                     {"file_system", fs_type},
                     {"used_gb", (size - free) / kGb},
                     {"total_gb", size / kGb}});
  }
  double rx = 0, tx = 0;
  std::istringstream net(read_small("/proc/net/dev"));
  std::string line;
  std::getline(net, line);
  std::getline(net, line);
  while (std::getline(net, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string ifname = line.substr(0, colon);
    ifname.erase(0, ifname.find_first_not_of(' '));
    std::istringstream f(line.substr(colon + 1));
    double n[9] = {};
    for (double& x : n)
      f >> x;
    if (ifname == "lo") continue;
    rx += n[0];
    tx += n[8];
  }
  return {{"cpu_perc", cpu_perc},
          {"load_average", {{"one", load[0]}, {"five", load[1]}, {"fifteen", load[2]}}},
          {"mem_free_gb", mem["MemAvailable:"] / kGb},
          {"mem_used_gb", (mem["MemTotal:"] - mem["MemAvailable:"]) / kGb},
          {"mem_total_gb", mem["MemTotal:"] / kGb},
          {"disks", disks},
          {"network_ingress_bytes", rx},
          {"network_egress_bytes", tx},
          {"polling_rate", cfg.stats_polling_rate},
          {"refresh_ts", now_ms()},
          {"refresh_list_ts", 0}};
}

}  // namespace varan::periphery
