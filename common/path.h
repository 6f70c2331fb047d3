/// Paths that come from requests, stack files and repo contents, kept inside the folder they
/// belong to: resolved the way the kernel would (symlinks included) and refused when any step
/// leaves that folder, with an error that names the field and the path.
#pragma once

#include <cstddef>
#include <string>

#include "common/error.h"
#include "common/secure.h"

namespace varan {

/// A path that leaves the folder it belongs to, or a name that is not one path component.
class PathError : public Error {
 public:
  using Error::Error;
};

/// Resolves `path` (relative to `base`, or absolute and inside `base`) component by component,
/// following symlinks as the kernel does (RESOLVE_BENEATH's rules: no step may leave `base`,
/// absolute symlinks are refused), and returns the real absolute path. `base` is trusted and
/// made real first; it must exist. Components missing at the end are allowed (a file or folder
/// about to be made), a `..` after a missing one is not. Throws PathError naming `field`.
std::string resolve_beneath(const std::string& base, const std::string& path,
                            const std::string& field);

/// Opens `path` under `base` read-only with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
/// or, on kernels without openat2, with the walk above and O_NOFOLLOW. Returns the descriptor
/// (the caller closes it). PathError when it escapes, IoError when it can't be opened.
int open_beneath(const std::string& base, const std::string& path, const std::string& field);

/// Reads a whole regular file under `base` (open_beneath), refusing one larger than `limit`
/// before reading it.
SecureBytes read_file_beneath(const std::string& base, const std::string& path,
                              const std::string& field, std::size_t limit);

/// Refuses (PathError naming `field`) a name that is not one safe path component: empty, `.`,
/// `..`, or holding `/`, NUL or another control character.
void check_path_component(const std::string& name, const std::string& field);

/// true when the absolute path `path` is `base` or inside it, compared lexically after
/// normalising both (no file system access).
bool is_within(const std::string& base, const std::string& path);

}  // namespace varan
