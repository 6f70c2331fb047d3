// The agent itself and its host: GetHealth, GetVersion, GetSystemInformation, GetSystemStats
// (from the poller's last reading) and RunCommand (Komodo's multiline rules, /bin/sh).
#include "hooks/command.h"
#include "periphery/api.h"
#include "periphery/handler.h"
#include "periphery/system_stats.h"

namespace varan::periphery {

namespace {

Json run_command(Agent&, const Request& r) {
  Json cmd = r.params.value("command", Json::object());
  std::string path = cmd.is_object() ? cmd.value("path", "") : "";
  std::string command = hooks::parse_multiline(cmd.is_object() ? cmd.value("command", "") : "");
  hooks::ShellResult res = hooks::run_shell(command, path.empty() ? "/" : path, 3600);
  return log_json("run command", (path.empty() ? "" : "cd " + path + " && ") + command, res.out,
                  res.err, res.status == 0, r.start);
}

}  // namespace

std::span<const Route> system_routes() {
  static const Route routes[] = {
      {"GetHealth", [](Agent&, const Request&) { return Json::object(); }},
      {"GetVersion",
       [](Agent&, const Request&) {
         return Json{{"version", kApiVersion}};
       }},
      {"GetSystemInformation",
       [](Agent& a, const Request&) { return system_information(a.config); }},
      {"GetSystemStats", [](Agent& a, const Request&) { return a.stats(); }},
      {"RunCommand", run_command},
  };
  return routes;
}

}  // namespace varan::periphery
