/// What `sops-decrypt` and `varan secrets` share: reading the input file with sops' exit
/// codes and messages, decrypting one file to standard output or a file, and printing a
/// sops error the way sops does.
#pragma once

#include <optional>
#include <string>

#include "common/secure.h"
#include "secrets/sops/store.h"

namespace varan::cli {

/// Reads FILE; Error(kNoFileSpecified) when it does not exist, Error(kCouldNotReadInputFile)
/// when it can't be read.
SecureBytes read_sops_input(const std::string& path);

struct DecryptArgs {
  std::string file;
  std::optional<std::string> output;  // "-" or empty: standard output
  std::optional<sops::Format> input_type, output_type;
  std::string extract;
  bool ignore_mac = false;
  bool in_place = false;
};

/// Writes `text` to `target` ("-": standard output) atomically with `mode`; throws
/// Error(kCouldNotWriteOutputFile) when it can't.
void write_sops_output(const std::string& target, unsigned mode, const std::string& text);

/// `sops -d`: decrypts FILE and writes the result (atomically, mode 0600, for a file).
int decrypt_command(const DecryptArgs& args);

/// Prints a sops error (the full data-key report for exit code 128) as "<who>: <message>";
/// returns the exit code.
int report_sops_error(const std::string& who, const std::exception& e);

/// Writes one line to standard error (stdio rather than iostreams: a smaller start-up).
void print_line(const std::string& line);

/// The absolute form of a path, for messages.
std::string absolute_path(const std::string& p);

}  // namespace varan::cli
