/// A stack as a Komodo Periphery sees it on a host: where its files come from (a git repo or
/// the host), the compose files, the environment file, the pre_deploy and post_deploy hooks.
/// Loaded from Komodo's TOML resource form (`[[stack]]` with `[stack.config]`, plus
/// `[[variable]]` and `[secrets]`) or from the same shape in JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/secure.h"
#include "komodo/stack.h"

namespace varan::hooks {

class Error : public varan::Error {
 public:
  using varan::Error::Error;
};

using Hook = komodo::SystemCommand;

/// A stack as Varan deploys it: Komodo's StackConfig, its name, and what Varan's own stack
/// files add (the token and key for the repo, where plaintext may go, the hooks' timeout).
struct Stack : komodo::StackConfig {
  std::string name;
  SecretString git_token;
  std::string ssh_key;  // a private key file, for ssh:// and user@host: URLs
  /// false: plaintext decrypted in-process by a sops-decrypt hook goes to the compose
  /// loader in memory and never to disk.
  bool write_plaintext = true;
  long hook_timeout_s = 600;
};

struct Variable {
  std::string value;
  bool secret = false;
};

struct StackFile {
  std::vector<Stack> stacks;
  std::map<std::string, Variable> variables;  // [[variable]] and [secrets]
  std::string root_directory;                 // where stacks live; "" = the default
  std::vector<std::string> safe_directories;  // repo folders trusted whoever owns them
  std::vector<std::string> warnings;          // keys read and not used
};

/// Loads a .toml or .json stack file. Errors name the file and the key.
StackFile load_stack_file(const std::string& path);
StackFile parse_stack_toml(const std::string& text, const std::string& where);
StackFile parse_stack_json(const std::string& text, const std::string& where);

}  // namespace varan::hooks
