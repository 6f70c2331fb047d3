/// Komodo's `[[NAME]]` interpolation of stack fields from variables and secrets, and the
/// redaction that keeps interpolated secret values out of every log line (`<NAME>`).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hooks/stack.h"

namespace varan::hooks {

/// Replaces secret values in text by `<NAME>`. Values shorter than 3 bytes are not
/// replaced (they would mangle ordinary text and hide nothing).
class Redactor {
 public:
  void add(const std::string& value, const std::string& name);
  std::string operator()(std::string text) const;
  bool empty() const { return pairs_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;  // longest value first
};

/// Adds each KEY=VALUE of a dotenv text (decrypted secrets) to `red`, masked by its key.
void redact_dotenv(const std::string& text, Redactor& red);

/// `[[NAME]]` becomes the variable's value; unknown names stay as they are; `[[[x]]]` is
/// the escape for a literal `[[x]]`. Each secret used is added to `redactor`.
std::string interpolate(const std::string& text, const std::map<std::string, Variable>& vars,
                        Redactor& redactor);

/// Interpolates the fields Komodo interpolates: environment, the hook commands, extra_args
/// (and the git token, so it can come from a secret).
void interpolate_stack(Stack& stack, const std::map<std::string, Variable>& vars,
                       Redactor& redactor);

}  // namespace varan::hooks
