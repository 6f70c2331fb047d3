#include "cli/sops_cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "cli/output.h"
#include "common/io.h"
#include "secrets/sops/sops.h"

namespace varan::cli {

using namespace varan::sops;

void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
}

std::string absolute_path(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) + "/" + p : p;
}

SecureBytes read_sops_input(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw sops::Error(codes::kNoFileSpecified,
                      "Error: cannot operate on non-existent file \"" + absolute_path(path) + "\"");
  try {
    return read_file(path, std::size_t(1) << 30);
  } catch (const varan::Error& e) {
    throw sops::Error(codes::kCouldNotReadInputFile,
                      std::string("Error reading file: ") + e.what());
  }
}

void write_sops_output(const std::string& target, unsigned mode, const std::string& text) {
  try {
    Output out(target, mode);
    out.sink().write(text);
    out.commit();
  } catch (const varan::Error& e) {
    throw sops::Error(codes::kCouldNotWriteOutputFile,
                      std::string("Could not write output: ") + e.what());
  }
}

int decrypt_command(const DecryptArgs& a) {
  auto path = parse_tree_path(a.extract);
  SecureBytes encrypted = read_sops_input(a.file);
  Format in = a.input_type.value_or(format_for_path(a.file));
  Format out = a.output_type.value_or(a.input_type ? *a.input_type : format_for_path(a.file));
  EnvironmentKeySource keys;
  Tree tree = decrypt_file(as_string(encrypted), in, keys, a.ignore_mac);
  SecretString plain = emit_plain(tree, out, path);
  // The output is opened only now, so a failure above never truncates it.
  write_sops_output(a.in_place ? a.file : a.output.value_or("-"), 0600, plain.str());
  return 0;
}

int report_sops_error(const std::string& who, const std::exception& e) {
  if (const auto* dk = dynamic_cast<const DataKeyError*>(&e)) {
    print_line(dk->report());
    return dk->code();
  }
  print_line(who + std::string(": ") + e.what());
  if (const auto* se = dynamic_cast<const sops::Error*>(&e)) return se->code();
  return codes::kGeneric;
}

}  // namespace varan::cli
