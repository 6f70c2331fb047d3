/// `.dockerignore` as the docker CLI and moby's patternmatcher read it, for packing a build
/// context: one pattern a line (`#` lines and blank lines skipped, spaces trimmed, a leading
/// `/` dropped, the path cleaned), `!` for an exception; `*` and `?` within one path segment,
/// `**` across any number of them, `[...]` classes, `\` escapes. A path is excluded when the
/// last pattern that matches it, or one of its parent folders, is not an exception.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace varan::engine {

class IgnoreMatcher {
 public:
  /// Limits on what a .dockerignore may hold (hostile input is the normal case).
  static constexpr std::size_t kMaxPatterns = 10'000;
  static constexpr std::size_t kMaxPatternBytes = 4096;
  static constexpr std::size_t kMaxPathBytes = 4096;

  /// The patterns of a .dockerignore file's text; `file` names it in errors. Throws
  /// varan::Error naming the file and line for an invalid pattern or a limit passed.
  static IgnoreMatcher parse(std::string_view text, const std::string& file = ".dockerignore");

  /// Adds one pattern as a line of the file would give it (`!` for an exception).
  void add(std::string_view line, const std::string& where = "");

  /// Whether `path` (relative to the context, '/'-separated) is left out of the context.
  bool excluded(std::string_view path) const;

  /// Whether a walk that met the excluded folder `dir` must still look inside it: when an
  /// exception pattern starts with `dir/` (moby's and docker-py's rule; an exception such as
  /// `!**/keep` does not reach into an excluded folder).
  bool look_inside(std::string_view dir) const;

  /// The Dockerfile and .dockerignore are sent even when a pattern excludes them, as the
  /// docker CLI does (the engine needs the Dockerfile; `dockerfile` is relative to the context).
  void keep_build_files(const std::string& dockerfile);

  std::size_t size() const { return patterns_.size(); }

 private:
  enum class Op : std::uint8_t { kChar, kAnyChar, kStar, kDirs, kRest, kClass };
  struct Token {
    Op op;
    char c = 0;
    std::uint16_t cls = 0;  // index into classes_
  };
  struct Class {
    bool negated = false;
    std::vector<std::pair<unsigned char, unsigned char>> ranges;
    bool has(unsigned char c) const;
  };
  struct Pattern {
    std::string text;  // cleaned, for messages
    bool exception = false;
    std::vector<Token> tokens;
  };

  bool matches(const Pattern& p, std::string_view path) const;

  std::vector<Pattern> patterns_;
  std::vector<Class> classes_;
  bool exceptions_ = false;
};

/// `path` cleaned as Go's path.Clean does ("a//b/./c/.." -> "a/b"; "" -> ".").
std::string clean_path(std::string_view path);

}  // namespace varan::engine
