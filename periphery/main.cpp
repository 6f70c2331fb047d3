// periphery: the agent a Komodo Core drives. Serves Komodo's Periphery API over HTTPS
// (HTTP with ssl_enabled = false) and does each job in-process through engine/, secrets/
// and hooks/.
//
//   periphery [--config-path FILE ...] [--insecure-no-auth]
//                                          (also PERIPHERY_CONFIG_PATHS, comma-separated)
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

// As PID 1 of a container the agent inherits every orphan that a hook or RunCommand shell
// leaves behind, and nothing else reaps them. So PID 1 forks: the child is the agent, the
// parent only forwards termination signals to it and reaps whatever exits, and leaves with
// the agent's status (as tini or `docker run --init` would).
pid_t g_agent = 0;
void forward(int sig) {
  if (g_agent > 0) ::kill(g_agent, sig);
}
void reap_as_pid1() {
  if (::getpid() != 1) return;
  g_agent = ::fork();
  if (g_agent < 0) return;  // no reaper, but the agent still runs
  if (g_agent == 0) return;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
    std::signal(sig, forward);
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) ::_exit(1);
    if (pid != g_agent) continue;
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}
// The agent holds passkeys and secrets in memory: no core dump may carry them, and no
// other process of the same user may ptrace it or read its memory.
void harden_process() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
  // Each connection is a descriptor: take all the hard limit allows (systemd's soft 1024
  // is for select() users; the unit also sets LimitNOFILE). The server fits its caps in.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
}
}  // namespace

int main(int argc, char** argv) {
  using namespace varan::periphery;
  harden_process();
  reap_as_pid1();
  bool insecure_no_auth = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config-path" || a == "-c") && i + 1 < argc) {
      files.push_back(argv[++i]);
    } else if (a.starts_with("--config-path=")) {
      files.push_back(a.substr(14));
    } else if (a == "--insecure-no-auth") {
      insecure_no_auth = true;
    } else if (a == "--version") {
      std::cout << "periphery (varan " << VARAN_VERSION << "), Komodo Periphery API " << kApiVersion
                << "\n";
      return 0;
    } else {
      std::cerr << "usage: periphery [--config-path FILE ...] [--insecure-no-auth]\n";
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
    config.insecure_no_auth = config.insecure_no_auth || insecure_no_auth;
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
    if (config.passkeys.empty())
      std::cerr << "periphery: WARNING: NO PASSKEYS: insecure_no_auth is set, so ANYONE who "
                   "reaches "
                << config.bind_ip << ":" << server.port()
                << " can run commands on this host as this user"
                << (config.allowed_ips.empty() ? " (and allowed_ips is empty: from anywhere)" : "")
                << ". Set passkeys unless this port is reachable by you alone.\n";
    server.run(
        [&](const std::string& body, const std::string& ct) { return api.handle(body, ct); });
    g_server = nullptr;
  } catch (const std::exception& e) {
    std::cerr << "periphery: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
