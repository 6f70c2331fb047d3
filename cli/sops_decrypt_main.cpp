// sops-decrypt: the standalone pre_deploy tool and `sops -d` replacement (age key source).
//
//   sops-decrypt [-r] [--check] [DIR ...]     every NAME.sops.EXT -> NAME.EXT, atomically, 0600
//   sops-decrypt [flags] FILE                 like `sops -d FILE` (--output, --input-type,
//                                             --output-type, --extract, --ignore-mac)
//   sops-decrypt exec-env FILE -- CMD [ARGS]  run CMD with the file's top-level keys in its
//                                             environment; nothing is written to disk
//
// Exit codes are sops' (cmd/sops/codes). Links only secrets/ and common/.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/sops_cli.h"
#include "common/io.h"
#include "secrets/primitives.h"
#include "secrets/sops/folder.h"
#include "secrets/sops/sops.h"

extern char** environ;

namespace {

using varan::as_string;
using varan::printable_name;
using varan::read_file;
using varan::SecretString;
using varan::SecureBytes;
using varan::wipe;
using namespace varan::sops;

constexpr const char* kUsage =
    "usage:\n"
    "  sops-decrypt [-r|--recursive] [--check] [DIR ...]\n"
    "  sops-decrypt [--output FILE] [--input-type T] [--output-type T] [--extract PATH] "
    "[--ignore-mac] FILE\n"
    "  sops-decrypt exec-env [--ignore-mac] FILE -- COMMAND [ARGS ...]\n"
    "types: yaml, json, dotenv, ini, binary. Keys: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, "
    "SOPS_AGE_KEY_CMD,\n"
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, $XDG_CONFIG_HOME/sops/age/keys.txt\n";

Format format_arg(const std::string& flag, const std::string& value) {
  auto f = parse_format(value);
  if (!f)
    throw Error(codes::kGeneric,
                flag + " must be one of yaml, json, dotenv, ini, binary (got \"" + value + "\")");
  return *f;
}

int run_folders(const std::vector<std::string>& dirs, const FolderOptions& opts) {
  EnvironmentKeySource keys;
  int status = 0;
  for (const auto& dir : dirs) {
    for (const auto& r : decrypt_folder(dir, opts, keys)) {
      // Names are escaped: a newline in a file name must not forge a line of this report.
      std::string line = printable_name(r.source);
      switch (r.status) {
        case FileResult::Status::kWritten:
          line += " -> " + printable_name(r.target) + ": written";
          break;
        case FileResult::Status::kUnchanged:
          line += " -> " + printable_name(r.target) + ": unchanged";
          break;
        case FileResult::Status::kChecked:
          line += ": ok";
          break;
        case FileResult::Status::kKept:
          break;
        case FileResult::Status::kFailed:
          line += ": error: " + r.message;
          if (status == 0) status = r.code;
          break;
      }
      varan::cli::print_line(line);
    }
  }
  return status;
}

int run_exec_env(std::vector<std::string> args) {
  bool ignore_mac = false;
  if (!args.empty() && args[0] == "--ignore-mac") {
    ignore_mac = true;
    args.erase(args.begin());
  }
  if (args.size() < 2)
    throw Error(codes::kGeneric, "error: missing file to decrypt or command to run");
  std::string file = args[0];
  std::vector<std::string> command(args.begin() + 1, args.end());
  bool shell = true;
  if (command[0] == "--") {
    command.erase(command.begin());
    shell = false;
  }
  if (command.empty()) throw Error(codes::kGeneric, "error: missing command to run");
  if (shell && command.size() > 1)
    throw Error(codes::kGeneric,
                "error: give the command as one string, or after \"--\" as separate arguments");
  SecureBytes encrypted = varan::cli::read_sops_input(file);
  EnvironmentKeySource keys;
  Tree tree = decrypt_file(as_string(encrypted), format_for_path(file), keys, ignore_mac);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    env.emplace_back(*e);
  for (const auto& [k, v] : tree.branches.empty() ? Node::mapping().map : tree.branches[0].map) {
    if (v.is_complex())
      throw Error(codes::kGeneric,
                  "cannot use complex value in environment; offending key " + k.str);
    if (k.is_comment()) continue;
    if (k.str.find('=') != std::string::npos)
      throw Error(codes::kGeneric, "cannot use keys with '=' in environment: " + k.str);
    std::string value = v.kind == Node::Kind::kString ? v.str : value_to_string(v);
    std::string prefix = k.str + "=";
    std::erase_if(env, [&](const std::string& s) { return s.starts_with(prefix); });
    env.push_back(prefix + value);
    wipe(value);
  }
  std::vector<char*> envp, argv;
  for (auto& s : env)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings =
      shell ? std::vector<std::string>{"/bin/sh", "-c", command[0]} : command;
  for (auto& s : argv_strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  // The command replaces this process: the secrets live only in its environment.
  ::execvpe(argv[0], argv.data(), envp.data());
  throw Error(codes::kCannotRunCommand,
              "cannot run " + argv_strings[0] + ": " + std::strerror(errno));
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "exec-env") return run_exec_env({args.begin() + 1, args.end()});
  FolderOptions folder;
  std::optional<std::string> output;
  std::optional<Format> in_type, out_type;
  std::string extract;
  bool ignore_mac = false, file_flags = false;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag) -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= args.size()) throw Error(codes::kGeneric, flag + " needs a value");
      return args[++i];
    };
    auto is = [&](const char* flag) { return a == flag || a.starts_with(std::string(flag) + "="); };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-r" || a == "--recursive") {
      folder.recursive = true;
    } else if (a == "--check") {
      folder.check = true;
    } else if (a == "--ignore-mac") {
      ignore_mac = file_flags = true;
    } else if (is("--output")) {
      output = value("--output");
      file_flags = true;
    } else if (is("--input-type")) {
      in_type = format_arg("--input-type", value("--input-type"));
      file_flags = true;
    } else if (is("--output-type")) {
      out_type = format_arg("--output-type", value("--output-type"));
      file_flags = true;
    } else if (is("--extract")) {
      extract = value("--extract");
      file_flags = true;
    } else if (a == "--") {
      paths.insert(paths.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      throw Error(codes::kGeneric, "unknown flag " + a + "\n" + kUsage);
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) paths.push_back(".");
  struct stat st {};
  bool single_file =
      paths.size() == 1 && (::stat(paths[0].c_str(), &st) != 0 || !S_ISDIR(st.st_mode));
  if (single_file || file_flags) {
    if (paths.size() != 1)
      throw Error(codes::kGeneric, "give exactly one FILE with --output, --extract and type flags");
    if (folder.recursive)
      throw Error(codes::kGeneric, "-r applies to folders, and " + paths[0] + " is not one");
    return varan::cli::decrypt_command(
        {paths[0], output, in_type, out_type, extract, ignore_mac, false});
  }
  return run_folders(paths, folder);
}

}  // namespace

int main(int argc, char** argv) {
  varan::crypto::init_for_cli();
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return varan::cli::report_sops_error("sops-decrypt", e);
  }
}
