#include "hooks/interpolate.h"

#include <algorithm>

#include "hooks/command.h"

namespace varan::hooks {

void Redactor::add(const std::string& value, const std::string& name) {
  if (value.size() < 3) return;
  for (const auto& [v, n] : pairs_)
    if (v == value) return;
  pairs_.emplace_back(value, "<" + name + ">");
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::string Redactor::operator()(std::string text) const {
  for (const auto& [value, mask] : pairs_) {
    for (std::size_t at = text.find(value); at != std::string::npos;
         at = text.find(value, at + mask.size()))
      text.replace(at, value.size(), mask);
  }
  return text;
}

std::string interpolate(const std::string& text, const std::map<std::string, Variable>& vars,
                        Redactor& redactor) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "[[[") == 0) {
      auto end = text.find("]]]", i + 3);
      if (end != std::string::npos) {
        out += "[[" + text.substr(i + 3, end - i - 3) + "]]";
        i = end + 3;
        continue;
      }
    }
    if (text.compare(i, 2, "[[") == 0) {
      auto end = text.find("]]", i + 2);
      if (end != std::string::npos) {
        std::string name = text.substr(i + 2, end - i - 2);
        auto it = vars.find(name);
        if (it != vars.end()) {
          out += it->second.value;
          if (it->second.secret) redactor.add(it->second.value, name);
          i = end + 2;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

void interpolate_stack(Stack& stack, const std::map<std::string, Variable>& vars,
                       Redactor& redactor) {
  stack.environment = interpolate(stack.environment, vars, redactor);
  stack.pre_deploy.command = interpolate(stack.pre_deploy.command, vars, redactor);
  stack.post_deploy.command = interpolate(stack.post_deploy.command, vars, redactor);
  for (auto& a : stack.extra_args)
    a = interpolate(a, vars, redactor);
  stack.git_token = SecretString(interpolate(stack.git_token.str(), vars, redactor));
  if (!stack.git_token.empty()) redactor.add(stack.git_token.str(), "TOKEN");
}

void redact_dotenv(const std::string& text, Redactor& red) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    auto eq = line.find('=');
    if (eq == std::string::npos || trim(line).starts_with("#")) continue;
    std::string key = trim(line.substr(0, eq));
    if (key.starts_with("export ")) key = trim(key.substr(7));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    red.add(value, key);
  }
}

}  // namespace varan::hooks
