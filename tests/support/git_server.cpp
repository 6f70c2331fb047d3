#include "tests/support/git_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace varan::test {

namespace fs = std::filesystem;

std::string git(const std::string& cwd, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git",
                                   "-c",
                                   "user.name=Varan Test",
                                   "-c",
                                   "user.email=test@varan.invalid",
                                   "-c",
                                   "init.defaultBranch=main",
                                   "-c",
                                   "advice.detachedHead=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run(argv, {.cwd = cwd});
  EXPECT_EQ(r.status, 0) << "git failed in " << cwd << ": " << r.err;
  return r.out;
}

GitServer::GitServer(std::string user, std::string token)
    : user_(std::move(user)), token_(std::move(token)) {
  for (const char* prog : {"nginx", "fcgiwrap", "git"})
    if (!which(prog) && !file_exists(std::string("/usr/sbin/") + prog)) {
      problem_ = std::string(prog) + " is not installed (scripts/setup.sh)";
      return;
    }
  std::string d = dir_.path();
  fs::create_directories(d + "/repos");
  fs::create_directories(d + "/tmp");
  write_text(d + "/htpasswd", user_ + ":{PLAIN}" + token_ + "\n", 0600);
  port_ = free_port();
  std::string conf =
      std::string(::geteuid() == 0 ? "user root;\n" : "") +  // workers reach fcgiwrap's socket
      "worker_processes 1;\ndaemon off;\nerror_log " + d + "/error.log;\npid " + d +
      "/nginx.pid;\n"
      "events { worker_connections 64; }\n"
      "http {\n"
      "  access_log " +
      d +
      "/access.log;\n"
      "  client_body_temp_path " +
      d + "/tmp/body;\n  fastcgi_temp_path " + d +
      "/tmp/fcgi;\n"
      "  proxy_temp_path " +
      d + "/tmp/proxy;\n  uwsgi_temp_path " + d +
      "/tmp/uwsgi;\n"
      "  scgi_temp_path " +
      d +
      "/tmp/scgi;\n"
      "  server {\n    listen 127.0.0.1:" +
      std::to_string(port_) +
      ";\n"
      "    location / {\n"
      "      auth_basic \"git\";\n      auth_basic_user_file " +
      d +
      "/htpasswd;\n"
      "      client_max_body_size 0;\n"
      "      include /etc/nginx/fastcgi_params;\n"
      "      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;\n"
      "      fastcgi_param GIT_PROJECT_ROOT " +
      d +
      "/repos;\n"
      "      fastcgi_param GIT_HTTP_EXPORT_ALL \"\";\n"
      "      fastcgi_param PATH_INFO $uri;\n"
      "      fastcgi_param REMOTE_USER $remote_user;\n"
      "      fastcgi_pass unix:" +
      d +
      "/fcgi.sock;\n"
      "    }\n  }\n}\n";
  write_text(d + "/nginx.conf", conf);
  std::string fcgiwrap = which("fcgiwrap").value_or("/usr/sbin/fcgiwrap");
  std::string nginx = which("nginx").value_or("/usr/sbin/nginx");
  fcgi_ = spawn_background({fcgiwrap, "-s", "unix:" + d + "/fcgi.sock"}, d + "/fcgiwrap.log");
  nginx_ = spawn_background({nginx, "-c", d + "/nginx.conf", "-p", d}, d + "/nginx.log");
  for (int i = 0; i < 100; ++i) {
    if (wait_for_port(port_, 0) && file_exists(d + "/fcgi.sock")) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  problem_ = "nginx or fcgiwrap did not start: " + read_text(d + "/nginx.log") +
             (file_exists(d + "/error.log") ? read_text(d + "/error.log") : "");
}

GitServer::~GitServer() {
  stop_background(nginx_);
  stop_background(fcgi_);
}

std::string GitServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name + ".git";
}

void GitServer::create_repo(const std::string& name, const std::string& work,
                            const std::string& branch) {
  std::string bare = dir_ / ("repos/" + name + ".git");
  git(dir_.path(), {"init", "-q", "--bare", bare});
  git(bare, {"config", "http.receivepack", "true"});
  fs::create_directories(work);
  git(work, {"init", "-q", "-b", branch});
  git(work, {"remote", "add", "origin", bare});
}

std::string GitServer::commit(const std::string& work, const std::string& message,
                              const std::string& branch) {
  git(work, {"add", "-A"});
  git(work, {"commit", "-q", "--allow-empty", "-m", message});
  git(work, {"push", "-q", "origin", "HEAD:refs/heads/" + branch});
  std::string head = git(work, {"rev-parse", "HEAD"});
  while (!head.empty() && head.back() == '\n')
    head.pop_back();
  return head;
}

std::string GitServer::access_log() const {
  std::string p = dir_ / "access.log";
  return file_exists(p) ? read_text(p) : "";
}

}  // namespace varan::test
