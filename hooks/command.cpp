#include "hooks/command.h"

#include <chrono>

#include "common/process.h"

namespace varan::hooks {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

namespace {

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
    out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

// Trimmed lines without empty ones, `#` lines, or ` #` tails.
std::vector<std::string> code_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& raw : split(text, "\n")) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    out.push_back(trim(line.substr(0, line.find(" #"))));
  }
  return out;
}

}  // namespace

std::string parse_multiline(const std::string& command) {
  std::string joined;
  for (const auto& l : code_lines(command))
    joined += (joined.empty() ? "" : "\n") + l;
  // ` \` continuations: the pieces are trimmed (newline included) and joined by a space.
  std::string folded;
  for (const auto& piece : split(joined, " \\"))
    folded += " " + trim(piece);
  std::string out;
  for (const auto& l : code_lines(folded))
    out += (out.empty() ? "" : " && ") + l;
  return out;
}

std::optional<SopsDecryptCall> as_sops_decrypt(const std::string& command) {
  // Only plain words: anything a shell would interpret goes to the shell.
  if (command.find_first_of("&|;<>$`\\\"'(){}*?~=\n") != std::string::npos) return std::nullopt;
  std::vector<std::string> words;
  for (const auto& w : split(command, " "))
    if (!trim(w).empty()) words.push_back(trim(w));
  if (words.empty()) return std::nullopt;
  std::string prog = words[0].substr(words[0].rfind('/') + 1);
  if (prog != "sops-decrypt" && prog != "sops-decrypt.sh") return std::nullopt;
  SopsDecryptCall call;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w == "-r" || w == "--recursive")
      call.recursive = true;
    else if (w == "--check")
      call.check = true;
    else if (w.starts_with("-"))
      return std::nullopt;  // a flag we don't know: let the real program have it
    else
      call.dirs.push_back(w);
  }
  return call;
}

namespace {

// The variable that carries the command to the shell. The shell's argv is readable by every
// local user (/proc/PID/cmdline); its environment only by its owner and root
// (/proc/PID/environ is 0400). The script expands the variable, then unsets it before the
// command runs, so the hook's own children never inherit it; `eval` runs the command exactly
// as `sh -c COMMAND` would (same parsing, exit status, `exit`, `$0`).
constexpr char kCommandVar[] = "VARAN_HOOK_COMMAND";
constexpr char kShellScript[] =  // names kCommandVar twice
    "eval \"unset VARAN_HOOK_COMMAND; $VARAN_HOOK_COMMAND\"";

}  // namespace

ShellResult run_shell(const std::string& command, const std::string& cwd, long timeout_s) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", kShellScript};
  spec.program = "/bin/sh";
  spec.cwd = cwd;
  spec.env[kCommandVar] = command;
  spec.own_group = true;
  spec.die_with_caller = true;
  spec.timeout = std::chrono::seconds(timeout_s);
  ChildResult c = run_child(spec);
  wipe(spec.env[kCommandVar]);  // the command may hold interpolated secrets
  ShellResult r;
  r.status = c.status;
  r.timed_out = c.timed_out;
  r.out = text_of(c.out);
  r.err = text_of(c.err);
  if (c.status == 126 && !c.started)
    r.err = "the hook's folder: " + c.error;
  else if (!c.started)
    r.err = "can't start the hook: " + c.error;
  if (r.timed_out) r.err += "\nkilled after " + std::to_string(timeout_s) + " s (hook_timeout)";
  return r;
}

}  // namespace varan::hooks
