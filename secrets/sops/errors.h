/// The ways a sops operation can fail, as sops' exit codes (cmd/sops/codes), so the CLIs
/// exit with the code a script written for sops expects.
#pragma once

#include <string>
#include <utility>

#include "common/error.h"

namespace varan::sops {

namespace codes {
inline constexpr int kGeneric = 1;
inline constexpr int kCouldNotReadInputFile = 2;
inline constexpr int kCouldNotWriteOutputFile = 3;
inline constexpr int kErrorDumpingTree = 4;
inline constexpr int kErrorReadingConfig = 5;
inline constexpr int kErrorEncryptingTree = 23;
inline constexpr int kErrorDecryptingTree = 25;
inline constexpr int kMacMismatch = 51;
inline constexpr int kInvalidTreePathFormat = 91;
inline constexpr int kNoFileSpecified = 100;
inline constexpr int kNoEncryptionKeyFound = 111;
inline constexpr int kCouldNotRetrieveKey = 128;
inline constexpr int kFileAlreadyEncrypted = 203;
/// Not one of sops': the shell's code for a command that could not be started, which
/// `sops-decrypt exec-env` returns when exec fails.
inline constexpr int kCannotRunCommand = 127;
}  // namespace codes

/// A sops failure: the CLI prints what() and exits with code().
class Error : public varan::Error {
 public:
  Error(int code, const std::string& msg) : varan::Error(msg), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// The data key could not be recovered: what() is one line naming the recipients tried,
/// report() is sops' full report of every group and key.
class DataKeyError : public Error {
 public:
  DataKeyError(const std::string& summary, std::string report)
      : Error(codes::kCouldNotRetrieveKey, summary), report_(std::move(report)) {}
  const std::string& report() const { return report_; }

 private:
  std::string report_;
};

}  // namespace varan::sops
