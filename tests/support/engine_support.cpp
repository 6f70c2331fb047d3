#include "tests/support/engine_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "engine/tar.h"

namespace varan::test {

engine::Client& engine_client() {
  static engine::Client client;
  return client;
}

std::string engine_problem() {
  static std::string problem = [] {
    try {
      engine_client().ping();
      return std::string();
    } catch (const std::exception& e) {
      return std::string("a Docker engine (scripts/dockerd.sh start): ") + e.what();
    }
  }();
  return problem;
}

std::string whole_engine_problem() {
  const char* host = std::getenv("VARAN_TEST_HOST_ENGINE");
  if (!host || std::string_view(host) != "1") return "";
  const char* allow = std::getenv("VARAN_TEST_ALLOW_HOST_ENGINE");
  if (allow && std::string_view(allow) == "destructive") return "";
  const std::string why =
      "the tests run on the host's engine, which this case would act on as a whole (stop every "
      "container, prune); ";
  const std::string what =
      " Run the suite where scripts/dockerd.sh can start its private engine, or set "
      "VARAN_TEST_ALLOW_HOST_ENGINE=destructive to let it act on the host's engine.";
  auto& c = engine_client();
  if (!c.list_containers(true).empty())
    return why + "it holds containers the suite did not make." + what;
  if (!c.list_volumes().empty()) return why + "it holds volumes." + what;
  for (const auto& n : c.list_networks())
    if (n.name != "bridge" && n.name != "host" && n.name != "none")
      return why + "it holds the user network " + n.name + "." + what;
  for (const auto& i : c.list_images()) {
    auto it = i.labels.find("varan.test");
    if (it == i.labels.end() || it->second != "1")
      return why + "it holds images the suite did not build." + what;
  }
  return "";
}

namespace {

const char* busybox_path() {
  const char* p = std::getenv("VARAN_BUSYBOX");
  return p && *p ? p : "/bin/busybox";
}

std::string context() {
  engine::TarBuilder t;
  t.add_host_file("rootfs/bin/busybox", busybox_path());
  for (const char* applet : {"sh",    "sleep",    "echo", "cat", "test",   "touch", "true",
                             "false", "httpd",    "ls",   "env", "printf", "wget",  "nc",
                             "id",    "hostname", "kill", "seq", "date",   "mkdir", "rm"})
    t.add_symlink(std::string("rootfs/bin/") + applet, "busybox");
  t.add_directory("rootfs/tmp", 01777);
  t.add_file("rootfs/www/index.html", "hello from varan-test/httpd\n");
  // One file, several targets: exercises `target` and a non-default Dockerfile path.
  t.add_file(
      "docker/Dockerfile.test",
      "FROM scratch AS base\nCOPY rootfs/ /\nARG VARIANT=none\nLABEL varan.test.variant=$VARIANT\n"
      "FROM base AS sleep\nCMD [\"sleep\", \"3600\"]\n"
      "FROM base AS httpd\nEXPOSE 8080\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", "
      "\"/www\"]\n"
      "FROM base AS health\n"
      "HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD test -f /tmp/healthy\n"
      "CMD [\"sh\", \"-c\", \"sleep ${HEALTHY_AFTER:-0}; test -n \\\"$NEVER_HEALTHY\\\" || touch "
      "/tmp/healthy; "
      "exec sleep 3600\"]\n"
      "FROM base AS exit\nENTRYPOINT [\"sh\", \"-c\", \"echo out; echo err >&2; exit "
      "${EXIT_CODE:-0}\"]\n");
  return t.finish();
}

}  // namespace

void ensure_test_images() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& c = engine_client();
    std::string tar = context();
    for (const char* target : {"sleep", "httpd", "health", "exit"}) {
      std::string tag = std::string("varan-test/") + target + ":latest";
      engine::BuildOptions o;
      o.tags = {tag};
      o.dockerfile = "docker/Dockerfile.test";
      o.target = target;
      o.build_args = {{"VARIANT", target}};
      o.labels = {{"varan.test", "1"}};
      c.build_image(tar, o);
    }
  });
}

void remove_labelled(const std::string& test_case) {
  auto& c = engine_client();
  engine::Filters f{{"label", {"varan.test.case=" + test_case}}};
  for (const auto& ct : c.list_containers(true, f))
    c.remove_container(ct.id, true, true);
  for (const auto& n : c.list_networks(f))
    c.remove_network(n.id);
  for (const auto& v : c.list_volumes(f))
    c.remove_volume(v.name, true);
}

std::string http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t r; (r = ::read(fd, buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(r));
    }
  }
  ::close(fd);
  auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

}  // namespace varan::test
